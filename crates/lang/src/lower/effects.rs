//! Effects: `let x = check E.op(..)` bindings and `case x of` choices.

use super::{Binding, Lowerer, Scope};
use crate::ast::{CaseBranch, Name, RoleRef, Stmt, StmtKind, TypeDef, TypeExpr};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::Span;
use std::collections::{BTreeMap, BTreeSet};
use telltale_types::effects::TIMEOUT_OUTCOME;
use telltale_types::{
    EffectOperation, EffectSite, EffectTable, GlobalType, OutcomeDecl, PayloadSort, Role,
};

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
                    args,
                    at,
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
                    let (declared, type_text) = self.check_effect(scope, effect, operation);
                    let outcomes = declared
                        .as_ref()
                        .and_then(|op| op.outcomes.as_ref())
                        .map(|os| os.iter().map(|o| o.constructor.clone()).collect());
                    let operation = declared.and_then(|op| {
                        Some(EffectOperation {
                            effect: effect.text.clone(),
                            name: operation.text.clone(),
                            input: op.input,
                            outcomes: op.outcomes?,
                        })
                    });
                    scope.bindings.insert(
                        var.text.clone(),
                        Binding {
                            performer,
                            outcomes,
                            type_text,
                            operation,
                            arguments: args.clone(),
                        },
                    );
                }
                _ => {}
            }
        }
        saved
    }

    /// Checks that `effect.operation` is declared and used; returns its
    /// argument sort and the outcomes of its result type.
    fn check_effect(
        &mut self,
        scope: &Scope,
        effect: &Name,
        operation: &Name,
    ) -> (Option<DeclaredOperation>, String) {
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
        let declared = DeclaredOperation {
            input: self.payload_names.type_sort(&op.input),
            outcomes: self.outcomes_of(&op.output, 0),
        };
        (Some(declared), crate::format::type_text(&op.output))
    }

    /// The constructors a value of type `ty` can be matched with, and the
    /// sorts of their payloads: `Result E T` is `Err(E)` or `Ok(T)`,
    /// `Maybe T` (and `Option T`) `Just(T)` or `Nothing`, a declared type
    /// its variants. A missing type argument is an opaque named sort.
    fn outcomes_of(&self, ty: &TypeExpr, depth: usize) -> Option<Vec<OutcomeDecl>> {
        let TypeExpr::Path { path, args, .. } = ty else {
            return None;
        };
        let name = path.last()?.as_str();
        let arg = |i: usize| {
            args.get(i).map_or_else(
                || PayloadSort::Named("_".into()),
                |t| self.payload_names.type_sort(t),
            )
        };
        let decl = |constructor: &str, payload: PayloadSort| OutcomeDecl {
            constructor: constructor.to_string(),
            payload,
        };
        match name {
            "Result" => Some(vec![decl("Ok", arg(1)), decl("Err", arg(0))]),
            "Maybe" => Some(vec![
                decl("Just", arg(0)),
                decl("Nothing", PayloadSort::Unit),
            ]),
            "Option" => Some(vec![decl("Some", arg(0)), decl("None", PayloadSort::Unit)]),
            "Bool" => Some(vec![
                decl("True", PayloadSort::Unit),
                decl("False", PayloadSort::Unit),
            ]),
            _ => match &self.module.type_decl(name)?.def {
                TypeDef::Variants(vs) => Some(
                    vs.iter()
                        .map(|(n, items)| {
                            let payload = match items.as_slice() {
                                [] => PayloadSort::Unit,
                                [one] => self.payload_names.type_sort(one),
                                many => PayloadSort::Product(
                                    many.iter()
                                        .map(|t| self.payload_names.type_sort(t))
                                        .collect(),
                                ),
                            };
                            decl(&n.text, payload)
                        })
                        .collect(),
                ),
                TypeDef::Alias(t) if depth < MAX_ALIAS_DEPTH => self.outcomes_of(t, depth + 1),
                TypeDef::Alias(_) => None,
            },
        }
    }

    /// Records where the choice `g` of a `case` performs its operation: the
    /// label each constructor's branch starts with, whether the choice was
    /// announced by branch name or made directly by the branches' first
    /// messages.
    fn record_site(
        &mut self,
        binding: &Binding,
        performer: &Role,
        cases: &[CaseBranch],
        starts: &[(String, Option<String>)],
        g: &GlobalType,
        span: Span,
    ) {
        let Some(operation) = binding.operation.clone() else {
            return;
        };
        let GlobalType::Comm {
            sender,
            receiver,
            branches,
        } = g
        else {
            return;
        };
        if sender != performer {
            return;
        }
        let chosen: Vec<&str> = branches.iter().map(|b| b.label.name()).collect();
        let mut site_branches: Vec<(String, String)> = Vec::new();
        let constructors = cases.iter().map(|b| &b.constructor.text);
        for (constructor, (name, direct)) in constructors.zip(starts) {
            let label = if chosen.contains(&name.as_str()) {
                Some(name.as_str())
            } else {
                direct.as_deref().filter(|d| chosen.contains(d))
            };
            if let Some(label) = label {
                site_branches.push((constructor.clone(), label.to_string()));
            }
        }
        let steered: BTreeSet<&str> = site_branches.iter().map(|(_, l)| l.as_str()).collect();
        if site_branches.len() != cases.len() || steered != chosen.iter().copied().collect() {
            self.diags.push(
                Diagnostic::new(
                    DiagnosticKind::UnsteerableCase,
                    format!(
                        "the outcome of this `case` cannot steer {}'s choice",
                        performer.as_str()
                    ),
                    span,
                    format!(
                        "its branches merge with the next choice {} makes ({})",
                        performer.as_str(),
                        chosen.join(", ")
                    ),
                )
                .with_help(format!(
                    "start each branch with its own message from {} (e.g. `{} -> {} : {}`), so each choice has labels of its own",
                    performer.as_str(),
                    performer.as_str(),
                    receiver.as_str(),
                    cases.first().map_or("Outcome", |b| b.constructor.text.as_str())
                )),
            );
            return;
        }
        let operation = self.effects.intern(operation);
        self.effect_sites.push((
            span,
            EffectSite {
                operation,
                performer: performer.clone(),
                partner: receiver.clone(),
                arguments: binding.arguments.clone(),
                branches: site_branches,
                binders: cases
                    .iter()
                    .filter(|b| b.constructor.text != "_")
                    .filter_map(|b| {
                        let name = b.binder.as_ref()?;
                        Some((b.constructor.text.clone(), name.text.clone()))
                    })
                    .collect(),
            },
        ));
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
                } else if c == TIMEOUT_OUTCOME && !outcomes.contains(c) {
                    // Every operation may time out; listing it is optional.
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

        let starts: Vec<(String, Option<String>)> = lowered
            .iter()
            .map(|(name, body)| (name.clone(), first_label_from(body, &performer)))
            .collect();
        let g = self.announce(scope, &performer, lowered, span);
        self.record_site(&binding, &performer, branches, &starts, &g, span);
        g
    }
}

/// The label of `body`'s first message when `performer` sends it.
fn first_label_from(body: &GlobalType, performer: &Role) -> Option<String> {
    match body {
        GlobalType::Comm {
            sender, branches, ..
        } if sender == performer => branches.first().map(|b| b.label.name().to_string()),
        _ => None,
    }
}

/// What a declared operation takes and may return.
pub(crate) struct DeclaredOperation {
    /// The sort of its argument.
    input: PayloadSort,
    /// Its outcomes, when the result type determines them.
    outcomes: Option<Vec<OutcomeDecl>>,
}

/// The effect table of `sites` (in source order), its operations numbered
/// by first use, so ids do not depend on the order lowering met them.
pub(super) fn in_source_order(found: &EffectTable, sites: Vec<EffectSite>) -> EffectTable {
    let mut table = EffectTable::default();
    for mut site in sites {
        if let Some(op) = found.operations.get(usize::from(site.operation)) {
            site.operation = table.intern(op.clone());
            table.sites.push(site);
        }
    }
    table
}
