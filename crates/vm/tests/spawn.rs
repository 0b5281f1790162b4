//! `Spawn{target,args}` with hand-written bytecode: the child starts in the
//! spawner's session and role, gets the endpoint and argument registers,
//! cannot play the parent's protocol, and lives and dies with the session.
#![allow(clippy::unwrap_used)]

use telltale_compiler::{CodeImage, Instr, Program, Value};
use telltale_types::{Label, LocalType, PayloadSort, Role};
use telltale_vm::{
    render_event, CoroStatus, DefaultHandler, Fault, ObsEvent, ProtocolMachine,
    ProtocolMachineError, RunStatus,
};

/// `A -> B : m(int) . end` as (A, B) local types.
fn one_message() -> Vec<(Role, LocalType)> {
    let m = Label::new("m", PayloadSort::Int);
    vec![
        (
            Role::new("A"),
            LocalType::send("B", m.clone(), LocalType::End),
        ),
        (Role::new("B"), LocalType::recv("A", m, LocalType::End)),
    ]
}

/// Role A's program becomes `set r1 <arg>; spawn <child>, r1; <original>`
/// followed by `child`, whose own jumps are relative to its first
/// instruction.
fn image_with_child(child: &[Instr]) -> CodeImage {
    let mut img = CodeImage::build(None, one_message()).unwrap();
    let p: &mut Program = &mut img.roles[0].program;
    let arg = u16::try_from(p.consts.len()).unwrap();
    p.consts.push(Value::Int(7));
    let original = p.code.clone();
    let child_pc = u32::try_from(original.len() + 2).unwrap();
    p.code = vec![
        Instr::Set { dst: 1, val: arg },
        Instr::Spawn {
            target: child_pc,
            args: 1,
        },
    ];
    p.code.extend(original);
    p.code.extend(child.iter().map(|i| match *i {
        Instr::Jump { target } => Instr::Jump {
            target: target + child_pc,
        },
        other => other,
    }));
    img
}

fn machine(child: &[Instr]) -> ProtocolMachine {
    let img = image_with_child(child);
    let mut m = ProtocolMachine::with_unverified_programs(img, Default::default()).unwrap();
    m.open_all_roles().unwrap();
    m
}

#[test]
fn the_child_runs_with_the_endpoint_and_argument_copied() {
    let mut m = machine(&[Instr::Yield, Instr::Halt]);
    let status = m.run(&DefaultHandler::new(3), 1_000).unwrap();
    assert_eq!(status, RunStatus::AllDone);
    let coros = m.coroutines_of(0);
    assert_eq!(coros.len(), 3, "two roles and one spawned child");
    let (parent, child) = (
        m.coroutine(coros[0]).unwrap(),
        m.coroutine(coros[2]).unwrap(),
    );
    assert_eq!(child.status, CoroStatus::Done);
    assert_eq!(child.role, parent.role);
    assert_eq!(child.session, parent.session);
    assert_eq!(child.registers[0], parent.registers[0]);
    assert!(matches!(child.registers[0], Value::Endpoint(_)));
    assert_eq!(child.registers[1], Value::Int(7));
    let spawned: Vec<_> = m
        .trace()
        .into_iter()
        .filter(|e| matches!(e, ObsEvent::Spawned { .. }))
        .collect();
    assert_eq!(spawned.len(), 1);
    let line = render_event(&spawned[0], m.symbols());
    assert!(line.contains("spawns coroutine"), "{line}");
}

#[test]
fn the_spawner_yields_and_keeps_its_protocol() {
    let mut m = machine(&[Instr::Halt]);
    m.step(&DefaultHandler::new(1)).unwrap(); // A: set
    m.step(&DefaultHandler::new(1)).unwrap(); // B: blocks on receive
    m.step(&DefaultHandler::new(1)).unwrap(); // A: spawn, yields
    let trace = m.trace();
    assert!(trace.iter().any(|e| matches!(e, ObsEvent::Spawned { .. })));
    assert!(trace.iter().any(|e| matches!(e, ObsEvent::Yielded { .. })));
    assert_eq!(
        m.run(&DefaultHandler::new(1), 1_000).unwrap(),
        RunStatus::AllDone
    );
    assert!(m.trace().iter().any(|e| matches!(e, ObsEvent::Received(_))));
}

#[test]
fn the_child_cannot_play_the_parents_protocol() {
    // The child tries the parent's own first instruction (the send to B).
    let send = CodeImage::build(None, one_message()).unwrap().roles[0]
        .program
        .code[0];
    assert!(matches!(send, Instr::Send { .. }));
    let mut m = machine(&[send, Instr::Halt]);
    match m.run(&DefaultHandler::new(1), 1_000) {
        Err(ProtocolMachineError::Fault {
            fault: Fault::ProtocolViolation { .. },
            ..
        }) => {}
        other => panic!("expected a protocol violation, got {other:?}"),
    }
}

#[test]
fn closing_the_session_cancels_the_child_and_reaping_releases_it() {
    // The child loops forever; only the session's close stops it.
    let mut m = machine(&[Instr::Yield, Instr::Jump { target: 0 }]);
    let status = m.run(&DefaultHandler::new(1), 50).unwrap();
    assert_eq!(status, RunStatus::BudgetExhausted);
    let coros = m.coroutines_of(0);
    let child = coros[2];
    assert_eq!(m.coroutine(child).unwrap().status, CoroStatus::Ready);
    m.close_session(0, coros[0]).unwrap();
    assert_eq!(m.coroutine(child).unwrap().status, CoroStatus::Cancelled);
    assert!(m.all_done());
    let reaped = m.reap_closed_sessions();
    assert_eq!(reaped.len(), 1);
    assert!(m.coroutine(child).is_none());
    assert_eq!(m.coroutine_count(), 0);
}

#[test]
fn spawn_targets_and_argument_registers_are_validated_on_load() {
    let mut img = CodeImage::build(None, one_message()).unwrap();
    let len = u32::try_from(img.roles[0].program.code.len()).unwrap();
    img.roles[0].program.code.insert(
        0,
        Instr::Spawn {
            target: len + 5,
            args: 1,
        },
    );
    assert!(ProtocolMachine::with_unverified_programs(img, Default::default()).is_err());

    let mut img = CodeImage::build(None, one_message()).unwrap();
    img.roles[0].program.code.insert(
        0,
        Instr::Spawn {
            target: 0,
            args: 999,
        },
    );
    assert!(ProtocolMachine::with_unverified_programs(img, Default::default()).is_err());
}

#[test]
fn spawn_disassembles_with_its_operands() {
    let img = image_with_child(&[Instr::Halt]);
    let text = img.roles[0].program.to_string();
    assert!(text.contains("spawn"), "{text}");
    assert!(text.contains("r1"), "{text}");
}

/// Scripted crash of role A at tick 5.
struct CrashA;

impl telltale_vm::EffectHandler for CrashA {
    fn send_decision(
        &self,
        input: &telltale_vm::SendDecisionInput<'_>,
    ) -> Result<telltale_vm::SendDecision, String> {
        DefaultHandler::new(0).send_decision(input)
    }

    fn topology_events(
        &self,
        input: &telltale_vm::TopologyInput,
    ) -> Result<Vec<telltale_vm::TopologyEvent>, String> {
        Ok(if input.tick == 5 {
            vec![telltale_vm::TopologyEvent::Crash {
                session: 0,
                role: 0,
            }]
        } else {
            Vec::new()
        })
    }
}

#[test]
fn a_crash_reaches_the_roles_spawned_children() {
    // The child loops forever; the crash of A must stop it with its parent.
    let mut m = machine(&[Instr::Yield, Instr::Jump { target: 0 }]);
    assert_eq!(m.run(&CrashA, 1_000).unwrap(), RunStatus::Stuck);
    let coros = m.coroutines_of(0);
    assert_eq!(coros.len(), 3);
    for (i, expect_crash) in [(0, true), (1, false), (2, true)] {
        let status = m.coroutine(coros[i]).unwrap().status;
        let crashed =
            matches!(status, CoroStatus::Faulted(ref f) if matches!(**f, Fault::Crashed { .. }));
        assert_eq!(crashed, expect_crash, "coroutine {i}: {status:?}");
    }
}
