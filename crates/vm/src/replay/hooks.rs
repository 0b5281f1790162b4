//! Test-only hooks (feature `test-hooks`) that replay, reorder and
//! transplant queued messages, to exercise the replay-consumption policies.

use crate::buffer::Envelope;
use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use std::collections::VecDeque;
use telltale_compiler::RoleId;

impl ProtocolMachine {
    fn queue_of(
        &mut self,
        session: SessionId,
        from: RoleId,
        to: RoleId,
    ) -> Option<&mut VecDeque<Envelope>> {
        let slot = self.sessions.slot(session)?;
        let edge = self.sessions.by_slot_mut(slot)?.edge_mut(from, to)?;
        Some(edge.buffer.queue_mut())
    }

    /// Test hook: queues a copy of the oldest message of the edge right
    /// behind it (a replayed message). Returns whether a message was there.
    pub fn duplicate_queued_message(
        &mut self,
        session: SessionId,
        from: RoleId,
        to: RoleId,
    ) -> bool {
        let Some(queue) = self.queue_of(session, from, to) else {
            return false;
        };
        let Some(copy) = queue.front().cloned() else {
            return false;
        };
        queue.insert(1, copy);
        true
    }

    /// Test hook: swaps the two oldest messages of the edge (a reordering).
    /// Returns whether two messages were there.
    pub fn swap_queued_messages(&mut self, session: SessionId, from: RoleId, to: RoleId) -> bool {
        match self.queue_of(session, from, to) {
            Some(queue) if queue.len() >= 2 => {
                queue.swap(0, 1);
                true
            }
            _ => false,
        }
    }

    /// Test hook: copies the oldest message of `source`'s edge
    /// `from -> to` to the front of the same edge of session `target` (a
    /// message lifted from another session, delivered next), waking a
    /// receiver waiting there. Returns whether a message was copied.
    pub fn inject_message_from(
        &mut self,
        source: SessionId,
        target: SessionId,
        from: RoleId,
        to: RoleId,
    ) -> bool {
        let Some(copy) = self
            .queue_of(source, from, to)
            .and_then(|q| q.front().cloned())
        else {
            return false;
        };
        let Some(slot) = self.sessions.slot(target) else {
            return false;
        };
        let Some(session) = self.sessions.by_slot_mut(slot) else {
            return false;
        };
        let receiver = session.slot_of(to);
        let Some(edge) = session.edge_mut(from, to) else {
            return false;
        };
        edge.buffer.queue_mut().push_front(copy);
        if edge.recv_waiting {
            edge.recv_waiting = false;
            if let Some(r) = receiver {
                self.wake_receivers.push(r);
            }
        }
        true
    }
}
