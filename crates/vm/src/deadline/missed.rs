//! Missed messages (`or missed`) besides a timeout's: a receive that a
//! timeout made miss its message owes that message to its edge
//! (`timeout.rs`), and the message is discarded when it arrives; a receive
//! that finds another label first knows its message was lost on the way
//! and misses it. Each directed edge is FIFO, so the messages owed to an
//! edge are the next ones to arrive on it. Cold code: the send path only
//! tests whether anything is owed.

use super::timeout::TimeoutBranch;
use crate::auth::{MessageId, SessionAuth};
use crate::buffer::Envelope;
use crate::exec::Exec;
use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use crate::session::Edge;
use telltale_compiler::RoleId;

impl ProtocolMachine {
    /// The receive of the coroutine in `slot` from `from` finds a message
    /// of another label first on its edge. If its own message may be
    /// missed, that message was lost on the way (the edge is FIFO): the
    /// receive misses it and nothing is owed, the queued message being the
    /// next one. `None` (a protocol violation) otherwise.
    #[cold]
    #[inline(never)]
    pub(crate) fn miss_lost(&mut self, slot: u32, from: RoleId) -> Option<Exec> {
        let branch = self
            .coroutines
            .get(slot as usize)
            .and_then(Option::as_ref)
            .and_then(|c| self.timeout_branch_of(c))
            .filter(|b| b.missed)?;
        let lost = TimeoutBranch {
            missed: false,
            ..branch
        };
        self.take_timeout_branch(slot, from, lost);
        Some(Exec::Continue)
    }
}

/// Consumes `envelope`, arriving on `edge` from `from` to `to`, when its
/// receiver missed it: the edge owes messages, and this one's label is the
/// first owed one still expected (owed ones before it, of other labels,
/// were lost on the way and are forgotten). Its authentication is still
/// checked and committed (a failure is ignored: the message is dropped
/// either way), so the edge's hash chain goes on with the next message.
/// False, and nothing owed any more, when no owed label matches: the
/// owed messages were all lost, and this one is queued as usual.
#[cold]
#[inline(never)]
pub(crate) fn discard_late(
    edge: &mut Edge,
    auth: Option<&mut SessionAuth>,
    session: SessionId,
    from: RoleId,
    to: RoleId,
    envelope: &Envelope,
) -> bool {
    let Some(at) = edge.late_owed.iter().position(|l| *l == envelope.label) else {
        edge.late_owed.clear();
        return false;
    };
    edge.late_owed.drain(..=at);
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
    true
}
