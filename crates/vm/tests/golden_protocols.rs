//! Every Lean golden projection runs to completion on the machine, and its
//! record/replay conformance holds.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use telltale_types::json::{global_from_json, local_from_json};
use telltale_types::{LocalType, Role};
use telltale_vm::{
    load_all_roles, run_record_replay_conformance, Config, DefaultHandler, ObsEvent, RunStatus,
};

/// The Lean golden projections, or `None` (skip) outside CI when absent.
fn golden_dir() -> Option<PathBuf> {
    telltale_test_support::shared_path("golden/lean", "the golden protocols on the machine")
}

/// A golden case: its name, global type and projections.
type Case = (String, telltale_types::GlobalType, Vec<(Role, LocalType)>);

fn cases(golden: &Path) -> Vec<Case> {
    let mut dirs: Vec<_> = std::fs::read_dir(golden)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let global =
                global_from_json(&std::fs::read_to_string(dir.join("input.json")).unwrap())
                    .unwrap();
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
                .collect();
            files.sort();
            let locals = files
                .iter()
                .map(|f| {
                    let name = f
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .replace(".expected.json", "");
                    let local = local_from_json(&std::fs::read_to_string(f).unwrap()).unwrap();
                    (Role::new(name), local)
                })
                .collect();
            (
                dir.file_name().unwrap().to_string_lossy().to_string(),
                global,
                locals,
            )
        })
        .collect()
}

#[test]
fn golden_projections_run_to_completion() {
    let Some(golden) = golden_dir() else { return };
    let all = cases(&golden);
    assert!(all.len() >= 5, "expected golden cases in {golden:?}");
    for (name, global, locals) in all {
        for seed in 0..4 {
            let mut m = load_all_roles(Some(&global), &locals, Config::default()).unwrap();
            let status = m.run(&DefaultHandler::new(seed), 1_000_000).unwrap();
            assert_eq!(status, RunStatus::AllDone, "{name} seed {seed}");
            let trace = m.trace();
            let sent = trace
                .iter()
                .filter(|e| matches!(e, ObsEvent::Sent(_) | ObsEvent::Offered(_)))
                .count();
            let received = trace
                .iter()
                .filter(|e| matches!(e, ObsEvent::Received(_) | ObsEvent::Chose(_)))
                .count();
            assert!(sent > 0, "{name}");
            assert_eq!(sent, received, "{name}");
        }
        let make = || load_all_roles(Some(&global), &locals, Config::default());
        run_record_replay_conformance(&make, &DefaultHandler::new(9), 1_000_000)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
