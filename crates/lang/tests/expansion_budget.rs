//! The expansion budget (E029) counts messages, the unit its message names
//! (the exact count at the limit is a unit test in `lower/mod.rs`).

use telltale_lang::{
    lower_all, parse_module, render_all, DiagnosticKind, LowerOptions, SourceFile,
};
use telltale_types::GlobalType;

/// `loop repeat times` around `per_loop` messages.
fn repeated(times: usize, per_loop: usize) -> String {
    let mut text = format!("protocol P =\n  roles A, B\n  loop repeat {times}\n");
    for i in 0..per_loop {
        text.push_str(&format!("    A -> B : M{i}\n"));
    }
    text
}

/// The messages of a type, counted without recursion (the types here are
/// millions of messages deep).
fn messages(g: &GlobalType) -> usize {
    let mut stack = vec![g];
    let mut n = 0;
    while let Some(g) = stack.pop() {
        match g {
            GlobalType::Comm { branches, .. } => {
                n += 1;
                stack.extend(branches.iter().map(|b| &b.continuation));
            }
            GlobalType::Rec { body, .. } => stack.push(body),
            GlobalType::Var(_) | GlobalType::End => {}
        }
    }
    n
}

/// Lowers `text`: the message count, or the rendered diagnostics.
fn lower(text: &str) -> Result<usize, String> {
    let file = SourceFile::new("budget.tell", text);
    let (module, diagnostics) = parse_module(&file);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    match lower_all(&module, &LowerOptions::default()) {
        Ok(protocols) => Ok(messages(&protocols[0].global)),
        Err(diagnostics) => {
            assert!(diagnostics
                .iter()
                .all(|d| d.kind == DiagnosticKind::ExpansionLimit));
            Err(render_all(&diagnostics, &file))
        }
    }
}

#[test]
fn a_million_messages_are_within_the_budget() {
    assert_eq!(lower(&repeated(1_000, 1_000)), Ok(1_000_000));
}
