//! Session timeouts (`TopologyEvent::Timeout`).
//!
//! At the deadline, if the session is still active, the machine records
//! `TimeoutIssued`, then visits the session's coroutines in role order.
//! Each one blocked on a receive is woken:
//! - if its current monitor state is a receive with a label named
//!   `timeout` (ASCII case ignored, so the `Timeout` branch the `.tell`
//!   language generates counts), it takes that branch without consuming a
//!   message: the monitor advances on the label, the instruction's
//!   destination register gets `Unit`, the pc moves to the branch, and
//!   `TimeoutBranch` is recorded;
//! - if it waits for a missable message (`or missed`: a receive of one
//!   label the protocol's side table lists), it misses it: the same as a
//!   branch to the next instruction on that label, recorded as
//!   `TimeoutBranch` with the missed label, and the sender's message is
//!   owed to the edge, to be discarded when it arrives (`missed.rs`);
//! - otherwise it enters its failure branch: `FailureBranchEntered` and
//!   `Faulted` with `Fault::TimedOut` (like a crash, the run goes on).
//!
//! When some coroutine waits for a missable message, the timeout releases
//! only those waits: messages that may be missed give way before any
//! `timeout` branch is taken or any wait fails (a prover that misses a
//! silent peer's vote does not also give up on its leader). A timeout acts
//! on the receives waiting when it fires: a coroutine that waits again
//! later (for a live peer's message still on its way) waits until it
//! arrives or the next timeout.
//!
//! If no coroutine of the session was blocked on a receive, the session is
//! cancelled (`Cancelled`), as a deadline on a session nobody waits in.

use crate::coroutine::{BlockReason, CoroStatus};
use crate::event::ObsEvent;
use crate::fault::Fault;
use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use crate::session::SessionStatus;
use std::sync::Arc;
use telltale_compiler::{Instr, LabelId, Pc, Reg, RoleId, StateKind, Value};

/// What a timeout does to one waiting coroutine.
enum Wake {
    /// Take the `timeout` branch, or miss the message.
    Branch(TimeoutBranch),
    /// Fault with `TimedOut`.
    Fail,
}

/// Where a timed-out receive goes: the label it takes (`timeout`, or the
/// missed message's), the monitor state and pc after it, the register that
/// gets `Unit`, and whether a message was missed (and is owed).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimeoutBranch {
    pub(crate) label: LabelId,
    pub(crate) next: telltale_compiler::StateId,
    pub(crate) pc: Pc,
    pub(crate) dst: Reg,
    pub(crate) missed: bool,
}

impl ProtocolMachine {
    /// Fires the timeout of `session` (its deadline has passed).
    #[cold]
    pub(crate) fn fire_timeout(&mut self, session: SessionId) {
        let Some(sslot) = self.sessions.slot(session) else {
            return;
        };
        let Some(s) = self.sessions.by_slot(sslot) else {
            return;
        };
        if s.status != SessionStatus::Active {
            return;
        }
        let tick = self.clock;
        self.obs.push(ObsEvent::TimeoutIssued { tick, session });
        let members: Vec<u32> = s.member_slots().collect();
        let wakes: Vec<(u32, RoleId, Wake)> = members
            .into_iter()
            .filter_map(|slot| {
                self.timeout_wake(slot)
                    .map(|(from, wake)| (slot, from, wake))
            })
            .collect();
        // Waits for missable messages give way first: when there are any,
        // the timeout releases only those.
        let soft = wakes
            .iter()
            .any(|(_, _, w)| matches!(w, Wake::Branch(b) if b.missed));
        let woke = !wakes.is_empty();
        for (slot, from, wake) in wakes {
            if soft && !matches!(&wake, Wake::Branch(b) if b.missed) {
                continue;
            }
            let role = self.coro_mut(slot).role;
            match wake {
                Wake::Branch(branch) => {
                    self.take_timeout_branch(slot, from, branch);
                    self.enqueue(slot);
                }
                Wake::Fail => {
                    let fault = Arc::new(Fault::TimedOut {
                        session,
                        role: self.image.symbols.role_name(role),
                        waiting_on: self.image.symbols.role_name(from),
                    });
                    self.fault_running(slot, session, fault);
                }
            }
        }
        if !woke {
            let _ = self.cancel_session(session);
        }
    }

    /// If the coroutine in `slot` is blocked on a receive, the role it
    /// waits on and what the timeout does to it.
    fn timeout_wake(&self, slot: u32) -> Option<(RoleId, Wake)> {
        let c = self.coroutines.get(slot as usize)?.as_ref()?;
        let CoroStatus::Blocked(BlockReason::Recv { from }) = c.status else {
            return None;
        };
        Some((from, self.receive_wake(c)))
    }

    /// Where the receive `c` is at goes when it times out: its `timeout`
    /// branch (its monitor state is a receive with a label named
    /// `timeout`, ASCII case ignored), or past its missable message; `None`
    /// when it would fail. What `fire_timeout` and the explorer's
    /// `fire_receive_timeout` take.
    pub(crate) fn timeout_branch_of(
        &self,
        c: &crate::coroutine::Coroutine,
    ) -> Option<TimeoutBranch> {
        match self.receive_wake(c) {
            Wake::Branch(branch) => Some(branch),
            Wake::Fail => None,
        }
    }

    /// Takes `branch` for the coroutine in `slot`, waiting on `from`: no
    /// message is consumed, the destination register gets `Unit`, the
    /// monitor and the pc move on; a missed message is owed to the edge.
    /// Recorded as `TimeoutBranch`; the coroutine is left `Ready`.
    pub(crate) fn take_timeout_branch(&mut self, slot: u32, from: RoleId, branch: TimeoutBranch) {
        let tick = self.clock;
        let c = self.coro_mut(slot);
        if let Some(r) = c.registers.get_mut(usize::from(branch.dst)) {
            *r = Value::Unit;
        }
        c.monitor_state = branch.next;
        c.pc = branch.pc;
        c.status = CoroStatus::Ready;
        let (coro, session, sslot, role) = (c.id, c.session, c.session_slot, c.role);
        if let Some(edge) = self
            .sessions
            .by_slot_mut(sslot)
            .and_then(|s| s.edge_mut(from, role))
        {
            edge.recv_waiting = false;
            if branch.missed {
                edge.late_owed.push(branch.label);
            }
        }
        if self.obs.is_recording() {
            self.obs.push(ObsEvent::TimeoutBranch {
                tick,
                session,
                coro,
                from,
                label: branch.label,
            });
        }
    }

    /// What a timeout does to `c`, waiting in a receive.
    fn receive_wake(&self, c: &crate::coroutine::Coroutine) -> Wake {
        let entry = usize::from(c.entry);
        let monitor = &self.monitors[entry];
        let state = monitor.state(c.monitor_state);
        if state.kind != StateKind::Recv {
            return Wake::Fail;
        }
        let symbols = &self.image.symbols;
        let timeout = monitor.transitions_of(state).iter().find(|t| {
            symbols
                .label(t.label)
                .is_some_and(|l| l.name().eq_ignore_ascii_case("timeout"))
        });
        let program = &self.image.roles[entry].program;
        let instr = program.code.get(c.pc as usize);
        let Some(t) = timeout else {
            return match (instr, monitor.transitions_of(state)) {
                (Some(Instr::Receive { chan, dst }), [only])
                    if self.is_missable(*chan, c.role, only.label) =>
                {
                    Wake::Branch(TimeoutBranch {
                        label: only.label,
                        next: only.next,
                        pc: c.pc + 1,
                        dst: *dst,
                        missed: true,
                    })
                }
                _ => Wake::Fail,
            };
        };
        let target = match instr {
            Some(Instr::Receive { dst, .. }) => Some((c.pc + 1, *dst)),
            Some(Instr::Choose { table, .. }) => {
                let table = &program.tables[usize::from(*table)];
                table.target(t.label).map(|pc| (pc, table.dst))
            }
            _ => None,
        };
        match target {
            Some((pc, dst)) => Wake::Branch(TimeoutBranch {
                label: t.label,
                next: t.next,
                pc,
                dst,
                missed: false,
            }),
            None => Wake::Fail,
        }
    }

    /// Whether `label` messages from `from` to `to` may be missed (the
    /// protocol's side table, by name).
    pub(crate) fn is_missable(&self, from: RoleId, to: RoleId, label: LabelId) -> bool {
        let effects = &self.image.effects;
        if effects.missable.is_empty() {
            return false;
        }
        let symbols = &self.image.symbols;
        match (symbols.role(from), symbols.role(to), symbols.label(label)) {
            (Some(from), Some(to), Some(label)) => {
                effects.is_missable(from.as_str(), to.as_str(), label.name())
            }
            _ => false,
        }
    }
}
