//! Tests of `Fork`/`Join`/`Abort`.

use crate::effect::default_handler::DefaultHandler;
use crate::effect::{EffectHandler, JoinInput};
use crate::event::ObsEvent;
use crate::exec::speculation::MAX_SPECULATION_DEPTH;
use crate::exec::test_support::{
    config, fault_of, machine_with, received, reg, run, send_and_halt,
};
use crate::fault::Fault;
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use proptest::prelude::*;
use telltale_compiler::{Instr, StateId, Value};

/// Answers every join with a fixed verdict, or fails.
struct Joins(Result<bool, String>);

impl EffectHandler for Joins {
    fn handle_join(&self, _input: &JoinInput) -> Result<bool, String> {
        self.0.clone()
    }
}

/// Steps the machine until coroutine 0 reaches `pc`.
fn step_to(m: &mut ProtocolMachine, h: &dyn EffectHandler, pc: u32) {
    for _ in 0..1_000 {
        if m.coroutine(0).unwrap().pc == pc {
            return;
        }
        m.step(h).unwrap();
    }
    panic!("pc {pc} never reached");
}

type Snapshot = (Vec<Value>, StateId, Vec<Value>);

fn snapshot(m: &ProtocolMachine) -> Snapshot {
    let v = m.coroutine(0).unwrap();
    (v.registers, v.monitor_state, m.knowledge(0))
}

/// A local instruction over registers 1..=5 and constants 0..4.
fn local_op() -> impl Strategy<Value = Instr> {
    prop_oneof![
        (1u16..6, 0u16..4).prop_map(|(dst, val)| Instr::Set { dst, val }),
        (1u16..6, 1u16..6).prop_map(|(dst, src)| Instr::Move { dst, src }),
        (1u16..6, 1u16..6).prop_map(|(fact, dst)| Instr::Tag { fact, dst }),
        Just(Instr::Yield),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// fork; random local work; abort ⇒ registers, monitor state and
    /// knowledge are exactly what they were at the fork.
    #[test]
    fn abort_restores_the_checkpoint_exactly(
        before in prop::collection::vec(local_op(), 0..6),
        inside in prop::collection::vec(local_op(), 0..12),
    ) {
        let consts = vec![
            Value::Int(-3),
            Value::String("x".into()),
            Value::Nat(9),
            Value::Bool(true),
        ];
        let fork = before.len() as u32;
        let mut code = before;
        code.push(Instr::Fork { ghost: 1 });
        code.extend(inside.iter().copied());
        let abort = code.len() as u32;
        code.push(Instr::Abort);
        code.extend(send_and_halt());
        let mut m = machine_with(false, code, consts, config());
        let h = DefaultHandler::new(0);
        step_to(&mut m, &h, fork);
        let at_fork = snapshot(&m);
        step_to(&mut m, &h, abort);
        prop_assert_eq!(m.speculation_depth(0), 1);
        step_to(&mut m, &h, abort + 1);
        prop_assert_eq!(snapshot(&m), at_fork);
        prop_assert_eq!(m.speculation_depth(0), 0);
        prop_assert_eq!(m.run(&h, 1_000).unwrap(), RunStatus::AllDone);
    }
}

fn scoped(join: Instr) -> Vec<Instr> {
    let mut code = vec![
        Instr::Set { dst: 1, val: 0 },
        Instr::Fork { ghost: 4 },
        Instr::Set { dst: 1, val: 1 },
        join,
        Instr::Send {
            chan: 1,
            val: Some(1),
        },
    ];
    code.push(Instr::Halt);
    code
}

#[test]
fn join_commits_or_rolls_back_by_the_host_verdict() {
    let consts = vec![Value::Int(1), Value::Int(42)];
    // (terminator, handler, payload sent, event expected)
    let cases: [(Instr, Joins, i64, &str); 3] = [
        (Instr::Join, Joins(Ok(true)), 42, "joined"),
        (Instr::Join, Joins(Ok(false)), 1, "rejected"),
        (Instr::Abort, Joins(Ok(true)), 1, "aborted"),
    ];
    for (end, h, payload, event) in cases {
        let (m, r) = run(scoped(end), consts.clone(), &h);
        assert_eq!(r.unwrap(), RunStatus::AllDone, "{event}");
        assert_eq!(received(&m), vec![Value::Int(payload)], "{event}");
        let seen = m.trace_iter().any(|e| match e {
            ObsEvent::Joined { ghost: 4, .. } => event == "joined",
            ObsEvent::JoinRejected { ghost: 4, .. } => event == "rejected",
            ObsEvent::Aborted { ghost: 4, .. } => event == "aborted",
            _ => false,
        });
        assert!(seen, "{event}");
        assert!(m
            .trace_iter()
            .any(|e| matches!(e, ObsEvent::Forked { ghost: 4, .. })));
    }
}

#[test]
fn scopes_nest() {
    let consts = vec![Value::Int(1), Value::Int(2), Value::Int(3)];
    let code = vec![
        Instr::Fork { ghost: 1 },
        Instr::Set { dst: 1, val: 0 },
        Instr::Fork { ghost: 2 },
        Instr::Set { dst: 1, val: 1 },
        Instr::Abort,
        Instr::Move { dst: 2, src: 1 },
        Instr::Fork { ghost: 3 },
        Instr::Set { dst: 1, val: 2 },
        Instr::Join,
        Instr::Join,
        Instr::Send {
            chan: 1,
            val: Some(1),
        },
        Instr::Halt,
    ];
    let (m, r) = run(code, consts, &Joins(Ok(true)));
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    assert_eq!(reg(&m, 0, 2), Value::Int(1));
    assert_eq!(received(&m), vec![Value::Int(3)]);
}

#[test]
fn misuse_is_a_typed_fault() {
    let escape = |instr: &str| Fault::SpeculationCommunicates {
        ghost: 0,
        instr: instr.into(),
    };
    let cases: Vec<(Vec<Instr>, Fault)> = vec![
        (
            vec![Instr::Join],
            Fault::NoSpeculation {
                instr: "join".into(),
            },
        ),
        (
            vec![Instr::Abort],
            Fault::NoSpeculation {
                instr: "abort".into(),
            },
        ),
        (
            vec![Instr::Fork { ghost: 0 }, Instr::Send { chan: 1, val: None }],
            escape("send to B (a message)"),
        ),
        (
            vec![
                Instr::Send { chan: 1, val: None },
                Instr::Fork { ghost: 0 },
                Instr::Halt,
            ],
            escape("halt"),
        ),
        (
            vec![
                Instr::Fork { ghost: 0 },
                Instr::Spawn { target: 0, args: 1 },
            ],
            escape("spawn"),
        ),
        (
            vec![Instr::Fork { ghost: 0 }, Instr::Close { session: 0 }],
            escape("close"),
        ),
        (
            vec![
                Instr::Fork { ghost: 0 },
                Instr::Acquire { layer: 0, dst: 1 },
            ],
            escape("acquire"),
        ),
        (
            vec![
                Instr::Fork { ghost: 0 },
                Instr::Transfer {
                    endpoint: 0,
                    target: 1,
                    bundle: 1,
                },
            ],
            escape("transfer"),
        ),
        (
            vec![Instr::Fork { ghost: 0 }; MAX_SPECULATION_DEPTH + 1],
            Fault::SpeculationTooDeep {
                max: MAX_SPECULATION_DEPTH,
            },
        ),
    ];
    for (mut code, expected) in cases {
        code.extend(send_and_halt());
        let (_, r) = run(code, vec![], &Joins(Ok(true)));
        assert_eq!(fault_of(r), expected);
    }
    let (_, r) = run(
        vec![Instr::Fork { ghost: 0 }, Instr::Join, Instr::Halt],
        vec![],
        &Joins(Err("reconciliation failed".into())),
    );
    assert!(matches!(
        fault_of(r),
        Fault::Handler { callback, .. } if callback == "handle_join"
    ));
}
