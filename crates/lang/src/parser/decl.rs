//! Module structure: header, imports, protocols, types and effects.

use super::core::Parser;
use crate::ast::{
    EffectDecl, Import, Item, Module, ModuleHeader, Name, Operation, Protocol, TypeDecl, TypeDef,
    TypeExpr,
};
use crate::lexer::TokenKind;

/// What may start a top-level declaration.
const ITEM_STARTS: &[&str] = &["`module`", "`import`", "`protocol`", "`type`", "`effect`"];

impl Parser<'_> {
    /// Parses a whole `.tell` module.
    pub(crate) fn module(&mut self) -> Module {
        let mut module = Module::default();
        loop {
            if matches!(self.raw().kind, TokenKind::Eof) || self.at_boundary_eof() {
                break;
            }
            self.allow_here();
            let ok = if self.at_kw("module") {
                self.header().map(|h| module.header = Some(h))
            } else if self.at_kw("import") {
                self.import().map(|i| module.imports.push(i))
            } else if self.at_kw("protocol") {
                self.protocol()
                    .map(|p| module.items.push(Item::Protocol(p)))
            } else if self.at_kw("type") {
                self.type_decl().map(|t| module.items.push(Item::Type(t)))
            } else if self.at_kw("effect") {
                self.effect().map(|e| module.items.push(Item::Effect(e)))
            } else {
                self.fail(ITEM_STARTS)
            };
            if ok.is_none() {
                self.skip_to_top_level();
            }
        }
        module
    }

    /// Whether the step budget ran out (everything then reads as the end).
    fn at_boundary_eof(&self) -> bool {
        matches!(self.peek(), TokenKind::Eof) && !self.raw().first_on_line
    }

    /// Skips to the next token that starts a line in column 0.
    fn skip_to_top_level(&mut self) {
        let start = self.span();
        loop {
            let token = self.raw();
            if matches!(token.kind, TokenKind::Eof)
                || (token.first_on_line && token.col == 0 && token.span != start)
            {
                break;
            }
            self.bump();
            if self.depth > 0 {
                break;
            }
        }
    }

    /// `a.b.c`.
    fn dotted_path(&mut self) -> Option<Vec<Name>> {
        let mut path = vec![self.ident("a module name")?];
        while self.eat_punct(".") {
            path.push(self.ident("a module name")?);
        }
        Some(path)
    }

    /// `(X, Y)` after `exposing`.
    fn exposing(&mut self) -> Option<Vec<Name>> {
        if !self.eat_kw("exposing") {
            return Some(Vec::new());
        }
        self.expect_punct("(")?;
        self.with_layout(None, |p| {
            let mut names = Vec::new();
            while !p.at_punct(")") {
                if p.eat_punct("..") {
                    names.push(Name {
                        text: "..".into(),
                        span: p.prev_end(),
                    });
                } else {
                    names.push(p.ident("a name")?);
                }
                if !p.eat_punct(",") {
                    break;
                }
            }
            p.expect_punct(")")?;
            Some(names)
        })
    }

    /// `module a.b exposing (X)`.
    fn header(&mut self) -> Option<ModuleHeader> {
        let start = self.bump().span;
        let path = self.dotted_path()?;
        let exposing = self.exposing()?;
        Some(ModuleHeader {
            path,
            exposing,
            span: self.since(start),
        })
    }

    /// `import a.b`.
    fn import(&mut self) -> Option<Import> {
        let start = self.bump().span;
        let path = self.dotted_path()?;
        self.exposing()?;
        Some(Import {
            path,
            alias: None,
            span: self.since(start),
        })
    }

    /// `protocol P [(roles)] [uses E, F] = body [where nested]`.
    pub(crate) fn protocol(&mut self) -> Option<Protocol> {
        let col = self.raw().col;
        let start = self.bump().span;
        let name = self.ident("a protocol name")?;
        let params = if self.at_punct("(") {
            self.bump();
            self.with_layout(None, |p| {
                let mut params = Vec::new();
                while !p.at_punct(")") {
                    params.push(p.role_decl()?);
                    if !p.eat_punct(",") {
                        break;
                    }
                }
                p.expect_punct(")")?;
                Some(params)
            })?
        } else {
            Vec::new()
        };
        let mut uses = Vec::new();
        if self.eat_kw("uses") {
            uses.push(self.ident("an effect name")?);
            while self.eat_punct(",") {
                uses.push(self.ident("an effect name")?);
            }
        }
        self.expect_punct("=")?;
        let body = self.stmt_block(col);
        let mut nested = Vec::new();
        if self.continuation_at(col, |k| matches!(k, TokenKind::Ident(w) if w == "where")) {
            self.bump();
            nested = self.block(col, |p| {
                p.allow_here();
                if p.at_kw("protocol") {
                    p.protocol()
                } else {
                    p.fail(&["`protocol`"])
                }
            });
        }
        Some(Protocol {
            name,
            params,
            uses,
            body,
            nested,
            aux: false,
            span: self.since(start),
        })
    }

    /// `type X = | A | B of T` or `type alias X = T`.
    fn type_decl(&mut self) -> Option<TypeDecl> {
        let col = self.raw().col;
        let start = self.bump().span;
        let alias = self.eat_kw("alias");
        let name = self.ident("a type name")?;
        let mut params = Vec::new();
        while matches!(self.peek(), TokenKind::Ident(_)) {
            params.push(self.ident("a type parameter")?);
        }
        self.expect_punct("=")?;
        let def = if alias {
            TypeDef::Alias(self.type_expr(true)?)
        } else {
            let mut variants = Vec::new();
            while self.continuation_at(col + 1, |k| matches!(k, TokenKind::Punct("|")))
                || (variants.is_empty() && matches!(self.peek(), TokenKind::Ident(_)))
            {
                self.eat_punct("|");
                let ctor = self.ident("a constructor name")?;
                let mut args: Vec<TypeExpr> = Vec::new();
                if self.eat_kw("of") {
                    args.push(self.type_expr(true)?);
                } else {
                    while matches!(
                        self.peek(),
                        TokenKind::Ident(_) | TokenKind::Punct("(") | TokenKind::Punct("{")
                    ) {
                        args.push(self.type_expr(false)?);
                    }
                }
                variants.push((ctor, args));
            }
            if variants.is_empty() {
                return self.fail(&["`|` starting a constructor"]);
            }
            TypeDef::Variants(variants)
        };
        Some(TypeDecl {
            name,
            params,
            def,
            span: self.since(start),
        })
    }

    /// `effect E` followed by an indented list of `op : In -> Out`.
    fn effect(&mut self) -> Option<EffectDecl> {
        let col = self.raw().col;
        let start = self.bump().span;
        let name = self.ident("an effect name")?;
        self.eat_kw("where");
        let operations = self.block(col, |p| {
            let name = p.ident("an operation name")?;
            p.expect_punct(":")?;
            let first = p.type_expr(true)?;
            let (input, output) = if p.eat_punct("->") {
                (first, p.type_expr(true)?)
            } else {
                (TypeExpr::Tuple(Vec::new(), name.span), first)
            };
            let span = p.since(name.span);
            Some(Operation {
                name,
                input,
                output,
                span,
            })
        });
        Some(EffectDecl {
            name,
            operations,
            span: self.since(start),
        })
    }
}
