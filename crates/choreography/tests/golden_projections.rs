//! Runs every role of the Lean golden projections together, in process.
//!
//! The projected local types are read at run time (as a `tell serve` would),
//! turned into programs and run over in-memory handlers. Choices take the
//! first branch three times and the last branch afterwards, so recursive
//! protocols that can stop do stop.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use telltale_choreography::{
    interpret_with, program_from_local, ChoreoResult, Decider, InMemoryHandler, InterpretConfig,
    ProgramBranch, RunSummary,
};
use telltale_types::json::local_from_json;
use telltale_types::Role;

/// The Lean golden projections, or `None` (skip) outside CI when absent.
fn golden_dir() -> Option<PathBuf> {
    telltale_test_support::shared_path("golden/lean", "the golden protocols on the async runtime")
}

/// First branch for the first three choices, then the last branch.
#[derive(Default)]
struct EventuallyLastDecider {
    choices: usize,
}

impl Decider for EventuallyLastDecider {
    fn choose(&mut self, _: &Role, _: &Role, options: &[ProgramBranch]) -> ChoreoResult<usize> {
        self.choices += 1;
        Ok(if self.choices > 3 {
            options.len() - 1
        } else {
            0
        })
    }
}

async fn run_case(golden: &Path, name: &str) -> Vec<(Role, ChoreoResult<RunSummary>)> {
    let dir = golden.join(name);
    let mut roles = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(role) = file.strip_suffix(".expected.json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let local = local_from_json(&text).unwrap();
            roles.push((Role::new(role), program_from_local(&local).unwrap()));
        }
    }
    let mut network = InMemoryHandler::network(roles.iter().map(|(r, _)| r.clone()));
    let mut tasks = Vec::new();
    for (role, program) in roles {
        let mut handler = network.remove(&role).unwrap();
        tasks.push((
            role,
            tokio::spawn(async move {
                let config = InterpretConfig {
                    max_steps: Some(1_000),
                };
                let mut decider = EventuallyLastDecider::default();
                interpret_with(&mut handler, &mut (), &program, &mut decider, config).await
            }),
        ));
    }
    let mut results = Vec::new();
    for (role, task) in tasks {
        results.push((role, task.await.unwrap()));
    }
    results
}

/// Every role of every golden protocol completes without a violation.
#[tokio::test]
async fn golden_protocols_run_to_completion() {
    let Some(golden) = golden_dir() else { return };
    let cases = [
        "async_independent",
        "choice_protocol",
        "four_party",
        "merge_test",
        "multi_branch",
        "nested_recursion",
        "ping_pong",
        "recursive_loop",
        "three_party_ring",
    ];
    for case in cases {
        let results = run_case(&golden, case).await;
        assert!(!results.is_empty(), "{case}: no projections found");
        for (role, result) in results {
            match result {
                Ok(summary) => assert!(summary.steps > 0, "{case}/{role}: did nothing"),
                Err(error) => panic!("{case}/{role}: {error}"),
            }
        }
    }
}
