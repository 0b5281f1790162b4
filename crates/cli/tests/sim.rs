//! `tell sim`: the simulator's `sim-run` under `tell`, with its report and
//! its exit codes (0 every property held, 2 one failed, 1 bad input).

#![allow(clippy::unwrap_used)]

mod support;
use support::{stderr, tell, workspace_root};

use telltale_simulator::{run_scenario_file, RunOptions};

#[test]
fn tell_sim_prints_the_library_report_and_exits_by_its_verdict() {
    for (scenario, code) in [
        ("examples/scenarios/token_ring_partition.toml", 0),
        ("examples/scenarios/ping_pong_corruption.toml", 2),
    ] {
        let out = tell(&["sim", scenario, "--seed", "4"]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{scenario}: {}",
            stderr(&out)
        );
        let mut printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(printed["wall_time_ms"].is_u64());
        printed.as_object_mut().unwrap().remove("wall_time_ms");
        let direct = run_scenario_file(
            &workspace_root().join(scenario),
            &RunOptions { seed: Some(4) },
        )
        .unwrap();
        assert_eq!(
            printed,
            serde_json::to_value(&direct.report).unwrap(),
            "{scenario}"
        );
    }
}

#[test]
fn tell_sim_refuses_a_malformed_scenario_with_exit_1() {
    let dir = std::env::temp_dir().join(format!("tell-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "name = \"x\"\nprotocol = \"p.tell\"\n[[events]]\ntrigger = {}\naction = { type = \"heal\" }\n",
    )
    .unwrap();
    let out = tell(&["sim", path.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml:4:11: a trigger needs exactly one of"),
        "{err}"
    );
}
