//! Messages marked `or missed`: the side table of the messages a receiver
//! may miss once its session's deadline has passed
//! (`telltale_types::missable`), and the two rules that keep it meaningful.
//!
//! Missability is decided per (sender, receiver, label), so every message
//! a statement expands to (families expanded, `call`s inlined) is recorded
//! with the statement that wrote it, and then:
//!
//! - a marked (sender, receiver, label) must not be a branch of a choice
//!   (a message with several possible labels): a receiver cannot guess a
//!   choice (E044);
//! - a (sender, receiver, label) marked in one place must be marked
//!   everywhere it is sent (E045).

use crate::ast::{Stmt, StmtKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::Span;
use std::collections::{BTreeMap, BTreeSet};
use telltale_types::stack::with_headroom;
use telltale_types::{GlobalType, MissableMessage, Role};

/// A message's (sender, receiver, label).
type Key = (Role, Role, String);

/// The messages sent so far, marked and unmarked, with the statements
/// that sent them.
#[derive(Debug, Default)]
pub(crate) struct MissableMarks {
    /// Whether the protocols being lowered mark anything at all (when they
    /// do not, nothing is recorded).
    enabled: bool,
    /// Messages written `or missed`.
    marked: BTreeMap<Key, BTreeSet<Span>>,
    /// Messages written without `or missed`.
    plain: BTreeMap<Key, BTreeSet<Span>>,
}

impl MissableMarks {
    /// Marks that record only when some statement of `bodies` is marked.
    pub(crate) fn for_bodies<'a>(bodies: impl IntoIterator<Item = &'a [Stmt]>) -> Self {
        MissableMarks {
            enabled: bodies.into_iter().any(any_marked),
            ..MissableMarks::default()
        }
    }

    /// Records the message `label` from `from` to `to`, sent by the
    /// statement at `span`.
    pub(crate) fn record(&mut self, from: &Role, to: &Role, label: &str, span: Span, marked: bool) {
        if !self.enabled {
            return;
        }
        let map = if marked {
            &mut self.marked
        } else {
            &mut self.plain
        };
        map.entry((from.clone(), to.clone(), label.to_string()))
            .or_default()
            .insert(span);
    }

    /// The side table: every marked message, sorted, each once.
    pub(crate) fn table(&self) -> Vec<MissableMessage> {
        self.marked
            .keys()
            .map(|(from, to, label)| MissableMessage {
                from: from.clone(),
                to: to.clone(),
                label: label.clone(),
            })
            .collect()
    }

    /// The problems with the marks of a protocol lowered to `global`: at
    /// most one per statement and rule.
    pub(crate) fn check(&self, global: &GlobalType) -> Vec<Diagnostic> {
        if self.marked.is_empty() {
            return Vec::new();
        }
        let mut out = self.deciding(global);
        out.extend(self.inconsistent());
        out
    }

    /// Marked messages that are a branch of a choice.
    fn deciding(&self, global: &GlobalType) -> Vec<Diagnostic> {
        let mut hits: BTreeSet<&Key> = BTreeSet::new();
        let mut stack = vec![global];
        while let Some(g) = stack.pop() {
            match g {
                GlobalType::Comm {
                    sender,
                    receiver,
                    branches,
                } => {
                    if branches.len() > 1 {
                        for b in branches {
                            let key =
                                (sender.clone(), receiver.clone(), b.label.name().to_string());
                            if let Some((key, _)) = self.marked.get_key_value(&key) {
                                hits.insert(key);
                            }
                        }
                    }
                    stack.extend(branches.iter().map(|b| &b.continuation));
                }
                GlobalType::Rec { body, .. } => stack.push(body),
                GlobalType::Var(_) | GlobalType::End => {}
            }
        }
        let mut reported = BTreeSet::new();
        let mut out = Vec::new();
        for key in hits {
            let (from, to, label) = key;
            for span in self.marked.get(key).into_iter().flatten() {
                if !reported.insert(*span) {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        DiagnosticKind::MissableChoice,
                        format!(
                            "`{label}` from `{from}` to `{to}` decides a choice, so it cannot be missed"
                        ),
                        *span,
                        "marked `or missed` here",
                    )
                    .with_help(
                        "a receiver cannot guess a choice; mark a message after the choice instead",
                    ),
                );
            }
        }
        out
    }

    /// Unmarked messages that are marked elsewhere.
    fn inconsistent(&self) -> Vec<Diagnostic> {
        let mut reported = BTreeSet::new();
        let mut out = Vec::new();
        for (key, marked_at) in &self.marked {
            let Some(plain_at) = self.plain.get(key) else {
                continue;
            };
            let (from, to, label) = key;
            for span in plain_at {
                if !reported.insert(*span) {
                    continue;
                }
                let mut d = Diagnostic::new(
                    DiagnosticKind::MissableInconsistent,
                    format!(
                        "`{label}` from `{from}` to `{to}` is marked `or missed` elsewhere but not here"
                    ),
                    *span,
                    "not marked `or missed`",
                );
                if let Some(first) = marked_at.iter().next() {
                    d = d.with_secondary(*first, "marked `or missed` here");
                }
                out.push(d.with_help(format!(
                    "mark every `{label}` from `{from}` to `{to}` `or missed`, or none: \
                     the machine decides per sender, receiver and label"
                )));
            }
        }
        out
    }
}

/// Whether a block marks any message `or missed`, nested blocks included.
fn any_marked(stmts: &[Stmt]) -> bool {
    with_headroom(|| {
        stmts.iter().any(|stmt| match &stmt.kind {
            StmtKind::Send { missable, .. } => *missable,
            StmtKind::Choice { branches, .. } => branches.iter().any(|b| any_marked(&b.body)),
            StmtKind::Rec { body, .. } | StmtKind::Loop { body, .. } => any_marked(body),
            StmtKind::Par(branches) => branches.iter().any(|(b, _)| any_marked(b)),
            StmtKind::Timeout {
                body, on_timeout, ..
            } => any_marked(body) || any_marked(on_timeout),
            StmtKind::Heartbeat {
                on_missing, body, ..
            } => any_marked(on_missing) || any_marked(body),
            StmtKind::Case { branches, .. } => branches.iter().any(|b| any_marked(&b.body)),
            StmtKind::Roles(_)
            | StmtKind::Continue(_)
            | StmtKind::Call { .. }
            | StmtKind::Let { .. } => false,
        })
    })
}
