//! End to end: the machine's scripted hosts (`ScriptedHandler`, the
//! scaffold's `ScriptedHost`) explored — queued answers are the only
//! answers explored, calls with nothing left queued stay open.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::image;
use telltale_compiler::CodeImage;
use telltale_explorer::counterexample::trace_lines;
use telltale_explorer::{
    Action, Checker, ExplorableHost, Model, OpenChoiceHost, ProtocolModel, ProtocolState,
    ScheduleOrigin, ScriptedAnswerHost, Verdict,
};
use telltale_types::effects::outcome;
use telltale_vm::explore::StateEncoder;
use telltale_vm::{ScriptedAnswer, ScriptedHandler, Value};

const LEDGER: &str = include_str!("../../../examples/ledger_effects.tell");

/// Two calls of one operation: the first `case` handles `Timeout`, the
/// second does not.
const SAVE_TWICE: &str = "effect Store\n  save : Int -> Result Unit Int\n\n\
    protocol SaveTwice uses Store =\n  roles Client, Server\n  Client -> Server : Put of Int\n\
    \x20 let first = check Store.save(put) at Server\n  case first of\n\
    \x20   | Ok(slot) => Server -> Client : Saved of Int\n\
    \x20   | Err(e) => Server -> Client : Refused\n\
    \x20   | Timeout => Server -> Client : Late\n\
    \x20 let second = check Store.save(put) at Server\n  case second of\n\
    \x20   | Ok(slot) => Server -> Client : SavedAgain of Int\n\
    \x20   | Err(e) => Server -> Client : RefusedAgain\n";

/// A model of `image` whose host is a `ScriptedHandler` with `answers`
/// queued (in order, per operation).
fn scripted(
    image: &CodeImage,
    answers: &[(&str, ScriptedAnswer)],
) -> ProtocolModel<ScriptedAnswerHost> {
    let mut handler = ScriptedHandler::new(0);
    for (operation, answer) in answers {
        handler.push(operation, answer.clone(), 0);
    }
    let host = ScriptedAnswerHost::from_handler(handler, &image.effects).unwrap();
    ProtocolModel::new(image.clone(), host, 2).unwrap()
}

fn ok(n: i64) -> ScriptedAnswer {
    ScriptedAnswer::Outcome(outcome("Ok", Value::Int(n)))
}

fn refused() -> ScriptedAnswer {
    ScriptedAnswer::Outcome(outcome("Err", Value::Unit))
}

/// The replayed trace of every run to a state with no action left (each
/// path, depth-first: these protocols are small and loop-free).
fn every_run<H: ExplorableHost>(model: &ProtocolModel<H>) -> Vec<Vec<String>> {
    let mut runs = Vec::new();
    let mut stack: Vec<(ProtocolState<H>, Vec<Action>)> =
        vec![(model.init_states().remove(0), Vec::new())];
    while let Some((state, path)) = stack.pop() {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        if actions.is_empty() {
            runs.push(trace_lines(&model.replay(&path).unwrap().machine));
        }
        for action in actions {
            let next = model.next_state(&state, &action);
            let mut longer = path.clone();
            longer.push(action);
            stack.push((next, longer));
        }
    }
    runs
}

/// Whether some line of `run` sends or selects `label` (`A -> B : label`,
/// `A selects label for B`), the whole label (`Saved` is not `SavedAgain`).
fn sends(run: &[String], label: &str) -> bool {
    run.iter().any(|line| {
        [format!(" : {label}"), format!(" selects {label}")]
            .iter()
            .filter_map(|start| line.find(start.as_str()).map(|at| at + start.len()))
            .any(|end| matches!(line[end..].chars().next(), None | Some('(' | ' ')))
    })
}

#[test]
fn a_queued_error_is_the_only_append_answer_explored() {
    let image = image(LEDGER, 1);
    let full = ScriptedAnswer::Outcome(outcome("Err", Value::string("Full")));
    let model = scripted(&image, &[("Ledger.append", full)]);
    let report = Checker::new(&model).record_terminal_states().bfs();
    assert_eq!(report.verdict, Verdict::Holds, "{report:?}");
    // `head` is not scripted: Just or Nothing, after a rejected append.
    assert_eq!(report.terminal_states.len(), 2, "{report:?}");
    let runs = every_run(&model);
    assert!(!runs.is_empty());
    for run in &runs {
        assert!(sends(run, "Rejected"), "{run:#?}");
        assert!(!sends(run, "Receipt"), "{run:#?}");
    }
    // Both answers scripted: one run's end.
    let nothing = ScriptedAnswer::Outcome(outcome("Nothing", Value::Unit));
    let full = ScriptedAnswer::Outcome(outcome("Err", Value::string("Full")));
    let both = scripted(&image, &[("Ledger.append", full), ("Ledger.head", nothing)]);
    let report = Checker::new(&both).record_terminal_states().bfs();
    assert_eq!(report.terminal_states.len(), 1, "{report:?}");
    for run in every_run(&both) {
        assert!(sends(&run, "Rejected") && sends(&run, "Empty"), "{run:#?}");
    }
}

#[test]
fn with_nothing_queued_it_explores_exactly_as_the_open_choice_host() {
    for (source, n) in [(LEDGER, 1), (SAVE_TWICE, 1)] {
        let image = image(source, n);
        let model = scripted(&image, &[]);
        let open = ProtocolModel::new(image.clone(), OpenChoiceHost, 2).unwrap();
        let ours = Checker::new(&model).record_terminal_states().bfs();
        let theirs = Checker::new(&open).record_terminal_states().bfs();
        assert_eq!(ours.verdict, theirs.verdict);
        assert_eq!(ours.unique_states, theirs.unique_states);
        assert_eq!(ours.transitions, theirs.transitions);
        assert_eq!(ours.terminal_states, theirs.terminal_states);
    }
    // The ledger's four ends: Ok or Err, then Just or Nothing.
    let model = scripted(&image(LEDGER, 1), &[]);
    let report = Checker::new(&model).record_terminal_states().bfs();
    assert_eq!(report.terminal_states.len(), 4);
}

#[test]
fn answers_are_taken_in_call_order_then_calls_are_open() {
    let image = image(SAVE_TWICE, 1);
    // One answer queued: the first call is refused, the second is open
    // (Ok or Err: no `Timeout` branch there).
    let model = scripted(&image, &[("Store.save", refused())]);
    let runs = every_run(&model);
    assert!(runs.iter().all(|r| sends(r, "Refused")), "{runs:#?}");
    assert!(runs.iter().any(|r| sends(r, "SavedAgain")), "{runs:#?}");
    assert!(runs.iter().any(|r| sends(r, "RefusedAgain")), "{runs:#?}");
    // Two: one run.
    let model = scripted(&image, &[("Store.save", refused()), ("Store.save", ok(4))]);
    let runs = every_run(&model);
    assert!(
        runs.iter()
            .all(|r| sends(r, "Refused") && sends(r, "SavedAgain") && !sends(r, "RefusedAgain")),
        "{runs:#?}"
    );
    let report = Checker::new(&model).record_terminal_states().bfs();
    assert_eq!(report.terminal_states.len(), 1);
}

#[test]
fn every_kind_of_answer_does_what_it_does_on_the_machine() {
    let image = image(SAVE_TWICE, 1);
    let stale = ScriptedAnswer::StaleLateResult(outcome("Ok", Value::Int(3)));
    let degraded = ScriptedAnswer::Degraded(outcome("Ok", Value::Int(3)), "slow disk".into());
    for (answer, first, note) in [
        (ok(3), "Saved", None),
        (refused(), "Refused", None),
        (degraded, "Saved", Some("degraded Store.save: slow disk")),
        (ScriptedAnswer::Timeout, "Late", None),
        (ScriptedAnswer::Cancelled, "Late", None),
        (
            stale,
            "Late",
            Some("stale late result of Store.save discarded: Ok(3)"),
        ),
    ] {
        // The second call's answer is queued too, so each kind has one end.
        let model = scripted(
            &image,
            &[("Store.save", answer.clone()), ("Store.save", ok(1))],
        );
        let report = Checker::new(&model).record_terminal_states().bfs();
        assert_eq!(report.verdict, Verdict::Holds, "{answer:?}: {report:?}");
        assert_eq!(report.terminal_states.len(), 1, "{answer:?}");
        for run in every_run(&model) {
            assert!(sends(&run, first), "{answer:?}: {run:#?}");
            let noted = run.iter().any(|l| l.contains("host notes:"));
            assert_eq!(noted, note.is_some(), "{answer:?}: {run:#?}");
            if let Some(note) = note {
                assert!(run.iter().any(|l| l.ends_with(note)), "{run:#?}");
            }
        }
    }
}

#[test]
fn a_blocked_answer_moves_only_the_script_and_the_fingerprint_sees_it() {
    let image = image(SAVE_TWICE, 1);
    let model = scripted(
        &image,
        &[
            ("Store.save", ScriptedAnswer::Blocked),
            ("Store.save", refused()),
            ("Store.save", ok(1)),
        ],
    );
    // Walk to the first call: Put sent, then received.
    let mut state = model.init_states().remove(0);
    let call = loop {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let first = actions.into_iter().next().expect("the call is reached");
        if matches!(&first, Action::Step { step, .. } if step.effect.is_some()) {
            break first;
        }
        state = model.next_state(&state, &first);
    };
    let mut actions = Vec::new();
    model.actions(&state, &mut actions);
    assert_eq!(
        actions,
        vec![call.clone()],
        "one alternative: the queued answer"
    );
    let blocked = model.next_state(&state, &call);
    assert_eq!(blocked.host.consumed("Store.save"), 1);
    assert_eq!(state.host.consumed("Store.save"), 0);
    // The machine is where it was; only the host's state tells them apart.
    let machine_only = |s: &ProtocolState<ScriptedAnswerHost>| {
        StateEncoder::new().fingerprint_with(&s.machine, &[])
    };
    assert_eq!(machine_only(&state), machine_only(&blocked));
    assert_ne!(model.fingerprint(&state), model.fingerprint(&blocked));
    // The retried call gets the next answer.
    for run in every_run(&model) {
        assert!(
            sends(&run, "Refused") && sends(&run, "SavedAgain"),
            "{run:#?}"
        );
    }
    // One state more than without the blocked answer.
    let without = scripted(&image, &[("Store.save", refused()), ("Store.save", ok(1))]);
    assert_eq!(
        Checker::new(&model).bfs().unique_states,
        Checker::new(&without).bfs().unique_states + 1
    );
}

#[test]
fn giving_up_where_the_case_has_no_timeout_branch_is_a_replayable_counterexample() {
    let image = image(SAVE_TWICE, 1);
    let model = scripted(
        &image,
        &[
            ("Store.save", ok(1)),
            ("Store.save", ScriptedAnswer::Timeout),
        ],
    );
    let report = Checker::new(&model).bfs();
    assert_eq!(report.verdict, Verdict::Violated, "{report:?}");
    let cex = report.counterexample.expect("a counterexample");
    assert_eq!(cex.property, "no_faults");
    let replayed = model.replay(&cex.actions).unwrap();
    assert_eq!(replayed.machine.faulted_coroutines().len(), 1);
    assert_eq!(replayed.host.consumed("Store.save"), 2);
    let trace = trace_lines(&replayed.machine);
    assert!(sends(&trace, "Saved"), "{trace:#?}");
    assert!(
        trace
            .iter()
            .any(|l| l.contains("Store.save timed out (scripted)")),
        "{trace:#?}"
    );
    // As a schedule file, replayed step by step to the same state.
    let schedule = model.schedule_of(&cex, ScheduleOrigin::default());
    let replay = model.replay_schedule(&schedule).unwrap();
    assert_eq!(replay.broken, vec!["no_faults"]);
    assert_eq!(
        model.fingerprint(&replay.state),
        model.fingerprint(&replayed)
    );
    // The same host over the whole search: depth-first finds it too.
    assert_eq!(Checker::new(&model).dfs().verdict, Verdict::Violated);
}

/// The example of docs/explorer.md ("Scripted hosts"), with the untyped
/// push the generated `host.ledger_append().error(LedgerError::Full)` makes.
#[test]
fn the_guide_example_explores_a_refused_append() {
    let mut host = ScriptedHandler::new(0);
    host.push(
        "Ledger.append",
        ScriptedAnswer::Outcome(outcome("Err", Value::string("Full"))),
        0,
    );
    let image = image(LEDGER, 1);
    let host = ScriptedAnswerHost::from_handler(host, &image.effects).unwrap();
    let model = ProtocolModel::new(image, host, 2).unwrap();
    let report = Checker::new(&model).record_terminal_states().bfs();
    assert_eq!(report.verdict, Verdict::Holds);
    assert_eq!(report.terminal_states.len(), 2);
}
