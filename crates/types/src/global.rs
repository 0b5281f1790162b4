//! Global types: a protocol seen from no particular role.

use crate::label::Label;
use crate::role::Role;
use crate::stack::with_headroom;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::hash::{Hash, Hasher};

/// One branch of a choice: a label and what follows it.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Branch<T> {
    /// The message label that selects this branch.
    pub label: Label,
    /// The protocol after the message.
    pub continuation: T,
}

impl<T> Branch<T> {
    /// A branch from its label and continuation.
    pub fn new(label: Label, continuation: T) -> Self {
        Branch {
            label,
            continuation,
        }
    }
}

/// A branch of a global choice.
pub type GlobalBranch = Branch<GlobalType>;

/// The whole protocol from a neutral viewpoint.
///
/// Deep values are safe: cloning, comparing, hashing, printing, serialising
/// and dropping never overflow the stack. Serde uses the Lean-bridge JSON
/// schema (see [`crate::json`]).
pub enum GlobalType {
    /// `sender` sends one of the branch labels to `receiver`.
    Comm {
        /// The role that chooses and sends.
        sender: Role,
        /// The role that receives.
        receiver: Role,
        /// The possible messages and continuations (at least one when well formed).
        branches: Vec<GlobalBranch>,
    },
    /// `rec var . body`: a recursion point.
    Rec {
        /// The recursion variable bound here.
        var: String,
        /// The recursive body.
        body: Box<GlobalType>,
    },
    /// A jump back to the enclosing `rec` of this name.
    Var(String),
    /// The protocol is over.
    End,
}

impl GlobalType {
    /// A single message `sender -> receiver : label` followed by `continuation`.
    pub fn send(
        sender: impl Into<Role>,
        receiver: impl Into<Role>,
        label: Label,
        continuation: GlobalType,
    ) -> Self {
        GlobalType::Comm {
            sender: sender.into(),
            receiver: receiver.into(),
            branches: vec![Branch::new(label, continuation)],
        }
    }

    /// A choice by `sender`, communicated to `receiver` by the branch label.
    pub fn choice(
        sender: impl Into<Role>,
        receiver: impl Into<Role>,
        branches: impl IntoIterator<Item = (Label, GlobalType)>,
    ) -> Self {
        GlobalType::Comm {
            sender: sender.into(),
            receiver: receiver.into(),
            branches: branches
                .into_iter()
                .map(|(l, c)| Branch::new(l, c))
                .collect(),
        }
    }

    /// `rec var . body`.
    pub fn rec(var: impl Into<String>, body: GlobalType) -> Self {
        GlobalType::Rec {
            var: var.into(),
            body: Box::new(body),
        }
    }

    /// The recursion variable `name`.
    pub fn var(name: impl Into<String>) -> Self {
        GlobalType::Var(name.into())
    }

    /// Every role that sends or receives somewhere in the type, sorted.
    pub fn roles(&self) -> BTreeSet<Role> {
        let mut roles = BTreeSet::new();
        self.collect_roles(&mut roles);
        roles
    }

    fn collect_roles(&self, roles: &mut BTreeSet<Role>) {
        with_headroom(|| match self {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => {
                roles.insert(sender.clone());
                roles.insert(receiver.clone());
                for b in branches {
                    b.continuation.collect_roles(roles);
                }
            }
            GlobalType::Rec { body, .. } => body.collect_roles(roles),
            GlobalType::Var(_) | GlobalType::End => {}
        })
    }

    /// Number of communication nodes in the syntax tree.
    pub fn message_count(&self) -> usize {
        with_headroom(|| match self {
            GlobalType::Comm { branches, .. } => {
                1 + branches
                    .iter()
                    .map(|b| b.continuation.message_count())
                    .sum::<usize>()
            }
            GlobalType::Rec { body, .. } => body.message_count(),
            GlobalType::Var(_) | GlobalType::End => 0,
        })
    }

    /// Moves this node's direct subterms into `out`, leaving `End` behind.
    fn detach_children(&mut self, out: &mut Vec<GlobalType>) {
        match self {
            GlobalType::Comm { branches, .. } => {
                for b in branches.iter_mut() {
                    if !matches!(b.continuation, GlobalType::End) {
                        out.push(std::mem::replace(&mut b.continuation, GlobalType::End));
                    }
                }
            }
            GlobalType::Rec { body, .. } => {
                if !matches!(**body, GlobalType::End) {
                    out.push(std::mem::replace(&mut **body, GlobalType::End));
                }
            }
            GlobalType::Var(_) | GlobalType::End => {}
        }
    }
}

impl Drop for GlobalType {
    /// Drops iteratively so that arbitrarily deep types free without recursion.
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.detach_children(&mut pending);
        while let Some(mut node) = pending.pop() {
            node.detach_children(&mut pending);
        }
    }
}

impl Clone for GlobalType {
    fn clone(&self) -> Self {
        with_headroom(|| match self {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => GlobalType::Comm {
                sender: sender.clone(),
                receiver: receiver.clone(),
                branches: branches.clone(),
            },
            GlobalType::Rec { var, body } => GlobalType::Rec {
                var: var.clone(),
                body: body.clone(),
            },
            GlobalType::Var(v) => GlobalType::Var(v.clone()),
            GlobalType::End => GlobalType::End,
        })
    }
}

impl PartialEq for GlobalType {
    fn eq(&self, other: &Self) -> bool {
        with_headroom(|| match (self, other) {
            (
                GlobalType::Comm {
                    sender: s1,
                    receiver: r1,
                    branches: b1,
                },
                GlobalType::Comm {
                    sender: s2,
                    receiver: r2,
                    branches: b2,
                },
            ) => s1 == s2 && r1 == r2 && b1 == b2,
            (GlobalType::Rec { var: v1, body: t1 }, GlobalType::Rec { var: v2, body: t2 }) => {
                v1 == v2 && t1 == t2
            }
            (GlobalType::Var(a), GlobalType::Var(b)) => a == b,
            (GlobalType::End, GlobalType::End) => true,
            _ => false,
        })
    }
}

impl Eq for GlobalType {}

impl Hash for GlobalType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        with_headroom(|| {
            std::mem::discriminant(self).hash(state);
            match self {
                GlobalType::Comm {
                    sender,
                    receiver,
                    branches,
                } => {
                    sender.hash(state);
                    receiver.hash(state);
                    branches.hash(state);
                }
                GlobalType::Rec { var, body } => {
                    var.hash(state);
                    body.hash(state);
                }
                GlobalType::Var(v) => v.hash(state),
                GlobalType::End => {}
            }
        })
    }
}

/// `A -> B : { ping(unit) . G, ... }`, `rec t . G`, `t`, `end`.
impl fmt::Display for GlobalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_headroom(|| match self {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => {
                write!(f, "{sender} -> {receiver} : {{ ")?;
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} . {}", b.label, b.continuation)?;
                }
                f.write_str(" }")
            }
            GlobalType::Rec { var, body } => write!(f, "rec {var} . {body}"),
            GlobalType::Var(v) => f.write_str(v),
            GlobalType::End => f.write_str("end"),
        })
    }
}

/// Debug output is the readable notation, so assertion failures stay legible.
impl fmt::Debug for GlobalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> GlobalType {
        let mut g = GlobalType::End;
        for i in 0..n {
            let (s, r) = if i % 2 == 0 { ("A", "B") } else { ("B", "A") };
            g = GlobalType::send(s, r, Label::unit("m"), g);
        }
        g
    }

    #[test]
    fn display_is_readable() {
        let g = GlobalType::rec(
            "t",
            GlobalType::choice(
                "A",
                "B",
                [
                    (Label::unit("more"), GlobalType::var("t")),
                    (Label::unit("stop"), GlobalType::End),
                ],
            ),
        );
        assert_eq!(
            g.to_string(),
            "rec t . A -> B : { more(unit) . t, stop(unit) . end }"
        );
    }

    #[test]
    fn deep_types_clone_compare_and_drop_without_overflow() {
        let g = chain(200_000);
        let h = g.clone();
        assert_eq!(g, h);
        assert_eq!(g.message_count(), 200_000);
        assert_eq!(g.roles().len(), 2);
    }
}
