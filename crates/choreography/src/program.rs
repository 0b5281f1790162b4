//! `Program`: the free algebra of choreographic operations for one role.

use crate::builder::ProgramBuilder;
use std::fmt;
use std::time::Duration;
use telltale_types::stack::with_headroom;
use telltale_types::{Label, Role};

/// One branch of a [`Program::Choose`] or [`Program::Offer`].
#[derive(Clone, PartialEq, Debug)]
pub struct ProgramBranch {
    /// The label that selects the branch (its sort types the payload).
    pub label: Label,
    /// What the role does after the message.
    pub then: Program,
}

impl ProgramBranch {
    /// A branch from its label and continuation.
    pub fn new(label: Label, then: Program) -> Self {
        ProgramBranch { label, then }
    }
}

/// What one role does, as a value: a tree of operations run by
/// [`crate::interpret()`] over any [`crate::ChoreoHandler`].
///
/// Programs are continuation trees, like local types: each operation holds
/// what follows it. [`Program::End`] ends the innermost enclosing sequence:
/// the whole program, a parallel branch, a timed section, or a loop (leaving
/// it). Deep programs are safe to clone, compare, print and drop.
pub enum Program {
    /// Send a message with `label` to `to` (payload from the decider).
    Send {
        /// The receiver.
        to: Role,
        /// The label, whose sort types the payload.
        label: Label,
        /// What follows.
        then: Box<Program>,
    },
    /// Receive a message with exactly `label` from `from`.
    Recv {
        /// The sender.
        from: Role,
        /// The expected label and payload sort.
        label: Label,
        /// What follows.
        then: Box<Program>,
    },
    /// Internal choice: the decider picks a branch, whose message goes to `to`.
    Choose {
        /// The receiver of the choice.
        to: Role,
        /// The branches to pick from.
        branches: Vec<ProgramBranch>,
    },
    /// External choice: `from`'s message selects the branch.
    Offer {
        /// The chooser.
        from: Role,
        /// The accepted branches.
        branches: Vec<ProgramBranch>,
    },
    /// A loop named `name`: `body` runs again at each `Continue(name)`.
    Loop {
        /// The loop's name (the recursion variable of a local type).
        name: String,
        /// The loop body.
        body: Box<Program>,
    },
    /// Jump back to the start of the enclosing loop of this name.
    Continue(String),
    /// Independent sub-programs (with disjoint peers), then a continuation.
    ///
    /// The interpreter runs the branches one after another, which is a
    /// valid interleaving when they talk to disjoint peers over
    /// asynchronous (buffered) channels.
    Parallel {
        /// The independent branches.
        branches: Vec<Program>,
        /// What follows once all branches end.
        then: Box<Program>,
    },
    /// Run `body` within `after`, failing with a timeout otherwise, then `then`.
    Timeout {
        /// The time limit for the whole body.
        after: Duration,
        /// The timed section.
        body: Box<Program>,
        /// What follows the timed section.
        then: Box<Program>,
    },
    /// Nothing more to do in this sequence.
    End,
}

impl Program {
    /// A builder for sequential programs.
    pub fn builder() -> ProgramBuilder {
        ProgramBuilder::default()
    }

    /// Moves this node's direct subprograms into `out`, leaving `End` behind.
    fn detach_children(&mut self, out: &mut Vec<Program>) {
        let mut take = |p: &mut Program| {
            if !matches!(p, Program::End) {
                out.push(std::mem::replace(p, Program::End));
            }
        };
        match self {
            Program::Send { then, .. } | Program::Recv { then, .. } => take(then),
            Program::Choose { branches, .. } | Program::Offer { branches, .. } => {
                branches.iter_mut().for_each(|b| take(&mut b.then));
            }
            Program::Loop { body, .. } => take(body),
            Program::Parallel { branches, then } => {
                branches.iter_mut().for_each(&mut take);
                take(then);
            }
            Program::Timeout { body, then, .. } => {
                take(body);
                take(then);
            }
            Program::Continue(_) | Program::End => {}
        }
    }
}

impl Drop for Program {
    /// Drops iteratively so that arbitrarily deep programs free without recursion.
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.detach_children(&mut pending);
        while let Some(mut node) = pending.pop() {
            node.detach_children(&mut pending);
        }
    }
}

impl Clone for Program {
    fn clone(&self) -> Self {
        with_headroom(|| match self {
            Program::Send { to, label, then } => Program::Send {
                to: to.clone(),
                label: label.clone(),
                then: then.clone(),
            },
            Program::Recv { from, label, then } => Program::Recv {
                from: from.clone(),
                label: label.clone(),
                then: then.clone(),
            },
            Program::Choose { to, branches } => Program::Choose {
                to: to.clone(),
                branches: branches.clone(),
            },
            Program::Offer { from, branches } => Program::Offer {
                from: from.clone(),
                branches: branches.clone(),
            },
            Program::Loop { name, body } => Program::Loop {
                name: name.clone(),
                body: body.clone(),
            },
            Program::Continue(name) => Program::Continue(name.clone()),
            Program::Parallel { branches, then } => Program::Parallel {
                branches: branches.clone(),
                then: then.clone(),
            },
            Program::Timeout { after, body, then } => Program::Timeout {
                after: *after,
                body: body.clone(),
                then: then.clone(),
            },
            Program::End => Program::End,
        })
    }
}

impl PartialEq for Program {
    fn eq(&self, other: &Self) -> bool {
        with_headroom(|| match (self, other) {
            (
                Program::Send {
                    to: r1,
                    label: l1,
                    then: t1,
                },
                Program::Send {
                    to: r2,
                    label: l2,
                    then: t2,
                },
            )
            | (
                Program::Recv {
                    from: r1,
                    label: l1,
                    then: t1,
                },
                Program::Recv {
                    from: r2,
                    label: l2,
                    then: t2,
                },
            ) => r1 == r2 && l1 == l2 && t1 == t2,
            (
                Program::Choose {
                    to: r1,
                    branches: b1,
                },
                Program::Choose {
                    to: r2,
                    branches: b2,
                },
            )
            | (
                Program::Offer {
                    from: r1,
                    branches: b1,
                },
                Program::Offer {
                    from: r2,
                    branches: b2,
                },
            ) => r1 == r2 && b1 == b2,
            (Program::Loop { name: n1, body: b1 }, Program::Loop { name: n2, body: b2 }) => {
                n1 == n2 && b1 == b2
            }
            (Program::Continue(a), Program::Continue(b)) => a == b,
            (
                Program::Parallel {
                    branches: b1,
                    then: t1,
                },
                Program::Parallel {
                    branches: b2,
                    then: t2,
                },
            ) => b1 == b2 && t1 == t2,
            (
                Program::Timeout {
                    after: a1,
                    body: b1,
                    then: t1,
                },
                Program::Timeout {
                    after: a2,
                    body: b2,
                    then: t2,
                },
            ) => a1 == a2 && b1 == b2 && t1 == t2,
            (Program::End, Program::End) => true,
            _ => false,
        })
    }
}

/// `B!ping . B?pong(int) . end`, with `loop t { ... }`, `continue t`,
/// `par { ... | ... } . P` and `timeout 5ms { ... } . P`.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_headroom(|| match self {
            Program::Send { to, label, then } => write!(f, "{to}!{label} . {then}"),
            Program::Recv { from, label, then } => write!(f, "{from}?{label} . {then}"),
            Program::Choose { to, branches } => write_branches(f, to, '!', branches),
            Program::Offer { from, branches } => write_branches(f, from, '?', branches),
            Program::Loop { name, body } => write!(f, "loop {name} {{ {body} }}"),
            Program::Continue(name) => write!(f, "continue {name}"),
            Program::Parallel { branches, then } => {
                f.write_str("par { ")?;
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{b}")?;
                }
                write!(f, " }} . {then}")
            }
            Program::Timeout { after, body, then } => {
                write!(f, "timeout {after:?} {{ {body} }} . {then}")
            }
            Program::End => f.write_str("end"),
        })
    }
}

fn write_branches(
    f: &mut fmt::Formatter<'_>,
    peer: &Role,
    symbol: char,
    branches: &[ProgramBranch],
) -> fmt::Result {
    write!(f, "{peer}{symbol}{{ ")?;
    for (i, b) in branches.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{} . {}", b.label, b.then)?;
    }
    f.write_str(" }")
}

/// Debug output is the readable notation, so assertion failures stay legible.
impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_programs_clone_compare_and_drop() {
        let mut p = Program::End;
        for _ in 0..200_000 {
            p = Program::Send {
                to: Role::new("B"),
                label: Label::unit("m"),
                then: Box::new(p),
            };
        }
        let q = p.clone();
        assert_eq!(p, q);
    }

    #[test]
    fn display_is_readable() {
        let p = Program::builder()
            .send("B", Label::unit("ping"))
            .recv("B", Label::unit("pong"))
            .end();
        assert_eq!(p.to_string(), "B!ping(unit) . B?pong(unit) . end");
    }
}
