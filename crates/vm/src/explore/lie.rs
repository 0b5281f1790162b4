//! A byzantine sender's lie, as the explorer injects it: the message a
//! coroutine just queued is replaced by another payload of the sender's
//! choosing, so the receiver gets what a lying peer would have sent.

use crate::buffer::BoundedBuffer;
use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use telltale_compiler::{LabelId, RoleId, Value};

impl ProtocolMachine {
    /// The buffer of the edge from `from` to `to` in `session`.
    fn edge_buffer(&self, session: SessionId, from: RoleId, to: RoleId) -> Option<&BoundedBuffer> {
        let s = self.sessions.by_slot(self.sessions.slot(session)?)?;
        let index = s.checked_edge_index(from, to)?;
        Some(&s.edges[index].buffer)
    }

    /// The label and payload of the newest message queued from `from` to
    /// `to` in `session` (the one a send step just queued), if any.
    pub fn newest_message(
        &self,
        session: SessionId,
        from: RoleId,
        to: RoleId,
    ) -> Option<(LabelId, &Value)> {
        let e = self.edge_buffer(session, from, to)?.newest()?;
        Some((e.label, &e.payload))
    }

    /// The label and payload of the oldest message queued from `from` to
    /// `to` in `session` (the one a receive takes next), if any.
    pub fn oldest_message(
        &self,
        session: SessionId,
        from: RoleId,
        to: RoleId,
    ) -> Option<(LabelId, &Value)> {
        let e = self.edge_buffer(session, from, to)?.peek()?;
        Some((e.label, &e.payload))
    }

    /// Replaces the payload of the newest message queued from `from` to
    /// `to` in `session` by `payload` (same label, same sequence number).
    /// False when there is none, or when it is signed (`message_auth`):
    /// a lie needs the liar's own signature, which the machine cannot make.
    pub fn replace_newest_payload(
        &mut self,
        session: SessionId,
        from: RoleId,
        to: RoleId,
        payload: Value,
    ) -> bool {
        let Some(envelope) = self
            .sessions
            .slot(session)
            .and_then(|slot| self.sessions.by_slot_mut(slot))
            .and_then(|s| s.edge_mut(from, to))
            .and_then(|e| e.buffer.back_mut())
        else {
            return false;
        };
        if envelope.seal.is_some() {
            return false;
        }
        envelope.payload = payload;
        true
    }
}
