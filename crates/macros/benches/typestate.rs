//! In-process ping-pong: the generated typestate API against the same
//! protocol run by the `Program` interpreter, and against calling the
//! handler by hand.
//!
//! Each measured iteration is one round of
//! `rec Loop . Client -> Server : { Ping(nat) . Server -> Client : Pong(nat) . Loop, Stop . end }`
//! over `InMemoryHandler`, both roles joined on one current-thread task.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::Arc;
use std::time::{Duration, Instant};
use telltale_choreography::{
    interpret, program_from_local, ChoreoHandler, ChoreoResult, Decider, InMemoryHandler, Message,
    ProgramBranch, Value,
};
use telltale_types::{Label, LocalType, PayloadSort, Role};
use tokio::runtime::Runtime;

telltale_macros::choreography!(
    r#"
protocol Rally =
  roles Client, Server
  rec Loop
    choice Client at
      | More =>
        Client -> Server : Ping of Nat
        Server -> Client : Pong of Nat
        continue Loop
      | Done =>
        Client -> Server : Stop
"#
);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn pair() -> (InMemoryHandler, InMemoryHandler) {
    let mut net = InMemoryHandler::network(["Client", "Server"]);
    let client = net.remove(&Role::new("Client")).unwrap();
    let server = net.remove(&Role::new("Server")).unwrap();
    (client, server)
}

/// The protocol written by hand against the handler.
fn direct(rt: &Runtime, iters: u64) -> Duration {
    let (mut client, mut server) = pair();
    rt.block_on(async move {
        let (client_role, server_role) = (Role::new("Client"), Role::new("Server"));
        let (ping, pong, stop): (Arc<str>, Arc<str>, Arc<str>) =
            (Arc::from("Ping"), Arc::from("Pong"), Arc::from("Stop"));
        let start = Instant::now();
        let client_side = async {
            for i in 0..iters {
                let m = Message::new(ping.clone(), Value::Nat(i));
                client.choose(&mut (), &server_role, m).await?;
                client.recv(&mut (), &server_role).await?;
            }
            client
                .choose(
                    &mut (),
                    &server_role,
                    Message::new(stop.clone(), Value::Unit),
                )
                .await
        };
        let server_side = async {
            loop {
                let m = server.offer(&mut (), &client_role).await?;
                match (&*m.label, m.value) {
                    ("Ping", Value::Nat(n)) => {
                        let reply = Message::new(pong.clone(), Value::Nat(n + 1));
                        server.send(&mut (), &client_role, reply).await?;
                    }
                    _ => return ChoreoResult::Ok(()),
                }
            }
        };
        let (a, b) = tokio::join!(client_side, server_side);
        a.unwrap();
        b.unwrap();
        start.elapsed()
    })
}

/// The generated typestate API.
fn typestate(rt: &Runtime, iters: u64) -> Duration {
    let (mut client, mut server) = pair();
    rt.block_on(async move {
        let (mut client_endpoint, mut server_endpoint) = ((), ());
        let start = Instant::now();
        let client_side =
            rally::run_client(&mut client, &mut client_endpoint, |mut s| async move {
                for i in 0..iters {
                    let (rally::Pong(_), next) = s.select(rally::Ping(i)).await?.recv().await?;
                    s = next;
                }
                Ok(s.select(rally::Stop).await?.end())
            });
        let server_side =
            rally::run_server(&mut server, &mut server_endpoint, |mut s| async move {
                loop {
                    match s.branch().await? {
                        rally::ServerPingOrStop::Ping(rally::Ping(n), next) => {
                            s = next.send(rally::Pong(n + 1)).await?;
                        }
                        rally::ServerPingOrStop::Stop(_, end) => return Ok(end.end()),
                    }
                }
            });
        let (a, b) = tokio::join!(client_side, server_side);
        a.unwrap();
        b.unwrap();
        start.elapsed()
    })
}

/// Chooses `Ping` a fixed number of times, then `Stop`.
struct Rounds {
    left: u64,
}

impl Decider for Rounds {
    fn choose(&mut self, _: &Role, _: &Role, options: &[ProgramBranch]) -> ChoreoResult<usize> {
        let wanted = if self.left == 0 { "Stop" } else { "Ping" };
        self.left = self.left.saturating_sub(1);
        Ok(options
            .iter()
            .position(|b| b.label.name.as_ref() == wanted)
            .unwrap())
    }
}

/// The same protocol as projected local types run by the interpreter.
fn interpreted(rt: &Runtime, iters: u64) -> Duration {
    let nat = |name: &str| Label::new(name, PayloadSort::Nat);
    let stop = Label::new("Stop", PayloadSort::Unit);
    let client_local = LocalType::rec(
        "Loop",
        LocalType::select(
            "Server",
            vec![
                (
                    nat("Ping"),
                    LocalType::recv("Server", nat("Pong"), LocalType::var("Loop")),
                ),
                (stop.clone(), LocalType::End),
            ],
        ),
    );
    let server_local = LocalType::rec(
        "Loop",
        LocalType::branch(
            "Client",
            vec![
                (
                    nat("Ping"),
                    LocalType::send("Client", nat("Pong"), LocalType::var("Loop")),
                ),
                (stop, LocalType::End),
            ],
        ),
    );
    let client_program = program_from_local(&client_local).unwrap();
    let server_program = program_from_local(&server_local).unwrap();
    let (mut client, mut server) = pair();
    rt.block_on(async move {
        let (mut client_decider, mut server_decider) = (Rounds { left: iters }, Rounds { left: 0 });
        let (mut client_endpoint, mut server_endpoint) = ((), ());
        let start = Instant::now();
        let (a, b) = tokio::join!(
            interpret(
                &mut client,
                &mut client_endpoint,
                &client_program,
                &mut client_decider
            ),
            interpret(
                &mut server,
                &mut server_endpoint,
                &server_program,
                &mut server_decider
            )
        );
        a.unwrap();
        b.unwrap();
        start.elapsed()
    })
}

fn ping_pong(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("typestate_round_trip");
    group.bench_function("handler_by_hand", |b| b.iter_custom(|n| direct(&rt, n)));
    group.bench_function("typestate", |b| b.iter_custom(|n| typestate(&rt, n)));
    group.bench_function("interpreted_program", |b| {
        b.iter_custom(|n| interpreted(&rt, n))
    });
    group.finish();
}

criterion_group!(benches, ping_pong);
criterion_main!(benches);
