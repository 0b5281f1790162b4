//! Hostile inputs through the `tell` binary: deep nesting ends in one clear
//! error and a bounded amount of output, never a crash or a hang.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, tell};

use std::path::PathBuf;
use std::process::Output;

/// Writes `text` to a fresh file named `name` and returns its path.
fn write(name: &str, text: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile_inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Fails unless the command refused the input (an ordinary failing exit
/// code, not a signal or a panic) with a message containing `expected`,
/// printed in a few lines (not one per level of nesting).
fn refused_briefly(out: &Output, expected: &str) {
    let err = stderr(out);
    assert!(
        matches!(out.status.code(), Some(1..=3)),
        "{:?}: {err}",
        out.status
    );
    assert!(err.contains(expected), "{err}");
    assert!(err.len() < 2_000, "{} bytes of stderr:\n{err}", err.len());
    assert!(
        !err.contains("overflow") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn check_answers_one_error_for_choices_nested_a_hundred_thousand_deep() {
    let depth = 100_000;
    let text = format!(
        "protocol P = {{ roles A, B; {}A -> B : y{} }}\n",
        "choice A at { | X => { A -> B : x; ".repeat(depth),
        " } }".repeat(depth)
    );
    let out = tell(&["check", &write("deep_choices.tell", &text)]);
    refused_briefly(&out, "error[E001]: nesting deeper than 200 levels");
    assert!(stderr(&out).contains("has 1 error"), "{}", stderr(&out));
}

/// A one-message global type whose payload sort is a product nested `depth` deep.
fn global_with_deep_sort(depth: usize) -> String {
    format!(
        r#"{{"kind":"comm","sender":"A","receiver":"B","branches":[{{"label":{{"name":"m","sort":{}"unit"{}}},"continuation":{{"kind":"end"}}}}]}}"#,
        r#"{"product":["#.repeat(depth),
        "]}".repeat(depth)
    )
}

#[test]
fn project_refuses_a_sort_a_million_deep() {
    let path = write("deep_sort_global.json", &global_with_deep_sort(1_000_000));
    let out = tell(&["project", "--input-json", &path]);
    refused_briefly(&out, "payload sort nested deeper than 1000 levels");
}

#[test]
fn subtype_refuses_a_sort_a_million_deep() {
    let depth = 1_000_000;
    let json = format!(
        r#"{{"kind":"send","partner":"B","branches":[{{"label":{{"name":"m","sort":{}"int"{}}},"continuation":{{"kind":"end"}}}}]}}"#,
        r#"{"record":[{"name":"f","sort":"#.repeat(depth),
        "}]}".repeat(depth)
    );
    let path = write("deep_sort_local.json", &json);
    let out = tell(&["subtype", &path, "!m;end"]);
    refused_briefly(&out, "payload sort nested deeper than 1000 levels");
    let notation = format!("!m({}i32{});end", "(".repeat(depth), ")".repeat(depth));
    let path = write("deep_sort_local.txt", &notation);
    let out = tell(&["subtype", &path, "!m;end"]);
    refused_briefly(&out, "payload sort nested deeper than 1000 levels");
}
