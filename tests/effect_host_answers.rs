//! The answers a host gives besides an outcome, end to end on the machine:
//! "not yet" (`EffectError::blocked`: the call is retried next round), "I
//! gave up" (a `timeout` error: the `case`'s `Timeout` branch, or a fault
//! without one) and a note on an outcome (an output-condition hint, shown
//! in the trace). Each replays identically from its recording.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::sync::Arc;
use telltale_compiler::CodeImage;
use telltale_compiler::LabelId;
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_theory::projection::project_all;
use telltale_types::effects::outcome;
use telltale_types::Value;
use telltale_vm::{
    load_image_all_roles, Config, EffectError, EffectErrorCategory, EffectHandler, Fault,
    InvokeInput, OutputConditionHint, OutputHintInput, ProtocolMachineError,
    RecordingEffectHandler, ReplayEffectHandler, SendDecisionInput, TraceText,
};

/// A store whose `put` may time out; the protocol handles that explicitly.
const STORE: &str = "\
type StoreError = | Full

effect Store
  put : Int -> Result StoreError Int

protocol Save uses Store =
  roles Client, Server
  Client -> Server : Put of Int
  let saved = check Store.put(value)
  case saved of
    | Ok(slot) =>
      Server -> Client : Saved of Int
    | Err(e) =>
      Server -> Client : Refused
    | Timeout =>
      Server -> Client : Late
";

fn image(text: &str) -> CodeImage {
    let file = SourceFile::new("store.tell".to_string(), text.to_string());
    let (module, diagnostics) = load(&file);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let protocol = lower_all(&module, &LowerOptions::default())
        .unwrap()
        .remove(0);
    let locals: Vec<_> = project_all(&protocol.global).unwrap().into_iter().collect();
    CodeImage::build_with_effects(Some(&protocol.global), &locals, &protocol.effects).unwrap()
}

/// The protocol without its `Timeout` branch.
fn without_timeout_branch() -> String {
    STORE.replace("    | Timeout =>\n      Server -> Client : Late\n", "")
}

/// A scripted store: blocks `waits` times, then answers `answer`, and may
/// flag its outcome with a hint.
struct Store {
    waits: Cell<u32>,
    answer: Result<Value, String>,
    note: Option<&'static str>,
}

impl Store {
    fn answering(answer: Result<Value, String>) -> Store {
        Store {
            waits: Cell::new(0),
            answer,
            note: None,
        }
    }
}

impl EffectHandler for Store {
    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        input.call.ok_or("not an effect call")?;
        if self.waits.get() > 0 {
            self.waits.set(self.waits.get() - 1);
            return Err(EffectError::blocked("the disk is busy"));
        }
        self.answer.clone()
    }

    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        Ok(match input.label_name(label) {
            "Put" | "Saved" => Value::Int(7),
            _ => Value::Unit,
        })
    }

    fn output_condition_hint(&self, input: &OutputHintInput) -> Option<OutputConditionHint> {
        // Only the server invokes; flag its outcome.
        (input.ctx.role == 1).then_some(())?;
        self.note.map(|tag| OutputConditionHint {
            tag: tag.to_string(),
        })
    }
}

/// Runs to the end; the fault (if any) and the text trace.
fn run(image: CodeImage, handler: &dyn EffectHandler) -> (Option<Fault>, Vec<String>) {
    let mut machine = load_image_all_roles(image, Config::default()).unwrap();
    let fault = match machine.run(handler, 10_000) {
        Ok(_) => None,
        Err(ProtocolMachineError::Fault { fault, .. }) => Some(fault),
        Err(other) => panic!("machine error {other}"),
    };
    let text = TraceText::of_machine(&machine);
    (fault, machine.trace_iter().map(|e| text.line(e)).collect())
}

fn sent_by_server(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| l.contains("Server -> Client") || l.contains("Server selects"))
        .map(String::as_str)
        .collect()
}

#[test]
fn a_blocked_call_is_retried_each_round_until_the_host_answers() {
    let store = Store {
        waits: Cell::new(3),
        ..Store::answering(Ok(outcome("Ok", Value::Int(7))))
    };
    let (fault, lines) = run(image(STORE), &store);
    assert!(fault.is_none(), "{fault:?}");
    let waits = lines
        .iter()
        .filter(|l| l.contains("Server waits for its host"))
        .count();
    assert_eq!(waits, 3, "{lines:#?}");
    assert!(
        sent_by_server(&lines).join("\n").contains("Saved"),
        "{lines:#?}"
    );
}

#[test]
fn a_timeout_takes_the_timeout_branch_where_the_case_has_one() {
    let late = Err(EffectError::tagged(
        EffectErrorCategory::Timeout,
        "no answer in 5s",
    ));
    let (fault, lines) = run(image(STORE), &Store::answering(late.clone()));
    assert!(fault.is_none(), "{fault:?}");
    assert!(
        sent_by_server(&lines).join("\n").contains("Late"),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("-> Timeout")),
        "the trace shows the call's outcome: {lines:#?}"
    );

    // Without a `Timeout` branch, giving up faults the performer.
    let (fault, _) = run(image(&without_timeout_branch()), &Store::answering(late));
    let fault = fault.expect("a fault");
    assert!(fault.to_string().contains("no answer in 5s"), "{fault}");
}

#[test]
fn other_errors_still_fault_when_the_case_has_a_timeout_branch() {
    let broken = Err(EffectError::tagged(
        EffectErrorCategory::Resource,
        "disk gone",
    ));
    let (fault, _) = run(image(STORE), &Store::answering(broken));
    assert!(fault.expect("a fault").to_string().contains("disk gone"));
}

#[test]
fn a_hint_on_an_outcome_is_shown_in_the_trace() {
    let store = Store {
        note: Some("degraded: answered from a stale replica"),
        ..Store::answering(Ok(outcome("Ok", Value::Int(7))))
    };
    let (fault, lines) = run(image(STORE), &store);
    assert!(fault.is_none(), "{fault:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Server's host notes: degraded: answered from a stale replica")),
        "{lines:#?}"
    );
}

#[test]
fn blocked_timed_out_and_noted_runs_replay_identically() {
    for answer in [
        Ok(outcome("Ok", Value::Int(7))),
        Err(EffectError::tagged(EffectErrorCategory::Timeout, "late")),
    ] {
        let store = Store {
            waits: Cell::new(2),
            note: Some("degraded: slow disk"),
            ..Store::answering(answer)
        };
        let recorder = RecordingEffectHandler::new(&store);
        let (_, recorded) = run(image(STORE), &recorder);
        let trace: Arc<[_]> = Arc::from(recorder.into_trace());
        // This host would answer at once, with a refusal.
        let other = Store::answering(Ok(outcome("Err", Value::string("Full"))));
        let replay = ReplayEffectHandler::with_fallback(trace, &other);
        let (_, replayed) = run(image(STORE), &replay);
        assert_eq!(recorded, replayed);
        assert!(replay.is_exhausted());
        assert!(replayed.iter().any(|l| l.contains("notes: degraded")));
    }
}

/// The scripted handler: each queued answer has its documented behaviour.
mod scripted {
    use super::*;
    use telltale_vm::{ScriptedAnswer, ScriptedHandler};

    fn scripted(answers: &[(ScriptedAnswer, u64)]) -> ScriptedHandler {
        let mut handler = ScriptedHandler::new(0);
        for (answer, delay) in answers {
            handler.push("Store.put", answer.clone(), *delay);
        }
        handler
    }

    fn server_said(answers: &[(ScriptedAnswer, u64)]) -> (Option<Fault>, Vec<String>) {
        run(image(STORE), &scripted(answers))
    }

    fn saved() -> ScriptedAnswer {
        ScriptedAnswer::Outcome(outcome("Ok", Value::Int(3)))
    }

    #[test]
    fn an_outcome_steers_the_branch() {
        let (fault, lines) = server_said(&[(saved(), 0)]);
        assert!(fault.is_none());
        assert!(sent_by_server(&lines).join("\n").contains("Saved"));
        let refused = ScriptedAnswer::Outcome(outcome("Err", Value::string("Full")));
        let (_, lines) = server_said(&[(refused, 0)]);
        assert!(sent_by_server(&lines).join("\n").contains("Refused"));
    }

    #[test]
    fn timeouts_cancellations_and_stale_results_take_the_timeout_branch() {
        for answer in [
            ScriptedAnswer::Timeout,
            ScriptedAnswer::Cancelled,
            ScriptedAnswer::StaleLateResult(outcome("Ok", Value::Int(3))),
        ] {
            let (fault, lines) = server_said(&[(answer.clone(), 0)]);
            assert!(fault.is_none(), "{answer:?}: {fault:?}");
            assert!(
                sent_by_server(&lines).join("\n").contains("Late"),
                "{answer:?}"
            );
            let stale = lines
                .iter()
                .any(|l| l.contains("stale late result of Store.put discarded: Ok(3)"));
            assert_eq!(
                stale,
                matches!(answer, ScriptedAnswer::StaleLateResult(_)),
                "{lines:#?}"
            );
        }
        // Without a `Timeout` branch the performer faults.
        let (fault, _) = run(
            image(&without_timeout_branch()),
            &scripted(&[(ScriptedAnswer::Timeout, 0)]),
        );
        assert!(fault.expect("a fault").to_string().contains("timed out"));
    }

    #[test]
    fn blocked_waits_a_round_and_a_delay_waits_its_ticks() {
        let (fault, lines) = server_said(&[(ScriptedAnswer::Blocked, 0), (saved(), 0)]);
        assert!(fault.is_none());
        let waits = |lines: &[String]| {
            lines
                .iter()
                .filter(|l| l.contains("waits for its host"))
                .count()
        };
        assert_eq!(waits(&lines), 1, "{lines:#?}");
        assert!(sent_by_server(&lines).join("\n").contains("Saved"));

        let (fault, lines) = server_said(&[(saved(), 5)]);
        assert!(fault.is_none());
        assert_eq!(waits(&lines), 5, "{lines:#?}");
    }

    #[test]
    fn a_degraded_outcome_is_taken_and_flagged() {
        let answer =
            ScriptedAnswer::Degraded(outcome("Ok", Value::Int(3)), "from a replica".into());
        let (fault, lines) = server_said(&[(answer, 0)]);
        assert!(fault.is_none());
        assert!(sent_by_server(&lines).join("\n").contains("Saved"));
        assert!(
            lines
                .iter()
                .any(|l| l.contains("notes: degraded Store.put: from a replica")),
            "{lines:#?}"
        );
    }

    #[test]
    fn a_scripted_run_replays_identically() {
        let handler = scripted(&[(ScriptedAnswer::Blocked, 2), (saved(), 0), (saved(), 0)]);
        let recorder = RecordingEffectHandler::new(&handler);
        let (fault, recorded) = run(image(STORE), &recorder);
        assert!(fault.is_none());
        assert_eq!(handler.remaining("Store.put"), 1, "a block, then an answer");
        let trace: Arc<[_]> = Arc::from(recorder.into_trace());
        let other = ScriptedHandler::new(9);
        let replay = ReplayEffectHandler::with_fallback(trace, &other);
        let (_, replayed) = run(image(STORE), &replay);
        assert_eq!(recorded, replayed);
    }
}
