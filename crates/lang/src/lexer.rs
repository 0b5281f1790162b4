//! The lexer shared by both front-ends.
//!
//! Tokens carry their byte span, their 0-based column and whether they are
//! the first token on their line; the parser uses the last two to implement
//! layout (indentation opens a block). Comments are kept aside so the
//! formatter can put them back.

use crate::ast::Dialect;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::Span;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An identifier or keyword (keywords are contextual).
    Ident(String),
    /// A non-negative integer literal.
    Int(u64),
    /// A duration literal such as `5s` or `100ms`, kept as written.
    Duration(String),
    /// A string literal without its quotes.
    Str(String),
    /// A nuscr pragma block `(*# ... #*)` with its inner text.
    Pragma(String),
    /// Punctuation or an operator, as written (`->`, `->*`, `=>`, `:`, `{`, `>=`, ...).
    Punct(&'static str),
    /// The end of the input.
    Eof,
}

impl TokenKind {
    /// How the token is shown in "expected ..., found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(name) => format!("`{name}`"),
            TokenKind::Int(n) => format!("number `{n}`"),
            TokenKind::Duration(d) => format!("duration `{d}`"),
            TokenKind::Str(s) => format!("string \"{s}\""),
            TokenKind::Pragma(p) => format!("pragma `{p}`"),
            TokenKind::Punct(p) => format!("`{p}`"),
            TokenKind::Eof => "end of file".to_string(),
        }
    }
}

/// One token with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
    /// Its 0-based column in characters.
    pub col: usize,
    /// Whether it is the first token on its line.
    pub first_on_line: bool,
}

/// A comment kept for the formatter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Where the comment is.
    pub span: Span,
    /// Its full text including the comment markers.
    pub text: String,
}

/// The result of lexing: tokens (ending with `Eof`), comments and problems.
#[derive(Clone, Debug, Default)]
pub struct Lexed {
    /// The tokens, always ending with one `Eof`.
    pub tokens: Vec<Token>,
    /// The comments in source order.
    pub comments: Vec<Comment>,
    /// Lexical errors.
    pub diagnostics: Vec<Diagnostic>,
}

/// Multi-character punctuation, longest first so that `->*` wins over `->`.
const PUNCTS: &[&str] = &[
    "->*", "...", "->", "=>", "..", "==", "!=", ">=", "<=", "&&", "||", ":", ",", ".", "=", "|",
    "(", ")", "{", "}", "[", "]", "*", ";", "<", ">", "+", "-", "/", "!", "%", "&", "@", "#", "?",
    "^", "~", "$", "'", "`", "\\",
];

/// Splits `text` into tokens: `.tell` has `--` and nested `{- -}` comments,
/// nuscr has `//`, nested `(* *)` comments and `(*# #*)` pragmas.
pub fn lex(text: &str, dialect: Dialect) -> Lexed {
    Lexer {
        text,
        pos: 0,
        line_start: 0,
        counted: (0, 0),
        line_has_token: false,
        dialect,
        out: Lexed::default(),
    }
    .run()
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    line_start: usize,
    /// A byte offset on the current line and its column, so columns are
    /// counted from the previous token instead of from the line start
    /// (a long line would otherwise cost quadratic time).
    counted: (usize, usize),
    line_has_token: bool,
    dialect: Dialect,
    out: Lexed,
}

impl Lexer<'_> {
    fn run(mut self) -> Lexed {
        while let Some(c) = self.peek_char() {
            let start = self.pos;
            if c == '\n' {
                self.pos += 1;
                self.line_start = self.pos;
                self.line_has_token = false;
            } else if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if self.rest().starts_with(self.line_comment()) {
                let end = self
                    .rest()
                    .find('\n')
                    .map_or(self.text.len(), |i| self.pos + i);
                self.comment(start, end);
            } else if self.dialect == Dialect::Nuscr && self.rest().starts_with("(*#") {
                self.pragma(start);
            } else if self.rest().starts_with(self.block_open()) {
                self.block_comment(start);
            } else if c.is_ascii_digit() {
                self.number(start);
            } else if c.is_alphabetic() || c == '_' {
                let len = self
                    .rest()
                    .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .unwrap_or(self.rest().len());
                let word = self.rest()[..len].to_string();
                self.pos += len;
                self.push(TokenKind::Ident(word), start);
            } else if c == '"' {
                self.string(start);
            } else if let Some(p) = PUNCTS.iter().find(|p| self.rest().starts_with(**p)) {
                self.pos += p.len();
                self.push(TokenKind::Punct(p), start);
            } else {
                self.pos += c.len_utf8();
                self.error(
                    start,
                    format!("unexpected character `{c}`"),
                    "not part of any token",
                );
            }
        }
        let end = self.text.len();
        self.out.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
            col: 0,
            first_on_line: true,
        });
        self.out
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn line_comment(&self) -> &'static str {
        match self.dialect {
            Dialect::Tell => "--",
            Dialect::Nuscr => "//",
        }
    }

    fn block_open(&self) -> &'static str {
        match self.dialect {
            Dialect::Tell => "{-",
            Dialect::Nuscr => "(*",
        }
    }

    fn block_close(&self) -> &'static str {
        match self.dialect {
            Dialect::Tell => "-}",
            Dialect::Nuscr => "*)",
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let (from, col_at_from) = match self.counted {
            (offset, col) if offset >= self.line_start && offset <= start => (offset, col),
            _ => (self.line_start, 0),
        };
        let col = col_at_from + self.text[from..start].chars().count();
        self.counted = (start, col);
        self.out.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
            col,
            first_on_line: !self.line_has_token,
        });
        self.line_has_token = true;
    }

    fn error(&mut self, start: usize, message: String, label: &str) {
        self.out.diagnostics.push(Diagnostic::new(
            DiagnosticKind::Lexical,
            message,
            Span::new(start, self.pos),
            label,
        ));
    }

    fn comment(&mut self, start: usize, end: usize) {
        self.pos = end;
        self.out.comments.push(Comment {
            span: Span::new(start, end),
            text: self.text[start..end].to_string(),
        });
    }

    /// Skips a (nested) block comment, tracking newlines for layout.
    fn block_comment(&mut self, start: usize) {
        let (open, close) = (self.block_open(), self.block_close());
        let mut depth = 0usize;
        while self.pos < self.text.len() {
            if self.rest().starts_with(open) {
                depth += 1;
                self.pos += open.len();
            } else if self.rest().starts_with(close) {
                depth -= 1;
                self.pos += close.len();
                if depth == 0 {
                    self.comment(start, self.pos);
                    return;
                }
            } else {
                let c = self.peek_char().map_or(1, char::len_utf8);
                if self.rest().starts_with('\n') {
                    self.line_start = self.pos + 1;
                    self.line_has_token = false;
                }
                self.pos += c;
            }
        }
        self.error(
            start,
            "unterminated block comment".into(),
            "comment starts here",
        );
    }

    fn pragma(&mut self, start: usize) {
        // Search after the opening `(*#`, so `(*#*)` is not read as closed.
        match self.rest()[3..].find("#*)") {
            Some(i) => {
                let inner = self.text[self.pos + 3..self.pos + 3 + i].trim().to_string();
                self.pos += 3 + i + 3;
                self.push(TokenKind::Pragma(inner), start);
            }
            None => {
                self.pos = self.text.len();
                self.error(start, "unterminated pragma".into(), "pragma starts here");
            }
        }
    }

    fn number(&mut self, start: usize) {
        let digits = self
            .rest()
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.rest().len());
        let value_text = &self.rest()[..digits];
        let value = value_text.parse::<u64>();
        self.pos += digits;
        let unit_len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        let unit = &self.rest()[..unit_len];
        if matches!(unit, "ms" | "s" | "m" | "h") {
            self.pos += unit_len;
            let text = self.text[start..self.pos].to_string();
            self.push(TokenKind::Duration(text), start);
            return;
        }
        match value {
            Ok(n) => self.push(TokenKind::Int(n), start),
            Err(_) => {
                self.error(start, "number too large".into(), "does not fit in 64 bits");
                self.push(TokenKind::Int(u64::MAX), start);
            }
        }
    }

    fn string(&mut self, start: usize) {
        self.pos += 1;
        let mut value = String::new();
        while let Some(c) = self.peek_char() {
            if c == '"' {
                self.pos += 1;
                self.push(TokenKind::Str(value), start);
                return;
            }
            if c == '\n' {
                break;
            }
            if c == '\\' {
                self.pos += 1;
                if let Some(escaped) = self.peek_char() {
                    value.push(escaped);
                    self.pos += escaped.len_utf8();
                }
                continue;
            }
            value.push(c);
            self.pos += c.len_utf8();
        }
        self.error(start, "unterminated string".into(), "string starts here");
        self.push(TokenKind::Str(value), start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, dialect: Dialect) -> Vec<TokenKind> {
        lex(text, dialect)
            .tokens
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn tell_tokens_comments_and_durations() {
        let lexed = lex("A ->* : M -- hi\n{- a {- b -} -} 5s 100ms 7", Dialect::Tell);
        assert_eq!(lexed.comments.len(), 2);
        let kinds: Vec<_> = lexed.tokens.iter().map(|t| t.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                TokenKind::Ident("A".into()),
                TokenKind::Punct("->*"),
                TokenKind::Punct(":"),
                TokenKind::Ident("M".into()),
                TokenKind::Duration("5s".into()),
                TokenKind::Duration("100ms".into()),
                TokenKind::Int(7),
                TokenKind::Eof,
            ]
        );
        assert!(lexed.tokens[4].first_on_line);
        assert_eq!(lexed.tokens[4].col, 16);
    }

    #[test]
    fn nuscr_pragmas_and_comments() {
        let k = kinds(
            "(*# RefinementTypes #*) (* c (* d *) *) // e\nx",
            Dialect::Nuscr,
        );
        assert_eq!(
            k,
            vec![
                TokenKind::Pragma("RefinementTypes".into()),
                TokenKind::Ident("x".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn overlapping_pragma_markers_are_unterminated() {
        let lexed = lex("(*#*)", Dialect::Nuscr);
        assert_eq!(lexed.diagnostics.len(), 1);
        let lexed = lex("(*##*)", Dialect::Nuscr);
        assert_eq!(lexed.tokens[0].kind, TokenKind::Pragma(String::new()));
    }

    #[test]
    fn bad_characters_are_reported_not_fatal() {
        let lexed = lex("A § B \"open", Dialect::Tell);
        assert_eq!(lexed.diagnostics.len(), 2);
        assert_eq!(lexed.tokens.len(), 4);
    }
}
