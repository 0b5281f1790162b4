//! Type expressions: payload types and effect signatures.

use super::core::Parser;
use crate::ast::{Name, TypeExpr};
use crate::lexer::TokenKind;
use telltale_types::stack::with_headroom;

impl Parser<'_> {
    /// A type: a dotted path (with arguments when `allow_app`), a record or a tuple.
    pub(crate) fn type_expr(&mut self, allow_app: bool) -> Option<TypeExpr> {
        with_headroom(|| {
            if !self.enter() {
                // Too deep: a bare path still reads (it nests nothing), a
                // bracketed type is skipped whole and stands as `()`.
                if matches!(self.peek(), TokenKind::Ident(_)) {
                    return self.type_expr_inner(false);
                }
                if !matches!(self.peek(), TokenKind::Punct("{" | "(")) {
                    return self.fail(&["a type"]);
                }
                let start = self.span();
                self.skip_too_deep(None);
                return Some(TypeExpr::Tuple(Vec::new(), self.since(start)));
            }
            let out = self.type_expr_inner(allow_app);
            self.leave();
            out
        })
    }

    fn type_expr_inner(&mut self, allow_app: bool) -> Option<TypeExpr> {
        let start = self.span();
        match self.peek() {
            TokenKind::Punct("{") => {
                let fields = self.record_fields()?;
                Some(TypeExpr::Record(fields, self.since(start)))
            }
            TokenKind::Punct("(") => {
                self.bump();
                let items = self.with_layout(None, |p| {
                    let mut items = Vec::new();
                    while !p.at_punct(")") {
                        items.push(p.type_expr(true)?);
                        if !p.eat_punct(",") {
                            break;
                        }
                    }
                    p.expect_punct(")")?;
                    Some(items)
                })?;
                Some(TypeExpr::Tuple(items, self.since(start)))
            }
            TokenKind::Ident(_) => {
                let mut path = vec![self.ident("a type name")?.text];
                while self.at_punct(".") {
                    self.bump();
                    path.push(self.ident("a type name")?.text);
                }
                let mut args = Vec::new();
                if allow_app {
                    while matches!(
                        self.peek(),
                        TokenKind::Ident(_) | TokenKind::Punct("(") | TokenKind::Punct("{")
                    ) {
                        args.push(self.type_expr(false)?);
                    }
                }
                Some(TypeExpr::Path {
                    path,
                    args,
                    span: self.since(start),
                })
            }
            _ => self.fail(&["a type"]),
        }
    }

    /// `{ name : Type, ... }`.
    pub(crate) fn record_fields(&mut self) -> Option<Vec<(Name, TypeExpr)>> {
        self.expect_punct("{")?;
        self.with_layout(None, |p| {
            let mut fields = Vec::new();
            while !p.at_punct("}") {
                let name = p.ident("a field name")?;
                p.expect_punct(":")?;
                fields.push((name, p.type_expr(true)?));
                if !p.eat_punct(",") {
                    break;
                }
            }
            p.expect_punct("}")?;
            Some(fields)
        })
    }
}
