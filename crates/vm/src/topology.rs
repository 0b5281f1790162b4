//! Topology events: crashes, partitions, timeouts, cancellations and
//! corruption that the handler injects once per scheduler round.

use crate::ids::SessionId;
use serde::{Deserialize, Serialize};
use telltale_compiler::RoleId;

/// One topology event. The derived order is the deterministic key events
/// are sorted by before they are applied.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TopologyEvent {
    /// A role of a session crashes: its coroutine faults.
    Crash {
        /// Session.
        session: SessionId,
        /// Role.
        role: RoleId,
    },
    /// The edge stops delivering: its sender blocks.
    Partition {
        /// Session.
        session: SessionId,
        /// Sender.
        from: RoleId,
        /// Receiver.
        to: RoleId,
    },
    /// A partitioned edge delivers again.
    Heal {
        /// Session.
        session: SessionId,
        /// Sender.
        from: RoleId,
        /// Receiver.
        to: RoleId,
    },
    /// After `after_ticks` more ticks the session times out: each
    /// coroutine blocked on a receive takes its choice's `timeout` branch
    /// or faults with `Fault::TimedOut`; if none is waiting, the session is
    /// cancelled.
    Timeout {
        /// Session.
        session: SessionId,
        /// Delay in ticks.
        after_ticks: u64,
    },
    /// The session is cancelled now.
    Cancel {
        /// Session.
        session: SessionId,
    },
    /// The oldest in-flight message on the edge is corrupted: its payload
    /// is mangled and its signature (if any) altered, so a signed receiver
    /// faults with `Fault::SignatureInvalid`. Nothing happens on an empty
    /// edge.
    Corrupt {
        /// Session.
        session: SessionId,
        /// Sender.
        from: RoleId,
        /// Receiver.
        to: RoleId,
    },
}

impl TopologyEvent {
    /// The session the event is about.
    pub fn session(&self) -> SessionId {
        match self {
            TopologyEvent::Crash { session, .. }
            | TopologyEvent::Partition { session, .. }
            | TopologyEvent::Heal { session, .. }
            | TopologyEvent::Timeout { session, .. }
            | TopologyEvent::Corrupt { session, .. }
            | TopologyEvent::Cancel { session } => *session,
        }
    }
}
