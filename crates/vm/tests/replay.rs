//! Record, replay and the conformance helper.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::sync::Arc;
use telltale_vm::bench::ring_image;
use telltale_vm::{
    run_record_replay_conformance, Config, DefaultHandler, EffectErrorCategory, EffectHandler,
    Fault, ProtocolMachine, ProtocolMachineError, RecordingEffectHandler, RecvInput,
    ReplayEffectHandler, RunStatus, SendDecision, SendDecisionInput,
};

fn machine() -> Result<ProtocolMachine, ProtocolMachineError> {
    let mut m = ProtocolMachine::new(ring_image(3)?, Config::default())?;
    m.open_all_roles()?;
    m.open_all_roles()?;
    Ok(m)
}

#[test]
fn recording_then_replaying_gives_the_same_trace() {
    let report = run_record_replay_conformance(&machine, &DefaultHandler::new(7), 100_000).unwrap();
    assert_eq!(report.outcome, Ok(RunStatus::AllDone));
    assert!(report.events > 20);
    assert!(report.effects > 10);
}

#[test]
fn the_machine_effect_trace_is_what_a_recorder_sees() {
    let mut a = machine().unwrap();
    let handler = DefaultHandler::new(3);
    let recorder = RecordingEffectHandler::new(&handler);
    a.run(&recorder, 100_000).unwrap();
    assert_eq!(a.effect_trace(), recorder.into_trace());
}

#[test]
fn run_replay_reproduces_a_run_from_its_effect_trace() {
    let mut a = machine().unwrap();
    a.run(&DefaultHandler::new(11), 100_000).unwrap();
    let mut b = machine().unwrap();
    // The fallback would choose differently; replay must not consult it.
    let status = b
        .run_replay(&DefaultHandler::new(999), &a.effect_trace(), 100_000)
        .unwrap();
    assert_eq!(status, RunStatus::AllDone);
    assert_eq!(a.trace(), b.trace());
}

#[test]
fn an_exhausted_or_mismatched_trace_is_a_determinism_error() {
    let mut a = machine().unwrap();
    a.run(&DefaultHandler::new(5), 100_000).unwrap();
    let mut trace = a.effect_trace();
    trace.truncate(trace.len() / 2);
    let mut b = machine().unwrap();
    match b.run_replay(&DefaultHandler::new(5), &trace, 100_000) {
        Err(ProtocolMachineError::Fault {
            fault: Fault::Handler { error, .. },
            ..
        }) => {
            assert_eq!(error.category, EffectErrorCategory::Determinism);
            assert!(error.message.contains("exhausted"), "{}", error.message);
        }
        other => panic!("{other:?}"),
    }
    let mut shifted = a.effect_trace();
    shifted.remove(0);
    let mut c = machine().unwrap();
    let fallback = DefaultHandler::new(5);
    let replay = ReplayEffectHandler::with_fallback(Arc::from(shifted), &fallback);
    match c.run(&replay, 100_000) {
        Err(ProtocolMachineError::Fault {
            fault: Fault::Handler { error, .. },
            ..
        }) => assert!(error.message.contains("mismatch"), "{}", error.message),
        other => panic!("{other:?}"),
    }
}

/// A host that keeps what it receives, by name, and decides like the
/// default handler of its seed.
struct Ledger {
    decider: DefaultHandler,
    received: RefCell<Vec<String>>,
    refuse: bool,
}

impl Ledger {
    fn new(seed: u64) -> Self {
        Ledger {
            decider: DefaultHandler::new(seed),
            received: RefCell::new(Vec::new()),
            refuse: false,
        }
    }
}

impl EffectHandler for Ledger {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let allowed: Vec<_> = input.allowed_labels().collect();
        if !input.choices.iter().all(|l| allowed.contains(l)) {
            return Err(format!(
                "choices {:?} not allowed {allowed:?}",
                input.choices
            ));
        }
        self.decider.send_decision(input)
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        if self.refuse {
            return Err("refused".into());
        }
        if !input.allowed_labels().any(|l| l == input.label) {
            return Err("received a label its state does not allow".into());
        }
        self.received.borrow_mut().push(format!(
            "{} from {} at state {}: {} {}",
            input.role_name(input.ctx.role),
            input.role_name(input.partner),
            input.state,
            input.label_name(input.label),
            input.payload
        ));
        Ok(())
    }
}

#[test]
fn a_replayed_run_leaves_a_deterministic_host_in_the_recorded_state() {
    let mut a = machine().unwrap();
    let recorded_host = Ledger::new(7);
    a.run(&recorded_host, 100_000).unwrap();
    let received = recorded_host.received.into_inner();
    assert!(received.len() > 10, "{received:?}");
    assert!(
        received.iter().all(|r| !r.contains('?')),
        "every name resolves: {received:?}"
    );

    let mut b = machine().unwrap();
    // A host that would decide differently, replaying the recording.
    let replaying_host = Ledger::new(999);
    b.run_replay(&replaying_host, &a.effect_trace(), 100_000)
        .unwrap();
    assert_eq!(a.trace(), b.trace());
    assert_eq!(replaying_host.received.into_inner(), received);
}

#[test]
fn a_host_refusing_a_recorded_receipt_is_a_determinism_error() {
    let mut a = machine().unwrap();
    a.run(&DefaultHandler::new(7), 100_000).unwrap();
    let mut b = machine().unwrap();
    let host = Ledger {
        refuse: true,
        ..Ledger::new(7)
    };
    match b.run_replay(&host, &a.effect_trace(), 100_000) {
        Err(ProtocolMachineError::Fault {
            fault: Fault::Handler { error, .. },
            ..
        }) => {
            assert_eq!(error.category, EffectErrorCategory::Determinism);
            assert!(error.message.contains("refused"), "{}", error.message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_receipt_that_failed_when_recorded_does_not_reach_the_replaying_host() {
    let mut a = machine().unwrap();
    let refusing = Ledger {
        refuse: true,
        ..Ledger::new(7)
    };
    assert!(a.run(&refusing, 100_000).is_err());
    let mut b = machine().unwrap();
    let host = Ledger::new(7);
    assert!(b.run_replay(&host, &a.effect_trace(), 100_000).is_err());
    assert_eq!(a.trace(), b.trace());
    assert!(host.received.borrow().is_empty());
}
