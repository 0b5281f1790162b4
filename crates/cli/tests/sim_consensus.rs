//! The flagship consensus example under `tell sim`, with its bundled Rust
//! host (`[handler] kind = "host", name = "consensus"`): every scenario of
//! `examples/consensus/scenarios/` exits as its header says over a few
//! seeds, agreement holds under an equivocating leader, and the negative
//! control (a 2f quorum) is caught with exit 2 and a reproducible seed.

#![allow(clippy::unwrap_used)]

mod support;
use support::{stderr, tell, workspace_root};

/// The exit code a scenario's header promises (`# Expected exit code: N.`).
fn expected_exit(text: &str) -> i32 {
    text.lines()
        .find_map(|l| l.strip_prefix("# Expected exit code: "))
        .and_then(|c| c.trim_end_matches('.').trim().parse().ok())
        .unwrap()
}

#[test]
fn the_round_checks_for_4_7_and_16_provers_and_is_formatted() {
    let file = "examples/consensus/consensus.tell";
    for (n, leader) in [("N=4", "L=0"), ("N=7", "L=3"), ("N=16", "L=15")] {
        let out = tell(&["check", file, "--param", n, "--param", leader]);
        assert!(out.status.success(), "{n}: {}", stderr(&out));
    }
    let out = tell(&["fmt", "--check", file]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn every_consensus_scenario_exits_as_its_header_says() {
    let dir = workspace_root().join("examples/consensus/scenarios");
    let mut scenarios: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 6, "{scenarios:?}");
    for path in scenarios {
        let code = expected_exit(&std::fs::read_to_string(&path).unwrap());
        let shown = path
            .strip_prefix(workspace_root())
            .unwrap()
            .display()
            .to_string();
        let out = tell(&["sim", &shown, "--seeds", "0..4"]);
        assert_eq!(out.status.code(), Some(code), "{shown}: {}", stderr(&out));
    }
}

#[test]
fn an_equivocating_leader_is_survived_and_its_evidence_reported() {
    let scenario = "examples/consensus/scenarios/equivocating_leader_n4.toml";
    let out = tell(&["sim", scenario, "--seed", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["byzantine"][0]["lies"].as_u64().unwrap() > 0,
        "{report}"
    );
    let held = |name: &str| {
        report["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["property"] == name && p["holds"] == true)
    };
    assert!(held("agreement(finalized.0)"), "{report}");
    assert!(held("eventually(evidence.0, 500)"), "{report}");
}

#[test]
fn the_two_f_quorum_bug_is_found_with_a_seed_that_reproduces_it() {
    let scenario = "examples/consensus/scenarios/equivocating_leader_2f_bug.toml";
    let out = tell(&["sim", scenario, "--seeds", "1..9"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &summary["failing"][0];
    assert!(
        first["reason"]
            .as_str()
            .unwrap()
            .contains("agreement(finalized.0)"),
        "{summary}"
    );
    assert_eq!(
        first["reproduce"],
        format!("tell sim {scenario} --seed {}", first["seed"])
    );
    let seed = first["seed"].as_u64().unwrap().to_string();
    let again = tell(&["sim", scenario, "--seed", &seed]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
}

#[test]
fn sim_run_without_bundled_hosts_refuses_a_host_scenario() {
    let path = workspace_root().join("examples/consensus/scenarios/honest_n4.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let err = telltale_simulator::run_scenario_text(&text, &path, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("tell sim"), "{err}");
}
