//! The roles visible while lowering one protocol instance.
//!
//! A family `W[N]` expands to the roles `W0`, `W1`, ... (no brackets, so the
//! names stay valid identifiers in every tool downstream).

use crate::ast::{
    FamilySize, IndexBase, IndexExpr, LoopKind, RoleDecl, RoleIndex, RoleRef, Stmt, StmtKind,
};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use std::collections::BTreeMap;
use telltale_types::stack::with_headroom;
use telltale_types::Role;

/// The largest family the lowering expands.
pub(crate) const MAX_FAMILY_SIZE: u64 = 4096;

/// The roles of a protocol instance, in declaration order.
#[derive(Clone, Debug, Default)]
pub(crate) struct RoleEnv {
    /// Plain roles by name (after any call renaming).
    singles: BTreeMap<String, Role>,
    /// Families by name, members in order.
    families: BTreeMap<String, Vec<Role>>,
    /// All roles in declaration order.
    pub(crate) order: Vec<Role>,
    /// Whether roles were declared; otherwise they are inferred on first use.
    pub(crate) declared: bool,
}

/// The name of member `i` of family `family`.
fn member_name(family: &str, i: u64) -> Role {
    Role::new(format!("{family}{i}"))
}

impl RoleEnv {
    /// Builds the environment from declarations, reporting duplicates and
    /// missing size parameters.
    pub(crate) fn from_decls(
        decls: &[&RoleDecl],
        params: &BTreeMap<String, u64>,
        diags: &mut Vec<Diagnostic>,
    ) -> RoleEnv {
        let mut env = RoleEnv {
            declared: !decls.is_empty(),
            ..RoleEnv::default()
        };
        let mut seen: BTreeMap<&str, &RoleDecl> = BTreeMap::new();
        for decl in decls {
            let name = decl.name.text.as_str();
            if let Some(first) = seen.get(name) {
                diags.push(
                    Diagnostic::new(
                        DiagnosticKind::DuplicateRole,
                        format!("role `{name}` is declared twice"),
                        decl.name.span,
                        "declared again here",
                    )
                    .with_secondary(first.name.span, "first declared here")
                    .with_help(format!("remove the second `{name}` or rename it")),
                );
                continue;
            }
            seen.insert(name, decl);
            match &decl.family {
                None => env.add_single(name, Role::new(name)),
                Some(size) => {
                    let n = family_size(decl, size, params, diags);
                    let members: Vec<Role> = (0..n).map(|i| member_name(name, i)).collect();
                    env.add_family(name, members);
                }
            }
        }
        env
    }

    /// For a protocol without a `roles` line: adds every plain role the body
    /// names, in order of first appearance in the source, so the roles keep
    /// that order and a broadcast reaches all of them.
    pub(crate) fn infer_from(&mut self, body: &[Stmt]) {
        with_headroom(|| {
            for stmt in body {
                self.infer_from_stmt(stmt);
            }
        })
    }

    fn infer_role(&mut self, r: &RoleRef) {
        let name = r.name.text.as_str();
        if r.index.is_none()
            && !self.singles.contains_key(name)
            && !self.families.contains_key(name)
        {
            self.add_single(name, Role::new(name));
        }
    }

    fn infer_from_stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Roles(_) | StmtKind::Continue(_) | StmtKind::Call { .. } => {}
            StmtKind::Send { from, to, .. } => {
                self.infer_role(from);
                to.iter().for_each(|r| self.infer_role(r));
            }
            StmtKind::Choice { decider, branches } => {
                self.infer_role(decider);
                branches.iter().for_each(|b| self.infer_from(&b.body));
            }
            StmtKind::Rec { body, .. } => self.infer_from(body),
            StmtKind::Loop { kind, body } => {
                if let LoopKind::DecideBy(role) = kind {
                    self.infer_role(role);
                }
                self.infer_from(body);
            }
            StmtKind::Par(branches) => branches.iter().for_each(|(b, _)| self.infer_from(b)),
            StmtKind::Timeout {
                role,
                body,
                on_timeout,
                ..
            } => {
                self.infer_role(role);
                self.infer_from(body);
                self.infer_from(on_timeout);
            }
            StmtKind::Heartbeat {
                from,
                to,
                on_missing,
                body,
                ..
            } => {
                self.infer_role(from);
                self.infer_role(to);
                self.infer_from(body);
                self.infer_from(on_missing);
            }
            StmtKind::Let { at, .. } => {
                if let Some(role) = at {
                    self.infer_role(role);
                }
            }
            StmtKind::Case { branches, .. } => {
                branches.iter().for_each(|b| self.infer_from(&b.body))
            }
        }
    }

    /// An environment with declared roles, to be filled by `add_*`.
    pub(crate) fn declared_empty() -> RoleEnv {
        RoleEnv {
            declared: true,
            ..RoleEnv::default()
        }
    }

    /// Adds a plain role visible as `name`.
    pub(crate) fn add_single(&mut self, name: &str, role: Role) {
        if !self.order.contains(&role) {
            self.order.push(role.clone());
        }
        self.singles.insert(name.to_string(), role);
    }

    /// Adds a family visible as `name`.
    pub(crate) fn add_family(&mut self, name: &str, members: Vec<Role>) {
        for m in &members {
            if !self.order.contains(m) {
                self.order.push(m.clone());
            }
        }
        self.families.insert(name.to_string(), members);
    }

    /// Whether `name` is a family here.
    pub(crate) fn is_family(&self, name: &str) -> bool {
        self.families.contains_key(name)
    }

    /// The family members visible as `name`.
    pub(crate) fn family(&self, name: &str) -> Option<&Vec<Role>> {
        self.families.get(name)
    }

    /// The plain role visible as `name`.
    pub(crate) fn single(&self, name: &str) -> Option<&Role> {
        self.singles.get(name)
    }

    /// The roles a reference denotes, or a diagnostic saying why there are none.
    pub(crate) fn resolve(
        &mut self,
        r: &RoleRef,
        params: &BTreeMap<String, u64>,
    ) -> Result<Vec<Role>, Box<Diagnostic>> {
        let name = r.name.text.as_str();
        match &r.index {
            None => {
                if let Some(role) = self.singles.get(name) {
                    return Ok(vec![role.clone()]);
                }
                if let Some(members) = self.families.get(name) {
                    return Ok(members.clone());
                }
                if !self.declared {
                    let role = Role::new(name);
                    self.add_single(name, role.clone());
                    return Ok(vec![role]);
                }
                Err(Box::new(self.undeclared(r)))
            }
            Some(index) => {
                let Some(members) = self.families.get(name) else {
                    if self.singles.contains_key(name) {
                        return Err(Box::new(
                            Diagnostic::new(
                                DiagnosticKind::UndeclaredRole,
                                format!("`{name}` is a single role, not a family"),
                                r.span,
                                "indexed here",
                            )
                            .with_help(format!("declare it as a family, e.g. `{name}[N]`")),
                        ));
                    }
                    return Err(Box::new(self.undeclared(r)));
                };
                let size = members.len() as i128;
                let check = |i: i128, e: &IndexExpr| -> Result<usize, Box<Diagnostic>> {
                    if i < 0 || i >= size {
                        Err(Box::new(Diagnostic::new(
                            DiagnosticKind::IndexOutOfRange,
                            format!("index {i} is outside the family `{name}` of size {size}"),
                            e.span,
                            "out of range",
                        )))
                    } else {
                        Ok(i as usize)
                    }
                };
                match index {
                    RoleIndex::All => Ok(members.clone()),
                    RoleIndex::One(e) => {
                        let i = check(eval_index(e, params)?, e)?;
                        Ok(vec![members[i].clone()])
                    }
                    RoleIndex::Range(a, b) => {
                        let lo = eval_index(a, params)?;
                        let hi = eval_index(b, params)?;
                        if lo >= hi {
                            return Ok(Vec::new());
                        }
                        let lo = check(lo, a)?;
                        let hi = check(hi - 1, b)?;
                        Ok(members[lo..=hi].to_vec())
                    }
                }
            }
        }
    }

    fn undeclared(&self, r: &RoleRef) -> Diagnostic {
        let name = &r.name.text;
        let known: Vec<String> = self
            .singles
            .keys()
            .chain(self.families.keys())
            .map(|k| format!("`{k}`"))
            .collect();
        let help = if known.is_empty() {
            format!("add `{name}` to the `roles` line")
        } else {
            format!(
                "add `{name}` to the `roles` line (declared: {})",
                known.join(", ")
            )
        };
        Diagnostic::new(
            DiagnosticKind::UndeclaredRole,
            format!("undeclared role `{name}`"),
            r.name.span,
            "not listed in `roles`",
        )
        .with_help(help)
    }
}

/// The number of members of a family.
fn family_size(
    decl: &RoleDecl,
    size: &FamilySize,
    params: &BTreeMap<String, u64>,
    diags: &mut Vec<Diagnostic>,
) -> u64 {
    let name = &decl.name.text;
    let (n, param) = match size {
        FamilySize::Fixed(n) => (Some(*n), String::new()),
        FamilySize::Symbolic(p) => (params.get(&p.text).copied(), p.text.clone()),
        FamilySize::Any => (params.get(name).copied(), name.clone()),
    };
    match n {
        Some(n) if n <= MAX_FAMILY_SIZE => n,
        Some(n) => {
            diags.push(Diagnostic::new(
                DiagnosticKind::ExpansionLimit,
                format!("family `{name}` has {n} members, more than {MAX_FAMILY_SIZE}"),
                decl.span,
                "too large to expand",
            ));
            0
        }
        None => {
            diags.push(
                Diagnostic::new(
                    DiagnosticKind::MissingParameter,
                    format!("the size `{param}` of family `{name}` is not given"),
                    decl.span,
                    "size unknown",
                )
                .with_help(format!("pass a value for it, e.g. `{param}=4`")),
            );
            0
        }
    }
}

/// The value of an index expression.
fn eval_index(e: &IndexExpr, params: &BTreeMap<String, u64>) -> Result<i128, Box<Diagnostic>> {
    let base = match &e.base {
        IndexBase::Literal(n) => i128::from(*n),
        IndexBase::Param(p) => match params.get(p) {
            Some(n) => i128::from(*n),
            None => {
                return Err(Box::new(
                    Diagnostic::new(
                        DiagnosticKind::MissingParameter,
                        format!("the index parameter `{p}` is not given"),
                        e.span,
                        "unknown value",
                    )
                    .with_help(format!("pass a value for it, e.g. `{p}=1`")),
                ))
            }
        },
    };
    Ok(base + i128::from(e.offset))
}
