//! A handler that answers effect calls from an [`AnswerScript`] and leaves
//! everything else to the built-in [`DefaultHandler`].

use super::script::{AnswerScript, ScriptedAnswer};
use crate::effect::default_handler::DefaultHandler;
use crate::effect::{
    EffectHandler, InvokeInput, OutputConditionHint, OutputHintInput, RecvInput, SendDecision,
    SendDecisionInput,
};
use std::cell::RefCell;
use telltale_compiler::{LabelId, Value};

/// Scripted effect answers over the built-in handler: queued answers win;
/// an operation with none queued gets the built-in handler's seeded
/// outcome. Sends, choices and loops follow the built-in handler.
#[derive(Debug)]
pub struct ScriptedHandler {
    script: RefCell<AnswerScript>,
    fallback: DefaultHandler,
}

impl ScriptedHandler {
    /// A handler with an empty script over `DefaultHandler::new(seed)`.
    pub fn new(seed: u64) -> Self {
        Self::with_fallback(DefaultHandler::new(seed))
    }

    /// A handler with an empty script over `fallback`.
    pub fn with_fallback(fallback: DefaultHandler) -> Self {
        ScriptedHandler {
            script: RefCell::new(AnswerScript::new()),
            fallback,
        }
    }

    /// Queues an answer for `operation` (`"Ledger.append"`), arriving
    /// `delay` ticks after the call.
    pub fn push(&mut self, operation: &str, answer: ScriptedAnswer, delay: u64) {
        self.script.get_mut().push(operation, answer, delay);
    }

    /// How many answers are still queued for `operation`.
    pub fn remaining(&self, operation: &str) -> usize {
        self.script.borrow().remaining(operation)
    }

    /// The answers still queued, without the fallback: the script for a
    /// host that answers from it another way (the explorer's
    /// `ScriptedAnswerHost`).
    pub fn into_script(self) -> AnswerScript {
        self.script.into_inner()
    }
}

impl EffectHandler for ScriptedHandler {
    fn handler_identity(&self) -> &str {
        "telltale.scripted"
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.fallback.send_decision(input)
    }

    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        self.fallback.handle_send(input, label)
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        self.fallback.handle_recv(input)
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let scripted = self.script.borrow_mut().answer(input);
        scripted.unwrap_or_else(|| self.fallback.step(input))
    }

    fn polls_topology(&self) -> bool {
        false
    }

    fn output_condition_hint(&self, input: &OutputHintInput) -> Option<OutputConditionHint> {
        let tag = self.script.borrow_mut().take_note(input.ctx.coro)?;
        Some(OutputConditionHint { tag })
    }
}
