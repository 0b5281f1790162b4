//! Errors of the choreography runtime.

use std::time::Duration;
use telltale_types::Role;
use thiserror::Error;

/// The result of every choreography operation.
pub type ChoreoResult<T> = Result<T, ChoreoError>;

/// Everything that can go wrong while a role runs its part of a protocol.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ChoreoError {
    /// An operation did not complete within its time limit.
    #[error("role {role}: timed out after {after:?}")]
    Timeout {
        /// The role whose operation timed out.
        role: Role,
        /// The time limit that was exceeded.
        after: Duration,
    },
    /// The peer is gone: its handler was dropped or its connection closed.
    #[error("peer {peer} disconnected")]
    Disconnected {
        /// The role that went away.
        peer: Role,
    },
    /// A peer sent something the protocol does not allow at this point.
    #[error("role {role}: protocol violation by {peer}: expected {expected}, got {got}")]
    ProtocolViolation {
        /// The role that detected the violation.
        role: Role,
        /// The role that sent the offending message.
        peer: Role,
        /// What the protocol allows here.
        expected: String,
        /// What actually arrived.
        got: String,
    },
    /// A payload could not be encoded or decoded.
    #[error("codec error ({context}): {message}")]
    Codec {
        /// What was being encoded or decoded.
        context: String,
        /// The underlying codec's message.
        message: String,
    },
    /// The transport failed to move a message to or from a peer.
    #[error("transport error with peer {peer}: {message}")]
    Transport {
        /// The peer of the failed exchange.
        peer: Role,
        /// What went wrong.
        message: String,
    },
    /// An operation named a role this handler has no connection to.
    #[error("role {role}: no channel to unknown peer {peer}")]
    UnknownPeer {
        /// The role running the operation.
        role: Role,
        /// The peer that is not connected.
        peer: Role,
    },
    /// The handler cannot perform this operation at all.
    #[error("{handler} does not support {operation}")]
    Unsupported {
        /// The handler type.
        handler: &'static str,
        /// The operation that was refused.
        operation: &'static str,
    },
    /// A failure injected on purpose by fault-injection middleware.
    #[error("role {role}: injected fault on {operation} with {peer}")]
    InjectedFault {
        /// The role whose operation failed.
        role: Role,
        /// The peer of the operation.
        peer: Role,
        /// The operation that failed.
        operation: &'static str,
    },
    /// The decider could not make a choice or produce a payload.
    #[error("role {role}: decision failed: {reason}")]
    Decision {
        /// The role that needed a decision.
        role: Role,
        /// Why no decision was made.
        reason: String,
    },
    /// A program is malformed (unbound loop name, jump out of a parallel branch, ...).
    #[error("invalid program: {reason}")]
    InvalidProgram {
        /// What is wrong with it.
        reason: String,
    },
    /// The interpreter stopped after the configured number of steps.
    #[error("role {role}: step limit of {limit} reached")]
    StepLimit {
        /// The role whose program was stopped.
        role: Role,
        /// The configured limit.
        limit: u64,
    },
}

impl ChoreoError {
    /// Whether retrying the same operation may succeed (transient failures only).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ChoreoError::Transport { .. } | ChoreoError::InjectedFault { .. }
        )
    }
}

/// A typed payload that does not encode or decode is a codec error.
impl From<telltale_types::value::ValueCodecError> for ChoreoError {
    fn from(e: telltale_types::value::ValueCodecError) -> Self {
        ChoreoError::Codec {
            context: e.context,
            message: e.message,
        }
    }
}
