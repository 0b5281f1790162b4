//! Missed receives (`or missed`): once its session's deadline has passed,
//! a coroutine whose receive of a missable message finds nothing queued
//! misses it at once instead of blocking, and a message that was missed is
//! discarded when it arrives late. Each directed edge is FIFO, so the
//! messages owed to an edge are the next ones to arrive on it. Cold code:
//! the run loop only tests a flag and a counter.

use super::timeout::TimeoutBranch;
use crate::auth::{MessageId, SessionAuth};
use crate::buffer::Envelope;
use crate::exec::Exec;
use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use crate::session::Edge;
use telltale_compiler::RoleId;

impl ProtocolMachine {
    /// The receive of the coroutine in `slot` from `from` found nothing
    /// queued after its session's deadline: a missable message is missed
    /// (the coroutine goes on), anything else waits as usual.
    #[cold]
    #[inline(never)]
    pub(crate) fn receive_after_deadline(&mut self, slot: u32, from: RoleId) -> Exec {
        let branch = self
            .coroutines
            .get(slot as usize)
            .and_then(Option::as_ref)
            .and_then(|c| self.timeout_branch_of(c))
            .filter(|b: &TimeoutBranch| b.missed);
        match branch {
            Some(branch) => {
                self.take_timeout_branch(slot, from, branch);
                Exec::Continue
            }
            None => {
                let c = self.coro(slot);
                let (sslot, role) = (c.session_slot, c.role);
                if let Some(edge) = self
                    .sessions
                    .by_slot_mut(sslot)
                    .and_then(|s| s.edge_mut(from, role))
                {
                    edge.recv_waiting = true;
                }
                Exec::Blocked(crate::coroutine::BlockReason::Recv { from })
            }
        }
    }
}

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
