//! Scribble messages: operators (names, numbers or nothing), payloads and
//! their types.

use crate::ast::{Name, Payload, StmtKind, TypeExpr};
use crate::lexer::TokenKind;
use crate::parser::Parser;

/// The label of a message written with an empty operator, `() from A to B;`.
const EMPTY_OPERATOR_LABEL: &str = "_";

impl Parser<'_> {
    /// `m(x: int, string) from A to B, C;`, `1() from A to B;` or `() from A to B;`.
    pub(super) fn nuscr_message(&mut self) -> Option<StmtKind> {
        let label = self.message_operator()?;
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
            missable: false,
        })
    }

    /// A message operator: a name, a number (its digits are the label), or
    /// nothing before `(` (the label [`EMPTY_OPERATOR_LABEL`]).
    fn message_operator(&mut self) -> Option<Name> {
        match self.peek() {
            TokenKind::Int(_) => {
                let span = self.bump().span;
                Some(Name {
                    text: self.slice(span),
                    span,
                })
            }
            TokenKind::Punct("(") => Some(Name {
                text: EMPTY_OPERATOR_LABEL.to_string(),
                span: self.span(),
            }),
            _ => self.ident("a message label"),
        }
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
}
