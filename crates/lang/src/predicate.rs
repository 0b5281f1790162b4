//! Boolean predicates of `loop while "p"` and `when (p)` guards.
//!
//! Predicates are metadata for the role that decides, but they are parsed
//! and type-checked so a typo or a non-boolean condition is caught early:
//! connectives (`&&`, `||`, `!`, `and`, `or`, `not`) need booleans,
//! arithmetic needs numbers, comparisons give booleans, and a bare name is
//! trusted to be whatever its context needs.

use crate::ast::Dialect;
use crate::lexer::{lex, TokenKind};

/// The deepest nesting of parentheses accepted in a predicate.
const MAX_DEPTH: usize = 64;

/// The type of a predicate sub-expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Bool,
    Num,
    Str,
    /// A name or a call: its type is not known here.
    Unknown,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Num => "a number",
            Ty::Str => "a string",
            Ty::Unknown => "a value",
        }
    }

    fn fits(self, want: Ty) -> bool {
        self == want || self == Ty::Unknown
    }
}

/// Checks that `text` is a well-formed boolean predicate, or says why not.
pub(crate) fn check_predicate(text: &str) -> Result<(), String> {
    let lexed = lex(text, Dialect::Tell);
    if let Some(d) = lexed.diagnostics.first() {
        return Err(d.message.clone());
    }
    let tokens: Vec<TokenKind> = lexed.tokens.into_iter().map(|t| t.kind).collect();
    let mut p = PredicateParser {
        tokens,
        pos: 0,
        depth: 0,
    };
    if matches!(p.peek(), TokenKind::Eof) {
        return Err("the condition is empty".into());
    }
    let ty = p.or()?;
    if !matches!(p.peek(), TokenKind::Eof) {
        return Err(format!(
            "unexpected {} in the condition",
            p.peek().describe()
        ));
    }
    if !ty.fits(Ty::Bool) {
        return Err(format!("the condition is {}, not a boolean", ty.name()));
    }
    Ok(())
}

struct PredicateParser {
    tokens: Vec<TokenKind>,
    pos: usize,
    depth: usize,
}

impl PredicateParser {
    fn peek(&self) -> &TokenKind {
        self.tokens.get(self.pos).unwrap_or(&TokenKind::Eof)
    }

    fn bump(&mut self) -> TokenKind {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    fn at(&self, words: &[&str]) -> bool {
        match self.peek() {
            TokenKind::Punct(p) => words.contains(p),
            TokenKind::Ident(w) => words.contains(&w.as_str()),
            _ => false,
        }
    }

    fn need(&self, got: Ty, want: Ty, op: &str) -> Result<(), String> {
        if got.fits(want) {
            Ok(())
        } else {
            Err(format!(
                "`{op}` needs {}, found {}",
                want.name(),
                got.name()
            ))
        }
    }

    fn or(&mut self) -> Result<Ty, String> {
        let mut ty = self.and()?;
        while self.at(&["||", "or"]) {
            let op = self.bump().describe();
            self.need(ty, Ty::Bool, &op)?;
            let rhs = self.and()?;
            self.need(rhs, Ty::Bool, &op)?;
            ty = Ty::Bool;
        }
        Ok(ty)
    }

    fn and(&mut self) -> Result<Ty, String> {
        let mut ty = self.not()?;
        while self.at(&["&&", "and"]) {
            let op = self.bump().describe();
            self.need(ty, Ty::Bool, &op)?;
            let rhs = self.not()?;
            self.need(rhs, Ty::Bool, &op)?;
            ty = Ty::Bool;
        }
        Ok(ty)
    }

    fn not(&mut self) -> Result<Ty, String> {
        if self.at(&["!", "not"]) {
            self.bump();
            self.enter()?;
            let ty = self.not()?;
            self.depth -= 1;
            self.need(ty, Ty::Bool, "not")?;
            return Ok(Ty::Bool);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Ty, String> {
        let lhs = self.sum()?;
        if self.at(&["==", "!=", "<", "<=", ">", ">="]) {
            let op = self.bump();
            let rhs = self.sum()?;
            let ordered = !matches!(op, TokenKind::Punct("==") | TokenKind::Punct("!="));
            if ordered {
                self.need(lhs, Ty::Num, &op.describe())?;
                self.need(rhs, Ty::Num, &op.describe())?;
            } else if lhs != Ty::Unknown && rhs != Ty::Unknown && lhs != rhs {
                return Err(format!("cannot compare {} with {}", lhs.name(), rhs.name()));
            }
            return Ok(Ty::Bool);
        }
        Ok(lhs)
    }

    fn sum(&mut self) -> Result<Ty, String> {
        let mut ty = self.atom()?;
        while self.at(&["+", "-", "*", "/", "%"]) {
            let op = self.bump().describe();
            self.need(ty, Ty::Num, &op)?;
            let rhs = self.atom()?;
            self.need(rhs, Ty::Num, &op)?;
            ty = Ty::Num;
        }
        Ok(ty)
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err("the condition is nested too deeply".into())
        } else {
            Ok(())
        }
    }

    fn atom(&mut self) -> Result<Ty, String> {
        match self.bump() {
            TokenKind::Int(_) | TokenKind::Duration(_) => Ok(Ty::Num),
            TokenKind::Str(_) => Ok(Ty::Str),
            TokenKind::Ident(w) if w == "true" || w == "false" => Ok(Ty::Bool),
            TokenKind::Ident(_) => {
                while self.at(&["."]) {
                    self.bump();
                    if !matches!(self.bump(), TokenKind::Ident(_)) {
                        return Err("expected a name after `.`".into());
                    }
                }
                if self.at(&["("]) {
                    self.bump();
                    self.enter()?;
                    while !self.at(&[")"]) {
                        self.or()?;
                        if !self.at(&[","]) {
                            break;
                        }
                        self.bump();
                    }
                    self.depth -= 1;
                    if !matches!(self.bump(), TokenKind::Punct(")")) {
                        return Err("expected `)` closing the call".into());
                    }
                }
                Ok(Ty::Unknown)
            }
            TokenKind::Punct("(") => {
                self.enter()?;
                let ty = self.or()?;
                self.depth -= 1;
                if !matches!(self.bump(), TokenKind::Punct(")")) {
                    return Err("expected `)`".into());
                }
                Ok(ty)
            }
            other => Err(format!("unexpected {} in the condition", other.describe())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, ok: bool) {
        assert_eq!(
            check_predicate(text).is_ok(),
            ok,
            "{text}: {:?}",
            check_predicate(text)
        );
    }

    #[test]
    fn predicates() {
        check("balance > price", true);
        check("queue.not_empty(x) && !done", true);
        check("ready", true);
        check("(a + 1) * 2 >= limit or retries == 0", true);
        check("", false);
        check("balance +", false);
        check("1 + 2", false);
        check("\"s\" && true", false);
        check("a > \"s\"", false);
        check("(((", false);
    }
}
