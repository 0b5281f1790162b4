//! Session lifecycle: admission, close, cancel, reaping, topology events.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use telltale_compiler::CodeImage;
use telltale_types::{Label, LocalType, PayloadSort, Role};
use telltale_vm::{
    BlockReason, Config, CoroStatus, DefaultHandler, EffectHandler, Fault, LifecycleError,
    ObsEvent, ProtocolMachine, ProtocolMachineError, RunStatus, SessionRequest, SessionStatus,
    TopologyEvent, TopologyInput,
};

fn image() -> CodeImage {
    let m = Label::new("m", PayloadSort::Int);
    CodeImage::build(
        None,
        &[
            (
                Role::new("A"),
                LocalType::send(
                    "B",
                    m.clone(),
                    LocalType::recv("B", m.clone(), LocalType::End),
                ),
            ),
            (
                Role::new("B"),
                LocalType::recv("A", m.clone(), LocalType::send("A", m, LocalType::End)),
            ),
        ],
    )
    .unwrap()
}

fn machine() -> ProtocolMachine {
    ProtocolMachine::new(image(), Config::default()).unwrap()
}

fn request(roles: &[&str], handlers: &[(&str, &str)], default: Option<&str>) -> SessionRequest {
    SessionRequest {
        roles: roles.iter().map(Role::new).collect(),
        handlers: handlers
            .iter()
            .map(|(a, b)| (Role::new(a), Role::new(b), "h".to_string()))
            .collect(),
        default_handler: default.map(str::to_string),
    }
}

#[test]
fn open_checks_admission() {
    let check = |req: SessionRequest, expected: Result<(), LifecycleError>| {
        let got = machine().open_session(&req).map(|_| ());
        assert_eq!(
            got,
            expected.map_err(ProtocolMachineError::Lifecycle),
            "{req:?}"
        );
    };
    check(request(&["A", "B"], &[], Some("h")), Ok(()));
    check(
        request(&["A", "B"], &[("A", "B"), ("B", "A")], None),
        Ok(()),
    );
    check(
        request(&["A", "A"], &[], Some("h")),
        Err(LifecycleError::DuplicateRole { role: "A".into() }),
    );
    check(
        request(&["A", "Z"], &[], Some("h")),
        Err(LifecycleError::UnknownRole { role: "Z".into() }),
    );
    check(
        request(&["A", "B"], &[("A", "B")], None),
        Err(LifecycleError::UncoveredEdge {
            from: "B".into(),
            to: "A".into(),
        }),
    );
    check(
        request(&["A"], &[], Some("h")),
        Err(LifecycleError::UncoveredEdge {
            from: "B".into(),
            to: "A".into(),
        }),
    );
}

#[test]
fn close_checks_ownership_clears_and_advances_the_epoch() {
    let mut m = machine();
    let s0 = m.open_all_roles().unwrap();
    let s1 = m.open_all_roles().unwrap();
    let outsider = m.coroutines_of(s1)[0];
    let owner = m.coroutines_of(s0)[0];
    assert_eq!(
        m.close_session(s0, outsider),
        Err(ProtocolMachineError::Lifecycle(LifecycleError::NotOwner {
            coro: outsider,
            session: s0
        }))
    );
    // One step: A of s0 sends, so the s0 buffer A -> B holds a message.
    m.step(&DefaultHandler::new(0)).unwrap();
    assert_eq!(m.session(s0).unwrap().queued(0, 1), 1);
    assert_eq!(m.close_session(s0, owner), Ok(1));
    assert_eq!(m.session(s0).unwrap().queued(0, 1), 0);
    assert_eq!(m.session(s0).unwrap().status, SessionStatus::Closed);
    assert_eq!(
        m.close_session(s0, owner),
        Err(ProtocolMachineError::Lifecycle(LifecycleError::NotActive {
            session: s0
        }))
    );
    let tail: Vec<_> = m.trace().into_iter().rev().take(2).collect();
    assert!(matches!(tail[1], ObsEvent::Closed { session, .. } if session == s0));
    assert!(matches!(tail[0], ObsEvent::EpochAdvanced { session, epoch: 1, .. } if session == s0));
}

#[test]
fn reaping_releases_finished_sessions() {
    let mut m = machine();
    let ids: Vec<_> = (0..10).map(|_| m.open_all_roles().unwrap()).collect();
    assert_eq!(
        (
            m.session_count(),
            m.live_session_count(),
            m.coroutine_count()
        ),
        (10, 10, 20)
    );
    assert_eq!(
        m.run(&DefaultHandler::new(0), 10_000).unwrap(),
        RunStatus::AllDone
    );
    assert!(m.reap_closed_sessions().is_empty());
    for sid in &ids[..6] {
        let by = m.coroutines_of(*sid)[1];
        m.close_session(*sid, by).unwrap();
    }
    assert_eq!((m.session_count(), m.live_session_count()), (4, 10));
    let reaped = m.reap_closed_sessions();
    assert_eq!(reaped.len(), 6);
    assert_eq!(reaped[0].epoch, 1);
    assert_eq!(
        (
            m.session_count(),
            m.live_session_count(),
            m.coroutine_count()
        ),
        (4, 4, 8)
    );
    assert!(m.session(ids[0]).is_none());
    // Slots are reused: opening again does not grow past the earlier peak.
    m.open_all_roles().unwrap();
    assert_eq!(m.coroutine_count(), 10);
}

#[test]
fn cancel_stops_running_coroutines() {
    let mut m = machine();
    let s = m.open_all_roles().unwrap();
    m.step(&DefaultHandler::new(0)).unwrap();
    m.cancel_session(s).unwrap();
    assert!(m.all_done());
    for c in m.coroutines_of(s) {
        assert_eq!(m.coroutine(c).unwrap().status, CoroStatus::Cancelled);
    }
    assert!(matches!(m.trace().last(), Some(ObsEvent::Cancelled { .. })));
    assert_eq!(m.reap_closed_sessions().len(), 1);
}

/// Emits scripted topology events at given ticks; otherwise behaves as the
/// default handler.
struct Topology(RefCell<Vec<(u64, TopologyEvent)>>);

impl EffectHandler for Topology {
    fn send_decision(
        &self,
        input: &telltale_vm::SendDecisionInput<'_>,
    ) -> Result<telltale_vm::SendDecision, String> {
        DefaultHandler::new(0).send_decision(input)
    }

    fn topology_events(&self, input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        let mut script = self.0.borrow_mut();
        let (now, later): (Vec<_>, Vec<_>) = script.drain(..).partition(|(t, _)| *t == input.tick);
        *script = later;
        Ok(now.into_iter().map(|(_, e)| e).collect())
    }
}

/// Runs rounds through `Stuck` phases (time-driven events may unblock
/// coroutines later), up to 100 rounds.
fn drive(m: &mut ProtocolMachine, h: &dyn EffectHandler) -> RunStatus {
    for _ in 0..100 {
        if m.step(h).unwrap() == telltale_vm::StepResult::AllDone {
            return RunStatus::AllDone;
        }
    }
    RunStatus::BudgetExhausted
}

#[test]
fn crash_faults_the_role() {
    let mut m = machine();
    let s = m.open_all_roles().unwrap();
    let h = Topology(RefCell::new(vec![(
        1,
        TopologyEvent::Crash {
            session: s,
            role: 1,
        },
    )]));
    assert_eq!(m.run(&h, 100).unwrap(), RunStatus::Stuck);
    let b = m.coroutines_of(s)[1];
    assert!(matches!(
        m.coroutine(b).unwrap().status,
        CoroStatus::Faulted(ref f) if matches!(**f, Fault::Crashed { .. })
    ));
}

#[test]
fn partition_blocks_until_heal() {
    let mut m = machine();
    let s = m.open_all_roles().unwrap();
    let h = Topology(RefCell::new(vec![
        (
            1,
            TopologyEvent::Partition {
                session: s,
                from: 0,
                to: 1,
            },
        ),
        (
            6,
            TopologyEvent::Heal {
                session: s,
                from: 0,
                to: 1,
            },
        ),
    ]));
    assert_eq!(drive(&mut m, &h), RunStatus::AllDone);
    let trace = m.trace();
    let blocked = trace
        .iter()
        .position(|e| {
            matches!(
                e,
                ObsEvent::Blocked {
                    reason: BlockReason::Partitioned { .. },
                    ..
                }
            )
        })
        .unwrap();
    let sent = trace
        .iter()
        .position(|e| matches!(e, ObsEvent::Sent(_)))
        .unwrap();
    assert!(blocked < sent);
    assert_eq!(trace[sent].tick(), 6);
}

/// A: partitioned send (never a receive), B: blocked on a receive.
fn timeout_script(s: u64, crash_b: bool) -> Topology {
    let mut events = vec![
        (
            1,
            TopologyEvent::Partition {
                session: s,
                from: 0,
                to: 1,
            },
        ),
        (
            1,
            TopologyEvent::Timeout {
                session: s,
                after_ticks: 3,
            },
        ),
    ];
    if crash_b {
        events.push((
            1,
            TopologyEvent::Crash {
                session: s,
                role: 1,
            },
        ));
    }
    Topology(RefCell::new(events))
}

#[test]
fn timeout_fails_a_waiting_receiver_without_a_timeout_branch() {
    let mut m = machine();
    let s = m.open_all_roles().unwrap();
    let h = timeout_script(s, false);
    // A stays blocked on the partition: the run cannot finish.
    assert_eq!(drive(&mut m, &h), RunStatus::BudgetExhausted);
    assert_eq!(m.session(s).unwrap().status, SessionStatus::Active);
    let b = m.coroutines_of(s)[1];
    assert!(matches!(
        m.coroutine(b).unwrap().status,
        CoroStatus::Faulted(ref f) if matches!(**f, Fault::TimedOut { .. })
    ));
    assert!(m
        .trace()
        .iter()
        .any(|e| matches!(e, ObsEvent::TimeoutIssued { tick: 4, .. })));
}

#[test]
fn timeout_cancels_a_session_nobody_waits_in() {
    let mut m = machine();
    let s = m.open_all_roles().unwrap();
    let h = timeout_script(s, true);
    assert_eq!(drive(&mut m, &h), RunStatus::AllDone);
    assert_eq!(m.session(s).unwrap().status, SessionStatus::Cancelled);
    let trace = m.trace();
    assert!(trace
        .iter()
        .any(|e| matches!(e, ObsEvent::TimeoutIssued { tick: 4, .. })));
}

#[test]
fn host_contract_assertions_check_identity_and_ordering() {
    struct Unordered;
    impl EffectHandler for Unordered {
        fn topology_events(&self, _: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
            Ok(vec![
                TopologyEvent::Cancel { session: 5 },
                TopologyEvent::Crash {
                    session: 5,
                    role: 0,
                },
            ])
        }
    }
    let config = Config {
        host_contract_assertions: true,
        ..Config::default()
    };
    let mut m = ProtocolMachine::new(image(), config).unwrap();
    m.open_all_roles().unwrap();
    assert!(matches!(
        m.run(&Unordered, 10),
        Err(ProtocolMachineError::HostContract(_))
    ));
    let mut m = ProtocolMachine::new(
        image(),
        Config {
            host_contract_assertions: true,
            ..Config::default()
        },
    )
    .unwrap();
    m.open_all_roles().unwrap();
    m.step(&DefaultHandler::new(0)).unwrap();
    assert!(matches!(
        m.step(&Unordered),
        Err(ProtocolMachineError::HostContract(_))
    ));
}

#[test]
fn payload_limits_and_sorts_are_enforced() {
    use std::sync::Arc;
    use telltale_compiler::Value;
    use telltale_vm::{PayloadValidationMode, SendDecision, SendDecisionInput};
    struct Sends(Value);
    impl EffectHandler for Sends {
        fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
            Ok(SendDecision::Deliver {
                label: input.choices[0],
                payload: self.0.clone(),
            })
        }
    }
    let run = |config: Config, payload: Value| {
        let mut m = ProtocolMachine::new(image(), config).unwrap();
        m.open_all_roles().unwrap();
        m.run(&Sends(payload), 100)
    };
    let big = Value::Bytes(Arc::from(vec![0u8; 200]));
    let small_limit = Config {
        max_payload_bytes: 100,
        payload_validation_mode: PayloadValidationMode::Off,
        ..Config::default()
    };
    assert!(matches!(
        run(small_limit, big),
        Err(ProtocolMachineError::Fault {
            fault: Fault::PayloadTooLarge {
                size: 209,
                max: 100,
                ..
            },
            ..
        })
    ));
    assert!(matches!(
        run(Config::default(), Value::Bool(true)),
        Err(ProtocolMachineError::Fault {
            fault: Fault::PayloadInvalid { .. },
            ..
        })
    ));
    let off = Config {
        payload_validation_mode: PayloadValidationMode::Off,
        ..Config::default()
    };
    assert_eq!(run(off, Value::Bool(true)).unwrap(), RunStatus::AllDone);
}

#[test]
fn sequence_mode_accepts_in_order_delivery() {
    let config = Config {
        communication_replay_mode: telltale_vm::CommunicationReplayMode::Sequence,
        ..Config::default()
    };
    let mut m = ProtocolMachine::new(image(), config).unwrap();
    m.open_all_roles().unwrap();
    assert_eq!(
        m.run(&DefaultHandler::new(0), 100).unwrap(),
        RunStatus::AllDone
    );
}
