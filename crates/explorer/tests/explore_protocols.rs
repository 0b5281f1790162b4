//! End to end: protocols from text, explored exhaustively.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::image;
use telltale_compiler::CodeImage;
use telltale_explorer::{Checker, Model, OpenChoiceHost, ProtocolModel, Verdict};

fn two_phase_commit(n: u64) -> ProtocolModel<OpenChoiceHost> {
    ProtocolModel::new(support::two_phase_commit(n), OpenChoiceHost, 2).unwrap()
}

fn explore_2pc(n: u64) {
    let model = two_phase_commit(n);
    for reduce in [false, true] {
        for report in [
            Checker::new(&model).partial_order_reduction(reduce).bfs(),
            Checker::new(&model).partial_order_reduction(reduce).dfs(),
        ] {
            assert_eq!(
                report.verdict,
                Verdict::Holds,
                "N={n} por={reduce}: {report:?}"
            );
            assert!(report.unique_states > 1);
        }
    }
}

#[test]
fn two_phase_commit_has_no_deadlock_for_2_participants() {
    explore_2pc(2);
}

#[test]
fn two_phase_commit_has_no_deadlock_for_3_participants() {
    explore_2pc(3);
}

#[test]
fn two_phase_commit_has_no_deadlock_for_4_participants() {
    explore_2pc(4);
}

#[test]
fn reduction_visits_fewer_states_on_two_phase_commit() {
    let model = two_phase_commit(3);
    assert!(model.is_reducible());
    let full = Checker::new(&model).partial_order_reduction(false).bfs();
    let reduced = Checker::new(&model).partial_order_reduction(true).bfs();
    assert!(
        reduced.unique_states < full.unique_states,
        "{} vs {}",
        reduced.unique_states,
        full.unique_states
    );
}

#[test]
fn thread_count_does_not_change_the_result() {
    let model = two_phase_commit(3);
    let one = Checker::new(&model)
        .threads(1)
        .partial_order_reduction(false)
        .bfs();
    let two = Checker::new(&model)
        .threads(2)
        .partial_order_reduction(false)
        .bfs();
    assert_eq!(
        (one.unique_states, one.transitions, one.max_depth),
        (two.unique_states, two.transitions, two.max_depth)
    );
}

#[test]
fn depth_first_on_several_threads_counts_what_one_thread_counts() {
    let model = two_phase_commit(4);
    let dfs = |threads| {
        Checker::new(&model)
            .threads(threads)
            .partial_order_reduction(false)
            .dfs()
    };
    let one = dfs(1);
    let bfs = Checker::new(&model)
        .threads(1)
        .partial_order_reduction(false)
        .bfs();
    assert_eq!(one.unique_states, bfs.unique_states);
    for threads in [2, 3] {
        let many = dfs(threads);
        assert_eq!(many.verdict, Verdict::Holds, "{threads} threads");
        assert_eq!(
            (
                many.unique_states,
                many.represented_states,
                many.transitions,
                many.fullest_buffer
            ),
            (
                one.unique_states,
                one.represented_states,
                one.transitions,
                one.fullest_buffer
            ),
            "{threads} threads"
        );
        assert!(many.max_depth > 0 && many.max_depth <= one.unique_states);
    }
}

/// A message passed along a chain of three roles.
const CHAIN: &str = "protocol Crossed =
  roles A, B, C
  A -> C : Go
  C -> B : Go
  B -> A : Reply
";

#[test]
fn a_deadlock_free_chain_holds() {
    let model = ProtocolModel::new(image(CHAIN, 1), OpenChoiceHost, 1).unwrap();
    let report = Checker::new(&model).bfs();
    assert_eq!(report.verdict, Verdict::Holds);
}

#[test]
fn a_filled_buffer_is_reported_against_the_bound() {
    let source = "protocol Burst =
  roles A, B
  A -> B : One
  A -> B : Two
  A -> B : Three
";
    let model = ProtocolModel::new(image(source, 1), OpenChoiceHost, 2).unwrap();
    let report = Checker::new(&model).bfs();
    assert_eq!(report.verdict, Verdict::Holds);
    assert_eq!(report.fullest_buffer, 2, "the bound k = 2 was reached");
    let roomy = ProtocolModel::new(image(source, 1), OpenChoiceHost, 4).unwrap();
    assert_eq!(Checker::new(&roomy).bfs().fullest_buffer, 3);
}

#[test]
fn bounds_make_the_search_incomplete() {
    let model = two_phase_commit(2);
    let report = Checker::new(&model).max_depth(3).bfs();
    assert_eq!(report.verdict, Verdict::Incomplete);
    assert!(report.depth_bound_hit);
    let report = Checker::new(&model).max_states(5).dfs();
    assert_eq!(report.verdict, Verdict::Incomplete);
    assert!(report.state_bound_hit);
}

#[test]
fn fingerprints_are_stable() {
    let model = two_phase_commit(2);
    let init = model.init_states().remove(0);
    assert_eq!(model.fingerprint(&init), model.fingerprint(&init.clone()));
    let mut actions = Vec::new();
    model.actions(&init, &mut actions);
    let next = model.next_state(&init, &actions[0]);
    assert_ne!(model.fingerprint(&init), model.fingerprint(&next));
}

/// A and B each wait to receive before they send (local types that are
/// not dual): the shortest counterexample is the initial state itself.
#[test]
fn crossed_receives_deadlock() {
    use telltale_types::{Label, LocalType, Role};
    let locals = vec![
        (
            Role::new("A"),
            LocalType::recv(
                "B",
                Label::unit("y"),
                LocalType::send("B", Label::unit("x"), LocalType::End),
            ),
        ),
        (
            Role::new("B"),
            LocalType::recv(
                "A",
                Label::unit("x"),
                LocalType::send("A", Label::unit("y"), LocalType::End),
            ),
        ),
    ];
    let image =
        CodeImage::build_with_effects(None, &locals, &telltale_types::EffectTable::default())
            .unwrap();
    let model = ProtocolModel::new(image, OpenChoiceHost, 1).unwrap();
    let report = Checker::new(&model).bfs();
    assert_eq!(report.verdict, Verdict::Violated);
    let cex = report.counterexample.unwrap();
    assert_eq!(cex.property, "deadlock");
    assert!(cex.actions.is_empty());
}

/// B receives `x` then waits for a second message A never sends after its
/// first: a deadlock two steps deep, found at the shortest depth.
#[test]
fn a_missing_message_deadlocks_after_the_shortest_path() {
    use telltale_types::{Label, LocalType, Role};
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", Label::unit("x"), LocalType::End),
        ),
        (
            Role::new("B"),
            LocalType::recv(
                "A",
                Label::unit("x"),
                LocalType::recv("A", Label::unit("z"), LocalType::End),
            ),
        ),
    ];
    let image =
        CodeImage::build_with_effects(None, &locals, &telltale_types::EffectTable::default())
            .unwrap();
    let model = ProtocolModel::new(image, OpenChoiceHost, 1).unwrap();
    let report = Checker::new(&model).partial_order_reduction(false).bfs();
    let cex = report.counterexample.expect("a deadlock");
    assert_eq!(cex.property, "deadlock");
    let replayed = model.replay(&cex.actions).unwrap();
    let lines = telltale_explorer::counterexample::trace_lines(&replayed.machine);
    assert!(lines.iter().any(|l| l.ends_with("A -> B : x")), "{lines:?}");
    let diagram = telltale_explorer::counterexample::mermaid(&replayed.machine);
    assert!(diagram.contains("A->>B: x"), "{diagram}");
}

#[test]
fn two_phase_commit_makes_progress() {
    let model = two_phase_commit(3);
    let report = Checker::new(&model).bfs_with_progress();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    let plain = Checker::new(&model).partial_order_reduction(false).bfs();
    assert_eq!(report.unique_states, plain.unique_states);
}

/// A loop that can never end: every state breaks progress, shown as a
/// lasso whose cycle repeats the round.
#[test]
fn a_loop_without_exit_breaks_progress_with_a_lasso() {
    let source = "protocol Spin =
  roles A, B
  loop forever
    A -> B : Ping
    B -> A : Pong
";
    let model = ProtocolModel::new(image(source, 1), OpenChoiceHost, 1).unwrap();
    assert_eq!(
        Checker::new(&model).bfs().verdict,
        Verdict::Holds,
        "no deadlock"
    );
    let report = Checker::new(&model).bfs_with_progress();
    assert_eq!(report.verdict, Verdict::Violated);
    let cex = report.counterexample.unwrap();
    assert_eq!(cex.property, "progress");
    let start = cex.loop_start.expect("a lasso");
    assert!(start < cex.actions.len(), "{start} {}", cex.actions.len());
    let replayed = model.replay(&cex.actions).unwrap();
    let looped = model.replay(&cex.actions[..start]).unwrap();
    assert_eq!(
        model.fingerprint(&replayed),
        model.fingerprint(&looped),
        "the cycle closes"
    );
}

#[test]
fn one_lost_vote_deadlocks_two_phase_commit_and_the_shortest_run_shows_it() {
    use telltale_explorer::counterexample::{mermaid, trace_lines};
    use telltale_explorer::Action;
    let model = two_phase_commit(2).with_drop_budget(1);
    let report = Checker::new(&model).bfs();
    assert_eq!(report.verdict, Verdict::Violated);
    let cex = report.counterexample.expect("a counterexample");
    assert_eq!(cex.property, "deadlock");
    let drops = cex
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Drop { .. }))
        .count();
    assert_eq!(drops, 1, "{:?}", cex.actions);
    let state = model.replay(&cex.actions).unwrap();
    let lines = trace_lines(&state.machine);
    assert!(
        lines.iter().any(|l| l.contains("lost in transit")),
        "{lines:#?}"
    );
    assert!(mermaid(&state.machine).contains("-x"));
    // Without the budget the same model holds, and a budget of zero is no
    // budget at all.
    let clean = Checker::new(&two_phase_commit(2).with_drop_budget(0)).bfs();
    assert_eq!(clean.verdict, Verdict::Holds);
}

#[test]
fn every_declared_effect_outcome_is_an_alternative() {
    let source = include_str!("../../../examples/ledger_effects.tell");
    let model = ProtocolModel::new(image(source, 1), OpenChoiceHost, 3).unwrap();
    let report = Checker::new(&model).record_terminal_states().bfs();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    // Ok or Err from `append`, then Just or Nothing from `head`: four
    // different ends (the client saw a different pair of messages).
    assert_eq!(report.terminal_states.len(), 4, "{report:?}");
}

#[test]
fn a_host_that_gives_up_is_an_alternative_where_the_case_handles_it() {
    let source = "effect Store\n  save : Int -> Result Unit Int\n\n\
                  protocol Save uses Store =\n  roles Client, Server\n  Client -> Server : Put of Int\n\
                  \x20 let saved = check Store.save(put)\n  case saved of\n\
                  \x20   | Ok(slot) => Server -> Client : Saved of Int\n\
                  \x20   | Err(e) => Server -> Client : Refused\n\
                  \x20   | Timeout => Server -> Client : Late\n";
    let model = ProtocolModel::new(image(source, 1), OpenChoiceHost, 2).unwrap();
    let report = Checker::new(&model).record_terminal_states().bfs();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    assert_eq!(report.terminal_states.len(), 3, "Saved, Refused and Late");
}

#[test]
fn a_script_lists_the_answers_explored_at_each_call() {
    use telltale_explorer::ScriptedChoiceHost;
    use telltale_vm::EffectScript;
    let source = include_str!("../../../examples/ledger_effects.tell");
    let image = image(source, 1);
    let ends = |entries: &[&str]| {
        let script = EffectScript::parse(entries).unwrap();
        script.check(&image.effects).unwrap();
        let host = ScriptedChoiceHost::new(script, &image.effects);
        let model = ProtocolModel::new(image.clone(), host, 3).unwrap();
        let report = Checker::new(&model).record_terminal_states().bfs();
        assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
        report.terminal_states.len()
    };
    assert_eq!(ends(&[]), 4, "no script: every declared outcome");
    assert_eq!(ends(&["Ledger.append=Ok"]), 2, "append always Ok");
    assert_eq!(
        ends(&["Ledger.append=Ok,Err(Full)", "Ledger.head=Nothing"]),
        2
    );
}

#[test]
fn a_counterexample_as_a_schedule_survives_json_and_replays_to_the_same_state() {
    use telltale_explorer::{Schedule, ScheduleError, ScheduleOrigin, ScheduledAction};
    let model = two_phase_commit(2).with_drop_budget(1);
    let cex = Checker::new(&model)
        .bfs()
        .counterexample
        .expect("a deadlock");
    let schedule = model.schedule_of(&cex, ScheduleOrigin::default());
    let text = serde_json::to_string(&schedule).unwrap();
    let back: Schedule = serde_json::from_str(&text).unwrap();
    assert_eq!(back, schedule);
    let replay = model.replay_schedule(&back).unwrap();
    assert_eq!(replay.broken, vec!["deadlock"]);
    let direct = model.replay(&cex.actions).unwrap();
    assert_eq!(model.fingerprint(&replay.state), model.fingerprint(&direct));
    // An action moved out of place is refused, naming what was enabled.
    let mut moved = back.clone();
    moved.actions.swap(0, 2);
    let err = model.replay_schedule(&moved).err().expect("refused");
    assert!(
        matches!(err, ScheduleError::NotEnabled { index: 0, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("Coordinator"), "{err}");
    // A drop on an edge that holds nothing is no action either.
    let mut drop = back;
    drop.actions.insert(
        0,
        ScheduledAction::Drop {
            from: "Participants0".into(),
            to: "Coordinator".into(),
        },
    );
    assert!(model.replay_schedule(&drop).is_err());
}

/// B waits for `Data` from A or for its deadline (a `Timeout` branch):
/// the receive side of a `.tell` `timeout`, written as local types.
fn data_or_timeout() -> CodeImage {
    use telltale_types::{Label, LocalType, Role};
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", Label::unit("Data"), LocalType::End),
        ),
        (
            Role::new("B"),
            LocalType::branch(
                "A",
                vec![
                    (Label::unit("Data"), LocalType::End),
                    (Label::unit("Timeout"), LocalType::End),
                ],
            ),
        ),
    ];
    CodeImage::build_with_effects(None, &locals, &telltale_types::EffectTable::default()).unwrap()
}

#[test]
fn a_lost_message_deadlocks_unless_the_receive_may_time_out() {
    use telltale_explorer::Action;
    let model = ProtocolModel::new(data_or_timeout(), OpenChoiceHost, 1)
        .unwrap()
        .with_drop_budget(1)
        .checking(&["deadlock"]);
    assert!(!model.is_reducible(), "a timeout competes with the send");
    let without = model_without_timeouts(data_or_timeout());
    let report = Checker::new(&without).bfs();
    let cex = report.counterexample.expect("B waits forever");
    assert_eq!(cex.property, "deadlock");
    assert!(matches!(cex.actions.last(), Some(Action::Drop { .. })));
    let report = Checker::new(&model).record_terminal_states().bfs();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    // B got Data, or B timed out and Data was lost (B timing out before
    // Data came leaves Data queued: an orphan, which may still be lost).
    assert_eq!(report.terminal_states.len(), 2, "{report:?}");
    let full = ProtocolModel::new(data_or_timeout(), OpenChoiceHost, 1).unwrap();
    let report = Checker::new(&full).bfs();
    let cex = report
        .counterexample
        .expect("a premature timeout orphans Data");
    assert_eq!(cex.property, "orphan_messages");
    let state = full.replay(&cex.actions).unwrap();
    let lines = telltale_explorer::counterexample::trace_lines(&state.machine);
    assert!(
        cex.actions
            .iter()
            .any(|a| matches!(a, Action::Timeout { .. })),
        "{lines:#?}"
    );
}

fn model_without_timeouts(image: CodeImage) -> ProtocolModel<OpenChoiceHost> {
    ProtocolModel::new(image, OpenChoiceHost, 1)
        .unwrap()
        .with_drop_budget(1)
        .with_timeouts(false)
        .checking(&["deadlock"])
}

/// `examples/timeout.tell`: the Server waits for the Client's `Proceed`
/// or `Timeout`; its deadline may pass while the Client has not announced
/// yet, and the late `Proceed` then breaks the Server's local type: a
/// real consequence of a timer, found only when timeouts are explored.
#[test]
fn a_premature_timeout_in_the_timeout_example_is_found() {
    use telltale_explorer::Action;
    let source = include_str!("../../../examples/timeout.tell");
    let with = ProtocolModel::new(image(source, 1), OpenChoiceHost, 2).unwrap();
    let without = ProtocolModel::new(image(source, 1), OpenChoiceHost, 2)
        .unwrap()
        .with_timeouts(false);
    assert!(without.is_reducible() && !with.is_reducible());
    let plain = Checker::new(&without).bfs();
    assert_eq!(plain.verdict, Verdict::Holds, "{plain:?}");
    let timed = Checker::new(&with).bfs();
    let cex = timed.counterexample.expect("a late Proceed");
    assert_eq!(cex.property, "no_faults");
    assert!(cex
        .actions
        .iter()
        .any(|a| matches!(a, Action::Timeout { .. })));
    let state = with.replay(&cex.actions).unwrap();
    let lines = telltale_explorer::counterexample::trace_lines(&state.machine);
    assert!(lines.iter().any(|l| l.contains("Timeout")), "{lines:#?}");
}
