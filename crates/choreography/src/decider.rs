//! `Decider`: where a running program gets its choices and payloads from.

use crate::error::{ChoreoError, ChoreoResult};
use crate::message::Message;
use crate::program::ProgramBranch;
use crate::Value;
use std::collections::{BTreeMap, VecDeque};
use telltale_types::{Label, Role};

/// The host-side decisions of a program run by [`crate::interpret()`]: which
/// branch to choose, what payload to send, and what to do with what arrives.
///
/// The protocol logic (what may be sent when) stays in the program; the
/// interpreter checks every decision against it.
pub trait Decider: Send {
    /// Picks the index of the branch `role` sends to `to` at a choice.
    fn choose(&mut self, role: &Role, to: &Role, options: &[ProgramBranch]) -> ChoreoResult<usize> {
        let _ = (role, to, options);
        Ok(0)
    }

    /// The payload of the message with `label` that `role` sends to `to`.
    fn payload(&mut self, role: &Role, to: &Role, label: &Label) -> ChoreoResult<Value> {
        let _ = (role, to);
        Ok(Value::default_for(&label.sort))
    }

    /// Observes a message `role` received from `from` (after it was checked).
    fn received(&mut self, role: &Role, from: &Role, message: &Message) {
        let _ = (role, from, message);
    }
}

/// The deterministic default: always the first branch, zero payloads.
///
/// A loop whose first branch continues never ends with this decider; give
/// the interpreter a step limit or use a [`ScriptedDecider`].
#[derive(Clone, Copy, Debug, Default)]
pub struct FirstBranchDecider;

impl Decider for FirstBranchDecider {}

/// A decider driven by a script: choices by label name in order, payloads
/// per label in order (zero values once a label's script is used up); it
/// logs everything received.
#[derive(Clone, Debug, Default)]
pub struct ScriptedDecider {
    choices: VecDeque<String>,
    payloads: BTreeMap<String, VecDeque<Value>>,
    received: Vec<(Role, Message)>,
}

impl ScriptedDecider {
    /// An empty script.
    pub fn new() -> Self {
        ScriptedDecider::default()
    }

    /// Appends the labels to pick at the next choices, in order.
    pub fn with_choices<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.choices.extend(labels.into_iter().map(Into::into));
        self
    }

    /// Appends payloads for successive messages with label `label`.
    pub fn with_payloads(
        mut self,
        label: impl Into<String>,
        values: impl IntoIterator<Item = Value>,
    ) -> Self {
        self.payloads
            .entry(label.into())
            .or_default()
            .extend(values);
        self
    }

    /// Every message received so far, with its sender, in order.
    pub fn received_messages(&self) -> &[(Role, Message)] {
        &self.received
    }
}

impl Decider for ScriptedDecider {
    fn choose(&mut self, role: &Role, to: &Role, options: &[ProgramBranch]) -> ChoreoResult<usize> {
        let wanted = self
            .choices
            .pop_front()
            .ok_or_else(|| ChoreoError::Decision {
                role: role.clone(),
                reason: format!("the script has no choice left for the choice towards {to}"),
            })?;
        options
            .iter()
            .position(|b| b.label.name() == wanted)
            .ok_or_else(|| ChoreoError::Decision {
                role: role.clone(),
                reason: format!(
                    "scripted label `{wanted}` is not one of {} towards {to}",
                    label_list(options)
                ),
            })
    }

    fn payload(&mut self, _: &Role, _: &Role, label: &Label) -> ChoreoResult<Value> {
        Ok(self
            .payloads
            .get_mut(label.name())
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| Value::default_for(&label.sort)))
    }

    fn received(&mut self, _: &Role, from: &Role, message: &Message) {
        self.received.push((from.clone(), message.clone()));
    }
}

/// `{a, b, c}`: the label names of some branches, for messages.
pub(crate) fn label_list(options: &[ProgramBranch]) -> String {
    let names: Vec<&str> = options.iter().map(|b| b.label.name()).collect();
    format!("{{{}}}", names.join(", "))
}
