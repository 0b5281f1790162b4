//! Tests of the network extension point (`network.rs`).

use crate::buffer::{BackpressurePolicy, BufferConfig, BufferMode};
use crate::config::{CommunicationReplayMode, Config, MessageAuth};
use crate::coroutine::CoroStatus;
use crate::corruption::mangle;
use crate::fault::Fault;
use crate::network::{Delivery, InFlight};
use crate::render::TraceText;
use crate::{load_all_roles, DefaultHandler, ProtocolMachine, RunStatus};
use telltale_types::{GlobalType, Label, LocalType, PayloadSort, Role};

/// `A` sends `B` three integers.
fn three_messages(config: Config) -> ProtocolMachine {
    let label = || Label::new("n", PayloadSort::Int);
    let g = GlobalType::send(
        "A",
        "B",
        label(),
        GlobalType::send(
            "A",
            "B",
            label(),
            GlobalType::send("A", "B", label(), GlobalType::End),
        ),
    );
    let a = LocalType::send(
        "B",
        label(),
        LocalType::send("B", label(), LocalType::send("B", label(), LocalType::End)),
    );
    let b = LocalType::recv(
        "A",
        label(),
        LocalType::recv("A", label(), LocalType::recv("A", label(), LocalType::End)),
    );
    load_all_roles(Some(&g), [(Role::new("A"), a), (Role::new("B"), b)], config).unwrap()
}

/// Runs with a network that delivers everything it holds at the start of
/// the next round, in the order given by `reorder`; returns the status.
fn run_via_network(
    machine: &mut ProtocolMachine,
    mut reorder: impl FnMut(&mut Vec<InFlight>),
) -> RunStatus {
    let handler = DefaultHandler::new(7);
    machine.install_network();
    let mut in_flight = Vec::new();
    for _ in 0..100 {
        for m in std::mem::take(&mut in_flight) {
            match machine.deliver(m) {
                Delivery::Queued | Delivery::Overwrote | Delivery::Dropped => {}
                Delivery::Full(m) | Delivery::Refused(m) => in_flight.push(m),
            }
        }
        // A fault stops the run here; the tests look at the coroutines.
        let Ok(r) = machine.step(&handler) else {
            return RunStatus::Stuck;
        };
        machine.drain_outbox(&mut in_flight);
        reorder(&mut in_flight);
        if r == crate::StepResult::AllDone {
            return RunStatus::AllDone;
        }
        if r == crate::StepResult::Stuck && in_flight.is_empty() {
            return RunStatus::Stuck;
        }
    }
    RunStatus::BudgetExhausted
}

fn lines(machine: &ProtocolMachine) -> Vec<String> {
    let text = TraceText::of_machine(machine);
    machine.trace_iter().map(|e| text.line(e)).collect()
}

#[test]
fn without_a_network_nothing_goes_through_the_outbox() {
    let mut machine = three_messages(Config::default());
    assert!(!machine.network_installed());
    assert_eq!(
        machine.run(&DefaultHandler::new(7), 100).unwrap(),
        RunStatus::AllDone
    );
    let mut out = Vec::new();
    machine.drain_outbox(&mut out);
    assert!(out.is_empty());
}

#[test]
fn a_network_that_delivers_everything_runs_the_protocol_to_the_end() {
    let mut machine = three_messages(Config::default());
    assert_eq!(run_via_network(&mut machine, |_| {}), RunStatus::AllDone);
    let got = lines(&machine);
    let received = got.iter().filter(|l| l.contains("B receives")).count();
    assert_eq!(received, 3, "{got:#?}");
}

#[test]
fn sends_wait_in_the_outbox_until_the_host_delivers_them() {
    let mut machine = three_messages(Config::default());
    machine.install_network();
    let handler = DefaultHandler::new(7);
    for _ in 0..10 {
        machine.step(&handler).unwrap();
    }
    let mut out = Vec::new();
    machine.drain_outbox(&mut out);
    assert_eq!(out.len(), 3);
    let seqs: Vec<u64> = out.iter().map(|m| m.envelope.seq).collect();
    assert_eq!(seqs, [0, 1, 2]);
    let session = machine.session_ids()[0];
    assert_eq!(machine.session(session).unwrap().queued(0, 1), 0);
    assert!(!machine.all_done());
}

#[test]
fn a_full_buffer_hands_the_message_back_and_a_finished_session_refuses_it() {
    let config = Config {
        buffer: BufferConfig {
            mode: BufferMode::Fifo,
            capacity: 1,
            policy: BackpressurePolicy::Block,
        },
        ..Config::default()
    };
    let mut machine = three_messages(config);
    machine.install_network();
    let handler = DefaultHandler::new(7);
    let mut out = Vec::new();
    while out.len() < 2 {
        machine.step(&handler).unwrap();
        machine.drain_outbox(&mut out);
    }
    let second = out.pop().unwrap();
    let first = out.pop().unwrap();
    assert_eq!(machine.deliver(first), Delivery::Queued);
    assert!(matches!(machine.deliver(second.clone()), Delivery::Full(m) if m == second));
    let session = machine.session_ids()[0];
    machine.cancel_session(session).unwrap();
    assert!(matches!(machine.deliver(second), Delivery::Refused(_)));
}

#[test]
fn reordered_messages_meet_the_sequence_replay_check_at_the_receive() {
    let config = Config {
        communication_replay_mode: CommunicationReplayMode::Sequence,
        ..Config::default()
    };
    let mut machine = three_messages(config);
    let mut pending: Vec<InFlight> = Vec::new();
    // Hold messages until two are in flight, then deliver them swapped.
    run_via_network(&mut machine, |in_flight| {
        pending.append(in_flight);
        if pending.len() >= 2 {
            pending.swap(0, 1);
            in_flight.append(&mut pending);
        }
    });
    let faulted = machine
        .coroutines_of(machine.session_ids()[0])
        .into_iter()
        .filter_map(|c| machine.coroutine(c))
        .any(|c| matches!(c.status, CoroStatus::Faulted(ref f) if matches!(**f, Fault::SequenceMismatch { expected: 0, actual: 1, .. })));
    assert!(faulted, "{:#?}", lines(&machine));
}

#[test]
fn a_payload_corrupted_in_flight_fails_the_signature_check() {
    let config = Config {
        message_auth: MessageAuth::Ed25519,
        ..Config::default()
    };
    let mut machine = three_messages(config);
    let status = run_via_network(&mut machine, |in_flight| {
        for m in in_flight.iter_mut() {
            m.envelope.payload = mangle(&m.envelope.payload);
        }
    });
    assert_ne!(status, RunStatus::AllDone);
    let faulted = machine
        .coroutines_of(machine.session_ids()[0])
        .into_iter()
        .filter_map(|c| machine.coroutine(c))
        .any(|c| matches!(c.status, CoroStatus::Faulted(ref f) if matches!(**f, Fault::SignatureInvalid { .. })));
    assert!(faulted, "{:#?}", lines(&machine));
}
