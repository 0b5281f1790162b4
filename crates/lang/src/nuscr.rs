//! The Scribble/nuscr front-end.
//!
//! Reads `global protocol P(role A, role B) { ... }` files into the same
//! [`Module`] as `.tell`, so lowering, formatting and explaining are shared.
//! Refinements (`x: int{x > 0}`) are skipped; known nuscr pragmas are
//! accepted and ignored; an unknown pragma is an error naming it. A choice
//! branch is named after the label of its first message.

use crate::ast::{
    ChoiceBranch, Dialect, Item, Module, Name, Payload, Protocol, RoleDecl, RoleRef, Stmt,
    StmtKind, TypeExpr,
};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::lexer::{lex, TokenKind};
use crate::parser::Parser;
use crate::source::{SourceFile, Span};
use telltale_types::stack::with_headroom;

/// The pragmas nuscr defines.
const KNOWN_PRAGMAS: &[&str] = &[
    "RefinementTypes",
    "NestedProtocols",
    "ShowPragmas",
    "PrintUsage",
    "SenderValidateRefinements",
    "ReceiverValidateRefinements",
    "ValidateRefinementSatisfiability",
    "ValidateRefinementProgress",
];

/// What may start a nuscr statement.
const STATEMENT_STARTS: &[&str] = &[
    "a message `m(...) from A to B;`",
    "`choice`",
    "`rec`",
    "`continue`",
    "`do`",
    "`par`",
];

/// Parses a Scribble/nuscr file into a module.
pub fn parse_nuscr(file: &SourceFile) -> (Module, Vec<Diagnostic>) {
    let lexed = lex(&file.text, Dialect::Nuscr);
    let mut parser = Parser::new_free_form(&file.text, lexed.tokens);
    let mut module = Module {
        dialect: Dialect::Nuscr,
        ..Module::default()
    };
    parser.nuscr_module(&mut module);
    module.comments = lexed.comments;
    let mut diagnostics = lexed.diagnostics;
    diagnostics.extend(parser.finish());
    (module, diagnostics)
}

impl Parser<'_> {
    fn nuscr_module(&mut self, module: &mut Module) {
        loop {
            let token = self.raw().clone();
            match &token.kind {
                TokenKind::Eof => break,
                TokenKind::Pragma(text) => {
                    self.bump();
                    module
                        .items
                        .push(Item::Pragma(self.pragmas(text, token.span)));
                }
                TokenKind::Ident(w) if w == "type" || w == "import" || w == "sig" => {
                    self.skip_past_semicolon();
                }
                TokenKind::Ident(w)
                    if matches!(w.as_str(), "global" | "aux" | "explicit" | "protocol") =>
                {
                    match self.nuscr_protocol() {
                        Some(p) => module.items.push(Item::Protocol(p)),
                        None => self.skip_to_protocol(),
                    }
                }
                _ => {
                    self.fail::<()>(&["`global protocol`", "a pragma `(*# ... #*)`", "`type`"]);
                    self.skip_to_protocol();
                }
            }
        }
    }

    /// Checks the names in a pragma block.
    fn pragmas(&mut self, text: &str, span: Span) -> Vec<Name> {
        let mut names = Vec::new();
        for name in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            if !KNOWN_PRAGMAS.contains(&name) {
                self.report(
                    Diagnostic::new(
                        DiagnosticKind::UnknownPragma,
                        format!("unknown pragma `{name}`"),
                        span,
                        "not a nuscr pragma",
                    )
                    .with_help(format!("known pragmas: {}", KNOWN_PRAGMAS.join(", "))),
                );
            }
            names.push(Name {
                text: name.to_string(),
                span,
            });
        }
        names
    }

    fn skip_past_semicolon(&mut self) {
        loop {
            match self.raw().kind {
                TokenKind::Eof => break,
                TokenKind::Punct(";") => {
                    self.bump();
                    break;
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Skips to the next `global`/`protocol`/pragma at the top level.
    fn skip_to_protocol(&mut self) {
        let start = self.span();
        loop {
            let token = self.raw();
            let stop = match &token.kind {
                TokenKind::Eof => true,
                TokenKind::Pragma(_) => true,
                TokenKind::Ident(w) => {
                    matches!(w.as_str(), "global" | "aux" | "explicit") && token.first_on_line
                }
                _ => false,
            };
            if stop && token.span != start {
                break;
            }
            if matches!(token.kind, TokenKind::Eof) {
                break;
            }
            self.bump();
        }
    }

    /// `[aux|explicit] global protocol P(role A, role B) { ... }`.
    fn nuscr_protocol(&mut self) -> Option<Protocol> {
        let start = self.span();
        while self.eat_kw("aux") || self.eat_kw("explicit") {}
        self.eat_kw("global");
        self.expect_kw("protocol")?;
        let name = self.ident("a protocol name")?;
        if self.eat_punct("<") {
            self.balanced_text(">")?;
        }
        self.expect_punct("(")?;
        let mut params = Vec::new();
        while !self.at_punct(")") {
            let role_kw = self.expect_kw("role")?;
            let name = self.ident("a role name")?;
            params.push(RoleDecl {
                span: role_kw.to(name.span),
                name,
                family: None,
            });
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")")?;
        let body = self.nuscr_block()?;
        Some(Protocol {
            name,
            params,
            uses: Vec::new(),
            body,
            nested: Vec::new(),
            span: self.since(start),
        })
    }

    /// `{ stmt* }`.
    fn nuscr_block(&mut self) -> Option<Vec<Stmt>> {
        self.expect_punct("{")?;
        if !self.enter() {
            return None;
        }
        let mut out = Vec::new();
        loop {
            while self.eat_punct(";") {}
            if self.at_punct("}") || matches!(self.peek(), TokenKind::Eof) {
                break;
            }
            match self.nuscr_stmt() {
                Some(s) => out.push(s),
                None => self.recover_nuscr(),
            }
        }
        self.leave();
        self.expect_punct("}")?;
        Some(out)
    }

    /// Skips past the next `;` or to the next `}` (without consuming it).
    fn recover_nuscr(&mut self) {
        let start = self.span();
        loop {
            match self.raw().kind {
                TokenKind::Eof => break,
                TokenKind::Punct(";") => {
                    self.bump();
                    break;
                }
                TokenKind::Punct("}") if self.span() != start => break,
                _ => {
                    self.bump();
                }
            }
        }
    }

    fn nuscr_stmt(&mut self) -> Option<Stmt> {
        with_headroom(|| {
            let start = self.span();
            let word = match self.peek() {
                TokenKind::Ident(w) => w.clone(),
                _ => return self.fail(STATEMENT_STARTS),
            };
            let next_is_paren = matches!(self.peek_second(), TokenKind::Punct("("));
            let kind = match word.as_str() {
                "choice" if !next_is_paren => {
                    self.bump();
                    self.expect_kw("at")?;
                    let decider = self.nuscr_role()?;
                    let mut branches = Vec::new();
                    loop {
                        let bstart = self.span();
                        let body = self.nuscr_block()?;
                        let name = match body.first().map(|s| &s.kind) {
                            Some(StmtKind::Send { label, .. }) => label.clone(),
                            _ => Name {
                                text: format!("Branch{}", branches.len() + 1),
                                span: bstart,
                            },
                        };
                        branches.push(ChoiceBranch {
                            name,
                            guard: None,
                            body,
                            span: self.since(bstart),
                        });
                        if !self.eat_kw("or") {
                            break;
                        }
                    }
                    StmtKind::Choice { decider, branches }
                }
                "rec" if !next_is_paren => {
                    self.bump();
                    let label = self.ident("a recursion label")?;
                    let body = self.nuscr_block()?;
                    StmtKind::Rec { label, body }
                }
                "continue" if !next_is_paren => {
                    self.bump();
                    let label = self.ident("a recursion label")?;
                    self.expect_punct(";")?;
                    StmtKind::Continue(label)
                }
                "do" if !next_is_paren => {
                    self.bump();
                    let protocol = self.ident("a protocol name")?;
                    self.expect_punct("(")?;
                    let mut args = Vec::new();
                    while !self.at_punct(")") {
                        args.push(self.nuscr_role()?);
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                    self.expect_punct(")")?;
                    self.expect_punct(";")?;
                    StmtKind::Call { protocol, args }
                }
                "par" if !next_is_paren => {
                    self.bump();
                    let mut branches = Vec::new();
                    loop {
                        let bstart = self.span();
                        let body = self.nuscr_block()?;
                        branches.push((body, self.since(bstart)));
                        if !self.eat_kw("and") {
                            break;
                        }
                    }
                    StmtKind::Par(branches)
                }
                _ => self.nuscr_message()?,
            };
            Some(Stmt {
                kind,
                span: self.since(start),
            })
        })
    }

    /// `m(x: int, string) from A to B, C;`.
    fn nuscr_message(&mut self) -> Option<StmtKind> {
        let label = self.ident("a message label")?;
        let payload = if self.at_punct("(") {
            self.bump();
            let mut items = Vec::new();
            while !self.at_punct(")") {
                let first = self.ident("a payload type or field name")?;
                let item = if self.eat_punct(":") {
                    let ty = self.nuscr_type()?;
                    (Some(first), ty)
                } else {
                    let mut path = vec![first.text.clone()];
                    while self.eat_punct(".") {
                        path.push(self.ident("a type name")?.text);
                    }
                    let span = self.since(first.span);
                    (
                        None,
                        TypeExpr::Path {
                            path,
                            args: Vec::new(),
                            span,
                        },
                    )
                };
                items.push(item);
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct(")")?;
            Payload::Tuple(items)
        } else {
            Payload::Unit
        };
        self.expect_kw("from")?;
        let from = self.nuscr_role()?;
        self.expect_kw("to")?;
        let mut to = vec![self.nuscr_role()?];
        while self.eat_punct(",") {
            to.push(self.nuscr_role()?);
        }
        self.expect_punct(";")?;
        Some(StmtKind::Send {
            from,
            annotations: Vec::new(),
            to,
            broadcast: false,
            label,
            payload,
        })
    }

    /// A payload type, skipping a refinement `{ ... }` after it.
    fn nuscr_type(&mut self) -> Option<TypeExpr> {
        let first = self.ident("a type")?;
        let mut path = vec![first.text.clone()];
        while self.eat_punct(".") {
            path.push(self.ident("a type name")?.text);
        }
        let span = self.since(first.span);
        if self.eat_punct("{") {
            self.balanced_text("}")?;
        }
        Some(TypeExpr::Path {
            path,
            args: Vec::new(),
            span,
        })
    }

    fn nuscr_role(&mut self) -> Option<RoleRef> {
        let name = self.ident("a role")?;
        Some(RoleRef {
            span: name.span,
            name,
            index: None,
        })
    }
}
