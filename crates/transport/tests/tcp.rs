//! Protocols over real loopback sockets, one task per role.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use telltale_choreography::{
    interpret, program_from_local, ChoreoError, ChoreoHandler, ChoreoResult, Message,
    ScriptedDecider, Value,
};
use telltale_transport::{
    serve, Frame, Roster, RosterEntry, TcpConfig, TcpHandler, TransportError,
};
use telltale_types::{ContentId, GlobalType, Label, LocalType, PayloadSort, Role};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

fn nat(name: &str) -> Label {
    Label::new(name, PayloadSort::Nat)
}

fn protocol(name: &str) -> ContentId {
    GlobalType::send("A", "B", Label::unit(name), GlobalType::End)
        .content_id()
        .unwrap()
}

/// Binds one ephemeral loopback listener per role.
async fn listeners(roles: &[&str]) -> (Vec<(Role, TcpListener)>, BTreeMap<Role, SocketAddr>) {
    let mut bound = Vec::new();
    let mut addresses = BTreeMap::new();
    for role in roles {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        addresses.insert(Role::new(role), listener.local_addr().unwrap());
        bound.push((Role::new(role), listener));
    }
    (bound, addresses)
}

/// A configuration with short, test-friendly deadlines.
fn config(role: &Role, id: ContentId, addresses: &BTreeMap<Role, SocketAddr>) -> TcpConfig {
    let peers = addresses
        .iter()
        .filter(|(r, _)| *r != role)
        .map(|(r, a)| (r.clone(), *a))
        .collect();
    TcpConfig {
        connect_deadline: Duration::from_secs(10),
        recv_timeout: Duration::from_secs(20),
        ..TcpConfig::new(role.clone(), id, peers).insecure()
    }
}

/// Starts every role's connection setup in its own task.
async fn deploy(
    roles: &[&str],
    id_of: impl Fn(&Role) -> ContentId,
) -> BTreeMap<Role, JoinHandle<Result<TcpHandler, TransportError>>> {
    let (bound, addresses) = listeners(roles).await;
    bound
        .into_iter()
        .map(|(role, listener)| {
            let config = config(&role, id_of(&role), &addresses);
            (role, tokio::spawn(TcpHandler::establish(listener, config)))
        })
        .collect()
}

async fn connected(roles: &[&str]) -> BTreeMap<Role, TcpHandler> {
    let mut handlers = BTreeMap::new();
    for (role, task) in deploy(roles, |_| protocol("p")).await {
        handlers.insert(role, task.await.unwrap().unwrap());
    }
    handlers
}

/// Runs each role's local type as a program in its own task.
async fn run_local_types(
    roles: Vec<(&str, LocalType, ScriptedDecider)>,
) -> BTreeMap<Role, (ChoreoResult<u64>, ScriptedDecider)> {
    let names: Vec<&str> = roles.iter().map(|(r, _, _)| *r).collect();
    let mut handlers = connected(&names).await;
    let mut tasks = Vec::new();
    for (role, local, mut decider) in roles {
        let mut handler = handlers.remove(&Role::new(role)).unwrap();
        let program = program_from_local(&local).unwrap();
        tasks.push((
            Role::new(role),
            tokio::spawn(async move {
                let result = interpret(&mut handler, &mut (), &program, &mut decider).await;
                handler.shutdown().await.unwrap();
                (result.map(|s| s.steps), decider)
            }),
        ));
    }
    let mut results = BTreeMap::new();
    for (role, task) in tasks {
        results.insert(role, task.await.unwrap());
    }
    results
}

#[tokio::test]
async fn two_party_loop_over_tcp() {
    let loop_type = |direction_is_send: bool| {
        let branches = [
            (nat("ping"), LocalType::var("t")),
            (Label::unit("stop"), LocalType::End),
        ];
        let body = if direction_is_send {
            LocalType::select("B", branches)
        } else {
            LocalType::branch("A", branches)
        };
        LocalType::rec("t", body)
    };
    let results = run_local_types(vec![
        (
            "A",
            loop_type(true),
            ScriptedDecider::new()
                .with_choices(["ping", "ping", "stop"])
                .with_payloads("ping", [Value::Nat(1), Value::Nat(2)]),
        ),
        ("B", loop_type(false), ScriptedDecider::new()),
    ])
    .await;
    assert_eq!(results[&Role::new("A")].0, Ok(3));
    let received: Vec<String> = results[&Role::new("B")]
        .1
        .received_messages()
        .iter()
        .map(|(_, m)| m.to_string())
        .collect();
    assert_eq!(received, ["ping(1)", "ping(2)", "stop"]);
}

#[tokio::test]
async fn three_party_ring_over_tcp() {
    let results = run_local_types(vec![
        (
            "A",
            LocalType::send(
                "B",
                nat("token"),
                LocalType::recv("C", nat("token"), LocalType::End),
            ),
            ScriptedDecider::new().with_payloads("token", [Value::Nat(1)]),
        ),
        (
            "B",
            LocalType::recv(
                "A",
                nat("token"),
                LocalType::send("C", nat("token"), LocalType::End),
            ),
            ScriptedDecider::new().with_payloads("token", [Value::Nat(2)]),
        ),
        (
            "C",
            LocalType::recv(
                "B",
                nat("token"),
                LocalType::send("A", nat("token"), LocalType::End),
            ),
            ScriptedDecider::new().with_payloads("token", [Value::Nat(3)]),
        ),
    ])
    .await;
    for (role, expected) in [("A", 3), ("B", 1), ("C", 2)] {
        let (result, decider) = &results[&Role::new(role)];
        assert_eq!(*result, Ok(2), "{role}");
        assert_eq!(
            decider.received_messages()[0].1,
            Message::new("token", Value::Nat(expected))
        );
    }
}

#[tokio::test]
async fn a_protocol_mismatch_is_refused_naming_both_ids() {
    let (ours, theirs) = (protocol("p"), protocol("q"));
    let tasks = deploy(&["A", "B"], |role| if role == "A" { ours } else { theirs }).await;
    for (role, task) in tasks {
        let err = task.await.unwrap().unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, TransportError::ProtocolMismatch { .. }),
            "{role}: {text}"
        );
        assert!(
            text.contains(&ours.to_string()) && text.contains(&theirs.to_string()),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_killed_peer_disconnects_a_waiting_role() {
    let mut handlers = connected(&["A", "B"]).await;
    let mut a = handlers.remove(&Role::new("A")).unwrap();
    let b = handlers.remove(&Role::new("B")).unwrap();
    let peer_process = tokio::spawn(async move {
        let _handler = b;
        std::future::pending::<()>().await;
    });
    peer_process.abort();
    let err = a.recv(&mut (), &Role::new("B")).await.unwrap_err();
    assert_eq!(
        err,
        ChoreoError::Disconnected {
            peer: Role::new("B")
        }
    );
    // The link stays closed: later operations fail the same way at once.
    let err = a.recv(&mut (), &Role::new("B")).await.unwrap_err();
    assert_eq!(
        err,
        ChoreoError::Disconnected {
            peer: Role::new("B")
        }
    );
}

#[tokio::test]
async fn a_graceful_shutdown_delivers_everything_then_disconnects() {
    let mut handlers = connected(&["A", "B"]).await;
    let mut a = handlers.remove(&Role::new("A")).unwrap();
    let mut b = handlers.remove(&Role::new("B")).unwrap();
    let b_role = Role::new("B");
    a.send(&mut (), &b_role, Message::new("last", Value::Nat(9)))
        .await
        .unwrap();
    // A's shutdown returns once B has acknowledged the message.
    let a_done = tokio::spawn(a.shutdown());
    let a_role = Role::new("A");
    assert_eq!(
        b.recv(&mut (), &a_role).await.unwrap(),
        Message::new("last", Value::Nat(9))
    );
    assert_eq!(
        b.recv(&mut (), &a_role).await.unwrap_err(),
        ChoreoError::Disconnected { peer: a_role }
    );
    a_done.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_silent_peer_times_out() {
    let (bound, addresses) = listeners(&["A", "B"]).await;
    let mut tasks = Vec::new();
    for (role, listener) in bound {
        let config = TcpConfig {
            recv_timeout: Duration::from_millis(50),
            ..config(&role, protocol("p"), &addresses)
        };
        tasks.push(tokio::spawn(TcpHandler::establish(listener, config)));
    }
    let mut a = tasks.remove(0).await.unwrap().unwrap();
    let _b = tasks.remove(0).await.unwrap().unwrap();
    let err = a.recv(&mut (), &Role::new("B")).await.unwrap_err();
    assert!(matches!(err, ChoreoError::Timeout { .. }), "{err}");
}

#[tokio::test]
async fn an_absent_peer_fails_setup_at_the_deadline() {
    let (_, addresses) = listeners(&["B"]).await; // B's listener is dropped at once.
    let (mut bound, _) = listeners(&["A"]).await;
    let (role, listener) = bound.remove(0);
    let mut all = addresses.clone();
    all.insert(role.clone(), listener.local_addr().unwrap());
    let config = TcpConfig {
        connect_deadline: Duration::from_millis(200),
        ..config(&role, protocol("p"), &all)
    };
    let err = TcpHandler::establish(listener, config).await.unwrap_err();
    assert!(
        matches!(&err, TransportError::ConnectDeadline { peer, .. } if peer == "B"),
        "{err}"
    );
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Runs A and B with rosters read from TOML; A's roster holds `b_key_in_a`.
async fn authenticated_setup(
    b_key_in_a: SigningKey,
) -> (
    Result<TcpHandler, TransportError>,
    Result<TcpHandler, TransportError>,
) {
    let (mut bound, addresses) = listeners(&["A", "B"]).await;
    let roster = |b_key: &SigningKey| {
        let mut roster = Roster::default();
        for (role, public_key) in [("A", key(1).verifying_key()), ("B", b_key.verifying_key())] {
            roster.roles.insert(
                Role::new(role),
                RosterEntry {
                    address: addresses[&Role::new(role)],
                    public_key: Some(public_key),
                },
            );
        }
        Roster::from_toml_str(&roster.to_toml_string()).unwrap()
    };
    let (b_role, b_listener) = bound.pop().unwrap();
    let (a_role, a_listener) = bound.pop().unwrap();
    let (a_config, _) =
        TcpConfig::from_roster(a_role, protocol("p"), &roster(&b_key_in_a), Some(key(1))).unwrap();
    let (b_config, _) =
        TcpConfig::from_roster(b_role, protocol("p"), &roster(&key(2)), Some(key(2))).unwrap();
    let a = tokio::spawn(TcpHandler::establish(a_listener, a_config));
    let b = tokio::spawn(TcpHandler::establish(b_listener, b_config));
    (a.await.unwrap(), b.await.unwrap())
}

#[tokio::test]
async fn peers_with_the_roster_keys_authenticate() {
    let (a, b) = authenticated_setup(key(2)).await;
    let (mut a, mut b) = (a.unwrap(), b.unwrap());
    a.send(&mut (), &Role::new("B"), Message::unit("hi"))
        .await
        .unwrap();
    assert_eq!(
        b.recv(&mut (), &Role::new("A")).await.unwrap(),
        Message::unit("hi")
    );
}

#[tokio::test]
async fn a_peer_with_the_wrong_key_is_refused() {
    // A pins a key for B that B does not hold: the Noise handshake fails,
    // and neither end gets a connection.
    let (a, b) = authenticated_setup(key(3)).await;
    let (a, b) = (a.unwrap_err().to_string(), b.unwrap_err().to_string());
    assert!(a.contains("B") && a.contains("keys do not match"), "{a}");
    assert!(b.contains("authentication of A failed"), "{b}");
    assert!(b.contains("keys do not match"), "{b}");
}

/// A hand-written peer "A" that speaks raw frames to the real role "B".
async fn raw_peer_as(
    claimed_role: &str,
) -> (
    Framed<TcpStream, LengthDelimitedCodec>,
    JoinHandle<Result<TcpHandler, TransportError>>,
) {
    let (mut bound, addresses) = listeners(&["A", "B"]).await;
    let (b_role, b_listener) = bound.pop().unwrap();
    let b = tokio::spawn(TcpHandler::establish(
        b_listener,
        config(&b_role, protocol("p"), &addresses),
    ));
    let stream = TcpStream::connect(addresses[&b_role]).await.unwrap();
    let mut framed = Framed::new(stream, LengthDelimitedCodec::new());
    let hello = Frame::Hello {
        version: telltale_transport::frame::WIRE_VERSION,
        role: claimed_role.into(),
        protocol_id: *protocol("p").as_bytes(),
        nonce: [0; 32],
        authenticated: false,
    };
    framed
        .send(Bytes::from(hello.encode().unwrap()))
        .await
        .unwrap();
    let reply = Frame::decode(&framed.next().await.unwrap().unwrap()).unwrap();
    assert_eq!(reply.kind(), "hello");
    (framed, b)
}

/// Completes the raw peer's handshake with the `Ready` and `Resume`
/// exchanges (a first connection: nothing received yet).
async fn finish_handshake(framed: &mut Framed<TcpStream, LengthDelimitedCodec>) {
    framed
        .send(Bytes::from(Frame::Ready.encode().unwrap()))
        .await
        .unwrap();
    let reply = Frame::decode(&framed.next().await.unwrap().unwrap()).unwrap();
    assert_eq!(reply, Frame::Ready);
    let resume = Frame::Resume {
        session: [1; 16],
        received: 0,
        ack_every: 64,
    };
    framed
        .send(Bytes::from(resume.encode().unwrap()))
        .await
        .unwrap();
    let reply = Frame::decode(&framed.next().await.unwrap().unwrap()).unwrap();
    assert!(
        matches!(reply, Frame::Resume { received: 0, .. }),
        "{reply:?}"
    );
}

async fn send_data(framed: &mut Framed<TcpStream, LengthDelimitedCodec>, seq: u64) {
    let frame = Frame::Data {
        seq,
        message: Message::new("n", Value::Nat(seq)),
    };
    framed
        .send(Bytes::from(frame.encode().unwrap()))
        .await
        .unwrap();
}

#[tokio::test]
async fn duplicate_and_missing_frames_are_errors() {
    for (sequence, expected) in [(&[0, 0][..], "duplicate frame 0"), (&[0, 2][..], "gap")] {
        let (mut raw, b) = raw_peer_as("A").await;
        finish_handshake(&mut raw).await;
        let mut b = b.await.unwrap().unwrap();
        for seq in sequence {
            send_data(&mut raw, *seq).await;
        }
        let a = Role::new("A");
        assert_eq!(
            b.recv(&mut (), &a).await.unwrap(),
            Message::new("n", Value::Nat(0))
        );
        let err = b.recv(&mut (), &a).await.unwrap_err();
        assert!(
            matches!(&err, ChoreoError::Transport { message, .. } if message.contains(expected)),
            "{err}"
        );
    }
}

#[tokio::test]
async fn an_unexpected_role_is_refused() {
    let (_raw, b) = raw_peer_as("Mallory").await;
    let err = b.await.unwrap().unwrap_err();
    assert!(
        matches!(err, TransportError::UnexpectedPeer { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn serve_runs_a_role_from_setup_to_shutdown() {
    let (bound, addresses) = listeners(&["A", "B"]).await;
    let mut tasks = Vec::new();
    for (role, listener) in bound {
        let local = if role == "A" {
            LocalType::send("B", nat("n"), LocalType::End)
        } else {
            LocalType::recv("A", nat("n"), LocalType::End)
        };
        let config = config(&role, protocol("p"), &addresses);
        tasks.push(tokio::spawn(async move {
            let program = program_from_local(&local).unwrap();
            let mut decider = ScriptedDecider::new().with_payloads("n", [Value::Nat(5)]);
            let limits = telltale_choreography::InterpretConfig::default();
            let summary = serve(listener, config, &program, &mut decider, limits).await;
            (summary, decider)
        }));
    }
    let (a, _) = tasks.remove(0).await.unwrap();
    let (b, b_decider) = tasks.remove(0).await.unwrap();
    assert_eq!((a.unwrap().steps, b.unwrap().steps), (1, 1));
    assert_eq!(
        b_decider.received_messages(),
        &[(Role::new("A"), Message::new("n", Value::Nat(5)))]
    );
}

/// The protocol id of the only protocol of a `.tell` text.
fn protocol_id_of(text: &str) -> (ContentId, ContentId) {
    use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
    let file = SourceFile::new("ledger.tell".to_string(), text.to_string());
    let (module, diagnostics) = load(&file);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let protocol = lower_all(&module, &LowerOptions::default())
        .unwrap()
        .remove(0);
    (
        protocol.global.content_id().unwrap(),
        protocol.protocol_id().unwrap(),
    )
}

#[tokio::test]
async fn peers_whose_effect_signatures_differ_refuse_the_handshake() {
    let ledger = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/ledger_effects.tell"
    ))
    .unwrap();
    let changed = ledger.replace(
        "head : Unit -> Maybe ledger.Digest",
        "head : Unit -> Maybe Nat",
    );
    assert_ne!(changed, ledger);
    let (content, ours) = protocol_id_of(&ledger);
    let (same_content, theirs) = protocol_id_of(&changed);
    assert_eq!(content, same_content);
    assert_ne!(ours, theirs);
    let tasks = deploy(&["Client", "Bank"], |role| {
        if role == "Client" {
            ours
        } else {
            theirs
        }
    })
    .await;
    for (role, task) in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert!(
            matches!(err, TransportError::ProtocolMismatch { .. }),
            "{role}: {err}"
        );
    }
}

#[test]
fn a_roster_with_keys_needs_each_role_to_hold_its_own_private_key() {
    let address: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let mut roster = Roster::default();
    for (role, seed) in [("A", 1), ("B", 2)] {
        roster.roles.insert(
            Role::new(role),
            RosterEntry {
                address,
                public_key: Some(key(seed).verifying_key()),
            },
        );
    }
    let no_key = TcpConfig::from_roster("A", protocol("p"), &roster, None).unwrap_err();
    assert!(no_key.to_string().contains("--key"), "{no_key}");
    let wrong = TcpConfig::from_roster("A", protocol("p"), &roster, Some(key(9))).unwrap_err();
    assert!(
        wrong.to_string().contains("not the one the roster pins"),
        "{wrong}"
    );
    let (right, _) = TcpConfig::from_roster("A", protocol("p"), &roster, Some(key(1))).unwrap();
    right.validate().unwrap();
    // Pinned peer keys without a key of one's own: refused before connecting.
    let keyless = TcpConfig {
        identity: None,
        ..right
    };
    let refused = keyless.validate().unwrap_err().to_string();
    assert!(refused.contains("no private key"), "{refused}");
}

#[tokio::test]
async fn a_pinned_peer_that_sends_no_proof_is_refused() {
    let (mut bound, addresses) = listeners(&["A", "B"]).await;
    let (b_role, b_listener) = bound.pop().unwrap();
    let mut b_config = config(&b_role, protocol("p"), &addresses);
    b_config.identity = Some(key(2));
    b_config
        .peer_keys
        .insert(Role::new("A"), key(1).verifying_key());
    let b = tokio::spawn(TcpHandler::establish(b_listener, b_config));
    let stream = TcpStream::connect(addresses[&b_role]).await.unwrap();
    let mut framed = Framed::new(stream, LengthDelimitedCodec::new());
    let hello = Frame::Hello {
        version: telltale_transport::frame::WIRE_VERSION,
        role: "A".into(),
        protocol_id: *protocol("p").as_bytes(),
        nonce: [0; 32],
        authenticated: false,
    };
    framed
        .send(Bytes::from(hello.encode().unwrap()))
        .await
        .unwrap();
    let err = b.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, TransportError::Authentication { peer, .. } if peer == "A"),
        "{err}"
    );
    assert!(err.to_string().contains("pins its public key"), "{err}");
}
