//! Lowering of plain statements: sends, recursion, loops, `par` and `call`.

use super::env::RoleEnv;
use super::walk::roles_mentioned;
use super::{declares_roles, Lowerer, Scope, MAX_REPEAT};
use crate::ast::{LoopKind, Payload, Protocol, RoleRef, Stmt, StmtKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::Span;
use std::collections::BTreeSet;
use telltale_types::stack::with_headroom;
use telltale_types::{GlobalType, Label, Role};

impl<'m> Lowerer<'m> {
    /// Lowers a block followed by `cont`.
    pub(crate) fn lower_block(
        &mut self,
        scope: &mut Scope,
        stmts: &'m [Stmt],
        cont: GlobalType,
    ) -> GlobalType {
        with_headroom(|| {
            self.check_reachable(stmts);
            let saved = self.bind_lets(scope, stmts);
            let mut g = cont;
            for (i, stmt) in stmts.iter().enumerate().rev() {
                if !self.step(stmt.span) {
                    g = GlobalType::End;
                    break;
                }
                self.reentered = false;
                g = self.lower_stmt(scope, stmt, g);
                if let (StmtKind::Call { protocol, .. }, Some(next)) =
                    (&stmt.kind, stmts.get(i + 1))
                {
                    if self.reentered {
                        self.unreachable_after_reentry(stmt, &protocol.text, next);
                    }
                }
            }
            scope.bindings = saved;
            g
        })
    }

    /// Lowers one statement followed by `cont`.
    fn lower_stmt(&mut self, scope: &mut Scope, stmt: &'m Stmt, cont: GlobalType) -> GlobalType {
        match &stmt.kind {
            StmtKind::Roles(_) | StmtKind::Let { .. } => cont,
            StmtKind::Send {
                from,
                to,
                broadcast,
                label,
                payload,
                missable,
                ..
            } => self.lower_send(
                scope,
                from,
                to,
                (*broadcast, *missable),
                &label.text,
                payload,
                stmt.span,
                cont,
            ),
            StmtKind::Choice { decider, branches } => {
                self.lower_choice(scope, decider, branches, stmt.span, cont)
            }
            StmtKind::Rec { label, body } => {
                // A continuation that already mentions this name (an outer
                // `rec` of the same name, or a caller's) would be captured by
                // the new binder, so the binder is renamed.
                let var = if mentions(&cont, &label.text) {
                    self.fresh_var(&label.text)
                } else {
                    label.text.clone()
                };
                scope.labels.push((label.text.clone(), var.clone()));
                let g = self.lower_block(scope, body, cont);
                scope.labels.pop();
                self.finish_rec(&var, g, stmt.span)
            }
            StmtKind::Continue(label) => {
                if let Some((_, var)) = scope.labels.iter().rev().find(|(l, _)| *l == label.text) {
                    GlobalType::var(var.clone())
                } else {
                    let help = if scope.labels.is_empty() {
                        "there is no enclosing `rec` here".to_string()
                    } else {
                        let names: Vec<&str> =
                            scope.labels.iter().map(|(l, _)| l.as_str()).collect();
                        format!("labels in scope: {}", names.join(", "))
                    };
                    self.diags.push(
                        Diagnostic::new(
                            DiagnosticKind::UnknownRecursionLabel,
                            format!(
                                "`continue {}` has no enclosing `rec {}`",
                                label.text, label.text
                            ),
                            label.span,
                            "unknown recursion label",
                        )
                        .with_help(help),
                    );
                    cont
                }
            }
            StmtKind::Loop { kind, body } => self.lower_loop(scope, kind, body, stmt.span, cont),
            StmtKind::Par(branches) => self.lower_par(scope, branches, stmt.span, cont),
            StmtKind::Call { protocol, args } => {
                self.lower_call(scope, &protocol.text, protocol.span, args, cont)
            }
            StmtKind::Timeout {
                role,
                body,
                on_timeout,
                ..
            } => self.lower_timeout(scope, role, body, on_timeout, stmt.span, cont),
            StmtKind::Heartbeat {
                from,
                to,
                on_missing,
                body,
                ..
            } => self.lower_heartbeat(scope, from, to, on_missing, body, stmt.span, cont),
            StmtKind::Case {
                scrutinee,
                branches,
            } => self.lower_case(scope, scrutinee, branches, stmt.span, cont),
        }
    }

    /// The roles a reference denotes, reporting if it denotes none.
    pub(crate) fn roles_of(&mut self, scope: &mut Scope, r: &RoleRef) -> Option<Vec<Role>> {
        match scope.env.resolve(r, &self.opts.params) {
            Ok(roles) => Some(roles),
            Err(d) => {
                self.diags.push(*d);
                None
            }
        }
    }

    /// The single role a reference denotes.
    pub(crate) fn one_role(&mut self, scope: &mut Scope, r: &RoleRef) -> Option<Role> {
        let roles = self.roles_of(scope, r)?;
        if roles.len() == 1 {
            return roles.into_iter().next();
        }
        self.diags.push(Diagnostic::new(
            DiagnosticKind::Unsupported,
            format!(
                "`{}` denotes {} roles here, but exactly one is needed",
                r.name.text,
                roles.len()
            ),
            r.span,
            "must be a single role",
        ));
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_send(
        &mut self,
        scope: &mut Scope,
        from: &RoleRef,
        to: &[RoleRef],
        (broadcast, missable): (bool, bool),
        label: &str,
        payload: &Payload,
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        let senders = self.roles_of(scope, from);
        let mut receivers = Vec::new();
        let mut ok = senders.is_some();
        if broadcast {
            receivers = scope.env.order.clone();
        } else {
            for r in to {
                match self.roles_of(scope, r) {
                    Some(mut roles) => receivers.append(&mut roles),
                    None => ok = false,
                }
            }
        }
        let Some(senders) = senders.filter(|_| ok) else {
            return cont;
        };
        if !broadcast && senders.len() == 1 && receivers == senders {
            self.diags.push(Diagnostic::new(
                DiagnosticKind::SelfCommunication,
                format!("`{}` sends `{label}` to itself", senders[0]),
                span,
                "a role cannot message itself",
            ));
            return cont;
        }
        let label = Label::new(label, self.payload_names.payload_sort(label, payload));
        let pairs: Vec<(Role, Role)> = senders
            .iter()
            .flat_map(|s| {
                receivers
                    .iter()
                    .filter(move |r| *r != s)
                    .map(move |r| (s.clone(), r.clone()))
            })
            .collect();
        for (s, r) in &pairs {
            self.missable.record(s, r, label.name(), span, missable);
        }
        let mut g = cont;
        for (s, r) in pairs.into_iter().rev() {
            if !self.charge(1, span) {
                return GlobalType::End;
            }
            g = GlobalType::send(s, r, label.clone(), g);
        }
        g
    }

    /// Wraps a recursion body, checking it is guarded and dropping an unused binder.
    pub(crate) fn finish_rec(&mut self, var: &str, body: GlobalType, span: Span) -> GlobalType {
        if unguarded(&body, var) {
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::UnguardedRecursion,
                    "recursion without any message before it repeats",
                    span,
                    "this loop repeats without communicating",
                )
                .with_help("send at least one message before `continue`"),
            );
            return GlobalType::End;
        }
        if mentions(&body, var) {
            GlobalType::rec(var, body)
        } else {
            body
        }
    }

    fn lower_loop(
        &mut self,
        scope: &mut Scope,
        kind: &'m LoopKind,
        body: &'m [Stmt],
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        match kind {
            LoopKind::Forever => {
                let var = self.fresh_var("Loop");
                let g = self.lower_block(scope, body, GlobalType::var(var.clone()));
                self.finish_rec(&var, g, span)
            }
            LoopKind::Repeat(n) => {
                if *n > MAX_REPEAT {
                    self.diags.push(Diagnostic::new(
                        DiagnosticKind::ExpansionLimit,
                        format!("`loop repeat {n}` is more than {MAX_REPEAT} repetitions"),
                        span,
                        "too many repetitions to unroll",
                    ));
                    return cont;
                }
                let mut g = cont;
                for _ in 0..*n {
                    if !self.step(span) {
                        return GlobalType::End;
                    }
                    g = self.lower_block(scope, body, g);
                }
                g
            }
            LoopKind::DecideBy(role) => {
                let decider = self.one_role(scope, role);
                self.lower_decided_loop(scope, decider, body, span, cont)
            }
            LoopKind::While(_) => {
                let decider = match body.first().map(|s| &s.kind) {
                    Some(StmtKind::Send { from, .. }) => {
                        let from = from.clone();
                        self.one_role(scope, &from)
                    }
                    _ => {
                        let at = body.first().map_or(span, |s| s.span);
                        self.diags.push(
                            Diagnostic::new(
                                DiagnosticKind::BranchNotStartingWithDecider,
                                "the body of `loop while` must start with a message",
                                at,
                                "not a message",
                            )
                            .with_help(
                                "the sender of the first message evaluates the condition and decides",
                            ),
                        );
                        None
                    }
                };
                self.lower_decided_loop(scope, decider, body, span, cont)
            }
        }
    }

    fn lower_par(
        &mut self,
        scope: &mut Scope,
        branches: &'m [(Vec<Stmt>, Span)],
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        if branches.len() < 2 {
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::ParSingleBranch,
                    "`par` needs at least two branches",
                    span,
                    "only one branch",
                )
                .with_help("remove `par` or add another `| ...` branch"),
            );
        }
        let role_sets: Vec<BTreeSet<Role>> = branches
            .iter()
            .map(|(body, _)| roles_mentioned(&scope.env, body, &self.opts.params))
            .collect();
        for j in 1..branches.len() {
            for i in 0..j {
                let shared: Vec<String> = role_sets[i]
                    .intersection(&role_sets[j])
                    .map(|r| format!("`{r}`"))
                    .collect();
                if !shared.is_empty() {
                    self.diags.push(
                        Diagnostic::new(
                            DiagnosticKind::ParOverlappingRoles,
                            format!("`par` branches share {}", shared.join(", ")),
                            branches[j].1,
                            "this branch",
                        )
                        .with_secondary(branches[i].1, "overlaps with this branch")
                        .with_help("branches of `par` must involve disjoint roles"),
                    );
                }
            }
        }
        let mut g = cont;
        for (body, _) in branches.iter().rev() {
            g = self.lower_block(scope, body, g);
        }
        g
    }

    fn lower_call(
        &mut self,
        scope: &mut Scope,
        name: &str,
        span: Span,
        args: &[RoleRef],
        cont: GlobalType,
    ) -> GlobalType {
        let module = self.module;
        let Some(callee) = module.protocols().into_iter().find(|p| p.name.text == name) else {
            let known: Vec<String> = module
                .protocols()
                .iter()
                .map(|p| format!("`{}`", p.name.text))
                .collect();
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::UnknownProtocol,
                    format!("no protocol named `{name}`"),
                    span,
                    "called here",
                )
                .with_help(format!("protocols in this file: {}", known.join(", "))),
            );
            return cont;
        };
        let Some(env) = self.callee_env(scope, callee, args, span) else {
            return cont;
        };
        let roles = env.order.clone();
        if self.calls_recurse() {
            // Scribble semantics: re-entering an instance (same protocol, same
            // roles) is a recursion; a new role instantiation is expanded once
            // more, and there are finitely many of them.
            if let Some(frame) = self
                .calls
                .iter_mut()
                .rev()
                .find(|f| f.protocol == name && f.roles == roles)
            {
                frame.used = true;
                self.reentered = true;
                return GlobalType::var(frame.var.clone());
            }
        } else if let Some(pos) = self.calls.iter().position(|f| f.protocol == name) {
            let chain: Vec<String> = self.calls[pos..]
                .iter()
                .map(|f| f.protocol.clone())
                .chain(std::iter::once(name.to_string()))
                .collect();
            let mut d = Diagnostic::new(
                DiagnosticKind::RecursiveCall,
                format!("recursive call cycle: {}", chain.join(" -> ")),
                span,
                "this call closes the cycle",
            )
            .with_help("use `rec`/`continue` or a `loop` for repetition");
            for frame in &self.calls[pos + 1..] {
                d = d.with_secondary(frame.span, format!("`{}` called here", frame.protocol));
            }
            self.diags.push(d);
            return cont;
        }
        let mut callee_scope = self.scope_for(callee, env);
        let g = self.lower_instance(callee, &mut callee_scope, roles, span, cont);
        self.reentered = false;
        if !scope.env.declared {
            for r in callee_scope.env.order {
                if scope.env.single(r.as_str()).is_none() {
                    scope.env.add_single(r.as_str(), r.clone());
                }
            }
        }
        g
    }

    /// The roles of a called protocol: renamed positionally by the arguments,
    /// matched by name, or inherited when the callee declares none.
    fn callee_env(
        &mut self,
        scope: &mut Scope,
        callee: &Protocol,
        args: &[RoleRef],
        span: Span,
    ) -> Option<RoleEnv> {
        if !declares_roles(callee) {
            if !args.is_empty() {
                self.diags.push(Diagnostic::new(
                    DiagnosticKind::Unsupported,
                    format!(
                        "`{}` declares no roles to pass arguments to",
                        callee.name.text
                    ),
                    span,
                    "role arguments given here",
                ));
                return None;
            }
            return Some(scope.env.clone());
        }
        let decls = callee.declared_roles();
        let mut env = RoleEnv::declared_empty();
        if args.is_empty() {
            for decl in decls {
                let name = decl.name.text.as_str();
                if let Some(members) = scope.env.family(name) {
                    env.add_family(name, members.clone());
                } else if let Some(role) = scope.env.single(name) {
                    env.add_single(name, role.clone());
                } else if !scope.env.declared {
                    env.add_single(name, Role::new(name));
                } else {
                    self.diags.push(
                        Diagnostic::new(
                            DiagnosticKind::UndeclaredRole,
                            format!(
                                "`{}` needs role `{name}`, which the caller does not declare",
                                callee.name.text
                            ),
                            span,
                            "called here",
                        )
                        .with_secondary(decl.span, "declared by the callee here")
                        .with_help("declare the role in the caller or pass roles explicitly"),
                    );
                    return None;
                }
            }
            return Some(env);
        }
        if decls.len() != args.len() {
            self.diags.push(Diagnostic::new(
                DiagnosticKind::Unsupported,
                format!(
                    "`{}` takes {} roles but {} were given",
                    callee.name.text,
                    decls.len(),
                    args.len()
                ),
                span,
                "wrong number of roles",
            ));
            return None;
        }
        for (decl, arg) in decls.iter().zip(args) {
            let roles = self.roles_of(scope, arg)?;
            if decl.family.is_some() || scope.env.is_family(&arg.name.text) && arg.index.is_none() {
                env.add_family(&decl.name.text, roles);
            } else if roles.len() == 1 {
                env.add_single(&decl.name.text, roles[0].clone());
            } else {
                self.diags.push(Diagnostic::new(
                    DiagnosticKind::Unsupported,
                    format!(
                        "`{}` is a single role but several were passed",
                        decl.name.text
                    ),
                    arg.span,
                    "several roles",
                ));
                return None;
            }
        }
        Some(env)
    }
}

/// Whether `g` reaches a variable bound by `var` (or by a `rec` directly
/// inside it) before any communication.
fn unguarded(g: &GlobalType, var: &str) -> bool {
    let mut bound = vec![var];
    let mut g = g;
    loop {
        match g {
            GlobalType::Rec { var, body } => {
                bound.push(var);
                g = body;
            }
            GlobalType::Var(v) => return bound.contains(&v.as_str()),
            _ => return false,
        }
    }
}

/// Whether `var` occurs in `g`.
pub(crate) fn mentions(g: &GlobalType, var: &str) -> bool {
    let mut stack = vec![g];
    while let Some(g) = stack.pop() {
        match g {
            GlobalType::Comm { branches, .. } => {
                stack.extend(branches.iter().map(|b| &b.continuation));
            }
            GlobalType::Rec { body, .. } => stack.push(body),
            GlobalType::Var(v) if v == var => return true,
            GlobalType::Var(_) | GlobalType::End => {}
        }
    }
    false
}
