//! The machine's scripted hosts (`telltale_vm::ScriptedHandler`, the
//! scaffold's generated `ScriptedHost`) as explorable hosts: the answers
//! queued per operation are taken in order, and a call with nothing left
//! queued leaves every declared outcome open.

use crate::host::{ExplorableHost, OpenChoiceHost};
use crate::observation::Observations;
use std::cell::RefCell;
use std::sync::Arc;
use telltale_types::effects::EffectTable;
use telltale_vm::explore::EnabledStep;
use telltale_vm::host::AnswerScript;
use telltale_vm::{
    EffectHandler, InvokeInput, OutputConditionHint, OutputHintInput, ProtocolMachine,
    ProtocolMachineError, ScriptedAnswer, ScriptedHandler, Value,
};

/// Why a script cannot be explored against a protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptedAnswerHostError {
    /// The script queues answers for an operation the protocol does not
    /// declare (a typo would otherwise leave its calls open, silently).
    #[error("the script answers `{operation}`, which the protocol does not declare (it declares: {declared})")]
    UnknownOperation {
        /// The operation the script names (`Ledger.apend`).
        operation: String,
        /// The operations the protocol declares, comma-separated.
        declared: String,
    },
}

/// One declared operation's queued answers.
#[derive(Debug)]
struct Queue {
    /// `Effect.operation`, as the script names it.
    name: String,
    /// The answers, in call order (empty: not scripted).
    answers: Vec<ScriptedAnswer>,
}

/// A scripted host the explorer can run: the answers a
/// [`ScriptedHandler`] (or the scaffold's `ScriptedHost`) has queued, taken
/// in call order per operation, shared by every coroutine that calls it.
///
/// Its state is how many queued answers each operation has consumed (in
/// the fingerprint, in operation-id order). At a call of an operation
/// with an answer left, that answer is the one alternative, with the
/// machine behaviour it has under `ScriptedHandler` (docs/effects.md,
/// "Scripted hosts"; the same `AnswerScript` answers): an outcome or a
/// degraded outcome is taken (a degraded one with its trace note); a
/// timeout, a cancellation or a stale late result is the host giving up
/// (the `case`'s `Timeout` branch, or a fault of the performer); a blocked
/// answer is a step that moves nothing but the script, so the retried call
/// gets the next answer. At a call with nothing left queued, every outcome
/// constructor the operation declares is an alternative, plus giving up
/// where the `case` handles `Timeout`, as [`OpenChoiceHost`] leaves them
/// (the handler's seeded fallback is not used: exploration tries every
/// outcome instead of sampling one). Offers and payloads are
/// [`OpenChoiceHost`]'s.
///
/// Delays (`with_delay`) are not modelled: there is no clock in
/// exploration, and a delay only lets other coroutines move while the
/// caller waits, which the explorer's interleavings already cover; the
/// answer is taken at the call. Stateful unless nothing is queued (then it
/// explores exactly as [`OpenChoiceHost`], with the same fingerprints).
#[derive(Clone, Debug)]
pub struct ScriptedAnswerHost {
    /// The queued answers, by operation id; shared by every state.
    queues: Arc<[Queue]>,
    /// Answers consumed so far, by operation id: the host's state.
    consumed: Box<[u32]>,
}

impl ScriptedAnswerHost {
    /// The host of the answers `handler` still has queued, for a protocol
    /// with operations `effects` (`image.effects`); the handler's fallback
    /// is dropped.
    pub fn from_handler(
        handler: ScriptedHandler,
        effects: &EffectTable,
    ) -> Result<Self, ScriptedAnswerHostError> {
        Self::new(&handler.into_script(), effects)
    }

    /// The host of the answers queued in `script`, for a protocol with
    /// operations `effects`; an operation the script names that `effects`
    /// does not declare is an error.
    pub fn new(
        script: &AnswerScript,
        effects: &EffectTable,
    ) -> Result<Self, ScriptedAnswerHostError> {
        let names: Vec<String> = effects
            .operations
            .iter()
            .map(|op| format!("{}.{}", op.effect, op.name))
            .collect();
        if let Some(unknown) = script
            .operations()
            .find(|op| !names.iter().any(|n| n == op))
        {
            return Err(ScriptedAnswerHostError::UnknownOperation {
                operation: unknown.to_string(),
                declared: names.join(", "),
            });
        }
        let queues: Arc<[Queue]> = names
            .into_iter()
            .map(|name| Queue {
                answers: script.queued(&name).cloned().collect(),
                name,
            })
            .collect();
        let consumed = vec![0; queues.len()].into_boxed_slice();
        Ok(ScriptedAnswerHost { queues, consumed })
    }

    /// How many queued answers calls of `operation` (`"Ledger.append"`)
    /// have consumed in this state (0 for an operation not declared).
    pub fn consumed(&self, operation: &str) -> u32 {
        self.queues
            .iter()
            .position(|q| q.name == operation)
            .and_then(|i| self.consumed.get(i).copied())
            .unwrap_or(0)
    }

    /// How many answers are still queued for `operation` in this state.
    pub fn remaining(&self, operation: &str) -> usize {
        self.queues
            .iter()
            .zip(self.consumed.iter())
            .find(|(q, _)| q.name == operation)
            .map_or(0, |(q, &used)| {
                q.answers.len().saturating_sub(used as usize)
            })
    }

    /// The operation id and the answer the call `step` makes gets, if one
    /// is still queued for its operation.
    fn next_answer(&self, step: &EnabledStep) -> Option<(usize, &ScriptedAnswer)> {
        let id = usize::from(step.effect?.operation);
        let used = *self.consumed.get(id)?;
        let answer = self.queues.get(id)?.answers.get(used as usize)?;
        Some((id, answer))
    }
}

impl ExplorableHost for ScriptedAnswerHost {
    fn alternatives(&self, step: &EnabledStep) -> usize {
        match self.next_answer(step) {
            Some(_) => 1,
            None => OpenChoiceHost.alternatives(step),
        }
    }

    fn execute(
        &mut self,
        machine: &mut ProtocolMachine,
        step: &EnabledStep,
        alternative: usize,
        observations: &mut Observations,
    ) -> Result<(), ProtocolMachineError> {
        let Some((id, answer)) = self.next_answer(step) else {
            return OpenChoiceHost.execute(machine, step, alternative, observations);
        };
        let name = &self.queues[id].name;
        let mut script = AnswerScript::new();
        script.push(name, answer.clone(), 0);
        let handler = QueuedAnswer {
            script: RefCell::new(script),
        };
        let result = machine.execute_step(step.slot, &handler);
        // Consumed once the call asked for it, as `ScriptedHandler` pops
        // it, whatever the machine then made of the answer.
        if handler.script.borrow().remaining(name) == 0 {
            if let Some(used) = self.consumed.get_mut(id) {
                *used = used.saturating_add(1);
            }
        }
        result
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for (queue, used) in self.queues.iter().zip(self.consumed.iter()) {
            if !queue.answers.is_empty() {
                out.extend_from_slice(&used.to_le_bytes());
            }
        }
    }

    fn is_stateless(&self) -> bool {
        self.queues.iter().all(|q| q.answers.is_empty())
    }
}

/// The effect handler of one step that takes a queued answer: the
/// machine's own `AnswerScript` holding just that answer, so the answer
/// means exactly what it means to `ScriptedHandler` (errors, trace notes).
/// The step is an effect call, so nothing else of the handler is asked.
#[derive(Debug)]
struct QueuedAnswer {
    script: RefCell<AnswerScript>,
}

impl EffectHandler for QueuedAnswer {
    fn handler_identity(&self) -> &str {
        "telltale.explorer.scripted"
    }

    fn polls_topology(&self) -> bool {
        false
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        self.script
            .borrow_mut()
            .answer(input)
            .unwrap_or_else(|| Err("explorer host: no scripted answer for this call".into()))
    }

    fn output_condition_hint(&self, input: &OutputHintInput) -> Option<OutputConditionHint> {
        let tag = self.script.borrow_mut().take_note(input.ctx.coro)?;
        Some(OutputConditionHint { tag })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_types::effects::{outcome, EffectOperation, OutcomeDecl};
    use telltale_types::PayloadSort;

    fn ledger() -> EffectTable {
        let op = |name: &str, outcomes: &[&str]| EffectOperation {
            effect: "Ledger".into(),
            name: name.into(),
            input: PayloadSort::Unit,
            outcomes: outcomes
                .iter()
                .map(|c| OutcomeDecl {
                    constructor: (*c).into(),
                    payload: PayloadSort::Unit,
                })
                .collect(),
        };
        EffectTable {
            operations: vec![
                op("append", &["Ok", "Err"]),
                op("head", &["Just", "Nothing"]),
            ],
            sites: Vec::new(),
            missable: Vec::new(),
        }
    }

    #[test]
    fn an_operation_the_protocol_does_not_declare_is_refused() {
        let mut handler = ScriptedHandler::new(0);
        handler.push("Ledger.apend", ScriptedAnswer::Timeout, 0);
        let err = ScriptedAnswerHost::from_handler(handler, &ledger()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the script answers `Ledger.apend`, which the protocol does not declare \
             (it declares: Ledger.append, Ledger.head)"
        );
    }

    #[test]
    fn an_empty_script_is_stateless_and_encodes_nothing() {
        let host = ScriptedAnswerHost::from_handler(ScriptedHandler::new(7), &ledger()).unwrap();
        assert!(host.is_stateless());
        let mut bytes = Vec::new();
        host.encode(&mut bytes);
        assert!(bytes.is_empty());
    }

    #[test]
    fn the_state_is_the_answers_consumed_per_scripted_operation() {
        let mut handler = ScriptedHandler::new(0);
        handler.push("Ledger.head", ScriptedAnswer::Blocked, 5);
        handler.push(
            "Ledger.head",
            ScriptedAnswer::Outcome(outcome("Nothing", Value::Unit)),
            0,
        );
        let mut host = ScriptedAnswerHost::from_handler(handler, &ledger()).unwrap();
        assert!(!host.is_stateless());
        assert_eq!(host.remaining("Ledger.head"), 2);
        assert_eq!(host.remaining("Ledger.append"), 0);
        let mut before = Vec::new();
        host.encode(&mut before);
        // Only the scripted operation is encoded.
        assert_eq!(before, 0_u32.to_le_bytes());
        host.consumed[1] = 1;
        let mut after = Vec::new();
        host.encode(&mut after);
        assert_ne!(before, after);
        assert_eq!(host.consumed("Ledger.head"), 1);
        assert_eq!(host.remaining("Ledger.head"), 1);
    }
}
