//! Coroutines: one per (session, role), each running its role's program.

use crate::effect::EffectContext;
use crate::fault::Fault;
use crate::ids::{CoroId, SessionId, Tick};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use telltale_compiler::{Pc, RoleId, StateId, Value};

/// Why a coroutine waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlockReason {
    /// Waiting for a message from `from`.
    Recv {
        /// The sending role.
        from: RoleId,
    },
    /// Waiting for room in the buffer to `to`.
    Send {
        /// The receiving role.
        to: RoleId,
    },
    /// The edge to `to` is partitioned.
    Partitioned {
        /// The receiving role.
        to: RoleId,
    },
    /// The handler answered `Block` to an `Acquire`; retried every round.
    Guard {
        /// The guard layer.
        layer: u16,
    },
    /// The handler's `step` answered `EffectError::blocked` to an
    /// `Invoke`; retried every round.
    Effect {
        /// The `Invoke`'s action number.
        action: u16,
    },
}

/// The scheduling status of a coroutine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CoroStatus {
    /// Runnable.
    Ready,
    /// Waiting.
    Blocked(BlockReason),
    /// Finished at `end`.
    Done,
    /// Stopped by a fault.
    Faulted(Arc<Fault>),
    /// Stopped because its session was cancelled or closed under it.
    Cancelled,
}

impl CoroStatus {
    /// Whether the coroutine will never run again.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            CoroStatus::Done | CoroStatus::Faulted(_) | CoroStatus::Cancelled
        )
    }
}

/// A coroutine's state (`Clone` reuses storage: `explore/clone_into.rs`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Coroutine {
    /// Unique id.
    pub id: CoroId,
    /// The session it belongs to.
    pub session: SessionId,
    /// Slot of the session in the store.
    pub(crate) session_slot: u32,
    /// Its role.
    pub role: RoleId,
    /// Index of its role entry in the code image.
    pub(crate) entry: u16,
    /// Program counter.
    pub pc: Pc,
    /// Register file.
    pub registers: Box<[Value]>,
    /// Status.
    pub status: CoroStatus,
    /// Monitor state of its endpoint.
    pub monitor_state: StateId,
    /// Scheduling priority (higher runs first under `Priority`).
    pub priority: u8,
    /// Progress tokens: messages that arrived for it and are not consumed.
    pub progress_tokens: u32,
    /// Whether it is in the ready queue.
    pub(crate) queued: bool,
    /// Guard, speculation, ownership and knowledge state (`None` until one
    /// of those instructions runs; see `coro_ext`).
    pub(crate) ext: Option<Box<crate::coro_ext::CoroExt>>,
}

/// A read-only summary of a coroutine for hosts and tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoroutineView {
    /// Id.
    pub id: CoroId,
    /// Session.
    pub session: SessionId,
    /// Role.
    pub role: RoleId,
    /// Program counter.
    pub pc: Pc,
    /// Status.
    pub status: CoroStatus,
    /// Monitor state.
    pub monitor_state: StateId,
    /// Registers.
    pub registers: Vec<Value>,
}

impl Coroutine {
    /// Who is calling the effect handler, for every callback this
    /// coroutine's step makes at `tick`.
    #[inline]
    pub(crate) fn effect_context(&self, tick: Tick) -> EffectContext {
        EffectContext {
            tick,
            session: self.session,
            coro: self.id,
            role: self.role,
        }
    }

    /// A summary for hosts.
    pub fn view(&self) -> CoroutineView {
        CoroutineView {
            id: self.id,
            session: self.session,
            role: self.role,
            pc: self.pc,
            status: self.status.clone(),
            monitor_state: self.monitor_state,
            registers: self.registers.to_vec(),
        }
    }
}
