//! Connection establishment: dial, accept, handshake, with retry until a
//! deadline — at start-up for every peer, and later again for one peer
//! whose connection broke (see `resume`).

use crate::config::TcpConfig;
use crate::error::TransportError;
use crate::handshake::{exchange_resume, handshake, ExpectedPeer, Link, Offer, PeerResume};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use telltale_types::Role;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep_until, timeout_at, Instant};

/// A handshaken connection and what the peer said about itself.
pub(crate) type Connected = (Link, PeerResume);

/// Connects `config.role` to all its peers and returns one link per peer.
///
/// Each pair connects once: the role whose name sorts first dials, the
/// other accepts. Dialing retries with exponential backoff until the
/// deadline (peers may start later); accepting waits for exactly the
/// expected peers. Every connection is handshaken before it is used; a
/// refused handshake fails the whole setup.
pub(crate) async fn establish(
    listener: &TcpListener,
    config: &TcpConfig,
    offer: &Offer<'_>,
) -> Result<BTreeMap<Role, Connected>, TransportError> {
    config.validate()?;
    let deadline = Instant::now() + config.connect_deadline;
    let dial_targets: Vec<(&Role, &SocketAddr)> = config
        .peers
        .iter()
        .filter(|(peer, _)| **peer > config.role)
        .collect();
    let inbound: BTreeSet<Role> = config
        .peers
        .keys()
        .filter(|peer| **peer < config.role)
        .cloned()
        .collect();
    let dial_all = async {
        let mut links = BTreeMap::new();
        for (peer, address) in dial_targets {
            let link = dial(config, peer, *address, deadline, offer).await?;
            links.insert(peer.clone(), link);
        }
        Ok::<_, TransportError>(links)
    };
    let accept_all = async {
        let mut pending = inbound;
        let mut links = BTreeMap::new();
        while !pending.is_empty() {
            let (peer, connected) = accept(listener, config, &pending, deadline, offer).await?;
            pending.remove(&peer);
            links.insert(peer, connected);
        }
        Ok(links)
    };
    let (mut dialed, accepted) = tokio::try_join!(dial_all, accept_all)?;
    dialed.extend(accepted);
    Ok(dialed)
}

/// Dials `peer` until it answers or the deadline passes, then handshakes.
pub(crate) async fn dial(
    config: &TcpConfig,
    peer: &Role,
    address: SocketAddr,
    deadline: Instant,
    offer: &Offer<'_>,
) -> Result<Connected, TransportError> {
    let mut backoff = config.initial_backoff;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let last_error = match timeout_at(deadline, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let mut link = Link::new(stream, config.max_frame_length);
                let hint = format!("{peer} at {address}");
                let setup = async {
                    handshake(&mut link, config, ExpectedPeer::Exactly(peer), &hint).await?;
                    exchange_resume(&mut link, peer, offer)
                        .await
                        .map_err(|reason| handshake_failed(config, &hint, reason))
                };
                return match timeout_at(deadline, setup).await {
                    Ok(result) => result.map(|resume| (link, resume)),
                    Err(_) => Err(handshake_failed(
                        config,
                        &hint,
                        "no answer before the connection deadline".into(),
                    )),
                };
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the connection deadline passed".to_string(),
        };
        let retry_at = Instant::now() + backoff;
        if retry_at >= deadline {
            return Err(TransportError::ConnectDeadline {
                role: config.role.clone(),
                peer: peer.clone(),
                address,
                deadline: config.connect_deadline,
                attempts,
                last_error,
            });
        }
        sleep_until(retry_at).await;
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

/// Accepts one connection from any role in `expected` and handshakes it.
pub(crate) async fn accept(
    listener: &TcpListener,
    config: &TcpConfig,
    expected: &BTreeSet<Role>,
    deadline: Instant,
    offer: &Offer<'_>,
) -> Result<(Role, Connected), TransportError> {
    let (stream, address) = match timeout_at(deadline, listener.accept()).await {
        Err(_) => return Err(accept_deadline(config, expected)),
        Ok(Err(e)) => {
            return Err(TransportError::Listen {
                role: config.role.clone(),
                message: e.to_string(),
            })
        }
        Ok(Ok(accepted)) => accepted,
    };
    handshake_accepted(stream, address, config, expected, deadline, offer).await
}

/// Handshakes a connection accepted from `address`.
pub(crate) async fn handshake_accepted(
    stream: TcpStream,
    address: SocketAddr,
    config: &TcpConfig,
    expected: &BTreeSet<Role>,
    deadline: Instant,
    offer: &Offer<'_>,
) -> Result<(Role, Connected), TransportError> {
    let mut link = Link::new(stream, config.max_frame_length);
    let hint = format!("a peer at {address}");
    let setup = async {
        let peer = handshake(&mut link, config, ExpectedPeer::AnyOf(expected), &hint).await?;
        let resume = exchange_resume(&mut link, &peer, offer)
            .await
            .map_err(|reason| handshake_failed(config, peer.as_str(), reason))?;
        Ok::<_, TransportError>((peer, resume))
    };
    match timeout_at(deadline, setup).await {
        Err(_) => Err(accept_deadline(config, expected)),
        Ok(result) => result.map(|(peer, resume)| (peer, (link, resume))),
    }
}

/// The roles in `expected` did not call (or finish their handshake) in time.
fn accept_deadline(config: &TcpConfig, expected: &BTreeSet<Role>) -> TransportError {
    TransportError::AcceptDeadline {
        role: config.role.clone(),
        missing: expected.iter().cloned().collect(),
        deadline: config.connect_deadline,
    }
}

fn handshake_failed(config: &TcpConfig, peer: &str, reason: String) -> TransportError {
    TransportError::Handshake {
        role: config.role.clone(),
        peer: peer.to_string(),
        reason,
    }
}
