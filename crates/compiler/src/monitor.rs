//! Monitor tables: a local type compiled once to states and transitions.
//!
//! The machine keeps one state index per endpoint and checks every
//! communication with an integer lookup in this table, instead of walking or
//! cloning the local type at run time.

use crate::compile::{check_branches, check_guarded, CompileError};
use crate::instr::{LabelId, RoleId};
use crate::symbols::Interner;
use std::collections::VecDeque;
use telltale_types::stack::with_headroom;
use telltale_types::LocalType;

/// Index of a monitor state.
pub type StateId = u32;

/// The state every finished endpoint is in.
pub const END_STATE: StateId = 0;

/// What an endpoint in a state must do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    /// Send one of the transition labels to the partner.
    Send,
    /// Receive one of the transition labels from the partner.
    Recv,
    /// Nothing: the endpoint is finished.
    End,
}

/// One monitor state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonitorState {
    /// Send, receive or end.
    pub kind: StateKind,
    /// The partner role (meaningless at `End`).
    pub partner: RoleId,
    /// Index of the first outgoing transition.
    pub first: u32,
    /// Number of outgoing transitions.
    pub len: u32,
    /// Fewest communications from here to `end` (`u32::MAX` if unreachable).
    pub distance_to_end: u32,
    /// The label whose transition gets closest to `end`, if any.
    pub exit_label: Option<LabelId>,
}

/// A transition: the label taken and the state reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The message label.
    pub label: LabelId,
    /// The state after the message.
    pub next: StateId,
}

/// The compiled automaton of one local type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorTable {
    /// States by index; index 0 is `end`.
    pub states: Vec<MonitorState>,
    /// Transitions, grouped contiguously per state.
    pub transitions: Vec<Transition>,
    /// The state of a fresh endpoint.
    pub initial: StateId,
}

impl MonitorTable {
    /// Compiles `local` into a table, interning symbols in `interner`.
    pub fn build(local: &LocalType, interner: &mut Interner) -> Result<Self, CompileError> {
        let mut builder = Builder {
            interner,
            table: MonitorTable {
                states: vec![MonitorState {
                    kind: StateKind::End,
                    partner: 0,
                    first: 0,
                    len: 0,
                    distance_to_end: 0,
                    exit_label: None,
                }],
                transitions: Vec::new(),
                initial: END_STATE,
            },
            env: Vec::new(),
        };
        let initial = builder.build(local)?;
        let mut table = builder.table;
        table.initial = initial;
        table.compute_distances();
        Ok(table)
    }

    /// The state with the given index.
    #[inline]
    pub fn state(&self, id: StateId) -> &MonitorState {
        &self.states[id as usize]
    }

    /// The outgoing transitions of a state.
    #[inline]
    pub fn transitions_of(&self, state: &MonitorState) -> &[Transition] {
        let first = state.first as usize;
        &self.transitions[first..first + state.len as usize]
    }

    /// The state reached from `id` by `label`, if the label is allowed there.
    #[inline]
    pub fn step(&self, id: StateId, label: LabelId) -> Option<StateId> {
        let state = self.state(id);
        self.transitions_of(state)
            .iter()
            .find(|t| t.label == label)
            .map(|t| t.next)
    }

    /// Every `(kind, partner)` pair the type communicates on.
    pub fn edges(&self) -> impl Iterator<Item = (StateKind, RoleId)> + '_ {
        self.states
            .iter()
            .filter(|s| s.kind != StateKind::End)
            .map(|s| (s.kind, s.partner))
    }

    fn compute_distances(&mut self) {
        let n = self.states.len();
        let mut preds: Vec<Vec<StateId>> = vec![Vec::new(); n];
        for (i, s) in self.states.iter().enumerate() {
            let first = s.first as usize;
            for t in &self.transitions[first..first + s.len as usize] {
                preds[t.next as usize].push(i as StateId);
            }
        }
        let mut dist = vec![u32::MAX; n];
        dist[END_STATE as usize] = 0;
        let mut queue = VecDeque::from([END_STATE]);
        while let Some(s) = queue.pop_front() {
            let d = dist[s as usize];
            for &p in &preds[s as usize] {
                if dist[p as usize] == u32::MAX {
                    dist[p as usize] = d + 1;
                    queue.push_back(p);
                }
            }
        }
        for i in 0..n {
            let s = self.states[i];
            let first = s.first as usize;
            let exit = self.transitions[first..first + s.len as usize]
                .iter()
                .min_by_key(|t| dist[t.next as usize])
                .map(|t| t.label);
            self.states[i].distance_to_end = dist[i];
            self.states[i].exit_label = exit;
        }
    }
}

struct Builder<'i> {
    interner: &'i mut Interner,
    table: MonitorTable,
    env: Vec<(String, StateId)>,
}

impl Builder<'_> {
    fn lookup(&self, var: &str) -> Result<StateId, CompileError> {
        self.env
            .iter()
            .rev()
            .find(|(v, _)| v == var)
            .map(|(_, s)| *s)
            .ok_or_else(|| CompileError::UnboundVariable {
                var: var.to_string(),
            })
    }

    fn new_state(&mut self) -> Result<StateId, CompileError> {
        let id = StateId::try_from(self.table.states.len())
            .map_err(|_| CompileError::TooLarge("more than 2^32 monitor states".into()))?;
        self.table.states.push(MonitorState {
            kind: StateKind::End,
            partner: 0,
            first: 0,
            len: 0,
            distance_to_end: u32::MAX,
            exit_label: None,
        });
        Ok(id)
    }

    fn build(&mut self, local: &LocalType) -> Result<StateId, CompileError> {
        with_headroom(|| match local {
            LocalType::End => Ok(END_STATE),
            LocalType::Var(v) => self.lookup(v),
            LocalType::Rec { var, body } => {
                check_guarded(var, body)?;
                let mut vars = vec![var.clone()];
                let mut core: &LocalType = body;
                while let LocalType::Rec { var, body } = core {
                    vars.push(var.clone());
                    core = body;
                }
                match core {
                    LocalType::End => Ok(END_STATE),
                    LocalType::Var(v) => self.lookup(v),
                    _ => {
                        let state = self.new_state()?;
                        let depth = self.env.len();
                        self.env.extend(vars.into_iter().map(|v| (v, state)));
                        let result = self.fill(state, core);
                        self.env.truncate(depth);
                        result.map(|()| state)
                    }
                }
            }
            LocalType::Send { .. } | LocalType::Recv { .. } => {
                let state = self.new_state()?;
                self.fill(state, local)?;
                Ok(state)
            }
        })
    }

    fn fill(&mut self, state: StateId, comm: &LocalType) -> Result<(), CompileError> {
        let Some((direction, partner, branches)) = comm.as_comm() else {
            return Ok(());
        };
        check_branches(partner, branches)?;
        let partner_id = self.interner.role(partner)?;
        let mut outgoing = Vec::with_capacity(branches.len());
        for b in branches {
            let label = self.interner.label(&b.label)?;
            let next = self.build(&b.continuation)?;
            outgoing.push(Transition { label, next });
        }
        let first = u32::try_from(self.table.transitions.len())
            .map_err(|_| CompileError::TooLarge("more than 2^32 transitions".into()))?;
        self.table.transitions.extend(outgoing);
        let s = &mut self.table.states[state as usize];
        s.kind = match direction {
            telltale_types::Direction::Send => StateKind::Send,
            telltale_types::Direction::Recv => StateKind::Recv,
        };
        s.partner = partner_id;
        s.first = first;
        s.len = branches.len() as u32;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_types::Label;

    #[test]
    fn loops_close_on_their_head() {
        let t = LocalType::rec(
            "t",
            LocalType::select(
                "B",
                [
                    (
                        Label::unit("more"),
                        LocalType::recv("B", Label::unit("ack"), LocalType::var("t")),
                    ),
                    (Label::unit("stop"), LocalType::End),
                ],
            ),
        );
        let mut interner = Interner::new();
        let m = MonitorTable::build(&t, &mut interner).unwrap();
        let more = interner
            .symbols()
            .labels
            .iter()
            .position(|l| l.name() == "more")
            .unwrap() as u16;
        let ack = interner
            .symbols()
            .labels
            .iter()
            .position(|l| l.name() == "ack")
            .unwrap() as u16;
        let stop = interner
            .symbols()
            .labels
            .iter()
            .position(|l| l.name() == "stop")
            .unwrap() as u16;
        let s0 = m.initial;
        let s1 = m.step(s0, more).unwrap();
        assert_eq!(m.state(s1).kind, StateKind::Recv);
        assert_eq!(m.step(s1, ack), Some(s0));
        assert_eq!(m.step(s0, stop), Some(END_STATE));
        assert_eq!(m.step(s0, ack), None);
        assert_eq!(m.state(s0).exit_label, Some(stop));
        assert_eq!(m.state(s0).distance_to_end, 1);
    }

    #[test]
    fn rec_end_is_end() {
        let m = MonitorTable::build(&LocalType::rec("t", LocalType::End), &mut Interner::new())
            .unwrap();
        assert_eq!(m.initial, END_STATE);
    }
}
