//! `tell explore --schedule-out` and `tell sim --schedule`: a counterexample
//! written as a schedule file replays step for step to the same violation,
//! and a schedule that does not fit is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use std::path::PathBuf;
use support::{stderr, stdout, tell};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("telltale-sim-schedule-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Explores with `args` and returns the schedule file written.
fn schedule_of(name: &str, args: &[&str]) -> PathBuf {
    let path = scratch(name);
    let path_text = path.display().to_string();
    let mut all = vec!["explore"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--schedule-out", &path_text]);
    let out = tell(&all);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    path
}

fn replay(schedule: &std::path::Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let path = schedule.display().to_string();
    let mut all = vec!["sim", "--schedule", &path];
    all.extend_from_slice(extra);
    let out = tell(&all);
    (out.status.code(), stdout(&out), stderr(&out))
}

#[test]
fn a_lost_vote_deadlock_replays_to_the_same_deadlock_with_its_page() {
    let schedule = schedule_of(
        "deadlock.json",
        &[
            "examples/two_phase_commit.tell",
            "--param",
            "N=2",
            "--drops",
            "1",
        ],
    );
    let html = scratch("deadlock.html");
    let html_text = html.display().to_string();
    let (code, out, err) = replay(&schedule, &["--html", &html_text]);
    assert_eq!(code, Some(2), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["property"], "deadlock");
    assert_eq!(report["reproduced"], true);
    assert_eq!(report["broken"], serde_json::json!(["deadlock"]));
    let trace = report["trace"].to_string();
    assert!(trace.contains("lost in transit"), "{trace}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("deadlock"), "{page}");
    // The same schedule replays to the same bytes.
    let (_, again, _) = replay(&schedule, &[]);
    assert_eq!(again, out);
}

#[test]
fn a_progress_lasso_replays_and_its_cycle_closes() {
    let schedule = schedule_of("lasso.json", &["examples/token_ring.tell", "--progress"]);
    let (code, out, err) = replay(&schedule, &[]);
    assert_eq!(code, Some(2), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["property"], "progress");
    assert_eq!(report["cycle_closes"], true);
    assert_eq!(report["reproduced"], true);
}

#[test]
fn a_schedule_that_does_not_fit_is_refused_at_its_first_bad_action() {
    let schedule = schedule_of(
        "bad.json",
        &[
            "examples/two_phase_commit.tell",
            "--param",
            "N=2",
            "--drops",
            "1",
        ],
    );
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schedule).unwrap()).unwrap();
    // A participant cannot move first: the coordinator has not prepared.
    json["actions"][0] = serde_json::json!({
        "kind": "step", "role": "Participants1", "coroutine": 2, "alternative": 0
    });
    let edited = scratch("edited.json");
    std::fs::write(&edited, json.to_string()).unwrap();
    let (code, _, err) = replay(&edited, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("action 0") && err.contains("is not enabled"),
        "{err}"
    );
    // Another family size: another protocol (content id).
    json = serde_json::from_str(&std::fs::read_to_string(&schedule).unwrap()).unwrap();
    json["origin"]["params"]["N"] = serde_json::json!(3);
    std::fs::write(&edited, json.to_string()).unwrap();
    let (code, _, err) = replay(&edited, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("content id"), "{err}");
    // Not a schedule at all.
    std::fs::write(&edited, "{\"format\": \"x\"}").unwrap();
    let (code, _, err) = replay(&edited, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("not a schedule file"), "{err}");
}

#[test]
fn a_schedule_explored_without_timeouts_replays_without_them() {
    // With timeouts explored, the state after the loss is not a deadlock
    // (the receive may time out); the replay must build the same model.
    let schedule = schedule_of(
        "no-timeouts.json",
        &["examples/timeout.tell", "--no-timeouts", "--drops", "1"],
    );
    let (code, out, err) = replay(&schedule, &[]);
    assert_eq!(code, Some(2), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["property"], "deadlock");
    assert_eq!(report["reproduced"], true);
}

#[test]
fn a_schedule_with_a_lying_role_replays_with_its_lies() {
    let schedule = schedule_of(
        "liar.json",
        &[
            "examples/two_phase_commit.tell",
            "--param",
            "N=2",
            "--drops",
            "1",
            "--byzantine",
            "Participants0",
        ],
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schedule).unwrap()).unwrap();
    assert_eq!(
        file["origin"]["byzantine"],
        serde_json::json!(["Participants0"])
    );
    assert_eq!(file["origin"]["lies"], 1);
    let (code, out, err) = replay(&schedule, &[]);
    assert_eq!(code, Some(2), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["reproduced"], true);
}

#[test]
fn the_consensus_round_with_a_2f_quorum_breaks_agreement_and_its_schedule_replays() {
    let file = "examples/consensus/consensus.tell";
    let common = [
        file,
        "--param",
        "N=4",
        "--param",
        "L=0",
        "--host",
        "consensus",
        "--byzantine",
        "Provers0",
        "--no-timeouts",
        "--buffer-bound",
        "3",
        "--agreement",
        "finalized.0",
        "--validity",
        "valid=true",
    ];
    // With the 2f+1 quorum every run agrees.
    let mut all = vec!["explore"];
    all.extend_from_slice(&common);
    let out = tell(&all);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("agreement, validity"),
        "{}",
        stdout(&out)
    );
    // With the 2f bug two honest provers finalize different states.
    let mut buggy = common.to_vec();
    buggy.extend_from_slice(&["--host-option", "quorum=2f"]);
    let schedule = schedule_of("consensus-2f.json", &buggy);
    let html = scratch("consensus-2f.html");
    let html_text = html.display().to_string();
    let (code, out, err) = replay(&schedule, &["--html", &html_text]);
    assert_eq!(code, Some(2), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["property"], "agreement");
    assert_eq!(report["reproduced"], true);
    let finalized: Vec<&str> = report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o.as_str())
        .filter(|o| o.contains("finalized.0"))
        .collect();
    assert_eq!(finalized.len(), 2, "{finalized:?}");
    assert!(
        finalized.iter().all(|o| !o.starts_with("Provers0")),
        "the liar is not judged: {finalized:?}"
    );
    assert!(std::fs::read_to_string(&html).unwrap().contains("<svg"));
}
