//! Cross-layer laws on the Lean golden protocols: projection, FSM and DOT
//! round trips, duality and subtyping must agree with one another.
//!
//! Each test counts what it checked and requires the corpus's size, so a
//! missing or emptied corpus fails instead of passing with nothing checked
//! (an absent `../shared` skips loudly outside CI, see
//! `telltale_test_support::shared_path`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use telltale_theory::dot::{fsm_to_dot, parse_dot};
use telltale_theory::duality::are_dual;
use telltale_theory::equivalence::equivalent;
use telltale_theory::fsm::Fsm;
use telltale_theory::projection::project_all;
use telltale_theory::subtyping::{async_subtype, sync_subtype, AsyncSubtypeConfig, Verdict};
use telltale_types::{json, GlobalType};

/// The golden corpus has nine protocols; fewer means fixtures went missing.
const GOLDEN_PROTOCOLS: usize = 9;

/// Every golden protocol, sorted by name, or `None` (skip) outside CI when
/// the shared directory is absent.
fn golden_protocols(what: &str) -> Option<Vec<(String, GlobalType)>> {
    let golden = telltale_test_support::shared_path("golden/lean", what)?;
    let mut cases = Vec::new();
    for entry in fs::read_dir(golden).unwrap() {
        let dir = entry.unwrap().path();
        let input = dir.join("input.json");
        if input.is_file() {
            let g = json::global_from_json(&fs::read_to_string(&input).unwrap()).unwrap();
            cases.push((dir.file_name().unwrap().to_string_lossy().into_owned(), g));
        }
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        cases.len() >= GOLDEN_PROTOCOLS,
        "expected {GOLDEN_PROTOCOLS} golden protocols, found {}",
        cases.len()
    );
    Some(cases)
}

#[test]
fn projections_survive_the_fsm_and_dot_round_trip() {
    let Some(protocols) = golden_protocols("FSM and DOT round trips") else {
        return;
    };
    let mut checked = 0;
    for (name, global) in protocols {
        for (role, local) in project_all(&global).unwrap() {
            checked += 1;
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
    assert!(
        checked >= 2 * GOLDEN_PROTOCOLS,
        "checked {checked} projections"
    );
}

#[test]
fn every_projection_is_its_own_subtype() {
    let Some(protocols) = golden_protocols("reflexive subtyping") else {
        return;
    };
    let config = AsyncSubtypeConfig::default();
    let mut checked = 0;
    for (name, global) in protocols {
        for (role, local) in project_all(&global).unwrap() {
            checked += 1;
            assert!(sync_subtype(&local, &local).unwrap(), "{name}/{role}");
            assert_eq!(
                async_subtype(&local, &local, &config).unwrap(),
                Verdict::Subtype,
                "{name}/{role}"
            );
        }
    }
    assert!(
        checked >= 2 * GOLDEN_PROTOCOLS,
        "checked {checked} projections"
    );
}

#[test]
fn two_party_projections_are_dual() {
    let Some(protocols) = golden_protocols("duality of two-party projections") else {
        return;
    };
    let mut checked = 0;
    for (name, global) in protocols {
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
    assert!(
        checked >= 4,
        "expected several two-party golden protocols, checked {checked}"
    );
}
