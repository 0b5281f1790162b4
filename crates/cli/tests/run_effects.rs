//! `tell run` on a protocol with effects: effect calls in the text trace,
//! outcomes scripted with `--effect` and consumed call by call, bad scripts
//! refused with a reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell};

const LEDGER: &str = "examples/ledger_effects.tell";

#[test]
fn a_scripted_outcome_takes_its_branch_and_shows_in_the_trace() {
    let out = tell(&[
        "run",
        LEDGER,
        "--effect",
        "Ledger.append=Err(Full)",
        "--effect",
        "Ledger.head=Just",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("scripted_ledger", stdout(&out));
}

#[test]
fn a_sequence_is_consumed_call_by_call_across_sessions() {
    let out = tell(&[
        "run",
        LEDGER,
        "--sessions",
        "3",
        "--effect",
        "Ledger.append=Ok(1),Err(Conflict),Ok(3)",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let checks: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| l.contains("checks Ledger.append"))
        .map(|l| l.rsplit_once("-> ").unwrap().1.to_string())
        .collect();
    // `ledger.Receipt` and `LedgerError` are named sorts: payloads are text.
    assert_eq!(checks, ["Ok(\"1\")", "Err(\"Conflict\")", "Ok(\"3\")"]);
}

#[test]
fn without_a_script_outcomes_follow_the_seed() {
    let run = |seed: &str| stdout(&tell(&["run", LEDGER, "--seed", seed]));
    assert_eq!(run("1"), run("1"));
    let differ = (0..8).any(|s| run(&s.to_string()) != run("0"));
    assert!(differ, "every seed gave the same run");
}

#[test]
fn bad_scripts_are_refused_before_the_run() {
    for (script, words) in [
        ("Ledger.append", "expected `Effect.operation=Outcome"),
        ("Ledger.remove=Ok", "performs no `Ledger.remove`"),
        ("Ledger.append=Just", "cannot return `Just`"),
        ("Ledger.append=Ok(1", "unclosed `(`"),
    ] {
        let out = tell(&["run", LEDGER, "--effect", script]);
        assert_eq!(out.status.code(), Some(1), "{script}");
        assert!(stderr(&out).contains(words), "{script}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{script}");
    }
}

#[test]
fn a_host_scripted_to_wait_retries_and_one_that_gives_up_faults_without_a_timeout_branch() {
    let waited = tell(&[
        "run",
        "examples/ledger_effects.tell",
        "--effect",
        "Ledger.append=Blocked,Ok",
    ]);
    assert_eq!(waited.status.code(), Some(0), "{}", stderr(&waited));
    let trace = stdout(&waited);
    assert!(trace.contains("Bank waits for its host"), "{trace}");
    assert!(
        trace.contains("Bank checks Ledger.append(entry) -> Ok"),
        "{trace}"
    );

    let gave_up = tell(&[
        "run",
        "examples/ledger_effects.tell",
        "--effect",
        "Ledger.append=Timeout",
    ]);
    assert_eq!(gave_up.status.code(), Some(1));
    assert!(
        stderr(&gave_up).contains("Ledger.append timed out"),
        "{}",
        stderr(&gave_up)
    );
}
