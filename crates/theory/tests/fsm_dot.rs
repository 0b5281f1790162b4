//! Every nuscr FSM in the shared examples survives DOT → FSM → local type →
//! FSM → DOT → FSM unchanged up to isomorphism, and the double-buffering
//! kernel is an asynchronous subtype of its specification; a role outside
//! a loop gets nuscr's machine.
#![allow(clippy::unwrap_used)]

mod subtyping_support;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::path::{Path, PathBuf};
use subtyping_support::{local_type, Random};
use telltale_test_support::shared_path;
use telltale_theory::{
    async_subtype, fsm_to_dot, parse_dot, sync_subtype, AsyncSubtypeConfig, Fsm, Verdict,
};
use telltale_types::Role;

fn dot_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "dot") {
                files.push(file);
            }
        }
    }
    files.sort();
    files
}

fn load(path: &Path) -> Fsm {
    let text = std::fs::read_to_string(path).unwrap();
    parse_dot(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_nuscr_machine_round_trips() {
    let Some(root) = shared_path("examples/nuscr", "the nuscr FSM round trips") else {
        return;
    };
    let files = dot_files(&root);
    assert!(files.len() >= 12, "found only {files:?}");
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let fsm = load(path);
        let local = fsm.to_local().unwrap();
        let rebuilt = Fsm::from_local(fsm.role(), &local).unwrap();
        assert!(fsm.isomorphic(&rebuilt), "{}: {local}", path.display());
        let printed = fsm_to_dot(&rebuilt);
        let reparsed = parse_dot(&printed).unwrap();
        assert!(fsm.isomorphic(&reparsed), "{}:\n{printed}", path.display());
        assert_eq!(reparsed.role(), fsm.role());
        // nuscr's own text prints back byte for byte.
        assert_eq!(fsm_to_dot(&fsm), text, "{}", path.display());
    }
}

#[test]
fn double_buffering_kernel_is_an_async_subtype() {
    let Some(dir) = shared_path(
        "examples/nuscr/double-buffering",
        "the double-buffering kernel",
    ) else {
        return;
    };
    let optimised = load(&dir.join("k_optimised.dot")).to_local().unwrap();
    let expected = load(&dir.join("k_expected.dot")).to_local().unwrap();
    let config = AsyncSubtypeConfig::default();
    assert_eq!(
        async_subtype(&optimised, &expected, &config).unwrap(),
        Verdict::Subtype
    );
    assert!(!sync_subtype(&optimised, &expected).unwrap());
    assert_eq!(
        async_subtype(&expected, &optimised, &config).unwrap(),
        Verdict::NotSubtype
    );
}

#[test]
fn machines_compare_against_nuscr_projections() {
    let Some(dir) = shared_path("examples/nuscr/3buyers", "the nuscr 3buyers FSMs") else {
        return;
    };
    let a = load(&dir.join("A_expected.dot"));
    let b = load(&dir.join("B_expected.dot"));
    assert!(a.isomorphic(&a.clone()));
    assert!(!a.isomorphic(&b));
}

/// A role that takes no part in a loop gets the machine nuscr gives it: two
/// states and the one receive before the loop.
#[test]
fn a_role_outside_a_loop_gets_nuscrs_two_state_machine() {
    use telltale_theory::project_all;
    use telltale_types::{GlobalType, Label};
    let session = GlobalType::rec(
        "Session",
        GlobalType::choice(
            "Client",
            "Server",
            [
                (
                    Label::unit("Request"),
                    GlobalType::send(
                        "Server",
                        "Client",
                        Label::unit("Response"),
                        GlobalType::var("Session"),
                    ),
                ),
                (Label::unit("Bye"), GlobalType::End),
            ],
        ),
    );
    let audit = GlobalType::send("Client", "Log", Label::unit("Opened"), session);
    let locals = project_all(&audit).unwrap();
    let machine =
        |role: &str| Fsm::from_local(&Role::new(role), &locals[&Role::new(role)]).unwrap();
    let nuscr_log =
        "digraph Log {\n  0;\n  1;\n  \n  \n  0 -> 1 [label=\"Client?Opened()\", ];\n  \n  }\n";
    assert_eq!(fsm_to_dot(&machine("Log")), nuscr_log);
    let nuscr_server = parse_dot(
        "digraph Server {\n  1;\n  3;\n  4;\n  \n  \n  1 -> 3 [label=\"Client?Request()\", ];\n  \
         3 -> 1 [label=\"Client!Response()\", ];\n  1 -> 4 [label=\"Client?Bye()\", ];\n  \n  }\n",
    )
    .unwrap();
    assert!(machine("Server").isomorphic(&nuscr_server));
    let nuscr_client = parse_dot(
        "digraph Client {\n  0;\n  1;\n  3;\n  4;\n  \n  \n  0 -> 1 [label=\"Log!Opened()\", ];\n  \
         1 -> 3 [label=\"Server!Request()\", ];\n  3 -> 1 [label=\"Server?Response()\", ];\n  \
         1 -> 4 [label=\"Server!Bye()\", ];\n  \n  }\n",
    )
    .unwrap();
    assert!(machine("Client").isomorphic(&nuscr_client));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,60}") {
        let _ = parse_dot(&text);
    }

    #[test]
    fn dot_like_text_never_panics(text in "digraph k \\{[0-9 ;\\->\\[\\]=,\"a-z!?():]{0,50}\\}") {
        let _ = parse_dot(&text);
    }

    #[test]
    fn generated_machines_round_trip(seed in any::<u64>()) {
        let t = local_type(&mut Random::new(seed), &["p", "q"], 5);
        let fsm = Fsm::from_local(&Role::new("r"), &t).unwrap();
        let reparsed = parse_dot(&fsm_to_dot(&fsm)).unwrap();
        prop_assert!(fsm.isomorphic(&reparsed));
        let rebuilt = Fsm::from_local(&Role::new("r"), &reparsed.to_local().unwrap()).unwrap();
        prop_assert!(fsm.isomorphic(&rebuilt), "{}", t);
    }
}
