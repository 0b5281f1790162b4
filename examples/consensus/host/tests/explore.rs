//! The explorer on one consensus round with N = 4 provers (bounded by the
//! round's own end, so exhaustive): with an equivocating byzantine leader
//! agreement holds under the 2f+1 quorum; with the 2f quorum bug the
//! explorer finds the shortest counterexample and its schedule replays to
//! the same violation.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use telltale_consensus_host::explorable::ExplorableRound;
use telltale_consensus_host::{QuorumRule, RoundConfig};
use telltale_explorer::{Checker, ExplorableHost, ProtocolModel, Report, ScheduleOrigin, Verdict};
use telltale_simulator::protocol::load_protocol;
use telltale_vm::CodeImage;

/// `consensus.tell` for four provers led by Provers0.
fn image() -> CodeImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../consensus.tell");
    let params = BTreeMap::from([("N".to_string(), 4), ("L".to_string(), 0)]);
    load_protocol(&path, &params).unwrap()
}

/// The round's model with `host`: agreement on the finalized state,
/// validity of what is finalized, no faults, no deadlock. Timeouts are
/// not explored: this round has no receive deadline of its own (its
/// `Timeout` is the leader's answer to a failed proof).
fn model<H: ExplorableHost>(image: CodeImage, host: H) -> ProtocolModel<H> {
    ProtocolModel::new(image, host, 4)
        .unwrap()
        .with_timeouts(false)
        .with_agreement("finalized.0")
        .with_validity("valid", &["true"])
        .checking(&["no_faults", "deadlock", "agreement", "validity"])
}

fn explore<H: ExplorableHost>(model: &ProtocolModel<H>) -> Report<telltale_explorer::Action> {
    Checker::new(model).threads(2).bfs()
}

fn round(quorum: QuorumRule) -> RoundConfig {
    let mut config = RoundConfig::new(4, 0).unwrap();
    config.quorum = quorum;
    config
}

#[test]
fn an_honest_round_is_explored_with_reduction_and_agrees() {
    let model = model(
        image(),
        ExplorableRound::new(round(QuorumRule::TwoFPlusOne)),
    );
    assert!(model.is_reducible(), "each prover keeps its own state");
    let report = explore(&model);
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
}

#[test]
fn an_equivocating_leader_cannot_break_agreement_under_a_2f_plus_1_quorum() {
    let image = image();
    let host = ExplorableRound::new(round(QuorumRule::TwoFPlusOne))
        .with_liars(&BTreeSet::from([0]), &image);
    let model = model(image, host);
    let report = explore(&model);
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    assert!(report.unique_states > 100, "{}", report.unique_states);
}

#[test]
fn with_a_2f_quorum_the_shortest_counterexample_breaks_agreement_and_replays() {
    let image = image();
    let host =
        ExplorableRound::new(round(QuorumRule::TwoF)).with_liars(&BTreeSet::from([0]), &image);
    let model = model(image, host);
    // Breadth-first without reduction: a shortest counterexample of all
    // (with reduction, a shortest among the runs the reduction keeps).
    let shortest = Checker::new(&model)
        .threads(2)
        .partial_order_reduction(false)
        .bfs();
    assert_eq!(shortest.verdict, Verdict::Violated);
    let cex = shortest.counterexample.as_ref().unwrap();
    assert_eq!(cex.property, "agreement");
    let reduced = explore(&model);
    let reduced_cex = reduced.counterexample.as_ref().unwrap();
    assert_eq!(reduced_cex.property, "agreement");
    assert!(reduced_cex.actions.len() >= cex.actions.len());
    assert!(reduced.unique_states < shortest.unique_states);
    // The schedule replays to the same broken property.
    let schedule = model.schedule_of(cex, ScheduleOrigin::default());
    let replay = model.replay_schedule(&schedule).unwrap();
    assert!(replay.broken.contains(&"agreement"), "{:?}", replay.broken);
    let finalized: BTreeSet<&str> = replay
        .state
        .observations
        .values_of("finalized.0")
        .map(|o| &*o.value)
        .collect();
    assert_eq!(finalized.len(), 2, "two states finalized: {finalized:?}");
}
