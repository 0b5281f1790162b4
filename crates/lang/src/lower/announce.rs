//! Choices: explicit `choice`, and the constructs that desugar to a choice
//! by one role (`loop decide by`, `loop while`, `timeout`, `heartbeat`, `case`).

use super::{Lowerer, Scope};
use crate::ast::{ChoiceBranch, RoleRef, Stmt, StmtKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::Span;
use std::collections::BTreeMap;
use telltale_types::{GlobalBranch, GlobalType, Label, Role};

impl<'m> Lowerer<'m> {
    /// `choice A at | X => ... | Y => ...`.
    pub(crate) fn lower_choice(
        &mut self,
        scope: &mut Scope,
        decider_ref: &RoleRef,
        branches: &'m [ChoiceBranch],
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        let Some(decider) = self.one_role(scope, decider_ref) else {
            return cont;
        };
        let mut starts_ok = true;
        let mut label_spans = Vec::new();
        for b in branches {
            match self.first_send_from(scope, &b.body, &decider) {
                Some(label_span) => label_spans.push(label_span),
                None => {
                    starts_ok = false;
                    let at = b.body.first().map_or(b.name.span, |s| s.span);
                    self.diags.push(
                        Diagnostic::new(
                            DiagnosticKind::BranchNotStartingWithDecider,
                            format!(
                                "branch `{}` does not start with `{decider}` sending a message",
                                b.name.text
                            ),
                            at,
                            format!("expected a message from `{decider}` here"),
                        )
                        .with_secondary(decider_ref.span, "the decider")
                        .with_help(format!(
                            "begin the branch with `{decider} -> <role> : <Label>` so the others learn the choice"
                        )),
                    );
                }
            }
        }
        let mut lowered = Vec::new();
        let n = branches.len();
        let mut cont = Some(cont);
        for (i, b) in branches.iter().enumerate() {
            let k = if i + 1 == n {
                cont.take().unwrap_or(GlobalType::End)
            } else {
                let c = cont
                    .as_ref()
                    .map_or(GlobalType::End, |c| self.copy(c, span));
                c
            };
            lowered.push(self.lower_block(scope, &b.body, k));
        }
        if !starts_ok {
            return GlobalType::End;
        }
        let items = lowered.into_iter().zip(label_spans).collect();
        self.merge_direct(&decider, items, true)
            .unwrap_or(GlobalType::End)
    }

    /// The label span of the first statement when it is a send from `decider`.
    fn first_send_from(
        &mut self,
        scope: &mut Scope,
        body: &[Stmt],
        decider: &Role,
    ) -> Option<Span> {
        match body
            .iter()
            .find(|s| !matches!(s.kind, StmtKind::Roles(_)))?
            .kind
        {
            StmtKind::Send {
                ref from,
                broadcast,
                ref label,
                ..
            } if !broadcast || scope.env.order.len() > 1 => {
                let roles = scope.env.clone().resolve(from, &self.opts.params).ok()?;
                (roles.len() == 1 && roles[0] == *decider).then_some(label.span)
            }
            _ => None,
        }
    }

    /// Merges branches that each start with `decider` sending to one common
    /// receiver into one choice; reports differing receivers and duplicate
    /// labels when `report` is set.
    fn merge_direct(
        &mut self,
        decider: &Role,
        items: Vec<(GlobalType, Span)>,
        report: bool,
    ) -> Option<GlobalType> {
        let heads = items.len();
        let mut receiver: Option<(Role, Span)> = None;
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut merged: Vec<GlobalBranch> = Vec::new();
        let mut failed = false;
        for (mut g, at) in items {
            let GlobalType::Comm {
                sender,
                receiver: to,
                branches,
            } = &mut g
            else {
                return None;
            };
            if sender != decider {
                return None;
            }
            match &receiver {
                Some((first, first_at)) if first != to => {
                    if !report {
                        return None;
                    }
                    self.diags.push(
                        Diagnostic::new(
                            DiagnosticKind::ChoiceReceiversDiffer,
                            format!(
                                "the branches of this choice by `{decider}` send first to different roles (`{first}` and `{to}`)"
                            ),
                            at,
                            format!("sends to `{to}`"),
                        )
                        .with_secondary(*first_at, format!("sends to `{first}`"))
                        .with_help(format!(
                            "start every branch with a message from `{decider}` to the same role"
                        )),
                    );
                    failed = true;
                    continue;
                }
                Some(_) => {}
                None => receiver = Some((to.clone(), at)),
            }
            for b in std::mem::take(branches) {
                let name = b.label.name().to_string();
                if let Some(first_at) = seen.get(&name) {
                    if !report {
                        return None;
                    }
                    self.diags.push(
                        Diagnostic::new(
                            DiagnosticKind::DuplicateLabel,
                            format!("label `{name}` is used by two branches of one choice"),
                            at,
                            "used again here",
                        )
                        .with_secondary(*first_at, "first used here")
                        .with_help("give each branch's first message a distinct label"),
                    );
                    failed = true;
                    continue;
                }
                seen.insert(name, at);
                merged.push(b);
            }
        }
        let (to, _) = receiver?;
        if failed {
            return None;
        }
        // The branches' first messages become the branches of one message.
        self.refund(heads - 1);
        Some(GlobalType::Comm {
            sender: decider.clone(),
            receiver: to,
            branches: merged,
        })
    }

    /// A choice by `decider` between lowered branches: direct when the
    /// branches already start with distinct messages from `decider` to one
    /// role, otherwise announced by sending each branch's name to every
    /// other role involved.
    pub(crate) fn announce(
        &mut self,
        scope: &Scope,
        decider: &Role,
        branches: Vec<(String, GlobalType)>,
        span: Span,
    ) -> GlobalType {
        let direct_ok = branches
            .iter()
            .all(|(_, g)| matches!(g, GlobalType::Comm { sender, .. } if sender == decider));
        if direct_ok {
            let copies: Vec<(GlobalType, Span)> =
                branches.iter().map(|(_, g)| (g.clone(), span)).collect();
            if let Some(g) = self.merge_direct(decider, copies, false) {
                return g;
            }
        }
        let mut involved: Vec<Role> = Vec::new();
        for (_, g) in &branches {
            for r in g.roles() {
                if r != *decider && !involved.contains(&r) {
                    involved.push(r);
                }
            }
        }
        let position = |r: &Role| {
            scope
                .env
                .order
                .iter()
                .position(|o| o == r)
                .unwrap_or(usize::MAX)
        };
        involved.sort_by_key(position);
        if involved.is_empty() {
            if let Some(other) = scope.env.order.iter().find(|r| *r != decider) {
                involved.push(other.clone());
            }
        }
        let Some((first, rest)) = involved.split_first() else {
            return branches
                .into_iter()
                .next()
                .map_or(GlobalType::End, |(_, g)| g);
        };
        let mut out = Vec::new();
        for (name, g) in branches {
            let label = Label::unit(&name);
            let mut g = g;
            for r in rest.iter().rev() {
                self.charge(1, span);
                g = GlobalType::send(decider.clone(), r.clone(), label.clone(), g);
            }
            out.push(GlobalBranch::new(label, g));
        }
        self.charge(1, span);
        GlobalType::Comm {
            sender: decider.clone(),
            receiver: first.clone(),
            branches: out,
        }
    }

    /// `loop decide by A` / `loop while`: `rec L . A -> R : { first . body; L, Done . ... }`.
    pub(crate) fn lower_decided_loop(
        &mut self,
        scope: &mut Scope,
        decider: Option<Role>,
        body: &'m [Stmt],
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        let Some(decider) = decider else {
            return cont;
        };
        if self.first_send_from(scope, body, &decider).is_none() {
            let at = body.first().map_or(span, |s| s.span);
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::BranchNotStartingWithDecider,
                    format!("the loop body does not start with `{decider}` sending a message"),
                    at,
                    format!("expected a message from `{decider}` here"),
                )
                .with_help(format!(
                    "begin the body with `{decider} -> <role> : <Label>`; `{decider}` decides each iteration"
                )),
            );
            return cont;
        }
        let var = self.fresh_var("Loop");
        let mut g = self.lower_block(scope, body, GlobalType::var(var.clone()));
        let GlobalType::Comm {
            sender,
            receiver,
            branches,
        } = &mut g
        else {
            return cont;
        };
        if *sender != decider {
            return cont;
        }
        let first = receiver.clone();
        let mut others: Vec<Role> = Vec::new();
        for b in branches.iter() {
            for r in b.continuation.roles() {
                if r != decider && r != first && !others.contains(&r) {
                    others.push(r);
                }
            }
        }
        let position = |r: &Role| {
            scope
                .env
                .order
                .iter()
                .position(|o| o == r)
                .unwrap_or(usize::MAX)
        };
        others.sort_by_key(position);
        let done = Label::unit("Done");
        if branches.iter().any(|b| b.label.name() == "Done") {
            self.diags.push(Diagnostic::new(
                DiagnosticKind::DuplicateLabel,
                "the loop body starts with `Done`, the label that ends the loop",
                body.first().map_or(span, |s| s.span),
                "clashes with the loop's exit label",
            ));
            return cont;
        }
        let mut exit = cont;
        for r in others.iter().rev() {
            self.charge(1, span);
            exit = GlobalType::send(decider.clone(), r.clone(), done.clone(), exit);
        }
        branches.push(GlobalBranch::new(done, exit));
        self.finish_rec(&var, g, span)
    }

    /// `timeout d A at B on timeout => T`: a choice by `A` between `B` and `T`.
    pub(crate) fn lower_timeout(
        &mut self,
        scope: &mut Scope,
        role: &RoleRef,
        body: &'m [Stmt],
        on_timeout: &'m [Stmt],
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        let Some(waiter) = self.one_role(scope, role) else {
            return cont;
        };
        let k = self.copy(&cont, span);
        let in_time = self.lower_block(scope, body, k);
        let expired = self.lower_block(scope, on_timeout, cont);
        self.announce(
            scope,
            &waiter,
            vec![("Proceed".into(), in_time), ("Timeout".into(), expired)],
            span,
        )
    }

    /// `heartbeat A -> B every d on_missing(k) { M } body { X }`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn lower_heartbeat(
        &mut self,
        scope: &mut Scope,
        from: &RoleRef,
        to: &RoleRef,
        on_missing: &'m [Stmt],
        body: &'m [Stmt],
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        let (Some(beater), Some(watcher)) = (self.one_role(scope, from), self.one_role(scope, to))
        else {
            return cont;
        };
        let var = self.fresh_var("Heartbeat");
        let alive = self.lower_block(scope, body, GlobalType::var(var.clone()));
        let dead = self.lower_block(scope, on_missing, cont);
        self.charge(2, span);
        let verdict = GlobalType::choice(
            watcher.clone(),
            beater.clone(),
            [(Label::unit("Alive"), alive), (Label::unit("Dead"), dead)],
        );
        let g = GlobalType::send(beater, watcher, Label::unit("Heartbeat"), verdict);
        self.finish_rec(&var, g, span)
    }
}
