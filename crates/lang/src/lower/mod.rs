//! Lowering: from the syntax tree to [`GlobalType`].
//!
//! Statements are lowered right to left in continuation-passing style: each
//! statement receives the global type of everything after it. Sugar
//! desugars as follows (and `tell explain` shows the result):
//!
//! - `A ->* : M` sends `M` from `A` to every other role, in declaration order;
//!   a family reference `W[*]` or `W[0..k]` on either side sends one message
//!   per member (sender-major), skipping a member sending to itself.
//! - Family members are the roles `W0`, `W1`, ...; ranges `W[a..b]` exclude `b`.
//! - `loop forever` is `rec LoopN . body; continue LoopN`; `loop repeat n`
//!   unrolls the body `n` times; `loop decide by A` (and `loop while "p"`,
//!   decided by the sender of the body's first message) is
//!   `rec LoopN . A -> R : { first . body; continue, Done . A -> others : Done; rest }`.
//! - `par | P | Q` is `P` then `Q` (the branches share no role, so no role can
//!   observe the order).
//! - `call P` inlines `P`'s body; its roles are renamed positionally by
//!   `call P(X, Y)`, or matched by name otherwise. In nuscr a `do` that
//!   reaches an instance already being expanded becomes a recursion variable.
//! - `timeout 5s A at B on timeout => T` is a choice by `A` between `B` and `T`;
//!   `heartbeat A -> B every d on_missing(k) {M} body {X}` is
//!   `rec HeartbeatN . A -> B : Heartbeat . B -> A : { Alive . X; continue, Dead . M; rest }`.
//! - `A -> B : M or missed` lowers like `A -> B : M`; every (sender,
//!   receiver, label) it expands to is listed in the side table
//!   (`EffectTable::missable`), and must neither decide a choice nor be
//!   sent unmarked elsewhere (`missable.rs`).
//! - `let x = check E.op(..)` is performed by the role after `at`, or else by
//!   the receiver of the last message before it in the same block, or else
//!   by the first declared role; `case x of` is a choice by that role.
//!
//! A choice made by a role `D` between lowered branches is *announced*: when
//! every branch already starts with `D` sending to one common receiver with
//! distinct labels, those messages are the choice; otherwise `D` first sends
//! the branch name (`Proceed`/`Timeout`, `Ok`/`Err`, ...) to every other role
//! of the branches, in declaration order.

mod announce;
mod effects;
mod env;
mod missable;
mod reach;
mod sort;
mod stmt;
mod walk;

use crate::ast::{Dialect, Module, Protocol, StmtKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::Span;
use env::RoleEnv;
use missable::MissableMarks;
use sort::PayloadNames;
use std::collections::{BTreeMap, BTreeSet};
use telltale_types::{
    ContentId, EffectOperation, EffectSite, EffectTable, GlobalType, Role, TypesError,
};

/// Settings of a lowering: the values of role-family size parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LowerOptions {
    /// Family sizes and index parameters by name, e.g. `N = 4`.
    pub params: BTreeMap<String, u64>,
}

/// Reads one parameter as written on a command line, `NAME=VALUE` (e.g.
/// `N=4`), or says why it is not one.
pub fn parse_param(text: &str) -> Result<(String, u64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))?;
    let value = value
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("`{value}` is not a non-negative whole number"))?;
    Ok((name.trim().to_string(), value))
}

impl LowerOptions {
    /// Options with the given parameters.
    pub fn with_params<I: IntoIterator<Item = (S, u64)>, S: Into<String>>(params: I) -> Self {
        LowerOptions {
            params: params.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }
}

/// One protocol of a module after lowering.
#[derive(Clone, Debug, PartialEq)]
pub struct LoweredProtocol {
    /// The protocol's name.
    pub name: String,
    /// Its roles in declaration order, families expanded.
    pub roles: Vec<Role>,
    /// The lowered global type.
    pub global: GlobalType,
    /// Where the protocol is declared.
    pub span: Span,
    /// The effect operations it performs and where, and the messages marked
    /// `or missed` (`EffectTable::missable`), carried beside the global
    /// type (which does not change when they do).
    pub effects: EffectTable,
}

impl LoweredProtocol {
    /// The id peers compare at the handshake: the global content id when
    /// the protocol performs no effect and marks no message `or missed`,
    /// else a hash of it and the effect table (`telltale_types::protocol_id`), so an effect signature that
    /// differs keeps peers apart while the global type's id stays put.
    pub fn protocol_id(&self) -> Result<ContentId, TypesError> {
        telltale_types::protocol_id(&self.global, &self.effects)
    }
}

/// The most messages one protocol may expand to (unrolling and inlining can
/// grow a protocol exponentially). A fixed limit: there is no option to
/// raise it.
pub const MESSAGE_BUDGET: usize = 2_000_000;

/// The most lowering steps (statements lowered plus `loop repeat`
/// iterations), so that an expansion which builds no messages still ends.
const STEP_BUDGET: usize = 4 * MESSAGE_BUDGET;

/// The largest `loop repeat` count.
const MAX_REPEAT: u64 = 100_000;

/// Lowers the protocol named `protocol` (top level or nested in a `where`).
pub fn lower_protocol(
    module: &Module,
    protocol: &str,
    opts: &LowerOptions,
) -> Result<GlobalType, Vec<Diagnostic>> {
    lower_named(module, protocol, opts).map(|p| p.global)
}

/// Lowers every top-level protocol of the module that is an entry point
/// (protocols nested in a `where` block are sub-protocols, inlined where
/// they are called; Scribble `aux` and imported protocols are only called).
pub fn lower_all(
    module: &Module,
    opts: &LowerOptions,
) -> Result<Vec<LoweredProtocol>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut diags = duplicate_protocols(module);
    for p in module.top_level_protocols().filter(|p| !p.aux) {
        match Lowerer::new(module, opts).lower_entry(p) {
            Ok(lowered) => out.push(lowered),
            Err(mut d) => diags.append(&mut d),
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Protocols declared twice under one name (anywhere in the module): a
/// `call` or a `--protocol` choice could not tell them apart.
fn duplicate_protocols(module: &Module) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, Span> = BTreeMap::new();
    let mut diags = Vec::new();
    for p in module.protocols() {
        match first.get(p.name.text.as_str()) {
            Some(earlier) => diags.push(
                Diagnostic::new(
                    DiagnosticKind::DuplicateProtocol,
                    format!("protocol `{}` is declared twice", p.name.text),
                    p.name.span,
                    "declared again here",
                )
                .with_secondary(*earlier, "first declared here")
                .with_help("rename one of them"),
            ),
            None => {
                first.insert(&p.name.text, p.name.span);
            }
        }
    }
    diags
}

/// Lowers one protocol by name, keeping its roles and span.
pub(crate) fn lower_named(
    module: &Module,
    protocol: &str,
    opts: &LowerOptions,
) -> Result<LoweredProtocol, Vec<Diagnostic>> {
    let Some(p) = module
        .protocols()
        .into_iter()
        .find(|p| p.name.text == protocol)
    else {
        let known: Vec<String> = module
            .protocols()
            .iter()
            .map(|p| format!("`{}`", p.name.text))
            .collect();
        let d = Diagnostic::new(
            DiagnosticKind::UnknownEntryProtocol,
            format!("no protocol named `{protocol}`"),
            Span::default(),
            "",
        );
        let d = if known.is_empty() {
            d.with_help("the file declares no protocol")
        } else {
            d.with_help(format!("protocols in this file: {}", known.join(", ")))
        };
        return Err(vec![d]);
    };
    Lowerer::new(module, opts).lower_entry(p)
}

/// A protocol instance being expanded by `call`/`do`.
struct CallFrame {
    /// The protocol's name.
    protocol: String,
    /// The roles it was instantiated with.
    roles: Vec<Role>,
    /// The recursion variable standing for a re-entry (nuscr only).
    var: String,
    /// Whether a re-entry used the variable.
    used: bool,
    /// Where the call is written.
    span: Span,
}

/// What a `let x = check ...` bound.
#[derive(Clone, Debug)]
pub(crate) struct Binding {
    /// The role that performs the check.
    pub(crate) performer: Option<Role>,
    /// The outcome constructors, when the result type determines them.
    pub(crate) outcomes: Option<Vec<String>>,
    /// The checked result type, for messages.
    pub(crate) type_text: String,
    /// The declared operation, when it resolved.
    pub(crate) operation: Option<EffectOperation>,
    /// The argument names written in the call.
    pub(crate) arguments: Vec<String>,
}

/// The state of lowering one protocol instance.
pub(crate) struct Scope {
    /// The visible roles.
    pub(crate) env: RoleEnv,
    /// Recursion labels in scope, innermost last: the written label and the
    /// variable it lowered to.
    pub(crate) labels: Vec<(String, String)>,
    /// `let` bindings in scope.
    pub(crate) bindings: BTreeMap<String, Binding>,
    /// The effects the protocol `uses`.
    pub(crate) uses: Vec<String>,
}

/// The lowering of one entry protocol.
pub(crate) struct Lowerer<'m> {
    pub(crate) module: &'m Module,
    pub(crate) opts: &'m LowerOptions,
    pub(crate) diags: Vec<Diagnostic>,
    /// Messages built so far, against [`MESSAGE_BUDGET`].
    messages: usize,
    /// Steps taken so far, against [`STEP_BUDGET`].
    steps: usize,
    over_budget: bool,
    fresh: usize,
    /// Every label written by the user, so generated names never collide.
    user_labels: BTreeSet<String>,
    /// Scribble payload declarations: `type` names (named sorts) and `sig`
    /// names (messages whose payload is the signature).
    pub(crate) payload_names: PayloadNames,
    calls: Vec<CallFrame>,
    /// Whether the last `do` lowered re-entered an instance being expanded
    /// (Scribble), so the statements after it are never reached.
    pub(crate) reentered: bool,
    /// The effect sites found so far, with the span of their `case`.
    pub(crate) effect_sites: Vec<(Span, EffectSite)>,
    /// The operations the sites refer to.
    pub(crate) effects: EffectTable,
    /// The messages sent, marked `or missed` or not.
    pub(crate) missable: MissableMarks,
}

impl<'m> Lowerer<'m> {
    fn new(module: &'m Module, opts: &'m LowerOptions) -> Self {
        let mut user_labels = BTreeSet::new();
        for p in module.protocols() {
            user_labels.insert(p.name.text.clone());
            walk::collect_labels(&p.body, &mut user_labels);
        }
        Lowerer {
            module,
            opts,
            diags: Vec::new(),
            messages: 0,
            steps: 0,
            over_budget: false,
            fresh: 0,
            user_labels,
            payload_names: PayloadNames::of(module),
            calls: Vec::new(),
            reentered: false,
            effect_sites: Vec::new(),
            effects: EffectTable::default(),
            missable: MissableMarks::for_bodies(
                module.protocols().into_iter().map(|p| p.body.as_slice()),
            ),
        }
    }

    /// Lowers an entry protocol with its own declared roles.
    fn lower_entry(mut self, p: &'m Protocol) -> Result<LoweredProtocol, Vec<Diagnostic>> {
        let decls = p.declared_roles();
        let mut env = RoleEnv::from_decls(&decls, &self.opts.params, &mut self.diags);
        if !env.declared {
            env.infer_from(&p.body);
        }
        let mut scope = self.scope_for(p, env);
        let roles_key = scope.env.order.clone();
        let global = self.lower_instance(p, &mut scope, roles_key, p.name.span, GlobalType::End);
        let mut marks = self.missable.check(&global);
        self.diags.append(&mut marks);
        if !self.diags.is_empty() {
            // A block lowered several times (an unrolled loop, an inlined
            // call) reports its problems once.
            let mut seen = BTreeSet::new();
            self.diags
                .retain(|d| seen.insert((d.kind, d.span.start, d.span.end, d.message.clone())));
            return Err(self.diags);
        }
        // A block lowered several times (an unrolled loop, an inlined call)
        // is one site; sites are listed in source order.
        self.effect_sites
            .sort_by_key(|(span, _)| (span.start, span.end));
        let mut seen = BTreeSet::new();
        let sites: Vec<EffectSite> = self
            .effect_sites
            .into_iter()
            .filter(|(span, s)| {
                seen.insert((span.start, span.end, s.performer.clone(), s.partner.clone()))
            })
            .map(|(_, s)| s)
            .collect();
        let mut effects = effects::in_source_order(&self.effects, sites);
        effects.missable = self.missable.table();
        Ok(LoweredProtocol {
            name: p.name.text.clone(),
            roles: scope.env.order.clone(),
            global,
            span: p.span,
            effects,
        })
    }

    /// A fresh scope for a protocol with the given roles.
    fn scope_for(&self, p: &Protocol, env: RoleEnv) -> Scope {
        Scope {
            env,
            labels: Vec::new(),
            bindings: BTreeMap::new(),
            uses: p.uses.iter().map(|u| u.text.clone()).collect(),
        }
    }

    /// Lowers a protocol body as an instance on the call stack; in nuscr a
    /// re-entry of the same instance becomes a recursion.
    fn lower_instance(
        &mut self,
        p: &'m Protocol,
        scope: &mut Scope,
        roles: Vec<Role>,
        span: Span,
        cont: GlobalType,
    ) -> GlobalType {
        let var = self.fresh_var(&p.name.text);
        self.calls.push(CallFrame {
            protocol: p.name.text.clone(),
            roles,
            var: var.clone(),
            used: false,
            span,
        });
        let body = self.lower_block(scope, &p.body, cont);
        let used = self.calls.pop().is_some_and(|f| f.used);
        if used {
            GlobalType::rec(var, body)
        } else {
            body
        }
    }

    /// A recursion variable name based on `base` that no user label uses.
    pub(crate) fn fresh_var(&mut self, base: &str) -> String {
        loop {
            self.fresh += 1;
            let name = format!("{base}{}", self.fresh);
            if !self.user_labels.contains(&name) {
                return name;
            }
        }
    }

    /// Counts `n` new messages against the budget; false once it (or the
    /// step budget) is exhausted.
    pub(crate) fn charge(&mut self, n: usize, span: Span) -> bool {
        self.messages = self.messages.saturating_add(n);
        if self.messages > MESSAGE_BUDGET {
            self.stop_expanding(
                format!("the protocol expands to more than {MESSAGE_BUDGET} messages"),
                span,
            );
        }
        !self.over_budget
    }

    /// Gives back `n` messages charged for nodes that were merged away.
    ///
    /// A choice's branches are charged before they merge, so near the limit
    /// the count can run ahead by the branches of the choices being lowered.
    pub(crate) fn refund(&mut self, n: usize) {
        self.messages = self.messages.saturating_sub(n);
    }

    /// Counts one lowering step (a statement or a `loop repeat` iteration);
    /// false once the step (or message) budget is exhausted.
    pub(crate) fn step(&mut self, span: Span) -> bool {
        self.steps = self.steps.saturating_add(1);
        if self.steps > STEP_BUDGET {
            self.stop_expanding(
                format!(
                    "lowering the protocol takes more than {STEP_BUDGET} steps (statements and `loop repeat` iterations)"
                ),
                span,
            );
        }
        !self.over_budget
    }

    /// Reports the first exhausted budget; expansion stops from here on.
    fn stop_expanding(&mut self, message: String, span: Span) {
        if self.over_budget {
            return;
        }
        self.over_budget = true;
        self.diags.push(
            Diagnostic::new(
                DiagnosticKind::ExpansionLimit,
                message,
                span,
                "expansion stopped here",
            )
            .with_help(format!(
                "a protocol may expand to at most {MESSAGE_BUDGET} messages, a fixed limit; \
                 write long repetitions as `rec` or `loop forever`/`loop decide by`, which are not unrolled"
            )),
        );
    }

    /// A copy of a continuation, its messages counted against the budget.
    pub(crate) fn copy(&mut self, g: &GlobalType, span: Span) -> GlobalType {
        let messages = bounded_messages(g, MESSAGE_BUDGET + 1);
        if self.charge(messages, span) {
            g.clone()
        } else {
            GlobalType::End
        }
    }

    /// Whether the dialect treats call cycles as recursion.
    pub(crate) fn calls_recurse(&self) -> bool {
        self.module.dialect == Dialect::Nuscr
    }
}

/// The number of messages (communication nodes) of `g`, counting at most
/// to `limit`.
fn bounded_messages(g: &GlobalType, limit: usize) -> usize {
    let mut stack = vec![g];
    let mut n = 0;
    while let Some(g) = stack.pop() {
        if n >= limit {
            break;
        }
        match g {
            GlobalType::Comm { branches, .. } => {
                n += 1;
                stack.extend(branches.iter().map(|b| &b.continuation));
            }
            GlobalType::Rec { body, .. } => stack.push(body),
            GlobalType::Var(_) | GlobalType::End => {}
        }
    }
    n
}

/// Whether a statement list declares roles (used by `call` to decide renaming).
pub(crate) fn declares_roles(p: &Protocol) -> bool {
    !p.params.is_empty() || p.body.iter().any(|s| matches!(s.kind, StmtKind::Roles(_)))
}

#[cfg(test)]
mod budget_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{parse_module, render_all, SourceFile};

    /// Lowers the only protocol of `file` with `used` messages of the
    /// budget already spent.
    fn lower_with_spent(
        file: &SourceFile,
        used: usize,
    ) -> Result<LoweredProtocol, Vec<Diagnostic>> {
        let (module, diagnostics) = parse_module(file);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        let opts = LowerOptions::default();
        let mut lowerer = Lowerer::new(&module, &opts);
        lowerer.messages = used;
        lowerer.lower_entry(module.protocols()[0])
    }

    #[test]
    fn the_budget_is_spent_by_exactly_the_messages_built() {
        let file = SourceFile::new(
            "budget.tell",
            "protocol P =\n  roles A, B, C\n  A -> B : x\n  loop repeat 3\n    choice A at\n      | Y => A -> C : y\n      | Z =>\n        A -> C : z\n        C -> B : z2\n  B -> C : w\n",
        );
        let messages = lower_with_spent(&file, 0).unwrap().global.message_count();
        assert!(lower_with_spent(&file, MESSAGE_BUDGET - messages).is_ok());
        let over = lower_with_spent(&file, MESSAGE_BUDGET - messages + 1).unwrap_err();
        insta::assert_snapshot!(render_all(&over, &file));
    }
}
