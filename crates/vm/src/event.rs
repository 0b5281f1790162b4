//! Observable events: what the machine did, tick by tick.

use crate::coroutine::BlockReason;
use crate::fault::Fault;
use crate::ids::{CoroId, SessionId, Tick};
use crate::topology::TopologyEvent;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use telltale_compiler::{LabelId, RoleId, Value};

/// A message movement on one edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageEvent {
    /// Scheduler tick.
    pub tick: Tick,
    /// Session.
    pub session: SessionId,
    /// Sending role.
    pub from: RoleId,
    /// Receiving role.
    pub to: RoleId,
    /// Label.
    pub label: LabelId,
    /// The edge sequence number of the message.
    pub seq: u64,
    /// Payload.
    pub payload: Value,
}

/// One entry of the observable trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ObsEvent {
    /// A session was opened.
    Opened {
        /// Tick.
        tick: Tick,
        /// Session.
        session: SessionId,
        /// Its roles.
        roles: Arc<[RoleId]>,
    },
    /// A single-label send was enqueued.
    Sent(MessageEvent),
    /// A choice was made and its label enqueued.
    Offered(MessageEvent),
    /// A single-label message was received.
    Received(MessageEvent),
    /// A choice message was received and branched on.
    Chose(MessageEvent),
    /// A message was dropped by the `Drop` policy.
    Dropped(MessageEvent),
    /// A queued message was lost in transit: a fault the world injected
    /// (the explorer's drop budget), not a buffer policy.
    Lost(MessageEvent),
    /// An unread message was overwritten (latest-value mode).
    Overwritten(MessageEvent),
    /// A buffer grew under the `Resize` policy.
    BufferResized {
        /// Tick.
        tick: Tick,
        /// Session.
        session: SessionId,
        /// Sender.
        from: RoleId,
        /// Receiver.
        to: RoleId,
        /// New capacity.
        capacity: u64,
    },
    /// A host step ran.
    Invoked {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// Action number.
        action: u16,
        /// For an effect call: the site performed (an index into the
        /// image's effect table) and the outcome it returned.
        effect: Option<(u16, Value)>,
    },
    /// A coroutine blocked.
    Blocked {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// Why.
        reason: BlockReason,
    },
    /// A coroutine yielded.
    Yielded {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
    },
    /// A coroutine started another one with `Spawn`.
    Spawned {
        /// Tick.
        tick: Tick,
        /// The spawning coroutine.
        parent: CoroId,
        /// The new coroutine.
        child: CoroId,
        /// The child's first instruction.
        pc: u32,
    },
    /// A coroutine finished.
    Halted {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
    },
    /// A coroutine entered its failure branch (always followed by `Faulted`).
    FailureBranchEntered {
        /// Tick.
        tick: Tick,
        /// Session.
        session: SessionId,
        /// Coroutine.
        coro: CoroId,
        /// The fault.
        fault: Arc<Fault>,
    },
    /// A coroutine faulted.
    Faulted {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// The fault.
        fault: Arc<Fault>,
    },
    /// A session was closed.
    Closed {
        /// Tick.
        tick: Tick,
        /// Session.
        session: SessionId,
    },
    /// A session's epoch advanced (after close).
    EpochAdvanced {
        /// Tick.
        tick: Tick,
        /// Session.
        session: SessionId,
        /// The new epoch.
        epoch: u64,
    },
    /// A session timeout fired.
    TimeoutIssued {
        /// Tick.
        tick: Tick,
        /// Session.
        session: SessionId,
    },
    /// A timeout woke a coroutine blocked on a receive and it took the
    /// choice's `timeout` branch (no message was consumed; the branch's
    /// destination register holds `Unit`).
    TimeoutBranch {
        /// Tick.
        tick: Tick,
        /// Session.
        session: SessionId,
        /// The woken coroutine.
        coro: CoroId,
        /// The role it was waiting on.
        from: RoleId,
        /// The `timeout` label it took.
        label: LabelId,
    },
    /// A session was cancelled.
    Cancelled {
        /// Tick.
        tick: Tick,
        /// Session.
        session: SessionId,
    },
    /// A topology event was applied.
    Topology {
        /// Tick.
        tick: Tick,
        /// The event.
        event: TopologyEvent,
    },
    /// `Acquire` was granted a guard layer.
    Acquired {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// Guard layer.
        layer: u16,
    },
    /// `Release` gave back a guard layer.
    Released {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// Guard layer.
        layer: u16,
    },
    /// `Fork` opened a speculation scope.
    Forked {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// Ghost number.
        ghost: u16,
    },
    /// `Join` committed a speculation scope.
    Joined {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// Ghost number.
        ghost: u16,
    },
    /// `Join` was refused by the host; the scope was rolled back.
    JoinRejected {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// Ghost number.
        ghost: u16,
    },
    /// `Abort` rolled a speculation scope back.
    Aborted {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// Ghost number.
        ghost: u16,
    },
    /// `Transfer` moved an endpoint to another coroutine.
    Delegated {
        /// Tick.
        tick: Tick,
        /// Session of the endpoint.
        session: SessionId,
        /// Role of the endpoint.
        role: RoleId,
        /// The previous owner.
        from: CoroId,
        /// The new owner.
        to: CoroId,
    },
    /// `Tag` added (or found) a knowledge fact.
    Tagged {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// The fact's tag (its index in the knowledge base).
        index: u64,
    },
    /// The handler gave an output-condition hint for the step just taken
    /// (e.g. a scripted host flagging a degraded effect outcome).
    Hinted {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// The hint's tag.
        tag: String,
    },
    /// `Check` asked whether a fact is known, for a permitted role.
    Checked {
        /// Tick.
        tick: Tick,
        /// Coroutine.
        coro: CoroId,
        /// The role the fact would be revealed to.
        role: RoleId,
        /// Whether the fact is known.
        known: bool,
    },
}

/// The tick field of an event, borrowed as `$r` (`&` or `&mut`): one
/// match serves both [`ObsEvent::tick`] and [`ObsEvent::untimed`].
macro_rules! tick_field {
    ($event:expr, $($r:tt)+) => {
        match $event {
            ObsEvent::Sent(m)
            | ObsEvent::Offered(m)
            | ObsEvent::Received(m)
            | ObsEvent::Chose(m)
            | ObsEvent::Dropped(m)
            | ObsEvent::Lost(m)
            | ObsEvent::Overwritten(m) => $($r)+ m.tick,
            ObsEvent::Opened { tick, .. }
            | ObsEvent::BufferResized { tick, .. }
            | ObsEvent::Invoked { tick, .. }
            | ObsEvent::Blocked { tick, .. }
            | ObsEvent::Yielded { tick, .. }
            | ObsEvent::Spawned { tick, .. }
            | ObsEvent::Halted { tick, .. }
            | ObsEvent::FailureBranchEntered { tick, .. }
            | ObsEvent::Faulted { tick, .. }
            | ObsEvent::Closed { tick, .. }
            | ObsEvent::EpochAdvanced { tick, .. }
            | ObsEvent::TimeoutIssued { tick, .. }
            | ObsEvent::TimeoutBranch { tick, .. }
            | ObsEvent::Cancelled { tick, .. }
            | ObsEvent::Topology { tick, .. }
            | ObsEvent::Acquired { tick, .. }
            | ObsEvent::Released { tick, .. }
            | ObsEvent::Forked { tick, .. }
            | ObsEvent::Joined { tick, .. }
            | ObsEvent::JoinRejected { tick, .. }
            | ObsEvent::Aborted { tick, .. }
            | ObsEvent::Delegated { tick, .. }
            | ObsEvent::Tagged { tick, .. }
            | ObsEvent::Hinted { tick, .. }
            | ObsEvent::Checked { tick, .. } => tick,
        }
    };
}

impl ObsEvent {
    /// The tick the event happened at.
    pub fn tick(&self) -> Tick {
        *tick_field!(self, &)
    }

    /// The event with its tick set to 0: what a session's trace is compared
    /// on across runs whose clocks differ (e.g. different thread counts).
    pub fn untimed(&self) -> ObsEvent {
        let mut e = self.clone();
        *tick_field!(&mut e, &mut) = 0;
        e
    }

    /// The session the event names directly (messages, lifecycle, topology).
    pub fn session(&self) -> Option<SessionId> {
        match self {
            ObsEvent::Sent(m)
            | ObsEvent::Offered(m)
            | ObsEvent::Received(m)
            | ObsEvent::Chose(m)
            | ObsEvent::Dropped(m)
            | ObsEvent::Lost(m)
            | ObsEvent::Overwritten(m) => Some(m.session),
            ObsEvent::Opened { session, .. }
            | ObsEvent::BufferResized { session, .. }
            | ObsEvent::FailureBranchEntered { session, .. }
            | ObsEvent::Closed { session, .. }
            | ObsEvent::EpochAdvanced { session, .. }
            | ObsEvent::TimeoutIssued { session, .. }
            | ObsEvent::TimeoutBranch { session, .. }
            | ObsEvent::Cancelled { session, .. }
            | ObsEvent::Delegated { session, .. } => Some(*session),
            ObsEvent::Topology { event, .. } => Some(event.session()),
            _ => None,
        }
    }

    /// The coroutine the event is about, for events that name no session.
    pub fn coro(&self) -> Option<CoroId> {
        match self {
            ObsEvent::Invoked { coro, .. }
            | ObsEvent::Blocked { coro, .. }
            | ObsEvent::Yielded { coro, .. }
            | ObsEvent::Halted { coro, .. }
            | ObsEvent::Faulted { coro, .. }
            | ObsEvent::Acquired { coro, .. }
            | ObsEvent::Released { coro, .. }
            | ObsEvent::Forked { coro, .. }
            | ObsEvent::Joined { coro, .. }
            | ObsEvent::JoinRejected { coro, .. }
            | ObsEvent::Aborted { coro, .. }
            | ObsEvent::Tagged { coro, .. }
            | ObsEvent::Hinted { coro, .. }
            | ObsEvent::Checked { coro, .. }
            | ObsEvent::Spawned { parent: coro, .. } => Some(*coro),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stay_small() {
        assert!(
            std::mem::size_of::<ObsEvent>() <= 64,
            "{}",
            std::mem::size_of::<ObsEvent>()
        );
    }
}
