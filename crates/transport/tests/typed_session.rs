//! Roles written against the API `choreography!` generates run over TCP
//! with `serve_session`, identified by the generated `CONTENT_ID`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use telltale_choreography::ChoreoError;
use telltale_transport::{serve_session, TcpConfig};
use telltale_types::Role;
use tokio::net::TcpListener;

telltale_macros::choreography!(
    r#"
protocol Tally =
  roles Client, Server
  rec Adding
    choice Client at
      | More =>
        Client -> Server : Add of Nat
        continue Adding
      | Enough =>
        Client -> Server : Total
        Server -> Client : Sum of Nat
"#
);

/// One loopback listener per role and each role's configuration.
async fn deploy() -> Vec<(TcpListener, TcpConfig)> {
    let mut listeners = Vec::new();
    let mut addresses: BTreeMap<Role, SocketAddr> = BTreeMap::new();
    for role in tally::Role::ALL {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        addresses.insert(role.to_role(), listener.local_addr().unwrap());
        listeners.push((role.to_role(), listener));
    }
    listeners
        .into_iter()
        .map(|(role, listener)| {
            let peers = addresses
                .iter()
                .filter(|(r, _)| **r != role)
                .map(|(r, a)| (r.clone(), *a))
                .collect();
            let config = TcpConfig {
                connect_deadline: Duration::from_secs(10),
                recv_timeout: Duration::from_secs(20),
                ..TcpConfig::new(role, tally::CONTENT_ID, peers).insecure()
            };
            (listener, config)
        })
        .collect()
}

/// The server adds what it is sent and answers the sum.
async fn server(listener: TcpListener, config: TcpConfig) -> Result<u64, ChoreoError> {
    serve_session(listener, config, |handler, endpoint| {
        Box::pin(tally::run_server(handler, endpoint, |mut s| async move {
            let mut sum = 0;
            loop {
                match s.branch().await? {
                    tally::ServerAddOrTotal::Add(tally::Add(n), next) => {
                        sum += n;
                        s = next;
                    }
                    tally::ServerAddOrTotal::Total(_, next) => {
                        return Ok(next.send(tally::Sum(sum)).await?.finish(sum));
                    }
                }
            }
        }))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_roles_talk_over_tcp_and_shut_down() {
    let mut roles = deploy().await.into_iter();
    let (client_listener, client_config) = roles.next().unwrap();
    let (server_listener, server_config) = roles.next().unwrap();
    let server = tokio::spawn(server(server_listener, server_config));
    let client = serve_session(client_listener, client_config, |handler, endpoint| {
        Box::pin(tally::run_client(handler, endpoint, |mut s| async move {
            for n in [1, 2, 3] {
                s = s.select(tally::Add(n)).await?;
            }
            let s = s.select(tally::Total).await?;
            let (tally::Sum(sum), s) = s.recv().await?;
            Ok(s.finish(sum))
        }))
    })
    .await;
    assert_eq!(client.unwrap(), 6);
    assert_eq!(server.await.unwrap().unwrap(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_role_still_shuts_down_so_its_peer_learns_at_once() {
    let mut roles = deploy().await.into_iter();
    let (client_listener, client_config) = roles.next().unwrap();
    let (server_listener, server_config) = roles.next().unwrap();
    let server = tokio::spawn(server(server_listener, server_config));
    let started = Instant::now();
    let client: Result<u64, _> =
        serve_session(client_listener, client_config, |handler, endpoint| {
            Box::pin(tally::run_client(handler, endpoint, |s| async move {
                let _s = s.select(tally::Add(1)).await?;
                Err(ChoreoError::InvalidProgram {
                    reason: "the client gives up".into(),
                })
            }))
        })
        .await;
    assert!(client.unwrap_err().to_string().contains("gives up"));
    // The server's receive timeout is 20 s; a clean shutdown ends it sooner.
    assert!(server.await.unwrap().is_err());
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn the_content_id_differs_between_protocols() {
    mod other {
        telltale_macros::choreography!(
            r#"
protocol Tally =
  roles Client, Server
  Client -> Server : Total
"#
        );
    }
    assert_ne!(tally::CONTENT_ID, other::tally::CONTENT_ID);
}
