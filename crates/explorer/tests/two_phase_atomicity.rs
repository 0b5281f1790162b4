//! End to end: two-phase commit with a stateful host whose participants
//! choose their votes; `agreement(decision)` holds for the correct
//! coordinator and fails, with the shortest counterexample, for one that
//! commits on a majority of yes votes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod two_phase_host;

mod support;

use telltale_explorer::counterexample::trace_lines;
use telltale_explorer::{Checker, Model, ProtocolModel, Verdict};
use telltale_vm::{load_image_all_roles, Config};
use two_phase_host::{Rule, TwoPhaseHost};

fn model(n: u64, rule: Rule) -> ProtocolModel<TwoPhaseHost> {
    let image = support::two_phase_commit(n);
    let machine = load_image_all_roles(image.clone(), Config::default()).unwrap();
    let host = TwoPhaseHost::new(&machine, rule);
    ProtocolModel::new(image, host, 2)
        .unwrap()
        .with_agreement("decision")
}

#[test]
fn the_correct_coordinator_keeps_agreement_for_2_to_4_participants() {
    for n in 2..=4 {
        let model = model(n, Rule::AllYes);
        assert!(!model.is_reducible(), "a stateful host is never reduced");
        let report = Checker::new(&model).bfs();
        assert_eq!(report.verdict, Verdict::Holds, "N={n}: {report:?}");
        // Both votes of every participant were explored: 2^n vote vectors.
        let ends = Checker::new(&model).record_terminal_states().bfs();
        assert_eq!(ends.terminal_states.len(), 1 << n, "N={n}");
    }
}

#[test]
fn a_majority_coordinator_breaks_agreement_with_the_shortest_run() {
    for (n, shortest) in [(3, 13), (4, 17)] {
        let model = model(n, Rule::Majority);
        let report = Checker::new(&model).bfs();
        assert_eq!(report.verdict, Verdict::Violated, "N={n}");
        let cex = report.counterexample.expect("a counterexample");
        assert_eq!(cex.property, "agreement");
        // n Prepare sends and receives, n votes sent and received, then
        // the coordinator's Commit: nothing shorter can commit.
        assert_eq!(cex.actions.len(), shortest, "N={n}");
        let dfs = Checker::new(&model).dfs();
        let any = dfs.counterexample.expect("depth-first finds one too");
        assert!(any.actions.len() >= cex.actions.len());
        // Depth-first without reduction runs on several threads, and
        // reports the counterexample one thread finds.
        let unreduced = |threads| {
            Checker::new(&model)
                .threads(threads)
                .partial_order_reduction(false)
                .dfs()
        };
        let (one, two) = (unreduced(1), unreduced(2));
        assert_eq!(two.verdict, Verdict::Violated, "N={n}");
        let (one, two) = (one.counterexample.unwrap(), two.counterexample.unwrap());
        assert_eq!(format!("{:?}", one.actions), format!("{:?}", two.actions));
        let state = model.replay(&cex.actions).unwrap();
        let decisions: Vec<_> = state
            .observations
            .values_of("decision")
            .map(|o| o.value.to_string())
            .collect();
        assert!(decisions.contains(&"abort".to_string()), "{decisions:?}");
        assert!(decisions.contains(&"commit".to_string()), "{decisions:?}");
        let lines = trace_lines(&state.machine);
        let no_vote = lines
            .iter()
            .position(|l| l.contains("-> Coordinator : Vote(false)"))
            .unwrap_or_else(|| panic!("a No vote in {lines:#?}"));
        let commit = lines
            .iter()
            .position(|l| l.contains("Coordinator selects Commit"))
            .unwrap_or_else(|| panic!("a Commit in {lines:#?}"));
        assert!(no_vote < commit, "{lines:#?}");
    }
}

#[test]
fn with_two_participants_a_majority_is_every_vote() {
    let report = Checker::new(&model(2, Rule::Majority)).bfs();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
}

#[test]
fn observations_are_part_of_the_fingerprint() {
    let model = model(2, Rule::AllYes);
    let init = model.init_states().remove(0);
    let mut observed = init.clone();
    observed.observations.observe(1, "decision", "abort");
    assert_ne!(model.fingerprint(&init), model.fingerprint(&observed));
}

#[test]
fn never_fails_on_the_first_observation() {
    let model = model(2, Rule::AllYes).with_never("decision");
    let report = Checker::new(&model).bfs();
    let cex = report.counterexample.expect("some role decides");
    assert_eq!(cex.property, "never");
}

/// The counts in docs/performance.md: `cargo test --release -p
/// telltale-explorer --test two_phase_atomicity -- --ignored --nocapture`.
#[test]
#[ignore = "prints the state counts of docs/performance.md"]
fn state_counts() {
    for n in 2..=6 {
        for rule in [Rule::AllYes, Rule::Majority] {
            let report = Checker::new(&model(n, rule)).bfs();
            eprintln!(
                "{rule:?} host, N={n}: {:?}, {} states, {} transitions, {:.3} s",
                report.verdict,
                report.unique_states,
                report.transitions,
                report.elapsed.as_secs_f64()
            );
        }
    }
}

#[test]
fn validity_buffer_bounds_and_host_predicates_are_checked_on_every_state() {
    let check = |model: ProtocolModel<TwoPhaseHost>| Checker::new(&model).bfs();
    // Every decision is commit or abort; "abort" alone is broken by the
    // run where both vote yes.
    let holds = check(model(2, Rule::AllYes).with_validity("decision", &["commit", "abort"]));
    assert_eq!(holds.verdict, Verdict::Holds);
    let broken = check(model(2, Rule::AllYes).with_validity("decision", &["abort"]));
    let cex = broken.counterexample.expect("a commit");
    assert_eq!(cex.property, "validity");
    // 2PC never queues more than one message per edge.
    assert_eq!(
        check(model(2, Rule::AllYes).with_buffer_limit(1)).verdict,
        Verdict::Holds
    );
    let cex = check(model(2, Rule::AllYes).with_buffer_limit(0))
        .counterexample
        .expect("a queued message");
    assert_eq!((cex.property, cex.actions.len()), ("buffer_bound", 1));
    // A host's own predicate, reported under its name.
    let never_commits =
        |_: &ProtocolModel<TwoPhaseHost>, s: &telltale_explorer::ProtocolState<TwoPhaseHost>| {
            s.observations.iter().all(|o| &*o.value != "commit")
        };
    let cex = check(model(2, Rule::AllYes).with_predicate("never_commits", never_commits))
        .counterexample
        .expect("both vote yes");
    assert_eq!(cex.property, "never_commits");
}
