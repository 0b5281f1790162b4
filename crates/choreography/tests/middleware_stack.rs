//! Middleware stacks in any order around an in-memory handler.
#![allow(clippy::unwrap_used)]

use std::time::Duration;
use telltale_choreography::{
    interpret, ChoreoError, ChoreoHandler, FaultConfig, FaultInjection, InMemoryHandler, Message,
    Metrics, MetricsSnapshot, Program, ProgramBranch, Retry, RetryPolicy, ScriptedDecider, Trace,
    Value,
};
use telltale_types::{Label, PayloadSort, Role};

const ROUNDS: usize = 20;

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 50,
        initial_backoff: Duration::from_micros(10),
        max_backoff: Duration::from_micros(200),
        multiplier: 2,
    }
}

fn faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        send_failure_rate: 0.3,
        delay_rate: 0.2,
        max_delay: Duration::from_micros(300),
    }
}

/// `loop t { Server!{ ping(nat) . Server?pong(nat) . continue t, stop . end } }`.
fn client() -> Program {
    Program::builder().loop_named(
        "t",
        Program::builder().choose(
            "Server",
            [
                ProgramBranch::new(
                    Label::new("ping", PayloadSort::Nat),
                    Program::builder()
                        .recv("Server", Label::new("pong", PayloadSort::Nat))
                        .continue_loop("t"),
                ),
                ProgramBranch::new(Label::unit("stop"), Program::End),
            ],
        ),
    )
}

fn server() -> Program {
    Program::builder().loop_named(
        "t",
        Program::builder().offer(
            "Client",
            [
                ProgramBranch::new(
                    Label::new("ping", PayloadSort::Nat),
                    Program::builder()
                        .send("Client", Label::new("pong", PayloadSort::Nat))
                        .continue_loop("t"),
                ),
                ProgramBranch::new(Label::unit("stop"), Program::End),
            ],
        ),
    )
}

fn client_decider() -> ScriptedDecider {
    let mut choices = vec!["ping"; ROUNDS];
    choices.push("stop");
    ScriptedDecider::new().with_choices(choices)
}

fn handlers() -> (InMemoryHandler, InMemoryHandler) {
    let mut net = InMemoryHandler::network(["Client", "Server"]);
    (
        net.remove(&Role::new("Client")).unwrap(),
        net.remove(&Role::new("Server")).unwrap(),
    )
}

#[tokio::test]
async fn a_four_deep_stack_survives_injected_faults() {
    let (client_handler, server_handler) = handlers();
    let mut client_stack = Trace::new(Metrics::new(Retry::new(
        FaultInjection::new(client_handler, faults(1)),
        policy(),
    )));
    let client_counters = client_stack.inner().counters();
    let mut server_stack = Trace::new(Metrics::new(Retry::new(
        FaultInjection::new(server_handler, faults(2)),
        policy(),
    )));
    let server_task = tokio::spawn(async move {
        let mut decider = ScriptedDecider::new();
        let summary = interpret(&mut server_stack, &mut (), &server(), &mut decider).await;
        let injected = server_stack.inner().inner().inner().injected_failures();
        (summary, injected)
    });
    let summary = interpret(&mut client_stack, &mut (), &client(), &mut client_decider())
        .await
        .unwrap();
    let injected = client_stack.inner().inner().inner().injected_failures();
    let (server_summary, server_injected) = server_task.await.unwrap();
    assert_eq!(summary.steps, 2 * ROUNDS as u64 + 1);
    assert_eq!(server_summary.unwrap().steps, 2 * ROUNDS as u64 + 1);
    assert!(injected + server_injected > 0, "the seeds inject faults");
    // Metrics sit above Retry, so they count only the final outcome of each send.
    assert_eq!(
        client_counters.snapshot(),
        MetricsSnapshot {
            sends: 0,
            receives: ROUNDS as u64,
            choices: ROUNDS as u64 + 1,
            offers: 0,
            failures: 0,
        }
    );
}

#[tokio::test]
async fn the_same_layers_compose_in_the_reverse_order() {
    let (client_handler, server_handler) = handlers();
    let mut client_stack = FaultInjection::new(
        Retry::new(Metrics::new(Trace::new(client_handler)), policy()),
        FaultConfig::none(3),
    );
    // Metrics below FaultInjection and Retry see every attempt that got through.
    let counters = client_stack.inner().inner().counters();
    let mut server_stack = Retry::new(
        FaultInjection::new(Metrics::new(Trace::new(server_handler)), faults(4)),
        policy(),
    );
    let server_task = tokio::spawn(async move {
        interpret(
            &mut server_stack,
            &mut (),
            &server(),
            &mut ScriptedDecider::new(),
        )
        .await
    });
    interpret(&mut client_stack, &mut (), &client(), &mut client_decider())
        .await
        .unwrap();
    server_task.await.unwrap().unwrap();
    assert_eq!(counters.snapshot().choices, ROUNDS as u64 + 1);
}

#[tokio::test]
async fn retries_give_up_after_the_policy_allows() {
    let (client_handler, _server) = handlers();
    let always_failing = FaultConfig {
        send_failure_rate: 1.0,
        ..FaultConfig::none(5)
    };
    let mut stack = Metrics::new(Retry::new(
        FaultInjection::new(client_handler, always_failing),
        RetryPolicy {
            max_attempts: 4,
            ..policy()
        },
    ));
    let err = stack
        .send(
            &mut (),
            &Role::new("Server"),
            Message::new("n", Value::Nat(1)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ChoreoError::InjectedFault { .. }), "{err}");
    assert_eq!(stack.inner().inner().injected_failures(), 4);
    assert_eq!(stack.counters().snapshot().failures, 1);
}

mod transparency {
    use super::*;
    use proptest::prelude::*;

    fn message_strategy() -> impl Strategy<Value = Message> {
        (
            "[a-z]{1,6}",
            prop_oneof![
                Just(Value::Unit),
                any::<u64>().prop_map(Value::Nat),
                any::<i64>().prop_map(Value::Int),
                ".{0,8}".prop_map(Value::string),
            ],
        )
            .prop_map(|(label, value)| Message::new(label, value))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Middleware without faults changes nothing about what arrives.
        #[test]
        fn a_fault_free_stack_delivers_exactly_what_was_sent(
            messages in prop::collection::vec(message_strategy(), 0..20)
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let received = rt.block_on(async {
                let (client, server) = handlers();
                let mut sender = Trace::new(Metrics::new(Retry::new(
                    FaultInjection::new(client, FaultConfig::none(9)),
                    policy(),
                )));
                let mut receiver = Metrics::new(Trace::new(server));
                let (to, from) = (Role::new("Server"), Role::new("Client"));
                for m in &messages {
                    sender.send(&mut (), &to, m.clone()).await.unwrap();
                }
                let mut received = Vec::new();
                for _ in &messages {
                    received.push(receiver.recv(&mut (), &from).await.unwrap());
                }
                received
            });
            prop_assert_eq!(received, messages);
        }
    }
}
