//! The text notation for binary local types used in the asynchronous
//! subtyping literature: `!a;T`, `?a;T`, `[!a;T1, !b;T2]`, `+{...}`, `&{...}`,
//! `rec X . T`, `X`, `end`.
//!
//! The partner is implicit. A choice may use brackets or braces, with or
//! without a leading `+` or `&`; the direction of its actions decides its
//! kind. A label may carry a payload, `!a(int);T`, written as in nuscr's
//! labels (see [`crate::dot::parse_payload`]). The `;T` after an action may
//! be omitted, meaning `;end`. Parentheses group: `(rec X . !a;X)`.
//! Parsing is purely syntactic: free variables are allowed here and are
//! reported by the algorithms that need closed types.

use crate::dot::{parse_payload, payload_to_text};
use std::collections::BTreeSet;
use telltale_types::stack::with_headroom;
use telltale_types::{Direction, Label, LocalBranch, LocalType, PayloadSort, Role};
use thiserror::Error;

/// A notation text that is not a local type, with its position.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NotationError {
    /// Something else was expected at this point.
    #[error("{line}:{col}: expected {expected}, found {found}")]
    Expected {
        /// One-based line.
        line: usize,
        /// One-based column (in characters).
        col: usize,
        /// What the parser was looking for.
        expected: String,
        /// What it saw instead.
        found: String,
    },
    /// A choice mixes sends and receives, or its `+`/`&` disagrees with its actions.
    #[error("{line}:{col}: an {kind} choice cannot contain `{action}`")]
    MixedChoice {
        /// One-based line.
        line: usize,
        /// One-based column.
        col: usize,
        /// `internal` or `external`.
        kind: &'static str,
        /// The offending action.
        action: String,
    },
    /// A choice offers the same label twice.
    #[error("{line}:{col}: label `{label}` appears twice in one choice")]
    DuplicateLabel {
        /// One-based line.
        line: usize,
        /// One-based column.
        col: usize,
        /// The repeated label.
        label: String,
    },
    /// A label's payload is not a sort.
    #[error("{line}:{col}: bad payload for `{label}`: {reason}")]
    BadPayload {
        /// One-based line.
        line: usize,
        /// One-based column.
        col: usize,
        /// The label carrying the payload.
        label: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The partner of every action written in the notation, which leaves it implicit.
pub const IMPLICIT_PARTNER: &str = "peer";

/// Parses the notation with the partner role named `peer`.
pub fn parse_local_notation(text: &str) -> Result<LocalType, NotationError> {
    parse_local_notation_with_partner(text, &Role::new(IMPLICIT_PARTNER))
}

/// Parses the notation; every action talks to `partner`.
pub fn parse_local_notation_with_partner(
    text: &str,
    partner: &Role,
) -> Result<LocalType, NotationError> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        partner: partner.clone(),
    };
    let t = parser.local()?;
    parser.skip_space();
    if parser.pos < parser.chars.len() {
        return Err(parser.expected("the end of the text"));
    }
    Ok(t)
}

/// Prints a local type in the notation, omitting partners; the result parses back.
pub fn to_notation(t: &LocalType) -> String {
    let mut out = String::new();
    write_notation(t, &mut out);
    out
}

fn write_notation(t: &LocalType, out: &mut String) {
    with_headroom(|| match t {
        LocalType::Send { branches, .. } | LocalType::Recv { branches, .. } => {
            let (symbol, open) = if matches!(t, LocalType::Send { .. }) {
                ('!', "+{")
            } else {
                ('?', "&{")
            };
            let write_branch = |b: &LocalBranch, out: &mut String| {
                out.push(symbol);
                out.push_str(&b.label.name);
                if !b.label.sort.is_unit() {
                    out.push('(');
                    out.push_str(&payload_to_text(&b.label.sort));
                    out.push(')');
                }
                out.push(';');
                write_notation(&b.continuation, out);
            };
            if let [only] = branches.as_slice() {
                return write_branch(only, out);
            }
            out.push_str(open);
            for (i, b) in branches.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_branch(b, out);
            }
            out.push('}');
        }
        LocalType::Rec { var, body } => {
            out.push_str("rec ");
            out.push_str(var);
            out.push_str(" . ");
            write_notation(body, out);
        }
        LocalType::Var(v) => out.push_str(v),
        LocalType::End => out.push_str("end"),
    })
}

/// One action of a choice: its direction, label and continuation, with its position.
struct ParsedAction {
    direction: Direction,
    label: Label,
    continuation: LocalType,
    /// Character offset of the `!` or `?`.
    start: usize,
}

/// Recursive-descent reader over the characters of the text.
struct Parser {
    chars: Vec<char>,
    pos: usize,
    partner: Role,
}

impl Parser {
    fn position(&self, pos: usize) -> (usize, usize) {
        let mut line = 1;
        let mut col = 1;
        for &c in &self.chars[..pos.min(self.chars.len())] {
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        (line, col)
    }

    fn expected(&self, what: &str) -> NotationError {
        let (line, col) = self.position(self.pos);
        let found = match self.chars.get(self.pos) {
            None => "the end of the text".to_string(),
            Some(_) => {
                let word: String = self.chars[self.pos..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_')
                    .collect();
                if word.is_empty() {
                    format!("`{}`", self.chars[self.pos])
                } else {
                    format!("`{word}`")
                }
            }
        };
        NotationError::Expected {
            line,
            col,
            expected: what.to_string(),
            found,
        }
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn identifier(&mut self) -> Option<String> {
        self.skip_space();
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        {
            self.pos += 1;
        }
        (self.pos > start).then(|| self.chars[start..self.pos].iter().collect())
    }

    /// A whole local type.
    fn local(&mut self) -> Result<LocalType, NotationError> {
        with_headroom(|| match self.peek() {
            Some('!' | '?') => {
                let action = self.action()?;
                Ok(LocalType::comm(
                    action.direction,
                    self.partner.clone(),
                    vec![LocalBranch::new(action.label, action.continuation)],
                ))
            }
            Some('+' | '&' | '[' | '{') => self.choice(),
            Some('(') => {
                self.pos += 1;
                let t = self.local()?;
                if !self.eat(')') {
                    return Err(self.expected("`)`"));
                }
                Ok(t)
            }
            _ => {
                let start = self.pos;
                match self.identifier().as_deref() {
                    Some("end") => Ok(LocalType::End),
                    Some("rec") => {
                        let Some(var) = self.identifier().filter(|v| !is_keyword(v)) else {
                            return Err(self.expected("a recursion variable after `rec`"));
                        };
                        if !self.eat('.') {
                            return Err(self.expected("`.` after the recursion variable"));
                        }
                        Ok(LocalType::rec(var, self.local()?))
                    }
                    Some(var) => Ok(LocalType::var(var)),
                    None => {
                        self.pos = start;
                        Err(self.expected(
                            "a local type (`!`, `?`, a choice, `rec`, a variable or `end`)",
                        ))
                    }
                }
            }
        })
    }

    /// `!label(payload);T` or `?label;T`, the `;T` being optional.
    fn action(&mut self) -> Result<ParsedAction, NotationError> {
        self.skip_space();
        let start = self.pos;
        let direction = match self.chars.get(self.pos) {
            Some('!') => Direction::Send,
            Some('?') => Direction::Recv,
            _ => return Err(self.expected("`!` or `?`")),
        };
        self.pos += 1;
        let Some(name) = self.identifier() else {
            return Err(self.expected("a label"));
        };
        let sort = if self.peek() == Some('(') {
            self.payload(&name)?
        } else {
            PayloadSort::Unit
        };
        let continuation = if self.eat(';') {
            self.local()?
        } else {
            LocalType::End
        };
        Ok(ParsedAction {
            direction,
            label: Label::new(name, sort),
            continuation,
            start,
        })
    }

    /// The parenthesised payload after a label, starting at `(`.
    fn payload(&mut self, label: &str) -> Result<PayloadSort, NotationError> {
        let open = self.pos;
        let mut depth = 0usize;
        let mut close = None;
        for (i, c) in self.chars.iter().enumerate().skip(open) {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else {
            return Err(self.expected("a payload closed by `)`"));
        };
        let inner: String = self.chars[open + 1..close].iter().collect();
        let sort = parse_payload(&inner).map_err(|e| {
            let offset = inner[..e.offset.min(inner.len())].chars().count();
            let (line, col) = self.position(open + 1 + offset);
            NotationError::BadPayload {
                line,
                col,
                label: label.to_string(),
                reason: e.message,
            }
        })?;
        self.pos = close + 1;
        Ok(sort)
    }

    /// `[+|&] ( [ ... ] | { ... } )` with comma-separated actions.
    fn choice(&mut self) -> Result<LocalType, NotationError> {
        let declared = if self.eat('+') {
            Some(Direction::Send)
        } else if self.eat('&') {
            Some(Direction::Recv)
        } else {
            None
        };
        let close = match self.peek() {
            Some('[') => ']',
            Some('{') => '}',
            _ => return Err(self.expected("`[` or `{` opening the choice")),
        };
        self.pos += 1;
        let mut direction = declared;
        let mut branches = Vec::new();
        let mut names = BTreeSet::new();
        loop {
            let action = self.action()?;
            let kind = match direction {
                Some(Direction::Send) => "internal",
                Some(Direction::Recv) => "external",
                None => "",
            };
            if direction.is_some_and(|d| d != action.direction) {
                let (line, col) = self.position(action.start);
                return Err(NotationError::MixedChoice {
                    line,
                    col,
                    kind,
                    action: format!("{}{}", action.direction.symbol(), action.label.name),
                });
            }
            direction = Some(action.direction);
            if !names.insert(action.label.name.clone()) {
                let (line, col) = self.position(action.start);
                return Err(NotationError::DuplicateLabel {
                    line,
                    col,
                    label: action.label.name.to_string(),
                });
            }
            branches.push(LocalBranch::new(action.label, action.continuation));
            if self.eat(close) {
                break;
            }
            if !self.eat(',') {
                return Err(self.expected(&format!("`,` or `{close}`")));
            }
        }
        let direction = direction.unwrap_or(Direction::Send);
        Ok(LocalType::comm(direction, self.partner.clone(), branches))
    }
}

fn is_keyword(word: &str) -> bool {
    matches!(word, "rec" | "end")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn peer_send(label: &str, t: LocalType) -> LocalType {
        LocalType::send("peer", Label::unit(label), t)
    }

    fn peer_recv(label: &str, t: LocalType) -> LocalType {
        LocalType::recv("peer", Label::unit(label), t)
    }

    fn check(text: &str, expected: LocalType) {
        let t = parse_local_notation(text).unwrap();
        assert_eq!(t, expected, "{text}");
        assert_eq!(parse_local_notation(&to_notation(&t)).unwrap(), t, "{text}");
    }

    #[test]
    fn every_form_parses() {
        check("!a;?b;end", peer_send("a", peer_recv("b", LocalType::End)));
        check(
            "  !a ;\n ?b ; end ",
            peer_send("a", peer_recv("b", LocalType::End)),
        );
        check("!a", peer_send("a", LocalType::End));
        let choice = LocalType::select(
            "peer",
            [
                (Label::unit("a"), LocalType::End),
                (Label::unit("b"), LocalType::var("X")),
            ],
        );
        for text in [
            "[!a;end, !b;X]",
            "+{!a;end, !b;X}",
            "{!a;end,!b;X}",
            "+[!a;end, !b;X]",
        ] {
            check(text, choice.clone());
        }
        let branch = LocalType::branch(
            "peer",
            [
                (Label::unit("a"), LocalType::End),
                (Label::unit("b"), LocalType::End),
            ],
        );
        for text in ["[?a;end, ?b;end]", "&{?a;end, ?b;end}", "&[?a, ?b]"] {
            check(text, branch.clone());
        }
        check(
            "rec X . !a;X",
            LocalType::rec("X", peer_send("a", LocalType::var("X"))),
        );
        check(
            "(rec X . (!a;X))",
            LocalType::rec("X", peer_send("a", LocalType::var("X"))),
        );
        check(
            "!a(int);?b(x: int, y: bool);end",
            LocalType::send(
                "peer",
                Label::new("a", PayloadSort::Int),
                LocalType::recv(
                    "peer",
                    Label::new(
                        "b",
                        PayloadSort::Record(vec![
                            ("x".into(), PayloadSort::Int),
                            ("y".into(), PayloadSort::Bool),
                        ]),
                    ),
                    LocalType::End,
                ),
            ),
        );
    }

    #[test]
    fn the_partner_can_be_chosen() {
        let t = parse_local_notation_with_partner("!a;end", &Role::new("B")).unwrap();
        assert_eq!(t, LocalType::send("B", Label::unit("a"), LocalType::End));
        assert_eq!(to_notation(&t), "!a;end");
    }

    #[test]
    fn errors_say_where_and_what() {
        let check_err = |text: &str, expected: &str| {
            assert_eq!(
                parse_local_notation(text).unwrap_err().to_string(),
                expected,
                "{text}"
            );
        };
        check_err("", "1:1: expected a local type (`!`, `?`, a choice, `rec`, a variable or `end`), found the end of the text");
        check_err("!a;\n  ;", "2:3: expected a local type (`!`, `?`, a choice, `rec`, a variable or `end`), found `;`");
        check_err("!;end", "1:2: expected a label, found `;`");
        check_err(
            "[!a;end, ?b;end]",
            "1:10: an internal choice cannot contain `?b`",
        );
        check_err("+{?b;end}", "1:3: an internal choice cannot contain `?b`");
        check_err("&{!b;end}", "1:3: an external choice cannot contain `!b`");
        check_err(
            "[!a;end, !a;end]",
            "1:10: label `a` appears twice in one choice",
        );
        check_err("[!a;end !b;end]", "1:9: expected `,` or `]`, found `!`");
        check_err("[]", "1:2: expected `!` or `?`, found `]`");
        check_err(
            "+",
            "1:2: expected `[` or `{` opening the choice, found the end of the text",
        );
        check_err(
            "rec . X",
            "1:5: expected a recursion variable after `rec`, found `.`",
        );
        check_err(
            "rec X X",
            "1:7: expected `.` after the recursion variable, found `X`",
        );
        check_err(
            "!a(int;end",
            "1:3: expected a payload closed by `)`, found `(`",
        );
        check_err("!a(x:);end", "1:6: bad payload for `a`: expected a sort");
        check_err("(end", "1:5: expected `)`, found the end of the text");
        check_err("end end", "1:5: expected the end of the text, found `end`");
    }

    #[test]
    fn deep_types_parse_and_print() {
        let text = "!a;".repeat(50_000) + "end";
        let t = parse_local_notation(&text).unwrap();
        assert_eq!(to_notation(&t), text);
    }
}
