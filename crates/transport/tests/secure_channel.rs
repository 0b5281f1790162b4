//! The secure channel against a man in the middle: a proxy between A and B
//! that flips a byte, truncates, duplicates, drops, reorders, injects,
//! replays or splices frames after the handshake. Every attack is detected
//! and ends the connection with an error naming the peer; nothing altered
//! is ever delivered (what B receives is a prefix of what A sent).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ed25519_dalek::SigningKey;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use telltale_choreography::{ChoreoHandler, Message};
use telltale_transport::{Roster, RosterEntry, TcpConfig, TcpHandler};
use telltale_types::{ContentId, Role, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Frames A sends before its first data frame: hello, its Noise message
/// (A dials and its name sorts first, so it starts the handshake), ready,
/// resume.
const HANDSHAKE_FRAMES: usize = 4;

/// What the proxy does to A's data frames (counted from 0).
#[derive(Clone, Debug)]
enum Attack {
    None,
    Flip(usize),
    Truncate(usize),
    Duplicate(usize),
    Drop(usize),
    Reorder(usize),
    Inject(usize),
    Replay { frame: usize, at: usize },
    Splice(usize, Vec<u8>),
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

async fn read_frame(stream: &mut (impl AsyncReadExt + Unpin)) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await.ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).await.ok()?;
    Some(body)
}

async fn write_frame(stream: &mut (impl AsyncWriteExt + Unpin), body: &[u8]) {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let _ = stream.write_all(&len).await;
    let _ = stream.write_all(body).await;
}

/// A proxy on a fresh port that forwards to `target`, attacking A's data
/// frames; A's data frames as sent are recorded in `seen`.
async fn proxy(target: SocketAddr, attack: Attack, seen: Arc<Mutex<Vec<Vec<u8>>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (from_a, _) = listener.accept().await.unwrap();
        let to_b = TcpStream::connect(target).await.unwrap();
        let (mut a_read, mut a_write) = from_a.into_split();
        let (mut b_read, mut b_write) = to_b.into_split();
        // B -> A passes untouched.
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut b_read, &mut a_write).await;
        });
        let mut index = 0usize;
        let mut held: Option<Vec<u8>> = None;
        while let Some(frame) = read_frame(&mut a_read).await {
            if index < HANDSHAKE_FRAMES {
                index += 1;
                write_frame(&mut b_write, &frame).await;
                continue;
            }
            let data = index - HANDSHAKE_FRAMES;
            index += 1;
            seen.lock().unwrap().push(frame.clone());
            match &attack {
                Attack::Flip(n) if *n == data => {
                    let mut bad = frame.clone();
                    let last = bad.len() - 1;
                    bad[last / 2] ^= 0x20;
                    write_frame(&mut b_write, &bad).await;
                }
                Attack::Truncate(n) if *n == data => {
                    write_frame(&mut b_write, &frame[..frame.len() - 1]).await;
                }
                Attack::Duplicate(n) if *n == data => {
                    write_frame(&mut b_write, &frame).await;
                    write_frame(&mut b_write, &frame).await;
                }
                Attack::Drop(n) if *n == data => {}
                Attack::Reorder(n) if *n == data => held = Some(frame),
                Attack::Reorder(n) if *n + 1 == data => {
                    write_frame(&mut b_write, &frame).await;
                    if let Some(first) = held.take() {
                        write_frame(&mut b_write, &first).await;
                    }
                }
                Attack::Inject(n) if *n == data => {
                    write_frame(&mut b_write, &vec![0x5a; frame.len()]).await;
                    write_frame(&mut b_write, &frame).await;
                }
                Attack::Replay { frame: f, at } if *at == data => {
                    write_frame(&mut b_write, &frame).await;
                    let old = seen.lock().unwrap()[*f].clone();
                    write_frame(&mut b_write, &old).await;
                }
                Attack::Splice(n, other) if *n == data => {
                    write_frame(&mut b_write, other).await;
                }
                _ => write_frame(&mut b_write, &frame).await,
            }
        }
    });
    address
}

/// Runs A (dialing B through a proxy with `attack`) and B; A sends
/// `count` numbered messages. Returns what B received, the error that
/// ended B's receiving (if any), and A's data frames as sent.
async fn run(attack: Attack, count: u64) -> (Vec<u64>, Option<String>, Vec<Vec<u8>>) {
    let a_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_address = b_listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let via = proxy(b_address, attack, seen.clone()).await;
    let roster = |b_at: SocketAddr| {
        let mut roster = Roster::default();
        for (role, address, seed) in [("A", a_listener.local_addr().unwrap(), 1), ("B", b_at, 2)] {
            roster.roles.insert(
                Role::new(role),
                RosterEntry {
                    address,
                    public_key: Some(key(seed).verifying_key()),
                },
            );
        }
        roster
    };
    let id = ContentId::from_bytes([5; 32]);
    let (mut a_config, _) = TcpConfig::from_roster("A", id, &roster(via), Some(key(1))).unwrap();
    let (mut b_config, _) =
        TcpConfig::from_roster("B", id, &roster(b_address), Some(key(2))).unwrap();
    for c in [&mut a_config, &mut b_config] {
        c.recv_timeout = Duration::from_secs(5);
        c.connect_deadline = Duration::from_secs(10);
        // The proxy takes one connection: A's attempts to resume after B
        // broke the channel go nowhere, so A gives up soon.
        c.resume_grace = Duration::from_millis(300);
    }
    let a = tokio::spawn(TcpHandler::establish(a_listener, a_config));
    let b = tokio::spawn(TcpHandler::establish(b_listener, b_config));
    let (mut a, mut b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    let sender = tokio::spawn(async move {
        for i in 0..count {
            if a.send(&mut (), &Role::new("B"), Message::new("n", Value::Nat(i)))
                .await
                .is_err()
            {
                break;
            }
        }
        // Keep the connection open while B reads.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = a.shutdown().await;
    });
    let mut got = Vec::new();
    let mut error = None;
    for _ in 0..count {
        match b.recv(&mut (), &Role::new("A")).await {
            Ok(message) => match message.value {
                Value::Nat(n) => got.push(n),
                other => panic!("B received a payload A never sent: {other}"),
            },
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    // B's goodbye acknowledges what it received, so A's shutdown ends.
    let _ = b.shutdown().await;
    sender.await.unwrap();
    let frames = seen.lock().unwrap().clone();
    (got, error, frames)
}

#[tokio::test]
async fn an_untouched_channel_delivers_everything_in_order() {
    let (got, error, _) = run(Attack::None, 10).await;
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    assert!(error.is_none(), "{error:?}");
}

#[tokio::test]
async fn every_attack_is_detected_and_nothing_altered_is_delivered() {
    // A data frame of another connection between the same roles and keys.
    let (_, _, other) = run(Attack::None, 6).await;
    let attacks = [
        Attack::Flip(3),
        Attack::Truncate(3),
        Attack::Duplicate(3),
        Attack::Drop(3),
        Attack::Reorder(3),
        Attack::Inject(3),
        Attack::Replay { frame: 1, at: 4 },
        Attack::Splice(3, other[3].clone()),
    ];
    for attack in attacks {
        let (got, error, _) = run(attack.clone(), 10).await;
        let error = error.unwrap_or_else(|| panic!("{attack:?} went unnoticed: B got {got:?}"));
        assert!(
            error.contains('A'),
            "{attack:?}: the error names the peer: {error}"
        );
        assert!(
            error.contains("secure channel broken"),
            "{attack:?}: {error}"
        );
        // Only frames before the attack (frame 3; 4 for the replay) arrived,
        // unaltered and in order.
        assert!(got.len() <= 5, "{attack:?}: {got:?}");
        assert_eq!(got, (0..got.len() as u64).collect::<Vec<_>>(), "{attack:?}");
    }
}
