//! Resumable connections: a proxy between A and B resets the connection
//! every few hundred frames during a 100,000-message stream; every message
//! arrives exactly once, in order, and the stream ends cleanly. A peer that
//! stays away past the grace period is `Disconnected`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ed25519_dalek::SigningKey;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use telltale_choreography::{ChoreoError, ChoreoHandler, Message};
use telltale_transport::{TcpConfig, TcpHandler};
use telltale_types::{ContentId, Role, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MESSAGES: u64 = 100_000;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// How many of A's frames pass on the `n`th connection before the reset:
/// a few hundred, varying so resets fall at different points of a record.
fn frames_before_reset(n: usize) -> usize {
    200 + (n * 97) % 300
}

/// A proxy on a fresh port to `target` that resets every connection after
/// `frames_before_reset` of A's frames (with RST: both ends see an error,
/// and what was in flight is lost). Counts the connections it served.
async fn resetting_proxy(target: SocketAddr, served: Arc<AtomicUsize>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((from_a, _)) = listener.accept().await else {
                return;
            };
            let Ok(to_b) = TcpStream::connect(target).await else {
                return;
            };
            let n = served.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(relay(from_a, to_b, frames_before_reset(n)));
        }
    });
    address
}

/// Relays one connection, resetting both sides after `budget` of A's frames.
async fn relay(from_a: TcpStream, to_b: TcpStream, budget: usize) {
    // Linger zero: closing the sockets sends RST, not FIN, so both ends
    // see a reset and whatever was in flight is lost.
    for stream in [&from_a, &to_b] {
        #[allow(deprecated)]
        let _ = stream.set_linger(Some(Duration::ZERO));
    }
    let (a_read, mut a_write) = from_a.into_split();
    let (mut b_read, mut b_write) = to_b.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut b_read, &mut a_write).await;
    });
    let mut a_read = tokio::io::BufReader::with_capacity(1 << 16, a_read);
    let mut frame = Vec::new();
    let mut forwarded = 0;
    while forwarded < budget {
        let mut len = [0u8; 4];
        if a_read.read_exact(&mut len).await.is_err() {
            break;
        }
        frame.clear();
        frame.extend_from_slice(&len);
        frame.resize(4 + u32::from_be_bytes(len) as usize, 0);
        if a_read.read_exact(&mut frame[4..]).await.is_err()
            || b_write.write_all(&frame).await.is_err()
        {
            break;
        }
        forwarded += 1;
    }
    back.abort();
    let _ = back.await;
}

/// A proxy on a fresh port to `target` that relays one connection, resets
/// it after `budget` of A's frames, and then takes no more connections.
async fn one_shot_proxy(target: SocketAddr, budget: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (from_a, _) = listener.accept().await.unwrap();
        drop(listener);
        let to_b = TcpStream::connect(target).await.unwrap();
        relay(from_a, to_b, budget).await;
    });
    address
}

/// A and B, A reaching B through `resetting_proxy`; `secure` gives both
/// keys. Returns A, B and the proxy's connection count.
async fn pair(secure: bool, unacked_limit: usize) -> (TcpHandler, TcpHandler, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let (a, b) = pair_via(
        secure,
        unacked_limit,
        Duration::from_secs(5),
        |b| async move { resetting_proxy(b, counter).await },
    )
    .await;
    (a, b, served)
}

/// A and B, A reaching B at the address `route` gives for B's.
async fn pair_via<F, R>(
    secure: bool,
    unacked_limit: usize,
    resume_grace: Duration,
    route: R,
) -> (TcpHandler, TcpHandler)
where
    R: FnOnce(SocketAddr) -> F,
    F: std::future::Future<Output = SocketAddr>,
{
    let a_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let via = route(b_listener.local_addr().unwrap()).await;
    let config = |role: &str, peer: &str, at: SocketAddr, seed: u8, peer_seed: u8| {
        let mut config = TcpConfig::new(role, protocol(), BTreeMap::from([(Role::new(peer), at)]));
        if secure {
            config.identity = Some(key(seed));
            config.peer_keys = BTreeMap::from([(Role::new(peer), key(peer_seed).verifying_key())]);
        } else {
            config = config.insecure();
        }
        TcpConfig {
            recv_timeout: Duration::from_secs(20),
            resume_grace,
            unacked_limit,
            ..config
        }
    };
    let a = tokio::spawn(TcpHandler::establish(
        a_listener,
        config("A", "B", via, 1, 2),
    ));
    let b = tokio::spawn(TcpHandler::establish(
        b_listener,
        config("B", "A", "127.0.0.1:1".parse().unwrap(), 2, 1),
    ));
    (a.await.unwrap().unwrap(), b.await.unwrap().unwrap())
}

fn protocol() -> ContentId {
    ContentId::from_bytes([6; 32])
}

async fn stream_through_resets(secure: bool, unacked_limit: usize) {
    let (mut a, mut b, served) = pair(secure, unacked_limit).await;
    let b_role = Role::new("B");
    let sender = tokio::spawn(async move {
        for i in 0..MESSAGES {
            a.send(&mut (), &b_role, Message::new("n", Value::Nat(i)))
                .await
                .unwrap();
        }
        a.shutdown().await.unwrap();
    });
    let a_role = Role::new("A");
    for i in 0..MESSAGES {
        let message = b.recv(&mut (), &a_role).await.unwrap();
        assert_eq!(message, Message::new("n", Value::Nat(i)), "message {i}");
    }
    // Nothing more: the next receive sees A's goodbye.
    assert_eq!(
        b.recv(&mut (), &a_role).await.unwrap_err(),
        ChoreoError::Disconnected { peer: a_role }
    );
    b.shutdown().await.unwrap();
    sender.await.unwrap();
    let connections = served.load(Ordering::SeqCst);
    assert!(
        connections > 100,
        "the proxy reset the connection {connections} times"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_stream_survives_resets_exactly_once_in_order() {
    // A small outbox: acknowledgements and back-pressure work throughout.
    stream_through_resets(false, 256).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secure_stream_survives_resets_exactly_once_in_order() {
    stream_through_resets(true, 4096).await;
}

#[tokio::test]
async fn a_peer_away_past_the_grace_period_is_disconnected() {
    // The only connection is reset after 5 frames and never comes back.
    let grace = Duration::from_millis(300);
    let (mut a, mut b) = pair_via(false, 64, grace, |b| one_shot_proxy(b, 5)).await;
    let (a_role, b_role) = (Role::new("A"), Role::new("B"));
    for i in 0..10 {
        a.send(&mut (), &b_role, Message::new("n", Value::Nat(i)))
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    let started = tokio::time::Instant::now();
    let end = loop {
        match b.recv(&mut (), &a_role).await {
            Ok(message) => got.push(message.value),
            Err(e) => break e,
        }
    };
    assert_eq!(end, ChoreoError::Disconnected { peer: a_role });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "within the grace"
    );
    // What arrived is a prefix of what A sent, nothing repeated.
    let sent: Vec<Value> = (0..got.len() as u64).map(Value::Nat).collect();
    assert_eq!(got, sent);
    // A cannot deliver the rest: its shutdown says so, naming B.
    let err = a.shutdown().await.unwrap_err();
    assert!(
        err.to_string().contains('B') && err.to_string().contains("never acknowledged"),
        "{err}"
    );
}

#[tokio::test]
async fn a_restarted_peer_is_refused_not_resumed() {
    let grace = Duration::from_secs(5);
    let (a, mut b) = pair_via(false, 64, grace, |b| async move { b }).await;
    let a_role = Role::new("A");
    let b_address = b.local_address().unwrap();
    // A's process ends without a goodbye; a new A starts within the grace
    // period, as a new session.
    drop(a);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = TcpConfig::new(
        "A",
        protocol(),
        BTreeMap::from([(Role::new("B"), b_address)]),
    )
    .insecure();
    let new_a = tokio::spawn(TcpHandler::establish(listener, config));
    let err = b.recv(&mut (), &a_role).await.unwrap_err();
    assert!(
        matches!(&err, ChoreoError::Transport { peer, message }
            if *peer == a_role && message.contains("new session")),
        "{err}"
    );
    drop(new_a);
}
