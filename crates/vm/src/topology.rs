//! Topology events: crashes, partitions, timeouts and cancellations that
//! the handler injects once per scheduler round.

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
    /// The session is cancelled after `after_ticks` more ticks.
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
}
