//! `tell sim --resume` with a bundled Rust host and a byzantine role: the
//! consensus example whose leader equivocates, checkpointed every 20
//! rounds, resumes from a mid-run checkpoint to the same report and trace
//! as the uninterrupted run (the host's state is its own, so the resume
//! runs the rounds before the checkpoint again and verifies the state
//! there).

#![allow(clippy::unwrap_used)]

mod support;
use support::{stderr, tell_in, workspace_root};

use std::path::{Path, PathBuf};
use telltale_simulator::checkpoint::SimCheckpoint;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tell-sim-resume-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn report(out: &std::process::Output) -> serde_json::Value {
    let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report.as_object_mut().unwrap().remove("wall_time_ms");
    report
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn an_equivocating_leader_under_the_consensus_host_resumes_to_the_same_run() {
    let dir = scratch("consensus");
    let consensus = workspace_root().join("examples/consensus");
    std::fs::copy(consensus.join("consensus.tell"), dir.join("consensus.tell")).unwrap();
    let text = std::fs::read_to_string(consensus.join("scenarios/equivocating_leader_n4.toml"))
        .unwrap()
        .replace("\"../consensus.tell\"", "\"consensus.tell\"")
        .replace(
            "\nsteps = 2000\n",
            "\nsteps = 2000\ncheckpoint_interval = 20\n",
        );
    assert!(text.contains("checkpoint_interval = 20"));
    std::fs::write(dir.join("s.toml"), text).unwrap();

    let whole = tell_in(&dir, &["sim", "s.toml", "--trace", "whole.jsonl"]);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    let full = report(&whole);
    assert_eq!(full["byzantine"][0]["strategy"], "equivocate");
    let rounds = full["rounds"].as_u64().unwrap();
    let middle = (rounds / 2 / 20).max(1) * 20;
    let checkpoint = dir.join(format!(
        "artifacts/consensus_equivocating_leader_n4/seed-0-round-{middle}.ttsc"
    ));
    assert!(
        checkpoint.exists(),
        "{} ({rounds} rounds)",
        checkpoint.display()
    );
    // A bundled Rust host's state is its own: this checkpoint holds no
    // world, and a resume runs again and verifies.
    let written = SimCheckpoint::from_bytes(&read(&checkpoint)).unwrap();
    assert_eq!(written.resume, telltale_simulator::checkpoint::RE_EXECUTE);
    assert!(written.world.is_none());

    let resumed = tell_in(
        &dir,
        &[
            "sim",
            "s.toml",
            "--resume",
            checkpoint.to_str().unwrap(),
            "--trace",
            "resumed.jsonl",
        ],
    );
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains(&format!(
            "ran again, and matched the checkpoint's state at round {middle}"
        )),
        "{}",
        stderr(&resumed)
    );
    assert_eq!(report(&resumed), full);
    assert_eq!(
        read(&dir.join("resumed.jsonl")),
        read(&dir.join("whole.jsonl"))
    );

    // A checkpoint of this run does not resume another consensus scenario.
    let honest = std::fs::read_to_string(consensus.join("scenarios/honest_n4.toml"))
        .unwrap()
        .replace("\"../consensus.tell\"", "\"consensus.tell\"");
    std::fs::write(dir.join("honest.toml"), honest).unwrap();
    let refused = tell_in(
        &dir,
        &[
            "sim",
            "honest.toml",
            "--resume",
            checkpoint.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused)
            .contains("it is a checkpoint of scenario `consensus_equivocating_leader_n4`"),
        "{}",
        stderr(&refused)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
