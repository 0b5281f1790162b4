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
//! - otherwise it enters its failure branch: `FailureBranchEntered` and
//!   `Faulted` with `Fault::TimedOut` (like a crash, the run goes on).
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
    /// Take the `timeout` branch.
    Branch {
        label: LabelId,
        next: telltale_compiler::StateId,
        pc: Pc,
        dst: Reg,
    },
    /// Fault with `TimedOut`.
    Fail,
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
        let mut woke = false;
        for slot in members {
            let Some((from, wake)) = self.timeout_wake(slot) else {
                continue;
            };
            woke = true;
            let role = self.coro_mut(slot).role;
            if let Some(edge) = self
                .sessions
                .by_slot_mut(sslot)
                .and_then(|s| s.edge_mut(from, role))
            {
                edge.recv_waiting = false;
            }
            match wake {
                Wake::Branch {
                    label,
                    next,
                    pc,
                    dst,
                } => {
                    let c = self.coro_mut(slot);
                    if let Some(r) = c.registers.get_mut(usize::from(dst)) {
                        *r = Value::Unit;
                    }
                    c.monitor_state = next;
                    c.pc = pc;
                    c.status = CoroStatus::Ready;
                    let coro = c.id;
                    self.obs.push(ObsEvent::TimeoutBranch {
                        tick,
                        session,
                        coro,
                        from,
                        label,
                    });
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

    /// The `timeout` branch of the receive `c` is at (its monitor state is
    /// a receive with a label named `timeout`, ASCII case ignored), if it
    /// has one: where `ProtocolMachine::fire_receive_timeout` takes it.
    pub(crate) fn timeout_branch_of(
        &self,
        c: &crate::coroutine::Coroutine,
    ) -> Option<(LabelId, telltale_compiler::StateId, Pc, Reg)> {
        match self.receive_wake(c) {
            Wake::Branch {
                label,
                next,
                pc,
                dst,
            } => Some((label, next, pc, dst)),
            Wake::Fail => None,
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
        let Some(t) = timeout else {
            return Wake::Fail;
        };
        let program = &self.image.roles[entry].program;
        let target = match program.code.get(c.pc as usize) {
            Some(Instr::Receive { dst, .. }) => Some((c.pc + 1, *dst)),
            Some(Instr::Choose { table, .. }) => {
                let table = &program.tables[usize::from(*table)];
                table.target(t.label).map(|pc| (pc, table.dst))
            }
            _ => None,
        };
        match target {
            Some((pc, dst)) => Wake::Branch {
                label: t.label,
                next: t.next,
                pc,
                dst,
            },
            None => Wake::Fail,
        }
    }
}
