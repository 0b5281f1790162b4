//! The top level of a Scribble file: `module`, `import`, payload `type` and
//! `sig` declarations, pragmas, and the protocols between them.

use crate::ast::{Import, Item, Module, ModuleHeader, Name, PayloadTypeDecl, PayloadTypeKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::lexer::TokenKind;
use crate::parser::Parser;
use crate::source::Span;

/// The pragmas nuscr defines.
const KNOWN_PRAGMAS: &[&str] = &[
    "RefinementTypes",
    "NestedProtocols",
    "ShowPragmas",
    "PrintUsage",
    "SenderValidateRefinements",
    "ReceiverValidateRefinements",
    "ValidateRefinementSatisfiability",
    "ValidateRefinementProgress",
];

/// What may start a top-level declaration.
const ITEM_STARTS: &[&str] = &[
    "`global protocol`",
    "`module`",
    "`import`",
    "`type`",
    "`sig`",
    "a pragma `(*# ... #*)`",
];

impl Parser<'_> {
    /// Parses the declarations of a whole file into `module`.
    pub(super) fn nuscr_module(&mut self, module: &mut Module) {
        loop {
            let token = self.raw().clone();
            match &token.kind {
                TokenKind::Eof => break,
                TokenKind::Pragma(text) => {
                    self.bump();
                    module
                        .items
                        .push(Item::Pragma(self.pragmas(text, token.span)));
                }
                TokenKind::Ident(w) if w == "module" => match self.nuscr_module_decl() {
                    Some(header) => module.header = Some(header),
                    None => self.skip_to_protocol(token.span),
                },
                TokenKind::Ident(w) if w == "import" => match self.nuscr_import() {
                    Some(import) => module.imports.push(import),
                    None => self.skip_to_protocol(token.span),
                },
                TokenKind::Ident(w) if w == "type" || w == "sig" => {
                    match self.payload_type_decl() {
                        Some(decl) => module.items.push(Item::PayloadType(decl)),
                        None => self.skip_to_protocol(token.span),
                    }
                }
                TokenKind::Ident(w)
                    if matches!(w.as_str(), "global" | "aux" | "explicit" | "protocol") =>
                {
                    match self.nuscr_protocol() {
                        Some(p) => module.items.push(Item::Protocol(p)),
                        None => self.skip_to_protocol(token.span),
                    }
                }
                TokenKind::Ident(w) if self.unsupported_item(w) => {
                    self.skip_to_protocol(token.span)
                }
                _ => {
                    self.fail::<()>(ITEM_STARTS);
                    self.skip_to_protocol(token.span);
                }
            }
        }
    }

    /// A dotted name `a.b.C`, as one name spanning all of it.
    pub(super) fn dotted_name(&mut self, what: &str) -> Option<Name> {
        let first = self.ident(what)?;
        let mut text = first.text;
        while self.eat_punct(".") {
            text.push('.');
            text.push_str(&self.ident("a name after `.`")?.text);
        }
        Some(Name {
            text,
            span: self.since(first.span),
        })
    }

    /// The segments of a dotted name `a.b.C`.
    fn module_path(&mut self, what: &str) -> Option<Vec<Name>> {
        let mut path = vec![self.ident(what)?];
        while self.eat_punct(".") {
            path.push(self.ident("a name after `.`")?);
        }
        Some(path)
    }

    /// `module a.b.c;`.
    fn nuscr_module_decl(&mut self) -> Option<ModuleHeader> {
        let start = self.expect_kw("module")?;
        let path = self.module_path("a module name")?;
        self.expect_punct(";")?;
        Some(ModuleHeader {
            path,
            exposing: Vec::new(),
            span: self.since(start),
        })
    }

    /// `import a.b.c;` or `import a.b.c as M;`.
    fn nuscr_import(&mut self) -> Option<Import> {
        let start = self.expect_kw("import")?;
        let path = self.module_path("a module name")?;
        let alias = if self.eat_kw("as") {
            Some(self.ident("a module alias")?)
        } else {
            None
        };
        self.expect_punct(";")?;
        Some(Import {
            path,
            alias,
            span: self.since(start),
        })
    }

    /// `type <java> "java.lang.Integer" from "rt.jar" as Int;` or the same with `sig`.
    fn payload_type_decl(&mut self) -> Option<PayloadTypeDecl> {
        let start = self.span();
        let kind = if self.eat_kw("sig") {
            PayloadTypeKind::Sig
        } else {
            self.expect_kw("type")?;
            PayloadTypeKind::Type
        };
        self.expect_punct("<")?;
        let schema = self.ident("a schema name such as `java`")?;
        self.expect_punct(">")?;
        let external = self.string_literal("the external name in quotes")?;
        let source = if self.eat_kw("from") {
            Some(self.string_literal("where the definition comes from, in quotes")?)
        } else {
            None
        };
        self.expect_kw("as")?;
        let name = self.ident("the local name")?;
        self.expect_punct(";")?;
        Some(PayloadTypeDecl {
            kind,
            schema,
            external,
            source,
            name,
            span: self.since(start),
        })
    }

    /// A string literal's text.
    fn string_literal(&mut self, what: &str) -> Option<String> {
        if let TokenKind::Str(text) = self.peek() {
            let text = text.clone();
            self.bump();
            Some(text)
        } else {
            self.fail(&[what])
        }
    }

    /// Checks the names in a pragma block.
    fn pragmas(&mut self, text: &str, span: Span) -> Vec<Name> {
        let mut names = Vec::new();
        for name in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            if !KNOWN_PRAGMAS.contains(&name) {
                self.report(
                    Diagnostic::new(
                        DiagnosticKind::UnknownPragma,
                        format!("unknown pragma `{name}`"),
                        span,
                        "not a nuscr pragma",
                    )
                    .with_help(format!("known pragmas: {}", KNOWN_PRAGMAS.join(", "))),
                );
            }
            names.push(Name {
                text: name.to_string(),
                span,
            });
        }
        names
    }

    /// Skips to the next declaration at the start of a line, past the one
    /// that started at `start`.
    fn skip_to_protocol(&mut self, start: Span) {
        loop {
            let token = self.raw();
            let stop = match &token.kind {
                TokenKind::Eof => true,
                TokenKind::Pragma(_) => true,
                TokenKind::Ident(w) => {
                    matches!(
                        w.as_str(),
                        "global" | "aux" | "explicit" | "module" | "import" | "type" | "sig"
                    ) && token.first_on_line
                }
                _ => false,
            };
            if stop && token.span != start {
                break;
            }
            if matches!(token.kind, TokenKind::Eof) {
                break;
            }
            self.bump();
        }
    }
}
