//! Nested simulation: sites whose effect calls run inner scenarios.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use telltale_simulator::{load_scenario, run_plan, run_scenario_file, RunOptions, SimError};

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios")
}

#[test]
fn each_site_runs_its_inner_scenario_and_the_outer_protocol_handles_the_answer() {
    let path = scenarios().join("replication_nested.toml");
    for seed in 0..4 {
        let outcome = run_scenario_file(&path, &RunOptions { seed: Some(seed) }).unwrap();
        let report = &outcome.report;
        assert!(report.passed, "seed {seed}: {:#?}", report.violations);
        let sites: Vec<&str> = report.nested.iter().map(|n| n.role.as_str()).collect();
        assert_eq!(sites, ["Primary", "Replica"], "seed {seed}");
        // The site waited as many outer ticks as its inner run took rounds.
        assert!(report.rounds > report.nested.iter().map(|n| n.rounds).sum::<u64>());
        // Each inner run is reproducible on its own, with its seed.
        for n in &report.nested {
            let file = if n.role == "Primary" {
                "sites/commit_clean.toml"
            } else {
                "sites/commit_lossy.toml"
            };
            let inner =
                run_scenario_file(&scenarios().join(file), &RunOptions { seed: Some(n.seed) })
                    .unwrap();
            assert_eq!(inner.report.trace_digest, n.trace_digest);
            assert_eq!(inner.report.passed, n.passed);
        }
        // The outer protocol saw the replica's answer.
        let replica = &report.nested[1];
        let diverged = outcome.trace.lines().iter().any(|l| l.contains("Diverged"));
        assert_eq!(diverged, !replica.passed, "seed {seed}");
        let again = run_scenario_file(&path, &RunOptions { seed: Some(seed) }).unwrap();
        assert_eq!(again.trace.lines(), outcome.trace.lines());
    }
}

fn load(dir: &Path, outer: &str, files: &[(&str, &str)]) -> Result<(), SimError> {
    std::fs::create_dir_all(dir).unwrap();
    for (name, body) in files {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let path = dir.join("outer.toml");
    std::fs::write(&path, outer).unwrap();
    let (plan, image) = load_scenario(outer, &path)?;
    run_plan(&plan, &image, 0).map(|_| ())
}

#[test]
fn a_wrong_effect_a_missing_file_or_a_loop_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("sim-nested-{}", std::process::id()));
    let protocol = std::fs::read_to_string(scenarios().join("../replication.tell")).unwrap();
    let inner = "name = \"inner\"\nprotocol = \"../ping.tell\"\n";
    let files = [
        ("replication.tell", protocol.as_str()),
        ("inner.toml", inner),
    ];
    let outer = |effect: &str, scenario: &str| {
        format!(
            "name = \"outer\"\nprotocol = \"replication.tell\"\n\n[[nested]]\nrole = \"Primary\"\n\
             effect = \"{effect}\"\nscenario = \"{scenario}\"\n"
        )
    };
    let err = load(&dir, &outer("Site", "inner.toml"), &files).unwrap_err();
    assert!(
        err.to_string().contains("`Site` is not `Effect.operation`"),
        "{err}"
    );
    let err = load(&dir, &outer("Site.commit", "absent.toml"), &files).unwrap_err();
    assert!(err.to_string().contains("absent.toml"), "{err}");
    let looping = outer("Site.commit", "outer.toml");
    let err = load(&dir, &looping, &files).unwrap_err();
    assert!(err.to_string().contains("nest deeper"), "{err}");
    let ping = "protocol P =\n  roles A, B\n  A -> B : Ping\n";
    let files = [
        ("replication.tell", protocol.as_str()),
        ("ping.tell", ping),
        ("inner.toml", "name = \"inner\"\nprotocol = \"ping.tell\"\n"),
    ];
    let err = load(&dir, &outer("Site.abort", "inner.toml"), &files).unwrap_err();
    assert!(err.to_string().contains("no effect `Site.abort`"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
