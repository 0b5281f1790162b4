//! The compact machine form both subtyping checks walk: states indexed from
//! zero, each either `end` or one communication with one partner.

use crate::fsm::{Fsm, FsmError};
use std::collections::{BTreeMap, BTreeSet};
use telltale_types::{Direction, Label, Role};

/// Interns role names so that a direction and a partner fit in one number.
#[derive(Default)]
pub(crate) struct RoleTable {
    roles: BTreeMap<Role, u32>,
}

impl RoleTable {
    fn index(&mut self, role: &Role) -> u32 {
        let next = u32::try_from(self.roles.len()).unwrap_or(u32::MAX);
        *self.roles.entry(role.clone()).or_insert(next)
    }

    /// How many distinct roles have been seen.
    pub(crate) fn len(&self) -> usize {
        self.roles.len()
    }
}

/// A direction together with a partner, packed as `partner * 2 + direction`.
pub(crate) type ActionClass = u32;

/// Packs a direction and an interned partner.
fn class_of(direction: Direction, partner: u32) -> ActionClass {
    partner.saturating_mul(2) + u32::from(direction == Direction::Recv)
}

/// Whether a class is a send.
pub(crate) fn is_send(class: ActionClass) -> bool {
    class % 2 == 0
}

/// One state of a machine.
pub(crate) enum Node {
    /// No more actions.
    End,
    /// One communication: its class and its labelled successors.
    Comm {
        /// Direction and partner.
        class: ActionClass,
        /// Each label with the index of its target state.
        branches: Vec<(Label, usize)>,
    },
}

/// A machine whose states are `0..nodes.len()`.
pub(crate) struct Machine {
    /// The states.
    pub(crate) nodes: Vec<Node>,
    /// The start state.
    pub(crate) initial: usize,
}

impl Machine {
    /// Converts an FSM, refusing states that no local type could have.
    pub(crate) fn from_fsm(fsm: &Fsm, roles: &mut RoleTable) -> Result<Machine, FsmError> {
        let index: BTreeMap<u32, usize> = fsm
            .states()
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i))
            .collect();
        let outgoing = fsm.outgoing_map();
        let mut nodes = Vec::with_capacity(index.len());
        for &state in fsm.states() {
            let edges = outgoing.get(&state).map(Vec::as_slice).unwrap_or(&[]);
            let Some(first) = edges.first() else {
                nodes.push(Node::End);
                continue;
            };
            let mut names = BTreeSet::new();
            let mut branches = Vec::with_capacity(edges.len());
            for edge in edges {
                if edge.action.direction != first.action.direction
                    || edge.action.partner != first.action.partner
                {
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
                // `Fsm::new` adds every state a transition mentions, so the target is indexed.
                let target = index.get(&edge.to).copied().unwrap_or(0);
                branches.push((edge.action.label.clone(), target));
            }
            let partner = roles.index(&first.action.partner);
            nodes.push(Node::Comm {
                class: class_of(first.action.direction, partner),
                branches,
            });
        }
        let initial = index.get(&fsm.initial()).copied().unwrap_or(0);
        Ok(Machine { nodes, initial })
    }

    /// For every state, the classes of actions the machine may still perform
    /// from it, as a bit set over `classes` classes.
    pub(crate) fn reachable_classes(&self, classes: usize) -> Vec<ClassSet> {
        let mut sets = vec![ClassSet::empty(classes); self.nodes.len()];
        let mut changed = true;
        while changed {
            changed = false;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                let Node::Comm { class, branches } = node else {
                    continue;
                };
                let mut set = sets[i].clone();
                set.insert(*class);
                for &(_, target) in branches {
                    set.union_with(&sets[target]);
                }
                if set != sets[i] {
                    sets[i] = set;
                    changed = true;
                }
            }
        }
        sets
    }
}

/// A set of action classes.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct ClassSet {
    words: Vec<u64>,
}

impl ClassSet {
    /// The empty set able to hold `classes` classes.
    pub(crate) fn empty(classes: usize) -> Self {
        ClassSet {
            words: vec![0; classes.div_ceil(64)],
        }
    }

    /// Adds a class, growing the set when needed.
    pub(crate) fn insert(&mut self, class: ActionClass) {
        let word = class as usize / 64;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << (class % 64);
    }

    /// Adds every class of `other`.
    pub(crate) fn union_with(&mut self, other: &ClassSet) {
        if other.words.len() > self.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
    }

    /// Whether every class of `self` is in `other`.
    pub(crate) fn is_subset(&self, other: &ClassSet) -> bool {
        self.words
            .iter()
            .enumerate()
            .all(|(i, w)| w & !other.words.get(i).copied().unwrap_or(0) == 0)
    }
}

/// The class count a role table needs.
pub(crate) fn class_count(roles: &RoleTable) -> usize {
    roles.len() * 2
}

/// Finds the target of the branch named like `label`, if any.
pub(crate) fn branch_named<'a>(
    branches: &'a [(Label, usize)],
    label: &Label,
) -> Option<&'a (Label, usize)> {
    branches.iter().find(|(l, _)| l.name == label.name)
}
