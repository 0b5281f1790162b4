//! The protocol of a scenario: `.tell` with params, Scribble, Lean JSON,
//! a subset of roles, a scripted handler, and the errors of each.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use telltale_simulator::{run_scenario_text, Outcome, RunOptions, SimError};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/test.toml")
}

fn run(text: &str) -> Result<Outcome, SimError> {
    run_scenario_text(text, &examples(), &RunOptions::default())
}

/// Runs `text` in a fresh directory holding `files`.
fn run_with(files: &[(&str, &str)], text: &str) -> Result<Outcome, SimError> {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sim-protocols-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, body) in files {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let out = run_scenario_text(text, &dir.join("s.toml"), &RunOptions::default());
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

#[test]
fn a_role_family_is_sized_by_params() {
    let out = run("name = \"2pc\"\nprotocol = \"../two_phase_commit.tell\"\nparams = { N = 3 }\n\
                   [properties]\ninvariants = [\"no_faults\", \"send_recv_liveness\", \"deadlock_free\"]\n")
        .unwrap();
    assert_eq!(out.report.roles.len(), 4);
    assert!(out.report.passed, "{:#?}", out.report.violations);
    assert_eq!(out.report.status, "all_done");
}

#[test]
fn a_lean_json_global_type_runs() {
    let out = run("name = \"json\"\nprotocol = \"../ping_pong.json\"\n").unwrap();
    assert_eq!(out.report.status, "all_done");
    assert!(out.report.network.delivered > 0);
}

#[test]
fn a_scribble_protocol_runs() {
    let nuscr = "global protocol Adder(role C, role S) {\n  Add(int) from C to S;\n  Sum(int) from S to C;\n}\n";
    let out = run_with(
        &[("adder.nuscr", nuscr)],
        "name = \"nuscr\"\nprotocol = \"adder.nuscr\"\n[properties]\ninvariants = [\"no_faults\"]\n",
    )
    .unwrap();
    assert_eq!(out.report.status, "all_done", "{:#?}", out.report);
    assert_eq!(out.report.network.delivered, 2);
}

#[test]
fn scripted_effect_outcomes_drive_the_branches() {
    let text = "name = \"ledger\"\nprotocol = \"../ledger_effects.tell\"\n\
                [handler]\nkind = \"scripted\"\nscript = { \"Ledger.append\" = [\"Err(Full)\"] }\n";
    let out = run(text).unwrap();
    assert_eq!(out.report.status, "all_done");
    assert!(
        out.trace.lines().iter().any(|l| l.contains("Rejected")),
        "{:#?}",
        out.trace.lines()
    );
    let unknown = run(
        "name = \"ledger\"\nprotocol = \"../ledger_effects.tell\"\n\
                       [handler]\nkind = \"scripted\"\nscript = { \"Ledger.remove\" = [\"Ok\"] }\n",
    )
    .unwrap_err();
    assert!(matches!(unknown, SimError::Script(_)), "{unknown}");
}

#[test]
fn a_subset_of_roles_opens_only_those() {
    let pairs = "protocol Pairs =\n  roles A, B, C, D\n  A -> B : X\n  C -> D : Y\n";
    let out = run_with(
        &[("pairs.tell", pairs)],
        "name = \"sub\"\nprotocol = \"pairs.tell\"\nroles = [\"A\", \"B\"]\n",
    )
    .unwrap();
    let names: Vec<&str> = out.report.roles.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    assert_eq!(out.report.status, "all_done");
    // Roles that talk to a role left out cannot be opened alone.
    let open = run(
        "name = \"sub\"\nprotocol = \"../three_buyer.tell\"\nroles = [\"Alice\", \"Seller\"]\n",
    )
    .unwrap_err();
    assert!(matches!(open, SimError::Machine(_)), "{open}");
    assert!(open.to_string().contains("Bob"), "{open}");
}

#[test]
fn protocol_problems_are_typed_errors() {
    let missing = run("name = \"x\"\nprotocol = \"../nope.tell\"\n").unwrap_err();
    assert!(matches!(missing, SimError::Protocol(_)), "{missing}");
    assert!(missing.to_string().contains("cannot read the protocol"));
    let syntax = run_with(
        &[("bad.tell", "protocol P =\n  roles A, B\n  A -> B Msg\n")],
        "name = \"x\"\nprotocol = \"bad.tell\"\n",
    )
    .unwrap_err();
    assert!(syntax.to_string().contains("has errors"), "{syntax}");
    let unsized_family =
        run("name = \"x\"\nprotocol = \"../two_phase_commit.tell\"\n").unwrap_err();
    assert!(
        matches!(unsized_family, SimError::Protocol(_)),
        "{unsized_family}"
    );
    let json = run_with(
        &[("g.json", "{\"nope\": 1}")],
        "name = \"x\"\nprotocol = \"g.json\"\n",
    )
    .unwrap_err();
    assert!(
        json.to_string().contains("not a Lean-schema global type"),
        "{json}"
    );
}

#[test]
fn every_bundled_protocol_walks_forward_along_its_types_under_delay_and_reordering() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut protocols: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tell"))
        .collect();
    protocols.sort();
    assert!(protocols.len() >= 8);
    for path in protocols {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = format!(
            "name = \"walk\"\nprotocol = \"../{name}\"\nparams = {{ N = 3 }}\nsteps = 400\n\
             [network]\nbase_latency_ticks = 2\nlatency_variance = \"0.5\"\nreorder_probability = 0.3\n\
             [properties]\ninvariants = [\"type_monotonicity\"]\n"
        );
        for seed in 0..5 {
            let out = run_scenario_text(&text, &examples(), &RunOptions { seed: Some(seed) })
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let walk = out
                .report
                .properties
                .iter()
                .find(|p| p.property == "type_monotonicity")
                .unwrap();
            assert!(
                walk.holds,
                "{name} seed {seed}: {:#?}",
                out.report.violations
            );
        }
    }
}
