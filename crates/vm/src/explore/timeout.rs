//! Receive timeouts as explored alternatives: a coroutine waiting in a
//! receive whose local type has a `timeout` branch (the `Timeout` label the
//! `.tell` `timeout` construct generates), or for a missable message (`or
//! missed`), may time out whenever nothing is queued on the edge it waits
//! on. Taking the branch is what a session deadline does to such a
//! coroutine (`fire_timeout`): no message is consumed, the destination
//! register gets `Unit`, the monitor and the pc move to the branch (past
//! the missed message, which is then owed). Cold code, off the run loop.

use crate::ids::{CoroId, SessionId};
use crate::machine::ProtocolMachine;
use telltale_compiler::{Instr, RoleId};

/// A coroutine that may time out now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutStep {
    /// Its slot (what [`ProtocolMachine::fire_receive_timeout`] takes).
    pub slot: u32,
    /// The coroutine.
    pub coro: CoroId,
    /// Its session.
    pub session: SessionId,
    /// Its role.
    pub role: RoleId,
    /// The role it waits on.
    pub from: RoleId,
}

impl ProtocolMachine {
    /// The coroutines, in slot order, waiting in a receive with a `timeout`
    /// branch while nothing is queued on the edge they wait on.
    pub fn timeout_steps(&self) -> Vec<TimeoutStep> {
        (0..self.coroutines.len() as u32)
            .filter_map(|slot| self.blocked_with_timeout(slot))
            .collect()
    }

    /// Whether the coroutine in `slot` may time out now, and on whom it
    /// waits.
    fn blocked_with_timeout(&self, slot: u32) -> Option<TimeoutStep> {
        let c = self.coroutines.get(slot as usize)?.as_ref()?;
        if c.status.is_terminal() {
            return None;
        }
        let program = &self.image.roles[usize::from(c.entry)].program;
        let from = match program.code.get(c.pc as usize)? {
            Instr::Receive { chan, .. } | Instr::Choose { chan, .. } => *chan,
            _ => return None,
        };
        let session = self.sessions.by_slot(c.session_slot)?;
        let empty = session
            .checked_edge_index(from, c.role)
            .map_or(true, |i| session.edges[i].buffer.is_empty());
        (empty && self.timeout_branch_of(c).is_some()).then_some(TimeoutStep {
            slot,
            coro: c.id,
            session: c.session,
            role: c.role,
            from,
        })
    }

    /// Times out the receive of the coroutine in `slot` (one of
    /// [`ProtocolMachine::timeout_steps`]): it takes its `timeout` branch,
    /// recorded as `TimeoutBranch`. False (and nothing changes) if it may
    /// not time out now.
    pub fn fire_receive_timeout(&mut self, slot: u32) -> bool {
        let Some(step) = self.blocked_with_timeout(slot) else {
            return false;
        };
        let Some(branch) = self
            .coroutines
            .get(slot as usize)
            .and_then(Option::as_ref)
            .and_then(|c| self.timeout_branch_of(c))
        else {
            return false;
        };
        self.clock += 1;
        self.steps += 1;
        self.take_timeout_branch(slot, step.from, branch);
        true
    }
}
