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
//! Projection is one iterative walk over the global type, building the
//! local type bottom-up: linear in the size of the type, with no subtree
//! cloned, no rescan of recursion bodies and no deep call stack, so it is
//! fast and safe at any depth.

use crate::error::{abbreviate, PathStep, TypePath};
use crate::merge::{merge_owned, MergeError, MergeMode};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
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
    #[error("{0}")]
    MergeConflict(Box<BranchConflict>),
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

/// Two branches of a choice that give a non-participating role
/// behaviours that do not merge.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("cannot project onto {role}: it takes no part in the choice of {sender} -> {receiver} {path}, but branch \"{left_label}\" gives it `{}` and branch \"{right_label}\" gives it `{}` ({cause})", abbreviate(.left), abbreviate(.right))]
pub struct BranchConflict {
    /// The role being projected onto.
    pub role: Role,
    /// The role that chooses.
    pub sender: Role,
    /// The role that receives the choice.
    pub receiver: Role,
    /// The label of the first conflicting branch.
    pub left_label: Arc<str>,
    /// The role's type in the first conflicting branch.
    pub left: LocalType,
    /// The label of the second conflicting branch.
    pub right_label: Arc<str>,
    /// The role's type in the second conflicting branch.
    pub right: LocalType,
    /// Why the two do not merge.
    pub cause: MergeError,
    /// Where the choice is in the global type.
    pub path: TypePath,
}

impl ProjectionError {
    /// The role whose projection failed.
    pub fn role(&self) -> &Role {
        match self {
            ProjectionError::MergeConflict(conflict) => &conflict.role,
            ProjectionError::EmptyChoice { role, .. }
            | ProjectionError::SelfCommunication { role, .. } => role,
        }
    }

    /// Where the failure is in the global type.
    pub fn path(&self) -> &TypePath {
        match self {
            ProjectionError::MergeConflict(conflict) => &conflict.path,
            ProjectionError::EmptyChoice { path, .. }
            | ProjectionError::SelfCommunication { path, .. } => path,
        }
    }

    fn path_mut(&mut self) -> &mut TypePath {
        match self {
            ProjectionError::MergeConflict(conflict) => &mut conflict.path,
            ProjectionError::EmptyChoice { path, .. }
            | ProjectionError::SelfCommunication { path, .. } => path,
        }
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
    projector.project(global).map_err(|failure| {
        let mut error = failure.error;
        *error.path_mut() = path_to(global, failure.at);
        error
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
    roles_of(global)
        .into_iter()
        .map(|role| project_with(global, &role, config).map(|local| (role, local)))
        .collect()
}

/// One projection in progress.
///
/// The walk is iterative — an explicit stack of tasks and a stack of
/// finished local types — so deep protocols cost neither call-stack
/// growth nor recursion overhead. A failure remembers the node where it
/// happened; its path is found afterwards, only on that error path.
struct Projector<'r> {
    role: &'r Role,
    mode: MergeMode,
}

/// A step of the iterative walk.
enum Task<'g> {
    /// Project this node (push its children's tasks, or its result).
    Visit(&'g GlobalType),
    /// The children of this communication or recursion are projected (in
    /// order, on top of the result stack): combine them.
    Finish(&'g GlobalType),
}

/// A projection error and the node of the global type where it arose.
struct Failure<'g> {
    error: ProjectionError,
    at: &'g GlobalType,
}

impl Projector<'_> {
    fn project<'g>(&self, root: &'g GlobalType) -> Result<LocalType, Failure<'g>> {
        let mut tasks = vec![Task::Visit(root)];
        let mut results: Vec<LocalType> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(node) => match node {
                    GlobalType::Comm {
                        sender,
                        receiver,
                        branches,
                    } => {
                        self.check_comm(sender, receiver, branches)
                            .map_err(|error| Failure { error, at: node })?;
                        let involved = self.role == sender || self.role == receiver;
                        if let (false, [only]) = (involved, branches.as_slice()) {
                            // A message between others: the role's type is
                            // that of the continuation, nothing to combine.
                            tasks.push(Task::Visit(&only.continuation));
                            continue;
                        }
                        tasks.push(Task::Finish(node));
                        tasks.extend(branches.iter().rev().map(|b| Task::Visit(&b.continuation)));
                    }
                    GlobalType::Rec { body, .. } => {
                        tasks.push(Task::Finish(node));
                        tasks.push(Task::Visit(body));
                    }
                    GlobalType::Var(name) => results.push(LocalType::Var(name.clone())),
                    GlobalType::End => results.push(LocalType::End),
                },
                Task::Finish(node) => {
                    let local = self
                        .finish(node, &mut results)
                        .map_err(|error| Failure { error, at: node })?;
                    results.push(local);
                }
            }
        }
        Ok(results.pop().unwrap_or(LocalType::End))
    }

    fn check_comm(
        &self,
        sender: &Role,
        receiver: &Role,
        branches: &[GlobalBranch],
    ) -> Result<(), ProjectionError> {
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
        Ok(())
    }

    /// Combines the projections of the children of `node`, taken from the
    /// top of `results`.
    fn finish(
        &self,
        node: &GlobalType,
        results: &mut Vec<LocalType>,
    ) -> Result<LocalType, ProjectionError> {
        match node {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => {
                let first = results.len().saturating_sub(branches.len());
                let projected = results.drain(first..);
                if self.role == sender || self.role == receiver {
                    let local_branches = branches
                        .iter()
                        .zip(projected)
                        .map(|(b, local)| LocalBranch::new(b.label.clone(), local))
                        .collect();
                    return Ok(if self.role == sender {
                        LocalType::Send {
                            partner: receiver.clone(),
                            branches: local_branches,
                        }
                    } else {
                        LocalType::Recv {
                            partner: sender.clone(),
                            branches: local_branches,
                        }
                    });
                }
                let mut merged: Option<LocalType> = None;
                for (i, local) in projected.enumerate() {
                    merged = Some(match merged {
                        None => local,
                        Some(so_far) => merge_owned(so_far, local, self.mode)
                            .map_err(|cause| self.conflict(sender, receiver, branches, i, cause))?,
                    });
                }
                Ok(merged.unwrap_or(LocalType::End))
            }
            GlobalType::Rec { var, .. } => {
                let body = results.pop().unwrap_or(LocalType::End);
                Ok(close_recursion(var, body))
            }
            GlobalType::Var(_) | GlobalType::End => Ok(LocalType::End),
        }
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
        ProjectionError::MergeConflict(Box::new(BranchConflict {
            role: self.role.clone(),
            sender: sender.clone(),
            receiver: receiver.clone(),
            left_label,
            left,
            right_label,
            right: right.unwrap_or(LocalType::End),
            cause,
            path: TypePath::root(),
        }))
    }
}

/// Every role of `global`, sorted; iterative, so cheap at any depth.
fn roles_of(global: &GlobalType) -> BTreeSet<Role> {
    let mut roles = BTreeSet::new();
    let mut pending = vec![global];
    while let Some(node) = pending.pop() {
        match node {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => {
                if !roles.contains(sender) {
                    roles.insert(sender.clone());
                }
                if !roles.contains(receiver) {
                    roles.insert(receiver.clone());
                }
                pending.extend(branches.iter().map(|b| &b.continuation));
            }
            GlobalType::Rec { body, .. } => pending.push(body),
            GlobalType::Var(_) | GlobalType::End => {}
        }
    }
    roles
}

/// The steps from `root` to the node `target` (found by identity).
fn path_to(root: &GlobalType, target: &GlobalType) -> TypePath {
    let mut pending: Vec<(&GlobalType, usize, Option<PathStep>)> = vec![(root, 0, None)];
    let mut path: Vec<PathStep> = Vec::new();
    while let Some((node, depth, step)) = pending.pop() {
        path.truncate(depth.saturating_sub(1));
        path.extend(step);
        if std::ptr::eq(node, target) {
            return TypePath::from_steps(path);
        }
        match node {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => {
                for b in branches.iter().rev() {
                    let step = branch_step(sender, receiver, &b.label);
                    pending.push((&b.continuation, depth + 1, Some(step)));
                }
            }
            GlobalType::Rec { var, body } => {
                pending.push((body, depth + 1, Some(PathStep::Rec { var: var.clone() })));
            }
            GlobalType::Var(_) | GlobalType::End => {}
        }
    }
    TypePath::root()
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
#[allow(clippy::unwrap_used)]
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
        assert!(matches!(plain, Err(ProjectionError::MergeConflict(_))));
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
        let ProjectionError::MergeConflict(conflict) = &err else {
            panic!("expected a merge conflict, got {err}");
        };
        assert_eq!((&*conflict.left_label, &*conflict.right_label), ("x", "y"));
        assert_eq!(
            conflict.left,
            LocalType::send("A", Label::unit("hi"), LocalType::End)
        );
        assert_eq!(conflict.right, LocalType::End);
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
            ProjectionError::MergeConflict(conflict)
                if matches!(conflict.cause, MergeError::SortMismatch { .. })
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
}
