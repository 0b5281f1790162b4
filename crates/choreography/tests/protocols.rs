//! End-to-end runs of two- and three-party protocols over in-memory handlers.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;
use telltale_choreography::{
    interpret, interpret_with, program_from_local, ChoreoError, ChoreoHandler, ChoreoResult,
    FirstBranchDecider, InMemoryHandler, InterpretConfig, Message, Program, ProgramBranch,
    RunSummary, ScriptedDecider, Value,
};
use telltale_types::{Label, LocalType, PayloadSort, Role};

/// Runs each role's program in its own task and returns each role's result.
async fn run_all(
    programs: Vec<(&str, Program, ScriptedDecider)>,
) -> BTreeMap<String, (ChoreoResult<RunSummary>, ScriptedDecider)> {
    let mut network = InMemoryHandler::network(programs.iter().map(|(r, _, _)| *r));
    let mut tasks = Vec::new();
    for (role, program, mut decider) in programs {
        let mut handler = network.remove(&Role::new(role)).unwrap();
        tasks.push((
            role.to_string(),
            tokio::spawn(async move {
                let result = interpret(&mut handler, &mut (), &program, &mut decider).await;
                (result, decider)
            }),
        ));
    }
    let mut results = BTreeMap::new();
    for (role, task) in tasks {
        results.insert(role, task.await.unwrap());
    }
    results
}

fn nat(name: &str) -> Label {
    Label::new(name, PayloadSort::Nat)
}

fn text(name: &str) -> Label {
    Label::new(name, PayloadSort::String)
}

#[tokio::test]
async fn ping_pong_from_local_types() {
    let alice = LocalType::send(
        "Bob",
        nat("ping"),
        LocalType::recv("Bob", nat("pong"), LocalType::End),
    );
    let bob = LocalType::recv(
        "Alice",
        nat("ping"),
        LocalType::send("Alice", nat("pong"), LocalType::End),
    );
    let results = run_all(vec![
        (
            "Alice",
            program_from_local(&alice).unwrap(),
            ScriptedDecider::new().with_payloads("ping", [Value::Nat(41)]),
        ),
        (
            "Bob",
            program_from_local(&bob).unwrap(),
            ScriptedDecider::new().with_payloads("pong", [Value::Nat(42)]),
        ),
    ])
    .await;
    let (alice_result, alice_decider) = &results["Alice"];
    assert_eq!(alice_result.as_ref().unwrap().steps, 2);
    assert_eq!(
        alice_decider.received_messages(),
        &[(Role::new("Bob"), Message::new("pong", Value::Nat(42)))]
    );
    assert_eq!(
        results["Bob"].1.received_messages(),
        &[(Role::new("Alice"), Message::new("ping", Value::Nat(41)))]
    );
}

/// The three-buyer protocol: Buyer2 accepts or rejects after sharing the cost.
fn three_buyers() -> Vec<(&'static str, Program)> {
    let decision = |accept_then: Program, reject_then: Program| {
        vec![
            ProgramBranch::new(text("accept"), accept_then),
            ProgramBranch::new(Label::unit("reject"), reject_then),
        ]
    };
    let buyer1 = Program::builder()
        .send("Seller", text("title"))
        .recv("Seller", nat("quote"))
        .send("Buyer2", nat("share"))
        .end();
    let seller = Program::builder()
        .recv("Buyer1", text("title"))
        .parallel([
            Program::builder().send("Buyer1", nat("quote")).end(),
            Program::builder().send("Buyer2", nat("quote")).end(),
        ])
        .offer(
            "Buyer2",
            decision(
                Program::builder().send("Buyer2", text("date")).end(),
                Program::End,
            ),
        );
    let buyer2 = Program::builder()
        .recv("Seller", nat("quote"))
        .recv("Buyer1", nat("share"))
        .choose(
            "Seller",
            decision(
                Program::builder().recv("Seller", text("date")).end(),
                Program::End,
            ),
        );
    vec![("Buyer1", buyer1), ("Seller", seller), ("Buyer2", buyer2)]
}

async fn check_three_buyers(choice: &str, expected_seller_steps: u64) {
    let programs = three_buyers()
        .into_iter()
        .map(|(role, program)| {
            let decider = ScriptedDecider::new()
                .with_choices([choice])
                .with_payloads("quote", [Value::Nat(100), Value::Nat(100)])
                .with_payloads("accept", [Value::String("42 Main St".into())]);
            (role, program, decider)
        })
        .collect();
    let results = run_all(programs).await;
    for (role, (result, _)) in &results {
        assert!(result.is_ok(), "{role}: {result:?}");
    }
    assert_eq!(
        results["Seller"].0.as_ref().unwrap().steps,
        expected_seller_steps
    );
}

#[tokio::test]
async fn three_buyers_accept_and_reject() {
    check_three_buyers("accept", 5).await;
    check_three_buyers("reject", 4).await;
}

#[tokio::test]
async fn a_loop_runs_until_the_chooser_stops() {
    let client = LocalType::rec(
        "t",
        LocalType::select(
            "Server",
            [
                (nat("more"), LocalType::var("t")),
                (Label::unit("stop"), LocalType::End),
            ],
        ),
    );
    let server = LocalType::rec(
        "t",
        LocalType::branch(
            "Client",
            [
                (nat("more"), LocalType::var("t")),
                (Label::unit("stop"), LocalType::End),
            ],
        ),
    );
    let results = run_all(vec![
        (
            "Client",
            program_from_local(&client).unwrap(),
            ScriptedDecider::new()
                .with_choices(["more", "more", "more", "stop"])
                .with_payloads("more", [Value::Nat(1), Value::Nat(2), Value::Nat(3)]),
        ),
        (
            "Server",
            program_from_local(&server).unwrap(),
            ScriptedDecider::new(),
        ),
    ])
    .await;
    let labels: Vec<String> = results["Server"]
        .1
        .received_messages()
        .iter()
        .map(|(_, m)| m.to_string())
        .collect();
    assert_eq!(labels, ["more(1)", "more(2)", "more(3)", "stop"]);
}

#[tokio::test]
async fn wrong_labels_and_sorts_are_protocol_violations() {
    let expecting_ping = Program::builder().recv("A", nat("ping")).end();
    for (sent, got) in [
        (
            Message::new("pong", Value::Nat(1)),
            "pong carrying a nat value",
        ),
        (
            Message::new("ping", Value::Int(-1)),
            "ping carrying a int value",
        ),
        (
            Message::new("ping", Value::Real(1.0)),
            "ping carrying a real value",
        ),
    ] {
        let mut net = InMemoryHandler::network(["A", "B"]);
        let mut a = net.remove(&Role::new("A")).unwrap();
        let mut b = net.remove(&Role::new("B")).unwrap();
        a.send(&mut (), &Role::new("B"), sent).await.unwrap();
        let err = interpret(&mut b, &mut (), &expecting_ping, &mut FirstBranchDecider)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            ChoreoError::ProtocolViolation {
                role: Role::new("B"),
                peer: Role::new("A"),
                expected: "ping(nat)".into(),
                got: got.into(),
            }
        );
    }
}

/// The one conformance rule of `telltale_types::value`, as the machine
/// applies it too: a non-negative `Int` is a `nat`.
#[tokio::test]
async fn a_non_negative_int_is_received_as_a_nat() {
    let expecting_ping = Program::builder().recv("A", nat("ping")).end();
    let mut net = InMemoryHandler::network(["A", "B"]);
    let mut a = net.remove(&Role::new("A")).unwrap();
    let mut b = net.remove(&Role::new("B")).unwrap();
    a.send(
        &mut (),
        &Role::new("B"),
        Message::new("ping", Value::Int(1)),
    )
    .await
    .unwrap();
    interpret(&mut b, &mut (), &expecting_ping, &mut FirstBranchDecider)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unexpected_branch_is_a_protocol_violation() {
    let offer = Program::builder().offer(
        "A",
        [
            ProgramBranch::new(Label::unit("yes"), Program::End),
            ProgramBranch::new(Label::unit("no"), Program::End),
        ],
    );
    let mut net = InMemoryHandler::network(["A", "B"]);
    let mut a = net.remove(&Role::new("A")).unwrap();
    let mut b = net.remove(&Role::new("B")).unwrap();
    a.choose(&mut (), &Role::new("B"), Message::unit("maybe"))
        .await
        .unwrap();
    let err = interpret(&mut b, &mut (), &offer, &mut FirstBranchDecider)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChoreoError::ProtocolViolation { expected, .. } if expected == "one of {yes, no}"),
        "{err}"
    );
}

#[tokio::test]
async fn a_silent_peer_times_out() {
    let timed = Program::builder()
        .timeout(
            Duration::from_millis(20),
            Program::builder().recv("A", nat("ping")).end(),
        )
        .end();
    let mut net = InMemoryHandler::network(["A", "B"]);
    let _silent = net.remove(&Role::new("A")).unwrap();
    let mut b = net.remove(&Role::new("B")).unwrap();
    let err = interpret(&mut b, &mut (), &timed, &mut FirstBranchDecider)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ChoreoError::Timeout {
            role: Role::new("B"),
            after: Duration::from_millis(20)
        }
    );
}

#[tokio::test]
async fn a_timed_section_that_finishes_continues() {
    let timed = Program::builder()
        .timeout(
            Duration::from_secs(30),
            Program::builder().recv("A", nat("ping")).end(),
        )
        .send("A", nat("pong"))
        .end();
    let mut net = InMemoryHandler::network(["A", "B"]);
    let mut a = net.remove(&Role::new("A")).unwrap();
    let mut b = net.remove(&Role::new("B")).unwrap();
    a.send(
        &mut (),
        &Role::new("B"),
        Message::new("ping", Value::Nat(1)),
    )
    .await
    .unwrap();
    let summary = interpret(&mut b, &mut (), &timed, &mut FirstBranchDecider)
        .await
        .unwrap();
    assert_eq!(summary.steps, 2);
    assert_eq!(
        a.recv(&mut (), &Role::new("B")).await.unwrap(),
        Message::new("pong", Value::Nat(0))
    );
}

#[tokio::test]
async fn a_dropped_peer_disconnects_a_waiting_role() {
    let mut net = InMemoryHandler::network(["A", "B"]);
    let a = net.remove(&Role::new("A")).unwrap();
    let mut b = net.remove(&Role::new("B")).unwrap();
    let waiting = tokio::spawn(async move {
        let program = Program::builder().recv("A", nat("ping")).end();
        interpret(&mut b, &mut (), &program, &mut FirstBranchDecider).await
    });
    // A task that owns A's handler dies: its handler is dropped with it.
    let dying = tokio::spawn(async move {
        let _handler = a;
        std::future::pending::<()>().await;
    });
    dying.abort();
    let err = waiting.await.unwrap().unwrap_err();
    assert_eq!(
        err,
        ChoreoError::Disconnected {
            peer: Role::new("A")
        }
    );
}

#[tokio::test]
async fn step_limits_and_silent_loops_stop_a_run() {
    let chatty = Program::builder().loop_named(
        "t",
        Program::builder()
            .send("B", Label::unit("m"))
            .continue_loop("t"),
    );
    let mut net = InMemoryHandler::network(["A", "B"]);
    let mut a = net.remove(&Role::new("A")).unwrap();
    let _b = net.remove(&Role::new("B")).unwrap();
    let config = InterpretConfig {
        max_steps: Some(10),
    };
    let err = interpret_with(&mut a, &mut (), &chatty, &mut FirstBranchDecider, config)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ChoreoError::StepLimit {
            role: Role::new("A"),
            limit: 10
        }
    );
    let silent = Program::builder().loop_named("t", Program::builder().continue_loop("t"));
    let err = interpret(&mut a, &mut (), &silent, &mut FirstBranchDecider)
        .await
        .unwrap_err();
    assert!(matches!(err, ChoreoError::InvalidProgram { .. }), "{err}");
}

#[tokio::test]
async fn bad_decisions_are_refused_before_sending() {
    let program = Program::builder().send("B", nat("n")).end();
    let mut net = InMemoryHandler::network(["A", "B"]);
    let mut a = net.remove(&Role::new("A")).unwrap();
    let mut decider = ScriptedDecider::new().with_payloads("n", [Value::Bool(true)]);
    let err = interpret(&mut a, &mut (), &program, &mut decider)
        .await
        .unwrap_err();
    assert!(matches!(err, ChoreoError::Decision { .. }), "{err}");
}

#[tokio::test]
async fn malformed_programs_are_refused() {
    let parallel_escape = Program::builder().loop_named(
        "t",
        Program::builder()
            .send("B", Label::unit("m"))
            .parallel([Program::builder().continue_loop("t")])
            .end(),
    );
    let cases = [
        (
            Program::builder().continue_loop("t"),
            "`continue t` outside a loop of that name",
        ),
        (
            parallel_escape,
            "`continue t` jumps out of a parallel branch",
        ),
    ];
    for (program, expected) in cases {
        let mut net = InMemoryHandler::network(["A", "B"]);
        let mut a = net.remove(&Role::new("A")).unwrap();
        let err = interpret(&mut a, &mut (), &program, &mut FirstBranchDecider)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            ChoreoError::InvalidProgram {
                reason: expected.into()
            }
        );
    }
}
