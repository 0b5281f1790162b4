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
//! an effect call costs. The host is written as the generated adapter of an
//! effect would be: it decodes the [`EffectCall`](crate::effect::EffectCall),
//! calls a trait method and encodes the method's result as an outcome.

use super::{
    bench_config, int, report, BenchReport, CountingHandler, Stopwatch, WARMUP_MESSAGES,
    WARMUP_TIME,
};
use crate::effect::{EffectHandler, InvokeInput, SendDecision, SendDecisionInput};
use crate::fault::ProtocolMachineError;
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use std::cell::Cell;
use std::time::Instant;
use telltale_compiler::{CodeImage, Value};
use telltale_types::effects::{outcome, EffectOperation, EffectSite, EffectTable, OutcomeDecl};
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
    };
    Ok(CodeImage::build_with_effects(
        Some(&global),
        [(Role::new("Client"), client), (Role::new("Bank"), bank)],
        &effects,
    )?)
}

/// Why the bench ledger refused an entry (it never does).
#[derive(Debug)]
struct Rejected;

/// The host's side of `Ledger`, as the trait a generated adapter calls.
trait Ledger {
    /// Appends an entry; the receipt is the entry's position.
    fn append(&self, entry: i64) -> Result<i64, Rejected>;
}

/// A ledger that only counts its entries: the cheapest honest host.
struct CountingLedger {
    entries: Cell<u64>,
}

impl Ledger for CountingLedger {
    fn append(&self, _entry: i64) -> Result<i64, Rejected> {
        let n = self.entries.get() + 1;
        self.entries.set(n);
        Ok(n as i64)
    }
}

/// The adapter: sends as [`CountingHandler`] makes them, effect calls
/// decoded, handed to the [`Ledger`] and encoded back as outcomes.
struct LedgerAdapter<'a, L: Ledger> {
    sends: &'a CountingHandler,
    ledger: &'a L,
}

impl<L: Ledger> EffectHandler for LedgerAdapter<'_, L> {
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
        let Some(call) = input.call else {
            return Err(format!("unknown host action {}", input.action));
        };
        let op = call.operation;
        match (op.effect.as_str(), op.name.as_str(), call.argument) {
            ("Ledger", "append", Value::Int(entry)) => Ok(match self.ledger.append(*entry) {
                Ok(receipt) => outcome("Ok", Value::Int(receipt)),
                Err(Rejected) => outcome("Err", Value::Unit),
            }),
            _ => Err(format!(
                "invalid effect call {}.{}({})",
                op.effect, op.name, call.argument
            )),
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
    let ledger = CountingLedger {
        entries: Cell::new(0),
    };
    let handler = LedgerAdapter {
        sends: &sends,
        ledger: &ledger,
    };
    let watch = Stopwatch::start();
    let status = machine.run(&handler, usize::MAX)?;
    let times = watch.stop();
    debug_assert_eq!(status, RunStatus::AllDone);
    // Each round is `entry` and its reply; the last is `stop`.
    Ok((rounds * 2 + 1, ledger.entries.get(), times))
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
