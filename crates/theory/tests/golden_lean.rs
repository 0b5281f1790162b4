//! Projection checked against the golden projections of the Lean
//! formalisation (`shared/golden/lean/<case>/`): every `<Role>.expected.json`
//! must equal our projection of `input.json` up to alpha-renaming and
//! branch order, compared by content id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use telltale_theory::project;
use telltale_types::json::{global_from_json, local_from_json};
use telltale_types::Role;

/// Checks every expected projection of one case; returns the mismatches.
fn check_case(case: &Path) -> (usize, Vec<String>) {
    let read = |path: &Path| {
        fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let global = global_from_json(&read(&case.join("input.json")))
        .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
    let mut expected_files: Vec<PathBuf> = fs::read_dir(case)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".expected.json"))
        })
        .collect();
    expected_files.sort();
    let mut failures = Vec::new();
    for file in &expected_files {
        let name = file.file_name().unwrap().to_str().unwrap();
        let role = Role::new(name.trim_end_matches(".expected.json"));
        let expected =
            local_from_json(&read(file)).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let case_name = case.file_name().unwrap().to_string_lossy();
        match project(&global, &role) {
            Ok(actual) if actual.content_id().ok() == expected.content_id().ok() => {}
            Ok(actual) => failures.push(format!(
                "{case_name}/{role}:\n  global:   {global}\n  expected: {expected}\n  actual:   {actual}"
            )),
            Err(e) => failures.push(format!(
                "{case_name}/{role}:\n  global:   {global}\n  expected: {expected}\n  error:    {e}"
            )),
        }
    }
    (expected_files.len(), failures)
}

#[test]
fn projections_match_the_lean_golden_files() {
    let Some(golden) =
        telltale_test_support::shared_path("golden/lean", "the Lean golden projections")
    else {
        return;
    };
    let mut cases: Vec<PathBuf> = fs::read_dir(&golden)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.join("input.json").is_file())
        .collect();
    cases.sort();
    let mut projections = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let (checked, case_failures) = check_case(case);
        assert!(
            checked > 0,
            "{}: no <Role>.expected.json files",
            case.display()
        );
        projections += checked;
        failures.extend(case_failures);
    }
    assert!(!cases.is_empty(), "no golden cases in {}", golden.display());
    assert!(
        failures.is_empty(),
        "{} of {projections} golden projections differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "checked {projections} projections in {} golden cases",
        cases.len()
    );
}
