//! Graphviz DOT in the style of nuscr's `--fsm` output, both ways.
//!
//! ```text
//! digraph k {
//!   0;
//!   2;
//!
//!
//!   0 -> 2 [label="s!ready()", ];
//!   2 -> 0 [label="s?copy()", ];
//!
//!   }
//! ```
//!
//! The digraph name is the role. The parser accepts the general shape of
//! DOT (any whitespace, comments, attribute order, graph/node/edge default
//! statements) but every node must be a non-negative integer and every edge
//! needs a `label` of the form `partner!label(payload)` or
//! `partner?label(payload)`.

mod lexer;
mod payload;

use crate::fsm::{Action, Fsm, FsmError, Transition};
use lexer::{lex, syntax, Token, TokenKind};
pub use payload::{parse_payload, payload_to_text, PayloadError};
use std::fmt::Write as _;
use telltale_types::{Direction, Label, Role};
use thiserror::Error;

/// A DOT text that is not an FSM in nuscr's shape, with its position.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DotError {
    /// The text does not follow the DOT grammar.
    #[error("{line}:{col}: expected {expected}, found {found}")]
    Syntax {
        /// One-based line.
        line: usize,
        /// One-based column (in characters).
        col: usize,
        /// What the parser was looking for.
        expected: String,
        /// What it saw instead.
        found: String,
    },
    /// A node name is not a state number.
    #[error("{line}:{col}: state `{text}` is not a non-negative integer")]
    BadState {
        /// One-based line.
        line: usize,
        /// One-based column.
        col: usize,
        /// The node name.
        text: String,
    },
    /// An edge has no `label` attribute.
    #[error("{line}:{col}: edge {from} -> {to} has no label")]
    MissingLabel {
        /// One-based line.
        line: usize,
        /// One-based column.
        col: usize,
        /// Source state.
        from: u32,
        /// Target state.
        to: u32,
    },
    /// An edge label is not `partner!label(payload)` or `partner?label(payload)`.
    #[error("{line}:{col}: edge label `{label}` is malformed: {reason}")]
    BadLabel {
        /// One-based line.
        line: usize,
        /// One-based column.
        col: usize,
        /// The label text.
        label: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The digraph has no name, so the role is unknown.
    #[error("{line}:{col}: the digraph needs a name (the role)")]
    MissingName {
        /// One-based line.
        line: usize,
        /// One-based column.
        col: usize,
    },
    /// The digraph declares no state at all.
    #[error("the digraph has no states")]
    NoStates,
    /// The states and edges do not form a machine.
    #[error(transparent)]
    Fsm(#[from] FsmError),
}

/// Prints a machine exactly as nuscr's `--fsm` does.
pub fn fsm_to_dot(fsm: &Fsm) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let role = fsm.role().as_str();
    if is_identifier(role) {
        let _ = writeln!(out, "digraph {role} {{");
    } else {
        let _ = writeln!(out, "digraph \"{}\" {{", escape(role));
    }
    for state in fsm.states() {
        let _ = writeln!(out, "  {state};");
    }
    out.push_str("  \n  \n");
    for t in fsm.transitions() {
        let label = escape(&t.action.to_string());
        let _ = writeln!(out, "  {} -> {} [label=\"{label}\", ];", t.from, t.to);
    }
    out.push_str("  \n  }\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Reads a nuscr-style DOT machine; the initial state is `0` when present,
/// else the first state mentioned.
pub fn parse_dot(text: &str) -> Result<Fsm, DotError> {
    let tokens = lex(text)?;
    let mut parser = Parser { tokens, pos: 0 };
    parser.graph()
}

/// Recursive-descent reader over the token list.
struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends the list with `Eof`, and no method moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn error(&self, expected: &str) -> DotError {
        let token = self.peek();
        syntax(token.line, token.col, expected, &token.kind.describe())
    }

    fn eat(&mut self, punct: &str) -> bool {
        if matches!(&self.peek().kind, TokenKind::Punct(p) if *p == punct) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, punct: &str) -> Result<(), DotError> {
        if self.eat(punct) {
            Ok(())
        } else {
            Err(self.error(&format!("`{punct}`")))
        }
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(&self.peek().kind, TokenKind::Id(s) if s.eq_ignore_ascii_case(word)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn id(&mut self, expected: &str) -> Result<(String, usize, usize), DotError> {
        let token = self.peek().clone();
        match token.kind {
            TokenKind::Id(s) => {
                self.pos += 1;
                Ok((s, token.line, token.col))
            }
            _ => Err(self.error(expected)),
        }
    }

    /// `[strict] digraph name { statements }`.
    fn graph(&mut self) -> Result<Fsm, DotError> {
        self.keyword("strict");
        if !self.keyword("digraph") {
            return Err(self.error("`digraph`"));
        }
        let name_token = self.peek().clone();
        let role = match name_token.kind {
            TokenKind::Id(name) => {
                self.pos += 1;
                Role::new(name)
            }
            _ => {
                return Err(DotError::MissingName {
                    line: name_token.line,
                    col: name_token.col,
                })
            }
        };
        self.expect("{")?;
        let mut states = Vec::new();
        let mut transitions = Vec::new();
        while !self.eat("}") {
            self.statement(&mut states, &mut transitions)?;
        }
        if self.peek().kind != TokenKind::Eof {
            return Err(self.error("the end of the text after the digraph"));
        }
        let first = states
            .first()
            .copied()
            .or_else(|| transitions.first().map(|t: &Transition| t.from));
        let Some(first) = first else {
            return Err(DotError::NoStates);
        };
        let has_zero = states.contains(&0) || transitions.iter().any(|t| t.from == 0 || t.to == 0);
        let initial = if has_zero { 0 } else { first };
        Ok(Fsm::new(role, states, initial, transitions)?)
    }

    /// One node, edge, default-attribute or graph-attribute statement.
    fn statement(
        &mut self,
        states: &mut Vec<u32>,
        transitions: &mut Vec<Transition>,
    ) -> Result<(), DotError> {
        if self.eat(";") {
            return Ok(());
        }
        let (name, line, col) = self.id("a node, an edge or `}`")?;
        if ["graph", "node", "edge"]
            .iter()
            .any(|k| name.eq_ignore_ascii_case(k))
            && matches!(self.peek().kind, TokenKind::Punct("["))
        {
            self.attributes()?;
            return Ok(());
        }
        if self.eat("=") {
            self.id("an attribute value")?;
            return Ok(());
        }
        let from = state_number(&name, line, col)?;
        if self.eat("->") {
            let (target, to_line, to_col) = self.id("the target state of the edge")?;
            let to = state_number(&target, to_line, to_col)?;
            let attrs = self.attributes()?;
            let Some((label, l_line, l_col)) = attrs
                .into_iter()
                .find(|(k, ..)| k == "label")
                .map(|(_, v, l, c)| (v, l, c))
            else {
                return Err(DotError::MissingLabel {
                    line,
                    col,
                    from,
                    to,
                });
            };
            let action = parse_action(&label).map_err(|reason| DotError::BadLabel {
                line: l_line,
                col: l_col,
                label: label.clone(),
                reason,
            })?;
            transitions.push(Transition { from, to, action });
        } else {
            self.attributes()?;
            if !states.contains(&from) {
                states.push(from);
            }
        }
        self.eat(";");
        Ok(())
    }

    /// Zero or more `[key=value, ...]` lists; returns each pair with the value's position.
    fn attributes(&mut self) -> Result<Vec<(String, String, usize, usize)>, DotError> {
        let mut attrs = Vec::new();
        while self.eat("[") {
            while !self.eat("]") {
                let (key, ..) = self.id("an attribute name or `]`")?;
                self.expect("=")?;
                let (value, line, col) = self.id("an attribute value")?;
                attrs.push((key, value, line, col));
                if !self.eat(",") {
                    self.eat(";");
                }
            }
        }
        Ok(attrs)
    }
}

fn state_number(text: &str, line: usize, col: usize) -> Result<u32, DotError> {
    text.parse().map_err(|_| DotError::BadState {
        line,
        col,
        text: text.to_string(),
    })
}

/// Reads `partner!label(payload)` or `partner?label(payload)`.
fn parse_action(text: &str) -> Result<Action, String> {
    let Some(split) = text.find(['!', '?']) else {
        return Err("expected `!` or `?` after the partner".to_string());
    };
    let partner = text[..split].trim();
    if !is_identifier(partner) {
        return Err(format!("`{partner}` is not a role name"));
    }
    let direction = if text[split..].starts_with('!') {
        Direction::Send
    } else {
        Direction::Recv
    };
    let rest = &text[split + 1..];
    let (name, payload) = match rest.find('(') {
        Some(open) => {
            let inner = rest[open + 1..].trim_end();
            let Some(inner) = inner.strip_suffix(')') else {
                return Err("expected `)` closing the payload".to_string());
            };
            (rest[..open].trim(), inner)
        }
        None => (rest.trim(), ""),
    };
    if !is_identifier(name) {
        return Err(format!("`{name}` is not a label name"));
    }
    let sort = parse_payload(payload).map_err(|e| e.to_string())?;
    Ok(Action {
        direction,
        partner: Role::new(partner),
        label: Label::new(name, sort),
    })
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use telltale_types::PayloadSort;

    const KERNEL: &str = "digraph k {\n  0;\n  2;\n  \n  \n  0 -> 2 [label=\"s!ready()\", ];\n  2 -> 0 [label=\"s?copy()\", ];\n  \n  }\n";

    #[test]
    fn prints_exactly_like_nuscr() {
        let fsm = parse_dot(KERNEL).unwrap();
        assert_eq!(fsm_to_dot(&fsm), KERNEL);
        assert_eq!(fsm.role(), &Role::new("k"));
        assert_eq!(fsm.initial(), 0);
    }

    #[test]
    fn odd_role_names_are_quoted() {
        let fsm = Fsm::new(Role::new("my \"role\""), vec![0], 0, vec![]).unwrap();
        let text = fsm_to_dot(&fsm);
        assert!(text.starts_with("digraph \"my \\\"role\\\"\" {"), "{text}");
        assert_eq!(parse_dot(&text).unwrap(), fsm);
    }

    #[test]
    fn tolerates_layout_comments_and_attribute_order() {
        let text = "/* kernel */ strict digraph \"k\" { rankdir=LR; node [shape=circle]\n 5 [color=red]; 5->7 [ color = \"blue\" ; label = \"s ! m( x: i32 )\" ] # done\n 7 // end\n }";
        let fsm = parse_dot(text).unwrap();
        assert_eq!(fsm.initial(), 5);
        assert_eq!(fsm.states(), &[5, 7]);
        let action = &fsm.transitions()[0].action;
        assert_eq!(action.direction, Direction::Send);
        assert_eq!(
            action.label.sort,
            PayloadSort::Record(vec![("x".into(), PayloadSort::Int)])
        );
    }

    #[test]
    fn errors_carry_positions() {
        let check = |text: &str, expected: &str| {
            let err = parse_dot(text).unwrap_err().to_string();
            assert_eq!(err, expected, "{text}");
        };
        check("graph k {}", "1:1: expected `digraph`, found `graph`");
        check("digraph {\n}", "1:9: the digraph needs a name (the role)");
        check(
            "digraph k {\n 0 -> x [label=\"a!b()\"] }",
            "2:7: state `x` is not a non-negative integer",
        );
        check("digraph k {\n 0 -> 1 }", "2:2: edge 0 -> 1 has no label");
        check(
            "digraph k {\n 0 -> 1 [label=\"ab()\"] }",
            "2:16: edge label `ab()` is malformed: expected `!` or `?` after the partner",
        );
        check(
            "digraph k {\n 0 -> 1 [label=\"a!b(x:)\"] }",
            "2:16: edge label `a!b(x:)` is malformed: at byte 2 of the payload: expected a sort",
        );
        check(
            "digraph k {\n 0 -> 1 [label=\"a!b(\"] }",
            "2:16: edge label `a!b(` is malformed: expected `)` closing the payload",
        );
        check(
            "digraph k {\n 0 -> 1 [label=\"!b()\"] }",
            "2:16: edge label `!b()` is malformed: `` is not a role name",
        );
        check(
            "digraph k {\n 0 -> 1 [label=\"a!()\"] }",
            "2:16: edge label `a!()` is malformed: `` is not a label name",
        );
        check("digraph k { }", "the digraph has no states");
        check(
            "digraph k { 0 ",
            "1:15: expected a node, an edge or `}`, found the end of the text",
        );
        check(
            "digraph k { 0 } x",
            "1:17: expected the end of the text after the digraph, found `x`",
        );
        check(
            "digraph k { \"0 }",
            "1:13: expected `\"` closing the string, found the end of the text",
        );
        check(
            "digraph k { /* 0 }",
            "1:13: expected `*/` closing the comment, found the end of the text",
        );
        check("digraph k { 0 @ }", "1:15: expected a DOT token, found `@`");
        check("digraph k { 0 [label] }", "1:21: expected `=`, found `]`");
    }
}
