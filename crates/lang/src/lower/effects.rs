//! Effects: `let x = check E.op(..)` bindings and `case x of` choices.

use super::{Binding, Lowerer, Scope};
use crate::ast::{CaseBranch, Name, RoleRef, Stmt, StmtKind, TypeDef, TypeExpr};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::Span;
use std::collections::BTreeMap;
use telltale_types::GlobalType;

/// The deepest chain of type aliases followed when finding outcomes.
const MAX_ALIAS_DEPTH: usize = 16;

impl<'m> Lowerer<'m> {
    /// Records the `let` bindings of a block (checking their effects) and
    /// returns the bindings to restore after the block.
    pub(crate) fn bind_lets(
        &mut self,
        scope: &mut Scope,
        stmts: &'m [Stmt],
    ) -> BTreeMap<String, Binding> {
        let saved = scope.bindings.clone();
        if !stmts.iter().any(|s| matches!(s.kind, StmtKind::Let { .. })) {
            return saved;
        }
        let mut last_receiver: Option<&RoleRef> = None;
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Send { to, broadcast, .. } if !broadcast => {
                    last_receiver = to.first().or(last_receiver);
                }
                StmtKind::Let {
                    var,
                    effect,
                    operation,
                    at,
                    ..
                } => {
                    let performer = match at {
                        Some(r) => self.one_role(scope, r),
                        None => last_receiver
                            .and_then(|r| {
                                let mut env = scope.env.clone();
                                env.resolve(r, &self.opts.params).ok()
                            })
                            .and_then(|roles| roles.into_iter().next())
                            .or_else(|| scope.env.order.first().cloned()),
                    };
                    let (outcomes, type_text) = self.check_effect(scope, effect, operation);
                    scope.bindings.insert(
                        var.text.clone(),
                        Binding {
                            performer,
                            outcomes,
                            type_text,
                        },
                    );
                }
                _ => {}
            }
        }
        saved
    }

    /// Checks that `effect.operation` is declared and used; returns the
    /// outcome constructors of its result type.
    fn check_effect(
        &mut self,
        scope: &Scope,
        effect: &Name,
        operation: &Name,
    ) -> (Option<Vec<String>>, String) {
        let module = self.module;
        let Some(decl) = module.effect(&effect.text) else {
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::UndeclaredEffect,
                    format!("undeclared effect `{}`", effect.text),
                    effect.span,
                    "no `effect` declaration with this name",
                )
                .with_help(format!(
                    "declare it with `effect {}` and its operations",
                    effect.text
                )),
            );
            return (None, String::new());
        };
        if !scope.uses.contains(&effect.text) {
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::UndeclaredEffect,
                    format!("effect `{}` is not in this protocol's `uses`", effect.text),
                    effect.span,
                    "not declared as used",
                )
                .with_secondary(decl.name.span, "effect declared here")
                .with_help(format!(
                    "add `uses {}` after the protocol name",
                    effect.text
                )),
            );
        }
        let Some(op) = decl
            .operations
            .iter()
            .find(|o| o.name.text == operation.text)
        else {
            let known: Vec<String> = decl
                .operations
                .iter()
                .map(|o| format!("`{}`", o.name.text))
                .collect();
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::UndeclaredOperation,
                    format!(
                        "effect `{}` has no operation `{}`",
                        effect.text, operation.text
                    ),
                    operation.span,
                    "unknown operation",
                )
                .with_secondary(decl.name.span, "effect declared here")
                .with_help(format!(
                    "operations of `{}`: {}",
                    effect.text,
                    known.join(", ")
                )),
            );
            return (None, String::new());
        };
        (
            self.outcomes_of(&op.output, 0),
            crate::format::type_text(&op.output),
        )
    }

    /// The constructors a value of type `ty` can be matched with.
    fn outcomes_of(&self, ty: &TypeExpr, depth: usize) -> Option<Vec<String>> {
        let TypeExpr::Path { path, .. } = ty else {
            return None;
        };
        let name = path.last()?.as_str();
        let names = |xs: &[&str]| Some(xs.iter().map(|x| x.to_string()).collect());
        match name {
            "Result" => names(&["Ok", "Err"]),
            "Maybe" => names(&["Just", "Nothing"]),
            "Option" => names(&["Some", "None"]),
            "Bool" => names(&["True", "False"]),
            _ => match &self.module.type_decl(name)?.def {
                TypeDef::Variants(vs) => Some(vs.iter().map(|(n, _)| n.text.clone()).collect()),
                TypeDef::Alias(t) if depth < MAX_ALIAS_DEPTH => self.outcomes_of(t, depth + 1),
                TypeDef::Alias(_) => None,
            },
        }
    }

    /// `case x of | C(v) => ...`: a choice by the role that performed the check.
    pub(crate) fn lower_case(
        &mut self,
        scope: &mut Scope,
        scrutinee: &Name,
        branches: &'m [CaseBranch],
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        let Some(binding) = scope.bindings.get(&scrutinee.text).cloned() else {
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::UnknownBinding,
                    format!(
                        "`{}` is not bound by a `let ... = check ...`",
                        scrutinee.text
                    ),
                    scrutinee.span,
                    "unknown name",
                )
                .with_help(format!(
                    "bind it first: `let {} = check Effect.operation(...)`",
                    scrutinee.text
                )),
            );
            return cont;
        };
        let mut ok = true;
        if let Some(outcomes) = &binding.outcomes {
            let mut covered = Vec::new();
            let mut wildcard = false;
            for b in branches {
                let c = &b.constructor.text;
                if c == "_" {
                    wildcard = true;
                } else if !outcomes.contains(c) {
                    ok = false;
                    self.diags.push(
                        Diagnostic::new(
                            DiagnosticKind::UnknownConstructor,
                            format!("`{c}` is not an outcome of `{}`", binding.type_text),
                            b.constructor.span,
                            "unknown constructor",
                        )
                        .with_help(format!("the outcomes are {}", outcomes.join(", "))),
                    );
                } else {
                    covered.push(c.clone());
                }
            }
            let missing: Vec<String> = outcomes
                .iter()
                .filter(|o| !covered.contains(o))
                .map(|o| format!("`{o}`"))
                .collect();
            if !wildcard && !missing.is_empty() {
                ok = false;
                self.diags.push(
                    Diagnostic::new(
                        DiagnosticKind::NonExhaustiveCase,
                        format!("non-exhaustive `case`: {} not covered", missing.join(", ")),
                        scrutinee.span,
                        format!("`{}` has type `{}`", scrutinee.text, binding.type_text),
                    )
                    .with_help(format!(
                        "add a branch for {}, or a `| _ => ...` branch",
                        missing.join(", ")
                    )),
                );
            }
        }
        let Some(performer) = binding.performer.clone() else {
            return cont;
        };
        let n = branches.len();
        let mut cont = Some(cont);
        let mut lowered = Vec::new();
        for (i, b) in branches.iter().enumerate() {
            let k = if i + 1 == n {
                cont.take().unwrap_or(GlobalType::End)
            } else {
                let c = cont
                    .as_ref()
                    .map_or(GlobalType::End, |c| self.copy(c, span));
                c
            };
            let name = if b.constructor.text == "_" {
                "Otherwise".to_string()
            } else {
                b.constructor.text.clone()
            };
            lowered.push((name, self.lower_block(scope, &b.body, k)));
        }
        if !ok {
            return GlobalType::End;
        }
        self.announce(scope, &performer, lowered, span)
    }
}
