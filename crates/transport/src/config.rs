//! `TcpConfig`: everything one role needs to join a TCP deployment.

use crate::error::TransportError;
use crate::key_file::public_key_hex;
use crate::roster::Roster;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use telltale_types::{ContentId, Role};

/// The settings of one role's TCP handler.
///
/// Build it with [`TcpConfig::new`] or [`TcpConfig::from_roster`] and adjust
/// fields with struct update syntax.
#[derive(Clone, Debug)]
pub struct TcpConfig {
    /// The local role.
    pub role: Role,
    /// The content id of the protocol's global type; peers must run the same.
    pub protocol_id: ContentId,
    /// Every peer's listening address.
    pub peers: BTreeMap<Role, SocketAddr>,
    /// The local role's key; `Some` makes every connection a secure
    /// channel (Noise, with the peers' keys from `peer_keys`).
    pub identity: Option<SigningKey>,
    /// Plaintext frames, asked for explicitly (local experiments only):
    /// without a key, a configuration that does not say so is refused.
    pub insecure: bool,
    /// Each peer's public key (required for every peer with `identity`).
    pub peer_keys: BTreeMap<Role, VerifyingKey>,
    /// How long connection setup (dialing, accepting, handshakes) may take.
    pub connect_deadline: Duration,
    /// The first pause between failed connection attempts.
    pub initial_backoff: Duration,
    /// The longest pause between failed connection attempts.
    pub max_backoff: Duration,
    /// How long one send may take.
    pub send_timeout: Duration,
    /// How long a receive waits for a frame.
    pub recv_timeout: Duration,
    /// The largest frame accepted, in bytes.
    pub max_frame_length: usize,
    /// How long a broken connection may stay away: within it, the
    /// connection is re-established (with backoff) and resumes where it
    /// stopped; past it, the peer is `Disconnected`. Zero never resumes.
    pub resume_grace: Duration,
    /// How many sent data frames per peer may wait for the peer's
    /// acknowledgement (kept to be sent again after a reconnect); a send
    /// beyond it waits for acknowledgements (back-pressure).
    pub unacked_limit: usize,
}

impl TcpConfig {
    /// A configuration with default timeouts (10 s to connect, 30 s per
    /// send or receive, 3 s to resume a broken connection, 8 MiB frames,
    /// 4,096 unacknowledged frames per peer) and no key yet: give it one
    /// (`identity`, `peer_keys`, or [`TcpConfig::from_roster`]) for a secure
    /// channel, or call [`TcpConfig::insecure`] for plaintext.
    pub fn new(
        role: impl Into<Role>,
        protocol_id: ContentId,
        peers: BTreeMap<Role, SocketAddr>,
    ) -> Self {
        TcpConfig {
            role: role.into(),
            protocol_id,
            peers,
            identity: None,
            insecure: false,
            peer_keys: BTreeMap::new(),
            connect_deadline: Duration::from_secs(10),
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(500),
            send_timeout: Duration::from_secs(30),
            recv_timeout: Duration::from_secs(30),
            max_frame_length: 8 * 1024 * 1024,
            resume_grace: Duration::from_secs(3),
            unacked_limit: 4096,
        }
    }

    /// This configuration with plaintext frames: anyone on the path can
    /// read, alter, drop or inject them. For local experiments only; a
    /// configuration with keys stays secure.
    pub fn insecure(mut self) -> Self {
        self.insecure = true;
        self
    }

    /// A configuration for `role` from a roster: every other role is a peer,
    /// with its key when the roster has one. Returns also the local role's
    /// own listening address.
    pub fn from_roster(
        role: impl Into<Role>,
        protocol_id: ContentId,
        roster: &Roster,
        identity: Option<SigningKey>,
    ) -> Result<(Self, SocketAddr), TransportError> {
        let role = role.into();
        let own = roster
            .roles
            .get(&role)
            .ok_or_else(|| TransportError::Config(format!("role {role} is not in the roster")))?;
        let mut peers = BTreeMap::new();
        let mut peer_keys = BTreeMap::new();
        for (peer, entry) in roster.roles.iter().filter(|(r, _)| **r != role) {
            peers.insert(peer.clone(), entry.address);
            if let Some(key) = entry.public_key {
                peer_keys.insert(peer.clone(), key);
            }
        }
        match (&identity, own.public_key) {
            (Some(key), Some(pinned)) if key.verifying_key() != pinned => {
                return Err(TransportError::Config(format!(
                    "the private key given for role {role} is not the one the roster pins (roster: {}, key: {})",
                    public_key_hex(&pinned),
                    public_key_hex(&key.verifying_key())
                )));
            }
            (None, Some(_)) => {
                return Err(TransportError::Config(format!(
                    "the roster pins a public key for role {role}: give its private key (`tell serve --key FILE`)"
                )));
            }
            _ => {}
        }
        let config = TcpConfig {
            identity,
            peer_keys,
            ..TcpConfig::new(role, protocol_id, peers)
        };
        Ok((config, own.address))
    }

    /// Checks that the configuration can work at all.
    pub fn validate(&self) -> Result<(), TransportError> {
        if self.peers.contains_key(&self.role) {
            return Err(TransportError::Config(format!(
                "role {} lists itself as a peer",
                self.role
            )));
        }
        if self.unacked_limit < 2 {
            return Err(TransportError::Config(format!(
                "role {}: unacked_limit must be at least 2 frames, not {}",
                self.role, self.unacked_limit
            )));
        }
        if self.identity.is_none() && self.peer_keys.is_empty() && !self.insecure {
            return Err(TransportError::Config(format!(
                "role {} has no key, so its frames would travel in plaintext: give every role a key (`tell keygen`, and its public key in the roster) for a secure channel, or ask for plaintext explicitly (`tell serve --insecure`, `TcpConfig::insecure`)",
                self.role
            )));
        }
        if self.identity.is_none() && !self.peer_keys.is_empty() {
            return Err(TransportError::Config(format!(
                "role {} has no private key, but the roster pins public keys: a roster with keys means every role proves its key (make one with `tell keygen`)",
                self.role
            )));
        }
        if self.identity.is_some() {
            let missing: Vec<&str> = self
                .peers
                .keys()
                .filter(|p| !self.peer_keys.contains_key(*p))
                .map(Role::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(TransportError::Config(format!(
                    "role {} authenticates peers but has no public key for {}",
                    self.role,
                    missing.join(", ")
                )));
            }
        }
        Ok(())
    }
}
