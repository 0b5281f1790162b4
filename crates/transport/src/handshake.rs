//! The connection handshake: roles, protocol ids and optional signatures.

use crate::config::TcpConfig;
use crate::error::TransportError;
use crate::frame::{Frame, WIRE_VERSION};
use bytes::Bytes;
use ed25519_dalek::{Signature, Signer, Verifier};
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeSet;
use telltale_types::{ContentId, Role};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

/// Domain separation for handshake signatures.
const TRANSCRIPT_TAG: &[u8] = b"telltale-transport-handshake-v1";
/// How long a refusing end waits for the peer to read its refusal.
const LINGER: std::time::Duration = std::time::Duration::from_millis(500);

/// Both halves of a framed connection.
pub(crate) struct Link {
    /// Incoming frames.
    pub(crate) reader: FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
    /// Outgoing frames.
    pub(crate) writer: FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>,
}

impl Link {
    /// Frames a connected stream with frames of at most `max_frame_length` bytes.
    pub(crate) fn new(stream: TcpStream, max_frame_length: usize) -> Self {
        // Nagle's algorithm only adds latency to small protocol messages.
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let codec = || {
            LengthDelimitedCodec::builder()
                .max_frame_length(max_frame_length)
                .new_codec()
        };
        Link {
            reader: FramedRead::new(read, codec()),
            writer: FramedWrite::new(write, codec()),
        }
    }
}

/// Who may be at the other end of a connection.
pub(crate) enum ExpectedPeer<'a> {
    /// The role this end dialed.
    Exactly(&'a Role),
    /// Any of the roles still expected to dial in.
    AnyOf(&'a BTreeSet<Role>),
}

impl ExpectedPeer<'_> {
    fn admits(&self, role: &Role) -> bool {
        match self {
            ExpectedPeer::Exactly(expected) => *expected == role,
            ExpectedPeer::AnyOf(set) => set.contains(role),
        }
    }

    fn describe(&self) -> String {
        match self {
            ExpectedPeer::Exactly(expected) => expected.to_string(),
            ExpectedPeer::AnyOf(set) => {
                let names: Vec<&str> = set.iter().map(Role::as_str).collect();
                format!("one of {{{}}}", names.join(", "))
            }
        }
    }
}

/// The bytes a role signs to prove it is `signer` talking to `verifier`.
fn transcript(
    protocol_id: &ContentId,
    signer: &Role,
    verifier: &Role,
    nonce: &[u8; 32],
) -> Vec<u8> {
    let mut bytes = TRANSCRIPT_TAG.to_vec();
    bytes.extend_from_slice(protocol_id.as_bytes());
    for role in [signer, verifier] {
        bytes.extend_from_slice(&(role.as_str().len() as u64).to_le_bytes());
        bytes.extend_from_slice(role.as_str().as_bytes());
    }
    bytes.extend_from_slice(nonce);
    bytes
}

/// Runs the handshake on a fresh link and returns the authenticated peer role.
///
/// Both ends send `Hello` first, so both see a protocol mismatch and both
/// refuse with [`TransportError::ProtocolMismatch`] naming both ids. An end
/// that refuses for any other reason tells the other with a `Refused`
/// frame, and the handshake ends with a `Ready` exchange, so neither end
/// believes in a connection the other refused.
pub(crate) async fn handshake(
    link: &mut Link,
    config: &TcpConfig,
    expected: ExpectedPeer<'_>,
    peer_hint: &str,
) -> Result<Role, TransportError> {
    let result = verify_peer(link, config, expected, peer_hint).await;
    match result {
        Ok(peer) => {
            let failed = |reason: String| TransportError::Handshake {
                role: config.role.clone(),
                peer: peer.to_string(),
                reason,
            };
            write_frame(link, &Frame::Ready).await.map_err(failed)?;
            match read_frame(link).await.map_err(failed)? {
                Frame::Ready => Ok(peer),
                other => Err(failed(format!("expected ready, got {}", other.kind()))),
            }
        }
        Err(error) => {
            // Best effort: the peer may already be gone.
            let refusal = Frame::Refused {
                reason: error.to_string(),
            };
            let _ = write_frame(link, &refusal).await;
            linger(link).await;
            Err(error)
        }
    }
}

/// Exchanges hellos (and proofs) and checks the peer.
async fn verify_peer(
    link: &mut Link,
    config: &TcpConfig,
    expected: ExpectedPeer<'_>,
    peer_hint: &str,
) -> Result<Role, TransportError> {
    let role = &config.role;
    let failed = |reason: String| TransportError::Handshake {
        role: role.clone(),
        peer: peer_hint.to_string(),
        reason,
    };
    let mut nonce = [0u8; 32];
    getrandom::fill(&mut nonce).map_err(|e| failed(format!("no randomness for a nonce: {e}")))?;
    let hello = Frame::Hello {
        version: WIRE_VERSION,
        role: role.to_string(),
        protocol_id: *config.protocol_id.as_bytes(),
        nonce,
        authenticated: config.identity.is_some(),
    };
    write_frame(link, &hello).await.map_err(failed)?;
    let Frame::Hello {
        version,
        role: peer_name,
        protocol_id,
        nonce: peer_nonce,
        authenticated,
    } = read_frame(link).await.map_err(failed)?
    else {
        return Err(failed("the first frame was not a hello".into()));
    };
    if version != WIRE_VERSION {
        return Err(failed(format!(
            "wire version {version} is not {WIRE_VERSION}"
        )));
    }
    let peer = Role::new(&peer_name);
    if !expected.admits(&peer) {
        return Err(TransportError::UnexpectedPeer {
            role: role.clone(),
            expected: expected.describe(),
            got: peer_name,
        });
    }
    let theirs = ContentId::from_bytes(protocol_id);
    if theirs != config.protocol_id {
        return Err(TransportError::ProtocolMismatch {
            role: role.clone(),
            peer,
            ours: config.protocol_id,
            theirs,
        });
    }
    let auth_failed = |reason: String| TransportError::Authentication {
        role: role.clone(),
        peer: peer.clone(),
        reason,
    };
    match (&config.identity, authenticated) {
        // A pinned key is proved, always.
        (_, false) if config.peer_keys.contains_key(&peer) => Err(auth_failed(
            "the roster pins its public key, but it sends no proof".into(),
        )),
        (None, false) => Ok(peer),
        (Some(_), false) => Err(auth_failed(
            "this role requires authentication but the peer sends no proof".into(),
        )),
        (None, true) => Err(auth_failed(
            "the peer authenticates but this role has no identity key".into(),
        )),
        (Some(identity), true) => {
            let key = config
                .peer_keys
                .get(&peer)
                .ok_or_else(|| auth_failed("the roster has no public key for it".into()))?;
            let proof = identity.sign(&transcript(&config.protocol_id, role, &peer, &peer_nonce));
            let frame = Frame::Proof {
                signature: proof.to_bytes().to_vec(),
            };
            write_frame(link, &frame).await.map_err(failed)?;
            let Frame::Proof { signature } = read_frame(link).await.map_err(failed)? else {
                return Err(auth_failed("expected a proof frame".into()));
            };
            let signature = Signature::from_slice(&signature)
                .map_err(|e| auth_failed(format!("malformed signature: {e}")))?;
            key.verify(
                &transcript(&config.protocol_id, &peer, role, &nonce),
                &signature,
            )
            .map_err(|_| {
                auth_failed("the signature does not match the roster's public key".into())
            })?;
            Ok(peer)
        }
    }
}

/// Reads (and drops) what the peer still sends until it closes or refuses too,
/// for a bounded time. Closing a socket with unread input makes the kernel
/// reset the connection, which could destroy the `Refused` frame before the
/// peer reads it.
async fn linger(link: &mut Link) {
    let drain = async {
        while let Some(Ok(bytes)) = link.reader.next().await {
            if matches!(Frame::decode(&bytes), Ok(Frame::Refused { .. })) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

async fn write_frame(link: &mut Link, frame: &Frame) -> Result<(), String> {
    let bytes = frame
        .encode()
        .map_err(|e| format!("cannot encode {}: {e}", frame.kind()))?;
    link.writer
        .send(Bytes::from(bytes))
        .await
        .map_err(|e| format!("cannot send {}: {e}", frame.kind()))
}

async fn read_frame(link: &mut Link) -> Result<Frame, String> {
    match link.reader.next().await {
        None => Err("the peer closed the connection".into()),
        Some(Err(e)) => Err(format!("cannot read: {e}")),
        Some(Ok(bytes)) => match Frame::decode(&bytes) {
            Ok(Frame::Refused { reason }) => {
                Err(format!("the peer refused the connection: {reason}"))
            }
            Ok(frame) => Ok(frame),
            Err(e) => Err(format!("undecodable frame: {e}")),
        },
    }
}
