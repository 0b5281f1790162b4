//! The formatter: prints a module in canonical `.tell` layout.
//!
//! Output is a fixed point (formatting it again changes nothing) and means
//! the same protocol. Comments are kept: each is printed on its own line
//! before the first declaration or statement that follows it in the source.
//! Modules read by the nuscr front-end come out as `.tell`.

use crate::ast::{
    Annotation, FamilySize, IndexBase, IndexExpr, Item, LoopKind, Module, Payload, PayloadTypeKind,
    Protocol, RoleDecl, RoleIndex, RoleRef, Stmt, StmtKind, TypeDef, TypeExpr,
};
use crate::lexer::Comment;
use std::fmt::Write as _;
use telltale_types::stack::with_headroom;

/// Prints a module in canonical `.tell` form.
pub fn format_module(module: &Module) -> String {
    let mut p = Printer {
        out: String::new(),
        comments: &module.comments,
        next: 0,
    };
    let mut first = true;
    if let Some(h) = &module.header {
        p.comments_before(h.span.start, 0);
        let path: Vec<&str> = h.path.iter().map(|n| n.text.as_str()).collect();
        let _ = write!(p.out, "module {}", path.join("."));
        if !h.exposing.is_empty() {
            let names: Vec<&str> = h.exposing.iter().map(|n| n.text.as_str()).collect();
            let _ = write!(p.out, " exposing ({})", names.join(", "));
        }
        p.out.push('\n');
        first = false;
    }
    for (i, import) in module.imports.iter().enumerate() {
        if i == 0 && !first {
            p.out.push('\n');
        }
        p.comments_before(import.span.start, 0);
        let path: Vec<&str> = import.path.iter().map(|n| n.text.as_str()).collect();
        let _ = writeln!(p.out, "import {}", path.join("."));
        first = false;
    }
    for item in &module.items {
        if !first {
            p.out.push('\n');
        }
        first = false;
        match item {
            Item::Protocol(proto) => p.protocol(proto, 0),
            Item::Type(t) => {
                p.comments_before(t.span.start, 0);
                let params: String = t.params.iter().map(|n| format!(" {}", n.text)).collect();
                match &t.def {
                    TypeDef::Alias(ty) => {
                        let _ = writeln!(
                            p.out,
                            "type alias {}{params} = {}",
                            t.name.text,
                            type_text(ty)
                        );
                    }
                    TypeDef::Variants(vs) => {
                        let _ = write!(p.out, "type {}{params} =", t.name.text);
                        for (name, args) in vs {
                            let _ = write!(p.out, " | {}", name.text);
                            for a in args {
                                let _ = write!(p.out, " {}", type_atom(a));
                            }
                        }
                        p.out.push('\n');
                    }
                }
            }
            Item::Effect(e) => {
                p.comments_before(e.span.start, 0);
                let _ = writeln!(p.out, "effect {}", e.name.text);
                if e.operations.is_empty() {
                    p.out.push_str("  {}\n");
                }
                for op in &e.operations {
                    p.comments_before(op.span.start, 2);
                    let _ = writeln!(
                        p.out,
                        "  {} : {} -> {}",
                        op.name.text,
                        type_text(&op.input),
                        type_text(&op.output)
                    );
                }
            }
            Item::PayloadType(t) => {
                let keyword = match t.kind {
                    PayloadTypeKind::Type => "type",
                    PayloadTypeKind::Sig => "sig",
                };
                let _ = writeln!(
                    p.out,
                    "-- Scribble {keyword} <{}> \"{}\" as {}",
                    t.schema.text, t.external, t.name.text
                );
                first = true;
            }
            Item::Pragma(names) => {
                let names: Vec<&str> = names.iter().map(|n| n.text.as_str()).collect();
                let _ = writeln!(p.out, "-- nuscr pragmas: {}", names.join(", "));
                first = true;
            }
        }
    }
    p.comments_before(usize::MAX, 0);
    p.out
}

/// A type expression as it is written in `.tell` (`Result E ledger.Receipt`).
pub fn type_text(ty: &TypeExpr) -> String {
    with_headroom(|| match ty {
        TypeExpr::Path { path, args, .. } => {
            let mut s = path.join(".");
            for a in args {
                s.push(' ');
                s.push_str(&type_atom(a));
            }
            s
        }
        TypeExpr::Record(fields, _) => record_text(fields),
        TypeExpr::Tuple(items, _) => {
            let items: Vec<String> = items.iter().map(type_text).collect();
            format!("({})", items.join(", "))
        }
    })
}

/// A type in argument position (applications are parenthesised).
fn type_atom(ty: &TypeExpr) -> String {
    match ty {
        TypeExpr::Path { args, .. } if !args.is_empty() => format!("({})", type_text(ty)),
        _ => type_text(ty),
    }
}

fn record_text(fields: &[(crate::ast::Name, TypeExpr)]) -> String {
    if fields.is_empty() {
        return "{}".into();
    }
    let fields: Vec<String> = fields
        .iter()
        .map(|(n, t)| format!("{} : {}", n.text, type_text(t)))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

fn role_decl_text(d: &RoleDecl) -> String {
    match &d.family {
        None => d.name.text.clone(),
        Some(FamilySize::Fixed(n)) => format!("{}[{n}]", d.name.text),
        Some(FamilySize::Symbolic(p)) => format!("{}[{}]", d.name.text, p.text),
        Some(FamilySize::Any) => format!("{}[*]", d.name.text),
    }
}

fn index_text(e: &IndexExpr) -> String {
    let base = match &e.base {
        IndexBase::Literal(n) => n.to_string(),
        IndexBase::Param(p) => p.clone(),
    };
    match e.offset {
        0 => base,
        o if o > 0 => format!("{base}+{o}"),
        o => format!("{base}-{}", o.unsigned_abs()),
    }
}

fn role_text(r: &RoleRef) -> String {
    match &r.index {
        None => r.name.text.clone(),
        Some(RoleIndex::All) => format!("{}[*]", r.name.text),
        Some(RoleIndex::One(e)) => format!("{}[{}]", r.name.text, index_text(e)),
        Some(RoleIndex::Range(a, b)) => {
            format!("{}[{}..{}]", r.name.text, index_text(a), index_text(b))
        }
    }
}

fn payload_text(p: &Payload) -> String {
    match p {
        Payload::Unit => String::new(),
        Payload::Of(t) => format!(" of {}", type_text(t)),
        Payload::Record(fields) => format!(" {}", record_text(fields)),
        Payload::Tuple(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|(n, t)| match n {
                    Some(n) => format!("{} : {}", n.text, type_text(t)),
                    None => type_text(t),
                })
                .collect();
            format!("({})", items.join(", "))
        }
    }
}

fn annotations_text(a: &[Annotation]) -> String {
    if a.is_empty() {
        return String::new();
    }
    let items: Vec<String> = a
        .iter()
        .map(|a| format!("{} = {}", a.key.text, a.value))
        .collect();
    format!(" {{ {} }}", items.join(", "))
}

/// The lines of a send statement (one per receiver); empty for other statements.
fn send_lines(kind: &StmtKind) -> Vec<String> {
    let StmtKind::Send {
        from,
        annotations,
        to,
        broadcast,
        label,
        payload,
        missable,
    } = kind
    else {
        return Vec::new();
    };
    let head = format!("{}{}", role_text(from), annotations_text(annotations));
    let missed = if *missable { " or missed" } else { "" };
    let tail = format!("{}{}{missed}", label.text, payload_text(payload));
    let mut lines = Vec::new();
    if *broadcast {
        lines.push(format!("{head} ->* : {tail}"));
    }
    for r in to {
        lines.push(format!("{head} -> {} : {tail}", role_text(r)));
    }
    lines
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

struct Printer<'a> {
    out: String,
    comments: &'a [Comment],
    next: usize,
}

impl Printer<'_> {
    /// Prints every comment that starts before `offset`, at `indent`.
    fn comments_before(&mut self, offset: usize, indent: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start >= offset {
                break;
            }
            self.next += 1;
            let text = if let Some(rest) = c.text.strip_prefix("//") {
                format!("--{rest}")
            } else if let Some(inner) = c.text.strip_prefix("(*") {
                let inner = inner.strip_suffix("*)").unwrap_or(inner);
                if inner.contains("-}") || inner.contains("{-") {
                    // Such text would end or open a `{- -}` block early, so
                    // it becomes one `--` line comment per line instead.
                    let separator = format!("\n{}", " ".repeat(indent));
                    inner
                        .lines()
                        .map(|l| format!("--{l}"))
                        .collect::<Vec<_>>()
                        .join(&separator)
                } else {
                    format!("{{-{inner}-}}")
                }
            } else {
                c.text.clone()
            };
            let _ = writeln!(self.out, "{}{}", " ".repeat(indent), text.trim_end());
        }
    }

    fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{}{text}", " ".repeat(indent));
    }

    fn protocol(&mut self, p: &Protocol, indent: usize) {
        self.comments_before(p.span.start, indent);
        let mut head = format!("protocol {}", p.name.text);
        if !p.params.is_empty() {
            let params: Vec<String> = p.params.iter().map(role_decl_text).collect();
            let _ = write!(head, "({})", params.join(", "));
        }
        if !p.uses.is_empty() {
            let uses: Vec<&str> = p.uses.iter().map(|u| u.text.as_str()).collect();
            let _ = write!(head, " uses {}", uses.join(", "));
        }
        if p.body.is_empty() {
            head.push_str(" = {}");
            self.line(indent, &head);
        } else {
            head.push_str(" =");
            self.line(indent, &head);
            self.stmts(&p.body, indent + 2);
        }
        if !p.nested.is_empty() {
            self.line(indent, "where");
            for (i, n) in p.nested.iter().enumerate() {
                if i > 0 {
                    self.out.push('\n');
                }
                self.protocol(n, indent + 2);
            }
        }
    }

    /// Prints a block after a header line ending in `head` (`{}` when empty).
    fn block(&mut self, indent: usize, head: &str, body: &[Stmt], body_indent: usize) {
        if body.is_empty() {
            self.line(indent, &format!("{head} {{}}"));
        } else {
            self.line(indent, head);
            self.stmts(body, body_indent);
        }
    }

    fn stmts(&mut self, stmts: &[Stmt], indent: usize) {
        for s in stmts {
            self.stmt(s, indent);
        }
    }

    fn stmt(&mut self, s: &Stmt, indent: usize) {
        with_headroom(|| {
            self.comments_before(s.span.start, indent);
            match &s.kind {
                StmtKind::Roles(decls) => {
                    let decls: Vec<String> = decls.iter().map(role_decl_text).collect();
                    self.line(indent, &format!("roles {}", decls.join(", ")));
                }
                StmtKind::Send { .. } => {
                    for line in send_lines(&s.kind) {
                        self.line(indent, &line);
                    }
                }
                StmtKind::Choice { decider, branches } => {
                    self.line(indent, &format!("choice {} at", role_text(decider)));
                    for b in branches {
                        self.comments_before(b.span.start, indent + 2);
                        let guard = b
                            .guard
                            .as_ref()
                            .map(|g| format!(" when ({g})"))
                            .unwrap_or_default();
                        let head = format!("| {}{guard} =>", b.name.text);
                        self.block(indent + 2, &head, &b.body, indent + 4);
                    }
                }
                StmtKind::Rec { label, body } => {
                    self.block(indent, &format!("rec {}", label.text), body, indent + 2);
                }
                StmtKind::Continue(label) => self.line(indent, &format!("continue {}", label.text)),
                StmtKind::Loop { kind, body } => {
                    let head = match kind {
                        LoopKind::Forever => "loop forever".to_string(),
                        LoopKind::Repeat(n) => format!("loop repeat {n}"),
                        LoopKind::DecideBy(r) => format!("loop decide by {}", role_text(r)),
                        LoopKind::While(c) => format!("loop while {}", quote(c)),
                    };
                    self.block(indent, &head, body, indent + 2);
                }
                StmtKind::Par(branches) => {
                    self.line(indent, "par");
                    for (body, span) in branches {
                        self.comments_before(span.start, indent + 2);
                        let lines = body
                            .first()
                            .map(|s| send_lines(&s.kind))
                            .unwrap_or_default();
                        if let [line] = lines.as_slice() {
                            self.line(indent + 2, &format!("| {line}"));
                            self.stmts(&body[1..], indent + 4);
                        } else {
                            self.block(indent + 2, "|", body, indent + 4);
                        }
                    }
                }
                StmtKind::Call { protocol, args } => {
                    if args.is_empty() {
                        self.line(indent, &format!("call {}", protocol.text));
                    } else {
                        let args: Vec<String> = args.iter().map(role_text).collect();
                        self.line(
                            indent,
                            &format!("call {}({})", protocol.text, args.join(", ")),
                        );
                    }
                }
                StmtKind::Timeout {
                    duration,
                    role,
                    body,
                    on_timeout,
                } => {
                    let head = format!("timeout {duration} {} at", role_text(role));
                    self.block(indent, &head, body, indent + 2);
                    self.block(indent, "on timeout =>", on_timeout, indent + 2);
                }
                StmtKind::Heartbeat {
                    from,
                    to,
                    every,
                    missing,
                    on_missing,
                    body,
                } => {
                    self.line(
                        indent,
                        &format!(
                            "heartbeat {} -> {} every {every} on_missing({missing}) {{",
                            role_text(from),
                            role_text(to)
                        ),
                    );
                    self.stmts(on_missing, indent + 2);
                    self.line(indent, "} body {");
                    self.stmts(body, indent + 2);
                    self.line(indent, "}");
                }
                StmtKind::Let {
                    var,
                    effect,
                    operation,
                    args,
                    at,
                } => {
                    let at = at
                        .as_ref()
                        .map(|r| format!(" at {}", role_text(r)))
                        .unwrap_or_default();
                    self.line(
                        indent,
                        &format!(
                            "let {} = check {}.{}({}){at}",
                            var.text,
                            effect.text,
                            operation.text,
                            args.join(", ")
                        ),
                    );
                }
                StmtKind::Case {
                    scrutinee,
                    branches,
                } => {
                    self.line(indent, &format!("case {} of", scrutinee.text));
                    for b in branches {
                        self.comments_before(b.span.start, indent + 2);
                        let binder = b
                            .binder
                            .as_ref()
                            .map(|n| format!("({})", n.text))
                            .unwrap_or_default();
                        let head = format!("| {}{binder} =>", b.constructor.text);
                        self.block(indent + 2, &head, &b.body, indent + 4);
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_module;
    use crate::source::SourceFile;

    /// Formats `input` and compares with `expected`, then checks the fixed point.
    fn check(input: &str, expected: &str) {
        let (module, diags) = parse_module(&SourceFile::new("t.tell", input));
        assert!(diags.is_empty(), "{diags:#?}");
        let once = format_module(&module);
        assert_eq!(once, expected);
        let (again, _) = parse_module(&SourceFile::new("t.tell", once.as_str()));
        assert_eq!(format_module(&again), once);
    }

    #[test]
    fn canonical_layout() {
        check(
            "-- hello\nprotocol P = { roles A,B; A->B:x of Int; choice A at { | X => A->B:y | Y => A->B:z } }",
            "-- hello\nprotocol P =\n  roles A, B\n  A -> B : x of Int\n  choice A at\n    | X =>\n      A -> B : y\n    | Y =>\n      A -> B : z\n",
        );
    }

    #[test]
    fn scribble_comments_holding_block_markers_become_line_comments() {
        let text = "(* a -} b\n {- c *)\nglobal protocol P(role A, role B) { x() from A to B; }\n";
        let file = SourceFile::new("c.nuscr", text);
        let (module, diags) = crate::parse_nuscr(&file);
        assert!(diags.is_empty(), "{diags:?}");
        let formatted = format_module(&module);
        assert!(
            formatted.starts_with("-- a -} b\n-- {- c\nprotocol P(A, B) ="),
            "{formatted}"
        );
        let (again, again_diags) =
            crate::parse_module(&SourceFile::new("f.tell", formatted.as_str()));
        assert!(again_diags.is_empty(), "{formatted}: {again_diags:?}");
        assert_eq!(format_module(&again), formatted);
    }

    #[test]
    fn comments_stay_before_their_statement() {
        check(
            "protocol P =\n  A -> B : x -- trailing\n  {- block -}\n  B -> A : y\n",
            "protocol P =\n  A -> B : x\n  -- trailing\n  {- block -}\n  B -> A : y\n",
        );
    }

    #[test]
    fn missable_messages_keep_or_missed() {
        check(
            "protocol P = { roles A, B, W[N]; A->B:Ping or missed; A->B:Vote of Bool or missed; A->B:R{a:Int} or missed; A->B:T(Int,Bool) or missed; W[*]->W[*]:Vote of consensus.Vote or missed; A ->* : Bye or missed; A -> B : or or missed }",
            "protocol P =\n  roles A, B, W[N]\n  A -> B : Ping or missed\n  A -> B : Vote of Bool or missed\n  A -> B : R { a : Int } or missed\n  A -> B : T(Int, Bool) or missed\n  W[*] -> W[*] : Vote of consensus.Vote or missed\n  A ->* : Bye or missed\n  A -> B : or or missed\n",
        );
    }

    #[test]
    fn empty_blocks_use_braces() {
        check(
            "protocol P =\n  rec L {}\n  loop forever {}\n",
            "protocol P =\n  rec L {}\n  loop forever {}\n",
        );
    }
}
