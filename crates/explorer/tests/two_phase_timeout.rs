//! End to end: one lost message deadlocks two-phase commit (the
//! coordinator waits forever for a lost vote), and the deadlock disappears
//! when the receives that can starve have a `Timeout` branch: the
//! coordinator's collection of votes (a timeout aborts) and of
//! acknowledgements, and a participant's wait for the decision (it stops
//! waiting). The variant is written as local types: the `.tell` `timeout`
//! construct names one waiting role and announces its choice, so it cannot
//! put a timeout on each receive of a family (docs/explorer.md, "Timeouts").

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use telltale_compiler::CodeImage;
use telltale_explorer::{Action, Checker, OpenChoiceHost, ProtocolModel, Verdict};
use telltale_types::{EffectTable, Label, LocalType, PayloadSort, Role};

fn participant(i: usize) -> String {
    format!("Participants{i}")
}

/// `label` sent to participants `from..n`, then `cont`.
fn tell_all(label: &str, from: usize, n: usize, cont: LocalType) -> LocalType {
    (from..n).rev().fold(cont, |k, i| {
        LocalType::send(participant(i), Label::unit(label), k)
    })
}

/// The acknowledgements of participants `from..n`, each of which may time
/// out.
fn acks(from: usize, n: usize) -> LocalType {
    (from..n).rev().fold(LocalType::End, |k, i| {
        LocalType::branch(
            participant(i),
            [(Label::unit("Ack"), k.clone()), (Label::unit("Timeout"), k)],
        )
    })
}

/// The coordinator from the vote of participant `i` on.
fn votes(i: usize, n: usize) -> LocalType {
    if i == n {
        let decide = |label: &str| (Label::unit(label), tell_all(label, 1, n, acks(0, n)));
        return LocalType::select(participant(0), [decide("Commit"), decide("Abort")]);
    }
    LocalType::branch(
        participant(i),
        [
            (Label::new("Vote", PayloadSort::Bool), votes(i + 1, n)),
            (Label::unit("Timeout"), tell_all("Abort", 0, n, acks(0, n))),
        ],
    )
}

/// Two-phase commit with timeouts, `n` participants.
fn with_timeouts(n: usize) -> CodeImage {
    let mut locals = vec![(
        Role::new("Coordinator"),
        tell_all("Prepare", 0, n, votes(0, n)),
    )];
    let ack = || LocalType::send("Coordinator", Label::unit("Ack"), LocalType::End);
    for i in 0..n {
        let decision = LocalType::branch(
            "Coordinator",
            [
                (Label::unit("Commit"), ack()),
                (Label::unit("Abort"), ack()),
                (Label::unit("Timeout"), LocalType::End),
            ],
        );
        let local = LocalType::recv(
            "Coordinator",
            Label::unit("Prepare"),
            LocalType::send(
                "Coordinator",
                Label::new("Vote", PayloadSort::Bool),
                decision,
            ),
        );
        locals.push((Role::new(participant(i)), local));
    }
    CodeImage::build_with_effects(None, &locals, &EffectTable::default()).unwrap()
}

fn one_drop(image: CodeImage) -> ProtocolModel<OpenChoiceHost> {
    ProtocolModel::new(image, OpenChoiceHost, 2)
        .unwrap()
        .with_drop_budget(1)
        .checking(&["deadlock"])
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
fn no_single_loss_deadlocks(n: usize) {
    let model = one_drop(with_timeouts(n));
    let report = Checker::new(&model).bfs();
    assert_eq!(report.verdict, Verdict::Holds, "N={n}: {report:?}");
    let never = one_drop(with_timeouts(n)).with_timeouts(false);
    let report = Checker::new(&never).bfs();
    let cex = report.counterexample.expect("a deadlock without timeouts");
    assert_eq!(cex.property, "deadlock", "N={n}");
}

#[test]
fn with_timeout_branches_no_single_loss_deadlocks_2_participants() {
    no_single_loss_deadlocks(2);
}

#[test]
fn with_timeout_branches_no_single_loss_deadlocks_3_participants() {
    no_single_loss_deadlocks(3);
}

/// 784,110 states: about 95 s in a debug build, 21 s in release
/// (`cargo test --release -p telltale-explorer --test two_phase_timeout
/// -- --ignored`).
#[test]
#[ignore = "slow in debug builds; run with --release -- --ignored"]
fn with_timeout_branches_no_single_loss_deadlocks_4_participants() {
    no_single_loss_deadlocks(4);
}

#[test]
fn without_losses_the_timeout_variant_commits_or_aborts() {
    let model = ProtocolModel::new(with_timeouts(2), OpenChoiceHost, 2)
        .unwrap()
        .checking(&["deadlock"]);
    let report = Checker::new(&model).record_terminal_states().bfs();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    assert!(report.terminal_states.len() > 2, "{report:?}");
}

/// The counts in docs/performance.md: `cargo test --release -p
/// telltale-explorer --test two_phase_timeout -- --ignored --nocapture`.
#[test]
#[ignore = "prints the state counts of docs/performance.md"]
fn state_counts() {
    for n in 2..=4 {
        let report = Checker::new(&one_drop(with_timeouts(n))).bfs();
        eprintln!(
            "timeout variant, one loss, N={n}: {:?}, {} states, {} transitions, {:.3} s",
            report.verdict,
            report.unique_states,
            report.transitions,
            report.elapsed.as_secs_f64()
        );
    }
}
