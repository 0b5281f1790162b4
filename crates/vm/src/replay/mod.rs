//! Record and replay of effect outcomes, and the record/replay conformance
//! check hosts run in their own tests.

pub mod consumption;
#[cfg(any(test, feature = "test-hooks"))]
pub(crate) mod hooks;
pub mod proof;
#[cfg(test)]
mod tests;

use crate::effect::trace::{EffectInputSummary, EffectKind, EffectOutcome, EffectTraceEntry};
use crate::effect::{
    AcquireDecision, AcquireInput, ChooseInput, EffectContext, EffectHandler, InvokeInput,
    JoinInput, OutputConditionHint, OutputHintInput, RecvInput, ReleaseInput, SendDecision,
    SendDecisionInput, TopologyInput,
};
use crate::event::ObsEvent;
use crate::fault::ProtocolMachineError;
use crate::ids::Tick;
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use crate::topology::TopologyEvent;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Arc;
use telltale_compiler::{LabelId, Value};
use thiserror::Error;

/// Wraps a handler and records every outcome it produces.
pub struct RecordingEffectHandler<'h> {
    inner: &'h dyn EffectHandler,
    entries: RefCell<Vec<EffectTraceEntry>>,
}

impl<'h> RecordingEffectHandler<'h> {
    /// Records the calls made to `inner`.
    pub fn new(inner: &'h dyn EffectHandler) -> Self {
        RecordingEffectHandler {
            inner,
            entries: RefCell::new(Vec::new()),
        }
    }

    /// The recorded trace so far.
    pub fn trace(&self) -> Vec<EffectTraceEntry> {
        self.entries.borrow().clone()
    }

    /// Consumes the recorder, returning its trace.
    pub fn into_trace(self) -> Vec<EffectTraceEntry> {
        self.entries.into_inner()
    }

    fn record(
        &self,
        ctx: EffectContext,
        kind: EffectKind,
        input: EffectInputSummary,
        outcome: EffectOutcome,
    ) {
        self.entries.borrow_mut().push(EffectTraceEntry {
            ctx,
            kind,
            input: Some(input),
            outcome,
        });
    }
}

impl EffectHandler for RecordingEffectHandler<'_> {
    fn handler_identity(&self) -> &str {
        self.inner.handler_identity()
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let result = match self.inner.send_decision_fast_path(input) {
            Some(d) => d,
            None => self.inner.send_decision(input),
        };
        self.record(
            input.ctx,
            EffectKind::SendDecision,
            EffectInputSummary {
                partner: Some(input.partner),
                labels: input.choices.to_vec(),
                payload: input.payload.cloned(),
                action: None,
            },
            match &result {
                Ok(d) => EffectOutcome::Send(d.clone()),
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        result
    }

    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        self.inner.handle_send(input, label)
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        let result = self.inner.handle_recv(input);
        self.record(
            input.ctx,
            EffectKind::HandleRecv,
            EffectInputSummary {
                partner: Some(input.partner),
                labels: vec![input.label],
                payload: Some(input.payload.clone()),
                action: None,
            },
            match &result {
                Ok(()) => EffectOutcome::Ack,
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        result
    }

    fn handle_choose(&self, input: &ChooseInput<'_>) -> Result<LabelId, String> {
        self.inner.handle_choose(input)
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let result = self.inner.step(input);
        self.record(
            input.ctx,
            EffectKind::Step,
            EffectInputSummary {
                partner: None,
                labels: Vec::new(),
                payload: None,
                action: Some(input.action),
            },
            match &result {
                Ok(v) => EffectOutcome::Value(v.clone()),
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        result
    }

    fn handle_acquire(&self, input: &AcquireInput) -> Result<AcquireDecision, String> {
        let result = self.inner.handle_acquire(input);
        self.record(
            input.ctx,
            EffectKind::Acquire,
            EffectInputSummary {
                partner: None,
                labels: Vec::new(),
                payload: None,
                action: Some(input.layer),
            },
            match &result {
                Ok(d) => EffectOutcome::Acquire(d.clone()),
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        result
    }

    fn handle_release(&self, input: &ReleaseInput<'_>) -> Result<(), String> {
        let result = self.inner.handle_release(input);
        self.record(
            input.ctx,
            EffectKind::Release,
            EffectInputSummary {
                partner: None,
                labels: Vec::new(),
                payload: Some(input.evidence.clone()),
                action: Some(input.layer),
            },
            match &result {
                Ok(()) => EffectOutcome::Ack,
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        result
    }

    fn handle_join(&self, input: &JoinInput) -> Result<bool, String> {
        let result = self.inner.handle_join(input);
        self.record(
            input.ctx,
            EffectKind::Join,
            EffectInputSummary {
                partner: None,
                labels: Vec::new(),
                payload: None,
                action: Some(input.ghost),
            },
            match &result {
                Ok(v) => EffectOutcome::Verdict(*v),
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        result
    }

    fn topology_events(&self, input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        let result = self.inner.topology_events(input);
        match &result {
            Ok(events) if events.is_empty() => {}
            other => self.record(
                EffectContext {
                    tick: input.tick,
                    session: 0,
                    coro: 0,
                    role: 0,
                },
                EffectKind::Topology,
                EffectInputSummary {
                    partner: None,
                    labels: Vec::new(),
                    payload: None,
                    action: None,
                },
                match other {
                    Ok(events) => EffectOutcome::Topology(events.clone()),
                    Err(e) => EffectOutcome::Error(e.clone()),
                },
            ),
        }
        result
    }

    fn output_condition_hint(&self, input: &OutputHintInput) -> Option<OutputConditionHint> {
        let hint = self.inner.output_condition_hint(input);
        if let Some(h) = &hint {
            self.record(
                input.ctx,
                EffectKind::Hint,
                EffectInputSummary {
                    partner: None,
                    labels: Vec::new(),
                    payload: None,
                    action: None,
                },
                EffectOutcome::Hint(h.tag.clone()),
            );
        }
        hint
    }
}

/// Feeds a recorded effect trace back to the machine. Decisions (send
/// decisions, steps, acquires, releases, joins, topology) come from the
/// trace; receipts are checked against it and then delivered to the
/// fallback host too; output hints come from the trace; the hook the trace
/// does not cover (choose) goes to the fallback.
/// A mismatch or an exhausted trace is an error classified as
/// determinism.
pub struct ReplayEffectHandler<'h> {
    trace: Arc<[EffectTraceEntry]>,
    cursor: Cell<usize>,
    topology: BTreeMap<Tick, Result<Vec<TopologyEvent>, String>>,
    fallback: &'h dyn EffectHandler,
}

impl<'h> ReplayEffectHandler<'h> {
    /// Replays `trace`, using `fallback` for uncovered hooks.
    pub fn with_fallback(trace: Arc<[EffectTraceEntry]>, fallback: &'h dyn EffectHandler) -> Self {
        let mut topology = BTreeMap::new();
        for entry in trace.iter().filter(|e| e.kind == EffectKind::Topology) {
            let events = match &entry.outcome {
                EffectOutcome::Topology(events) => Ok(events.clone()),
                EffectOutcome::Error(e) => Err(e.clone()),
                _ => Ok(Vec::new()),
            };
            topology.insert(entry.ctx.tick, events);
        }
        ReplayEffectHandler {
            trace,
            cursor: Cell::new(0),
            topology,
            fallback,
        }
    }

    /// Replays `trace` from entry `position` on: for a machine restored
    /// from a checkpoint, pass [`ProtocolMachine::effect_entries_recorded`]
    /// of the restored machine so that replay continues where the
    /// checkpointed run stopped.
    pub fn resuming_at(
        trace: Arc<[EffectTraceEntry]>,
        fallback: &'h dyn EffectHandler,
        position: u64,
    ) -> Self {
        let replay = Self::with_fallback(trace, fallback);
        let position = usize::try_from(position).unwrap_or(usize::MAX);
        replay.cursor.set(position.min(replay.trace.len()));
        replay
    }

    /// Number of non-topology entries consumed so far.
    pub fn consumed(&self) -> usize {
        self.cursor.get()
    }

    /// Whether every non-topology entry was consumed.
    pub fn is_exhausted(&self) -> bool {
        self.trace[self.cursor.get()..]
            .iter()
            .all(|e| e.kind == EffectKind::Topology)
    }

    fn next(&self, ctx: EffectContext, kind: EffectKind) -> Result<&EffectTraceEntry, String> {
        let mut i = self.cursor.get();
        while self
            .trace
            .get(i)
            .is_some_and(|e| e.kind == EffectKind::Topology)
        {
            i += 1;
        }
        let entry = self.trace.get(i).ok_or_else(|| {
            format!(
                "replay exhausted: no recorded {kind:?} for coroutine {} at tick {}",
                ctx.coro, ctx.tick
            )
        })?;
        if entry.kind != kind || entry.ctx != ctx {
            return Err(format!(
                "replay mismatch at entry {i}: expected {:?} {:?}, machine asked {kind:?} {ctx:?}",
                entry.kind, entry.ctx
            ));
        }
        self.cursor.set(i + 1);
        Ok(entry)
    }
}

impl EffectHandler for ReplayEffectHandler<'_> {
    fn handler_identity(&self) -> &str {
        self.fallback.handler_identity()
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        match &self.next(input.ctx, EffectKind::SendDecision)?.outcome {
            EffectOutcome::Send(d) => Ok(d.clone()),
            EffectOutcome::Error(e) => Err(e.clone()),
            other => Err(format!(
                "replay mismatch: send decision recorded as {other:?}"
            )),
        }
    }

    /// Receipts are observations, not decisions: a receipt acknowledged in
    /// the recording is delivered to the fallback host, so that a
    /// deterministic host's state after the replay equals its state after
    /// the recorded run; a host that now refuses it has diverged (a
    /// determinism error). A receipt whose callback failed in the recording
    /// fails again without reaching the host, which kept no state of it.
    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        match &self.next(input.ctx, EffectKind::HandleRecv)?.outcome {
            EffectOutcome::Ack => self.fallback.handle_recv(input).map_err(|e| {
                format!(
                    "replay mismatch: the host refused a receipt the recording acknowledged: {e}"
                )
            }),
            EffectOutcome::Error(e) => Err(e.clone()),
            other => Err(format!("replay mismatch: receive recorded as {other:?}")),
        }
    }

    fn handle_choose(&self, input: &ChooseInput<'_>) -> Result<LabelId, String> {
        self.fallback.handle_choose(input)
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        match &self.next(input.ctx, EffectKind::Step)?.outcome {
            EffectOutcome::Value(v) => Ok(v.clone()),
            EffectOutcome::Error(e) => Err(e.clone()),
            other => Err(format!("replay mismatch: step recorded as {other:?}")),
        }
    }

    fn handle_acquire(&self, input: &AcquireInput) -> Result<AcquireDecision, String> {
        match &self.next(input.ctx, EffectKind::Acquire)?.outcome {
            EffectOutcome::Acquire(d) => Ok(d.clone()),
            EffectOutcome::Error(e) => Err(e.clone()),
            other => Err(format!("replay mismatch: acquire recorded as {other:?}")),
        }
    }

    fn handle_release(&self, input: &ReleaseInput<'_>) -> Result<(), String> {
        match &self.next(input.ctx, EffectKind::Release)?.outcome {
            EffectOutcome::Ack => Ok(()),
            EffectOutcome::Error(e) => Err(e.clone()),
            other => Err(format!("replay mismatch: release recorded as {other:?}")),
        }
    }

    fn handle_join(&self, input: &JoinInput) -> Result<bool, String> {
        match &self.next(input.ctx, EffectKind::Join)?.outcome {
            EffectOutcome::Verdict(v) => Ok(*v),
            EffectOutcome::Error(e) => Err(e.clone()),
            other => Err(format!("replay mismatch: join recorded as {other:?}")),
        }
    }

    fn topology_events(&self, input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        self.topology
            .get(&input.tick)
            .cloned()
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// The hint recorded for this step, if one was (hints are recorded
    /// only when given, so the next entry tells).
    fn output_condition_hint(&self, input: &OutputHintInput) -> Option<OutputConditionHint> {
        let i = self.cursor.get();
        let entry = self.trace[i..]
            .iter()
            .find(|e| e.kind != EffectKind::Topology)?;
        match &entry.outcome {
            EffectOutcome::Hint(tag)
                if entry.kind == EffectKind::Hint && entry.ctx == input.ctx =>
            {
                let skipped = self.trace[i..]
                    .iter()
                    .take_while(|e| e.kind == EffectKind::Topology)
                    .count();
                self.cursor.set(i + skipped + 1);
                Some(OutputConditionHint { tag: tag.clone() })
            }
            _ => None,
        }
    }
}

impl ProtocolMachine {
    /// Number of effect-trace entries recorded over the machine's life,
    /// retained or not (the replay position of a restored machine).
    pub fn effect_entries_recorded(&self) -> u64 {
        self.effects.pushed()
    }

    /// Runs with effect outcomes replayed from `replay_trace`; `fallback`
    /// serves only hooks the trace does not cover.
    pub fn run_replay(
        &mut self,
        fallback: &dyn EffectHandler,
        replay_trace: &[EffectTraceEntry],
        max_steps: usize,
    ) -> Result<RunStatus, ProtocolMachineError> {
        let replay = ReplayEffectHandler::with_fallback(Arc::from(replay_trace), fallback);
        self.run(&replay, max_steps)
    }
}

/// A record/replay conformance failure.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConformanceError {
    /// The machine could not be built.
    #[error("cannot build the machine: {0}")]
    Build(ProtocolMachineError),
    /// The recorded and replayed runs ended differently.
    #[error("runs ended differently: recorded {recorded}, replayed {replayed}")]
    OutcomeMismatch {
        /// The recorded run's outcome.
        recorded: String,
        /// The replayed run's outcome.
        replayed: String,
    },
    /// The observable traces differ.
    #[error("observable traces differ at event {index}: recorded {recorded}, replayed {replayed}")]
    TraceMismatch {
        /// First differing index.
        index: usize,
        /// The recorded event (or `<none>`).
        recorded: String,
        /// The replayed event (or `<none>`).
        replayed: String,
    },
    /// Replay left recorded outcomes unused.
    #[error("replay consumed {consumed} of {recorded} recorded outcomes")]
    Unconsumed {
        /// Outcomes consumed.
        consumed: usize,
        /// Outcomes recorded.
        recorded: usize,
    },
}

/// What a successful conformance check saw.
#[derive(Clone, Debug, PartialEq)]
pub struct ConformanceReport {
    /// How both runs ended.
    pub outcome: Result<RunStatus, ProtocolMachineError>,
    /// Number of observable events compared.
    pub events: usize,
    /// Number of effect outcomes recorded and replayed.
    pub effects: usize,
}

/// Builds a machine twice with `make`, runs it once under a recording of
/// `handler` and once replaying the recording, and checks that both runs
/// end the same way with identical observable traces. `handler` is also
/// the replay's fallback, so it observes every receipt twice: a host that
/// keeps state uses [`run_record_replay_conformance_with_hosts`].
pub fn run_record_replay_conformance(
    make: &dyn Fn() -> Result<ProtocolMachine, ProtocolMachineError>,
    handler: &dyn EffectHandler,
    max_steps: usize,
) -> Result<ConformanceReport, ConformanceError> {
    run_record_replay_conformance_with_hosts(make, handler, handler, max_steps)
}

/// The conformance check with one host per run: `recording` decides the
/// recorded run, `replaying` (a fresh host) is the replay's fallback and
/// observes its receipts, so that afterwards the two hosts' states can be
/// compared — equal, for a deterministic host.
pub fn run_record_replay_conformance_with_hosts(
    make: &dyn Fn() -> Result<ProtocolMachine, ProtocolMachineError>,
    recording: &dyn EffectHandler,
    replaying: &dyn EffectHandler,
    max_steps: usize,
) -> Result<ConformanceReport, ConformanceError> {
    let mut recorded_machine = make().map_err(ConformanceError::Build)?;
    let recorder = RecordingEffectHandler::new(recording);
    let recorded_outcome = recorded_machine.run(&recorder, max_steps);
    let trace: Arc<[EffectTraceEntry]> = Arc::from(recorder.into_trace());
    let mut replayed_machine = make().map_err(ConformanceError::Build)?;
    let replay = ReplayEffectHandler::with_fallback(trace.clone(), replaying);
    let replayed_outcome = replayed_machine.run(&replay, max_steps);
    if recorded_outcome != replayed_outcome {
        return Err(ConformanceError::OutcomeMismatch {
            recorded: format!("{recorded_outcome:?}"),
            replayed: format!("{replayed_outcome:?}"),
        });
    }
    let a: Vec<&ObsEvent> = recorded_machine.trace_iter().collect();
    let b: Vec<&ObsEvent> = replayed_machine.trace_iter().collect();
    if let Some(index) = (0..a.len().max(b.len())).find(|i| a.get(*i) != b.get(*i)) {
        let show =
            |e: Option<&&ObsEvent>| e.map_or_else(|| "<none>".to_string(), |e| format!("{e:?}"));
        return Err(ConformanceError::TraceMismatch {
            index,
            recorded: show(a.get(index)),
            replayed: show(b.get(index)),
        });
    }
    if !replay.is_exhausted() {
        return Err(ConformanceError::Unconsumed {
            consumed: replay.consumed(),
            recorded: trace
                .iter()
                .filter(|e| e.kind != EffectKind::Topology)
                .count(),
        });
    }
    Ok(ConformanceReport {
        outcome: recorded_outcome,
        events: a.len(),
        effects: trace.len(),
    })
}
