//! A byzantine sender's lie, as the explorer injects it: the message a
//! coroutine just queued is replaced by another payload of the sender's
//! choosing, so the receiver gets what a lying peer would have sent.

use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use telltale_compiler::{LabelId, RoleId, Value};

impl ProtocolMachine {
    /// The label and payload of the newest message queued from `from` to
    /// `to` in `session` (the one a send step just queued), if any.
    pub fn newest_message(
        &self,
        session: SessionId,
        from: RoleId,
        to: RoleId,
    ) -> Option<(LabelId, &Value)> {
        let e = self.sessions.edge(session, from, to)?.buffer.newest()?;
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
        let e = self.sessions.edge(session, from, to)?.buffer.peek()?;
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
            .edge_mut(session, from, to)
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
