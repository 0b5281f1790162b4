//! Tests of `Tag`/`Check` and the flow policy.

use crate::config::Config;
use crate::effect::default_handler::DefaultHandler;
use crate::event::ObsEvent;
use crate::exec::test_support::{fault_of, machine_with, reg, send_and_halt};
use crate::fault::Fault;
use crate::kernel::RunStatus;
use crate::knowledge::{FlowPolicy, FlowRule};
use std::sync::Arc;
use telltale_compiler::{Instr, Value};

/// Tags `tagged`, then checks `checked` for `role` into r2.
fn check_program() -> Vec<Instr> {
    let mut code = vec![
        Instr::Set { dst: 1, val: 0 },
        Instr::Tag { fact: 1, dst: 2 },
        Instr::Set { dst: 1, val: 1 },
        Instr::Set { dst: 3, val: 2 },
        Instr::Check {
            knowledge: 1,
            target: 3,
            dst: 2,
        },
    ];
    code.extend(send_and_halt());
    code
}

fn s(x: &str) -> Value {
    Value::String(x.into())
}

/// (tagged fact, checked fact, role operand, policy, r2 or the fault).
type Case = (Value, Value, Value, FlowPolicy, Result<Value, Fault>);

#[test]
fn check_answers_within_the_flow_policy() {
    let prices_to_b = FlowPolicy::Allow(vec![FlowRule {
        prefix: "price".into(),
        roles: vec!["B".into()],
    }]);
    let violation = |fact: &str, role: &str| {
        Err(Fault::FlowPolicyViolation {
            fact: fact.into(),
            role: role.into(),
        })
    };
    let balance = Value::Product(Arc::from(vec![s("balance"), Value::Nat(5)]));
    // (tagged, checked, role operand, policy, result in r2 or fault)
    let table: Vec<Case> = vec![
        (
            s("price.eu"),
            s("price.eu"),
            s("B"),
            FlowPolicy::AllowAll,
            Ok(Value::Bool(true)),
        ),
        (
            s("price.eu"),
            s("price.us"),
            s("B"),
            FlowPolicy::AllowAll,
            Ok(Value::Bool(false)),
        ),
        (
            s("price.eu"),
            s("price.eu"),
            Value::Nat(1),
            prices_to_b.clone(),
            Ok(Value::Bool(true)),
        ),
        (
            s("price.eu"),
            s("price.us"),
            s("B"),
            prices_to_b.clone(),
            Ok(Value::Bool(false)),
        ),
        (
            s("price.eu"),
            s("price.eu"),
            s("A"),
            prices_to_b.clone(),
            violation("price.eu", "A"),
        ),
        (
            s("secret"),
            s("secret"),
            s("B"),
            prices_to_b.clone(),
            violation("secret", "B"),
        ),
        // A forbidden fact is refused whether or not it is known.
        (
            s("x"),
            s("secret"),
            s("B"),
            prices_to_b.clone(),
            violation("secret", "B"),
        ),
        (
            balance.clone(),
            balance.clone(),
            s("B"),
            FlowPolicy::Allow(vec![FlowRule {
                prefix: "balance".into(),
                roles: vec!["B".into()],
            }]),
            Ok(Value::Bool(true)),
        ),
        (
            balance.clone(),
            balance,
            s("B"),
            prices_to_b,
            violation("balance", "B"),
        ),
        (
            s("a"),
            s("a"),
            s("Z"),
            FlowPolicy::AllowAll,
            Err(Fault::UnknownRole { role: "Z".into() }),
        ),
        (
            s("a"),
            s("a"),
            Value::Nat(9),
            FlowPolicy::AllowAll,
            Err(Fault::UnknownRole { role: "#9".into() }),
        ),
        (
            s("a"),
            s("a"),
            Value::Bool(true),
            FlowPolicy::AllowAll,
            Err(Fault::BadOperand {
                reg: 3,
                expected: "a role name (str) or role id (nat)".into(),
                found: Value::Bool(true).kind().into(),
            }),
        ),
    ];
    for (i, (tagged, checked, role, flow_policy, expected)) in table.into_iter().enumerate() {
        let config = Config {
            flow_policy,
            ..Config::default()
        };
        let mut m = machine_with(false, check_program(), vec![tagged, checked, role], config);
        let r = m.run(&DefaultHandler::new(0), 1_000);
        match expected {
            Ok(v) => {
                assert_eq!(r.unwrap(), RunStatus::AllDone, "case {i}");
                assert_eq!(reg(&m, 0, 2), v, "case {i}");
                assert!(m.trace_iter().any(|e| matches!(
                    e,
                    ObsEvent::Checked {
                        coro: 0,
                        role: 1,
                        ..
                    }
                )));
            }
            Err(f) => assert_eq!(fault_of(r), f, "case {i}"),
        }
    }
}

#[test]
fn tags_are_stable_indices() {
    let mut code = vec![
        Instr::Set { dst: 1, val: 0 },
        Instr::Tag { fact: 1, dst: 2 },
        Instr::Set { dst: 1, val: 1 },
        Instr::Tag { fact: 1, dst: 3 },
        Instr::Set { dst: 1, val: 0 },
        Instr::Tag { fact: 1, dst: 4 },
    ];
    code.extend(send_and_halt());
    let mut m = machine_with(false, code, vec![s("a"), s("b")], Config::default());
    assert_eq!(
        m.run(&DefaultHandler::new(0), 1_000).unwrap(),
        RunStatus::AllDone
    );
    assert_eq!(reg(&m, 0, 2), Value::Nat(0));
    assert_eq!(reg(&m, 0, 3), Value::Nat(1));
    assert_eq!(reg(&m, 0, 4), Value::Nat(0));
    assert_eq!(m.knowledge(0), vec![s("a"), s("b")]);
    let tags = m
        .trace_iter()
        .filter(|e| matches!(e, ObsEvent::Tagged { .. }))
        .count();
    assert_eq!(tags, 3);
}
