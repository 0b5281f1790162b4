//! `TcpHandler`: a `ChoreoHandler` whose peers are TCP connections that
//! survive breaks.
//!
//! Every data frame on an edge is numbered; the receiver acknowledges them
//! now and then, and the sender keeps the unacknowledged ones (at most
//! `unacked_limit`; a send beyond waits). When a connection breaks, the
//! role whose name sorts first dials again (with backoff) and the other
//! accepts, within `resume_grace`; both ends say how many frames they
//! received (`Resume`), and each sends again exactly the frames the other
//! lacks. Nothing is lost or delivered twice; a peer that stays away past
//! the grace period is `Disconnected`.
//!
//! While a role waits (to receive, for room to send, at shutdown) it reads
//! every peer's connection, not just the one it waits on, so
//! acknowledgements flow and a peer's reconnect is accepted whatever this
//! role is waiting for.

mod wait;

use crate::config::TcpConfig;
use crate::connect::establish;
use crate::error::TransportError;
use crate::frame::Frame;
use crate::handshake::Offer;
use crate::peer_link::{encode, LinkState, PeerLink};
use futures_util::{FutureExt, SinkExt};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use telltale_choreography::{ChoreoError, ChoreoHandler, ChoreoResult, Message};
use telltale_types::Role;
use tokio::net::TcpListener;
use tokio::time::Instant;
use wait::Wait;

/// Received messages kept per peer before its connection is left unread
/// (so that a peer sending faster than this role takes its messages is
/// slowed down by TCP, not buffered without bound).
const INBOX_LIMIT: usize = 4096;

/// How long a role that shut down waits for its peers to close their
/// ends of the connections.
const LINGER: Duration = Duration::from_millis(500);

/// One role's TCP connections to all its peers.
///
/// Sends and receives are bounded by the configured timeouts; a peer that
/// shut down, or stayed away past the grace period, yields
/// [`ChoreoError::Disconnected`], never a hang. A forged or out-of-sequence
/// frame is a [`ChoreoError::Transport`] error naming the peer.
pub struct TcpHandler {
    role: Role,
    config: TcpConfig,
    listener: TcpListener,
    local_address: Option<SocketAddr>,
    peers: BTreeMap<Role, PeerLink>,
    /// This handler's session, told to peers so a restarted peer is
    /// never mistaken for a reconnecting one.
    session: [u8; 16],
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
    /// The listener stays in use: broken connections are accepted again.
    pub async fn establish(
        listener: TcpListener,
        config: TcpConfig,
    ) -> Result<TcpHandler, TransportError> {
        let mut session = [0u8; 16];
        getrandom::fill(&mut session).map_err(|e| TransportError::Handshake {
            role: config.role.clone(),
            peer: "any".into(),
            reason: format!("no randomness for a session id: {e}"),
        })?;
        let none = BTreeMap::new();
        let offer = Offer {
            session,
            ack_every: ack_every(&config),
            received: &none,
        };
        let links = establish(&listener, &config, &offer).await?;
        let peers = links
            .into_iter()
            .map(|(role, (link, resume))| (role, PeerLink::new(link, resume)))
            .collect();
        Ok(TcpHandler {
            role: config.role.clone(),
            local_address: listener.local_addr().ok(),
            config,
            listener,
            peers,
            session,
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

    /// Says goodbye to every peer, waits until each has acknowledged every
    /// frame sent to it — and, for a peer that said goodbye too, until its
    /// connection ends — resuming broken connections meanwhile, and closes
    /// the connections.
    ///
    /// Each peer learns how many frames were sent, so it can tell a clean
    /// end from lost frames, and its pending receive ends with
    /// [`ChoreoError::Disconnected`]. Waits at most the send timeout; a
    /// peer that stays away past the grace period with frames it never
    /// acknowledged is an error naming it.
    pub async fn shutdown(mut self) -> ChoreoResult<()> {
        let after = self.config.send_timeout;
        for link in self.peers.values_mut() {
            if matches!(link.state, LinkState::Open | LinkState::Down(_)) {
                link.closing = true;
            }
            if matches!(link.state, LinkState::Open) {
                let close = link.close_frame()?;
                if link.feed(close).await.is_err() {
                    link.state = LinkState::Down(Instant::now());
                }
            }
        }
        let result = match self.flush().await {
            Ok(()) => self.wait(Wait::Acknowledged, after).await,
            Err(e) => Err(e),
        };
        // Close the writing halves, then read what the peers still send
        // until they close theirs (briefly): a socket closed with unread
        // input is reset, and the reset could reach a peer before frames
        // it has not read yet.
        let linger = tokio::time::Instant::now() + LINGER;
        for link in self.peers.values_mut() {
            if matches!(link.state, LinkState::Open) && !link.write_closed {
                link.write_closed = true;
                let close = SinkExt::<bytes::Bytes>::close(&mut link.link.writer);
                let _ = tokio::time::timeout_at(linger, close).await;
            }
        }
        for link in self.peers.values_mut() {
            if matches!(link.state, LinkState::Open) {
                let drain = async { while let Some(Ok(_)) = link.link.next_bytes().await {} };
                let _ = tokio::time::timeout_at(linger, drain).await;
            }
        }
        result
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
    /// [`TcpHandler::coalesce_writes`]). A connection that fails is
    /// resumed later; one that cannot resume fails the next use.
    pub async fn flush(&mut self) -> ChoreoResult<()> {
        let resumes = self.resumes();
        let after = self.config.send_timeout;
        for (peer, link) in &mut self.peers {
            if !link.unflushed || !matches!(link.state, LinkState::Open) {
                continue;
            }
            match bounded(after, link.flush()).await {
                Some(Ok(())) => {}
                Some(Err(e)) => broke(link, peer, &e, resumes)?,
                None => {
                    return Err(ChoreoError::Timeout {
                        role: self.role.clone(),
                        after,
                    })
                }
            }
        }
        Ok(())
    }

    /// Whether broken connections are resumed at all.
    fn resumes(&self) -> bool {
        !self.config.resume_grace.is_zero()
    }

    fn link(&mut self, peer: &Role) -> ChoreoResult<&mut PeerLink> {
        self.peers
            .get_mut(peer)
            .ok_or_else(|| ChoreoError::UnknownPeer {
                role: self.role.clone(),
                peer: peer.clone(),
            })
    }

    async fn send_frame(&mut self, to: &Role, message: Message) -> ChoreoResult<()> {
        let after = self.config.send_timeout;
        let limit = self.config.unacked_limit;
        let link = self.link(to)?;
        if let Some(error) = link.unusable(to) {
            return Err(error);
        }
        if link.outbox.len() >= limit || !matches!(link.state, LinkState::Open) {
            self.wait(Wait::Room(to), after).await?;
        }
        let (coalescing, resumes) = (self.coalescing, self.resumes());
        let link = self.link(to)?;
        let seq = link.sent.issue();
        let frame = encode(&Frame::Data { seq, message })?;
        // Kept until acknowledged: if the connection breaks from here on,
        // the frame goes out again on the next one.
        link.outbox.push(seq, frame.clone());
        // Coalescing: queued, not flushed, so frames sent together leave
        // in one write; flushed before this role waits on any peer, at
        // shutdown, or when the buffer fills. Otherwise written at once.
        let write = async {
            link.feed(frame).await?;
            if !coalescing {
                link.flush().await?;
            }
            Ok::<(), std::io::Error>(())
        };
        match bounded(after, write).await {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => broke(link, to, &e, resumes),
            None => Err(ChoreoError::Timeout {
                role: self.role.clone(),
                after,
            }),
        }
    }

    async fn recv_frame(&mut self, from: &Role) -> ChoreoResult<Message> {
        let link = self.link(from)?;
        if let Some(message) = link.inbox.pop_front() {
            return Ok(message);
        }
        self.wait(Wait::Message(from), self.config.recv_timeout)
            .await?;
        let link = self.link(from)?;
        link.inbox
            .pop_front()
            .ok_or_else(|| ChoreoError::Transport {
                peer: from.clone(),
                message: "no message after a wait for one".into(),
            })
    }
}

/// Runs `work` for at most `after` (`None` when it took longer); work
/// that is done at once sets no timer.
async fn bounded<T>(after: Duration, work: impl std::future::Future<Output = T>) -> Option<T> {
    let mut work = std::pin::pin!(work);
    if let Some(done) = work.as_mut().now_or_never() {
        return Some(done);
    }
    tokio::time::timeout(after, work).await.ok()
}

/// How often this role asks peers to acknowledge: half its outbox, so
/// that acknowledgements arrive before the outbox fills.
fn ack_every(config: &TcpConfig) -> u64 {
    (config.unacked_limit / 2).max(1) as u64
}

/// Marks an open `link` broken by an I/O error: down (to be resumed) when
/// connections resume, else closed with the error, which is returned.
fn broke(
    link: &mut PeerLink,
    peer: &Role,
    error: &std::io::Error,
    resumes: bool,
) -> ChoreoResult<()> {
    if !matches!(link.state, LinkState::Open) {
        return Ok(());
    }
    if resumes {
        link.state = LinkState::Down(Instant::now());
        return Ok(());
    }
    let error = disconnection(peer, error);
    link.state = match &error {
        ChoreoError::Disconnected { .. } => LinkState::Closed,
        other => LinkState::Broken(other.to_string()),
    };
    Err(error)
}

/// Maps an I/O error on a connection: a closed connection is a disconnection,
/// anything else a transport error.
fn disconnection(peer: &Role, error: &std::io::Error) -> ChoreoError {
    use std::io::ErrorKind;
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
