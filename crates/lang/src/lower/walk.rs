//! Walks over statement trees: the roles and the recursion labels they mention.

use super::env::RoleEnv;
use crate::ast::{LoopKind, RoleRef, Stmt, StmtKind};
use std::collections::{BTreeMap, BTreeSet};
use telltale_types::stack::with_headroom;
use telltale_types::Role;

/// Every role a block names (without reporting), for the `par` disjointness check.
pub(crate) fn roles_mentioned(
    env: &RoleEnv,
    stmts: &[Stmt],
    params: &BTreeMap<String, u64>,
) -> BTreeSet<Role> {
    let mut env = env.clone();
    let mut refs = Vec::new();
    collect_role_refs(stmts, &mut refs);
    let mut out = BTreeSet::new();
    for r in refs {
        if let Ok(roles) = env.resolve(r, params) {
            out.extend(roles);
        }
    }
    out
}

/// Every role reference in a block, nested blocks included.
fn collect_role_refs<'a>(stmts: &'a [Stmt], out: &mut Vec<&'a RoleRef>) {
    with_headroom(|| {
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Send { from, to, .. } => {
                    out.push(from);
                    out.extend(to.iter());
                }
                StmtKind::Choice { decider, branches } => {
                    out.push(decider);
                    for b in branches {
                        collect_role_refs(&b.body, out);
                    }
                }
                StmtKind::Rec { body, .. } | StmtKind::Loop { body, .. } => {
                    if let StmtKind::Loop {
                        kind: LoopKind::DecideBy(r),
                        ..
                    } = &stmt.kind
                    {
                        out.push(r);
                    }
                    collect_role_refs(body, out);
                }
                StmtKind::Par(branches) => {
                    for (b, _) in branches {
                        collect_role_refs(b, out);
                    }
                }
                StmtKind::Call { args, .. } => out.extend(args.iter()),
                StmtKind::Timeout {
                    role,
                    body,
                    on_timeout,
                    ..
                } => {
                    out.push(role);
                    collect_role_refs(body, out);
                    collect_role_refs(on_timeout, out);
                }
                StmtKind::Heartbeat {
                    from,
                    to,
                    on_missing,
                    body,
                    ..
                } => {
                    out.push(from);
                    out.push(to);
                    collect_role_refs(on_missing, out);
                    collect_role_refs(body, out);
                }
                StmtKind::Let { at, .. } => out.extend(at.iter()),
                StmtKind::Case { branches, .. } => {
                    for b in branches {
                        collect_role_refs(&b.body, out);
                    }
                }
                StmtKind::Roles(_) | StmtKind::Continue(_) => {}
            }
        }
    })
}

/// Every `rec` label of a block, so generated names avoid them.
pub(crate) fn collect_labels(stmts: &[Stmt], out: &mut BTreeSet<String>) {
    with_headroom(|| {
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Rec { label, body } => {
                    out.insert(label.text.clone());
                    collect_labels(body, out);
                }
                StmtKind::Loop { body, .. } => collect_labels(body, out),
                StmtKind::Choice { branches, .. } => {
                    for b in branches {
                        collect_labels(&b.body, out);
                    }
                }
                StmtKind::Par(branches) => {
                    for (b, _) in branches {
                        collect_labels(b, out);
                    }
                }
                StmtKind::Timeout {
                    body, on_timeout, ..
                } => {
                    collect_labels(body, out);
                    collect_labels(on_timeout, out);
                }
                StmtKind::Heartbeat {
                    on_missing, body, ..
                } => {
                    collect_labels(on_missing, out);
                    collect_labels(body, out);
                }
                StmtKind::Case { branches, .. } => {
                    for b in branches {
                        collect_labels(&b.body, out);
                    }
                }
                _ => {}
            }
        }
    })
}
