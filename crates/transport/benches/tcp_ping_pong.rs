//! Round trips over loopback TCP through `TcpHandler`.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use telltale_choreography::{ChoreoHandler, Message, Value};
use telltale_transport::{TcpConfig, TcpHandler};
use telltale_types::{GlobalType, Label, Role};
use tokio::net::TcpListener;

fn tcp_ping_pong(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let id = GlobalType::send("Client", "Server", Label::unit("ping"), GlobalType::End)
        .content_id()
        .unwrap();
    let (mut client, mut server) = rt.block_on(async {
        let client_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client_role = Role::new("Client");
        let server_role = Role::new("Server");
        let client_config = TcpConfig::new(
            client_role.clone(),
            id,
            BTreeMap::from([(server_role.clone(), server_listener.local_addr().unwrap())]),
        )
        .insecure();
        let server_config = TcpConfig::new(
            server_role,
            id,
            BTreeMap::from([(client_role, client_listener.local_addr().unwrap())]),
        )
        .insecure();
        let server = tokio::spawn(TcpHandler::establish(server_listener, server_config));
        let client = TcpHandler::establish(client_listener, client_config)
            .await
            .unwrap();
        (client, server.await.unwrap().unwrap())
    });
    let client_role = Role::new("Client");
    let server_role = Role::new("Server");
    rt.spawn(async move {
        while let Ok(m) = server.recv(&mut (), &client_role).await {
            if server.send(&mut (), &client_role, m).await.is_err() {
                break;
            }
        }
    });
    c.bench_function("tcp_handler_round_trip", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..iters {
                    let m = Message::new("ping", Value::Nat(i));
                    client.send(&mut (), &server_role, m).await.unwrap();
                    client.recv(&mut (), &server_role).await.unwrap();
                }
                start.elapsed().max(Duration::from_nanos(1))
            })
        })
    });
}

criterion_group!(benches, tcp_ping_pong);
criterion_main!(benches);
