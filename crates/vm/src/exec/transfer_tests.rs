//! Tests of `Transfer`.

use crate::effect::default_handler::DefaultHandler;
use crate::event::ObsEvent;
use crate::exec::test_support::{config, fault_of, machine_with, received, reg};
use crate::fault::Fault;
use crate::kernel::RunStatus;
use telltale_compiler::{Endpoint, Instr, Value};

/// A spawns a child (coroutine 2) at pc 5 and transfers its endpoint r0
/// with bundle r3 = 77 to it; `owner_tail` is what A does afterwards. The
/// child yields a few times (so the transfer happens first), then sends r3
/// and, with `reply`, receives B's answer into r4.
fn delegation(reply: bool, owner_tail: Instr) -> Vec<Instr> {
    let mut code = vec![
        Instr::Set { dst: 3, val: 1 },
        Instr::Spawn { target: 5, args: 2 },
        Instr::Set { dst: 2, val: 0 },
        Instr::Transfer {
            endpoint: 0,
            target: 2,
            bundle: 3,
        },
        owner_tail,
        Instr::Yield,
        Instr::Yield,
        Instr::Yield,
        Instr::Yield,
        Instr::Send {
            chan: 1,
            val: Some(3),
        },
    ];
    if reply {
        code.push(Instr::Receive { chan: 1, dst: 4 });
    }
    code.push(Instr::Halt);
    code
}

fn consts(target: Value) -> Vec<Value> {
    vec![target, Value::Int(77)]
}

#[test]
fn the_new_owner_takes_over_obligations_and_wakeups() {
    let mut m = machine_with(
        true,
        delegation(true, Instr::Halt),
        consts(Value::Nat(2)),
        crate::config::Config::default(),
    );
    assert_eq!(
        m.run(&DefaultHandler::new(3), 1_000).unwrap(),
        RunStatus::AllDone
    );
    assert!(m.trace_iter().any(|e| matches!(
        e,
        ObsEvent::Delegated {
            session: 0,
            role: 0,
            from: 0,
            to: 2,
            ..
        }
    )));
    assert_eq!(received(&m)[0], Value::Int(77));
    // The child blocked on B's reply and was woken for it.
    assert!(m.trace_iter().any(|e| matches!(
        e,
        ObsEvent::Blocked {
            coro: 2,
            reason: crate::coroutine::BlockReason::Recv { from: 1 },
            ..
        }
    )));
    assert!(matches!(reg(&m, 2, 4), Value::Int(_)));
    assert_eq!(
        reg(&m, 2, 0),
        Value::Endpoint(Endpoint {
            session: 0,
            role: 0
        })
    );
    assert_eq!(reg(&m, 0, 0), Value::Unit);
    assert_eq!(m.session(0).unwrap().slot_of(0), Some(2));
}

#[test]
fn the_old_owner_can_no_longer_communicate() {
    let mut m = machine_with(
        false,
        delegation(false, Instr::Send { chan: 1, val: None }),
        consts(Value::Nat(2)),
        config(),
    );
    let f = fault_of(m.run(&DefaultHandler::new(3), 1_000));
    assert_eq!(
        f,
        Fault::EndpointTransferred {
            session: 0,
            role: "A".into()
        }
    );
}

#[test]
fn bad_targets_and_foreign_endpoints_are_refused() {
    let not_owned = Value::Endpoint(Endpoint {
        session: 0,
        role: 1,
    });
    let bad = |target: u64, reason: &str| Fault::BadTransferTarget {
        target,
        reason: reason.into(),
    };
    // (value loaded into the target register, endpoint register, fault)
    let cases: Vec<(Value, u16, Fault)> = vec![
        (Value::Nat(99), 0, bad(99, "no such coroutine")),
        (Value::Nat(0), 0, bad(0, "it is the owner itself")),
        (Value::Nat(1), 0, bad(1, "it runs another program")),
        (
            Value::String("B".into()),
            0,
            Fault::BadOperand {
                reg: 2,
                expected: "a coroutine id (nat)".into(),
                found: "string".into(),
            },
        ),
        (
            Value::Nat(2),
            3,
            Fault::NotAnEndpoint {
                reg: 3,
                found: "int".into(),
            },
        ),
        (
            not_owned.clone(),
            2,
            Fault::EndpointNotOwned {
                session: 0,
                role: "B".into(),
            },
        ),
    ];
    for (target, endpoint, expected) in cases {
        let mut code = delegation(false, Instr::Halt);
        code[3] = Instr::Transfer {
            endpoint,
            target: 2,
            bundle: 3,
        };
        let mut m = machine_with(false, code, consts(target), config());
        let f = fault_of(m.run(&DefaultHandler::new(3), 1_000));
        let expected = match expected {
            Fault::NotAnEndpoint { reg, .. } => Fault::NotAnEndpoint {
                reg,
                found: Value::Int(0).kind().into(),
            },
            other => other,
        };
        assert_eq!(f, expected);
    }
}

#[test]
fn a_target_inside_a_speculation_scope_is_refused() {
    let code = vec![
        Instr::Set { dst: 3, val: 1 },
        Instr::Spawn { target: 5, args: 2 },
        Instr::Set { dst: 2, val: 0 },
        Instr::Transfer {
            endpoint: 0,
            target: 2,
            bundle: 3,
        },
        Instr::Halt,
        // The child opens a scope and lingers in it.
        Instr::Fork { ghost: 1 },
        Instr::Yield,
        Instr::Yield,
        Instr::Yield,
        Instr::Abort,
        Instr::Halt,
    ];
    let mut m = machine_with(false, code, consts(Value::Nat(2)), config());
    assert_eq!(
        fault_of(m.run(&DefaultHandler::new(3), 1_000)),
        Fault::BadTransferTarget {
            target: 2,
            reason: "it is inside a speculation scope".into()
        }
    );
}
