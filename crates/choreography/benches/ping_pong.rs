//! In-memory ping-pong through `ChoreoHandler` against raw tokio channels.
//!
//! Each measured iteration is one round trip between two tasks on a
//! current-thread runtime: raw `tokio::sync::mpsc` carrying a `u64`, an
//! `InMemoryHandler` carrying a `Message`, the same under a three-layer
//! middleware stack, and the same driven by the `Program` interpreter.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::Arc;
use std::time::{Duration, Instant};
use telltale_choreography::{
    interpret_with, ChoreoHandler, FirstBranchDecider, InMemoryHandler, InterpretConfig, Message,
    Metrics, Program, Retry, RetryPolicy, Trace, Value,
};
use telltale_types::{Label, PayloadSort, Role};
use tokio::runtime::Runtime;
use tokio::sync::mpsc::unbounded_channel;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn raw(rt: &Runtime, iters: u64) -> Duration {
    rt.block_on(async move {
        let (to_server, mut server_inbox) = unbounded_channel::<u64>();
        let (to_client, mut client_inbox) = unbounded_channel::<u64>();
        let server = tokio::spawn(async move {
            while let Some(n) = server_inbox.recv().await {
                if to_client.send(n + 1).is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        for i in 0..iters {
            to_server.send(i).unwrap();
            client_inbox.recv().await.unwrap();
        }
        let elapsed = start.elapsed();
        drop(to_server);
        server.await.unwrap();
        elapsed
    })
}

/// Raw channels carrying the same `Message` values as the handlers.
fn raw_messages(rt: &Runtime, iters: u64) -> Duration {
    rt.block_on(async move {
        let (to_server, mut server_inbox) = unbounded_channel::<Message>();
        let (to_client, mut client_inbox) = unbounded_channel::<Message>();
        let server = tokio::spawn(async move {
            while let Some(m) = server_inbox.recv().await {
                let Value::Nat(n) = m.value else { break };
                if to_client
                    .send(Message::new(m.label, Value::Nat(n + 1)))
                    .is_err()
                {
                    break;
                }
            }
        });
        let label: Arc<str> = Arc::from("ping");
        let start = Instant::now();
        for i in 0..iters {
            to_server
                .send(Message::new(label.clone(), Value::Nat(i)))
                .unwrap();
            client_inbox.recv().await.unwrap();
        }
        let elapsed = start.elapsed();
        drop(to_server);
        server.await.unwrap();
        elapsed
    })
}

/// Ping-pong through any handler pair built by `wrap`.
fn handler<H, F>(rt: &Runtime, iters: u64, wrap: F) -> Duration
where
    H: ChoreoHandler<Endpoint = ()> + 'static,
    F: Fn(InMemoryHandler) -> H,
{
    let mut net = InMemoryHandler::network(["Client", "Server"]);
    let mut client = wrap(net.remove(&Role::new("Client")).unwrap());
    let mut server = wrap(net.remove(&Role::new("Server")).unwrap());
    rt.block_on(async move {
        let client_role = Role::new("Client");
        let server_role = Role::new("Server");
        let server_task = tokio::spawn(async move {
            while let Ok(m) = server.recv(&mut (), &client_role).await {
                let Value::Nat(n) = m.value else { break };
                let reply = Message::new(m.label, Value::Nat(n + 1));
                if server.send(&mut (), &client_role, reply).await.is_err() {
                    break;
                }
            }
        });
        let label: Arc<str> = Arc::from("ping");
        let start = Instant::now();
        for i in 0..iters {
            client
                .send(
                    &mut (),
                    &server_role,
                    Message::new(label.clone(), Value::Nat(i)),
                )
                .await
                .unwrap();
            client.recv(&mut (), &server_role).await.unwrap();
        }
        let elapsed = start.elapsed();
        drop(client);
        server_task.await.unwrap();
        elapsed
    })
}

/// Ping-pong where both roles run `Program`s through the interpreter.
fn interpreted(rt: &Runtime, iters: u64) -> Duration {
    let nat = |name: &str| Label::new(name, PayloadSort::Nat);
    let client_program = Program::builder().loop_named(
        "t",
        Program::builder()
            .send("Server", nat("ping"))
            .recv("Server", nat("pong"))
            .continue_loop("t"),
    );
    let server_program = Program::builder().loop_named(
        "t",
        Program::builder()
            .recv("Client", nat("ping"))
            .send("Client", nat("pong"))
            .continue_loop("t"),
    );
    let mut net = InMemoryHandler::network(["Client", "Server"]);
    let mut client = net.remove(&Role::new("Client")).unwrap();
    let mut server = net.remove(&Role::new("Server")).unwrap();
    let steps = InterpretConfig {
        max_steps: Some(2 * iters),
    };
    rt.block_on(async move {
        let server_task = tokio::spawn(async move {
            let _ = interpret_with(
                &mut server,
                &mut (),
                &server_program,
                &mut FirstBranchDecider,
                steps,
            )
            .await;
        });
        let start = Instant::now();
        let _ = interpret_with(
            &mut client,
            &mut (),
            &client_program,
            &mut FirstBranchDecider,
            steps,
        )
        .await;
        let elapsed = start.elapsed();
        drop(client);
        server_task.await.unwrap();
        elapsed
    })
}

fn ping_pong(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("ping_pong_round_trip");
    group.bench_function("raw_tokio_mpsc", |b| b.iter_custom(|n| raw(&rt, n)));
    group.bench_function("raw_tokio_mpsc_messages", |b| {
        b.iter_custom(|n| raw_messages(&rt, n))
    });
    group.bench_function("in_memory_handler", |b| {
        b.iter_custom(|n| handler(&rt, n, |h| h))
    });
    group.bench_function("trace_metrics_retry_stack", |b| {
        b.iter_custom(|n| {
            handler(&rt, n, |h| {
                Trace::new(Metrics::new(Retry::new(h, RetryPolicy::default())))
            })
        })
    });
    group.bench_function("interpreted_program", |b| {
        b.iter_custom(|n| interpreted(&rt, n))
    });
    group.finish();
}

criterion_group!(benches, ping_pong);
criterion_main!(benches);
