//! Generated session APIs run end to end over `InMemoryHandler`: ping-pong,
//! a choice with typed payloads, a loop, and three parties.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::future::Future;
use telltale_choreography::{ChoreoError, InMemoryHandler};
use telltale_types::Role;

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn take(network: &mut BTreeMap<Role, InMemoryHandler>, name: &str) -> InMemoryHandler {
    network.remove(&Role::new(name)).unwrap()
}

telltale_macros::choreography!(
    r#"
protocol PingPong =
  roles Pinger, Ponger
  Pinger -> Ponger : Ping of Nat
  Ponger -> Pinger : Pong of Nat
"#
);

#[test]
fn ping_pong_runs_and_returns_the_role_results() {
    let mut network = InMemoryHandler::network(["Pinger", "Ponger"]);
    let mut pinger = take(&mut network, "Pinger");
    let mut pinger_endpoint = ();
    let mut ponger = take(&mut network, "Ponger");
    let mut ponger_endpoint = ();
    let (answer, served) = block_on(async {
        tokio::join!(
            ping_pong::run_pinger(&mut pinger, &mut pinger_endpoint, |s| async move {
                let s = s.send(ping_pong::Ping(41)).await?;
                let (ping_pong::Pong(n), s) = s.recv().await?;
                Ok(s.finish(n))
            }),
            ping_pong::run_ponger(&mut ponger, &mut ponger_endpoint, |s| async move {
                let (ping_pong::Ping(n), s) = s.recv().await?;
                let s = s.send(ping_pong::Pong(n + 1)).await?;
                Ok(s.finish(n))
            })
        )
    });
    assert_eq!(answer.unwrap(), 42);
    assert_eq!(served.unwrap(), 41);
    assert_eq!(ping_pong::NAME, "PingPong");
    assert_eq!(
        ping_pong::Role::ALL.map(ping_pong::Role::name),
        ["Pinger", "Ponger"]
    );
    assert_eq!(ping_pong::Role::Ponger.to_role(), Role::new("Ponger"));
}

#[test]
fn a_handler_of_another_role_is_refused() {
    let mut network = InMemoryHandler::network(["Pinger", "Ponger"]);
    let mut ponger = take(&mut network, "Ponger");
    let mut ponger_endpoint = ();
    let result = block_on(ping_pong::run_pinger(
        &mut ponger,
        &mut ponger_endpoint,
        |s| async move {
            let s = s.send(ping_pong::Ping(1)).await?;
            let (_, s) = s.recv().await?;
            Ok(s.end())
        },
    ));
    assert!(
        matches!(result, Err(ChoreoError::InvalidProgram { .. })),
        "{result:?}"
    );
}

#[test]
fn a_wrong_message_on_the_wire_is_a_protocol_violation() {
    use telltale_choreography::{ChoreoHandler, Message, Value};
    let mut network = InMemoryHandler::network(["Pinger", "Ponger"]);
    let mut pinger = take(&mut network, "Pinger");
    let mut pinger_endpoint = ();
    let mut ponger = take(&mut network, "Ponger");
    let (result, _) = block_on(async {
        tokio::join!(
            ping_pong::run_pinger(&mut pinger, &mut pinger_endpoint, |s| async move {
                let s = s.send(ping_pong::Ping(1)).await?;
                let (_, s) = s.recv().await?;
                Ok(s.end())
            }),
            async {
                let pinger_role = Role::new("Pinger");
                ponger.recv(&mut (), &pinger_role).await.unwrap();
                let bogus = Message::new("Pong", Value::String("x".into()));
                ponger.send(&mut (), &pinger_role, bogus).await.unwrap();
            }
        )
    });
    match result {
        Err(ChoreoError::ProtocolViolation { expected, got, .. }) => {
            assert_eq!(expected, "Pong(nat)");
            assert_eq!(got, "Pong(a string value)");
        }
        other => panic!("expected a protocol violation, got {other:?}"),
    }
}

/// The loop example of the repository: Pinger decides how long the rally lasts.
mod rally {
    telltale_macros::choreography!(file = "../../examples/ping_pong.tell");
}

#[test]
fn a_loop_re_enters_its_state_until_the_decider_stops() {
    use rally::ping_pong::{self as rally_pp, PongerPingOrBye};
    let mut network = InMemoryHandler::network(["Pinger", "Ponger"]);
    let mut pinger = take(&mut network, "Pinger");
    let mut pinger_endpoint = ();
    let mut ponger = take(&mut network, "Ponger");
    let mut ponger_endpoint = ();
    let (rounds, pongs) = block_on(async {
        tokio::join!(
            rally_pp::run_pinger(&mut pinger, &mut pinger_endpoint, |mut s| async move {
                let mut rounds = 0u32;
                loop {
                    if rounds == 3 {
                        let s = s.select(rally_pp::Bye).await?;
                        return Ok(s.finish(rounds));
                    }
                    let (rally_pp::Pong, next) = s.select(rally_pp::Ping).await?.recv().await?;
                    s = next;
                    rounds += 1;
                }
            }),
            rally_pp::run_ponger(&mut ponger, &mut ponger_endpoint, |mut s| async move {
                let mut pongs = 0u32;
                loop {
                    match s.branch().await? {
                        PongerPingOrBye::Ping(rally_pp::Ping, next) => {
                            s = next.send(rally_pp::Pong).await?;
                            pongs += 1;
                        }
                        PongerPingOrBye::Bye(rally_pp::Bye, end) => return Ok(end.finish(pongs)),
                    }
                }
            })
        )
    });
    assert_eq!(rounds.unwrap(), 3);
    assert_eq!(pongs.unwrap(), 3);
}

/// Named payload types are resolved from the call site.
mod fetch {
    pub mod examples {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        pub struct Page {
            pub url: String,
            pub body: Vec<u8>,
        }
    }
    telltale_macros::choreography!(file = "../../examples/request_response.tell");
}

#[test]
fn a_choice_carries_records_tuples_and_named_types() {
    use fetch::examples::Page;
    use fetch::fetch::{self as f, ClientPageOrNotFound};
    let mut network = InMemoryHandler::network(["Client", "Server"]);
    let mut client = take(&mut network, "Client");
    let mut client_endpoint = ();
    let mut server = take(&mut network, "Server");
    let mut server_endpoint = ();
    let (page, served) = block_on(async {
        tokio::join!(
            f::run_client(&mut client, &mut client_endpoint, |s| async move {
                let s = s
                    .send(f::Get {
                        url: "/index".into(),
                        retries: 2,
                    })
                    .await?;
                match s.branch().await? {
                    ClientPageOrNotFound::Page(f::Page(page), s) => Ok(s.finish(Ok(page))),
                    ClientPageOrNotFound::NotFound(f::NotFound { code, reason }, s) => {
                        Ok(s.finish(Err((code, reason))))
                    }
                }
            }),
            f::run_server(&mut server, &mut server_endpoint, |s| async move {
                let (get, s) = s.recv().await?;
                let page = Page {
                    url: get.url.clone(),
                    body: vec![1, 2, 3],
                };
                let s = s.select(f::Page(page)).await?;
                Ok(s.finish(get.retries))
            })
        )
    });
    assert_eq!(
        page.unwrap(),
        Ok(Page {
            url: "/index".into(),
            body: vec![1, 2, 3]
        })
    );
    assert_eq!(served.unwrap(), 2);
}

mod three {
    telltale_macros::choreography!(file = "../../examples/three_buyer.tell");
}

#[test]
fn three_parties_follow_their_projections() {
    use three::three_buyer::{self as t, AliceConfirmedOrQuit, SellerAddressOrQuit};
    let mut network = InMemoryHandler::network(["Alice", "Bob", "Seller"]);
    let mut alice = take(&mut network, "Alice");
    let mut alice_endpoint = ();
    let mut bob = take(&mut network, "Bob");
    let mut bob_endpoint = ();
    let mut seller = take(&mut network, "Seller");
    let mut seller_endpoint = ();
    let (alice_out, bob_out, seller_out) = block_on(async {
        tokio::join!(
            t::run_alice(&mut alice, &mut alice_endpoint, |s| async move {
                let s = s
                    .send(t::Title("Types and Programming Languages".into()))
                    .await?;
                let (t::Quote(price), s) = s.recv().await?;
                let s = s.send(t::Share(price / 2)).await?;
                match s.branch().await? {
                    AliceConfirmedOrQuit::Confirmed(t::Confirmed, s) => Ok(s.finish(true)),
                    AliceConfirmedOrQuit::Quit(t::Quit, s) => Ok(s.finish(false)),
                }
            }),
            t::run_bob(&mut bob, &mut bob_endpoint, |s| async move {
                let (t::Quote(price), s) = s.recv().await?;
                let (t::Share(share), s) = s.recv().await?;
                let s = s.select(t::Address("1 Main St".into())).await?;
                let (t::Date(date), s) = s.recv().await?;
                let s = s.send(t::Confirmed).await?;
                Ok(s.finish((price - share, date)))
            }),
            t::run_seller(&mut seller, &mut seller_endpoint, |s| async move {
                let (t::Title(title), s) = s.recv().await?;
                let s = s.send(t::Quote(80)).await?.send(t::Quote(80)).await?;
                match s.branch().await? {
                    SellerAddressOrQuit::Address(t::Address(address), s) => {
                        let s = s.send(t::Date("Monday".into())).await?;
                        Ok(s.finish(Some((title, address))))
                    }
                    SellerAddressOrQuit::Quit(t::Quit, s) => Ok(s.finish(None)),
                }
            })
        )
    });
    assert!(alice_out.unwrap());
    assert_eq!(bob_out.unwrap(), (40, "Monday".to_string()));
    assert_eq!(
        seller_out.unwrap(),
        Some((
            "Types and Programming Languages".to_string(),
            "1 Main St".to_string()
        ))
    );
}

/// A Scribble/nuscr protocol (the project's own, so the test needs nothing
/// outside the repository): lowercase labels with named payload items
/// become structs.
mod nuscr {
    telltale_macros::choreography!(file = "tests/protocols/difference.nuscr");
}

#[test]
fn a_nuscr_protocol_generates_the_same_kind_of_api() {
    use nuscr::difference;
    let mut network = InMemoryHandler::network(["Client", "Server"]);
    let mut client = take(&mut network, "Client");
    let mut client_endpoint = ();
    let mut server = take(&mut network, "Server");
    let mut server_endpoint = ();
    let (result, _) = block_on(async {
        tokio::join!(
            difference::run_client(&mut client, &mut client_endpoint, |st| async move {
                let st = st.send(difference::Minuend { a: 2 }).await?;
                let st = st.send(difference::Subtrahend { b: -5 }).await?;
                let (difference::Difference { d }, st) = st.recv().await?;
                Ok(st.finish(d))
            }),
            difference::run_server(&mut server, &mut server_endpoint, |st| async move {
                let (difference::Minuend { a }, st) = st.recv().await?;
                let (difference::Subtrahend { b }, st) = st.recv().await?;
                Ok(st.send(difference::Difference { d: a - b }).await?.end())
            })
        )
    });
    assert_eq!(result.unwrap(), 7);
}

#[test]
fn role_futures_are_send_so_they_can_be_spawned() {
    fn assert_send<T: Send>(value: T) -> T {
        value
    }
    let mut network = InMemoryHandler::network(["Pinger", "Ponger"]);
    let mut pinger = take(&mut network, "Pinger");
    let mut ponger = take(&mut network, "Ponger");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let ponger_task = runtime.spawn(assert_send(async move {
        ping_pong::run_ponger(&mut ponger, &mut (), |s| async move {
            let (ping_pong::Ping(n), s) = s.recv().await?;
            Ok(s.send(ping_pong::Pong(n * 2)).await?.end())
        })
        .await
    }));
    let answer = runtime.block_on(async move {
        ping_pong::run_pinger(&mut pinger, &mut (), |s| async move {
            let (ping_pong::Pong(n), s) = s.send(ping_pong::Ping(21)).await?.recv().await?;
            Ok(s.finish(n))
        })
        .await
    });
    assert_eq!(answer.unwrap(), 42);
    runtime.block_on(ponger_task).unwrap().unwrap();
}

/// A role family sized by `params`: `Workers[N]` with `N = 2`.
mod scatter {
    telltale_macros::choreography!(
        r#"
protocol Scatter =
  roles Master, Workers[N]
  Master -> Workers[*] : Chunk of Nat
  Workers[*] -> Master : Done of Nat
"#,
        params(N = 2)
    );
}

#[test]
fn role_families_expand_with_the_given_parameters() {
    use scatter::scatter as sc;
    assert_eq!(
        sc::Role::ALL.map(sc::Role::name),
        ["Master", "Workers0", "Workers1"]
    );
    let mut network = InMemoryHandler::network(["Master", "Workers0", "Workers1"]);
    let mut master = take(&mut network, "Master");
    let mut master_endpoint = ();
    let mut w0 = take(&mut network, "Workers0");
    let mut w0_endpoint = ();
    let mut w1 = take(&mut network, "Workers1");
    let mut w1_endpoint = ();
    let (total, _, _) = block_on(async {
        tokio::join!(
            sc::run_master(&mut master, &mut master_endpoint, |s| async move {
                let s = s.send_to(sc::Workers0, sc::Chunk(3)).await?;
                let s = s.send_to(sc::Workers1, sc::Chunk(4)).await?;
                let (sc::Done(a), s) = s.recv_from(sc::Workers0).await?;
                let (sc::Done(b), s) = s.recv_from(sc::Workers1).await?;
                Ok(s.finish(a + b))
            }),
            sc::run_workers0(&mut w0, &mut w0_endpoint, |s| async move {
                let (sc::Chunk(n), s) = s.recv().await?;
                Ok(s.send(sc::Done(n * 10)).await?.end())
            }),
            sc::run_workers1(&mut w1, &mut w1_endpoint, |s| async move {
                let (sc::Chunk(n), s) = s.recv().await?;
                Ok(s.send(sc::Done(n * 10)).await?.end())
            })
        )
    });
    assert_eq!(total.unwrap(), 70);
}
