//! Token access, layout, errors and recovery for the parser.

use crate::ast::Name;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::lexer::{Token, TokenKind};
use crate::source::Span;
use std::cell::Cell;

/// The deepest nesting of blocks and types the parser accepts.
pub(crate) const MAX_DEPTH: usize = 200;

/// The token returned at a layout boundary and at the end of input.
static EOF: TokenKind = TokenKind::Eof;

/// Parser state shared by the grammar modules.
pub(crate) struct Parser<'a> {
    /// The source text, for slicing guards and annotation values.
    pub(crate) text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// Innermost-last block contexts: `Some(col)` for layout, `None` for braces.
    layout: Vec<Option<usize>>,
    /// A token index allowed through even though it sits on a layout boundary.
    allowed: usize,
    diagnostics: Vec<Diagnostic>,
    steps: Cell<usize>,
    step_limit: usize,
    /// Current nesting depth.
    pub(crate) depth: usize,
    /// Whether the nesting limit was already reported.
    reported_depth: bool,
}

impl<'a> Parser<'a> {
    /// A parser over lexed tokens (which must end with `Eof`).
    pub(crate) fn new(text: &'a str, mut tokens: Vec<Token>) -> Self {
        if !matches!(tokens.last().map(|t| &t.kind), Some(TokenKind::Eof)) {
            tokens.push(Token {
                kind: TokenKind::Eof,
                span: Span::new(text.len(), text.len()),
                col: 0,
                first_on_line: true,
            });
        }
        let step_limit = tokens.len().saturating_mul(64).saturating_add(10_000);
        Parser {
            text,
            tokens,
            pos: 0,
            layout: vec![Some(0)],
            allowed: 0,
            diagnostics: Vec::new(),
            steps: Cell::new(0),
            step_limit,
            depth: 0,
            reported_depth: false,
        }
    }

    /// A parser for brace-delimited syntax, where layout plays no part.
    pub(crate) fn new_free_form(text: &'a str, tokens: Vec<Token>) -> Self {
        let mut parser = Parser::new(text, tokens);
        parser.layout = vec![None];
        parser
    }

    /// The diagnostics collected so far, plus one if the step budget ran out.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        if self.steps.get() > self.step_limit {
            let end = self.text.len();
            self.diagnostics.push(Diagnostic::new(
                DiagnosticKind::Syntax,
                "the parser gave up: the input is too irregular to recover from",
                Span::new(end, end),
                "parsing stopped",
            ));
        }
        self.diagnostics
    }

    /// Whether the step budget is exhausted (then everything looks like `Eof`).
    fn out_of_steps(&self) -> bool {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        steps > self.step_limit
    }

    /// The current token ignoring layout.
    pub(crate) fn raw(&self) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[self.pos.min(last)]
    }

    /// Whether the current token is hidden by layout (or is the end).
    pub(crate) fn at_boundary(&self) -> bool {
        let token = self.raw();
        if matches!(token.kind, TokenKind::Eof) || self.out_of_steps() {
            return true;
        }
        if self.pos == self.allowed || !token.first_on_line {
            return false;
        }
        matches!(self.layout.last(), Some(Some(col)) if token.col <= *col)
    }

    /// The current token as the grammar sees it.
    pub(crate) fn peek(&self) -> &TokenKind {
        if self.at_boundary() {
            &EOF
        } else {
            &self.raw().kind
        }
    }

    /// The token after the current one, ignoring layout.
    pub(crate) fn peek_second(&self) -> &TokenKind {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + 1).min(last)].kind
    }

    /// The span of the current token.
    pub(crate) fn span(&self) -> Span {
        self.raw().span
    }

    /// The span ending the previous token (for zero-width errors).
    pub(crate) fn prev_end(&self) -> Span {
        let end = if self.pos == 0 {
            0
        } else {
            self.tokens[(self.pos - 1).min(self.tokens.len() - 1)]
                .span
                .end
        };
        Span::new(end, end)
    }

    /// The span from `start` to the end of the previous token.
    pub(crate) fn since(&self, start: Span) -> Span {
        Span::new(start.start, self.prev_end().end.max(start.start))
    }

    /// Consumes the current token.
    pub(crate) fn bump(&mut self) -> Token {
        let token = self.raw().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    /// Lets the current token through a layout boundary.
    pub(crate) fn allow_here(&mut self) {
        self.allowed = self.pos;
    }

    /// Whether the current token is the punctuation `p`.
    pub(crate) fn at_punct(&self, p: &str) -> bool {
        matches!(self.peek(), TokenKind::Punct(q) if *q == p)
    }

    /// Whether the current token is the identifier `kw`.
    pub(crate) fn at_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), TokenKind::Ident(w) if w == kw)
    }

    /// Whether the raw next token (ignoring layout) is the identifier `kw`.
    pub(crate) fn raw_is_kw(&self, kw: &str) -> bool {
        matches!(&self.raw().kind, TokenKind::Ident(w) if w == kw)
    }

    /// Consumes `p` if it is next.
    pub(crate) fn eat_punct(&mut self, p: &str) -> bool {
        let hit = self.at_punct(p);
        if hit {
            self.bump();
        }
        hit
    }

    /// Consumes the keyword `kw` if it is next.
    pub(crate) fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.at_kw(kw);
        if hit {
            self.bump();
        }
        hit
    }

    /// Consumes `p` or reports what was expected.
    pub(crate) fn expect_punct(&mut self, p: &str) -> Option<Span> {
        if self.at_punct(p) {
            Some(self.bump().span)
        } else {
            self.fail(&[&format!("`{p}`")])
        }
    }

    /// Consumes the keyword `kw` or reports what was expected.
    pub(crate) fn expect_kw(&mut self, kw: &str) -> Option<Span> {
        if self.at_kw(kw) {
            Some(self.bump().span)
        } else {
            self.fail(&[&format!("`{kw}`")])
        }
    }

    /// Consumes an identifier, describing it as `what` if it is missing.
    pub(crate) fn ident(&mut self, what: &str) -> Option<Name> {
        if let TokenKind::Ident(text) = self.peek() {
            let text = text.clone();
            let span = self.bump().span;
            Some(Name { text, span })
        } else {
            self.fail(&[what])
        }
    }

    /// Reports a syntax error at the current token and returns `None`.
    pub(crate) fn fail<T>(&mut self, expected: &[&str]) -> Option<T> {
        let (found, span) = if self.at_boundary() {
            let found = if matches!(self.raw().kind, TokenKind::Eof) {
                "end of file".to_string()
            } else {
                "end of statement".to_string()
            };
            (found, self.prev_end())
        } else {
            (self.raw().kind.describe(), self.span())
        };
        let expected: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
        let message = match expected.as_slice() {
            [one] => format!("expected {one}, found {found}"),
            _ => format!("expected one of {}, found {found}", expected.join(", ")),
        };
        let label = format!("unexpected {found}");
        self.diagnostics.push(
            Diagnostic::new(DiagnosticKind::Syntax, message, span, label).with_expected(expected),
        );
        None
    }

    /// Records a diagnostic produced by a grammar rule.
    pub(crate) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Skips to the next statement boundary, consuming at least one token.
    pub(crate) fn recover(&mut self) {
        let start = self.pos;
        loop {
            if self.at_boundary() {
                break;
            }
            let token = self.raw();
            if self.pos > start
                && (token.first_on_line
                    || matches!(token.kind, TokenKind::Punct(";") | TokenKind::Punct("}")))
            {
                break;
            }
            if self.pos > start && matches!(token.kind, TokenKind::Punct("|")) {
                break;
            }
            self.bump();
        }
    }

    /// Runs `f` inside a layout context (`None` = braces, `Some(col)` = indentation).
    pub(crate) fn with_layout<T>(
        &mut self,
        ctx: Option<usize>,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        self.layout.push(ctx);
        let out = f(self);
        self.layout.pop();
        out
    }

    /// Enters one nesting level, reporting when the input is nested too deeply.
    pub(crate) fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            if !self.reported_depth {
                self.reported_depth = true;
                let span = self.span();
                self.report(Diagnostic::new(
                    DiagnosticKind::Syntax,
                    format!("nesting deeper than {MAX_DEPTH} levels"),
                    span,
                    "too deeply nested",
                ));
            }
            return false;
        }
        self.depth += 1;
        true
    }

    /// Skips the construct that starts here and nests too deeply, so that it
    /// costs one error however deep it goes and the enclosing levels see
    /// their own closing tokens again.
    ///
    /// A bracketed construct is skipped to its matching closer. A layout
    /// block owned by a construct at `owner_col` is skipped to the first
    /// line at or left of that column, or to a `}`, `)`, `]` or `|` on the
    /// same line that closes something outside it. Without an owner only a
    /// bracketed construct is skipped.
    pub(crate) fn skip_too_deep(&mut self, owner_col: Option<usize>) {
        let bracketed = matches!(self.raw().kind, TokenKind::Punct("{" | "(" | "["));
        if !bracketed && owner_col.is_none() {
            return;
        }
        let mut open = 0usize;
        let mut first = true;
        loop {
            let token = self.raw();
            if matches!(token.kind, TokenKind::Eof) {
                return;
            }
            if open == 0 && !first && !bracketed {
                let outside = owner_col.is_some_and(|col| token.first_on_line && token.col <= col);
                let closes_outer = !token.first_on_line
                    && matches!(token.kind, TokenKind::Punct("}" | ")" | "]" | "|"));
                if outside || closes_outer {
                    return;
                }
            }
            first = false;
            match token.kind {
                TokenKind::Punct("{" | "(" | "[") => open += 1,
                TokenKind::Punct("}" | ")" | "]") if open > 0 => {
                    open -= 1;
                    if open == 0 && bracketed {
                        self.bump();
                        return;
                    }
                }
                TokenKind::Punct("}" | ")" | "]") if !bracketed => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Leaves one nesting level entered with [`Parser::enter`].
    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Parses a block of items owned by a construct starting at `owner_col`:
    /// `{ ... }`, an indented run of lines, or items on the same line
    /// separated by `;`.
    pub(crate) fn block<T>(
        &mut self,
        owner_col: usize,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        if !self.enter() {
            self.skip_too_deep(Some(owner_col));
            return out;
        }
        if self.at_punct("{") {
            self.bump();
            self.with_layout(None, |p| {
                loop {
                    while p.eat_punct(";") {}
                    if p.at_punct("}") || matches!(p.peek(), TokenKind::Eof) {
                        break;
                    }
                    match item(p) {
                        Some(x) => out.push(x),
                        None => p.recover(),
                    }
                }
                p.expect_punct("}");
            });
        } else if self.raw().first_on_line
            && !matches!(self.raw().kind, TokenKind::Eof)
            && self.raw().col > owner_col
            && !self.layout_hides_column(self.raw().col)
        {
            let col = self.raw().col;
            self.with_layout(Some(col), |p| p.layout_items(col, &mut item, &mut out));
        } else if !self.at_boundary() {
            // A block starting on the owner's line continues on every
            // following line indented further than the owner.
            self.with_layout(Some(owner_col), |p| {
                p.layout_items(owner_col + 1, &mut item, &mut out)
            });
        } else {
            self.fail::<()>(&["a block (an indented line or `{`)"]);
        }
        self.leave();
        out
    }

    /// Whether an enclosing layout block would already end at `col`.
    fn layout_hides_column(&self, col: usize) -> bool {
        matches!(self.layout.last(), Some(Some(c)) if col <= *c)
    }

    /// The lines of an indented block at column `col`.
    fn layout_items<T>(
        &mut self,
        col: usize,
        item: &mut impl FnMut(&mut Self) -> Option<T>,
        out: &mut Vec<T>,
    ) {
        let mut first = true;
        loop {
            let token = self.raw();
            if matches!(token.kind, TokenKind::Eof) || self.out_of_steps() {
                break;
            }
            if first {
                first = false;
            } else if token.first_on_line {
                if token.col < col {
                    break;
                }
            } else if matches!(token.kind, TokenKind::Punct("}") | TokenKind::Punct("|")) {
                break;
            } else if !self.eat_punct(";") {
                let span = self.span();
                let found = self.raw().kind.describe();
                self.report(
                    Diagnostic::new(
                        DiagnosticKind::Syntax,
                        format!("expected end of line, found {found}"),
                        span,
                        "unexpected token after the statement",
                    )
                    .with_expected(vec!["end of line".into()]),
                );
                self.skip_line();
                continue;
            }
            if self.raw_is_kw("where") {
                break;
            }
            self.allow_here();
            match item(self) {
                Some(x) => out.push(x),
                None => self.recover(),
            }
        }
    }

    /// Skips the rest of the current line.
    fn skip_line(&mut self) {
        loop {
            let token = self.raw();
            if token.first_on_line || matches!(token.kind, TokenKind::Eof) {
                break;
            }
            self.bump();
        }
    }

    /// Lets a keyword that continues the current construct (`on`, `body`,
    /// `where`, a branch `|`) through when it starts a line at or right of
    /// the construct's column.
    pub(crate) fn continuation_at(
        &mut self,
        owner_col: usize,
        matches: impl Fn(&TokenKind) -> bool,
    ) -> bool {
        let token = self.raw();
        let ok = matches(&token.kind)
            && !matches!(token.kind, TokenKind::Eof)
            && (!token.first_on_line || token.col >= owner_col)
            && !self.out_of_steps();
        if ok {
            self.allow_here();
        }
        ok
    }

    /// The source text of a span.
    pub(crate) fn slice(&self, span: Span) -> String {
        self.text
            .get(span.start..span.end)
            .unwrap_or_default()
            .to_string()
    }

    /// Collects the source text up to the matching `close`, consuming it.
    pub(crate) fn balanced_text(&mut self, close: &str) -> Option<String> {
        self.with_layout(None, |p| p.balanced_text_inner(close))
    }

    fn balanced_text_inner(&mut self, close: &str) -> Option<String> {
        let open = match close {
            ")" => "(",
            "]" => "[",
            _ => "{",
        };
        let start = self.span();
        let mut depth = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return self.fail(&[&format!("`{close}`")]),
                TokenKind::Punct(p) if *p == close && depth == 0 => {
                    let end = self.span();
                    self.bump();
                    return Some(
                        self.slice(Span::new(start.start, end.start))
                            .trim()
                            .to_string(),
                    );
                }
                TokenKind::Punct(p) if *p == close => depth -= 1,
                TokenKind::Punct(p) if *p == open => depth += 1,
                _ => {}
            }
            self.bump();
        }
    }
}
