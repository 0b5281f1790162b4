//! Projection of a global type onto one role.
//!
//! `project(G, r)` follows the rules of the theory notes:
//!
//! - `p -> q : { l_i . G_i }` gives `q!{ l_i . G_i↾r }` when `r = p`,
//!   `p?{ l_i . G_i↾r }` when `r = q`, and otherwise the merge (see
//!   [`crate::merge`]) of all the `G_i↾r`;
//! - `rec X . G` gives `rec X . G↾r` when `r` takes part in `G`, and
//!   otherwise `end`, so no role is left with an unguarded `rec X . X`.
//!   "Takes part" is read off the projected body: it contains a
//!   communication exactly when `r` occurs in `G`. One refinement: when `r`
//!   does not occur in `G` but `G↾r` is a jump `Y` to an *enclosing*
//!   recursion, the result is that jump (the loop on `X` is invisible to
//!   `r`, the jump back to `Y` is not);
//! - `X` gives `X` and `end` gives `end`.
//!
//! Projection is one walk over the global type, building the local type
//! as it returns: linear in the size of the type, with no subtree cloned
//! and no rescan of recursion bodies. It is safe at any depth.

use crate::error::{abbreviate, PathStep, TypePath};
use crate::merge::{merge_owned, MergeError, MergeMode};
use std::collections::BTreeMap;
use std::sync::Arc;
use telltale_types::stack::with_headroom;
use telltale_types::{GlobalBranch, GlobalType, Label, LocalBranch, LocalType, Role};
use thiserror::Error;

/// Options of projection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProjectionConfig {
    /// The merge rule for roles outside a choice (full by default).
    pub merge: MergeMode,
}

/// Why a global type has no projection onto a role.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProjectionError {
    /// A role outside a choice would behave differently in two branches.
    #[error("cannot project onto {role}: it takes no part in the choice of {sender} -> {receiver} {path}, but branch \"{left_label}\" gives it `{}` and branch \"{right_label}\" gives it `{}` ({cause})", abbreviate(.left), abbreviate(.right))]
    MergeConflict {
        /// The role being projected onto.
        role: Role,
        /// The role that chooses.
        sender: Role,
        /// The role that receives the choice.
        receiver: Role,
        /// The label of the first conflicting branch.
        left_label: Arc<str>,
        /// The role's type in the first conflicting branch.
        left: Box<LocalType>,
        /// The label of the second conflicting branch.
        right_label: Arc<str>,
        /// The role's type in the second conflicting branch.
        right: Box<LocalType>,
        /// Why the two do not merge.
        cause: MergeError,
        /// Where the choice is in the global type.
        path: TypePath,
    },
    /// A communication offers no branch at all.
    #[error(
        "cannot project onto {role}: the choice of {sender} -> {receiver} {path} has no branches"
    )]
    EmptyChoice {
        /// The role being projected onto.
        role: Role,
        /// The sender of the empty choice.
        sender: Role,
        /// The receiver of the empty choice.
        receiver: Role,
        /// Where the choice is in the global type.
        path: TypePath,
    },
    /// A role sends to itself.
    #[error("cannot project onto {role}: {sender} sends to itself {path}")]
    SelfCommunication {
        /// The role being projected onto.
        role: Role,
        /// The role that sends to itself.
        sender: Role,
        /// Where the communication is in the global type.
        path: TypePath,
    },
}

impl ProjectionError {
    /// The role whose projection failed.
    pub fn role(&self) -> &Role {
        match self {
            ProjectionError::MergeConflict { role, .. }
            | ProjectionError::EmptyChoice { role, .. }
            | ProjectionError::SelfCommunication { role, .. } => role,
        }
    }

    /// Where the failure is in the global type.
    pub fn path(&self) -> &TypePath {
        match self {
            ProjectionError::MergeConflict { path, .. }
            | ProjectionError::EmptyChoice { path, .. }
            | ProjectionError::SelfCommunication { path, .. } => path,
        }
    }

    fn path_mut(&mut self) -> &mut TypePath {
        match self {
            ProjectionError::MergeConflict { path, .. }
            | ProjectionError::EmptyChoice { path, .. }
            | ProjectionError::SelfCommunication { path, .. } => path,
        }
    }

    fn within(mut self, step: PathStep) -> Self {
        self.path_mut().push_while_unwinding(step);
        self
    }
}

/// The local type of `role` in `global`, with full merge.
pub fn project(global: &GlobalType, role: &Role) -> Result<LocalType, ProjectionError> {
    project_with(global, role, &ProjectionConfig::default())
}

/// The local type of `role` in `global`, with the given options.
pub fn project_with(
    global: &GlobalType,
    role: &Role,
    config: &ProjectionConfig,
) -> Result<LocalType, ProjectionError> {
    let projector = Projector {
        role,
        mode: config.merge,
    };
    projector.project(global).map_err(|mut e| {
        e.path_mut().finish_unwinding();
        e
    })
}

/// The local type of every role of `global` (full merge), by role name.
pub fn project_all(global: &GlobalType) -> Result<BTreeMap<Role, LocalType>, ProjectionError> {
    project_all_with(global, &ProjectionConfig::default())
}

/// The local type of every role of `global`, with the given options.
pub fn project_all_with(
    global: &GlobalType,
    config: &ProjectionConfig,
) -> Result<BTreeMap<Role, LocalType>, ProjectionError> {
    global
        .roles()
        .into_iter()
        .map(|role| project_with(global, &role, config).map(|local| (role, local)))
        .collect()
}

/// One projection in progress. Errors carry their path innermost first
/// until [`project_with`] puts it in order.
struct Projector<'r> {
    role: &'r Role,
    mode: MergeMode,
}

impl Projector<'_> {
    fn project(&self, global: &GlobalType) -> Result<LocalType, ProjectionError> {
        with_headroom(|| match global {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => self.project_comm(sender, receiver, branches),
            GlobalType::Rec { var, body } => {
                let local = self
                    .project(body)
                    .map_err(|e| e.within(PathStep::Rec { var: var.clone() }))?;
                Ok(close_recursion(var, local))
            }
            GlobalType::Var(name) => Ok(LocalType::Var(name.clone())),
            GlobalType::End => Ok(LocalType::End),
        })
    }

    fn project_comm(
        &self,
        sender: &Role,
        receiver: &Role,
        branches: &[GlobalBranch],
    ) -> Result<LocalType, ProjectionError> {
        if sender == receiver {
            return Err(ProjectionError::SelfCommunication {
                role: self.role.clone(),
                sender: sender.clone(),
                path: TypePath::root(),
            });
        }
        if branches.is_empty() {
            return Err(ProjectionError::EmptyChoice {
                role: self.role.clone(),
                sender: sender.clone(),
                receiver: receiver.clone(),
                path: TypePath::root(),
            });
        }
        if self.role == sender {
            return Ok(LocalType::Send {
                partner: receiver.clone(),
                branches: self.project_branches(sender, receiver, branches)?,
            });
        }
        if self.role == receiver {
            return Ok(LocalType::Recv {
                partner: sender.clone(),
                branches: self.project_branches(sender, receiver, branches)?,
            });
        }
        let mut merged: Option<LocalType> = None;
        for (i, branch) in branches.iter().enumerate() {
            let local = self.project_branch(sender, receiver, branch)?;
            merged = Some(match merged {
                None => local,
                Some(so_far) => merge_owned(so_far, local, self.mode)
                    .map_err(|cause| self.conflict(sender, receiver, branches, i, cause))?,
            });
        }
        Ok(merged.unwrap_or(LocalType::End))
    }

    fn project_branches(
        &self,
        sender: &Role,
        receiver: &Role,
        branches: &[GlobalBranch],
    ) -> Result<Vec<LocalBranch>, ProjectionError> {
        branches
            .iter()
            .map(|b| {
                self.project_branch(sender, receiver, b)
                    .map(|local| LocalBranch::new(b.label.clone(), local))
            })
            .collect()
    }

    fn project_branch(
        &self,
        sender: &Role,
        receiver: &Role,
        branch: &GlobalBranch,
    ) -> Result<LocalType, ProjectionError> {
        self.project(&branch.continuation)
            .map_err(|e| e.within(branch_step(sender, receiver, &branch.label)))
    }

    /// The error for a merge that failed when adding branch `failed`: finds
    /// the earlier branch it conflicts with (slow, but only on failure).
    fn conflict(
        &self,
        sender: &Role,
        receiver: &Role,
        branches: &[GlobalBranch],
        failed: usize,
        cause: MergeError,
    ) -> ProjectionError {
        let right_label = branches[failed].label.name.clone();
        let right = self.project(&branches[failed].continuation).ok();
        let mut culprit = None;
        if let Some(right) = &right {
            for earlier in &branches[..failed] {
                if let Ok(left) = self.project(&earlier.continuation) {
                    if let Err(pair_cause) = merge_owned(left.clone(), right.clone(), self.mode) {
                        culprit = Some((earlier.label.name.clone(), left, pair_cause));
                        break;
                    }
                }
            }
        }
        let (left_label, left, cause) = culprit.unwrap_or_else(|| {
            // The conflict is with the merge of all earlier branches.
            let merged = branches[..failed]
                .iter()
                .filter_map(|b| self.project(&b.continuation).ok())
                .try_fold(None::<LocalType>, |acc, t| match acc {
                    None => Ok(Some(t)),
                    Some(a) => merge_owned(a, t, self.mode).map(Some),
                })
                .ok()
                .flatten()
                .unwrap_or(LocalType::End);
            (branches[0].label.name.clone(), merged, cause)
        });
        ProjectionError::MergeConflict {
            role: self.role.clone(),
            sender: sender.clone(),
            receiver: receiver.clone(),
            left_label,
            left: Box::new(left),
            right_label,
            right: Box::new(right.unwrap_or(LocalType::End)),
            cause,
            path: TypePath::root(),
        }
    }
}

fn branch_step(sender: &Role, receiver: &Role, label: &Label) -> PathStep {
    PathStep::GlobalBranch {
        sender: sender.clone(),
        receiver: receiver.clone(),
        label: label.name.clone(),
    }
}

/// `rec var . body` for a projected body, or what stands for it when the
/// role takes no part in the recursion.
fn close_recursion(var: &str, body: LocalType) -> LocalType {
    // A body without communication is a chain of binders ending in a
    // variable or `end`; anything else starts with a communication.
    let mut binders = vec![var];
    let mut leaf = &body;
    while let LocalType::Rec { var: inner, body } = leaf {
        binders.push(inner);
        leaf = body;
    }
    match leaf {
        LocalType::Send { .. } | LocalType::Recv { .. } => LocalType::rec(var, body),
        LocalType::Var(name) if !binders.contains(&name.as_str()) => LocalType::Var(name.clone()),
        _ => LocalType::End,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_types::PayloadSort;

    fn msg(from: &str, to: &str, label: &str, then: GlobalType) -> GlobalType {
        GlobalType::send(from, to, Label::unit(label), then)
    }

    fn check(global: &GlobalType, role: &str, expected: &LocalType) {
        assert_eq!(
            &project(global, &Role::new(role)).unwrap(),
            expected,
            "{role}"
        );
    }

    fn fails(global: &GlobalType, role: &str, message: &str) -> ProjectionError {
        let err = project(global, &Role::new(role)).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        assert_eq!(err.role(), &Role::new(role));
        err
    }

    #[test]
    fn participants_send_and_receive() {
        let g = msg("A", "B", "ping", msg("B", "A", "pong", GlobalType::End));
        check(
            &g,
            "A",
            &LocalType::send(
                "B",
                Label::unit("ping"),
                LocalType::recv("B", Label::unit("pong"), LocalType::End),
            ),
        );
        check(
            &g,
            "B",
            &LocalType::recv(
                "A",
                Label::unit("ping"),
                LocalType::send("A", Label::unit("pong"), LocalType::End),
            ),
        );
        check(&g, "C", &LocalType::End);
        assert_eq!(project_all(&g).unwrap().len(), 2);
    }

    #[test]
    fn third_parties_merge_the_branches() {
        let g = GlobalType::choice(
            "A",
            "B",
            [
                (Label::unit("x"), msg("A", "C", "left", GlobalType::End)),
                (Label::unit("y"), msg("A", "C", "right", GlobalType::End)),
            ],
        );
        check(
            &g,
            "C",
            &LocalType::branch(
                "A",
                [
                    (Label::unit("left"), LocalType::End),
                    (Label::unit("right"), LocalType::End),
                ],
            ),
        );
        let plain = project_with(
            &g,
            &Role::new("C"),
            &ProjectionConfig {
                merge: MergeMode::Plain,
            },
        );
        assert!(matches!(plain, Err(ProjectionError::MergeConflict { .. })));
    }

    #[test]
    fn recursion_without_the_role_ends() {
        let g = msg(
            "C",
            "A",
            "start",
            GlobalType::rec("t", msg("A", "B", "m", GlobalType::var("t"))),
        );
        check(
            &g,
            "C",
            &LocalType::send("A", Label::unit("start"), LocalType::End),
        );
        check(
            &g,
            "B",
            &LocalType::rec(
                "t",
                LocalType::recv("A", Label::unit("m"), LocalType::var("t")),
            ),
        );
        let nested = GlobalType::rec(
            "x",
            GlobalType::rec("y", msg("A", "B", "m", GlobalType::var("x"))),
        );
        check(&nested, "C", &LocalType::End);
    }

    #[test]
    fn an_inner_loop_the_role_ignores_keeps_the_jump_back() {
        let g = GlobalType::rec(
            "outer",
            msg(
                "C",
                "A",
                "go",
                GlobalType::rec("inner", msg("A", "B", "m", GlobalType::var("outer"))),
            ),
        );
        check(
            &g,
            "C",
            &LocalType::rec(
                "outer",
                LocalType::send("A", Label::unit("go"), LocalType::var("outer")),
            ),
        );
    }

    #[test]
    fn merge_conflicts_name_the_branches_and_the_place() {
        let g = GlobalType::rec(
            "t",
            GlobalType::choice(
                "A",
                "B",
                [
                    (Label::unit("x"), msg("C", "A", "hi", GlobalType::End)),
                    (Label::unit("y"), GlobalType::End),
                    (Label::unit("z"), msg("A", "C", "bye", GlobalType::End)),
                ],
            ),
        );
        let err = fails(&g, "C", "takes no part in the choice of A -> B at rec t");
        let ProjectionError::MergeConflict {
            left_label,
            right_label,
            left,
            right,
            ..
        } = &err
        else {
            panic!("expected a merge conflict, got {err}");
        };
        assert_eq!((&**left_label, &**right_label), ("x", "y"));
        assert_eq!(
            **left,
            LocalType::send("A", Label::unit("hi"), LocalType::End)
        );
        assert_eq!(**right, LocalType::End);
        assert!(
            err.to_string()
                .contains("branch \"x\" gives it `A!hi . end`"),
            "{err}"
        );
        assert_eq!(err.path().steps().len(), 1);
    }

    #[test]
    fn sort_conflicts_come_from_the_merge() {
        let g = GlobalType::choice(
            "A",
            "B",
            [
                (
                    Label::unit("x"),
                    GlobalType::send("A", "C", Label::unit("v"), GlobalType::End),
                ),
                (
                    Label::unit("y"),
                    GlobalType::send("A", "C", Label::new("v", PayloadSort::Int), GlobalType::End),
                ),
            ],
        );
        let err = fails(&g, "C", "carries unit on one side and int");
        assert!(matches!(
            err,
            ProjectionError::MergeConflict {
                cause: MergeError::SortMismatch { .. },
                ..
            }
        ));
    }

    #[test]
    fn empty_choices_and_self_messages_are_refused() {
        let empty = msg(
            "A",
            "B",
            "m",
            GlobalType::Comm {
                sender: Role::new("B"),
                receiver: Role::new("C"),
                branches: Vec::new(),
            },
        );
        let err = fails(
            &empty,
            "A",
            "the choice of B -> C at branch \"m\" of A -> B has no branches",
        );
        assert!(matches!(err, ProjectionError::EmptyChoice { .. }));
        let selfish = msg("A", "A", "m", GlobalType::End);
        let err = fails(&selfish, "B", "A sends to itself at the top of the type");
        assert!(matches!(err, ProjectionError::SelfCommunication { .. }));
        assert!(err.path().is_root());
    }

    #[test]
    fn long_protocols_do_not_overflow() {
        let roles = ["A", "B", "C"];
        let mut g = GlobalType::End;
        for i in 0..100_000 {
            g = msg(roles[i % 3], roles[(i + 1) % 3], "m", g);
        }
        let all = project_all(&g).unwrap();
        assert_eq!(all.len(), 3);
    }
}
