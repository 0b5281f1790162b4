//! Host-contract assertions (`Config::host_contract_assertions`): the
//! handler's identity must not change between rounds, and the topology
//! events of one round must be strictly increasing in the deterministic
//! key (sorted, no duplicates). A broken contract stops the run with
//! [`crate::ProtocolMachineError::HostContract`] naming what broke.

use crate::ids::Tick;
use crate::topology::TopologyEvent;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which host contract a handler broke.
#[derive(Clone, Debug, Error, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostContractViolation {
    /// `handler_identity()` returned a different string than in an earlier
    /// round.
    #[error("handler identity changed from `{before}` to `{after}` at tick {tick}")]
    HandlerIdentityChanged {
        /// Tick of the round that saw the change.
        tick: Tick,
        /// The identity first seen.
        before: String,
        /// The identity returned now.
        after: String,
    },
    /// `topology_events()` returned the same event twice in one round.
    #[error(
        "topology events at tick {tick}: event {index} duplicates the previous one ({event:?})"
    )]
    DuplicateTopologyEvent {
        /// Tick of the round.
        tick: Tick,
        /// Index of the duplicate in the returned list.
        index: usize,
        /// The duplicated event.
        event: TopologyEvent,
    },
    /// `topology_events()` returned events out of the deterministic order.
    #[error(
        "topology events at tick {tick} are not sorted: event {index} ({event:?}) sorts before the previous one ({previous:?})"
    )]
    UnorderedTopologyEvents {
        /// Tick of the round.
        tick: Tick,
        /// Index of the first event out of order.
        index: usize,
        /// That event.
        event: TopologyEvent,
        /// The event before it.
        previous: TopologyEvent,
    },
}

/// Checks that one round's events are strictly increasing.
pub(crate) fn check_topology_order(
    events: &[TopologyEvent],
    tick: Tick,
) -> Result<(), HostContractViolation> {
    for (i, w) in events.windows(2).enumerate() {
        if w[0] == w[1] {
            return Err(HostContractViolation::DuplicateTopologyEvent {
                tick,
                index: i + 1,
                event: w[1].clone(),
            });
        }
        if w[1] < w[0] {
            return Err(HostContractViolation::UnorderedTopologyEvents {
                tick,
                index: i + 1,
                event: w[1].clone(),
                previous: w[0].clone(),
            });
        }
    }
    Ok(())
}
