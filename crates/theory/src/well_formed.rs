//! Well-formedness of global and local types.
//!
//! A global type is well formed when every variable is bound, no choice is
//! empty, nobody sends to itself, every recursion passes through a
//! communication before reaching its variable, the labels of each choice
//! are distinct, and it projects onto every role. A local type is well
//! formed when it is closed, contractive (guarded) and its choices are
//! non-empty with distinct labels.
//!
//! [`global_violations`] and [`local_violations`] report every problem, in
//! the order they appear in the type (projectability is checked only once
//! the structure is sound, role by role in name order); [`check_global`]
//! and [`check_local`] stop at the first.

use crate::error::{PathStep, TypePath};
use crate::projection::{project, ProjectionError};
use crate::subst::{SessionType, View};
use std::collections::BTreeSet;
use std::sync::Arc;
use telltale_types::stack::with_headroom;
use telltale_types::{GlobalType, Label, LocalType, Role};
use thiserror::Error;

/// One reason a type is not well formed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WellFormednessError {
    /// A variable is used outside any `rec` binding it.
    #[error("variable `{var}` is not bound by any enclosing rec ({path})")]
    UnboundVariable {
        /// The variable.
        var: String,
        /// Where it is used.
        path: TypePath,
    },
    /// A recursion reaches its variable without any communication.
    #[error("recursion on `{var}` is unguarded: `{var}` is reached without any communication since `rec {var}` ({path})")]
    UnguardedRecursion {
        /// The variable reached too early.
        var: String,
        /// Where it is used.
        path: TypePath,
    },
    /// A choice offers no branch.
    #[error("the choice {choice} has no branches ({path})")]
    EmptyChoice {
        /// The choice, e.g. `A -> B` or `B!`.
        choice: String,
        /// Where it is.
        path: TypePath,
    },
    /// A role sends to itself.
    #[error("{role} sends to itself ({path})")]
    SelfCommunication {
        /// The role.
        role: Role,
        /// Where the communication is.
        path: TypePath,
    },
    /// A choice offers the same label twice.
    #[error("label \"{label}\" appears more than once in the choice {choice} ({path})")]
    DuplicateLabel {
        /// The repeated label's name.
        label: Arc<str>,
        /// The choice, e.g. `A -> B` or `B!`.
        choice: String,
        /// Where the choice is.
        path: TypePath,
    },
    /// The global type has no projection onto a role.
    #[error("role {role} has no projection: {source}")]
    NotProjectable {
        /// The role.
        role: Role,
        /// Why projection failed.
        source: Box<ProjectionError>,
    },
}

/// The first reason `global` is not well formed, if any.
pub fn check_global(global: &GlobalType) -> Result<(), WellFormednessError> {
    first(global_violations(global))
}

/// The first reason `local` is not well formed, if any.
pub fn check_local(local: &LocalType) -> Result<(), WellFormednessError> {
    first(local_violations(local))
}

fn first(violations: Vec<WellFormednessError>) -> Result<(), WellFormednessError> {
    match violations.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Every reason `global` is not well formed, in order of appearance.
pub fn global_violations(global: &GlobalType) -> Vec<WellFormednessError> {
    let mut violations = structural_violations(global);
    if violations.is_empty() {
        for role in global.roles() {
            if let Err(source) = project(global, &role) {
                violations.push(WellFormednessError::NotProjectable {
                    role,
                    source: Box::new(source),
                });
            }
        }
    }
    violations
}

/// Every reason `local` is not well formed, in order of appearance.
pub fn local_violations(local: &LocalType) -> Vec<WellFormednessError> {
    structural_violations(local)
}

/// What the structural check needs to know about a kind of type.
trait Checked: SessionType {
    /// The choice as people write it, e.g. `A -> B` or `B!`.
    fn describe(head: &Self::Head) -> String;
    /// The role that sends to itself at this head, if any.
    fn self_sender(head: &Self::Head) -> Option<&Role>;
    /// The path step into a branch of this head.
    fn step(head: &Self::Head, label: &Label) -> PathStep;
}

impl Checked for GlobalType {
    fn describe((sender, receiver): &Self::Head) -> String {
        format!("{sender} -> {receiver}")
    }

    fn self_sender((sender, receiver): &Self::Head) -> Option<&Role> {
        (sender == receiver).then_some(sender)
    }

    fn step((sender, receiver): &Self::Head, label: &Label) -> PathStep {
        PathStep::GlobalBranch {
            sender: sender.clone(),
            receiver: receiver.clone(),
            label: label.name.clone(),
        }
    }
}

impl Checked for LocalType {
    fn describe((direction, partner): &Self::Head) -> String {
        format!("{partner}{}", direction.symbol())
    }

    fn self_sender(_: &Self::Head) -> Option<&Role> {
        None
    }

    fn step((direction, partner): &Self::Head, label: &Label) -> PathStep {
        PathStep::LocalBranch {
            direction: *direction,
            partner: partner.clone(),
            label: label.name.clone(),
        }
    }
}

fn structural_violations<T: Checked>(t: &T) -> Vec<WellFormednessError> {
    let mut walk = Walk {
        binders: Vec::new(),
        comms: 0,
        path: Vec::new(),
        errors: Vec::new(),
    };
    walk.visit(t);
    walk.errors
}

/// The state of the structural check along the current path.
struct Walk<'a> {
    /// Enclosing binders with the number of communications above each.
    binders: Vec<(&'a str, usize)>,
    /// Communications between the root and the current node.
    comms: usize,
    path: Vec<PathStep>,
    errors: Vec<WellFormednessError>,
}

impl<'a> Walk<'a> {
    fn here(&self) -> TypePath {
        TypePath::from_steps(self.path.clone())
    }

    fn visit<T: Checked>(&mut self, t: &'a T) {
        with_headroom(|| match t.view() {
            View::Comm(head, branches) => {
                if let Some(role) = T::self_sender(&head) {
                    self.errors.push(WellFormednessError::SelfCommunication {
                        role: role.clone(),
                        path: self.here(),
                    });
                }
                if branches.is_empty() {
                    self.errors.push(WellFormednessError::EmptyChoice {
                        choice: T::describe(&head),
                        path: self.here(),
                    });
                }
                let mut seen = BTreeSet::new();
                for b in branches {
                    if !seen.insert(&*b.label.name) {
                        self.errors.push(WellFormednessError::DuplicateLabel {
                            label: b.label.name.clone(),
                            choice: T::describe(&head),
                            path: self.here(),
                        });
                    }
                }
                self.comms += 1;
                for b in branches {
                    self.path.push(T::step(&head, &b.label));
                    self.visit(&b.continuation);
                    self.path.pop();
                }
                self.comms -= 1;
            }
            View::Rec(var, body) => {
                self.binders.push((var, self.comms));
                self.path.push(PathStep::Rec {
                    var: var.to_string(),
                });
                self.visit(body);
                self.path.pop();
                self.binders.pop();
            }
            View::Var(name) => match self.binders.iter().rev().find(|(v, _)| *v == name) {
                None => self.errors.push(WellFormednessError::UnboundVariable {
                    var: name.to_string(),
                    path: self.here(),
                }),
                Some((_, comms_at_binder)) if *comms_at_binder == self.comms => {
                    self.errors.push(WellFormednessError::UnguardedRecursion {
                        var: name.to_string(),
                        path: self.here(),
                    });
                }
                Some(_) => {}
            },
            View::End => {}
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn msg(from: &str, to: &str, label: &str, then: GlobalType) -> GlobalType {
        GlobalType::send(from, to, Label::unit(label), then)
    }

    fn check_error(global: &GlobalType, message: &str) -> WellFormednessError {
        let err = check_global(global).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        err
    }

    fn check_local_error(local: &LocalType, message: &str) -> WellFormednessError {
        let err = check_local(local).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        err
    }

    #[test]
    fn good_types_pass() {
        let g = GlobalType::rec(
            "t",
            GlobalType::choice(
                "A",
                "B",
                [
                    (
                        Label::unit("more"),
                        msg("B", "C", "fwd", GlobalType::var("t")),
                    ),
                    (Label::unit("stop"), msg("B", "C", "done", GlobalType::End)),
                ],
            ),
        );
        assert_eq!(check_global(&g), Ok(()));
        for role in g.roles() {
            assert_eq!(check_local(&project(&g, &role).unwrap()), Ok(()));
        }
    }

    #[test]
    fn every_global_fault_is_named_and_located() {
        let err = check_error(
            &msg("A", "B", "x", GlobalType::var("t")),
            "variable `t` is not bound by any enclosing rec (at branch \"x\" of A -> B)",
        );
        assert!(matches!(err, WellFormednessError::UnboundVariable { .. }));
        let err = check_error(
            &GlobalType::rec("t", GlobalType::rec("u", GlobalType::var("t"))),
            "recursion on `t` is unguarded",
        );
        assert!(matches!(
            err,
            WellFormednessError::UnguardedRecursion { .. }
        ));
        assert!(err.to_string().contains("at rec t, then rec u"), "{err}");
        let err = check_error(
            &GlobalType::choice("A", "B", []),
            "the choice A -> B has no branches (at the top of the type)",
        );
        assert!(matches!(err, WellFormednessError::EmptyChoice { .. }));
        let err = check_error(&msg("A", "A", "m", GlobalType::End), "A sends to itself");
        assert!(matches!(err, WellFormednessError::SelfCommunication { .. }));
        let err = check_error(
            &GlobalType::choice(
                "A",
                "B",
                [
                    (Label::unit("x"), GlobalType::End),
                    (Label::unit("x"), GlobalType::End),
                ],
            ),
            "label \"x\" appears more than once in the choice A -> B",
        );
        assert!(matches!(err, WellFormednessError::DuplicateLabel { .. }));
        let unprojectable = GlobalType::choice(
            "A",
            "B",
            [
                (Label::unit("x"), msg("C", "A", "m", GlobalType::End)),
                (Label::unit("y"), GlobalType::End),
            ],
        );
        let err = check_error(&unprojectable, "role C has no projection");
        assert!(matches!(err, WellFormednessError::NotProjectable { .. }));
    }

    #[test]
    fn all_violations_are_reported_in_order() {
        let g = GlobalType::choice(
            "A",
            "A",
            [
                (Label::unit("x"), GlobalType::var("a")),
                (Label::unit("x"), GlobalType::var("b")),
            ],
        );
        let found: Vec<String> = global_violations(&g)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].contains("A sends to itself"));
        assert!(found[1].contains("appears more than once"));
        assert!(found[2].contains("`a`"));
        assert!(found[3].contains("`b`"));
    }

    #[test]
    fn local_faults_are_named_and_located() {
        let err = check_local_error(
            &LocalType::send("B", Label::unit("m"), LocalType::var("t")),
            "variable `t` is not bound by any enclosing rec (at branch \"m\" of B!)",
        );
        assert!(matches!(err, WellFormednessError::UnboundVariable { .. }));
        check_local_error(
            &LocalType::rec("t", LocalType::var("t")),
            "recursion on `t` is unguarded",
        );
        check_local_error(&LocalType::branch("A", []), "the choice A? has no branches");
        check_local_error(
            &LocalType::select(
                "B",
                [
                    (Label::unit("x"), LocalType::End),
                    (Label::unit("x"), LocalType::End),
                ],
            ),
            "label \"x\" appears more than once in the choice B!",
        );
        let good = LocalType::rec(
            "t",
            LocalType::recv("A", Label::unit("m"), LocalType::var("t")),
        );
        assert_eq!(local_violations(&good), Vec::new());
    }
}
