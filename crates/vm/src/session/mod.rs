//! The session store: per-session roles, edges, buffers and lifecycle.

mod edge_table;

pub(crate) use edge_table::{EdgeLayout, EdgeTable};

use crate::buffer::{BoundedBuffer, BufferConfig};
use crate::ids::{HandlerId, IdMap, SessionId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use telltale_compiler::{LabelId, RoleId};

/// The lifecycle phase of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionStatus {
    /// Open and running.
    Active,
    /// Declared for graceful shutdown (close currently goes straight to `Closed`).
    Draining,
    /// Closed; reapable once its coroutines are terminal.
    Closed,
    /// Cancelled by the host or a timeout.
    Cancelled,
    /// A coroutine of the session faulted.
    Faulted,
}

/// One directed edge: its buffer, handler binding and wait flags.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Edge {
    pub(crate) buffer: BoundedBuffer,
    pub(crate) handler: HandlerId,
    pub(crate) next_send_seq: u64,
    pub(crate) next_recv_seq: u64,
    pub(crate) recv_waiting: bool,
    pub(crate) send_waiting: bool,
    pub(crate) partitioned: bool,
    /// The labels of messages the receiver missed (`or missed`) that have
    /// not arrived yet, in order: they are discarded when they arrive.
    #[serde(default)]
    pub(crate) late_owed: Vec<LabelId>,
}

impl Edge {
    /// An empty edge bound to `handler`.
    pub(crate) fn new(config: &BufferConfig, handler: HandlerId) -> Self {
        Edge {
            buffer: BoundedBuffer::new(config),
            handler,
            next_send_seq: 0,
            next_recv_seq: 0,
            recv_waiting: false,
            send_waiting: false,
            partitioned: false,
            late_owed: Vec::new(),
        }
    }
}

/// A session: its roles, their coroutines and the edges between them.
#[derive(Debug, Serialize, Deserialize)]
pub struct Session {
    /// Unique id.
    pub id: SessionId,
    /// Lifecycle phase.
    pub status: SessionStatus,
    /// Close epoch counter.
    pub epoch: u64,
    /// Participating roles (image role ids).
    pub roles: Vec<RoleId>,
    pub(crate) width: usize,
    pub(crate) edges: EdgeTable,
    pub(crate) coro_slots: Vec<u32>,
    /// Coroutines started by `Spawn` inside the session (not tied to a role
    /// slot: messages wake the role's own coroutine).
    pub(crate) spawned: Vec<u32>,
    pub(crate) opener: Option<u32>,
    /// Keys and hash chains when messages are authenticated.
    pub(crate) auth: Option<Box<crate::auth::SessionAuth>>,
    /// Consumed identities and accumulator roots when a strict replay mode
    /// is on (dropped when the session finishes).
    pub(crate) replay: Option<Box<crate::replay::consumption::SessionReplay>>,
}

/// Marker for "no coroutine" in a session's role table.
pub(crate) const NO_SLOT: u32 = u32::MAX;

impl Session {
    /// The dense index of the edge `from -> to`, if the session has one.
    #[inline]
    pub(crate) fn checked_edge_index(&self, from: RoleId, to: RoleId) -> Option<usize> {
        let (from, to) = (usize::from(from), usize::from(to));
        if from >= self.width || to >= self.width {
            return None;
        }
        let i = from * self.width + to;
        self.edges.contains(i).then_some(i)
    }

    /// The edge `from -> to`, for writing, if the session has one.
    #[inline]
    pub(crate) fn edge_mut(&mut self, from: RoleId, to: RoleId) -> Option<&mut Edge> {
        let i = self.checked_edge_index(from, to)?;
        self.edges.get_mut(i)
    }

    /// The coroutine slot of a role, if the role takes part.
    #[inline]
    pub(crate) fn slot_of(&self, role: RoleId) -> Option<u32> {
        self.coro_slots
            .get(usize::from(role))
            .copied()
            .filter(|s| *s != NO_SLOT)
    }

    /// Every coroutine slot of the session: the role coroutines in role
    /// order, then the spawned ones in spawn order.
    pub(crate) fn member_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.coro_slots
            .iter()
            .copied()
            .filter(|s| *s != NO_SLOT)
            .chain(self.spawned.iter().copied())
    }

    /// The handler bound to the edge `from -> to` (`None`: the session
    /// has no such edge, as no program of it uses the pair).
    pub fn edge_handler(&self, from: RoleId, to: RoleId) -> Option<HandlerId> {
        let i = self.checked_edge_index(from, to)?;
        self.edges.get(i).map(|e| e.handler)
    }

    /// Number of messages queued on the edge `from -> to`.
    pub fn queued(&self, from: RoleId, to: RoleId) -> usize {
        self.checked_edge_index(from, to)
            .and_then(|i| self.edges.get(i))
            .map_or(0, |e| e.buffer.len())
    }
}

/// What remains of a reaped session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedSessionSummary {
    /// The session.
    pub session: SessionId,
    /// Its final epoch.
    pub epoch: u64,
    /// Its final status.
    pub status: SessionStatus,
}

/// All sessions, in a slab with slot reuse so reaped memory is recycled.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SessionStore {
    pub(crate) slots: Vec<Option<Session>>,
    pub(crate) free: Vec<u32>,
    /// Rebuilt from `slots` on restore.
    #[serde(skip)]
    pub(crate) index: IdMap<SessionId, u32>,
    pub(crate) next_id: SessionId,
    /// Distance between consecutive ids; 0 means 1 (a sharded runner gives
    /// shard `i` of `n` the ids `i, i + n, i + 2n, …`).
    pub(crate) id_stride: u64,
    pub(crate) active: usize,
    pub(crate) finished: Vec<SessionId>,
}

impl SessionStore {
    /// Makes the store allocate the ids `first, first + stride, …` from now
    /// on (`stride` 0 is taken as 1).
    pub(crate) fn set_id_sequence(&mut self, first: SessionId, stride: u64) {
        self.next_id = first;
        self.id_stride = stride;
    }

    /// Allocates a session of an image of `width` roles, with an edge at
    /// each pair `layout` has.
    pub(crate) fn allocate(
        &mut self,
        roles: Vec<RoleId>,
        width: usize,
        layout: Arc<EdgeLayout>,
        config: &BufferConfig,
        handlers: &[HandlerId],
    ) -> (SessionId, u32) {
        let id = self.next_id;
        self.next_id += self.id_stride.max(1);
        let edges = EdgeTable::new(layout, |i| {
            Edge::new(config, handlers.get(i).copied().unwrap_or(0))
        });
        let session = Session {
            id,
            status: SessionStatus::Active,
            epoch: 0,
            roles,
            width,
            edges,
            coro_slots: vec![NO_SLOT; width],
            spawned: Vec::new(),
            opener: None,
            auth: None,
            replay: None,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(session);
                slot
            }
            None => {
                self.slots.push(Some(session));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(id, slot);
        self.active += 1;
        (id, slot)
    }

    /// The slot of a session id.
    pub(crate) fn slot(&self, id: SessionId) -> Option<u32> {
        self.index.get(&id).copied()
    }

    /// A session by id.
    pub fn get(&self, id: SessionId) -> Option<&Session> {
        self.slot(id).and_then(|s| self.by_slot(s))
    }

    #[inline]
    pub(crate) fn by_slot(&self, slot: u32) -> Option<&Session> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    #[inline]
    pub(crate) fn by_slot_mut(&mut self, slot: u32) -> Option<&mut Session> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    /// The edge `from -> to` of the resident session `id`, for reading.
    pub(crate) fn edge(&self, id: SessionId, from: RoleId, to: RoleId) -> Option<&Edge> {
        let s = self.get(id)?;
        s.edges.get(s.checked_edge_index(from, to)?)
    }

    /// The edge `from -> to` of the resident session `id`, for writing.
    pub(crate) fn edge_mut(
        &mut self,
        id: SessionId,
        from: RoleId,
        to: RoleId,
    ) -> Option<&mut Edge> {
        let slot = self.slot(id)?;
        self.by_slot_mut(slot)?.edge_mut(from, to)
    }

    /// Moves an active session to a terminal phase (`Closed`, `Cancelled` or
    /// `Faulted`): clears its buffers and, for `Closed`, advances the epoch.
    /// Returns the new epoch.
    pub(crate) fn finish(&mut self, slot: u32, status: SessionStatus) -> Option<u64> {
        let session = self.slots.get_mut(slot as usize)?.as_mut()?;
        if !matches!(
            session.status,
            SessionStatus::Active | SessionStatus::Draining
        ) {
            return None;
        }
        session.status = status;
        // Close prunes the session's replay-consumption state.
        session.replay = None;
        for edge in session.edges.all_mut() {
            edge.buffer.clear();
            edge.recv_waiting = false;
            edge.send_waiting = false;
        }
        if status == SessionStatus::Closed {
            session.epoch += 1;
        }
        self.active -= 1;
        self.finished.push(session.id);
        Some(session.epoch)
    }

    /// Sessions that are no longer active and not yet reaped, oldest first.
    pub(crate) fn finished_ids(&self) -> &[SessionId] {
        &self.finished
    }

    /// Releases the given finished sessions.
    pub(crate) fn reap(&mut self, ids: &[SessionId]) -> Vec<ClosedSessionSummary> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(slot) = self.index.remove(id) {
                if let Some(s) = self.slots[slot as usize].take() {
                    out.push(ClosedSessionSummary {
                        session: s.id,
                        epoch: s.epoch,
                        status: s.status,
                    });
                }
                self.free.push(slot);
            }
        }
        let reaped: std::collections::BTreeSet<SessionId> = ids.iter().copied().collect();
        self.finished.retain(|id| !reaped.contains(id));
        if self.index.is_empty() {
            self.index.shrink_to_fit();
        }
        out
    }

    /// Number of active sessions.
    pub fn active_count(&self) -> usize {
        self.active
    }

    /// Number of resident sessions, including finished ones not yet reaped.
    pub fn live_count(&self) -> usize {
        self.index.len()
    }

    /// The id the next session will get.
    pub fn next_session_id(&self) -> SessionId {
        self.next_id
    }

    /// Ids of resident sessions, sorted.
    pub fn ids(&self) -> Vec<SessionId> {
        let mut ids: Vec<SessionId> = self.index.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}
