//! The `sim-run` binary: exit codes, output files, `--seed`, `--strict`.
#![allow(clippy::unwrap_used)]

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/scenarios")
        .join(name)
}

fn sim_run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim-run"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-run-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_passing_scenario_exits_0_and_prints_its_report() {
    let path = example("token_ring_partition.toml");
    let out = sim_run(&[path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["scenario"], "token_ring_partition");
    assert_eq!(report["passed"], true);
    assert!(report["wall_time_ms"].is_u64());
}

#[test]
fn a_failing_property_exits_2() {
    let path = example("ping_pong_corruption.toml");
    let out = sim_run(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["violations"][0]["property"], "no_faults");
}

#[test]
fn bad_input_exits_1_with_a_located_error() {
    let dir = scratch("bad");
    let scenario = dir.join("bad.toml");
    std::fs::write(
        &scenario,
        "name = \"x\"\nprotocol = \"p.tell\"\nstesp = 4\n",
    )
    .unwrap();
    let out = sim_run(&[scenario.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml:3:1: unknown key `stesp`; did you mean `steps`?"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let missing = sim_run(&[dir.join("absent.toml").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    std::fs::write(&scenario, "name = \"x\"\nprotocol = \"absent.tell\"\n").unwrap();
    let no_protocol = sim_run(&[scenario.to_str().unwrap()]);
    assert_eq!(no_protocol.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_protocol.stderr).contains("cannot read the protocol"));
    let usage = sim_run(&[scenario.to_str().unwrap(), "--no-such-flag"]);
    assert_eq!(usage.status.code(), Some(1));
    assert_eq!(sim_run(&["--help"]).status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn strict_turns_a_fault_that_never_fired_into_exit_2() {
    let dir = scratch("strict");
    std::fs::copy(example("../ping_pong.tell"), dir.join("ping_pong.tell")).unwrap();
    let scenario = dir.join("s.toml");
    std::fs::write(
        &scenario,
        "name = \"s\"\nprotocol = \"ping_pong.tell\"\n\
         [[events]]\ntrigger = { at_tick = 99999 }\naction = { type = \"heal\" }\n",
    )
    .unwrap();
    let lenient = sim_run(&[scenario.to_str().unwrap()]);
    assert_eq!(lenient.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&lenient.stdout).unwrap();
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1);
    let strict = sim_run(&[scenario.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn out_and_trace_files_match_the_report_and_its_digest() {
    let dir = scratch("files");
    let (report_path, trace_path) = (dir.join("report.json"), dir.join("trace.jsonl"));
    let path = example("three_buyer_delays.toml");
    let out = sim_run(&[
        path.to_str().unwrap(),
        "--seed",
        "99",
        "--out",
        report_path.to_str().unwrap(),
        "--trace",
        trace_path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["seed"], 99);
    let trace = std::fs::read(&trace_path).unwrap();
    // The digest reads the run's lines (see docs/simulator.md), so the
    // same run writes the same file and reports the same digest.
    let again_trace = dir.join("again.jsonl");
    let again = sim_run(&[
        path.to_str().unwrap(),
        "--seed",
        "99",
        "--trace",
        again_trace.to_str().unwrap(),
    ]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["trace_digest"], again["trace_digest"]);
    assert_eq!(report["trace_digest"].as_str().unwrap().len(), 64);
    assert_eq!(std::fs::read(&again_trace).unwrap(), trace);
    let lines = trace.iter().filter(|b| **b == b'\n').count() as u64;
    assert_eq!(report["trace_events"], lines);
    for line in String::from_utf8(trace).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["tick"].is_u64() && v["kind"].is_string() && v["detail"].is_string());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trace_files_keep_the_bytes_of_the_text_era() {
    // SHA-256 of `--trace` files written by the build before the trace was
    // kept structured (when the digest was the file's own): the text is
    // still rendered to the same bytes, whatever the digest now reads.
    let dir = scratch("pinned");
    for (name, expected) in [
        (
            "token_ring_loss_duplication.toml",
            "4526cc61847fe1cd07e4baf7e1b6f59614c111e67fad1b870108dfb68d45b14a",
        ),
        (
            "three_buyer_forgery.toml",
            "e2715848ba150fcf7760cb3a5f1b4aa4a7138d5a6c7fcb09eaabc32d1e77173f",
        ),
    ] {
        let trace_path = dir.join(format!("{name}.jsonl"));
        let out = sim_run(&[
            example(name).to_str().unwrap(),
            "--seed",
            "7",
            "--trace",
            trace_path.to_str().unwrap(),
        ]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let trace = std::fs::read(&trace_path).unwrap();
        let hex: String = Sha256::digest(&trace)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected, "{name}");
        assert_ne!(report["trace_digest"], expected, "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
