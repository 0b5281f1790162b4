//! The connection handshake: roles, protocol ids, and (when the roster pins
//! keys) the Noise handshake of the secure channel (see `secure`).

use crate::config::TcpConfig;
use crate::error::TransportError;
use crate::frame::{Frame, WIRE_VERSION};
use crate::secure::{prologue, Cipher, NoiseHandshake, RECORD_TARGET};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::collections::{BTreeMap, BTreeSet};
use telltale_types::{ContentId, Role};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

/// How long a refusing end waits for the peer to read its refusal.
const LINGER: std::time::Duration = std::time::Duration::from_millis(500);

/// Both halves of a framed connection, and its cipher once the secure
/// channel is up.
pub(crate) struct Link {
    /// Incoming frames.
    pub(crate) reader: FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
    /// Outgoing frames.
    pub(crate) writer: FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>,
    /// `Some` on a secure channel: every frame is sealed and opened.
    cipher: Option<Cipher>,
    /// The longest frame accepted (after opening, on a secure channel).
    max_frame_length: usize,
}

/// Why the next frame could not be read.
#[derive(Debug)]
pub(crate) enum LinkError {
    /// The connection failed.
    Io(std::io::Error),
    /// A frame on the secure channel failed authentication: it was
    /// tampered with, replayed, reordered, dropped, injected or spliced.
    Forged(String),
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
            cipher: None,
            max_frame_length,
        }
    }

    /// Sends one frame's bytes (sealed, in chunks, on a secure channel)
    /// and flushes them to the socket.
    pub(crate) async fn send_bytes(&mut self, bytes: Bytes) -> std::io::Result<()> {
        self.feed_bytes(bytes).await?;
        self.flush().await
    }

    /// Queues one frame's bytes (sealed, in chunks, on a secure channel)
    /// in the write buffer, which goes to the socket when it fills or at
    /// the next [`Link::flush`]: frames ready together leave in one write.
    pub(crate) async fn feed_bytes(&mut self, bytes: Bytes) -> std::io::Result<()> {
        let Link { writer, cipher, .. } = self;
        match cipher {
            None => writer.feed(bytes).await,
            Some(cipher) => {
                // Gathered into the record sealed at the next flush (or
                // sooner, when the record is full).
                let chunks = cipher
                    .queue(&bytes, RECORD_TARGET)
                    .map_err(std::io::Error::other)?;
                for chunk in chunks {
                    writer.feed(Bytes::from(chunk)).await?;
                }
                Ok(())
            }
        }
    }

    /// Writes every queued frame to the socket (on a secure channel,
    /// sealing the frames gathered since the last flush as one record).
    pub(crate) async fn flush(&mut self) -> std::io::Result<()> {
        if let Some(cipher) = &mut self.cipher {
            let chunks = cipher.seal_record().map_err(std::io::Error::other)?;
            for chunk in chunks {
                self.writer.feed(Bytes::from(chunk)).await?;
            }
        }
        SinkExt::<Bytes>::flush(&mut self.writer).await
    }

    /// The longest record on a secure channel: one frame of the longest
    /// length with its length prefix.
    fn max_record(&self) -> usize {
        self.max_frame_length.saturating_add(4)
    }

    /// The next frame's bytes (opened on a secure channel); `None` when
    /// the peer closed the connection.
    pub(crate) async fn next_bytes(&mut self) -> Option<Result<Vec<u8>, LinkError>> {
        let max = self.max_record();
        loop {
            if let Some(frame) = self.cipher.as_mut().and_then(Cipher::next_frame) {
                return Some(Ok(frame));
            }
            let bytes = match self.reader.next().await? {
                Ok(bytes) => bytes,
                Err(e) => return Some(Err(LinkError::Io(e))),
            };
            let Some(cipher) = &mut self.cipher else {
                return Some(Ok(bytes.to_vec()));
            };
            if let Err(reason) = cipher.open_record(&bytes, max) {
                return Some(Err(LinkError::Forged(reason)));
            }
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
            "the roster pins its public key, but it offers no secure channel".into(),
        )),
        (None, false) => Ok(peer),
        (Some(_), false) => Err(auth_failed(
            "this role requires a secure channel but the peer offers none (it has no key)".into(),
        )),
        (None, true) => Err(auth_failed(
            "the peer offers a secure channel but this role has no key".into(),
        )),
        (Some(identity), true) => {
            let key = config
                .peer_keys
                .get(&peer)
                .ok_or_else(|| auth_failed("the roster has no public key for it".into()))?;
            // The role whose name sorts first starts the Noise handshake.
            let initiator = role.as_str() < peer.as_str();
            let prologue = if initiator {
                prologue(
                    WIRE_VERSION,
                    &config.protocol_id,
                    role,
                    &peer,
                    (&nonce, &peer_nonce),
                )
            } else {
                prologue(
                    WIRE_VERSION,
                    &config.protocol_id,
                    &peer,
                    role,
                    (&peer_nonce, &nonce),
                )
            };
            let mut noise =
                NoiseHandshake::new(initiator, identity, key, &prologue).map_err(auth_failed)?;
            if initiator {
                let message = noise.write().map_err(auth_failed)?;
                write_frame(link, &Frame::Noise { message })
                    .await
                    .map_err(failed)?;
            }
            let Frame::Noise { message } = read_frame(link).await.map_err(failed)? else {
                return Err(auth_failed("expected a noise handshake frame".into()));
            };
            noise.read(&message).map_err(auth_failed)?;
            if !initiator {
                let message = noise.write().map_err(auth_failed)?;
                write_frame(link, &Frame::Noise { message })
                    .await
                    .map_err(failed)?;
            }
            link.cipher = Some(noise.finish().map_err(auth_failed)?);
            Ok(peer)
        }
    }
}

/// What this end says about itself after every handshake: its session,
/// how many data frames it received from the peer so far (0 on a first
/// connection), and how often it wants acknowledgements.
pub(crate) struct Offer<'a> {
    /// This handler's session.
    pub(crate) session: [u8; 16],
    /// How many frames to receive before acknowledging them.
    pub(crate) ack_every: u64,
    /// Data frames received so far, per peer (absent: none).
    pub(crate) received: &'a BTreeMap<Role, u64>,
}

/// What the peer said about itself after the handshake (see [`Offer`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerResume {
    /// The peer's session.
    pub(crate) session: [u8; 16],
    /// How many of this end's data frames the peer has received.
    pub(crate) received: u64,
    /// How often the peer wants its frames acknowledged.
    pub(crate) ack_every: u64,
}

/// The last step of every connection's handshake: both ends send a
/// `Resume` frame and read the other's.
pub(crate) async fn exchange_resume(
    link: &mut Link,
    peer: &Role,
    offer: &Offer<'_>,
) -> Result<PeerResume, String> {
    let ours = Frame::Resume {
        session: offer.session,
        received: offer.received.get(peer).copied().unwrap_or(0),
        ack_every: offer.ack_every,
    };
    write_frame(link, &ours).await?;
    match read_frame(link).await? {
        Frame::Resume {
            session,
            received,
            ack_every,
        } => Ok(PeerResume {
            session,
            received,
            ack_every: ack_every.max(1),
        }),
        other => Err(format!("expected resume, got {}", other.kind())),
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
    link.send_bytes(Bytes::from(bytes))
        .await
        .map_err(|e| format!("cannot send {}: {e}", frame.kind()))
}

async fn read_frame(link: &mut Link) -> Result<Frame, String> {
    match link.next_bytes().await {
        None => Err("the peer closed the connection".into()),
        Some(Err(LinkError::Io(e))) => Err(format!("cannot read: {e}")),
        Some(Err(LinkError::Forged(reason))) => Err(reason),
        Some(Ok(bytes)) => match Frame::decode(&bytes) {
            Ok(Frame::Refused { reason }) => {
                Err(format!("the peer refused the connection: {reason}"))
            }
            Ok(frame) => Ok(frame),
            Err(e) => Err(format!("undecodable frame: {e}")),
        },
    }
}
