//! Many seeds: a sweep's summary does not depend on the thread count,
//! shards merged give the whole sweep, and failing seeds come with the
//! command that reruns each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use telltale_simulator::load_scenario;
use telltale_simulator::sweep::{sweep, SeedRange, Shard, SweepSummary};

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/scenarios")
        .join(name)
}

fn run(name: &str, seeds: &str, shard: Option<Shard>, threads: usize) -> SweepSummary {
    let path = scenario(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let (plan, image) = load_scenario(&text, &path).unwrap();
    let seeds: SeedRange = seeds.parse().unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        sweep(&plan, &image, &seeds.seeds(shard), shard, &|s| {
            format!("rerun {s}")
        })
        .unwrap()
    })
}

#[test]
fn the_summary_does_not_depend_on_the_thread_count() {
    let one = run("token_ring_loss_duplication.toml", "1..41", None, 1);
    let two = run("token_ring_loss_duplication.toml", "1..41", None, 2);
    assert_eq!(one, two);
    assert_eq!(one.seeds, 40);
}

#[test]
fn merged_shards_are_the_whole_sweep() {
    let whole = run("token_ring_loss_duplication.toml", "1..31", None, 2);
    let parts: Vec<SweepSummary> = (1..=3)
        .map(|i| {
            run(
                "token_ring_loss_duplication.toml",
                "1..31",
                Some(Shard { index: i, count: 3 }),
                2,
            )
        })
        .collect();
    let merged = SweepSummary::merge(&parts).unwrap();
    assert_eq!(
        (
            merged.seeds,
            merged.passed,
            merged.failed,
            &merged.failing,
            &merged.rounds
        ),
        (
            whole.seeds,
            whole.passed,
            whole.failed,
            &whole.failing,
            &whole.rounds
        )
    );
    assert_eq!(merged.rounds_median, whole.rounds_median);
    assert_eq!(merged.shards.len(), 3);
}

#[test]
fn failing_seeds_are_listed_smallest_first_with_the_command_that_reruns_them() {
    let summary = run("token_ring_loss_duplication.toml", "1..21", None, 2);
    assert!(summary.failed > 0);
    let seeds: Vec<u64> = summary.failing.iter().map(|f| f.seed).collect();
    let mut sorted = seeds.clone();
    sorted.sort_unstable();
    assert_eq!(seeds, sorted);
    assert_eq!(summary.failing[0].reproduce, format!("rerun {}", seeds[0]));
    assert!(!summary.failing[0].reason.is_empty());
    let passing = run("token_ring_partition.toml", "1..21", None, 2);
    assert!(passing.all_passed(), "{passing:?}");
}

#[test]
fn sim_run_sweeps_exit_2_on_a_failing_seed_and_merges_shard_files() {
    let dir = std::env::temp_dir().join(format!("sim-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sim_run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sim-run"))
            .args(args)
            .output()
            .unwrap()
    };
    let failing = scenario("token_ring_loss_duplication.toml");
    let out = sim_run(&[failing.to_str().unwrap(), "--seeds", "1..6"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("5 seeds") && stderr.contains("--seed 1"),
        "{stderr}"
    );
    let passing = scenario("token_ring_partition.toml");
    let mut files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let file = dir.join(format!("shard-{}.json", &shard[..1]));
        let out = sim_run(&[
            passing.to_str().unwrap(),
            "--seeds",
            "1..=10",
            "--shard",
            shard,
            "--out",
            file.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        files.push(file.to_str().unwrap().to_string());
    }
    let out = sim_run(&["merge", &files[0], &files[1]]);
    assert_eq!(out.status.code(), Some(0));
    let merged: SweepSummary = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((merged.seeds, merged.passed), (10, 10));
    let bad = sim_run(&[passing.to_str().unwrap(), "--seeds", "1..3", "--seed", "4"]);
    assert_eq!(bad.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}
