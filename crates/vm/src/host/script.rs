//! Scripted answers to effect calls, queued per operation: what a test or a
//! simulation wants the host to say, including the answers that are not
//! outcomes (a timeout, a block, a late result).

use crate::effect::error::{EffectError, EffectErrorCategory};
use crate::effect::InvokeInput;
use crate::ids::{CoroId, SessionId, Tick};
use std::collections::{BTreeMap, VecDeque};
use telltale_compiler::Value;
use telltale_types::effects::outcome_text;

/// One scripted answer to a call of an operation. Each has one machine
/// behaviour (docs/effects.md, "Scripted hosts").
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptedAnswer {
    /// This outcome value (`{Ok: v}`, `{Err: e}`, `{Just: v}`, ...).
    Outcome(Value),
    /// The host gave up: a `timeout` error, so the `case`'s `Timeout`
    /// branch where there is one, a fault of the performer otherwise.
    Timeout,
    /// The call was cancelled: like [`ScriptedAnswer::Timeout`].
    Cancelled,
    /// The outcome arrived after its deadline: it is discarded with a
    /// trace note and the call times out.
    StaleLateResult(Value),
    /// Not ready: the coroutine blocks this round and the call is retried
    /// next round (and gets the next answer).
    Blocked,
    /// This outcome, flagged as degraded (with a detail) in the trace.
    Degraded(Value, String),
}

/// A queued answer and the ticks it takes to arrive.
#[derive(Clone, Debug, PartialEq)]
struct Queued {
    answer: ScriptedAnswer,
    delay: u64,
}

/// Answers queued per operation (`Effect.operation`), consumed call by call,
/// and the bookkeeping of delayed answers and trace notes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnswerScript {
    queues: BTreeMap<String, VecDeque<Queued>>,
    /// Calls waiting for a delayed answer: the tick they first asked.
    waiting: BTreeMap<(SessionId, CoroId), Tick>,
    /// The note of the last answer, for the output hint after its step.
    note: Option<(CoroId, String)>,
}

impl AnswerScript {
    /// An empty script: every call falls through to the fallback.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `answer` for the next unanswered call of `operation`
    /// (`"Ledger.append"`), arriving `delay` ticks after the call is made.
    pub fn push(&mut self, operation: &str, answer: ScriptedAnswer, delay: u64) {
        self.queues
            .entry(operation.to_string())
            .or_default()
            .push_back(Queued { answer, delay });
    }

    /// How many answers are still queued for `operation`.
    pub fn remaining(&self, operation: &str) -> usize {
        self.queues.get(operation).map_or(0, VecDeque::len)
    }

    /// The operations with answers still queued, in name order: what a
    /// host that reads the script another way (the explorer's
    /// `ScriptedAnswerHost`) checks against the protocol's operations.
    pub fn operations(&self) -> impl Iterator<Item = &str> {
        self.queues
            .iter()
            .filter(|(_, queue)| !queue.is_empty())
            .map(|(name, _)| name.as_str())
    }

    /// The answers still queued for `operation`, in call order, without
    /// their delays: the script as data for a host that does not run on
    /// ticks (the explorer's `ScriptedAnswerHost`).
    pub fn queued(&self, operation: &str) -> impl Iterator<Item = &ScriptedAnswer> {
        self.queues
            .get(operation)
            .into_iter()
            .flatten()
            .map(|queued| &queued.answer)
    }

    /// The scripted answer to an effect call, as `step` returns it; `None`
    /// when nothing is queued for the operation (or it is not an effect
    /// call), so the caller answers otherwise.
    pub fn answer(&mut self, input: &InvokeInput<'_>) -> Option<Result<Value, String>> {
        let call = input.call?;
        let name = format!("{}.{}", call.operation.effect, call.operation.name);
        let queue = self.queues.get_mut(&name)?;
        let next = queue.front()?;
        let key = (input.ctx.session, input.ctx.coro);
        if next.delay > 0 {
            let since = *self.waiting.entry(key).or_insert(input.ctx.tick);
            let due = since.saturating_add(next.delay);
            if input.ctx.tick < due {
                return Some(Err(EffectError::blocked(&format!(
                    "{name} answers at tick {due}"
                ))));
            }
        }
        self.waiting.remove(&key);
        let Queued { answer, .. } = queue.pop_front()?;
        let coro = input.ctx.coro;
        Some(match answer {
            ScriptedAnswer::Outcome(v) => Ok(v),
            ScriptedAnswer::Timeout => Err(EffectError::tagged(
                EffectErrorCategory::Timeout,
                &format!("{name} timed out (scripted)"),
            )),
            ScriptedAnswer::Cancelled => Err(EffectError::tagged(
                EffectErrorCategory::Timeout,
                &format!("{name} was cancelled (scripted)"),
            )),
            ScriptedAnswer::StaleLateResult(v) => {
                self.note = Some((
                    coro,
                    format!(
                        "stale late result of {name} discarded: {}",
                        outcome_text(&v)
                    ),
                ));
                Err(EffectError::tagged(
                    EffectErrorCategory::Timeout,
                    &format!(
                        "{name}: its result {} came after the deadline",
                        outcome_text(&v)
                    ),
                ))
            }
            ScriptedAnswer::Blocked => Err(EffectError::blocked(&format!(
                "{name} is blocked (scripted)"
            ))),
            ScriptedAnswer::Degraded(v, detail) => {
                self.note = Some((coro, format!("degraded {name}: {detail}")));
                Ok(v)
            }
        })
    }

    /// The trace note of the answer `coro`'s last step got, once.
    pub fn take_note(&mut self, coro: CoroId) -> Option<String> {
        match &self.note {
            Some((c, _)) if *c == coro => self.note.take().map(|(_, note)| note),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queued_answers_read_back_in_call_order_without_their_delays() {
        let mut script = AnswerScript::new();
        script.push("Ledger.append", ScriptedAnswer::Blocked, 3);
        script.push("Ledger.append", ScriptedAnswer::Timeout, 0);
        script.push("Ledger.head", ScriptedAnswer::Cancelled, 0);
        let operations: Vec<&str> = script.operations().collect();
        assert_eq!(operations, ["Ledger.append", "Ledger.head"]);
        let append: Vec<&ScriptedAnswer> = script.queued("Ledger.append").collect();
        assert_eq!(append, [&ScriptedAnswer::Blocked, &ScriptedAnswer::Timeout]);
        assert_eq!(script.queued("Ledger.other").count(), 0);
    }
}
