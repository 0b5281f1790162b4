//! Projection of a global type onto one role.
//!
//! `project(G, r)` follows the rules of the theory notes:
//!
//! - `p -> q : { l_i . G_i }` gives `q!{ l_i . G_i↾r }` when `r = p`,
//!   `p?{ l_i . G_i↾r }` when `r = q`, and otherwise the merge (see
//!   [`crate::merge`](mod@crate::merge)) of all the `G_i↾r`;
//! - `rec X . G` gives `rec X . G↾r` when `r` takes part in `G`, and
//!   otherwise `end`, so no role is left with an unguarded `rec X . X`.
//!   When `r` does not occur anywhere in `G`, `X` is *silent* for `r` (see
//!   `projection/silence.rs`): inside `G`, `X` projects to `end`, so the
//!   branches that loop and those that leave merge as usual and `r`'s
//!   projection stops before the loop (the standard rule, and nuscr's).
//!   "Takes part" is then read off the projected body: it contains a
//!   communication exactly when `r` occurs in `G`. When `r` does not occur
//!   in `G` but `G↾r` is a jump `Y` to an *enclosing* recursion, the result
//!   is that jump (the loop on `X` is invisible to `r`, the jump back to `Y`
//!   is not); a body that mixes `X` and such a `Y` still fails to merge;
//! - `X` gives `end` when `X` is silent for `r`, and `X` otherwise; `end`
//!   gives `end`.
//!
//! Projection is one iterative walk over the global type (for all roles
//! at once in [`project_all`]), building the local types bottom-up: linear
//! in the size of the type, with no subtree cloned, no rescan of recursion
//! bodies and no deep call stack, so it is fast and safe at any depth.

mod silence;
mod walk;

use crate::error::{abbreviate, TypePath};
use crate::merge::{MergeError, MergeMode};
use std::collections::BTreeMap;
use std::sync::Arc;
use telltale_types::{GlobalType, LocalType, Role};
use thiserror::Error;
use walk::{roles_of, Projector};

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
    let roles = std::slice::from_ref(role);
    let projector = Projector {
        roles,
        mode: config.merge,
    };
    match projector.project(global).pop() {
        Some(Ok(local)) => Ok(local),
        Some(Err(failure)) => Err(failure.located_in(global)),
        None => Ok(LocalType::End),
    }
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
    let roles: Vec<Role> = roles_of(global).into_iter().collect();
    let projector = Projector {
        roles: &roles,
        mode: config.merge,
    };
    let outcomes = projector.project(global);
    let mut all = BTreeMap::new();
    for (role, outcome) in roles.into_iter().zip(outcomes) {
        match outcome {
            Ok(local) => {
                all.insert(role, local);
            }
            Err(failure) => return Err(failure.located_in(global)),
        }
    }
    Ok(all)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use telltale_types::{Label, PayloadSort};

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
