//! Hostile inputs: nesting far past the parser's limit costs one error and
//! linear time, and payload types too deep to lower are refused by the
//! parser instead of overflowing anything.

use telltale_lang::render::MAX_RENDERED;
use telltale_lang::{
    lower_all, parse_module, render_all, DiagnosticKind, LowerOptions, SourceFile,
};

/// Choices nested `depth` deep on one line, with braces.
fn one_line_choices(depth: usize) -> String {
    format!(
        "protocol P = {{ roles A, B; {}A -> B : y{} }}\n",
        "choice A at { | X => { A -> B : x; ".repeat(depth),
        " } }".repeat(depth)
    )
}

/// Parses `text`, expects exactly one diagnostic (the nesting error) and
/// returns its rendering.
fn one_nesting_error(name: &str, text: String) -> String {
    let file = SourceFile::new(name, text);
    let (module, diagnostics) = parse_module(&file);
    let headlines: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        headlines,
        ["error[E001]: nesting deeper than 200 levels"],
        "{name}"
    );
    assert_eq!(diagnostics[0].kind, DiagnosticKind::Syntax);
    // What was built still lowers without trouble (or with errors).
    let _ = lower_all(&module, &LowerOptions::default());
    render_all(&diagnostics, &file)
}

#[test]
fn choices_nested_a_hundred_thousand_deep_give_one_short_error() {
    let rendered = one_nesting_error("deep.tell", one_line_choices(100_000));
    assert!(
        rendered.len() < 1_000,
        "{} bytes:\n{rendered}",
        rendered.len()
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn the_statements_after_an_over_deep_block_still_parse() {
    let text = format!(
        "protocol P = {{ roles A, B; {}A -> B : y{}; B -> A : after }}\nprotocol Q = A -> B : q\n",
        "rec L { A -> B : x; ".repeat(300),
        " }".repeat(300)
    );
    let file = SourceFile::new("after.tell", text);
    let (module, diagnostics) = parse_module(&file);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(module.protocols().len(), 2);
    assert_eq!(module.protocols()[0].body.len(), 3, "roles, rec, after");
}

#[test]
fn indented_choices_nested_past_the_limit_give_one_error() {
    let mut text = String::from("protocol P =\n  roles A, B\n");
    for i in 1..=1_000 {
        let indent = "  ".repeat(i);
        text.push_str(&format!("{indent}choice A at\n{indent}| X{i} =>\n"));
    }
    text.push_str(&format!("{}A -> B : y\n", "  ".repeat(1_001)));
    text.push_str("  B -> A : after\n");
    one_nesting_error("layout.tell", text);
}

#[test]
fn tuple_and_record_payloads_a_million_deep_are_refused() {
    let depth = 1_000_000;
    let tuple = format!(
        "protocol P =\n  roles A, B\n  A -> B : m of {}Int{}\n  B -> A : after\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    one_nesting_error("tuple.tell", tuple);
    let record = format!(
        "protocol P =\n  roles A, B\n  A -> B : m {}Int{}\n  B -> A : after\n",
        "{ a : ".repeat(depth),
        " }".repeat(depth)
    );
    one_nesting_error("record.tell", record);
}

#[test]
fn many_errors_are_cut_at_the_cap_with_a_count() {
    let mut text = String::from("protocol P =\n  roles A, B\n");
    for _ in 0..(MAX_RENDERED + 25) {
        text.push_str("  A -> : x\n");
    }
    let file = SourceFile::new("many.tell", text);
    let (_, diagnostics) = parse_module(&file);
    assert_eq!(diagnostics.len(), MAX_RENDERED + 25);
    let rendered = render_all(&diagnostics, &file);
    assert_eq!(rendered.matches("error[E001]").count(), MAX_RENDERED);
    assert!(
        rendered.ends_with("... and 25 more errors in many.tell (only the first 50 are shown)\n\n"),
        "{rendered}"
    );
}
