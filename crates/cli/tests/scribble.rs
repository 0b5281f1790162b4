//! `tell` on Scribble files that import modules from files beside them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell};

const ORDER: &str = "crates/cli/tests/fixtures/scribble/shop/Order.scr";
const BROKEN: &str = "crates/cli/tests/fixtures/scribble/broken/Main.scr";

#[test]
fn check_reads_the_imported_modules() {
    let out = tell(&["check", ORDER]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Order ok: roles Buyer, Seller, Bank; 5 messages"),
        "{text}"
    );
    // Imported protocols are called, not checked as entry points.
    assert!(!text.contains("Pay ok"), "{text}");
}

#[test]
fn project_inlines_the_imported_protocols() {
    let out = tell(&["project", ORDER]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn project_draws_numeric_and_empty_operators_as_dot() {
    let out = tell(&["project", ORDER, "--role", "Buyer", "--format", "dot"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dot = stdout(&out);
    assert!(dot.contains("[label=\"Seller?1()\""), "{dot}");
    assert!(dot.contains("[label=\"Bank?_()\""), "{dot}");
}

#[test]
fn a_missing_module_exits_1_and_names_the_files_tried() {
    let out = tell(&["check", BROKEN]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out));
}
