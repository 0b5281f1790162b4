//! Errors of the TCP transport.

use std::net::SocketAddr;
use std::time::Duration;
use telltale_choreography::ChoreoError;
use telltale_types::{ContentId, Role};
use thiserror::Error;

/// Everything that can go wrong while setting up or using TCP connections.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TransportError {
    /// The listening socket could not be opened or read.
    #[error("role {role}: cannot listen: {message}")]
    Listen {
        /// The local role.
        role: Role,
        /// The I/O error.
        message: String,
    },
    /// A peer could not be reached before the connection deadline.
    #[error("role {role}: could not connect to {peer} at {address} within {deadline:?} ({attempts} attempts, last error: {last_error})")]
    ConnectDeadline {
        /// The local role.
        role: Role,
        /// The unreachable peer.
        peer: Role,
        /// Where it was expected.
        address: SocketAddr,
        /// The configured deadline.
        deadline: Duration,
        /// How many connection attempts were made.
        attempts: u32,
        /// The error of the last attempt.
        last_error: String,
    },
    /// Not all expected peers connected before the deadline.
    #[error("role {role}: peers {} did not connect within {deadline:?}", missing.iter().map(Role::as_str).collect::<Vec<_>>().join(", "))]
    AcceptDeadline {
        /// The local role.
        role: Role,
        /// The peers that never connected, in name order.
        missing: Vec<Role>,
        /// The configured deadline.
        deadline: Duration,
    },
    /// The two ends run different protocols.
    #[error("role {role}: peer {peer} runs protocol {theirs}, but this role runs protocol {ours}; connection refused")]
    ProtocolMismatch {
        /// The local role.
        role: Role,
        /// The peer.
        peer: Role,
        /// The local protocol's content id.
        ours: ContentId,
        /// The peer's protocol's content id.
        theirs: ContentId,
    },
    /// The peer announced a role that should not be on this connection.
    #[error("role {role}: expected a connection from {expected}, but the peer says it is {got}")]
    UnexpectedPeer {
        /// The local role.
        role: Role,
        /// Which role(s) were acceptable here.
        expected: String,
        /// The role the peer claimed.
        got: String,
    },
    /// The peer could not prove its identity, or authentication was
    /// configured on one end only.
    #[error("role {role}: authentication of {peer} failed: {reason}")]
    Authentication {
        /// The local role.
        role: Role,
        /// The peer.
        peer: Role,
        /// Why it failed.
        reason: String,
    },
    /// The handshake broke off or sent something unexpected.
    #[error("role {role}: handshake with {peer} failed: {reason}")]
    Handshake {
        /// The local role.
        role: Role,
        /// The peer (or its address when its role is not known yet).
        peer: String,
        /// What went wrong.
        reason: String,
    },
    /// A frame could not be encoded or decoded.
    #[error("frame codec error with {peer}: {message}")]
    Codec {
        /// The peer of the connection.
        peer: Role,
        /// The codec's message.
        message: String,
    },
    /// A frame arrived out of sequence.
    #[error("frame from {peer} out of sequence: {detail}")]
    Sequence {
        /// The sender.
        peer: Role,
        /// Duplicate or gap, with numbers.
        detail: crate::sequence::SequenceError,
    },
    /// The roster file is not valid.
    #[error("invalid roster: {0}")]
    Roster(String),
    /// The configuration is inconsistent.
    #[error("invalid transport configuration: {0}")]
    Config(String),
    /// A benchmark workload (see [`crate::bench`]) could not run to the end.
    #[error("benchmark {workload}: {reason}")]
    Bench {
        /// The workload, e.g. `tcp-pingpong`.
        workload: String,
        /// What went wrong.
        reason: String,
    },
}

/// Transport errors surface to choreography code as transport errors
/// naming the peer, except handshake refusals, which keep their full text.
impl From<TransportError> for ChoreoError {
    fn from(error: TransportError) -> Self {
        let peer = match &error {
            TransportError::ConnectDeadline { peer, .. }
            | TransportError::ProtocolMismatch { peer, .. }
            | TransportError::Authentication { peer, .. }
            | TransportError::Codec { peer, .. }
            | TransportError::Sequence { peer, .. } => peer.clone(),
            TransportError::Listen { role, .. }
            | TransportError::AcceptDeadline { role, .. }
            | TransportError::UnexpectedPeer { role, .. }
            | TransportError::Handshake { role, .. } => role.clone(),
            TransportError::Roster(_)
            | TransportError::Config(_)
            | TransportError::Bench { .. } => Role::new("?"),
        };
        ChoreoError::Transport {
            peer,
            message: error.to_string(),
        }
    }
}
