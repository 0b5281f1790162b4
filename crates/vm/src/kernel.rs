//! One scheduler round, and the run loops built on it.
//!
//! A round does, in this order: advance the clock; release the guards of
//! coroutines that ended holding them; stop if everything is
//! done; ingest the handler's topology events (sorted by a deterministic
//! key); prune expired timeouts; unblock senders whose buffers have room;
//! unblock receivers whose buffers have data; evaluate progress contracts;
//! pick ready coroutines by the scheduling policy; execute one instruction
//! each; then reschedule, block, finish or fault them, recording the events.

use crate::coroutine::CoroStatus;
use crate::effect::error::classify_effect_error_owned;
use crate::effect::trace::{EffectKind, EffectOutcome, EffectTraceEntry};
use crate::effect::{EffectContext, EffectHandler, TopologyInput};
use crate::event::ObsEvent;
use crate::exec::{Exec, Trap};
use crate::fault::{Fault, ProtocolMachineError};
use crate::machine::ProtocolMachine;
use crate::topology::TopologyEvent;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use telltale_compiler::Instr;

/// The result of one round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepResult {
    /// Work remains.
    Continue,
    /// Every coroutine has finished.
    AllDone,
    /// Coroutines remain but none can run.
    Stuck,
}

/// The result of a run loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    /// Every coroutine has finished.
    AllDone,
    /// Coroutines remain but none can run.
    Stuck,
    /// The step or round budget ran out first.
    BudgetExhausted,
}

impl ProtocolMachine {
    /// Runs one round that executes at most one instruction.
    pub fn step(
        &mut self,
        handler: &dyn EffectHandler,
    ) -> Result<StepResult, ProtocolMachineError> {
        self.step_round(handler, 1)
    }

    /// Runs one round that executes one instruction in each of up to `n`
    /// ready coroutines.
    pub fn step_round(
        &mut self,
        handler: &dyn EffectHandler,
        n: usize,
    ) -> Result<StepResult, ProtocolMachineError> {
        self.learn_handler(handler);
        self.round(handler, n)
    }

    /// Asks the handler which optional callbacks it uses.
    fn learn_handler(&mut self, handler: &dyn EffectHandler) {
        self.poll_topology = handler.polls_topology();
        self.poll_hints = handler.gives_output_hints();
    }

    /// One round (see [`ProtocolMachine::step_round`]); inlined into the
    /// run loop so that a round costs no call frame.
    #[inline(always)]
    fn round(
        &mut self,
        handler: &dyn EffectHandler,
        n: usize,
    ) -> Result<StepResult, ProtocolMachineError> {
        if n == 0 {
            return Err(ProtocolMachineError::InvalidConcurrency { n });
        }
        self.clock += 1;
        if !self.orphaned_guards.is_empty() {
            self.release_orphaned_guards(handler)?;
        }
        if self.live == 0 {
            return Ok(StepResult::AllDone);
        }
        if self.config.host_contract_assertions {
            self.check_handler_identity(handler)?;
        }
        self.ingest_topology_events(handler)?;
        self.prune_expired_timeouts();
        self.try_unblock_senders();
        self.try_unblock_receivers();
        self.evaluate_progress_contracts();
        let mut picked = 0;
        while picked < n {
            let Some(slot) = self.pick_ready() else {
                break;
            };
            picked += 1;
            self.steps += 1;
            let outcome = self.exec_instr(slot, handler);
            self.commit_outcome(slot, outcome)?;
        }
        if picked == 0 {
            return Ok(if self.live == 0 {
                StepResult::AllDone
            } else {
                StepResult::Stuck
            });
        }
        Ok(if self.live == 0 {
            StepResult::AllDone
        } else {
            StepResult::Continue
        })
    }

    /// Runs rounds of one instruction until done, stuck, a fault, or
    /// `max_steps` rounds.
    pub fn run(
        &mut self,
        handler: &dyn EffectHandler,
        max_steps: usize,
    ) -> Result<RunStatus, ProtocolMachineError> {
        self.run_concurrent(handler, max_steps, 1)
    }

    /// Runs rounds of up to `n` instructions until done, stuck, a fault, or
    /// `max_rounds` rounds.
    pub fn run_concurrent(
        &mut self,
        handler: &dyn EffectHandler,
        max_rounds: usize,
        n: usize,
    ) -> Result<RunStatus, ProtocolMachineError> {
        self.learn_handler(handler);
        for _ in 0..max_rounds {
            match self.round(handler, n)? {
                StepResult::Continue => {}
                StepResult::AllDone => return Ok(RunStatus::AllDone),
                StepResult::Stuck => return Ok(RunStatus::Stuck),
            }
        }
        Ok(if self.live == 0 {
            RunStatus::AllDone
        } else {
            RunStatus::BudgetExhausted
        })
    }

    fn pick_ready(&mut self) -> Option<u32> {
        while let Some(slot) = self.ready.pop() {
            if let Some(c) = self
                .coroutines
                .get_mut(slot as usize)
                .and_then(Option::as_mut)
            {
                c.queued = false;
                if matches!(c.status, CoroStatus::Ready) {
                    return Some(slot);
                }
            }
        }
        None
    }

    pub(crate) fn commit_outcome(
        &mut self,
        slot: u32,
        outcome: Result<Exec, Trap>,
    ) -> Result<(), ProtocolMachineError> {
        let tick = self.clock;
        let Some(c) = self
            .coroutines
            .get_mut(slot as usize)
            .and_then(Option::as_mut)
        else {
            return Ok(());
        };
        let coro = c.id;
        match outcome {
            Ok(Exec::Continue) => {
                if self.config.thread_jumps {
                    let code = &self.image.roles[usize::from(c.entry)].program.code;
                    if let Some(Instr::Jump { target }) = code.get(c.pc as usize) {
                        c.pc = *target;
                    }
                }
                let (prio, progress) = (c.priority, c.progress_tokens > 0);
                if matches!(c.status, CoroStatus::Ready) && !c.queued {
                    c.queued = true;
                    self.ready.reschedule(slot, prio, progress);
                }
            }
            Ok(Exec::Yielded) => {
                if matches!(c.status, CoroStatus::Ready) {
                    self.obs.push(ObsEvent::Yielded { tick, coro });
                    self.enqueue(slot);
                }
            }
            Ok(Exec::Blocked(reason)) => {
                c.status = CoroStatus::Blocked(reason);
                self.obs.push(ObsEvent::Blocked { tick, coro, reason });
            }
            Ok(Exec::Halted) => {
                if !c.status.is_terminal() {
                    c.status = CoroStatus::Done;
                    self.live -= 1;
                }
                self.obs.push(ObsEvent::Halted { tick, coro });
            }
            Err(Trap(fault)) => {
                let session = c.session;
                let fault: Arc<Fault> = Arc::from(fault);
                if !c.status.is_terminal() {
                    self.live -= 1;
                }
                c.status = CoroStatus::Faulted(fault.clone());
                self.record_fault(session, coro, &fault);
                return Err(ProtocolMachineError::Fault {
                    coro,
                    session,
                    fault: (*fault).clone(),
                });
            }
        }
        Ok(())
    }

    #[cold]
    fn record_fault(&mut self, session: u64, coro: u32, fault: &Arc<Fault>) {
        let tick = self.clock;
        self.obs.push(ObsEvent::FailureBranchEntered {
            tick,
            session,
            coro,
            fault: fault.clone(),
        });
        self.obs.push(ObsEvent::Faulted {
            tick,
            coro,
            fault: fault.clone(),
        });
        if let Some(&slot) = self.coro_index.get(&coro) {
            self.orphan_guards(slot);
        }
    }

    #[cold]
    fn check_handler_identity(
        &mut self,
        handler: &dyn EffectHandler,
    ) -> Result<(), ProtocolMachineError> {
        let id = handler.handler_identity();
        match &self.handler_identity {
            None => {
                self.handler_identity = Some(id.to_string());
                Ok(())
            }
            Some(known) if known == id => Ok(()),
            Some(known) => Err(ProtocolMachineError::HostContract(
                crate::host_contract::HostContractViolation::HandlerIdentityChanged {
                    tick: self.clock,
                    before: known.clone(),
                    after: id.to_string(),
                },
            )),
        }
    }

    fn ingest_topology_events(
        &mut self,
        handler: &dyn EffectHandler,
    ) -> Result<(), ProtocolMachineError> {
        if !self.poll_topology {
            return Ok(());
        }
        let tick = self.clock;
        let mut events = handler
            .topology_events(&TopologyInput { tick })
            .map_err(|e| ProtocolMachineError::Topology(classify_effect_error_owned(e)))?;
        if events.is_empty() {
            return Ok(());
        }
        self.apply_topology(events.as_mut_slice(), tick)
    }

    #[cold]
    fn apply_topology(
        &mut self,
        events: &mut [TopologyEvent],
        tick: u64,
    ) -> Result<(), ProtocolMachineError> {
        if self.config.host_contract_assertions {
            crate::host_contract::check_topology_order(events, tick)
                .map_err(ProtocolMachineError::HostContract)?;
        }
        events.sort();
        if self.effects.is_recording()
            && self.config.effect_trace_capture_mode != crate::config::EffectTraceCaptureMode::Off
        {
            self.effects.push(EffectTraceEntry {
                ctx: EffectContext {
                    tick,
                    session: 0,
                    coro: 0,
                    role: 0,
                },
                kind: EffectKind::Topology,
                input: None,
                outcome: EffectOutcome::Topology(events.to_vec()),
            });
        }
        for event in events.iter() {
            self.obs.push(ObsEvent::Topology {
                tick,
                event: event.clone(),
            });
            match *event {
                TopologyEvent::Crash { session, role } => self.crash(session, role),
                TopologyEvent::Partition { session, from, to } => {
                    if let Some(edge) = self.sessions.edge_mut(session, from, to) {
                        edge.partitioned = true;
                    }
                }
                TopologyEvent::Heal { session, from, to } => {
                    let Some(sslot) = self.sessions.slot(session) else {
                        continue;
                    };
                    if let Some(s) = self.sessions.by_slot_mut(sslot) {
                        let sender = s.slot_of(from);
                        if let Some(edge) = s.edge_mut(from, to) {
                            edge.partitioned = false;
                            if edge.send_waiting {
                                edge.send_waiting = false;
                                if let Some(slot) = sender {
                                    self.wake_senders.push(slot);
                                }
                            }
                        }
                    }
                }
                TopologyEvent::Timeout {
                    session,
                    after_ticks,
                } => {
                    self.timeouts
                        .insert((tick.saturating_add(after_ticks), session));
                }
                TopologyEvent::Cancel { session } => {
                    let _ = self.cancel_session(session);
                }
                TopologyEvent::Corrupt { session, from, to } => {
                    self.corrupt_in_flight(session, from, to);
                }
            }
        }
        Ok(())
    }

    /// Faults every running coroutine of `role` in `session`: the role's
    /// own coroutine, the ones it spawned, and a transfer's old owner.
    fn crash(&mut self, session: u64, role: u16) {
        let Some(s) = self.sessions.get(session) else {
            return;
        };
        let members: Vec<u32> = s.member_slots().collect();
        let fault = Arc::new(Fault::Crashed {
            session,
            role: self.image.symbols.role_name(role),
        });
        for slot in members {
            let Some(c) = self
                .coroutines
                .get_mut(slot as usize)
                .and_then(Option::as_mut)
            else {
                continue;
            };
            if c.role != role || c.status.is_terminal() {
                continue;
            }
            self.fault_running(slot, session, fault.clone());
        }
    }

    /// Faults a running coroutine from outside its own step (a crash, a
    /// timeout): it becomes terminal, its failure branch is recorded and
    /// the run goes on.
    pub(crate) fn fault_running(&mut self, slot: u32, session: u64, fault: Arc<Fault>) {
        let c = self.coro_mut(slot);
        c.status = CoroStatus::Faulted(fault.clone());
        let coro = c.id;
        self.live -= 1;
        self.record_fault(session, coro, &fault);
    }

    #[inline]
    fn prune_expired_timeouts(&mut self) {
        if self.timeouts.is_empty() {
            return;
        }
        self.prune_timeouts_slow();
    }

    #[cold]
    fn prune_timeouts_slow(&mut self) {
        while let Some(&(deadline, session)) = self.timeouts.first() {
            if deadline > self.clock {
                break;
            }
            self.timeouts.pop_first();
            self.fire_timeout(session);
        }
    }

    /// Wakes the senders queued by receives, in wake order (waking never
    /// queues another wake, so the list is walked in place).
    #[inline]
    fn try_unblock_senders(&mut self) {
        if self.wake_senders.is_empty() {
            return;
        }
        for i in 0..self.wake_senders.len() {
            let slot = self.wake_senders[i];
            self.unblock(slot, true);
        }
        self.wake_senders.clear();
    }

    /// Wakes the receivers queued by sends, in wake order.
    #[inline]
    fn try_unblock_receivers(&mut self) {
        if self.wake_receivers.is_empty() {
            return;
        }
        for i in 0..self.wake_receivers.len() {
            let slot = self.wake_receivers[i];
            self.unblock(slot, false);
        }
        self.wake_receivers.clear();
    }

    #[inline]
    fn unblock(&mut self, slot: u32, sender: bool) {
        let Some(c) = self
            .coroutines
            .get_mut(slot as usize)
            .and_then(Option::as_mut)
        else {
            return;
        };
        let waiting = match c.status {
            CoroStatus::Blocked(crate::coroutine::BlockReason::Recv { .. }) => !sender,
            CoroStatus::Blocked(_) => sender,
            _ => false,
        };
        if waiting {
            c.status = CoroStatus::Ready;
            if !c.queued {
                c.queued = true;
                let (prio, progress) = (c.priority, c.progress_tokens > 0);
                self.ready.push(slot, prio, progress);
            }
        }
    }

    /// Progress contracts hook: this machine has no contracts beyond the
    /// progress tokens kept incrementally on message arrival, so there is
    /// nothing to recompute here.
    #[inline]
    fn evaluate_progress_contracts(&mut self) {}
}
