//! One trace line as the world records it: structured (a machine event,
//! a message in the network, or text), so that recording costs no
//! formatting and the text is rendered only when someone reads it.

use crate::scenario::ActionKind;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt::Write as _;
use telltale_compiler::{LabelId, RoleId};

/// A line of the trace, kept until the text is asked for (40 bytes: a
/// long run keeps millions).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) tick: u64,
    pub(crate) detail: Detail,
}

/// What a line says.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Detail {
    /// The next `count` machine events of the run (one `machine` line
    /// each).
    Machine { count: u32 },
    /// A message the network handled.
    Message {
        kind: MessageKind,
        edge: Edge,
        note: Note,
    },
    /// Any other line, as text (rare: boxed to keep entries small).
    Text(Box<TextLine>),
}

/// A line of text: its kind and detail.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TextLine {
    /// Borrowed when recorded; owned when read back from a checkpoint.
    pub(crate) kind: Cow<'static, str>,
    pub(crate) detail: Box<str>,
}

/// The kinds of the lines about a message in the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    /// Into the receiver's buffer.
    Deliver,
    /// Out of the network without delivery.
    Discard,
    /// Not sent by a `silent` byzantine role.
    Withhold,
    /// Lost.
    Lose,
    /// Damaged.
    Corrupt,
    /// Overtakes the messages ahead of it.
    Reorder,
    /// Held longer.
    Delay,
    /// Sent twice.
    Duplicate,
}

impl MessageKind {
    /// The line's `kind`.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Deliver => "deliver",
            MessageKind::Discard => "discard",
            MessageKind::Withhold => "withhold",
            MessageKind::Lose => "lose",
            MessageKind::Corrupt => "corrupt",
            MessageKind::Reorder => "reorder",
            MessageKind::Delay => "delay",
            MessageKind::Duplicate => "duplicate",
        }
    }
}

/// A message as the network sees it: its edge, label and sequence number
/// (the `A -> B : label (seq n)` of its line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Sender.
    pub from: RoleId,
    /// Receiver.
    pub to: RoleId,
    /// Label.
    pub label: LabelId,
    /// The edge's sequence number of the message.
    pub seq: u64,
}

/// Why the network did what a message line says (the text after the
/// message on its line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Note {
    /// Nothing more (`deliver`).
    Plain,
    /// The network model's own draw: `[network]`.
    Network,
    /// A scheduled fault: `[fault #index kind]`.
    Fault {
        /// The fault's index in the scenario.
        index: u32,
        /// Its action.
        kind: ActionKind,
    },
    /// `(receiver crashed)`.
    ReceiverCrashed,
    /// `(buffer full, policy drop)`.
    PolicyDrop,
    /// `(session finished)`.
    SessionFinished,
    /// `[byzantine: silent]`.
    Silent,
}

impl Note {
    /// Appends the note's text (with its leading space) to `out`.
    fn write(self, out: &mut String) {
        let _ = match self {
            Note::Plain => Ok(()),
            Note::Network => out.write_str(" [network]"),
            Note::Fault { index, kind } => write!(out, " [fault #{index} {}]", kind.name()),
            Note::ReceiverCrashed => out.write_str(" (receiver crashed)"),
            Note::PolicyDrop => out.write_str(" (buffer full, policy drop)"),
            Note::SessionFinished => out.write_str(" (session finished)"),
            Note::Silent => out.write_str(" [byzantine: silent]"),
        };
    }
}

/// The text of a message line: `A -> B : label (seq n)` and its note;
/// `role` and `label` name ids.
pub(crate) fn message_text(
    edge: Edge,
    note: Note,
    role: impl Fn(RoleId) -> String,
    label: impl Fn(LabelId) -> String,
) -> String {
    let mut out = format!(
        "{} -> {} : {} (seq {})",
        role(edge.from),
        role(edge.to),
        label(edge.label),
        edge.seq
    );
    note.write(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_stay_small() {
        assert!(std::mem::size_of::<Entry>() <= 40);
    }

    #[test]
    fn message_lines_read_as_before() {
        let edge = Edge {
            from: 0,
            to: 1,
            label: 0,
            seq: 4,
        };
        let role = |r: RoleId| ["A", "B"][usize::from(r)].to_string();
        let label = |_| "Ping".to_string();
        let text = |note| message_text(edge, note, role, label);
        assert_eq!(text(Note::Plain), "A -> B : Ping (seq 4)");
        assert_eq!(text(Note::Network), "A -> B : Ping (seq 4) [network]");
        assert_eq!(
            text(Note::Fault {
                index: 2,
                kind: ActionKind::MessageDelay
            }),
            "A -> B : Ping (seq 4) [fault #2 message_delay]"
        );
        assert_eq!(
            text(Note::ReceiverCrashed),
            "A -> B : Ping (seq 4) (receiver crashed)"
        );
        assert_eq!(
            text(Note::PolicyDrop),
            "A -> B : Ping (seq 4) (buffer full, policy drop)"
        );
        assert_eq!(
            text(Note::SessionFinished),
            "A -> B : Ping (seq 4) (session finished)"
        );
        assert_eq!(
            text(Note::Silent),
            "A -> B : Ping (seq 4) [byzantine: silent]"
        );
    }
}
