//! Local types: one role's view of a protocol.

use crate::global::Branch;
use crate::label::Label;
use crate::role::Role;
use crate::stack::with_headroom;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A branch of a local choice.
pub type LocalBranch = Branch<LocalType>;

/// Whether a communication sends or receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Internal choice: this role picks a label and sends it.
    Send,
    /// External choice: this role waits for the partner's label.
    Recv,
}

impl Direction {
    /// The other direction.
    pub fn dual(self) -> Self {
        match self {
            Direction::Send => Direction::Recv,
            Direction::Recv => Direction::Send,
        }
    }

    /// `!` for send, `?` for receive.
    pub fn symbol(self) -> char {
        match self {
            Direction::Send => '!',
            Direction::Recv => '?',
        }
    }
}

/// What one role does in a protocol.
///
/// Deep values are safe: cloning, comparing, hashing, printing, serialising
/// and dropping never overflow the stack. Serde uses the Lean-bridge JSON
/// schema (see [`crate::json`]).
pub enum LocalType {
    /// Internal choice: send one of the labels to `partner`.
    Send {
        /// The receiving role.
        partner: Role,
        /// The labels this role may pick, with their continuations.
        branches: Vec<LocalBranch>,
    },
    /// External choice: receive one of the labels from `partner`.
    Recv {
        /// The sending role.
        partner: Role,
        /// The labels this role accepts, with their continuations.
        branches: Vec<LocalBranch>,
    },
    /// `rec var . body`: a recursion point.
    Rec {
        /// The recursion variable bound here.
        var: String,
        /// The recursive body.
        body: Box<LocalType>,
    },
    /// A jump back to the enclosing `rec` of this name.
    Var(String),
    /// Nothing more to do.
    End,
}

impl LocalType {
    /// Send `label` to `partner`, then continue.
    pub fn send(partner: impl Into<Role>, label: Label, continuation: LocalType) -> Self {
        LocalType::Send {
            partner: partner.into(),
            branches: vec![Branch::new(label, continuation)],
        }
    }

    /// Receive `label` from `partner`, then continue.
    pub fn recv(partner: impl Into<Role>, label: Label, continuation: LocalType) -> Self {
        LocalType::Recv {
            partner: partner.into(),
            branches: vec![Branch::new(label, continuation)],
        }
    }

    /// Internal choice: send one of several labels to `partner`.
    pub fn select(
        partner: impl Into<Role>,
        branches: impl IntoIterator<Item = (Label, LocalType)>,
    ) -> Self {
        LocalType::Send {
            partner: partner.into(),
            branches: collect_branches(branches),
        }
    }

    /// External choice: receive one of several labels from `partner`.
    pub fn branch(
        partner: impl Into<Role>,
        branches: impl IntoIterator<Item = (Label, LocalType)>,
    ) -> Self {
        LocalType::Recv {
            partner: partner.into(),
            branches: collect_branches(branches),
        }
    }

    /// A communication in the given direction.
    pub fn comm(direction: Direction, partner: Role, branches: Vec<LocalBranch>) -> Self {
        match direction {
            Direction::Send => LocalType::Send { partner, branches },
            Direction::Recv => LocalType::Recv { partner, branches },
        }
    }

    /// `rec var . body`.
    pub fn rec(var: impl Into<String>, body: LocalType) -> Self {
        LocalType::Rec {
            var: var.into(),
            body: Box::new(body),
        }
    }

    /// The recursion variable `name`.
    pub fn var(name: impl Into<String>) -> Self {
        LocalType::Var(name.into())
    }

    /// Direction, partner and branches when this is a communication.
    pub fn as_comm(&self) -> Option<(Direction, &Role, &[LocalBranch])> {
        match self {
            LocalType::Send { partner, branches } => Some((Direction::Send, partner, branches)),
            LocalType::Recv { partner, branches } => Some((Direction::Recv, partner, branches)),
            _ => None,
        }
    }

    /// Moves this node's direct subterms into `out`, leaving `End` behind.
    fn detach_children(&mut self, out: &mut Vec<LocalType>) {
        match self {
            LocalType::Send { branches, .. } | LocalType::Recv { branches, .. } => {
                for b in branches.iter_mut() {
                    if !matches!(b.continuation, LocalType::End) {
                        out.push(std::mem::replace(&mut b.continuation, LocalType::End));
                    }
                }
            }
            LocalType::Rec { body, .. } => {
                if !matches!(**body, LocalType::End) {
                    out.push(std::mem::replace(&mut **body, LocalType::End));
                }
            }
            LocalType::Var(_) | LocalType::End => {}
        }
    }
}

fn collect_branches(branches: impl IntoIterator<Item = (Label, LocalType)>) -> Vec<LocalBranch> {
    branches
        .into_iter()
        .map(|(l, c)| Branch::new(l, c))
        .collect()
}

impl Drop for LocalType {
    /// Drops iteratively so that arbitrarily deep types free without recursion.
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.detach_children(&mut pending);
        while let Some(mut node) = pending.pop() {
            node.detach_children(&mut pending);
        }
    }
}

impl Clone for LocalType {
    fn clone(&self) -> Self {
        with_headroom(|| match self {
            LocalType::Send { partner, branches } => LocalType::Send {
                partner: partner.clone(),
                branches: branches.clone(),
            },
            LocalType::Recv { partner, branches } => LocalType::Recv {
                partner: partner.clone(),
                branches: branches.clone(),
            },
            LocalType::Rec { var, body } => LocalType::Rec {
                var: var.clone(),
                body: body.clone(),
            },
            LocalType::Var(v) => LocalType::Var(v.clone()),
            LocalType::End => LocalType::End,
        })
    }
}

impl PartialEq for LocalType {
    fn eq(&self, other: &Self) -> bool {
        with_headroom(|| match (self, other) {
            (
                LocalType::Send {
                    partner: p1,
                    branches: b1,
                },
                LocalType::Send {
                    partner: p2,
                    branches: b2,
                },
            )
            | (
                LocalType::Recv {
                    partner: p1,
                    branches: b1,
                },
                LocalType::Recv {
                    partner: p2,
                    branches: b2,
                },
            ) => p1 == p2 && b1 == b2,
            (LocalType::Rec { var: v1, body: t1 }, LocalType::Rec { var: v2, body: t2 }) => {
                v1 == v2 && t1 == t2
            }
            (LocalType::Var(a), LocalType::Var(b)) => a == b,
            (LocalType::End, LocalType::End) => true,
            _ => false,
        })
    }
}

impl Eq for LocalType {}

impl Hash for LocalType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        with_headroom(|| {
            std::mem::discriminant(self).hash(state);
            match self {
                LocalType::Send { partner, branches } | LocalType::Recv { partner, branches } => {
                    partner.hash(state);
                    branches.hash(state);
                }
                LocalType::Rec { var, body } => {
                    var.hash(state);
                    body.hash(state);
                }
                LocalType::Var(v) => v.hash(state),
                LocalType::End => {}
            }
        })
    }
}

/// `B!ping . B?pong(int) . end`; choices as `B!{ yes . T, no . U }`.
impl fmt::Display for LocalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_headroom(|| match self {
            LocalType::Send { partner, branches } | LocalType::Recv { partner, branches } => {
                let dir = if matches!(self, LocalType::Send { .. }) {
                    '!'
                } else {
                    '?'
                };
                let write_label = |f: &mut fmt::Formatter<'_>, label: &Label| {
                    if label.sort.is_unit() {
                        write!(f, "{}", label.name)
                    } else {
                        write!(f, "{}({})", label.name, label.sort)
                    }
                };
                if let [only] = branches.as_slice() {
                    write!(f, "{partner}{dir}")?;
                    write_label(f, &only.label)?;
                    return write!(f, " . {}", only.continuation);
                }
                write!(f, "{partner}{dir}{{ ")?;
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_label(f, &b.label)?;
                    write!(f, " . {}", b.continuation)?;
                }
                f.write_str(" }")
            }
            LocalType::Rec { var, body } => write!(f, "rec {var} . {body}"),
            LocalType::Var(v) => f.write_str(v),
            LocalType::End => f.write_str("end"),
        })
    }
}

/// Debug output is the readable notation, so assertion failures stay legible.
impl fmt::Debug for LocalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PayloadSort;

    #[test]
    fn display_is_readable() {
        let t = LocalType::send(
            "B",
            Label::unit("ping"),
            LocalType::recv("B", Label::new("pong", PayloadSort::Int), LocalType::End),
        );
        assert_eq!(t.to_string(), "B!ping . B?pong(int) . end");
        let c = LocalType::select(
            "B",
            [
                (Label::unit("yes"), LocalType::End),
                (Label::unit("no"), LocalType::var("t")),
            ],
        );
        assert_eq!(c.to_string(), "B!{ yes . end, no . t }");
    }

    #[test]
    fn deep_local_types_are_safe() {
        let mut t = LocalType::End;
        for _ in 0..200_000 {
            t = LocalType::send("B", Label::unit("m"), t);
        }
        let u = t.clone();
        assert_eq!(t, u);
        assert!(t.to_string().len() > 200_000);
    }
}
