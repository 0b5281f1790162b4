//! Scheduler policies, concurrency and determinism.
#![allow(clippy::unwrap_used)]

use telltale_compiler::CodeImage;
use telltale_types::{Label, LocalType, Role};
use telltale_vm::{
    Config, DefaultHandler, ObsEvent, ProtocolMachine, ProtocolMachineError, RunStatus,
    SchedulerPolicy, StepResult,
};

/// `A -> B : x . C -> B : y . end`, with B listed first so that it blocks
/// before anyone has sent.
fn fan_in() -> CodeImage {
    CodeImage::build(
        None,
        &[
            (
                Role::new("B"),
                LocalType::recv(
                    "A",
                    Label::unit("x"),
                    LocalType::recv("C", Label::unit("y"), LocalType::End),
                ),
            ),
            (
                Role::new("C"),
                LocalType::send("B", Label::unit("y"), LocalType::End),
            ),
            (
                Role::new("A"),
                LocalType::send("B", Label::unit("x"), LocalType::End),
            ),
        ],
    )
    .unwrap()
}

/// The order of message events as `"<kind> <label>"`.
fn message_order(policy: SchedulerPolicy) -> Vec<String> {
    let config = Config {
        scheduler: policy,
        ..Config::default()
    };
    let mut m = ProtocolMachine::new(fan_in(), config).unwrap();
    m.open_all_roles().unwrap();
    assert_eq!(
        m.run(&DefaultHandler::new(0), 100).unwrap(),
        RunStatus::AllDone
    );
    let symbols = m.symbols().clone();
    m.trace()
        .iter()
        .filter_map(|e| match e {
            ObsEvent::Sent(s) => Some(format!("sent {}", symbols.label_name(s.label))),
            ObsEvent::Received(s) => Some(format!("recv {}", symbols.label_name(s.label))),
            ObsEvent::Halted { coro, .. } => Some(format!("halt {coro}")),
            _ => None,
        })
        .collect()
}

#[test]
fn each_policy_orders_picks_and_all_finish() {
    let check = |policy: SchedulerPolicy, expected: &[&str]| {
        assert_eq!(message_order(policy.clone()), expected, "{policy:?}");
    };
    // Round robin: B blocks, C sends y, A sends x, B (woken) receives x ...
    check(
        SchedulerPolicy::RoundRobin,
        &[
            "sent y", "sent x", "halt 1", "halt 2", "recv x", "recv y", "halt 0",
        ],
    );
    // Cooperative: each coroutine runs until it blocks or ends.
    check(
        SchedulerPolicy::Cooperative,
        &[
            "sent y", "halt 1", "sent x", "halt 2", "recv x", "recv y", "halt 0",
        ],
    );
    // Priority: A first, then B, then C.
    check(
        SchedulerPolicy::Priority {
            priorities: vec![("A".into(), 9), ("B".into(), 5)],
        },
        &[
            "sent x", "halt 2", "recv x", "sent y", "recv y", "halt 0", "halt 1",
        ],
    );
    // Progress aware: B, woken by a message, runs before the others while
    // it holds tokens for queued messages.
    check(
        SchedulerPolicy::ProgressAware,
        &[
            "sent y", "sent x", "recv x", "recv y", "halt 1", "halt 2", "halt 0",
        ],
    );
}

#[test]
fn step_reports_continue_stuck_and_done() {
    let mut m = ProtocolMachine::new(fan_in(), Config::default()).unwrap();
    assert_eq!(
        m.step(&DefaultHandler::new(0)).unwrap(),
        StepResult::AllDone
    );
    m.open_all_roles().unwrap();
    assert_eq!(
        m.step(&DefaultHandler::new(0)).unwrap(),
        StepResult::Continue
    );
    assert!(matches!(
        m.step_round(&DefaultHandler::new(0), 0),
        Err(ProtocolMachineError::InvalidConcurrency { n: 0 })
    ));
    // A session with only B cannot make progress once B blocks.
    let mut lonely = ProtocolMachine::new(fan_in(), Config::default()).unwrap();
    lonely
        .open_session(&telltale_vm::SessionRequest {
            roles: vec![Role::new("C")],
            handlers: vec![],
            default_handler: None,
        })
        .unwrap_err();
    let mut m = ProtocolMachine::new(fan_in(), Config::default()).unwrap();
    m.open_all_roles().unwrap();
    assert_eq!(
        m.run(&DefaultHandler::new(0), 2).unwrap(),
        RunStatus::BudgetExhausted
    );
    assert_eq!(
        m.run(&DefaultHandler::new(0), 100).unwrap(),
        RunStatus::AllDone
    );
    // B's first receive blocks: 8 dispatched instructions in all.
    assert_eq!(m.scheduler_step_count(), 8);
}

#[test]
fn run_concurrent_advances_several_coroutines_per_round() {
    let mut one = ProtocolMachine::new(fan_in(), Config::default()).unwrap();
    one.open_all_roles().unwrap();
    one.run(&DefaultHandler::new(0), 100).unwrap();
    let mut three = ProtocolMachine::new(fan_in(), Config::default()).unwrap();
    three.open_all_roles().unwrap();
    assert_eq!(
        three
            .run_concurrent(&DefaultHandler::new(0), 100, 3)
            .unwrap(),
        RunStatus::AllDone
    );
    assert_eq!(one.scheduler_step_count(), three.scheduler_step_count());
    assert!(three.clock() < one.clock());
}

/// Two runs of the same image, configuration and seed give byte-identical
/// observable and effect traces.
#[test]
fn runs_are_deterministic() {
    let image = telltale_vm::bench::ring_image(4).unwrap();
    let run = || {
        let mut m = ProtocolMachine::new(image.clone(), Config::default()).unwrap();
        m.open_all_roles().unwrap();
        m.open_all_roles().unwrap();
        m.run(&DefaultHandler::new(42), 100_000).unwrap();
        (
            postcard::to_allocvec(&m.trace()).unwrap(),
            postcard::to_allocvec(&m.effect_trace()).unwrap(),
        )
    };
    let (a, b) = (run(), run());
    assert!(!a.0.is_empty());
    assert_eq!(a, b);
}
