//! `PeerLink`: one peer's connection, and what outlives the connection —
//! the sequence counters, the frames the peer has not acknowledged, the
//! messages received and not yet taken — so that a replacement connection
//! resumes exactly where a broken one stopped.

use crate::error::TransportError;
use crate::frame::Frame;
use crate::handshake::{Link, PeerResume};
use crate::outbox::Outbox;
use crate::sequence::EdgeSequence;
use bytes::Bytes;
use std::collections::VecDeque;
use telltale_choreography::{ChoreoError, Message};
use telltale_types::Role;
use tokio::time::Instant;

/// Whether a peer's connection can be used.
#[derive(Debug)]
pub(crate) enum LinkState {
    /// Usable.
    Open,
    /// The connection broke at this instant; a replacement may resume it
    /// until the grace period has passed.
    Down(Instant),
    /// The connection ended after the peer's goodbye; every later use is
    /// `Disconnected`.
    Closed,
    /// The connection broke and no replacement came within the grace
    /// period; every later use is `Disconnected`.
    Lost,
    /// Something unrecoverable happened (a forged or out-of-sequence
    /// frame, another session): every later use fails with this reason.
    Broken(String),
}

/// One peer's connection with its counters and queues.
pub(crate) struct PeerLink {
    /// The current connection (the broken one while `Down`).
    pub(crate) link: Link,
    /// Data frames sent on this edge.
    pub(crate) sent: EdgeSequence,
    /// Data frames received on this edge.
    pub(crate) received: EdgeSequence,
    pub(crate) state: LinkState,
    /// Frames queued in the write buffer, not yet flushed.
    pub(crate) unflushed: bool,
    /// Sent frames the peer has not acknowledged.
    pub(crate) outbox: Outbox,
    /// Received messages not taken yet.
    pub(crate) inbox: VecDeque<Message>,
    /// The peer's session, from the first connection.
    session: [u8; 16],
    /// How often the peer wants its frames acknowledged.
    ack_every: u64,
    /// How many received frames the peer was told about.
    acked: u64,
    /// This end sent its close frame (sent again after a reconnect).
    pub(crate) closing: bool,
    /// The peer sent its close frame: it sends no more, and every later
    /// use is `Disconnected` (once the inbox is empty).
    pub(crate) peer_closed: bool,
    /// This end closed its writing half (nothing more to say).
    pub(crate) write_closed: bool,
}

impl PeerLink {
    /// A peer's first connection.
    pub(crate) fn new(link: Link, resume: PeerResume) -> Self {
        PeerLink {
            link,
            sent: EdgeSequence::default(),
            received: EdgeSequence::default(),
            state: LinkState::Open,
            unflushed: false,
            outbox: Outbox::default(),
            inbox: VecDeque::new(),
            session: resume.session,
            ack_every: resume.ack_every,
            acked: 0,
            closing: false,
            peer_closed: false,
            write_closed: false,
        }
    }

    /// The error every use of a link in `state` gives, if any.
    pub(crate) fn unusable(&self, peer: &Role) -> Option<ChoreoError> {
        match &self.state {
            LinkState::Open | LinkState::Down(_) if self.peer_closed => {
                Some(ChoreoError::Disconnected { peer: peer.clone() })
            }
            LinkState::Open | LinkState::Down(_) => None,
            LinkState::Closed | LinkState::Lost => {
                Some(ChoreoError::Disconnected { peer: peer.clone() })
            }
            LinkState::Broken(reason) => Some(ChoreoError::Transport {
                peer: peer.clone(),
                message: reason.clone(),
            }),
        }
    }

    /// Queues `frame` in the write buffer.
    pub(crate) async fn feed(&mut self, frame: Bytes) -> std::io::Result<()> {
        self.unflushed = true;
        self.link.feed_bytes(frame).await
    }

    /// Writes the queued frames to the socket.
    pub(crate) async fn flush(&mut self) -> std::io::Result<()> {
        self.unflushed = false;
        self.link.flush().await
    }

    /// The close frame of this edge.
    pub(crate) fn close_frame(&mut self) -> Result<Bytes, ChoreoError> {
        self.acked = self.received.peek();
        encode(&Frame::Close {
            sent: self.sent.peek(),
            received: self.acked,
        })
    }

    /// Takes one frame read from the connection: a message goes to the
    /// inbox, an acknowledgement trims the outbox, a close ends the edge.
    /// `Err` is why the connection cannot be trusted any more. Returns
    /// whether an acknowledgement is due to the peer now.
    pub(crate) fn take_frame(&mut self, peer: &Role, bytes: &[u8]) -> Result<bool, String> {
        match Frame::decode(bytes) {
            Err(e) => Err(format!("undecodable frame: {e}")),
            Ok(Frame::Data { seq, message }) => {
                self.received.accept(seq).map_err(|detail| {
                    TransportError::Sequence {
                        peer: peer.clone(),
                        detail,
                    }
                    .to_string()
                })?;
                self.inbox.push_back(message);
                Ok(self.received.peek() - self.acked >= self.ack_every)
            }
            Ok(Frame::Ack { received }) => self.outbox.acknowledge(received).map(|()| false),
            Ok(Frame::Close { sent, received }) => {
                self.outbox.acknowledge(received)?;
                if sent != self.received.peek() {
                    return Err(format!(
                        "the peer closed after sending {sent} frames, but {} arrived",
                        self.received.peek()
                    ));
                }
                self.peer_closed = true;
                // The peer waits for everything it sent to be acknowledged.
                Ok(true)
            }
            Ok(other) => Err(format!(
                "unexpected {} frame after the handshake",
                other.kind()
            )),
        }
    }

    /// Whether this end has nothing more to say on the edge: everything
    /// it sent is acknowledged, it said goodbye, and it acknowledged the
    /// peer's goodbye — so it may close its writing half.
    pub(crate) fn done_writing(&self) -> bool {
        self.closing
            && self.peer_closed
            && self.outbox.is_empty()
            && self.acked == self.received.peek()
            && !self.write_closed
    }

    /// The acknowledgement of every frame received so far.
    pub(crate) fn ack_frame(&mut self) -> Result<Bytes, ChoreoError> {
        self.acked = self.received.peek();
        encode(&Frame::Ack {
            received: self.acked,
        })
    }

    /// Puts a replacement connection in place of the broken one: checks
    /// that the peer is the same session, forgets the frames it has, and
    /// sends the rest again (and the close frame, if this end sent one).
    pub(crate) async fn install(
        &mut self,
        peer: &Role,
        link: Link,
        resume: PeerResume,
    ) -> Result<(), ChoreoError> {
        let broken = |reason: String| ChoreoError::Transport {
            peer: peer.clone(),
            message: reason,
        };
        if matches!(self.state, LinkState::Lost | LinkState::Broken(_)) {
            // Too late, or untrustworthy: the new connection is dropped.
            return Ok(());
        }
        if resume.session != self.session {
            let reason = "the peer came back as a new session (it restarted and lost its state), so the stream cannot resume".to_string();
            self.state = LinkState::Broken(reason.clone());
            return Err(broken(reason));
        }
        if let Err(reason) = self.outbox.resume_from(resume.received) {
            self.state = LinkState::Broken(reason.clone());
            return Err(broken(reason));
        }
        self.link = link;
        self.write_closed = false;
        self.ack_every = resume.ack_every;
        // The peer learnt the received count in this end's `Resume`.
        self.acked = self.received.peek();
        if matches!(self.state, LinkState::Down(_)) {
            self.state = LinkState::Open;
        }
        let frames: Vec<Bytes> = self.outbox.frames().cloned().collect();
        let resend = async {
            for frame in frames {
                self.feed(frame).await?;
            }
            if self.closing {
                let close = self.close_frame().map_err(std::io::Error::other)?;
                self.feed(close).await?;
            }
            self.flush().await
        };
        if resend.await.is_err() {
            self.state = LinkState::Down(Instant::now());
        }
        Ok(())
    }
}

/// The encoding of a frame this end builds.
pub(crate) fn encode(frame: &Frame) -> Result<Bytes, ChoreoError> {
    frame
        .encode()
        .map(Bytes::from)
        .map_err(|e| ChoreoError::Codec {
            context: format!("encoding a {} frame", frame.kind()),
            message: e.to_string(),
        })
}
