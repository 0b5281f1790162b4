//! End to end: one lost message deadlocks two-phase commit (the
//! coordinator waits forever for a lost vote), and the deadlock disappears
//! in `examples/two_phase_commit_deadline.tell`, whose every wait has a
//! deadline (`or missed`): the explorer lets any waiting receive of a
//! missable message miss it, as a session timeout would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use telltale_compiler::CodeImage;
use telltale_explorer::{Action, Checker, OpenChoiceHost, ProtocolModel, Verdict};

/// `examples/two_phase_commit_deadline.tell` with `n` participants.
fn with_deadlines(n: u64) -> CodeImage {
    support::image(
        include_str!("../../../examples/two_phase_commit_deadline.tell"),
        n,
    )
}

fn one_drop(image: CodeImage) -> ProtocolModel<OpenChoiceHost> {
    ProtocolModel::new(image, OpenChoiceHost, 3)
        .unwrap()
        .with_drop_budget(1)
        .checking(&["deadlock", "no_faults", "orphan_messages"])
}

#[test]
fn one_lost_message_deadlocks_plain_two_phase_commit() {
    for n in 2..=4 {
        let report = Checker::new(&one_drop(support::two_phase_commit(n))).bfs();
        let cex = report.counterexample.expect("a deadlock");
        assert_eq!(cex.property, "deadlock", "N={n}");
        assert!(
            cex.actions.iter().any(|a| matches!(a, Action::Drop { .. })),
            "N={n}"
        );
    }
}

/// The variant with `n` participants has no deadlock under one loss, and
/// deadlocks when its deadlines never pass.
fn no_single_loss_deadlocks(n: u64) {
    let report = Checker::new(&one_drop(with_deadlines(n))).bfs();
    assert_eq!(report.verdict, Verdict::Holds, "N={n}: {report:?}");
    assert!(report.fullest_buffer < 3, "the bound of 3 is never reached");
    let never = one_drop(with_deadlines(n)).with_timeouts(false);
    let report = Checker::new(&never).bfs();
    let cex = report.counterexample.expect("a deadlock without deadlines");
    assert_eq!(cex.property, "deadlock", "N={n}");
}

#[test]
fn with_deadlines_no_single_loss_deadlocks_2_participants() {
    no_single_loss_deadlocks(2);
}

#[test]
fn with_deadlines_no_single_loss_deadlocks_3_participants() {
    no_single_loss_deadlocks(3);
}

#[test]
fn without_losses_or_deadlines_the_variant_ends_and_with_deadlines_it_may_miss() {
    let model = ProtocolModel::new(with_deadlines(2), OpenChoiceHost, 2)
        .unwrap()
        .with_timeouts(false);
    let report = Checker::new(&model).bfs();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    assert!(model.is_reducible(), "no deadline: the reduction applies");
    let missing = ProtocolModel::new(with_deadlines(2), OpenChoiceHost, 2).unwrap();
    assert!(!missing.is_reducible(), "a miss competes with the send");
    let report = Checker::new(&missing).record_terminal_states().bfs();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    assert!(report.terminal_states.len() > 1, "{report:?}");
}

/// The counts in docs/performance.md: `cargo test --release -p
/// telltale-explorer --test two_phase_deadline -- --ignored --nocapture`.
#[test]
#[ignore = "prints the state counts of docs/performance.md"]
fn state_counts() {
    for n in 2..=4 {
        let report = Checker::new(&one_drop(with_deadlines(n))).bfs();
        eprintln!(
            "deadline variant, one loss, N={n}: {:?}, {} states, {} transitions, {:.3} s",
            report.verdict,
            report.unique_states,
            report.transitions,
            report.elapsed.as_secs_f64()
        );
    }
}
