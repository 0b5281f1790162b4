//! Cross-layer laws on the Lean golden protocols: projection, FSM and DOT
//! round trips, duality and subtyping must agree with one another.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use telltale_e2e::require_shared_dir;
use telltale_theory::dot::{fsm_to_dot, parse_dot};
use telltale_theory::duality::are_dual;
use telltale_theory::equivalence::equivalent;
use telltale_theory::fsm::Fsm;
use telltale_theory::projection::project_all;
use telltale_theory::subtyping::{async_subtype, sync_subtype, AsyncSubtypeConfig, Verdict};
use telltale_types::{json, GlobalType};

fn golden_protocols() -> Vec<(String, GlobalType)> {
    let Some(shared) = require_shared_dir("golden Lean protocols") else {
        return Vec::new();
    };
    let mut cases = Vec::new();
    for entry in fs::read_dir(shared.join("golden/lean")).unwrap() {
        let dir = entry.unwrap().path();
        let input = dir.join("input.json");
        if input.is_file() {
            let g = json::global_from_json(&fs::read_to_string(&input).unwrap()).unwrap();
            cases.push((dir.file_name().unwrap().to_string_lossy().into_owned(), g));
        }
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

#[test]
fn projections_survive_the_fsm_and_dot_round_trip() {
    for (name, global) in golden_protocols() {
        for (role, local) in project_all(&global).unwrap() {
            let fsm = Fsm::from_local(&role, &local).unwrap();
            let reparsed = parse_dot(&fsm_to_dot(&fsm)).unwrap();
            assert!(
                fsm.isomorphic(&reparsed),
                "{name}/{role}: DOT round trip changed the FSM"
            );
            let back = reparsed.to_local().unwrap();
            assert!(
                equivalent(&back, &local),
                "{name}/{role}: {back} is not {local}"
            );
        }
    }
}

#[test]
fn every_projection_is_its_own_subtype() {
    let config = AsyncSubtypeConfig::default();
    for (name, global) in golden_protocols() {
        for (role, local) in project_all(&global).unwrap() {
            assert!(sync_subtype(&local, &local).unwrap(), "{name}/{role}");
            assert_eq!(
                async_subtype(&local, &local, &config).unwrap(),
                Verdict::Subtype,
                "{name}/{role}"
            );
        }
    }
}

#[test]
fn two_party_projections_are_dual() {
    let mut checked = 0;
    for (name, global) in golden_protocols() {
        let locals = project_all(&global).unwrap();
        if locals.len() != 2 {
            continue;
        }
        let pair: Vec<_> = locals.values().collect();
        assert!(
            are_dual(pair[0], pair[1]),
            "{name}: {} and {} are not dual",
            pair[0],
            pair[1]
        );
        checked += 1;
    }
    if telltale_e2e::shared_dir().is_some() {
        assert!(
            checked >= 4,
            "expected several two-party golden protocols, checked {checked}"
        );
    }
}
