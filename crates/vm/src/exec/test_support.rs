//! Shared fixtures of the extended-instruction tests: hand-written programs
//! for `A -> B : m(int)` (optionally followed by `B -> A : r(int)`).

use crate::config::Config;
use crate::effect::EffectHandler;
use crate::event::ObsEvent;
use crate::fault::{Fault, ProtocolMachineError};
use crate::ids::CoroId;
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use telltale_compiler::{CodeImage, Instr, Program, Value};
use telltale_types::{Label, LocalType, PayloadSort, Role};

/// `A -> B : m(int) . end`, and with `reply` then `B -> A : r(int) . end`.
pub(crate) fn locals(reply: bool) -> Vec<(Role, LocalType)> {
    let m = Label::new("m", PayloadSort::Int);
    let r = Label::new("r", PayloadSort::Int);
    let (a_rest, b_rest) = if reply {
        (
            LocalType::recv("B", r.clone(), LocalType::End),
            LocalType::send("A", r, LocalType::End),
        )
    } else {
        (LocalType::End, LocalType::End)
    };
    vec![
        (Role::new("A"), LocalType::send("B", m.clone(), a_rest)),
        (Role::new("B"), LocalType::recv("A", m, b_rest)),
    ]
}

/// A's program replaced by `code` with `consts`, 6 registers; all roles
/// opened (A is coroutine 0, B is 1, a first spawned coroutine is 2).
pub(crate) fn machine_with(
    reply: bool,
    code: Vec<Instr>,
    consts: Vec<Value>,
    config: Config,
) -> ProtocolMachine {
    let mut image = CodeImage::build(None, locals(reply)).unwrap();
    let p: &mut Program = &mut image.roles[0].program;
    p.code = code;
    p.consts = consts;
    p.register_count = 6;
    let mut m = ProtocolMachine::with_unverified_programs(image, config).unwrap();
    m.open_all_roles().unwrap();
    m
}

/// Runs A's `code` against B with `handler`.
pub(crate) fn run(
    code: Vec<Instr>,
    consts: Vec<Value>,
    handler: &dyn EffectHandler,
) -> (ProtocolMachine, Result<RunStatus, ProtocolMachineError>) {
    let mut m = machine_with(false, code, consts, config());
    let r = m.run(handler, 1_000);
    (m, r)
}

/// The default configuration without payload checks (scripted handlers
/// send `Unit` payloads).
pub(crate) fn config() -> Config {
    Config {
        payload_validation_mode: crate::config::PayloadValidationMode::Off,
        ..Config::default()
    }
}

/// The fault of a run that must have faulted.
pub(crate) fn fault_of(r: Result<RunStatus, ProtocolMachineError>) -> Fault {
    match r {
        Err(ProtocolMachineError::Fault { fault, .. }) => fault,
        other => panic!("expected a fault, got {other:?}"),
    }
}

/// The payloads B received.
pub(crate) fn received(m: &ProtocolMachine) -> Vec<Value> {
    m.trace_iter()
        .filter_map(|e| match e {
            ObsEvent::Received(x) => Some(x.payload.clone()),
            _ => None,
        })
        .collect()
}

/// A register of a coroutine.
pub(crate) fn reg(m: &ProtocolMachine, coro: CoroId, r: usize) -> Value {
    m.coroutine(coro).unwrap().registers[r].clone()
}

/// A's closing `Send{B}` and `Halt`.
pub(crate) fn send_and_halt() -> [Instr; 2] {
    [Instr::Send { chan: 1, val: None }, Instr::Halt]
}
