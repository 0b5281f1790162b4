//! Connection establishment: dial, accept, handshake, with retry until a deadline.

use crate::config::TcpConfig;
use crate::error::TransportError;
use crate::handshake::{handshake, ExpectedPeer, Link};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use telltale_types::Role;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep_until, timeout_at, Instant};

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
) -> Result<BTreeMap<Role, Link>, TransportError> {
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
            let link = dial(config, peer, *address, deadline).await?;
            links.insert(peer.clone(), link);
        }
        Ok::<_, TransportError>(links)
    };
    let (mut dialed, accepted) =
        tokio::try_join!(dial_all, accept_all(listener, config, inbound, deadline))?;
    dialed.extend(accepted);
    Ok(dialed)
}

/// Dials `peer` until it answers or the deadline passes, then handshakes.
async fn dial(
    config: &TcpConfig,
    peer: &Role,
    address: SocketAddr,
    deadline: Instant,
) -> Result<Link, TransportError> {
    let mut backoff = config.initial_backoff;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let last_error = match timeout_at(deadline, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let mut link = Link::new(stream, config.max_frame_length);
                let hint = format!("{peer} at {address}");
                return match timeout_at(
                    deadline,
                    handshake(&mut link, config, ExpectedPeer::Exactly(peer), &hint),
                )
                .await
                {
                    Ok(result) => result.map(|_| link),
                    Err(_) => Err(TransportError::Handshake {
                        role: config.role.clone(),
                        peer: hint,
                        reason: "no answer before the connection deadline".into(),
                    }),
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

/// Accepts connections until every peer in `pending` has connected.
async fn accept_all(
    listener: &TcpListener,
    config: &TcpConfig,
    mut pending: BTreeSet<Role>,
    deadline: Instant,
) -> Result<BTreeMap<Role, Link>, TransportError> {
    let mut links = BTreeMap::new();
    let missing = |pending: &BTreeSet<Role>| TransportError::AcceptDeadline {
        role: config.role.clone(),
        missing: pending.iter().cloned().collect(),
        deadline: config.connect_deadline,
    };
    while !pending.is_empty() {
        let (stream, address) = match timeout_at(deadline, listener.accept()).await {
            Err(_) => return Err(missing(&pending)),
            Ok(Err(e)) => {
                return Err(TransportError::Listen {
                    role: config.role.clone(),
                    message: e.to_string(),
                })
            }
            Ok(Ok(accepted)) => accepted,
        };
        let mut link = Link::new(stream, config.max_frame_length);
        let hint = format!("a peer at {address}");
        let peer = match timeout_at(
            deadline,
            handshake(&mut link, config, ExpectedPeer::AnyOf(&pending), &hint),
        )
        .await
        {
            Err(_) => return Err(missing(&pending)),
            Ok(result) => result?,
        };
        pending.remove(&peer);
        links.insert(peer, link);
    }
    Ok(links)
}
