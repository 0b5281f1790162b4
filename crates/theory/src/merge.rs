//! Merging the local types of the branches a role does not choose.
//!
//! When a role takes no part in a choice, its projection must be the same
//! whatever branch is taken, up to messages that later tell it which branch
//! it is in. [`merge`] combines the projections of all branches:
//!
//! - identical types merge to themselves;
//! - two receives from the same partner merge by the union of their labels,
//!   shared labels needing the same sort and mergeable continuations
//!   ([`MergeMode::Full`], the default);
//! - two sends to the same partner merge only with identical label sets and
//!   pairwise mergeable continuations;
//! - `rec` with `rec` merges the bodies (renaming the right binder to the
//!   left one when they differ).
//!
//! [`MergeMode::Plain`] is the classic conservative rule: only types that are
//! identical up to renaming of recursion variables and branch order merge.
//!
//! Merging walks only the parts the two types share, once, reusing the
//! left type's nodes, so merging `n` identical branches costs `n` walks of
//! one continuation and never re-compares subtrees level after level.

use crate::equivalence::alpha_equivalent;
use crate::error::{abbreviate, PathStep, TypePath};
use crate::subst::{free_vars, substitute};
use std::collections::BTreeMap;
use std::sync::Arc;
use telltale_types::stack::with_headroom;
use telltale_types::{Direction, Label, LocalBranch, LocalType, PayloadSort, Role};
use thiserror::Error;

/// Which merge rule projection applies to roles outside a choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MergeMode {
    /// Receives from one partner merge by union of labels (the default).
    #[default]
    Full,
    /// Only identical types merge (up to alpha-renaming and branch order).
    Plain,
}

/// Why two local types do not merge. `path` locates the conflict inside the
/// two types being merged.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MergeError {
    /// The two types do different things (send vs receive, different
    /// partners, a communication vs `end`, different variables).
    #[error("`{}` and `{}` do not merge {path}: they differ in kind, partner or variable", abbreviate(.left), abbreviate(.right))]
    ShapeMismatch {
        /// The left type at the conflict.
        left: Box<LocalType>,
        /// The right type at the conflict.
        right: Box<LocalType>,
        /// Where the conflict is, inside the merged types.
        path: TypePath,
    },
    /// Two sends to the same partner offer different label sets.
    #[error("two sends to {partner} do not merge {path}: one offers {{{}}}, the other {{{}}}", label_list(.left_labels), label_list(.right_labels))]
    SendLabelsDiffer {
        /// The receiver of both sends.
        partner: Role,
        /// The labels of the left send.
        left_labels: Vec<Label>,
        /// The labels of the right send.
        right_labels: Vec<Label>,
        /// Where the conflict is, inside the merged types.
        path: TypePath,
    },
    /// A label received from the same partner carries different sorts.
    #[error("label \"{label}\" received from {partner} carries {left_sort} on one side and {right_sort} on the other {path}")]
    SortMismatch {
        /// The sender of the label.
        partner: Role,
        /// The label's name.
        label: Arc<str>,
        /// Its sort in the left type.
        left_sort: PayloadSort,
        /// Its sort in the right type.
        right_sort: PayloadSort,
        /// Where the conflict is, inside the merged types.
        path: TypePath,
    },
    /// Plain merge met two types that are not identical.
    #[error("plain merge needs identical types, but `{}` and `{}` differ {path}", abbreviate(.left), abbreviate(.right))]
    NotIdentical {
        /// The left type.
        left: Box<LocalType>,
        /// The right type.
        right: Box<LocalType>,
        /// Where the conflict is, inside the merged types.
        path: TypePath,
    },
}

fn label_list(labels: &[Label]) -> String {
    labels
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl MergeError {
    /// Where the conflict is, inside the two merged types.
    pub fn path(&self) -> &TypePath {
        match self {
            MergeError::ShapeMismatch { path, .. }
            | MergeError::SendLabelsDiffer { path, .. }
            | MergeError::SortMismatch { path, .. }
            | MergeError::NotIdentical { path, .. } => path,
        }
    }

    fn path_mut(&mut self) -> &mut TypePath {
        match self {
            MergeError::ShapeMismatch { path, .. }
            | MergeError::SendLabelsDiffer { path, .. }
            | MergeError::SortMismatch { path, .. }
            | MergeError::NotIdentical { path, .. } => path,
        }
    }

    fn within(mut self, step: PathStep) -> Self {
        self.path_mut().push_while_unwinding(step);
        self
    }
}

/// Merges two local types under the given rule.
pub fn merge(a: &LocalType, b: &LocalType, mode: MergeMode) -> Result<LocalType, MergeError> {
    merge_owned(a.clone(), b.clone(), mode)
}

/// Merges two owned local types, reusing their nodes (used by projection).
pub(crate) fn merge_owned(
    a: LocalType,
    b: LocalType,
    mode: MergeMode,
) -> Result<LocalType, MergeError> {
    let result = match mode {
        MergeMode::Plain => {
            if alpha_equivalent(&a, &b) {
                Ok(a)
            } else {
                Err(MergeError::NotIdentical {
                    left: Box::new(a),
                    right: Box::new(b),
                    path: TypePath::root(),
                })
            }
        }
        MergeMode::Full => merge_full(a, b),
    };
    result.map_err(|mut e| {
        e.path_mut().finish_unwinding();
        e
    })
}

/// Whether the heads of `a` and `b` allow a full merge at all.
fn heads_compatible(a: &LocalType, b: &LocalType) -> bool {
    match (a, b) {
        (LocalType::Send { partner: p, .. }, LocalType::Send { partner: q, .. })
        | (LocalType::Recv { partner: p, .. }, LocalType::Recv { partner: q, .. }) => p == q,
        (LocalType::Rec { var: v, .. }, LocalType::Rec { var: w, body }) => {
            v == w || !free_vars(&**body).contains(v)
        }
        (LocalType::Var(x), LocalType::Var(y)) => x == y,
        (LocalType::End, LocalType::End) => true,
        _ => false,
    }
}

fn merge_full(mut a: LocalType, mut b: LocalType) -> Result<LocalType, MergeError> {
    with_headroom(|| {
        if !heads_compatible(&a, &b) {
            return Err(MergeError::ShapeMismatch {
                left: Box::new(a),
                right: Box::new(b),
                path: TypePath::root(),
            });
        }
        match (&mut a, &mut b) {
            (
                LocalType::Recv {
                    partner,
                    branches: left,
                },
                LocalType::Recv {
                    branches: right, ..
                },
            ) => merge_receives(partner, left, std::mem::take(right))?,
            (
                LocalType::Send {
                    partner,
                    branches: left,
                },
                LocalType::Send {
                    branches: right, ..
                },
            ) => merge_sends(partner, left, std::mem::take(right))?,
            (
                LocalType::Rec { var, body: left },
                LocalType::Rec {
                    var: w,
                    body: right,
                },
            ) => {
                let right_body = if var == w {
                    std::mem::replace(&mut **right, LocalType::End)
                } else {
                    substitute(&**right, w, &LocalType::Var(var.clone()))
                };
                let left_body = std::mem::replace(&mut **left, LocalType::End);
                **left = merge_full(left_body, right_body)
                    .map_err(|e| e.within(PathStep::Rec { var: var.clone() }))?;
            }
            // Equal variables and `end` merge to themselves.
            _ => {}
        }
        Ok(a)
    })
}

/// Finds branches by label name: a linear scan for the usual few
/// branches, an index once there are many.
struct LabelIndex {
    by_name: Option<BTreeMap<Arc<str>, usize>>,
}

impl LabelIndex {
    /// Branch counts up to this are scanned rather than indexed.
    const SCAN_LIMIT: usize = 8;

    fn of(branches: &[LocalBranch]) -> Self {
        if branches.len() <= Self::SCAN_LIMIT {
            return LabelIndex { by_name: None };
        }
        let mut by_name = BTreeMap::new();
        for (i, b) in branches.iter().enumerate() {
            by_name.entry(b.label.name.clone()).or_insert(i);
        }
        LabelIndex {
            by_name: Some(by_name),
        }
    }

    fn find(&self, branches: &[LocalBranch], name: &str) -> Option<usize> {
        match &self.by_name {
            Some(by_name) => by_name.get(name).copied(),
            None => branches.iter().position(|b| &*b.label.name == name),
        }
    }

    fn added(&mut self, name: &Arc<str>, index: usize) {
        if let Some(by_name) = &mut self.by_name {
            by_name.insert(name.clone(), index);
        }
    }
}

fn merge_receives(
    partner: &Role,
    left: &mut Vec<LocalBranch>,
    right: Vec<LocalBranch>,
) -> Result<(), MergeError> {
    let mut index = LabelIndex::of(left);
    for branch in right {
        let LocalBranch {
            label,
            continuation,
        } = branch;
        match index.find(left, &label.name) {
            Some(i) => {
                let shared = &mut left[i];
                if shared.label.sort != label.sort {
                    return Err(MergeError::SortMismatch {
                        partner: partner.clone(),
                        label: label.name.clone(),
                        left_sort: shared.label.sort.clone(),
                        right_sort: label.sort,
                        path: TypePath::root(),
                    });
                }
                let mine = std::mem::replace(&mut shared.continuation, LocalType::End);
                shared.continuation = merge_full(mine, continuation)
                    .map_err(|e| e.within(step(Direction::Recv, partner, &label)))?;
            }
            None => {
                index.added(&label.name, left.len());
                left.push(LocalBranch::new(label, continuation));
            }
        }
    }
    Ok(())
}

fn merge_sends(
    partner: &Role,
    left: &mut [LocalBranch],
    right: Vec<LocalBranch>,
) -> Result<(), MergeError> {
    if let ([mine], [theirs]) = (&mut *left, right.as_slice()) {
        if mine.label == theirs.label {
            // A plain send on both sides: merge the continuations directly.
            let theirs = right.into_iter().next().map(|b| b.continuation);
            let ours = std::mem::replace(&mut mine.continuation, LocalType::End);
            mine.continuation = merge_full(ours, theirs.unwrap_or(LocalType::End))
                .map_err(|e| e.within(step(Direction::Send, partner, &mine.label)))?;
            return Ok(());
        }
    }
    let sorted = |branches: &[LocalBranch]| {
        let mut labels: Vec<Label> = branches.iter().map(|b| b.label.clone()).collect();
        labels.sort();
        labels
    };
    if sorted(left) != sorted(&right) {
        return Err(MergeError::SendLabelsDiffer {
            partner: partner.clone(),
            left_labels: left.iter().map(|b| b.label.clone()).collect(),
            right_labels: right.iter().map(|b| b.label.clone()).collect(),
            path: TypePath::root(),
        });
    }
    let mut by_label: BTreeMap<Label, LocalType> = right
        .into_iter()
        .map(|b| (b.label, b.continuation))
        .collect();
    for shared in left.iter_mut() {
        if let Some(theirs) = by_label.remove(&shared.label) {
            let mine = std::mem::replace(&mut shared.continuation, LocalType::End);
            shared.continuation = merge_full(mine, theirs)
                .map_err(|e| e.within(step(Direction::Send, partner, &shared.label)))?;
        }
    }
    Ok(())
}

fn step(direction: Direction, partner: &Role, label: &Label) -> PathStep {
    PathStep::LocalBranch {
        direction,
        partner: partner.clone(),
        label: label.name.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn recv(label: &str, then: LocalType) -> LocalType {
        LocalType::recv("A", Label::unit(label), then)
    }

    fn check(a: &LocalType, b: &LocalType, expected: &LocalType) {
        assert_eq!(&merge(a, b, MergeMode::Full).unwrap(), expected);
    }

    fn fails(a: &LocalType, b: &LocalType, mode: MergeMode, message: &str) -> MergeError {
        let err = merge(a, b, mode).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        err
    }

    #[test]
    fn identical_types_merge_to_themselves() {
        let t = LocalType::rec(
            "t",
            LocalType::send("B", Label::unit("m"), LocalType::var("t")),
        );
        check(&t, &t, &t);
        check(&LocalType::End, &LocalType::End, &LocalType::End);
        assert_eq!(merge(&t, &t, MergeMode::Plain).unwrap(), t);
    }

    #[test]
    fn receives_merge_by_union_of_labels() {
        let a = recv("x", recv("k", LocalType::End));
        let b = LocalType::branch(
            "A",
            [
                (Label::unit("y"), LocalType::End),
                (Label::unit("x"), recv("j", LocalType::End)),
            ],
        );
        let expected = LocalType::branch(
            "A",
            [
                (
                    Label::unit("x"),
                    LocalType::branch(
                        "A",
                        [
                            (Label::unit("k"), LocalType::End),
                            (Label::unit("j"), LocalType::End),
                        ],
                    ),
                ),
                (Label::unit("y"), LocalType::End),
            ],
        );
        check(&a, &b, &expected);
    }

    #[test]
    fn wide_receives_merge_through_the_index() {
        let wide = |range: std::ops::Range<usize>| {
            LocalType::branch(
                "A",
                range.map(|i| (Label::unit(format!("l{i}")), recv("k", LocalType::End))),
            )
        };
        let merged = merge(&wide(0..12), &wide(6..20), MergeMode::Full).unwrap();
        assert!(crate::equivalence::alpha_equivalent(&merged, &wide(0..20)));
    }

    #[test]
    fn sends_merge_only_with_the_same_labels() {
        let a = LocalType::select(
            "B",
            [
                (Label::unit("p"), LocalType::End),
                (Label::unit("q"), LocalType::End),
            ],
        );
        let b = LocalType::select(
            "B",
            [
                (Label::unit("q"), LocalType::End),
                (Label::unit("p"), LocalType::End),
            ],
        );
        check(&a, &b, &a);
        let c = LocalType::send("B", Label::unit("p"), LocalType::End);
        let err = fails(&a, &c, MergeMode::Full, "one offers {p(unit), q(unit)}");
        assert!(matches!(err, MergeError::SendLabelsDiffer { .. }));
    }

    #[test]
    fn recursions_merge_their_bodies_up_to_renaming() {
        let a = LocalType::rec("s", recv("x", LocalType::var("s")));
        let b = LocalType::rec("t", recv("y", LocalType::var("t")));
        let expected = LocalType::rec(
            "s",
            LocalType::branch(
                "A",
                [
                    (Label::unit("x"), LocalType::var("s")),
                    (Label::unit("y"), LocalType::var("s")),
                ],
            ),
        );
        check(&a, &b, &expected);
    }

    #[test]
    fn conflicts_are_located() {
        let a = recv("x", LocalType::send("B", Label::unit("m"), LocalType::End));
        let b = recv("x", LocalType::End);
        let err = fails(
            &a,
            &b,
            MergeMode::Full,
            "do not merge at branch \"x\" of A?",
        );
        assert!(matches!(err, MergeError::ShapeMismatch { .. }));
        assert_eq!(err.path().steps().len(), 1);
        let err = fails(
            &LocalType::rec("t", a.clone()),
            &LocalType::rec("t", b),
            MergeMode::Full,
            "at rec t, then branch \"x\" of A?",
        );
        assert_eq!(err.path().steps().len(), 2);
        fails(
            &LocalType::var("s"),
            &LocalType::var("t"),
            MergeMode::Full,
            "differ in kind",
        );
    }

    #[test]
    fn shared_labels_need_the_same_sort() {
        let a = recv("x", LocalType::End);
        let b = LocalType::recv("A", Label::new("x", PayloadSort::Int), LocalType::End);
        let err = fails(&a, &b, MergeMode::Full, "carries unit on one side and int");
        assert!(matches!(err, MergeError::SortMismatch { .. }));
    }

    #[test]
    fn plain_merge_needs_identical_types() {
        let a = recv("x", LocalType::End);
        let b = recv("y", LocalType::End);
        let err = fails(
            &a,
            &b,
            MergeMode::Plain,
            "plain merge needs identical types",
        );
        assert!(matches!(err, MergeError::NotIdentical { .. }));
        let renamed_a = LocalType::rec("s", recv("x", LocalType::var("s")));
        let renamed_b = LocalType::rec("t", recv("x", LocalType::var("t")));
        assert_eq!(
            merge(&renamed_a, &renamed_b, MergeMode::Plain).unwrap(),
            renamed_a
        );
    }
}
