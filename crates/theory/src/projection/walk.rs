//! The projection walk: one iterative pass over a global type that builds
//! the local types of any number of roles at once.
//!
//! An explicit stack of tasks and a stack of finished local types replace
//! recursion, so deep protocols cost neither call-stack growth nor
//! recursion overhead, and projecting every role visits each node of the
//! global type once (which keeps long protocols cache-friendly). A failure
//! remembers the node where it happened; its path is found afterwards,
//! only on that error path.

use super::silence::{LoopParticipation, SilentScope};
use super::{BranchConflict, ProjectionError};
use crate::error::{PathStep, TypePath};
use crate::merge::{merge_owned, MergeError, MergeMode};
use std::collections::BTreeSet;
use telltale_types::{GlobalBranch, GlobalType, Label, LocalBranch, LocalType, Role};

/// Projects one global type onto several roles in a single pass.
pub(super) struct Projector<'r> {
    /// The roles to project onto.
    pub(super) roles: &'r [Role],
    /// The merge rule for roles outside a choice.
    pub(super) mode: MergeMode,
}

/// A step of the iterative walk.
enum Task<'g> {
    /// Project this node (push its children's tasks, or its results).
    Visit(&'g GlobalType),
    /// The children of this communication or recursion are projected (in
    /// order, on top of the result stack): combine them.
    Finish(&'g GlobalType),
}

/// A projection error and the node of the global type where it arose.
pub(super) struct Failure<'g> {
    pub(super) error: ProjectionError,
    pub(super) at: &'g GlobalType,
}

impl Failure<'_> {
    /// The error, with its path in `root` filled in.
    pub(super) fn located_in(self, root: &GlobalType) -> ProjectionError {
        let mut error = self.error;
        *error.path_mut() = path_to(root, self.at);
        error
    }
}

impl Projector<'_> {
    /// The projection onto each role, in the order of `roles`.
    ///
    /// The result stack holds one local type per role for every finished
    /// node (role-major within a node). A role that failed keeps `end`
    /// placeholders and is no longer combined, so its first error stands.
    pub(super) fn project<'g>(&self, root: &'g GlobalType) -> Vec<Result<LocalType, Failure<'g>>> {
        self.project_in(root, SilentScope::new(BTreeSet::new()))
    }

    /// [`Self::project`], with the jumps to the (free) variables `scope`
    /// holds silent projected as `end`.
    fn project_in<'g>(
        &self,
        root: &'g GlobalType,
        mut scope: SilentScope<'g>,
    ) -> Vec<Result<LocalType, Failure<'g>>> {
        let width = self.roles.len();
        // Found on the first recursion, so types without loops never pay.
        let mut loops: Option<LoopParticipation> = None;
        let mut failures: Vec<Option<Failure<'g>>> = (0..width).map(|_| None).collect();
        let mut tasks = vec![Task::Visit(root)];
        let mut results: Vec<LocalType> = Vec::new();
        let mut scratch: Vec<LocalType> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(node) => match node {
                    GlobalType::Comm {
                        sender,
                        receiver,
                        branches,
                    } => {
                        if let Some(fault) = comm_fault(sender, receiver, branches) {
                            for (j, role) in self.roles.iter().enumerate() {
                                if failures[j].is_none() {
                                    let error = fault(role.clone());
                                    failures[j] = Some(Failure { error, at: node });
                                }
                            }
                            results.extend((0..width).map(|_| LocalType::End));
                            continue;
                        }
                        if let ([role], [only]) = (self.roles, branches.as_slice()) {
                            if role != sender && role != receiver {
                                // A message between others: the role's type
                                // is that of the continuation.
                                tasks.push(Task::Visit(&only.continuation));
                                continue;
                            }
                        }
                        tasks.push(Task::Finish(node));
                        tasks.extend(branches.iter().rev().map(|b| Task::Visit(&b.continuation)));
                    }
                    GlobalType::Rec { var, body } => {
                        loops.get_or_insert_with(|| LoopParticipation::of(root, self.roles));
                        scope.bind(var, node);
                        tasks.push(Task::Finish(node));
                        tasks.push(Task::Visit(body));
                    }
                    GlobalType::Var(name) => {
                        results.extend((0..width).map(|j| {
                            if scope.is_silent(name, j, loops.as_ref()) {
                                LocalType::End
                            } else {
                                LocalType::Var(name.clone())
                            }
                        }));
                    }
                    GlobalType::End => results.extend((0..width).map(|_| LocalType::End)),
                },
                Task::Finish(node) => match node {
                    GlobalType::Comm {
                        sender,
                        receiver,
                        branches,
                    } => {
                        let first = results.len().saturating_sub(branches.len() * width);
                        scratch.clear();
                        scratch.extend(results.drain(first..));
                        for (j, role) in self.roles.iter().enumerate() {
                            if failures[j].is_some() {
                                results.push(LocalType::End);
                                continue;
                            }
                            if let [only] = branches.as_slice() {
                                // One branch: no merge, at most a message.
                                let next = std::mem::replace(&mut scratch[j], LocalType::End);
                                results.push(single_branch(role, sender, receiver, only, next));
                                continue;
                            }
                            let projected = (0..branches.len()).map(|i| {
                                std::mem::replace(&mut scratch[i * width + j], LocalType::End)
                            });
                            let silent = || scope.silent_vars(j, loops.as_ref());
                            match self.combine(role, sender, receiver, branches, projected, silent)
                            {
                                Ok(local) => results.push(local),
                                Err(error) => {
                                    failures[j] = Some(Failure { error, at: node });
                                    results.push(LocalType::End);
                                }
                            }
                        }
                    }
                    GlobalType::Rec { var, .. } => {
                        scope.unbind(var);
                        let first = results.len().saturating_sub(width);
                        for slot in &mut results[first..] {
                            let body = std::mem::replace(slot, LocalType::End);
                            *slot = close_recursion(var, body);
                        }
                    }
                    GlobalType::Var(_) | GlobalType::End => {}
                },
            }
        }
        let first = results.len().saturating_sub(width);
        let mut locals = results.drain(first..);
        failures
            .into_iter()
            .map(|failure| match failure {
                Some(failure) => Err(failure),
                None => Ok(locals.next().unwrap_or(LocalType::End)),
            })
            .collect()
    }

    /// The projection onto `role` alone of a subtree, in which jumps to
    /// the variables `silent` (bound around it) are `end`.
    fn project_one(
        &self,
        role: &Role,
        root: &GlobalType,
        silent: &BTreeSet<String>,
    ) -> Option<LocalType> {
        let single = Projector {
            roles: std::slice::from_ref(role),
            mode: self.mode,
        };
        let scope = SilentScope::new(silent.clone());
        single.project_in(root, scope).pop().and_then(Result::ok)
    }

    /// `role`'s type at a communication, from its types in each branch;
    /// `silent` gives the variables silent for `role` here (only needed to
    /// explain a conflict).
    fn combine(
        &self,
        role: &Role,
        sender: &Role,
        receiver: &Role,
        branches: &[GlobalBranch],
        projected: impl Iterator<Item = LocalType>,
        silent: impl FnOnce() -> BTreeSet<String>,
    ) -> Result<LocalType, ProjectionError> {
        let local_branches = |projected: Box<dyn Iterator<Item = LocalType> + '_>| {
            branches
                .iter()
                .zip(projected)
                .map(|(b, local)| LocalBranch::new(b.label.clone(), local))
                .collect()
        };
        if role == sender {
            return Ok(LocalType::Send {
                partner: receiver.clone(),
                branches: local_branches(Box::new(projected)),
            });
        }
        if role == receiver {
            return Ok(LocalType::Recv {
                partner: sender.clone(),
                branches: local_branches(Box::new(projected)),
            });
        }
        let mut merged: Option<LocalType> = None;
        for (i, local) in projected.enumerate() {
            merged = Some(match merged {
                None => local,
                Some(so_far) => match merge_owned(so_far, local, self.mode) {
                    Ok(merged) => merged,
                    Err(cause) => {
                        let silent = silent();
                        let at = (sender, receiver, branches, i);
                        return Err(self.conflict(role, at, &silent, cause));
                    }
                },
            });
        }
        Ok(merged.unwrap_or(LocalType::End))
    }

    /// The error for a merge that failed when adding branch `failed`: finds
    /// the earlier branch it conflicts with (slow, but only on failure).
    fn conflict(
        &self,
        role: &Role,
        (sender, receiver, branches, failed): (&Role, &Role, &[GlobalBranch], usize),
        silent: &BTreeSet<String>,
        cause: MergeError,
    ) -> ProjectionError {
        let right_label = branches[failed].label.name.clone();
        let right = self.project_one(role, &branches[failed].continuation, silent);
        let mut culprit = None;
        if let Some(right) = &right {
            for earlier in &branches[..failed] {
                if let Some(left) = self.project_one(role, &earlier.continuation, silent) {
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
                .filter_map(|b| self.project_one(role, &b.continuation, silent))
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
            role: role.clone(),
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

/// `role`'s type at a single message `sender -> receiver : label`.
fn single_branch(
    role: &Role,
    sender: &Role,
    receiver: &Role,
    branch: &GlobalBranch,
    next: LocalType,
) -> LocalType {
    let branches = |next| vec![LocalBranch::new(branch.label.clone(), next)];
    if role == sender {
        LocalType::Send {
            partner: receiver.clone(),
            branches: branches(next),
        }
    } else if role == receiver {
        LocalType::Recv {
            partner: sender.clone(),
            branches: branches(next),
        }
    } else {
        next
    }
}

/// The error (for a given role) of a communication no role can project.
fn comm_fault(
    sender: &Role,
    receiver: &Role,
    branches: &[GlobalBranch],
) -> Option<Box<dyn Fn(Role) -> ProjectionError>> {
    if sender == receiver {
        let sender = sender.clone();
        return Some(Box::new(move |role| ProjectionError::SelfCommunication {
            role,
            sender: sender.clone(),
            path: TypePath::root(),
        }));
    }
    if branches.is_empty() {
        let (sender, receiver) = (sender.clone(), receiver.clone());
        return Some(Box::new(move |role| ProjectionError::EmptyChoice {
            role,
            sender: sender.clone(),
            receiver: receiver.clone(),
            path: TypePath::root(),
        }));
    }
    None
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

/// Every role of `global`, sorted; iterative, so cheap at any depth.
pub(super) fn roles_of(global: &GlobalType) -> BTreeSet<Role> {
    let mut roles = BTreeSet::new();
    let mut pending = vec![global];
    while let Some(node) = pending.pop() {
        match node {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => {
                for role in [sender, receiver] {
                    if !roles.contains(role) {
                        roles.insert(role.clone());
                    }
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
