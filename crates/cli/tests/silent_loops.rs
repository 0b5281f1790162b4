//! A role that takes no part in a loop stops before it, in both front-ends:
//! `tell project` on the Audit protocol in `.tell` and in Scribble syntax
//! gives the same local types, and `--format dot` gives nuscr's machines.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::tell_in;

use std::path::PathBuf;
use std::process::Output;

/// Runs `tell args` beside the test protocols.
fn tell(args: &[&str]) -> Output {
    tell_in(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        args,
    )
}

/// The standard output of a successful command.
fn ok(args: &[&str]) -> String {
    let out = tell(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    String::from_utf8(out.stdout).unwrap()
}

const AUDIT: &str = "\
Client: Log!Opened . rec Session . Server!{ Request . Server?Response . Session, Bye . end }
Log: Client?Opened . end
Server: rec Session . Client?{ Request . Client!Response . Session, Bye . end }
";

#[test]
fn the_audit_protocol_projects_in_both_front_ends() {
    assert_eq!(ok(&["project", "audit.tell"]), AUDIT);
    assert_eq!(ok(&["project", "audit.nuscr"]), AUDIT);
    for file in ["audit.tell", "audit.nuscr"] {
        let line = ok(&["check", file]);
        assert!(
            line.contains("Audit ok: roles Client, Server, Log"),
            "{line}"
        );
    }
}

#[test]
fn the_audit_log_gets_nuscrs_machine() {
    let nuscr_log =
        "digraph Log {\n  0;\n  1;\n  \n  \n  0 -> 1 [label=\"Client?Opened()\", ];\n  \n  }\n";
    for file in ["audit.tell", "audit.nuscr"] {
        let dot = ok(&["project", file, "--role", "Log", "--format", "dot"]);
        assert_eq!(dot, nuscr_log, "{file}");
    }
    let both = ok(&["project", "audit.nuscr", "--format", "dot"]);
    assert_eq!(both, ok(&["project", "audit.tell", "--format", "dot"]));
    assert_eq!(both.matches("digraph").count(), 3);
}

#[test]
fn a_family_member_outside_the_loop_stops_before_it() {
    let out = ok(&["project", "farm.tell"]);
    assert!(out.contains("W1: Boss?Task . end\n"), "{out}");
    assert!(out.contains("W0: Boss?Task . rec Work . "), "{out}");
}

#[test]
fn a_role_outside_nested_loops_stops_before_both() {
    let out = ok(&["project", "nested.tell"]);
    assert!(out.contains("Log: A!Start . end\n"), "{out}");
    assert!(
        out.contains("B: rec Outer . A?{ Round . rec Inner . A?{ Step . Inner, Next . Outer }"),
        "{out}"
    );
    // The protocol runs to the end on the machine, Log included.
    let run = ok(&["run", "nested.tell", "--seed", "3"]);
    assert!(run.contains("Start"), "{run}");
}
