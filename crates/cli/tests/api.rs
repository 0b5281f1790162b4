//! End-to-end tests of `tell api`: the typed API `choreography!` generates,
//! described per role.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell};

#[test]
fn api_prints_every_role_of_a_protocol() {
    let out = tell(&["api", "examples/ping_pong.tell"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn api_prints_one_role() {
    let out = tell(&["api", "examples/three_buyer.tell", "--role", "Seller"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("role Alice"));
    insta::assert_snapshot!(text);
}

#[test]
fn api_shows_the_renamed_prelude_names() {
    let out = tell(&["api", "crates/cli/tests/fixtures/api/prelude_names.tell"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn api_content_id_is_the_one_check_prints() {
    let api = stdout(&tell(&["api", "examples/ping_pong.tell"]));
    let check = stdout(&tell(&["check", "examples/ping_pong.tell"]));
    let id = check.rsplit("content id ").next().unwrap().trim();
    assert!(
        api.contains(&format!("CONTENT_ID = {id}")),
        "{api}\n{check}"
    );
}

#[test]
fn api_of_an_unknown_role_is_a_usage_error() {
    let out = tell(&["api", "examples/ping_pong.tell", "--role", "Nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "error: no role `Nobody` (roles: Pinger, Ponger)"
    );
}

#[test]
fn api_of_an_unprojectable_protocol_reports_where_and_why() {
    let out = tell(&["api", "crates/cli/tests/fixtures/api/unprojectable.tell"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out));
}
