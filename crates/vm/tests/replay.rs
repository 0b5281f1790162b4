//! Record, replay and the conformance helper.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use telltale_vm::bench::ring_image;
use telltale_vm::{
    run_record_replay_conformance, Config, DefaultHandler, EffectErrorCategory, Fault,
    ProtocolMachine, ProtocolMachineError, RecordingEffectHandler, ReplayEffectHandler, RunStatus,
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
