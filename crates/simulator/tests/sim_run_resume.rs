//! `sim-run` with checkpoints, end to end: a scenario with
//! `checkpoint_interval` writes them under `artifacts/<scenario>/` of the
//! current folder (or `--checkpoint-dir`), `--resume` prints the same
//! report and writes the same trace as the uninterrupted run, and a
//! damaged or foreign checkpoint exits 1 with the reason on stderr.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Runs `sim-run args` in `dir`.
fn sim_run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim-run"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-run-resume-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `three_buyer_delays` (delays, a slow link, a delay fault) in `dir`,
/// checkpointed every 30 rounds.
fn scenario(dir: &Path) -> PathBuf {
    std::fs::copy(
        examples().join("three_buyer.tell"),
        dir.join("three_buyer.tell"),
    )
    .unwrap();
    let text = std::fs::read_to_string(examples().join("scenarios/three_buyer_delays.toml"))
        .unwrap()
        .replace("\"../three_buyer.tell\"", "\"three_buyer.tell\"")
        .replace(
            "\nsteps = 2000\n",
            "\nsteps = 2000\ncheckpoint_interval = 30\n",
        );
    assert!(text.contains("checkpoint_interval"));
    let path = dir.join("delays.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The printed report without its wall time.
fn report(out: &Output) -> serde_json::Value {
    let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report.as_object_mut().unwrap().remove("wall_time_ms");
    report
}

#[test]
fn resume_prints_the_uninterrupted_report_and_trace() {
    let dir = scratch("same");
    scenario(&dir);
    let whole = sim_run_in(&dir, &["delays.toml", "--trace", "whole.jsonl"]);
    assert_eq!(
        whole.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let folder = dir.join("artifacts/three_buyer_delays");
    let mut written: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert!(
        written.contains(&"seed-11-round-60.ttsc".to_string()),
        "{written:?}"
    );
    assert!(String::from_utf8_lossy(&whole.stderr).contains("checkpoint(s) under"));
    let checkpoint = folder.join("seed-11-round-60.ttsc");
    let resumed = sim_run_in(
        &dir,
        &[
            "delays.toml",
            "--resume",
            checkpoint.to_str().unwrap(),
            "--trace",
            "resumed.jsonl",
            "--checkpoint-dir",
            "elsewhere",
        ],
    );
    assert_eq!(resumed.status.code(), whole.status.code());
    assert!(
        String::from_utf8_lossy(&resumed.stderr)
            .contains("loaded the world of round 60 and ran the rounds after it"),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(report(&resumed), report(&whole));
    assert_eq!(
        std::fs::read(dir.join("resumed.jsonl")).unwrap(),
        std::fs::read(dir.join("whole.jsonl")).unwrap()
    );
    // The resumed run wrote the same checkpoints, byte for byte.
    let again = dir.join("elsewhere/three_buyer_delays/seed-11-round-60.ttsc");
    assert_eq!(
        std::fs::read(again).unwrap(),
        std::fs::read(&checkpoint).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_damaged_or_foreign_checkpoint_exits_1_with_the_reason() {
    let dir = scratch("refused");
    scenario(&dir);
    let whole = sim_run_in(&dir, &["delays.toml", "--checkpoint-dir", "ck"]);
    assert_eq!(whole.status.code(), Some(0));
    let good = dir.join("ck/three_buyer_delays/seed-11-round-30.ttsc");
    let mut bytes = std::fs::read(&good).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 0x01;
    std::fs::write(dir.join("bad.ttsc"), &bytes).unwrap();
    std::fs::write(dir.join("short.ttsc"), &bytes[..30]).unwrap();
    for (args, reason) in [
        (vec!["--resume", "bad.ttsc"], "digest mismatch"),
        (vec!["--resume", "short.ttsc"], "truncated checkpoint"),
        (vec!["--resume", "absent.ttsc"], "cannot read it"),
        (
            vec!["--resume", good.to_str().unwrap(), "--seed", "12"],
            "checkpoint of seed 11, this run's seed is 12",
        ),
        (
            vec!["--resume", good.to_str().unwrap(), "--seeds", "1..3"],
            "cannot be used with",
        ),
    ] {
        let mut all = vec!["delays.toml"];
        all.extend(args.iter().copied());
        let out = sim_run_in(&dir, &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
