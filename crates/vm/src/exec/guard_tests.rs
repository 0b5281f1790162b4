//! Tests of `Acquire`/`Release`, and record/replay of the extended hooks.

use crate::coroutine::BlockReason;
use crate::effect::trace::EffectKind;
use crate::effect::{AcquireDecision, AcquireInput, EffectHandler, JoinInput, ReleaseInput};
use crate::event::ObsEvent;
use crate::exec::test_support::{config, fault_of, machine_with, reg, run, send_and_halt};
use crate::fault::Fault;
use crate::kernel::RunStatus;
use crate::replay::{run_record_replay_conformance, RecordingEffectHandler, ReplayEffectHandler};
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use telltale_compiler::{Instr, Value};

/// Blocks the first `blocks` acquires, then grants `Nat(100 + layer)`;
/// releases fail when `fail_release`; acquires fail when `fail_acquire`.
#[derive(Default)]
struct Guards {
    blocks: u32,
    calls: Cell<u32>,
    released: RefCell<Vec<(u16, Value)>>,
    fail_acquire: bool,
    fail_release: bool,
    join: Option<bool>,
}

impl EffectHandler for Guards {
    fn handle_acquire(&self, input: &AcquireInput) -> Result<AcquireDecision, String> {
        if self.fail_acquire {
            return Err("lock service unavailable".into());
        }
        let n = self.calls.get();
        self.calls.set(n + 1);
        if n < self.blocks {
            return Ok(AcquireDecision::Block);
        }
        Ok(AcquireDecision::Grant {
            evidence: Value::Nat(100 + u64::from(input.layer)),
        })
    }

    fn handle_release(&self, input: &ReleaseInput<'_>) -> Result<(), String> {
        if self.fail_release {
            return Err("release refused".into());
        }
        self.released
            .borrow_mut()
            .push((input.layer, input.evidence.clone()));
        Ok(())
    }

    fn handle_join(&self, _input: &JoinInput) -> Result<bool, String> {
        Ok(self.join.unwrap_or(true))
    }
}

fn acquire_release() -> Vec<Instr> {
    let mut code = vec![
        Instr::Acquire { layer: 3, dst: 1 },
        Instr::Release {
            layer: 3,
            evidence: 1,
        },
    ];
    code.extend(send_and_halt());
    code
}

#[test]
fn a_grant_writes_evidence_and_release_returns_it() {
    let h = Guards::default();
    let (m, r) = run(acquire_release(), vec![], &h);
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    assert_eq!(reg(&m, 0, 1), Value::Nat(103));
    assert_eq!(*h.released.borrow(), vec![(3, Value::Nat(103))]);
    let trace = m.trace();
    assert!(trace.iter().any(|e| matches!(
        e,
        ObsEvent::Acquired {
            coro: 0,
            layer: 3,
            ..
        }
    )));
    assert!(trace.iter().any(|e| matches!(
        e,
        ObsEvent::Released {
            coro: 0,
            layer: 3,
            ..
        }
    )));
    assert!(m.held_guards(0).is_empty());
    let kinds: Vec<EffectKind> = m.effect_trace().iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EffectKind::Acquire) && kinds.contains(&EffectKind::Release));
}

#[test]
fn a_blocked_acquire_is_retried_until_granted() {
    // B waits for A's message, A waits for the guard: only a guard waiter
    // can run, and the run must still complete, not report `Stuck`.
    let h = Guards {
        blocks: 4,
        ..Guards::default()
    };
    let (m, r) = run(acquire_release(), vec![], &h);
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    assert_eq!(h.calls.get(), 5);
    let blocked = m
        .trace_iter()
        .filter(|e| {
            matches!(
                e,
                ObsEvent::Blocked {
                    coro: 0,
                    reason: BlockReason::Guard { layer: 3 },
                    ..
                }
            )
        })
        .count();
    assert_eq!(blocked, 4);
    assert_eq!(*h.released.borrow(), vec![(3, Value::Nat(103))]);
}

#[test]
fn a_guard_that_is_never_granted_exhausts_the_budget() {
    let h = Guards {
        blocks: u32::MAX,
        ..Guards::default()
    };
    let mut m = machine_with(false, acquire_release(), vec![], config());
    assert_eq!(m.run(&h, 50).unwrap(), RunStatus::BudgetExhausted);
    assert!(h.calls.get() > 10);
}

#[test]
fn release_is_checked_before_the_handler_is_called() {
    // (program prefix, expected fault)
    let cases: Vec<(Vec<Instr>, Fault)> = vec![
        (
            vec![
                Instr::Acquire { layer: 3, dst: 1 },
                Instr::Set { dst: 2, val: 0 },
                Instr::Release {
                    layer: 3,
                    evidence: 2,
                },
            ],
            Fault::BadEvidence { layer: 3 },
        ),
        (
            vec![
                Instr::Acquire { layer: 3, dst: 1 },
                Instr::Release {
                    layer: 4,
                    evidence: 1,
                },
            ],
            Fault::GuardNotHeld { layer: 4 },
        ),
        (
            vec![Instr::Release {
                layer: 0,
                evidence: 1,
            }],
            Fault::GuardNotHeld { layer: 0 },
        ),
        (
            vec![
                Instr::Acquire { layer: 3, dst: 1 },
                Instr::Acquire { layer: 3, dst: 2 },
            ],
            Fault::GuardHeld { layer: 3 },
        ),
        (
            vec![
                Instr::Acquire { layer: 2, dst: 1 },
                Instr::Send { chan: 1, val: None },
                Instr::Halt,
            ],
            Fault::GuardLeaked { layer: 2 },
        ),
    ];
    for (mut code, expected) in cases {
        code.extend(send_and_halt());
        let h = Guards::default();
        let (_, r) = run(code, vec![Value::Nat(999)], &h);
        assert_eq!(fault_of(r), expected);
        assert!(h.released.borrow().is_empty(), "{expected:?}");
    }
}

#[test]
fn handler_errors_are_typed_faults() {
    for (h, callback) in [
        (
            Guards {
                fail_acquire: true,
                ..Guards::default()
            },
            "handle_acquire",
        ),
        (
            Guards {
                fail_release: true,
                ..Guards::default()
            },
            "handle_release",
        ),
    ] {
        let (m, r) = run(acquire_release(), vec![], &h);
        match fault_of(r) {
            Fault::Handler { callback: c, .. } => assert_eq!(c, callback),
            other => panic!("{other:?}"),
        }
        let last = m.effect_trace().pop().unwrap();
        assert!(matches!(
            last.outcome,
            crate::effect::trace::EffectOutcome::Error(_)
        ));
    }
}

/// A program using guards (with blocking), speculation with a rejected
/// and a committed join, and knowledge.
fn everything() -> Vec<Instr> {
    let mut code = vec![
        Instr::Set { dst: 4, val: 1 },
        Instr::Acquire { layer: 1, dst: 1 },
        Instr::Fork { ghost: 7 },
        Instr::Set { dst: 2, val: 0 },
        Instr::Tag { fact: 2, dst: 3 },
        Instr::Join,
        Instr::Fork { ghost: 8 },
        Instr::Join,
        Instr::Check {
            knowledge: 2,
            target: 4,
            dst: 3,
        },
        Instr::Release {
            layer: 1,
            evidence: 1,
        },
    ];
    code.extend(send_and_halt());
    code
}

/// Rejects the first join, commits the rest.
struct FirstJoinRejected {
    guards: Guards,
    joins: Cell<u32>,
}

impl EffectHandler for FirstJoinRejected {
    fn handle_acquire(&self, input: &AcquireInput) -> Result<AcquireDecision, String> {
        self.guards.handle_acquire(input)
    }
    fn handle_release(&self, input: &ReleaseInput<'_>) -> Result<(), String> {
        self.guards.handle_release(input)
    }
    fn handle_join(&self, _input: &JoinInput) -> Result<bool, String> {
        let n = self.joins.get();
        self.joins.set(n + 1);
        Ok(n > 0)
    }
}

#[test]
fn record_and_replay_reproduce_runs_with_the_extended_hooks() {
    let handler = FirstJoinRejected {
        guards: Guards {
            blocks: 2,
            ..Guards::default()
        },
        joins: Cell::new(0),
    };
    let make = || {
        Ok(machine_with(
            false,
            everything(),
            vec![Value::String("fact".into()), Value::String("B".into())],
            config(),
        ))
    };
    // The machine records too: its own effect trace replays the run.
    let mut recorded = make().unwrap();
    let recorder = RecordingEffectHandler::new(&handler);
    let outcome = recorded.run(&recorder, 1_000);
    let trace = recorder.into_trace();
    assert_eq!(trace, recorded.effect_trace());
    let kinds: Vec<EffectKind> = trace
        .iter()
        .map(|e| e.kind)
        .filter(|k| {
            matches!(
                k,
                EffectKind::Acquire | EffectKind::Release | EffectKind::Join
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            EffectKind::Acquire,
            EffectKind::Acquire,
            EffectKind::Acquire,
            EffectKind::Join,
            EffectKind::Join,
            EffectKind::Release,
        ]
    );
    // A replay whose fallback would answer differently (never grant, reject
    // every join) still reproduces the run from the trace.
    let contrary = Guards {
        blocks: u32::MAX,
        join: Some(false),
        ..Guards::default()
    };
    let mut replayed = make().unwrap();
    let replay = ReplayEffectHandler::with_fallback(Arc::from(trace), &contrary);
    assert_eq!(replayed.run(&replay, 1_000), outcome);
    assert!(replay.is_exhausted());
    assert_eq!(recorded.trace(), replayed.trace());
    assert!(recorded
        .trace_iter()
        .any(|e| matches!(e, ObsEvent::JoinRejected { ghost: 7, .. })));
    assert!(recorded
        .trace_iter()
        .any(|e| matches!(e, ObsEvent::Joined { ghost: 8, .. })));

    let fresh = FirstJoinRejected {
        guards: Guards {
            blocks: 2,
            ..Guards::default()
        },
        joins: Cell::new(0),
    };
    let report = run_record_replay_conformance(&make, &fresh, 1_000).unwrap();
    assert!(report.effects >= 6, "{}", report.effects);
}

/// A holds layer 3 and spins; B waits for A's message.
fn holding_and_spinning() -> Vec<Instr> {
    vec![
        Instr::Acquire { layer: 3, dst: 1 },
        Instr::Yield,
        Instr::Jump { target: 1 },
    ]
}

#[test]
fn a_cancelled_holder_has_its_guard_released_at_the_next_round() {
    let h = Guards::default();
    let mut m = machine_with(false, holding_and_spinning(), vec![], config());
    assert_eq!(m.run(&h, 4).unwrap(), RunStatus::BudgetExhausted);
    assert_eq!(m.held_guards(0), vec![(3, Value::Nat(103))]);
    m.cancel_session(0).unwrap();
    assert!(m.reap_closed_sessions().is_empty(), "a guard is still held");
    assert_eq!(m.run(&h, 10).unwrap(), RunStatus::AllDone);
    assert_eq!(*h.released.borrow(), vec![(3, Value::Nat(103))]);
    assert!(m.held_guards(0).is_empty());
    assert!(matches!(
        m.trace().last(),
        Some(ObsEvent::Released {
            coro: 0,
            layer: 3,
            ..
        })
    ));
    assert!(m
        .effect_trace()
        .iter()
        .any(|e| e.kind == EffectKind::Release));
    assert_eq!(m.reap_closed_sessions().len(), 1);
}

#[test]
fn a_faulted_holder_has_its_guard_released() {
    let h = Guards::default();
    let mut code = holding_and_spinning();
    code[1] = Instr::Release {
        layer: 4,
        evidence: 1,
    };
    let mut m = machine_with(false, code, vec![], config());
    assert!(matches!(
        fault_of(m.run(&h, 10)),
        Fault::GuardNotHeld { layer: 4 }
    ));
    assert_eq!(m.run(&h, 10).unwrap(), RunStatus::Stuck);
    assert_eq!(*h.released.borrow(), vec![(3, Value::Nat(103))]);
}

#[test]
fn a_failing_orphan_release_is_a_typed_error_once() {
    let h = Guards {
        fail_release: true,
        ..Guards::default()
    };
    let mut m = machine_with(false, holding_and_spinning(), vec![], config());
    m.run(&h, 4).unwrap();
    m.cancel_session(0).unwrap();
    assert!(matches!(fault_of(m.run(&h, 10)), Fault::Handler { .. }));
    assert!(m.held_guards(0).is_empty());
    assert_eq!(m.run(&h, 10).unwrap(), RunStatus::AllDone);
}
