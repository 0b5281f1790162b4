//! Trace retention and effect capture modes.
#![allow(clippy::unwrap_used)]

use telltale_vm::bench::ring_image;
use telltale_vm::{
    Config, DefaultHandler, EffectKind, EffectTraceCaptureMode, ProtocolMachine, RunStatus,
    TraceRetention,
};

fn run(config: Config) -> ProtocolMachine {
    let mut m = ProtocolMachine::new(ring_image(3).unwrap(), config).unwrap();
    for _ in 0..3 {
        m.open_all_roles().unwrap();
    }
    assert_eq!(
        m.run(&DefaultHandler::new(1), 100_000).unwrap(),
        RunStatus::AllDone
    );
    m
}

#[test]
fn bounded_retention_keeps_the_newest_events() {
    let all = run(Config::default()).trace();
    assert!(all.len() > 16, "{}", all.len());
    let check = |retention: TraceRetention, expected: &[telltale_vm::ObsEvent]| {
        let m = run(Config {
            trace_retention: retention,
            ..Config::default()
        });
        assert_eq!(m.trace(), expected, "{retention:?}");
    };
    check(TraceRetention::KeepLast(16), &all[all.len() - 16..]);
    check(TraceRetention::KeepLast(0), &[]);
    check(TraceRetention::Off, &[]);
    check(TraceRetention::KeepLast(100_000), &all);
}

#[test]
fn effect_capture_modes_control_what_is_recorded() {
    let full = run(Config::default()).effect_trace();
    assert!(full.iter().all(|e| e.input.is_some()));
    assert!(full.iter().any(|e| e.kind == EffectKind::SendDecision));
    assert!(full.iter().any(|e| e.kind == EffectKind::HandleRecv));
    let outcomes = run(Config {
        effect_trace_capture_mode: EffectTraceCaptureMode::OutcomesOnly,
        ..Config::default()
    })
    .effect_trace();
    assert_eq!(outcomes.len(), full.len());
    assert!(outcomes.iter().all(|e| e.input.is_none()));
    let outcome_of = |t: &[telltale_vm::EffectTraceEntry]| {
        t.iter().map(|e| e.outcome.clone()).collect::<Vec<_>>()
    };
    assert_eq!(outcome_of(&outcomes), outcome_of(&full));
    let off = run(Config {
        effect_trace_capture_mode: EffectTraceCaptureMode::Off,
        ..Config::default()
    });
    assert!(off.effect_trace().is_empty());
    let bounded = run(Config {
        effect_trace_retention: TraceRetention::KeepLast(4),
        ..Config::default()
    });
    assert_eq!(bounded.effect_trace(), &full[full.len() - 4..]);
}
