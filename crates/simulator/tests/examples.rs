//! Every scenario in `examples/scenarios/` runs end to end with the exit
//! code its header comment promises ("Expected exit code: N"), and runs
//! again to the same trace digest.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use telltale_simulator::cli::exit_code;
use telltale_simulator::{run_scenario_file, RunOptions};

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.sort();
    out
}

fn expected_exit(path: &Path) -> u8 {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# Expected exit code: "))
        .unwrap_or_else(|| panic!("{} has no `# Expected exit code: N` line", path.display()));
    line.trim_end_matches('.').trim().parse().unwrap()
}

#[test]
fn every_example_scenario_ends_as_its_header_says() {
    let all = scenarios();
    assert!(all.len() >= 4, "{all:?}");
    for path in all {
        let outcome = run_scenario_file(&path, &RunOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let code = exit_code(&outcome.report, false);
        assert_eq!(
            code,
            expected_exit(&path),
            "{}: {:#?}",
            path.display(),
            outcome.report
        );
        assert!(
            outcome.report.warnings.is_empty(),
            "{:?}",
            outcome.report.warnings
        );
        let contracts = &outcome.report.contracts;
        assert_eq!(contracts[0].contract, "replay_coherence");
        assert!(contracts[0].holds, "{}: {contracts:?}", path.display());
        let again = run_scenario_file(&path, &RunOptions::default()).unwrap();
        assert_eq!(
            again.trace.lines(),
            outcome.trace.lines(),
            "{}",
            path.display()
        );
        assert_eq!(again.report, outcome.report, "{}", path.display());
    }
}

fn run(name: &str) -> telltale_simulator::Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/scenarios")
        .join(name);
    run_scenario_file(&path, &RunOptions::default())
        .unwrap()
        .report
}

#[test]
fn the_partition_holds_messages_until_it_heals_and_the_ring_goes_on() {
    let r = run("token_ring_partition.toml");
    assert_eq!(r.status, "budget_exhausted");
    assert!(r.network.held > 0, "{:?}", r.network);
    assert_eq!(r.network.lost, 0);
    let fired: Vec<Vec<u64>> = r.faults.iter().map(|f| f.fired_at.clone()).collect();
    assert_eq!(fired, [vec![40], vec![120]]);
    // Progress after the heal: every node moved in the last 20 ticks.
    for role in &r.roles {
        assert!(role.last_progress_tick.unwrap() > r.ticks - 20, "{role:?}");
    }
}

#[test]
fn the_crashed_holder_is_crashed_and_the_others_finish_by_the_timeout_branch() {
    let r = run("lease_crash.toml");
    assert_eq!(r.status, "all_done");
    let by_name = |n: &str| r.roles.iter().find(|x| x.role == n).unwrap();
    assert!(by_name("Holder").crashed);
    assert_eq!(by_name("Keeper").status, "done");
    assert_eq!(by_name("Auditor").status, "done");
    assert!(r.passed);
}

#[test]
fn the_duplicate_under_sequence_replay_is_caught_with_its_tick_and_role() {
    let r = run("token_ring_loss_duplication.toml");
    assert!(r.network.duplicated >= 1);
    let v = &r.violations[0];
    assert_eq!(v.property, "no_faults");
    assert_eq!(v.role.as_deref(), Some("Node3"));
    assert!(v.event.contains("has sequence 10, expected 11"), "{v:?}");
}
