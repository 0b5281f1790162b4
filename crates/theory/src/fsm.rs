//! Communicating finite-state machines: the state-graph form of a local type.
//!
//! Every local type has an equivalent FSM whose transitions are labelled
//! `partner!label(payload)` or `partner?label(payload)`. The FSM form is what
//! nuscr prints (see [`crate::dot`]) and what the subtyping algorithms walk.

mod isomorphism;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use telltale_types::stack::with_headroom;
use telltale_types::{Direction, Label, LocalBranch, LocalType, Role};
use thiserror::Error;

/// Everything that can go wrong when converting between local types and FSMs.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FsmError {
    /// A recursion variable is used outside any `rec` binding it.
    #[error("recursion variable `{var}` is not bound by an enclosing `rec`")]
    UnboundVariable {
        /// The free variable.
        var: String,
    },
    /// A `rec` reaches its own variable without any communication in between.
    #[error("recursion `rec {var}` is unguarded: it reaches `{var}` before any communication")]
    UnguardedRecursion {
        /// The variable of the unguarded recursion.
        var: String,
    },
    /// A choice in the local type has no branch at all.
    #[error("a {direction:?} choice with `{partner}` has no branches")]
    EmptyChoice {
        /// The direction of the empty choice.
        direction: Direction,
        /// The partner of the empty choice.
        partner: Role,
    },
    /// A state offers the same label twice, which no local type can express.
    #[error("state {state} has two transitions labelled `{label}`")]
    DuplicateLabel {
        /// The state, or the index of the offending choice when converting a local type.
        state: u32,
        /// The repeated label name.
        label: String,
    },
    /// A state mixes sends and receives, or talks to several partners.
    #[error("state {state} mixes `{first}` and `{second}`, which a local type cannot express")]
    MixedState {
        /// The state.
        state: u32,
        /// The first action seen at the state.
        first: String,
        /// The conflicting action.
        second: String,
    },
    /// The initial state is not one of the FSM's states.
    #[error("initial state {state} is not a state of the machine")]
    UnknownInitialState {
        /// The missing state.
        state: u32,
    },
    /// The machine ran out of fresh state numbers.
    #[error("the machine has more than u32::MAX states")]
    TooManyStates,
    /// Rebuilding the local type would duplicate shared states into a tree
    /// larger than the limit (many choices that join again).
    #[error(
        "the local type of this machine has more than {limit} nodes (shared states are duplicated)"
    )]
    TooLarge {
        /// The node limit, [`MAX_LOCAL_NODES`] by default.
        limit: usize,
    },
}

/// The largest local type [`Fsm::to_local`] builds before giving up.
pub const MAX_LOCAL_NODES: usize = 1_000_000;

/// What a transition does: send to or receive from a partner, with a label.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Action {
    /// Whether the role sends or receives.
    pub direction: Direction,
    /// The role on the other end.
    pub partner: Role,
    /// The message label and payload sort.
    pub label: Label,
}

impl fmt::Display for Action {
    /// `partner!label(payload)` as nuscr prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}({})",
            self.partner,
            self.direction.symbol(),
            self.label.name,
            crate::dot::payload_to_text(&self.label.sort)
        )
    }
}

/// One edge of a machine.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Transition {
    /// The source state.
    pub from: u32,
    /// The target state.
    pub to: u32,
    /// What happens along the edge.
    pub action: Action,
}

/// A communicating finite-state machine for one role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fsm {
    role: Role,
    states: Vec<u32>,
    initial: u32,
    transitions: Vec<Transition>,
}

impl Fsm {
    /// Builds a machine; states named only by transitions are added after the declared ones.
    pub fn new(
        role: Role,
        states: Vec<u32>,
        initial: u32,
        transitions: Vec<Transition>,
    ) -> Result<Fsm, FsmError> {
        let mut seen = BTreeSet::new();
        let mut ordered = Vec::new();
        let mentioned = transitions.iter().flat_map(|t| [t.from, t.to]);
        for state in states.into_iter().chain(mentioned) {
            if seen.insert(state) {
                ordered.push(state);
            }
        }
        if !seen.contains(&initial) {
            return Err(FsmError::UnknownInitialState { state: initial });
        }
        Ok(Fsm {
            role,
            states: ordered,
            initial,
            transitions,
        })
    }

    /// Builds the machine of `t` for `role`: one state per communication or
    /// `end` of the type, with `rec` binding the state of its body.
    pub fn from_local(role: &Role, t: &LocalType) -> Result<Fsm, FsmError> {
        let mut builder = FsmBuilder::default();
        let initial = builder.state_of(t, &mut Vec::new())?;
        Fsm::new(role.clone(), builder.states, initial, builder.transitions)
    }

    /// Rebuilds a local type from the states reachable from the initial one.
    ///
    /// A state met again on the current path becomes a recursion variable
    /// `X<state>` bound by a `rec` at its first occurrence. States reached
    /// along several acyclic paths are duplicated in the tree, up to
    /// [`MAX_LOCAL_NODES`] nodes in all.
    pub fn to_local(&self) -> Result<LocalType, FsmError> {
        self.to_local_within(MAX_LOCAL_NODES)
    }

    /// [`Fsm::to_local`] with another bound on the number of nodes built.
    pub fn to_local_within(&self, max_nodes: usize) -> Result<LocalType, FsmError> {
        let outgoing = self.outgoing_map();
        let mut rebuild = LocalRebuilder {
            outgoing: &outgoing,
            on_path: BTreeMap::new(),
            nodes: 0,
            max_nodes,
        };
        rebuild.local_of(self.initial)
    }

    /// The role this machine belongs to.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// All states, declared ones first, in declaration order.
    pub fn states(&self) -> &[u32] {
        &self.states
    }

    /// The state the machine starts in.
    pub fn initial(&self) -> u32 {
        self.initial
    }

    /// All transitions in the order they were given.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The transitions leaving `state`, in order.
    pub fn outgoing(&self, state: u32) -> impl Iterator<Item = &Transition> + '_ {
        self.transitions.iter().filter(move |t| t.from == state)
    }

    /// Transitions grouped by source state.
    pub(crate) fn outgoing_map(&self) -> BTreeMap<u32, Vec<&Transition>> {
        let mut map: BTreeMap<u32, Vec<&Transition>> = BTreeMap::new();
        for t in &self.transitions {
            map.entry(t.from).or_default().push(t);
        }
        map
    }
}

/// Accumulates states and transitions while walking a local type.
#[derive(Default)]
struct FsmBuilder {
    states: Vec<u32>,
    transitions: Vec<Transition>,
}

impl FsmBuilder {
    fn fresh(&mut self) -> Result<u32, FsmError> {
        let id = u32::try_from(self.states.len()).map_err(|_| FsmError::TooManyStates)?;
        self.states.push(id);
        Ok(id)
    }

    /// The state that `t` starts in, creating states for its subterms.
    /// `env` maps the recursion variables in scope to their states, innermost last.
    fn state_of(&mut self, t: &LocalType, env: &mut Vec<(String, u32)>) -> Result<u32, FsmError> {
        with_headroom(|| {
            // Peel the leading `rec`s: they all name the state of the first non-`rec` term.
            let mut bound = Vec::new();
            let mut core = t;
            while let LocalType::Rec { var, body } = core {
                bound.push(var.clone());
                core = body;
            }
            if let LocalType::Var(v) = core {
                if bound.contains(v) {
                    return Err(FsmError::UnguardedRecursion { var: v.clone() });
                }
                return lookup(env, v);
            }
            let state = self.fresh()?;
            let depth = env.len();
            env.extend(bound.into_iter().map(|v| (v, state)));
            let result = self.fill(state, core, env);
            env.truncate(depth);
            result.map(|()| state)
        })
    }

    /// Adds the transitions of the communication `core` leaving `state`.
    fn fill(
        &mut self,
        state: u32,
        core: &LocalType,
        env: &mut Vec<(String, u32)>,
    ) -> Result<(), FsmError> {
        let Some((direction, partner, branches)) = core.as_comm() else {
            return Ok(());
        };
        if branches.is_empty() {
            return Err(FsmError::EmptyChoice {
                direction,
                partner: partner.clone(),
            });
        }
        check_distinct_labels(state, branches)?;
        for branch in branches {
            let to = self.state_of(&branch.continuation, env)?;
            self.transitions.push(Transition {
                from: state,
                to,
                action: Action {
                    direction,
                    partner: partner.clone(),
                    label: branch.label.clone(),
                },
            });
        }
        Ok(())
    }
}

fn lookup(env: &[(String, u32)], var: &str) -> Result<u32, FsmError> {
    env.iter()
        .rev()
        .find(|(name, _)| name == var)
        .map(|&(_, state)| state)
        .ok_or_else(|| FsmError::UnboundVariable {
            var: var.to_string(),
        })
}

fn check_distinct_labels(state: u32, branches: &[LocalBranch]) -> Result<(), FsmError> {
    let mut names = BTreeSet::new();
    for b in branches {
        if !names.insert(&b.label.name) {
            return Err(FsmError::DuplicateLabel {
                state,
                label: b.label.name.to_string(),
            });
        }
    }
    Ok(())
}

/// Walks a machine depth-first to rebuild a local type.
struct LocalRebuilder<'a> {
    outgoing: &'a BTreeMap<u32, Vec<&'a Transition>>,
    /// States on the current path, with whether a back edge reached them.
    on_path: BTreeMap<u32, bool>,
    /// Nodes built so far.
    nodes: usize,
    /// The bound on `nodes`.
    max_nodes: usize,
}

impl LocalRebuilder<'_> {
    fn local_of(&mut self, state: u32) -> Result<LocalType, FsmError> {
        with_headroom(|| {
            self.nodes += 1;
            if self.nodes > self.max_nodes {
                return Err(FsmError::TooLarge {
                    limit: self.max_nodes,
                });
            }
            if let Some(used) = self.on_path.get_mut(&state) {
                *used = true;
                return Ok(LocalType::var(state_variable(state)));
            }
            let edges = self.outgoing.get(&state).map(Vec::as_slice).unwrap_or(&[]);
            let Some(first) = edges.first() else {
                return Ok(LocalType::End);
            };
            let mut names = BTreeSet::new();
            for edge in edges {
                let same_kind = edge.action.direction == first.action.direction
                    && edge.action.partner == first.action.partner;
                if !same_kind {
                    return Err(FsmError::MixedState {
                        state,
                        first: first.action.to_string(),
                        second: edge.action.to_string(),
                    });
                }
                if !names.insert(&edge.action.label.name) {
                    return Err(FsmError::DuplicateLabel {
                        state,
                        label: edge.action.label.name.to_string(),
                    });
                }
            }
            self.on_path.insert(state, false);
            let mut branches = Vec::with_capacity(edges.len());
            for edge in edges {
                match self.local_of(edge.to) {
                    Ok(cont) => branches.push(LocalBranch::new(edge.action.label.clone(), cont)),
                    Err(e) => {
                        self.on_path.remove(&state);
                        return Err(e);
                    }
                }
            }
            let used = self.on_path.remove(&state).unwrap_or(false);
            let comm = LocalType::comm(
                first.action.direction,
                first.action.partner.clone(),
                branches,
            );
            Ok(if used {
                LocalType::rec(state_variable(state), comm)
            } else {
                comm
            })
        })
    }
}

/// The recursion variable that names a state in rebuilt local types.
fn state_variable(state: u32) -> String {
    format!("X{state}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn role(name: &str) -> Role {
        Role::new(name)
    }

    fn ping_pong() -> LocalType {
        LocalType::rec(
            "t",
            LocalType::send(
                "B",
                Label::unit("ping"),
                LocalType::recv("B", Label::unit("pong"), LocalType::var("t")),
            ),
        )
    }

    #[test]
    fn rec_binds_the_state_of_its_body() {
        let fsm = Fsm::from_local(&role("A"), &ping_pong()).unwrap();
        assert_eq!(fsm.states(), &[0, 1]);
        assert_eq!(fsm.initial(), 0);
        let edges: Vec<(u32, u32)> = fsm.transitions().iter().map(|t| (t.from, t.to)).collect();
        assert_eq!(edges, vec![(1, 0), (0, 1)]);
        assert_eq!(fsm.outgoing(0).count(), 1);
    }

    #[test]
    fn round_trip_gives_an_isomorphic_machine() {
        let t = LocalType::rec(
            "x",
            LocalType::branch(
                "C",
                [
                    (
                        Label::unit("more"),
                        LocalType::send("C", Label::unit("ok"), LocalType::var("x")),
                    ),
                    (Label::unit("stop"), LocalType::End),
                ],
            ),
        );
        let fsm = Fsm::from_local(&role("S"), &t).unwrap();
        let back = fsm.to_local().unwrap();
        let again = Fsm::from_local(&role("S"), &back).unwrap();
        assert!(fsm.isomorphic(&again));
        assert!(!fsm.isomorphic(&Fsm::from_local(&role("S"), &ping_pong()).unwrap()));
    }

    #[test]
    fn nested_recs_share_one_state_and_alias_outer_variables() {
        let t = LocalType::rec(
            "x",
            LocalType::rec(
                "y",
                LocalType::send(
                    "B",
                    Label::unit("a"),
                    LocalType::rec("z", LocalType::var("x")),
                ),
            ),
        );
        let fsm = Fsm::from_local(&role("A"), &t).unwrap();
        assert_eq!(fsm.states(), &[0]);
        assert_eq!(fsm.transitions()[0].to, 0);
    }

    #[test]
    fn conversion_errors_are_reported() {
        let check = |t: LocalType, expected: FsmError| {
            assert_eq!(Fsm::from_local(&role("A"), &t).unwrap_err(), expected);
        };
        check(
            LocalType::var("x"),
            FsmError::UnboundVariable { var: "x".into() },
        );
        check(
            LocalType::rec("x", LocalType::rec("y", LocalType::var("x"))),
            FsmError::UnguardedRecursion { var: "x".into() },
        );
        check(
            LocalType::Send {
                partner: role("B"),
                branches: vec![],
            },
            FsmError::EmptyChoice {
                direction: Direction::Send,
                partner: role("B"),
            },
        );
        check(
            LocalType::select(
                "B",
                [
                    (Label::unit("a"), LocalType::End),
                    (Label::unit("a"), LocalType::End),
                ],
            ),
            FsmError::DuplicateLabel {
                state: 0,
                label: "a".into(),
            },
        );
    }

    fn action(direction: Direction, partner: &str, label: &str) -> Action {
        Action {
            direction,
            partner: role(partner),
            label: Label::unit(label),
        }
    }

    #[test]
    fn machines_without_a_local_type_are_refused() {
        let edge = |from, to, a| Transition {
            from,
            to,
            action: a,
        };
        let mixed = Fsm::new(
            role("A"),
            vec![0, 1],
            0,
            vec![
                edge(0, 1, action(Direction::Send, "B", "a")),
                edge(0, 1, action(Direction::Recv, "B", "b")),
            ],
        )
        .unwrap();
        assert!(matches!(
            mixed.to_local(),
            Err(FsmError::MixedState { state: 0, .. })
        ));
        let duplicate = Fsm::new(
            role("A"),
            vec![0, 1, 2],
            0,
            vec![
                edge(0, 1, action(Direction::Send, "B", "a")),
                edge(0, 2, action(Direction::Send, "B", "a")),
            ],
        )
        .unwrap();
        assert!(matches!(
            duplicate.to_local(),
            Err(FsmError::DuplicateLabel { state: 0, .. })
        ));
        assert_eq!(
            Fsm::new(role("A"), vec![0], 7, vec![]).unwrap_err(),
            FsmError::UnknownInitialState { state: 7 }
        );
    }

    #[test]
    fn joining_choices_are_bounded() {
        // Forty diamonds in a row: 2^40 paths, far too many to unfold into a tree.
        let mut transitions = Vec::new();
        for i in 0..40u32 {
            for label in ["l", "r"] {
                transitions.push(Transition {
                    from: i,
                    to: i + 1,
                    action: action(Direction::Send, "B", label),
                });
            }
        }
        let fsm = Fsm::new(role("A"), vec![], 0, transitions).unwrap();
        assert_eq!(
            fsm.to_local_within(10_000).unwrap_err(),
            FsmError::TooLarge { limit: 10_000 }
        );
        let small = Fsm::new(role("A"), vec![], 0, fsm.transitions()[..8].to_vec()).unwrap();
        assert!(small.to_local_within(31).is_ok());
        assert!(small.to_local_within(30).is_err());
    }

    #[test]
    fn deep_types_convert_without_overflow() {
        let mut t = LocalType::End;
        for _ in 0..30_000 {
            t = LocalType::send("B", Label::unit("m"), t);
        }
        let fsm = Fsm::from_local(&role("A"), &t).unwrap();
        assert_eq!(fsm.states().len(), 30_001);
        assert_eq!(fsm.to_local().unwrap(), t);
    }
}
