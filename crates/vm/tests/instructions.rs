//! One test per instruction, including hand-written bytecode that breaks
//! its protocol and must be stopped by the monitor.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use telltale_compiler::{CodeImage, Instr, OpenSpec, Value};
use telltale_types::{Label, LocalType, PayloadSort, Role};
use telltale_vm::{
    CoroStatus, DefaultHandler, EffectHandler, Fault, InvokeInput, ObsEvent, ProtocolMachine,
    ProtocolMachineError, RunStatus, SessionStatus,
};

fn int(name: &str) -> Label {
    Label::new(name, PayloadSort::Int)
}

/// `A -> B : m(int) . end` as (A, B) local types.
fn one_message() -> Vec<(Role, LocalType)> {
    vec![
        (
            Role::new("A"),
            LocalType::send("B", int("m"), LocalType::End),
        ),
        (
            Role::new("B"),
            LocalType::recv("A", int("m"), LocalType::End),
        ),
    ]
}

/// `rec t . A -> B : { more(int) . t, stop . end }` as (A, B) local types.
fn more_or_stop() -> Vec<(Role, LocalType)> {
    let branches = || {
        [
            (int("more"), LocalType::var("t")),
            (Label::unit("stop"), LocalType::End),
        ]
    };
    vec![
        (
            Role::new("A"),
            LocalType::rec("t", LocalType::select("B", branches())),
        ),
        (
            Role::new("B"),
            LocalType::rec("t", LocalType::branch("A", branches())),
        ),
    ]
}

fn image(locals: &[(Role, LocalType)]) -> CodeImage {
    CodeImage::build(None, locals).unwrap()
}

/// Loads `image` after `edit` patches role A's program, opens all roles and
/// runs with the default handler.
fn run_patched(
    locals: &[(Role, LocalType)],
    edit: impl FnOnce(&mut telltale_compiler::Program),
) -> (ProtocolMachine, Result<RunStatus, ProtocolMachineError>) {
    let mut img = image(locals);
    edit(&mut img.roles[0].program);
    let mut m = ProtocolMachine::with_unverified_programs(img, Default::default()).unwrap();
    m.open_all_roles().unwrap();
    let r = m.run(&DefaultHandler::new(1), 1000);
    (m, r)
}

fn fault_of(r: Result<RunStatus, ProtocolMachineError>) -> Fault {
    match r {
        Err(ProtocolMachineError::Fault { fault, .. }) => fault,
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn send_and_receive_deliver_the_payload() {
    let (m, r) = run_patched(&one_message(), |_| {});
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    let sent: Vec<_> = m
        .trace()
        .into_iter()
        .filter_map(|e| match e {
            ObsEvent::Sent(s) => Some(s.payload),
            _ => None,
        })
        .collect();
    let received: Vec<_> = m
        .trace()
        .into_iter()
        .filter_map(|e| match e {
            ObsEvent::Received(s) => Some(s.payload),
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent, received);
    let b = m.coroutines_of(0)[1];
    assert_eq!(m.coroutine(b).unwrap().registers[1], sent[0]);
}

#[test]
fn offer_and_choose_follow_the_picked_branch() {
    let locals = vec![
        (
            Role::new("A"),
            LocalType::select(
                "B",
                [
                    (Label::unit("left"), LocalType::End),
                    (
                        Label::unit("right"),
                        LocalType::send("B", int("x"), LocalType::End),
                    ),
                ],
            ),
        ),
        (
            Role::new("B"),
            LocalType::branch(
                "A",
                [
                    (Label::unit("left"), LocalType::End),
                    (
                        Label::unit("right"),
                        LocalType::recv("A", int("x"), LocalType::End),
                    ),
                ],
            ),
        ),
    ];
    for seed in 0..8 {
        let mut m = ProtocolMachine::new(image(&locals), Default::default()).unwrap();
        m.open_all_roles().unwrap();
        assert_eq!(
            m.run(&DefaultHandler::new(seed), 100).unwrap(),
            RunStatus::AllDone
        );
        let trace = m.trace();
        let offered = trace.iter().find_map(|e| match e {
            ObsEvent::Offered(o) => Some(o.label),
            _ => None,
        });
        let chose = trace.iter().find_map(|e| match e {
            ObsEvent::Chose(o) => Some(o.label),
            _ => None,
        });
        assert_eq!(offered, chose);
    }
}

#[test]
fn jump_loops_until_the_handler_exits() {
    let locals = more_or_stop();
    let mut m = ProtocolMachine::new(image(&locals), Default::default()).unwrap();
    m.open_all_roles().unwrap();
    let handler = DefaultHandler::with_free_iterations(3, 5);
    assert_eq!(m.run(&handler, 10_000).unwrap(), RunStatus::AllDone);
    let offers = m
        .trace()
        .iter()
        .filter(|e| matches!(e, ObsEvent::Offered(_)))
        .count();
    assert_eq!(offers, 6, "five free iterations, then the exit");
}

#[test]
fn set_and_move_precompute_the_payload() {
    let (m, r) = run_patched(&one_message(), |p| {
        p.register_count = 4;
        p.consts.push(Value::Int(42));
        p.code = vec![
            Instr::Set { dst: 2, val: 0 },
            Instr::Move { dst: 3, src: 2 },
            Instr::Send {
                chan: 1,
                val: Some(3),
            },
            Instr::Halt,
        ];
    });
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    assert!(m.trace().iter().any(|e| matches!(
        e,
        ObsEvent::Received(ev) if ev.payload == Value::Int(42)
    )));
}

#[test]
fn yield_gives_way_and_resumes() {
    let (m, r) = run_patched(&one_message(), |p| {
        p.code.insert(0, Instr::Yield);
    });
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    assert!(m
        .trace()
        .iter()
        .any(|e| matches!(e, ObsEvent::Yielded { .. })));
}

#[test]
fn registers_are_bounds_checked_on_load() {
    let mut img = image(&one_message());
    img.roles[0]
        .program
        .code
        .insert(0, Instr::Move { dst: 0, src: 1 });
    img.roles[0].program.register_count = 1;
    assert!(matches!(
        ProtocolMachine::with_unverified_programs(img, Default::default()),
        Err(ProtocolMachineError::Image(
            telltale_compiler::ImageError::BadOperand { pc: 0, .. }
        ))
    ));
}

struct Stepper;

impl EffectHandler for Stepper {
    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        if input.action == 9 {
            Err("invalid action".into())
        } else {
            Ok(Value::Nat(u64::from(input.action) * 10))
        }
    }
}

#[test]
fn invoke_calls_the_handler_step() {
    let mut img = image(&one_message());
    img.roles[0]
        .program
        .code
        .insert(0, Instr::Invoke { action: 4, dst: 1 });
    img.roles[0].program.code[2] = Instr::Halt;
    let mut m = ProtocolMachine::with_unverified_programs(img, Default::default()).unwrap();
    m.open_all_roles().unwrap();
    for _ in 0..2 {
        m.step(&Stepper).unwrap();
    }
    let a = m.coroutines_of(0)[0];
    assert_eq!(m.coroutine(a).unwrap().registers[1], Value::Nat(40));
    assert!(m
        .trace()
        .iter()
        .any(|e| matches!(e, ObsEvent::Invoked { action: 4, .. })));

    let mut img = image(&one_message());
    img.roles[0]
        .program
        .code
        .insert(0, Instr::Invoke { action: 9, dst: 1 });
    let mut m = ProtocolMachine::with_unverified_programs(img, Default::default()).unwrap();
    m.open_all_roles().unwrap();
    match fault_of(m.run(&Stepper, 10)) {
        Fault::Handler {
            callback, error, ..
        } => {
            assert_eq!(callback, "step");
            assert_eq!(error.category, telltale_vm::EffectErrorCategory::Contract);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn extended_instructions_fault_with_typed_errors_when_misused() {
    // Every instruction is implemented: misuse gets its own typed fault,
    // never `Fault::Unsupported` (their own tests live next to the code).
    let cases = [
        (
            Instr::Acquire { layer: 0, dst: 9 },
            Fault::OutOfRegisters { reg: 9, count: 2 },
        ),
        (
            Instr::Release {
                layer: 0,
                evidence: 0,
            },
            Fault::GuardNotHeld { layer: 0 },
        ),
        (
            Instr::Join,
            Fault::NoSpeculation {
                instr: "join".into(),
            },
        ),
        (
            Instr::Abort,
            Fault::NoSpeculation {
                instr: "abort".into(),
            },
        ),
        (
            Instr::Transfer {
                endpoint: 0,
                target: 0,
                bundle: 0,
            },
            Fault::BadOperand {
                reg: 0,
                expected: "a coroutine id (nat)".into(),
                found: "endpoint".into(),
            },
        ),
        (
            Instr::Check {
                knowledge: 0,
                target: 0,
                dst: 0,
            },
            Fault::BadOperand {
                reg: 0,
                expected: "a role name (str) or role id (nat)".into(),
                found: "endpoint".into(),
            },
        ),
    ];
    for (instr, expected) in cases {
        let mut img = image(&one_message());
        let p = &mut img.roles[0].program;
        p.code.insert(0, instr);
        p.register_count = 2;
        let result = ProtocolMachine::with_unverified_programs(img, Default::default());
        let Ok(mut m) = result else {
            // Out-of-range registers are refused on load already.
            assert!(matches!(expected, Fault::OutOfRegisters { .. }));
            continue;
        };
        m.open_all_roles().unwrap();
        assert_eq!(fault_of(m.run(&DefaultHandler::new(1), 1000)), expected);
    }
}

#[test]
fn the_monitor_stops_protocol_violations() {
    // Each case patches A's program of `A -> B : m(int)` into something its
    // local type forbids, and names the expected and actual actions.
    let check = |edit: &dyn Fn(&mut telltale_compiler::Program), expected: &str, actual: &str| {
        let (m, r) = run_patched(&one_message(), |p| edit(p));
        match fault_of(r) {
            Fault::ProtocolViolation {
                session,
                role,
                expected: e,
                actual: a,
            } => {
                assert_eq!(session, 0);
                assert_eq!(role, "A");
                assert_eq!(e, expected);
                assert_eq!(a, actual);
            }
            other => panic!("{other:?}"),
        }
        let trace = m.trace();
        let n = trace.len();
        assert!(matches!(
            trace[n - 2],
            ObsEvent::FailureBranchEntered { .. }
        ));
        assert!(matches!(trace[n - 1], ObsEvent::Faulted { .. }));
    };
    check(&|p| p.code[0] = Instr::Halt, "send to B one of {m}", "halt");
    check(
        &|p| p.code[0] = Instr::Receive { chan: 1, dst: 1 },
        "send to B one of {m}",
        "receive from B (a message)",
    );
    check(
        &|p| p.code.insert(1, Instr::Send { chan: 1, val: None }),
        "halt (the local type is at end)",
        "send to B (a message)",
    );
    check(
        &|p| {
            p.tables.push(telltale_compiler::JumpTable {
                dst: 1,
                labels: vec![0],
                targets: vec![1],
                steer: None,
            });
            p.code[0] = Instr::Offer { chan: 0, table: 0 };
        },
        "send to B one of {m}",
        "send to A (a choice)",
    );
}

#[test]
fn a_wrong_label_is_a_violation_too() {
    // B expects `m` but A's hand-written program sends label `other`.
    let mut locals = one_message();
    locals.push((
        Role::new("C"),
        LocalType::send("A", Label::unit("other"), LocalType::End),
    ));
    let mut img = image(&locals);
    let other = img
        .symbols
        .labels
        .iter()
        .position(|l| l.name() == "other")
        .unwrap() as u16;
    img.roles[0]
        .program
        .tables
        .push(telltale_compiler::JumpTable {
            dst: 1,
            labels: vec![other],
            targets: vec![1],
            steer: None,
        });
    img.roles[0].program.code[0] = Instr::Offer { chan: 1, table: 0 };
    let mut m = ProtocolMachine::with_unverified_programs(img, Default::default()).unwrap();
    m.open_session(&telltale_vm::SessionRequest {
        roles: vec![Role::new("A"), Role::new("B")],
        handlers: vec![],
        default_handler: Some("h".into()),
    })
    .unwrap();
    match fault_of(m.run(&DefaultHandler::new(0), 100)) {
        Fault::ProtocolViolation { actual, .. } => assert_eq!(actual, "send to B label other"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn open_and_close_manage_sessions_from_bytecode() {
    // A opens a second session with role C (endpoint in r2), then does its
    // own protocol, then closes the new session.
    let mut locals = one_message();
    locals.push((Role::new("C"), LocalType::End));
    let (m, r) = run_patched(&locals, |p| {
        p.register_count = 4;
        p.open_specs.push(OpenSpec {
            roles: vec![2],
            local_types: vec![2],
            handlers: vec![],
            dsts: vec![2],
        });
        p.code = vec![
            Instr::Open { spec: 0 },
            Instr::Send { chan: 1, val: None },
            Instr::Close { session: 2 },
            Instr::Halt,
        ];
    });
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    let opened = m
        .trace()
        .iter()
        .filter(|e| matches!(e, ObsEvent::Opened { .. }))
        .count();
    assert_eq!(opened, 2);
    assert_eq!(m.session(1).unwrap().status, SessionStatus::Closed);
    let events: Vec<_> = m
        .trace()
        .into_iter()
        .filter(|e| matches!(e, ObsEvent::Closed { .. } | ObsEvent::EpochAdvanced { .. }))
        .collect();
    assert!(matches!(events[0], ObsEvent::Closed { session: 1, .. }));
    assert!(matches!(
        events[1],
        ObsEvent::EpochAdvanced {
            session: 1,
            epoch: 1,
            ..
        }
    ));
}

#[test]
fn open_checks_arity_and_uniqueness() {
    let check = |spec: OpenSpec, ok: &dyn Fn(&Fault) -> bool| {
        let (_, r) = run_patched(&one_message(), |p| {
            p.register_count = 4;
            p.open_specs.push(spec);
            p.code.insert(0, Instr::Open { spec: 0 });
        });
        let f = fault_of(r);
        assert!(ok(&f), "{f:?}");
    };
    check(
        OpenSpec {
            roles: vec![0, 1],
            local_types: vec![0],
            handlers: vec![(0, 1, 0)],
            dsts: vec![2, 3],
        },
        &|f| {
            matches!(
                f,
                Fault::Lifecycle(telltale_vm::LifecycleError::Arity { .. })
            )
        },
    );
    check(
        OpenSpec {
            roles: vec![0, 0],
            local_types: vec![0, 0],
            handlers: vec![(0, 1, 0)],
            dsts: vec![2, 3],
        },
        &|f| {
            matches!(
                f,
                Fault::Lifecycle(telltale_vm::LifecycleError::DuplicateRole { .. })
            )
        },
    );
    check(
        OpenSpec {
            roles: vec![0, 1],
            local_types: vec![0, 1],
            handlers: vec![],
            dsts: vec![2, 3],
        },
        &|f| {
            matches!(
                f,
                Fault::Lifecycle(telltale_vm::LifecycleError::UncoveredEdge { .. })
            )
        },
    );
}

#[test]
fn close_refuses_non_owners() {
    let (_, r) = run_patched(&one_message(), |p| {
        p.register_count = 3;
        p.consts.push(Value::Endpoint(telltale_compiler::Endpoint {
            session: 7,
            role: 0,
        }));
        p.code.insert(0, Instr::Set { dst: 2, val: 0 });
        p.code.insert(1, Instr::Close { session: 2 });
    });
    assert!(matches!(
        fault_of(r),
        Fault::Lifecycle(telltale_vm::LifecycleError::UnknownSession { session: 7 })
    ));
    let (_, r) = run_patched(&one_message(), |p| {
        p.code.insert(0, Instr::Close { session: 1 });
    });
    assert!(matches!(fault_of(r), Fault::NotAnEndpoint { reg: 1, .. }));
}

#[test]
fn faulted_coroutines_keep_their_fault() {
    let (m, r) = run_patched(&one_message(), |p| p.code[0] = Instr::Halt);
    let f = fault_of(r);
    let a = m.coroutines_of(0)[0];
    assert_eq!(
        m.coroutine(a).unwrap().status,
        CoroStatus::Faulted(Arc::new(f))
    );
}

#[test]
fn jumps_are_threaded_without_changing_what_is_observed() {
    let locals = more_or_stop();
    let run = |thread_jumps: bool| {
        let config = telltale_vm::Config {
            thread_jumps,
            ..Default::default()
        };
        let mut m = ProtocolMachine::new(image(&locals), config).unwrap();
        m.open_all_roles().unwrap();
        assert_eq!(
            m.run(&DefaultHandler::with_free_iterations(5, 6), 10_000)
                .unwrap(),
            RunStatus::AllDone
        );
        let messages: Vec<_> = m
            .trace()
            .into_iter()
            .filter_map(|e| match e {
                // Payloads of the default handler depend on the tick, which
                // threading changes, so compare labels and edges.
                ObsEvent::Offered(x) | ObsEvent::Chose(x) => Some((x.label, x.from, x.to)),
                _ => None,
            })
            .collect();
        (messages, m.scheduler_step_count())
    };
    let (threaded, threaded_steps) = run(true);
    let (plain, plain_steps) = run(false);
    assert_eq!(threaded, plain);
    assert!(
        threaded_steps < plain_steps,
        "{threaded_steps} vs {plain_steps}"
    );
}
