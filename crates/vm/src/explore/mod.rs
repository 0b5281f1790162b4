//! Hooks for exhaustive exploration (`telltale-explorer`), kept off the
//! run loop's hot path: the steps enabled in a state, executing one chosen
//! step, and a canonical fingerprint of the state that determines the future.
//!
//! The explorer drives the machine step by step instead of through
//! [`ProtocolMachine::step_round`]: it never uses the ready queue, and a
//! step is enabled only when it can make progress (a receive whose buffer
//! holds a message, a send whose buffer has room), so blocking is never a
//! step of its own and `Ready` and `Blocked` describe the same explored state.
//! Cloning a machine ([`Clone`]) is how the explorer keeps a state.

mod clone_into;
mod fingerprint;
mod lie;
mod member_keys;
mod part_hashes;
mod permuted;
#[cfg(test)]
mod tests;
mod timeout;

use crate::buffer::Admission;
use crate::coroutine::CoroStatus;
use crate::effect::EffectHandler;
use crate::event::{MessageEvent, ObsEvent};
use crate::fault::ProtocolMachineError;
use crate::ids::{CoroId, SessionId};
use crate::machine::ProtocolMachine;
use telltale_compiler::{Instr, LabelId, RoleId};

pub(crate) use clone_into::copy_vec;
pub use clone_into::share;
pub use fingerprint::StateEncoder;
pub use timeout::TimeoutStep;

/// A directed edge of a session that a step reads or writes, for deciding
/// which steps are independent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeUse {
    /// The session.
    pub session: SessionId,
    /// The sending role.
    pub from: RoleId,
    /// The receiving role.
    pub to: RoleId,
    /// Whether the step enqueues on the edge (otherwise it dequeues).
    pub send: bool,
}

/// One step the machine can take in its current state: the next
/// instruction of one coroutine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnabledStep {
    /// The coroutine's slot (what [`ProtocolMachine::execute_step`] takes).
    pub slot: u32,
    /// The coroutine.
    pub coro: CoroId,
    /// Its session.
    pub session: SessionId,
    /// Its role.
    pub role: RoleId,
    /// The instruction it is about to execute.
    pub instr: Instr,
    /// The edge the instruction uses, for communication instructions.
    pub edge: Option<EdgeUse>,
    /// For an `Offer` the host decides: the labels it may pick, in table
    /// order (empty otherwise, including offers steered by an effect outcome).
    pub open_labels: Vec<LabelId>,
    /// For an effect call (`Invoke` of a declared operation): the
    /// operation's id in the image's effect table, how many outcome
    /// constructors it declares, and whether its `case` has a `Timeout`
    /// branch (the host may give up).
    pub effect: Option<EffectStep>,
    /// Whether the step touches only the coroutine itself, the one edge in
    /// `edge` and (an effect call) the host (no sessions opened or closed,
    /// no host guards, spawns or transfers): what static independence may
    /// assume.
    pub local: bool,
}

/// The effect call an enabled step makes: what a host may answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EffectStep {
    /// The operation's id (its index in the image's effect table).
    pub operation: u16,
    /// Outcome constructors the operation declares.
    pub outcomes: usize,
    /// Whether the call site's `case` has a `Timeout` branch.
    pub handles_timeout: bool,
}

/// Whether `instr` touches only its coroutine and at most one edge as
/// its sole sender or sole receiver (communication, register moves, jumps,
/// yields, halts, and effect calls, which reach the host as well: whether
/// the host's part is independent is the explorer's to decide): what static
/// independence may assume of a step. Opening or closing sessions, guards,
/// speculation, transfers and spawns are not.
pub fn is_local_instr(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::Send { .. }
            | Instr::Invoke { .. }
            | Instr::Offer { .. }
            | Instr::Receive { .. }
            | Instr::Choose { .. }
            | Instr::Set { .. }
            | Instr::Move { .. }
            | Instr::Jump { .. }
            | Instr::Yield
            | Instr::Halt
    )
}

impl ProtocolMachine {
    /// The steps enabled now, in coroutine-slot order: every coroutine that
    /// has not finished and whose next instruction can make progress.
    pub fn enabled_steps(&self) -> Vec<EnabledStep> {
        let mut steps = Vec::with_capacity(self.coroutines.len());
        for (slot, c) in self.coroutines.iter().enumerate() {
            let Some(c) = c else { continue };
            if c.status.is_terminal() {
                continue;
            }
            let program = &self.image.roles[usize::from(c.entry)].program;
            let Some(&instr) = program.code.get(c.pc as usize) else {
                // Executing it faults the coroutine: that is a step too.
                steps.push(self.step_of(slot as u32, c, Instr::Halt, None, Vec::new()));
                continue;
            };
            let session = self.sessions.by_slot(c.session_slot);
            let edge = |from: RoleId, to: RoleId| {
                session.and_then(|s| s.checked_edge_index(from, to).map(|i| &s.edges[i]))
            };
            let (edge_use, enabled, open) = match instr {
                Instr::Send { chan, .. } | Instr::Offer { chan, .. } => {
                    let room = edge(c.role, chan).map_or(true, |e| {
                        !e.partitioned
                            && e.buffer.admission(&self.config.buffer) != Admission::Block
                    });
                    let open = match instr {
                        Instr::Offer { table, .. } => program
                            .tables
                            .get(usize::from(table))
                            .filter(|t| t.steer.is_none())
                            .map(|t| t.labels.clone())
                            .unwrap_or_default(),
                        _ => Vec::new(),
                    };
                    (Some((c.role, chan, true)), room, open)
                }
                Instr::Receive { chan, .. } | Instr::Choose { chan, .. } => {
                    let queued = edge(chan, c.role).map_or(true, |e| !e.buffer.is_empty());
                    (Some((chan, c.role, false)), queued, Vec::new())
                }
                _ => (None, true, Vec::new()),
            };
            if !enabled {
                continue;
            }
            let edge_use = edge_use.map(|(from, to, send)| EdgeUse {
                session: c.session,
                from,
                to,
                send,
            });
            steps.push(self.step_of(slot as u32, c, instr, edge_use, open));
        }
        steps
    }

    fn step_of(
        &self,
        slot: u32,
        c: &crate::coroutine::Coroutine,
        instr: Instr,
        edge: Option<EdgeUse>,
        open_labels: Vec<LabelId>,
    ) -> EnabledStep {
        let effect = match instr {
            Instr::Invoke { action, .. } => {
                let program = &self.image.roles[usize::from(c.entry)].program;
                let effects = &self.image.effects;
                program
                    .invocations
                    .get(usize::from(action))
                    .and_then(|inv| effects.sites.get(usize::from(inv.site)))
                    .and_then(|site| {
                        effects.operation_of(site).map(|op| EffectStep {
                            operation: site.operation,
                            outcomes: op.outcomes.len(),
                            handles_timeout: site.handles_timeout(),
                        })
                    })
            }
            _ => None,
        };
        let local = c.ext.is_none() && is_local_instr(&instr);
        EnabledStep {
            slot,
            coro: c.id,
            session: c.session,
            role: c.role,
            instr,
            edge,
            open_labels,
            effect,
            local,
        }
    }

    /// Executes the next instruction of the coroutine in `slot` (one of
    /// [`ProtocolMachine::enabled_steps`]) with `handler`, as one scheduler
    /// round would. A fault of the coroutine is returned as the error and
    /// leaves the machine in the state after the fault (the coroutine
    /// `Faulted`), so exploration can go on from it.
    pub fn execute_step(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
    ) -> Result<(), ProtocolMachineError> {
        self.poll_topology = false;
        self.poll_hints = handler.gives_output_hints();
        self.clock += 1;
        if !self.orphaned_guards.is_empty() {
            self.release_orphaned_guards(handler)?;
        }
        let Some(c) = self
            .coroutines
            .get_mut(slot as usize)
            .and_then(Option::as_mut)
        else {
            return Ok(());
        };
        if c.status.is_terminal() {
            return Ok(());
        }
        c.status = CoroStatus::Ready;
        // Marked queued so that the ready queue, which exploration does
        // not use, never grows.
        c.queued = true;
        self.steps += 1;
        let outcome = self.exec_instr(slot, handler);
        let result = self.commit_outcome(slot, outcome);
        self.wake_senders.clear();
        self.wake_receivers.clear();
        result
    }

    /// Whether the state is final: every coroutine has finished.
    pub fn is_final(&self) -> bool {
        self.live == 0
    }

    /// The ids of coroutines stopped by a fault, in slot order.
    pub fn faulted_coroutines(&self) -> Vec<CoroId> {
        self.coroutines
            .iter()
            .flatten()
            .filter(|c| matches!(c.status, CoroStatus::Faulted(_)))
            .map(|c| c.id)
            .collect()
    }

    /// The number of messages queued in every buffer, and the fullest
    /// buffer's length: orphan messages and the buffer bound read these.
    pub fn queued_messages(&self) -> (usize, usize) {
        let mut total = 0;
        let mut fullest = 0;
        for s in self.sessions.slots.iter().flatten() {
            for e in s.edges.iter() {
                total += e.buffer.len();
                fullest = fullest.max(e.buffer.len());
            }
        }
        (total, fullest)
    }

    /// The directed edges holding at least one queued message, as
    /// `(session, from, to)` in session-slot and edge order: where the
    /// explorer may lose a message.
    pub fn edges_with_messages(&self) -> Vec<(SessionId, RoleId, RoleId)> {
        let mut edges = Vec::new();
        for s in self.sessions.slots.iter().flatten() {
            let width = s.width.max(1);
            for (i, e) in s.edges.indexed() {
                if !e.buffer.is_empty() {
                    let (from, to) = (i / width, i % width);
                    if let (Ok(from), Ok(to)) = (RoleId::try_from(from), RoleId::try_from(to)) {
                        edges.push((s.id, from, to));
                    }
                }
            }
        }
        edges
    }

    /// Loses the oldest message queued from `from` to `to` in `session` (a
    /// fault the explorer injects: the message was lost in transit),
    /// recorded as `Lost` when traces are kept. False if there is none.
    pub fn lose_oldest_message(&mut self, session: SessionId, from: RoleId, to: RoleId) -> bool {
        let tick = self.clock;
        let Some(envelope) = self
            .sessions
            .edge_mut(session, from, to)
            .and_then(|e| e.buffer.pop())
        else {
            return false;
        };
        if self.obs.is_recording() {
            self.obs.push(ObsEvent::Lost(MessageEvent {
                tick,
                session,
                from,
                to,
                label: envelope.label,
                seq: envelope.seq,
                payload: envelope.payload,
            }));
        }
        true
    }
}
