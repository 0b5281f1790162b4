//! Statements of a protocol body.

use super::core::Parser;
use crate::ast::{
    Annotation, CaseBranch, ChoiceBranch, FamilySize, IndexBase, IndexExpr, LoopKind, Payload,
    RoleDecl, RoleIndex, RoleRef, Stmt, StmtKind,
};
use crate::lexer::TokenKind;
use telltale_types::stack::with_headroom;

/// What may start a statement, for "expected ..." messages.
const STATEMENT_STARTS: &[&str] = &[
    "a role",
    "`roles`",
    "`choice`",
    "`rec`",
    "`continue`",
    "`loop`",
    "`par`",
    "`call`",
    "`timeout`",
    "`heartbeat`",
    "`let`",
    "`case`",
];

impl Parser<'_> {
    /// Parses one statement.
    pub(crate) fn stmt(&mut self) -> Option<Stmt> {
        with_headroom(|| {
            let start = self.span();
            let col = self.raw().col;
            let keyword = match self.peek() {
                TokenKind::Ident(word) => word.clone(),
                _ => return self.fail(STATEMENT_STARTS),
            };
            let is_send_next = matches!(
                self.peek_second(),
                TokenKind::Punct("->") | TokenKind::Punct("->*") | TokenKind::Punct("[")
            );
            let kind = match keyword.as_str() {
                _ if is_send_next => self.send()?,
                "roles" => {
                    self.bump();
                    StmtKind::Roles(self.role_decls()?)
                }
                "choice" => self.choice(col)?,
                "rec" => {
                    self.bump();
                    let label = self.ident("a recursion label")?;
                    let body = self.stmt_block(col);
                    StmtKind::Rec { label, body }
                }
                "continue" => {
                    self.bump();
                    StmtKind::Continue(self.ident("a recursion label")?)
                }
                "loop" => self.loop_stmt(col)?,
                "par" => self.par(col)?,
                "call" => {
                    self.bump();
                    let protocol = self.ident("a protocol name")?;
                    let args = if self.at_punct("(") {
                        self.role_ref_list()?
                    } else {
                        Vec::new()
                    };
                    StmtKind::Call { protocol, args }
                }
                "timeout" => self.timeout(col)?,
                "heartbeat" => self.heartbeat(col)?,
                "let" => self.let_check()?,
                "case" => self.case(col)?,
                _ => self.send()?,
            };
            Some(Stmt {
                kind,
                span: self.since(start),
            })
        })
    }

    /// A block of statements owned by a construct at `owner_col`.
    pub(crate) fn stmt_block(&mut self, owner_col: usize) -> Vec<Stmt> {
        self.block(owner_col, |p| p.stmt())
    }

    /// `A -> B : M`, `A { k = v } -> B : M of T`, `A ->* : M`, each
    /// optionally followed by `or missed`.
    fn send(&mut self) -> Option<StmtKind> {
        let from = self.role_ref()?;
        let annotations = if self.at_punct("{") {
            self.annotations()?
        } else {
            Vec::new()
        };
        let (broadcast, to) = if self.eat_punct("->*") {
            (true, Vec::new())
        } else if self.eat_punct("->") {
            (false, vec![self.role_ref()?])
        } else {
            return self.fail(&["`->`", "`->*`", "`{`"]);
        };
        self.expect_punct(":")?;
        let label = self.ident("a message label")?;
        let payload = self.payload()?;
        // `or` and `missed` are contextual: after a payload nothing else
        // may follow on the line, so they cannot be a label or a type here.
        let missable = if self.eat_kw("or") {
            self.expect_kw("missed")?;
            true
        } else {
            false
        };
        Some(StmtKind::Send {
            from,
            annotations,
            to,
            broadcast,
            label,
            payload,
            missable,
        })
    }

    /// The payload after a label: nothing, `of T`, `{ fields }` or `( items )`.
    pub(crate) fn payload(&mut self) -> Option<Payload> {
        if self.eat_kw("of") {
            return Some(Payload::Of(self.type_expr(false)?));
        }
        if self.at_punct("{") {
            return Some(Payload::Record(self.record_fields()?));
        }
        if self.at_punct("(") {
            self.bump();
            let items = self.with_layout(None, |p| {
                let mut items = Vec::new();
                while !p.at_punct(")") {
                    let name = if matches!(p.peek(), TokenKind::Ident(_))
                        && matches!(p.peek_second(), TokenKind::Punct(":"))
                    {
                        let name = p.ident("a field name")?;
                        p.bump();
                        Some(name)
                    } else {
                        None
                    };
                    items.push((name, p.type_expr(true)?));
                    if !p.eat_punct(",") {
                        break;
                    }
                }
                p.expect_punct(")")?;
                Some(items)
            })?;
            return Some(Payload::Tuple(items));
        }
        Some(Payload::Unit)
    }

    /// `{ key = value, ... }` after a sender.
    fn annotations(&mut self) -> Option<Vec<Annotation>> {
        self.bump();
        self.with_layout(None, |p| {
            let mut out = Vec::new();
            while !p.at_punct("}") {
                let key = p.ident("an annotation key")?;
                p.expect_punct("=")?;
                let start = p.span();
                let mut end = start;
                while !(p.at_punct(",") || p.at_punct("}")) {
                    if matches!(p.peek(), TokenKind::Eof) {
                        return p.fail(&["`,`", "`}`"]);
                    }
                    end = p.bump().span;
                }
                if end == start && (p.at_punct(",") || p.at_punct("}")) && p.span() == start {
                    return p.fail(&["an annotation value"]);
                }
                let value = p.slice(start.to(end)).trim().to_string();
                out.push(Annotation { key, value });
                if !p.eat_punct(",") {
                    break;
                }
            }
            p.expect_punct("}")?;
            Some(out)
        })
    }

    /// `roles A, B, W[N]`.
    pub(crate) fn role_decls(&mut self) -> Option<Vec<RoleDecl>> {
        let mut out = vec![self.role_decl()?];
        while self.eat_punct(",") {
            out.push(self.role_decl()?);
        }
        Some(out)
    }

    /// `A`, `W[4]`, `W[N]`, `W[*]`.
    pub(crate) fn role_decl(&mut self) -> Option<RoleDecl> {
        let name = self.ident("a role name")?;
        let family = if self.eat_punct("[") {
            let size = match self.peek().clone() {
                TokenKind::Int(n) => {
                    self.bump();
                    FamilySize::Fixed(n)
                }
                TokenKind::Punct("*") => {
                    self.bump();
                    FamilySize::Any
                }
                TokenKind::Ident(_) => FamilySize::Symbolic(self.ident("a size")?),
                _ => return self.fail(&["a number", "a size parameter", "`*`"]),
            };
            self.expect_punct("]")?;
            Some(size)
        } else {
            None
        };
        let span = name.span.to(self.prev_end());
        Some(RoleDecl { name, family, span })
    }

    /// `A`, `W[i]`, `W[0..k]`, `W[*]`.
    pub(crate) fn role_ref(&mut self) -> Option<RoleRef> {
        let name = self.ident("a role")?;
        let index = if self.eat_punct("[") {
            let index = if self.eat_punct("*") {
                RoleIndex::All
            } else {
                let first = self.index_expr()?;
                if self.eat_punct("..") {
                    RoleIndex::Range(first, self.index_expr()?)
                } else {
                    RoleIndex::One(first)
                }
            };
            self.expect_punct("]")?;
            Some(index)
        } else {
            None
        };
        let span = name.span.to(self.prev_end());
        Some(RoleRef { name, index, span })
    }

    /// Reports a condition that is not a well-formed boolean predicate.
    fn check_condition(&mut self, text: &str, span: crate::source::Span) {
        if let Err(problem) = crate::predicate::check_predicate(text) {
            self.report(
                crate::diagnostic::Diagnostic::new(
                    crate::diagnostic::DiagnosticKind::InvalidPredicate,
                    format!("invalid condition: {problem}"),
                    span,
                    "expected a boolean predicate",
                )
                .with_help("write a comparison or a boolean expression, e.g. `balance > price`"),
            );
        }
    }

    /// `(A, B, W[0])`.
    pub(crate) fn role_ref_list(&mut self) -> Option<Vec<RoleRef>> {
        self.expect_punct("(")?;
        self.with_layout(None, |p| {
            let mut out = Vec::new();
            while !p.at_punct(")") {
                out.push(p.role_ref()?);
                if !p.eat_punct(",") {
                    break;
                }
            }
            p.expect_punct(")")?;
            Some(out)
        })
    }

    /// `3`, `N`, `N-1`, `i+1`.
    fn index_expr(&mut self) -> Option<IndexExpr> {
        let start = self.span();
        let base = match self.peek().clone() {
            TokenKind::Int(n) => {
                self.bump();
                IndexBase::Literal(n)
            }
            TokenKind::Ident(name) => {
                self.bump();
                IndexBase::Param(name)
            }
            _ => return self.fail(&["a number", "a size parameter", "`*`"]),
        };
        let mut offset = 0i64;
        loop {
            let sign = if self.eat_punct("+") {
                1
            } else if self.eat_punct("-") {
                -1
            } else {
                break;
            };
            match self.peek().clone() {
                TokenKind::Int(n) => {
                    self.bump();
                    let n = i64::try_from(n).unwrap_or(i64::MAX);
                    offset = offset.saturating_add(sign * n);
                }
                _ => return self.fail(&["a number"]),
            }
        }
        Some(IndexExpr {
            base,
            offset,
            span: self.since(start),
        })
    }

    /// Parses `| ... => ...`-style branches, owned by a construct at `owner_col`.
    fn branches<T>(
        &mut self,
        owner_col: usize,
        mut branch: impl FnMut(&mut Self) -> Option<T>,
    ) -> Vec<T> {
        let explicit = self.eat_punct("{");
        let mut run = |p: &mut Self| {
            let mut out = Vec::new();
            while p.continuation_at(owner_col, |k| matches!(k, TokenKind::Punct("|"))) {
                match branch(p) {
                    Some(b) => out.push(b),
                    None => p.recover(),
                }
            }
            out
        };
        if explicit {
            let out = self.with_layout(None, run);
            self.expect_punct("}");
            out
        } else {
            run(self)
        }
    }

    /// `choice A at | X when (g) => ...`.
    fn choice(&mut self, col: usize) -> Option<StmtKind> {
        self.bump();
        let decider = self.role_ref()?;
        self.expect_kw("at")?;
        let branches = self.branches(col, |p| {
            let bar = p.bump();
            let name = p.ident("a branch name")?;
            let guard = if p.eat_kw("when") {
                let open = p.expect_punct("(")?;
                let text = p.balanced_text(")")?;
                p.check_condition(&text, p.since(open));
                Some(text)
            } else {
                None
            };
            p.expect_punct("=>")?;
            let body = p.stmt_block(bar.col);
            Some(ChoiceBranch {
                name,
                guard,
                body,
                span: p.since(bar.span),
            })
        });
        if branches.is_empty() {
            return self.fail(&["`|` starting a branch"]);
        }
        Some(StmtKind::Choice { decider, branches })
    }

    /// `loop forever|repeat n|decide by A|while "p"` and its body.
    fn loop_stmt(&mut self, col: usize) -> Option<StmtKind> {
        self.bump();
        let kind = if self.eat_kw("forever") {
            LoopKind::Forever
        } else if self.eat_kw("repeat") {
            match self.peek().clone() {
                TokenKind::Int(n) => {
                    self.bump();
                    LoopKind::Repeat(n)
                }
                _ => return self.fail(&["a repetition count"]),
            }
        } else if self.eat_kw("decide") {
            self.expect_kw("by")?;
            LoopKind::DecideBy(self.role_ref()?)
        } else if self.eat_kw("while") {
            match self.peek().clone() {
                TokenKind::Str(cond) => {
                    let span = self.bump().span;
                    self.check_condition(&cond, span);
                    LoopKind::While(cond)
                }
                _ => return self.fail(&["a quoted condition"]),
            }
        } else {
            return self.fail(&["`forever`", "`repeat`", "`decide`", "`while`"]);
        };
        let body = self.stmt_block(col);
        Some(StmtKind::Loop { kind, body })
    }

    /// `par | stmts | stmts`.
    fn par(&mut self, col: usize) -> Option<StmtKind> {
        self.bump();
        let branches = self.branches(col, |p| {
            let bar = p.bump();
            let body = p.stmt_block(bar.col);
            Some((body, p.since(bar.span)))
        });
        if branches.is_empty() {
            return self.fail(&["`|` starting a branch"]);
        }
        Some(StmtKind::Par(branches))
    }

    /// `timeout 5s A at <block> on timeout => <block>`.
    fn timeout(&mut self, col: usize) -> Option<StmtKind> {
        self.bump();
        let duration = match self.peek().clone() {
            TokenKind::Duration(d) => {
                self.bump();
                d
            }
            _ => return self.fail(&["a duration such as `5s`"]),
        };
        let role = self.role_ref()?;
        self.expect_kw("at")?;
        let body = self.stmt_block(col);
        if !self.continuation_at(col, |k| matches!(k, TokenKind::Ident(w) if w == "on")) {
            return self.fail(&["`on timeout =>`"]);
        }
        self.bump();
        self.expect_kw("timeout")?;
        self.expect_punct("=>")?;
        let on_timeout = self.stmt_block(col);
        Some(StmtKind::Timeout {
            duration,
            role,
            body,
            on_timeout,
        })
    }

    /// `heartbeat A -> B every 1s on_missing(3) { ... } body { ... }`.
    fn heartbeat(&mut self, col: usize) -> Option<StmtKind> {
        self.bump();
        let from = self.role_ref()?;
        self.expect_punct("->")?;
        let to = self.role_ref()?;
        self.expect_kw("every")?;
        let every = match self.peek().clone() {
            TokenKind::Duration(d) => {
                self.bump();
                d
            }
            _ => return self.fail(&["a duration such as `1s`"]),
        };
        self.expect_kw("on_missing")?;
        self.expect_punct("(")?;
        let missing = match self.peek().clone() {
            TokenKind::Int(n) => {
                self.bump();
                n
            }
            _ => return self.fail(&["a number of missed beats"]),
        };
        self.expect_punct(")")?;
        let on_missing = self.stmt_block(col);
        if !self.continuation_at(col, |k| matches!(k, TokenKind::Ident(w) if w == "body")) {
            return self.fail(&["`body`"]);
        }
        self.bump();
        let body = self.stmt_block(col);
        Some(StmtKind::Heartbeat {
            from,
            to,
            every,
            missing,
            on_missing,
            body,
        })
    }

    /// `let x = check E.op(args) [at A]`.
    fn let_check(&mut self) -> Option<StmtKind> {
        self.bump();
        let var = self.ident("a variable name")?;
        self.expect_punct("=")?;
        self.expect_kw("check")?;
        let effect = self.ident("an effect name")?;
        self.expect_punct(".")?;
        let operation = self.ident("an operation name")?;
        self.expect_punct("(")?;
        let text = self.balanced_text(")")?;
        let args = split_arguments(&text);
        let at = if self.eat_kw("at") {
            Some(self.role_ref()?)
        } else {
            None
        };
        Some(StmtKind::Let {
            var,
            effect,
            operation,
            args,
            at,
        })
    }

    /// `case x of | Ok(v) => ... | Err(e) => ...`.
    fn case(&mut self, col: usize) -> Option<StmtKind> {
        self.bump();
        let scrutinee = self.ident("the name bound by `let`")?;
        self.expect_kw("of")?;
        let branches = self.branches(col, |p| {
            let bar = p.bump();
            let constructor = p.ident("a constructor such as `Ok` or `Err`")?;
            let binder = if p.eat_punct("(") {
                let name = p.ident("a variable name")?;
                p.expect_punct(")")?;
                Some(name)
            } else if matches!(p.peek(), TokenKind::Ident(_)) {
                Some(p.ident("a variable name")?)
            } else {
                None
            };
            p.expect_punct("=>")?;
            let body = p.stmt_block(bar.col);
            Some(CaseBranch {
                constructor,
                binder,
                body,
                span: p.since(bar.span),
            })
        });
        if branches.is_empty() {
            return self.fail(&["`|` starting a case branch"]);
        }
        Some(StmtKind::Case {
            scrutinee,
            branches,
        })
    }
}

/// Splits an argument list at top-level commas.
fn split_arguments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}
