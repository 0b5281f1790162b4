//! How a role waits: until a message arrives, its outbox has room, or its
//! peers acknowledged everything — reading every connection meanwhile,
//! taking reconnects on the listener and dialing broken connections again.

use super::{ack_every, broke, TcpHandler, INBOX_LIMIT};
use crate::connect::{dial, handshake_accepted, Connected};
use crate::error::TransportError;
use crate::handshake::{LinkError, Offer};
use crate::peer_link::{LinkState, PeerLink};
use futures_util::future::{select_all, BoxFuture};
use futures_util::{FutureExt, SinkExt};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;
use telltale_choreography::{ChoreoError, ChoreoResult};
use telltale_types::Role;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// What a wait is for.
#[derive(Clone, Copy)]
pub(super) enum Wait<'a> {
    /// A message from this peer.
    Message(&'a Role),
    /// Room in this peer's outbox (and a usable connection).
    Room(&'a Role),
    /// Every peer acknowledged everything sent to it (shutdown).
    Acknowledged,
}

/// What woke a wait.
enum Event {
    /// The `n`th peer's connection produced a frame, ended or failed.
    Read(usize, Option<Result<Vec<u8>, LinkError>>),
    /// A connection came in on the listener.
    Accepted(std::io::Result<(TcpStream, SocketAddr)>),
    /// The wait's deadline or a grace period passed.
    Timer,
}

impl TcpHandler {
    /// Whether `what` holds now: `Some(Ok)` it does, `Some(Err)` it never
    /// will, `None` not yet.
    fn settled(&self, what: Wait<'_>) -> Option<ChoreoResult<()>> {
        match what {
            Wait::Message(peer) => {
                let link = self.peers.get(peer)?;
                if !link.inbox.is_empty() {
                    return Some(Ok(()));
                }
                link.unusable(peer).map(Err)
            }
            Wait::Room(peer) => {
                let link = self.peers.get(peer)?;
                if let Some(error) = link.unusable(peer) {
                    return Some(Err(error));
                }
                let room = link.outbox.len() < self.config.unacked_limit;
                (room && matches!(link.state, LinkState::Open)).then_some(Ok(()))
            }
            Wait::Acknowledged => {
                for (peer, link) in &self.peers {
                    let pending = !link.outbox.is_empty();
                    match link.state {
                        LinkState::Lost if pending => {
                            return Some(Err(ChoreoError::Transport {
                                peer: peer.clone(),
                                message: format!(
                                    "the peer stayed away past the grace period with {} frames it never acknowledged",
                                    link.outbox.len()
                                ),
                            }))
                        }
                        // A peer that said goodbye too may still need this
                        // end's acknowledgement: its connection must end.
                        LinkState::Open | LinkState::Down(_) if pending || link.peer_closed => {
                            return None
                        }
                        _ => {}
                    }
                }
                Some(Ok(()))
            }
        }
    }

    /// Reads every connection, accepts reconnects and redials broken
    /// connections until `what` holds, it never will, or `after` has
    /// passed. The clock is read only once the wait has to block.
    pub(super) async fn wait(&mut self, what: Wait<'_>, after: Duration) -> ChoreoResult<()> {
        let mut deadline: Option<Instant> = None;
        loop {
            if let Some(result) = self.settled(what) {
                return result;
            }
            let mut wake = None;
            if self
                .peers
                .values()
                .any(|l| matches!(l.state, LinkState::Down(_)))
            {
                let until = *deadline.get_or_insert_with(|| Instant::now() + after);
                wake = Some(self.expire_and_redial(until).await);
                if let Some(result) = self.settled(what) {
                    return result;
                }
            }
            // What this role sent must be on its way before it waits: the
            // peer it waits on may be waiting for it.
            self.flush().await?;
            if let Wait::Acknowledged = what {
                self.close_finished_writes().await;
            }
            // Frames already read from the socket need no wait at all.
            if let Wait::Message(peer) = what {
                if let Some(event) = self.read_now(peer) {
                    self.handle(event, deadline).await?;
                    continue;
                }
            }
            let until = *deadline.get_or_insert_with(|| Instant::now() + after);
            if Instant::now() >= until {
                return Err(ChoreoError::Timeout {
                    role: self.role.clone(),
                    after,
                });
            }
            let event = self.next_event(wake.unwrap_or(until).min(until)).await;
            self.handle(event, Some(until)).await?;
        }
    }

    /// Closes the writing half of every connection with nothing more to
    /// say (see `PeerLink::done_writing`): the peer reads its end.
    async fn close_finished_writes(&mut self) {
        for link in self.peers.values_mut() {
            if matches!(link.state, LinkState::Open) && link.done_writing() {
                link.write_closed = true;
                let close = SinkExt::<bytes::Bytes>::close(&mut link.link.writer);
                if close.await.is_err() {
                    link.state = LinkState::Down(Instant::now());
                }
            }
        }
    }

    /// The frame (or end) the connection of `peer` has without waiting.
    fn read_now(&mut self, peer: &Role) -> Option<Event> {
        let index = self.peers.keys().position(|p| p == peer)?;
        let link = self.peers.get_mut(peer)?;
        if !matches!(link.state, LinkState::Open) || link.inbox.len() >= INBOX_LIMIT {
            return None;
        }
        let read = link.link.next_bytes().now_or_never()?;
        Some(Event::Read(index, read))
    }

    /// Gives up on connections down past the grace period, and dials
    /// again the broken connections this role dials. Returns when the
    /// earliest remaining grace period ends.
    async fn expire_and_redial(&mut self, deadline: Instant) -> Instant {
        let grace = self.config.resume_grace;
        let mut wake = deadline;
        let down: Vec<(Role, Instant)> = self
            .peers
            .iter()
            .filter_map(|(peer, link)| match link.state {
                LinkState::Down(since) => Some((peer.clone(), since + grace)),
                _ => None,
            })
            .collect();
        for (peer, until) in down {
            if Instant::now() >= until {
                if let Some(link) = self.peers.get_mut(&peer) {
                    link.state = LinkState::Lost;
                }
                continue;
            }
            if peer < self.role {
                // The peer dials; the listener takes its call.
                wake = wake.min(until);
                continue;
            }
            let Some(&address) = self.config.peers.get(&peer) else {
                continue;
            };
            let received = self.received_counts();
            let offer = self.offer(&received);
            match dial(&self.config, &peer, address, until.min(deadline), &offer).await {
                Ok(connected) => self.install(&peer, connected).await,
                Err(error) => {
                    let Some(link) = self.peers.get_mut(&peer) else {
                        continue;
                    };
                    let now = Instant::now();
                    match error {
                        // Dialing stops before a retry would pass the
                        // deadline: when that was the grace period's end,
                        // the peer stayed away.
                        TransportError::ConnectDeadline { .. } if until <= deadline => {
                            link.state = LinkState::Lost;
                        }
                        _ if now >= until => link.state = LinkState::Lost,
                        // A handshake cut short, or someone else at the
                        // peer's address (another protocol, another key:
                        // the port was taken over): not the peer; try
                        // again soon.
                        _ => wake = wake.min(until).min(now + self.config.max_backoff),
                    }
                }
            }
        }
        wake
    }

    /// What this role says after a reconnect's handshake.
    fn offer<'a>(&self, received: &'a BTreeMap<Role, u64>) -> Offer<'a> {
        Offer {
            session: self.session,
            ack_every: ack_every(&self.config),
            received,
        }
    }

    /// Data frames received so far, per peer (what a `Resume` tells).
    fn received_counts(&self) -> BTreeMap<Role, u64> {
        self.peers
            .iter()
            .map(|(peer, link)| (peer.clone(), link.received.peek()))
            .collect()
    }

    /// Puts a replacement connection in place for `peer`. A peer that came
    /// back as another session breaks its edge (reported at its next use).
    async fn install(&mut self, peer: &Role, (link, resume): Connected) {
        if let Some(state) = self.peers.get_mut(peer) {
            let _ = state.install(peer, link, resume).await;
        }
    }

    /// Waits for the first of: a frame (or the end) on any open connection
    /// whose inbox has room, a connection on the listener, `until`.
    async fn next_event(&mut self, until: Instant) -> Event {
        let TcpHandler {
            peers, listener, ..
        } = self;
        let listener: &TcpListener = listener;
        let readable = |link: &PeerLink| {
            matches!(link.state, LinkState::Open) && link.inbox.len() < INBOX_LIMIT
        };
        // One connection to read (two roles, or one peer left): no boxes.
        if peers.values().filter(|link| readable(link)).count() == 1 {
            if let Some((index, link)) = peers
                .values_mut()
                .enumerate()
                .find(|(_, link)| readable(link))
            {
                return tokio::select! {
                    biased;
                    read = link.link.next_bytes() => Event::Read(index, read),
                    accepted = listener.accept() => Event::Accepted(accepted),
                    () = tokio::time::sleep_until(until) => Event::Timer,
                };
            }
        }
        let mut waits: Vec<BoxFuture<'_, Event>> = Vec::with_capacity(peers.len() + 2);
        for (index, link) in peers.values_mut().enumerate() {
            if readable(link) {
                let read = link.link.next_bytes();
                waits.push(Box::pin(read.map(move |read| Event::Read(index, read))));
            }
        }
        waits.push(Box::pin(listener.accept().map(Event::Accepted)));
        waits.push(Box::pin(
            tokio::time::sleep_until(until).map(|()| Event::Timer),
        ));
        select_all(waits).await.0
    }

    /// Takes what woke a wait.
    async fn handle(&mut self, event: Event, deadline: Option<Instant>) -> ChoreoResult<()> {
        let resumes = self.resumes();
        match event {
            Event::Timer => Ok(()),
            Event::Read(index, read) => {
                let Some((peer, link)) = self.peers.iter_mut().nth(index) else {
                    return Ok(());
                };
                match read {
                    Some(Ok(bytes)) => match link.take_frame(peer, &bytes) {
                        Ok(false) => {}
                        Ok(true) => {
                            let ack = link.ack_frame()?;
                            let sent = async {
                                link.feed(ack).await?;
                                link.flush().await
                            };
                            if let Err(e) = sent.await {
                                let _ = broke(link, peer, &e, resumes);
                            }
                        }
                        Err(reason) => link.state = LinkState::Broken(reason),
                    },
                    Some(Err(LinkError::Forged(reason))) => {
                        // Nothing after a forged frame can be trusted: the
                        // connection is over, and nothing of it was delivered.
                        link.state = LinkState::Broken(format!("secure channel broken: {reason}"));
                    }
                    // A failed read ends no wait: the peer's state tells
                    // its next use (and a wait on it) what happened.
                    Some(Err(LinkError::Io(e))) => {
                        let _ = broke(link, peer, &e, resumes);
                    }
                    // The end of a connection after the peer's goodbye is
                    // the end of the edge.
                    None if link.peer_closed => link.state = LinkState::Closed,
                    None => {
                        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
                        let _ = broke(link, peer, &eof, resumes);
                    }
                }
                Ok(())
            }
            Event::Accepted(Ok((stream, address))) => {
                let callers: BTreeSet<Role> = self
                    .peers
                    .keys()
                    .filter(|peer| **peer < self.role)
                    .cloned()
                    .collect();
                let received = self.received_counts();
                let offer = self.offer(&received);
                let grace_end = Instant::now() + self.config.resume_grace;
                let until = deadline.map_or(grace_end, |d| d.min(grace_end));
                let accepted =
                    handshake_accepted(stream, address, &self.config, &callers, until, &offer)
                        .await;
                // A caller that fails the handshake (a stranger, a wrong
                // key) was refused; the wait goes on.
                if let Ok((peer, connected)) = accepted {
                    self.install(&peer, connected).await;
                }
                Ok(())
            }
            Event::Accepted(Err(_)) => Ok(()),
        }
    }
}
