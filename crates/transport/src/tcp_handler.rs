//! `TcpHandler`: a `ChoreoHandler` whose peers are TCP connections.

use crate::config::TcpConfig;
use crate::connect::establish;
use crate::error::TransportError;
use crate::frame::Frame;
use crate::handshake::{Link, LinkError};
use crate::sequence::EdgeSequence;
use bytes::Bytes;
use futures_util::SinkExt;
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;
use telltale_choreography::{ChoreoError, ChoreoHandler, ChoreoResult, Message};
use telltale_types::Role;
use tokio::net::TcpListener;

/// Whether a connection can still be used.
#[derive(Debug)]
enum LinkState {
    /// Usable.
    Open,
    /// The peer closed it (gracefully or not); every later use is `Disconnected`.
    Closed,
    /// Something unrecoverable happened (bad frame, sequence error).
    Broken(String),
}

/// One peer's connection with its sequence counters.
struct PeerLink {
    link: Link,
    sent: EdgeSequence,
    received: EdgeSequence,
    state: LinkState,
    /// Frames queued in the write buffer, not yet flushed.
    unflushed: bool,
}

/// One role's TCP connections to all its peers.
///
/// Sends and receives are bounded by the configured timeouts; a peer whose
/// connection ends yields [`ChoreoError::Disconnected`], never a hang. Frames
/// carry per-edge sequence numbers, so a duplicate or missing frame is a
/// [`ChoreoError::Transport`] error naming the peer.
pub struct TcpHandler {
    role: Role,
    local_address: Option<SocketAddr>,
    peers: BTreeMap<Role, PeerLink>,
    send_timeout: Duration,
    recv_timeout: Duration,
    /// Whether sends wait in the write buffer (see `coalesce_writes`).
    coalescing: bool,
}

impl std::fmt::Debug for TcpHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpHandler")
            .field("role", &self.role)
            .field("local_address", &self.local_address)
            .field("peers", &self.peers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TcpHandler {
    /// Connects to every peer of `config`, accepting inbound connections on
    /// `listener` (bind it first, so that peers can be told its address).
    pub async fn establish(
        listener: TcpListener,
        config: TcpConfig,
    ) -> Result<TcpHandler, TransportError> {
        let links = establish(&listener, &config).await?;
        let peers = links
            .into_iter()
            .map(|(role, link)| {
                let peer = PeerLink {
                    link,
                    sent: EdgeSequence::default(),
                    received: EdgeSequence::default(),
                    state: LinkState::Open,
                    unflushed: false,
                };
                (role, peer)
            })
            .collect();
        Ok(TcpHandler {
            role: config.role,
            local_address: listener.local_addr().ok(),
            peers,
            send_timeout: config.send_timeout,
            recv_timeout: config.recv_timeout,
            coalescing: false,
        })
    }

    /// Listens on `address`, then connects as [`TcpHandler::establish`] does.
    pub async fn connect(
        address: SocketAddr,
        config: TcpConfig,
    ) -> Result<TcpHandler, TransportError> {
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| TransportError::Listen {
                role: config.role.clone(),
                message: format!("cannot bind {address}: {e}"),
            })?;
        TcpHandler::establish(listener, config).await
    }

    /// The connected peers, in name order.
    pub fn peers(&self) -> impl Iterator<Item = &Role> {
        self.peers.keys()
    }

    /// The address this role listened on.
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.local_address
    }

    /// Says goodbye to every peer and closes the connections.
    ///
    /// Each peer learns how many frames were sent, so it can tell a clean
    /// end from lost frames, and its pending receive ends with
    /// [`ChoreoError::Disconnected`]. All peers are closed even if some
    /// fail; the first failure is returned.
    pub async fn shutdown(mut self) -> ChoreoResult<()> {
        let mut first_error = None;
        let send_timeout = self.send_timeout;
        for (peer, link) in &mut self.peers {
            if !matches!(link.state, LinkState::Open) {
                continue;
            }
            let goodbye = Frame::Close {
                sent: link.sent.peek(),
            };
            let bytes = goodbye.encode().map_err(|e| ChoreoError::Codec {
                context: format!("encoding the close frame for {peer}"),
                message: e.to_string(),
            })?;
            let result = async {
                link.link.send_bytes(bytes).await?;
                SinkExt::<Bytes>::close(&mut link.link.writer).await
            };
            let outcome = match tokio::time::timeout(send_timeout, result).await {
                Ok(Ok(())) => Ok(()),
                // A peer that is already gone needs no goodbye.
                Ok(Err(e)) => match disconnection(peer, &e) {
                    ChoreoError::Disconnected { .. } => Ok(()),
                    _ => Err(ChoreoError::Transport {
                        peer: peer.clone(),
                        message: format!("graceful close failed: {e}"),
                    }),
                },
                Err(_) => Err(ChoreoError::Timeout {
                    role: self.role.clone(),
                    after: send_timeout,
                }),
            };
            link.state = LinkState::Closed;
            if let (Err(e), None) = (outcome, &first_error) {
                first_error = Some(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn link(&mut self, peer: &Role) -> ChoreoResult<&mut PeerLink> {
        let link = self
            .peers
            .get_mut(peer)
            .ok_or_else(|| ChoreoError::UnknownPeer {
                role: self.role.clone(),
                peer: peer.clone(),
            })?;
        match &link.state {
            LinkState::Open => Ok(link),
            LinkState::Closed => Err(ChoreoError::Disconnected { peer: peer.clone() }),
            LinkState::Broken(reason) => Err(ChoreoError::Transport {
                peer: peer.clone(),
                message: format!("connection unusable: {reason}"),
            }),
        }
    }

    async fn send_frame(&mut self, to: &Role, message: Message) -> ChoreoResult<()> {
        let coalescing = self.coalescing;
        let role = self.role.clone();
        let after = self.send_timeout;
        let link = self.link(to)?;
        // The number is issued before writing: if this future is cancelled
        // after the frame was buffered, the frame still goes out with it.
        let frame = Frame::Data {
            seq: link.sent.issue(),
            message,
        };
        let bytes = frame.encode().map_err(|e| ChoreoError::Codec {
            context: format!("encoding a frame for {to}"),
            message: e.to_string(),
        })?;
        // Coalescing: queued, not flushed, so frames sent together leave
        // in one write; flushed before this role waits on any peer, at
        // shutdown, or when the buffer fills. Otherwise written at once.
        let write = async {
            link.link.feed_bytes(bytes).await?;
            if !coalescing {
                link.link.flush().await?;
            }
            Ok::<(), std::io::Error>(())
        };
        match tokio::time::timeout(after, write).await {
            Ok(Ok(())) => {
                link.unflushed = coalescing;
                Ok(())
            }
            Ok(Err(e)) => {
                link.state = LinkState::Closed;
                Err(disconnection(to, &e))
            }
            Err(_) => Err(ChoreoError::Timeout { role, after }),
        }
    }

    /// Coalesces writes from now on (`on`) or not: frames sent while
    /// coalescing wait in the connection's write buffer until this role
    /// receives from any peer, shuts down, calls [`TcpHandler::flush`], or
    /// the buffer fills — so frames ready together leave in one write. Off
    /// by default (every send is written at once); turn it on where the
    /// code that drives the role always receives or shuts down after it
    /// sends (`serve`, `serve_machine_role` do), never where it may send
    /// and then wait on something else.
    pub fn coalesce_writes(&mut self, on: bool) {
        self.coalescing = on;
    }

    /// Writes every frame queued for any peer to its socket (see
    /// [`TcpHandler::coalesce_writes`]).
    pub async fn flush(&mut self) -> ChoreoResult<()> {
        let after = self.send_timeout;
        for (peer, link) in &mut self.peers {
            if !link.unflushed || !matches!(link.state, LinkState::Open) {
                continue;
            }
            link.unflushed = false;
            match tokio::time::timeout(after, link.link.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    link.state = LinkState::Closed;
                    return Err(disconnection(peer, &e));
                }
                Err(_) => {
                    return Err(ChoreoError::Timeout {
                        role: self.role.clone(),
                        after,
                    })
                }
            }
        }
        Ok(())
    }

    async fn recv_frame(&mut self, from: &Role) -> ChoreoResult<Message> {
        // What this role sent must be on its way before it waits: the peer
        // it waits on may be waiting for it.
        self.flush().await?;
        let role = self.role.clone();
        let after = self.recv_timeout;
        let link = self.link(from)?;
        let bytes = match tokio::time::timeout(after, link.link.next_bytes()).await {
            Err(_) => return Err(ChoreoError::Timeout { role, after }),
            Ok(None) => {
                link.state = LinkState::Closed;
                return Err(ChoreoError::Disconnected { peer: from.clone() });
            }
            Ok(Some(Err(LinkError::Forged(reason)))) => {
                // Nothing after a forged frame can be trusted: the
                // connection is over, and nothing of it was delivered.
                link.state = LinkState::Broken(reason.clone());
                return Err(ChoreoError::Transport {
                    peer: from.clone(),
                    message: format!("secure channel broken: {reason}"),
                });
            }
            Ok(Some(Err(LinkError::Io(e)))) => {
                let error = disconnection(from, &e);
                link.state = match &error {
                    ChoreoError::Disconnected { .. } => LinkState::Closed,
                    other => LinkState::Broken(other.to_string()),
                };
                return Err(error);
            }
            Ok(Some(Ok(bytes))) => bytes,
        };
        let broken = |link: &mut PeerLink, message: String| {
            link.state = LinkState::Broken(message.clone());
            ChoreoError::Transport {
                peer: from.clone(),
                message,
            }
        };
        match Frame::decode(&bytes) {
            Err(e) => Err(broken(link, format!("undecodable frame: {e}"))),
            Ok(Frame::Data { seq, message }) => match link.received.accept(seq) {
                Ok(()) => Ok(message),
                Err(detail) => Err(broken(
                    link,
                    TransportError::Sequence {
                        peer: from.clone(),
                        detail,
                    }
                    .to_string(),
                )),
            },
            Ok(Frame::Close { sent }) if sent == link.received.peek() => {
                link.state = LinkState::Closed;
                Err(ChoreoError::Disconnected { peer: from.clone() })
            }
            Ok(Frame::Close { sent }) => Err(broken(
                link,
                format!(
                    "the peer closed after sending {sent} frames, but {} arrived",
                    link.received.peek()
                ),
            )),
            Ok(other) => Err(broken(
                link,
                format!("unexpected {} frame after the handshake", other.kind()),
            )),
        }
    }
}

/// Maps an I/O error on a connection: a closed connection is a disconnection,
/// anything else a transport error.
fn disconnection(peer: &Role, error: &std::io::Error) -> ChoreoError {
    match error.kind() {
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe
        | ErrorKind::UnexpectedEof
        | ErrorKind::NotConnected => ChoreoError::Disconnected { peer: peer.clone() },
        _ => ChoreoError::Transport {
            peer: peer.clone(),
            message: error.to_string(),
        },
    }
}

impl ChoreoHandler for TcpHandler {
    type Endpoint = ();

    fn role(&self) -> &Role {
        &self.role
    }

    async fn send(&mut self, _: &mut (), to: &Role, message: Message) -> ChoreoResult<()> {
        self.send_frame(to, message).await
    }

    async fn recv(&mut self, _: &mut (), from: &Role) -> ChoreoResult<Message> {
        self.recv_frame(from).await
    }

    async fn choose(&mut self, _: &mut (), to: &Role, message: Message) -> ChoreoResult<()> {
        self.send_frame(to, message).await
    }

    async fn offer(&mut self, _: &mut (), from: &Role) -> ChoreoResult<Message> {
        self.recv_frame(from).await
    }
}
