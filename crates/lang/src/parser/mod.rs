//! The `.tell` parser: layout-aware recursive descent that never fails.
//!
//! Layout works on token columns. A block opened by indentation has a
//! column; a token that starts a line at or left of the innermost block's
//! column ends the current statement (the parser sees it as end of input
//! until the enclosing block takes over). A block that starts on its owner's
//! line continues on following lines indented further than the owner.
//! Braces open explicit blocks where layout is off. The parser returns whatever it built plus diagnostics,
//! recovers at statement boundaries, bounds its nesting depth and its total
//! number of steps, so no input can make it loop, overflow or panic.

mod core;
mod decl;
mod stmt;
mod types;

pub(crate) use self::core::Parser;

use crate::ast::{Dialect, Module};
use crate::diagnostic::Diagnostic;
use crate::lexer::lex;
use crate::source::SourceFile;

/// Parses a `.tell` file into a module, reporting every problem found.
pub fn parse_module(file: &SourceFile) -> (Module, Vec<Diagnostic>) {
    let lexed = lex(&file.text, Dialect::Tell);
    let mut parser = Parser::new(&file.text, lexed.tokens);
    let mut module = parser.module();
    module.comments = lexed.comments;
    let mut diagnostics = lexed.diagnostics;
    diagnostics.extend(parser.finish());
    (module, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Item, Stmt, StmtKind};

    /// A one-word summary of each statement, nested blocks in brackets.
    fn shape(stmts: &[Stmt]) -> String {
        let parts: Vec<String> = stmts
            .iter()
            .map(|s| match &s.kind {
                StmtKind::Roles(_) => "roles".to_string(),
                StmtKind::Send { label, .. } => label.text.clone(),
                StmtKind::Choice { branches, .. } => {
                    let b: Vec<String> = branches.iter().map(|b| shape(&b.body)).collect();
                    format!("choice[{}]", b.join(" | "))
                }
                StmtKind::Rec { body, .. } => format!("rec[{}]", shape(body)),
                StmtKind::Continue(_) => "continue".to_string(),
                StmtKind::Loop { body, .. } => format!("loop[{}]", shape(body)),
                StmtKind::Par(branches) => {
                    let b: Vec<String> = branches.iter().map(|(b, _)| shape(b)).collect();
                    format!("par[{}]", b.join(" | "))
                }
                StmtKind::Call { protocol, .. } => format!("call {}", protocol.text),
                StmtKind::Timeout {
                    body, on_timeout, ..
                } => format!("timeout[{} / {}]", shape(body), shape(on_timeout)),
                StmtKind::Heartbeat {
                    on_missing, body, ..
                } => format!("heartbeat[{} / {}]", shape(on_missing), shape(body)),
                StmtKind::Let { var, .. } => format!("let {}", var.text),
                StmtKind::Case { branches, .. } => {
                    let b: Vec<String> = branches.iter().map(|b| shape(&b.body)).collect();
                    format!("case[{}]", b.join(" | "))
                }
            })
            .collect();
        parts.join(" ")
    }

    /// Parses `text` and compares the shape of every protocol and the
    /// number of diagnostics.
    fn check(text: &str, expected: &[&str], errors: usize) {
        let (module, diags) = parse_module(&SourceFile::new("t.tell", text));
        let shapes: Vec<String> = module
            .protocols()
            .iter()
            .map(|p| format!("{}: {}", p.name.text, shape(&p.body)))
            .collect();
        assert_eq!(shapes, expected, "{diags:#?}");
        assert_eq!(diags.len(), errors, "{diags:#?}");
    }

    #[test]
    fn layout_blocks() {
        check(
            "protocol P =\n  roles A, B\n  A -> B : x\n  rec L\n    A -> B : y\n    continue L\n",
            &["P: roles x rec[y continue]"],
            0,
        );
    }

    #[test]
    fn inline_blocks_continue_on_aligned_lines() {
        check(
            "protocol P =\n  par\n    | A -> B : x\n      B -> A : y\n    | C -> D : z\n  A -> C : w\n",
            &["P: par[x y | z] w"],
            0,
        );
    }

    #[test]
    fn brace_blocks_and_semicolons() {
        check(
            "protocol P = {\nroles A, B; A -> B : x\n  rec L { A -> B : y; continue L }\n}\n",
            &["P: roles x rec[y continue]"],
            0,
        );
    }

    #[test]
    fn choice_branches_at_the_statement_column() {
        check(
            "protocol P =\n  choice A at\n  | X => A -> B : x\n  | Y =>\n    A -> B : y\n    B -> A : z\n  A -> B : after\n",
            &["P: choice[x | y z] after"],
            0,
        );
    }

    #[test]
    fn where_blocks_and_nested_protocols() {
        check(
            "protocol P =\n  call Q\nwhere\n  protocol Q =\n    A -> B : x\n\nprotocol R = A -> B : r\n",
            &["P: call Q", "Q: x", "R: r"],
            0,
        );
    }

    #[test]
    fn timeout_heartbeat_and_effects() {
        check(
            "protocol P =\n  timeout 5s A at\n    B -> A : r\n  on timeout =>\n    A -> B : c\n  heartbeat A -> B every 1s on_missing(3) { B -> A : d } body { A -> B : a }\n  let v = check E.op(x, f(y)) at A\n  case v of\n    | Ok(x) => A -> B : ok\n    | Err(e) => A -> B : err\n",
            &["P: timeout[r / c] heartbeat[d / a] let v case[ok | err]"],
            0,
        );
    }

    #[test]
    fn recovery_keeps_later_statements() {
        check(
            "protocol P =\n  A -> : x\n  A -> B : y\n  ??? nonsense\n  B -> A : z\n",
            &["P: y z"],
            2,
        );
    }

    #[test]
    fn recovery_at_top_level() {
        check("garbage here\nprotocol P =\n  A -> B : x\n", &["P: x"], 1);
    }

    #[test]
    fn long_protocols_stay_within_the_step_budget() {
        let mut text = String::from("protocol P =\n  roles A, B\n");
        for i in 0..5_000 {
            text.push_str(&format!("  A -> B : M{i} {{ x : Int }}\n  choice B at\n    | X{i} => B -> A : X{i}\n    | Y{i} => B -> A : Y{i}\n"));
        }
        let (module, diags) = parse_module(&SourceFile::new("t.tell", text));
        assert!(diags.is_empty(), "{:?}", diags.first());
        assert_eq!(module.protocols()[0].body.len(), 10_001);
    }

    #[test]
    fn declarations() {
        let (module, diags) = parse_module(&SourceFile::new(
            "t.tell",
            "module a.b exposing (P)\nimport c.d\ntype V = | Yes | No of Int\ntype alias R = { x : Int }\neffect E\n  op : A -> Result B C\n",
        ));
        assert!(diags.is_empty(), "{diags:#?}");
        assert!(module.header.is_some());
        assert_eq!(module.imports.len(), 1);
        assert_eq!(module.items.len(), 3);
        assert!(matches!(&module.items[2], Item::Effect(e) if e.operations.len() == 1));
    }
}
