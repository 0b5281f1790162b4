//! The effects workload: a ledger-style loop where every entry the client
//! sends costs the bank one `check Ledger.append(entry)` before it answers.
//!
//! The protocol is ping-pong with an effect call in the middle:
//!
//! ```text
//! rec t. Client -> Bank { entry(int): check Ledger.append(entry)
//!                                     case Ok(r) => Bank -> Client receipt(int). t
//!                                          Err   => Bank -> Client rejected. t,
//!                         stop: end }
//! ```
//!
//! so a round is the two sends and receives of a ping-pong round plus one
//! `Invoke`, and the difference between the two workloads per round is what
//! an effect call costs. The host side is the code `tell scaffold` generates
//! for this effect (host trait with `&mut self`, `HostAdapter` with the host
//! in a `RefCell`, the request decoded, `ready` asked, the outcome encoded),
//! so the number is what a scaffolded host pays.

use super::{
    bench_config, int, report, BenchReport, CountingHandler, Stopwatch, WARMUP_MESSAGES,
    WARMUP_TIME,
};
use crate::effect::error::{EffectError, EffectErrorCategory};
use crate::effect::{EffectCall, EffectHandler, InvokeInput, SendDecision, SendDecisionInput};
use crate::fault::ProtocolMachineError;
use crate::host::{encode_result, variant_parts, HostFailure, HostValue};
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use std::cell::{Cell, RefCell};
use std::time::Instant;
use telltale_compiler::{CodeImage, Value};
use telltale_types::effects::{EffectOperation, EffectSite, EffectTable, OutcomeDecl};
use telltale_types::{GlobalType, Label, LocalType, PayloadSort, Role};

/// The ledger image: the protocol above with its effect table.
pub fn ledger_image() -> Result<CodeImage, ProtocolMachineError> {
    let reply = |next: fn() -> GlobalType| {
        GlobalType::choice(
            "Bank",
            "Client",
            [(int("receipt"), next()), (Label::unit("rejected"), next())],
        )
    };
    let global = GlobalType::rec(
        "t",
        GlobalType::choice(
            "Client",
            "Bank",
            [
                (int("entry"), reply(|| GlobalType::var("t"))),
                (Label::unit("stop"), GlobalType::End),
            ],
        ),
    );
    let client = LocalType::rec(
        "t",
        LocalType::select(
            "Bank",
            [
                (
                    int("entry"),
                    LocalType::branch(
                        "Bank",
                        [
                            (int("receipt"), LocalType::var("t")),
                            (Label::unit("rejected"), LocalType::var("t")),
                        ],
                    ),
                ),
                (Label::unit("stop"), LocalType::End),
            ],
        ),
    );
    let bank = LocalType::rec(
        "t",
        LocalType::branch(
            "Client",
            [
                (
                    int("entry"),
                    LocalType::select(
                        "Client",
                        [
                            (int("receipt"), LocalType::var("t")),
                            (Label::unit("rejected"), LocalType::var("t")),
                        ],
                    ),
                ),
                (Label::unit("stop"), LocalType::End),
            ],
        ),
    );
    let effects = EffectTable {
        operations: vec![EffectOperation {
            effect: "Ledger".into(),
            name: "append".into(),
            input: PayloadSort::Int,
            outcomes: vec![
                OutcomeDecl {
                    constructor: "Ok".into(),
                    payload: PayloadSort::Int,
                },
                OutcomeDecl {
                    constructor: "Err".into(),
                    payload: PayloadSort::Unit,
                },
            ],
        }],
        sites: vec![EffectSite {
            operation: 0,
            performer: Role::new("Bank"),
            partner: Role::new("Client"),
            arguments: vec!["entry".into()],
            branches: vec![
                ("Ok".into(), "receipt".into()),
                ("Err".into(), "rejected".into()),
            ],
            binders: vec![],
        }],
        missable: Vec::new(),
    };
    Ok(CodeImage::build_with_effects(
        Some(&global),
        [(Role::new("Client"), client), (Role::new("Bank"), bank)],
        &effects,
    )?)
}

/// Why the bench ledger refused an entry (it never does).
#[derive(Clone, Copy, Debug, PartialEq)]
enum LedgerError {
    Full,
}

impl HostValue for LedgerError {
    fn to_value(&self) -> Value {
        Value::string("Full")
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        match variant_parts(value)? {
            ("Full", _) => Ok(LedgerError::Full),
            (other, _) => Err(format!("`{other}` is not a variant of LedgerError")),
        }
    }
}

/// A call of `Ledger`, as the scaffold generates it.
enum LedgerRequest {
    Append(i64),
}

impl LedgerRequest {
    fn decode(operation: &str, argument: &Value) -> Result<Self, String> {
        match operation {
            "append" => Ok(LedgerRequest::Append(HostValue::from_value(argument)?)),
            other => Err(format!("`Ledger` has no operation `{other}`")),
        }
    }

    fn perform<H: LedgerHost + ?Sized>(self, host: &mut H) -> Result<Value, HostFailure> {
        host.ready(&self)?;
        Ok(match self {
            LedgerRequest::Append(entry) => encode_result(&host.append(entry)),
        })
    }
}

/// The host's side of `Ledger`, as the scaffold generates it.
trait LedgerHost {
    /// Appends an entry; the receipt is the entry's position.
    fn append(&mut self, entry: i64) -> Result<i64, LedgerError>;

    fn ready(&mut self, request: &LedgerRequest) -> Result<(), HostFailure> {
        let _ = request;
        Ok(())
    }
}

/// A ledger that only counts its entries: the cheapest honest host.
struct CountingLedger {
    entries: u64,
}

impl LedgerHost for CountingLedger {
    fn append(&mut self, _entry: i64) -> Result<i64, LedgerError> {
        self.entries += 1;
        Ok(self.entries as i64)
    }
}

/// The adapter, as the scaffold's `HostAdapter` is generated (host in a
/// `RefCell`, request decoded, `ready` asked, outcome encoded); sends as
/// [`CountingHandler`] makes them.
struct LedgerAdapter<'a, L: LedgerHost> {
    sends: &'a CountingHandler,
    host: RefCell<L>,
}

impl<L: LedgerHost> LedgerAdapter<'_, L> {
    fn call(&self, call: &EffectCall<'_>) -> Result<Value, String> {
        let operation = call.operation.name.as_str();
        let contract = |message: String| {
            EffectError::tagged(
                EffectErrorCategory::Contract,
                &format!("{}.{operation}: {message}", call.operation.effect),
            )
        };
        let mut host = self
            .host
            .try_borrow_mut()
            .map_err(|_| contract("the host was called while in use".to_string()))?;
        let answer = match call.operation.effect.as_str() {
            "Ledger" => LedgerRequest::decode(operation, call.argument)
                .map_err(contract)?
                .perform(&mut *host),
            other => return Err(contract(format!("`{other}` is not an effect here"))),
        };
        answer.map_err(HostFailure::into_step_error)
    }
}

impl<L: LedgerHost> EffectHandler for LedgerAdapter<'_, L> {
    fn polls_topology(&self) -> bool {
        false
    }

    fn gives_output_hints(&self) -> bool {
        false
    }

    fn send_decision_fast_path(
        &self,
        input: &SendDecisionInput<'_>,
    ) -> Option<Result<SendDecision, String>> {
        Some(self.sends.send_decision(input))
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.sends.send_decision(input)
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        match &input.call {
            Some(call) => self.call(call),
            None => Err(format!("unknown host action {}", input.action)),
        }
    }
}

/// The effects workload: `messages` messages (two per round) and one effect
/// call per round, after the same untimed warm-up as ping-pong.
pub fn effects(messages: u64) -> Result<BenchReport, ProtocolMachineError> {
    let image = ledger_image()?;
    let warmup = Instant::now();
    loop {
        ledger_run(&image, messages.min(WARMUP_MESSAGES))?;
        if warmup.elapsed() >= WARMUP_TIME {
            break;
        }
    }
    let (delivered, calls, times) = ledger_run(&image, messages)?;
    let mut r = report("effects", delivered, times);
    r.effect_calls = calls;
    Ok(r)
}

/// One timed run on a fresh machine: messages delivered, effect calls
/// made, and the wall and CPU seconds of the run.
fn ledger_run(
    image: &CodeImage,
    messages: u64,
) -> Result<(u64, u64, (f64, f64)), ProtocolMachineError> {
    let rounds = (messages / 2).max(1);
    let mut machine = ProtocolMachine::new(image.clone(), bench_config())?;
    machine.open_all_roles()?;
    let sends = CountingHandler {
        rounds,
        made: Cell::new(0),
    };
    let handler = LedgerAdapter {
        sends: &sends,
        host: RefCell::new(CountingLedger { entries: 0 }),
    };
    let watch = Stopwatch::start();
    let status = machine.run(&handler, usize::MAX)?;
    let times = watch.stop();
    debug_assert_eq!(status, RunStatus::AllDone);
    // Each round is `entry` and its reply; the last is `stop`.
    let calls = handler.host.borrow().entries;
    Ok((rounds * 2 + 1, calls, times))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_makes_one_effect_call_and_the_run_ends() {
        let image = ledger_image().expect("the ledger image builds");
        let (messages, calls, _) = ledger_run(&image, 100).expect("the run succeeds");
        assert_eq!((messages, calls), (101, 50));
        let r = effects(10).expect("the workload runs");
        assert_eq!((r.workload.as_str(), r.effect_calls), ("effects", 5));
    }

    #[test]
    fn the_bank_invokes_and_the_client_does_not() {
        use telltale_compiler::Instr;
        let image = ledger_image().expect("the ledger image builds");
        let invokes = |role: &str| {
            image.role(role).map_or(0, |r| {
                r.program
                    .code
                    .iter()
                    .filter(|i| matches!(i, Instr::Invoke { .. }))
                    .count()
            })
        };
        assert_eq!((invokes("Bank"), invokes("Client")), (1, 0));
    }
}
