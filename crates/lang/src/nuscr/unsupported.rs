//! Scribble constructs that Telltale recognises but cannot give a meaning:
//! each is refused with one located "not supported" diagnostic and skipped
//! whole, so the rest of the file is still checked.

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::lexer::TokenKind;
use crate::parser::Parser;

/// Statements refused inside a protocol, with why.
const UNSUPPORTED_STATEMENTS: &[(&str, &str)] = &[
    (
        "connect",
        "connections are implicit in Telltale: every pair of roles can talk from the start",
    ),
    (
        "disconnect",
        "connections are implicit in Telltale and stay open for the whole session",
    ),
    (
        "interruptible",
        "interrupts have no global-type meaning here; model the interrupt as a choice",
    ),
];

/// Top-level declarations refused, with why.
const UNSUPPORTED_ITEMS: &[(&str, &str)] = &[
    (
        "local",
        "local protocols are projected from a global one: write the global protocol",
    ),
    (
        "from",
        "import the whole module with `import a.b;` and write `a.b.P`",
    ),
];

impl Parser<'_> {
    /// Refuses an unsupported statement at the current token, skipping it
    /// (with its blocks) whole; false when the statement is not one.
    pub(super) fn unsupported_stmt(&mut self) -> bool {
        let Some(why) = self.refusal(UNSUPPORTED_STATEMENTS) else {
            return false;
        };
        self.refuse(why);
        let mut depth = 0usize;
        loop {
            match self.raw().kind {
                TokenKind::Eof => break,
                TokenKind::Punct(";") if depth == 0 => {
                    self.bump();
                    break;
                }
                TokenKind::Punct("{") => depth += 1,
                TokenKind::Punct("}") if depth == 0 => break,
                TokenKind::Punct("}") => {
                    depth -= 1;
                    if depth == 0
                        && !matches!(self.peek_second(), TokenKind::Ident(w) if w == "with")
                    {
                        self.bump();
                        break;
                    }
                }
                _ => {}
            }
            self.bump();
        }
        true
    }

    /// Refuses an unsupported top-level declaration at the current token
    /// (the caller skips it); false when `word` starts no such declaration.
    pub(super) fn unsupported_item(&mut self, word: &str) -> bool {
        let Some(why) = UNSUPPORTED_ITEMS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, why)| *why)
        else {
            return false;
        };
        self.refuse(why);
        true
    }

    /// The reason the current keyword is refused, if it is in `table`.
    fn refusal(&self, table: &[(&str, &'static str)]) -> Option<&'static str> {
        match self.peek() {
            TokenKind::Ident(w) if !matches!(self.peek_second(), TokenKind::Punct("(")) => table
                .iter()
                .find(|(word, _)| word == w)
                .map(|(_, why)| *why),
            _ => None,
        }
    }

    /// Reports the current keyword as not supported.
    fn refuse(&mut self, why: &str) {
        let span = self.span();
        let word = self.slice(span);
        self.report(
            Diagnostic::new(
                DiagnosticKind::Unsupported,
                format!("`{word}` is not supported"),
                span,
                "not supported by Telltale's Scribble front-end",
            )
            .with_help(why.to_string()),
        );
    }
}
