//! Scribble protocols and their statements.

use crate::ast::{ChoiceBranch, Name, Protocol, RoleDecl, RoleRef, Stmt, StmtKind};
use crate::lexer::TokenKind;
use crate::parser::Parser;
use telltale_types::stack::with_headroom;

/// What may start a Scribble statement.
const STATEMENT_STARTS: &[&str] = &[
    "a message `m(...) from A to B;`",
    "`choice`",
    "`rec`",
    "`continue`",
    "`do`",
    "`par`",
];

impl Parser<'_> {
    /// `[aux|explicit] global protocol P(role A, role B) { ... }`.
    pub(super) fn nuscr_protocol(&mut self) -> Option<Protocol> {
        let start = self.span();
        let mut aux = false;
        loop {
            if self.eat_kw("aux") {
                aux = true;
            } else if !self.eat_kw("explicit") {
                break;
            }
        }
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
            aux,
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
            if self.unsupported_stmt() {
                continue;
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
                // Numeric and empty message operators: `1() from A to B;`, `() from A to B;`.
                TokenKind::Int(_) | TokenKind::Punct("(") => String::new(),
                _ => return self.fail(STATEMENT_STARTS),
            };
            let next_is_paren = matches!(self.peek_second(), TokenKind::Punct("("));
            let kind = match word.as_str() {
                "choice" if !next_is_paren => self.nuscr_choice()?,
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
                    let protocol = self.dotted_name("a protocol name")?;
                    if self.eat_punct("<") {
                        self.balanced_text(">")?;
                    }
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

    /// `choice at A { ... } or { ... }`.
    fn nuscr_choice(&mut self) -> Option<StmtKind> {
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
        Some(StmtKind::Choice { decider, branches })
    }

    /// A role reference (Scribble roles are plain names).
    pub(super) fn nuscr_role(&mut self) -> Option<RoleRef> {
        let name = self.ident("a role")?;
        Some(RoleRef {
            span: name.span,
            name,
            index: None,
        })
    }
}
