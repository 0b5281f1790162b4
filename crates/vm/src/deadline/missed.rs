//! The late messages of missed receives (`or missed`): a receive that a
//! timeout made miss its message owes that message to its edge
//! (`timeout.rs`), and the message is discarded when it arrives. Each
//! directed edge is FIFO, so the messages owed to an edge are the next ones
//! to arrive on it. Cold code: the send path only tests a counter.

use crate::auth::{MessageId, SessionAuth};
use crate::buffer::Envelope;
use crate::ids::SessionId;
use crate::session::Edge;
use telltale_compiler::RoleId;

/// Consumes `envelope`, arriving on `edge` from `from` to `to` after its
/// receiver missed it, instead of queueing it. Its authentication is still
/// checked and committed (a failure is ignored: the message is dropped
/// either way), so the edge's hash chain goes on with the next message.
#[cold]
#[inline(never)]
pub(crate) fn discard_late(
    edge: &mut Edge,
    auth: Option<&mut SessionAuth>,
    session: SessionId,
    from: RoleId,
    to: RoleId,
    envelope: &Envelope,
) {
    edge.late_owed = edge.late_owed.saturating_sub(1);
    edge.next_recv_seq = envelope.seq + 1;
    if let Some(auth) = auth {
        let id = MessageId {
            session,
            from,
            to,
            label: envelope.label,
            seq: envelope.seq,
            payload: &envelope.payload,
        };
        if let Ok(head) = auth.check(id, envelope.seal.as_deref()) {
            auth.commit_recv(from, to, head);
        }
    }
}
