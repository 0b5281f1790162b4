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

#[test]
fn tell_sim_html_writes_the_page_the_library_renders() {
    let dir = std::env::temp_dir().join(format!("tell-sim-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("run.html");
    let scenario = "examples/scenarios/lease_crash.toml";
    let out = tell(&["sim", scenario, "--html", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Simulation report: lease_crash (seed 0)"));
    let path = workspace_root().join(scenario);
    let text = std::fs::read_to_string(&path).unwrap();
    let (plan, image) = telltale_simulator::load_scenario(&text, &path).unwrap();
    let run = telltale_simulator::run_plan_with(&plan, &image, plan.seed, true).unwrap();
    let direct = telltale_simulator::report::html::render(
        &run.report,
        run.timeline.as_ref().unwrap(),
        &text,
        &telltale_simulator::report::html::HtmlOptions::default(),
    );
    assert_eq!(html, direct);
    assert!(html.contains("<g class=\"fault-mark\" data-kind=\"crash\""));
    // The flag that sets the cap needs the page.
    let out = tell(&["sim", scenario, "--html-max-events", "5"]);
    assert_eq!(out.status.code(), Some(2));
}
