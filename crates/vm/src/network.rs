//! The network extension point: where a sent message leaves its sender and
//! later enters its receiver's buffer.
//!
//! By default a `Send`/`Offer` commits its envelope straight into the
//! receiver's buffer. A host that models the network between them (the
//! simulator) calls [`ProtocolMachine::install_network`]: from then on a
//! send puts its sealed, numbered envelope in the machine's outbox instead,
//! the host takes it with [`ProtocolMachine::drain_outbox`], holds it for
//! as long as its model says, and hands it back with
//! [`ProtocolMachine::deliver`], which applies the buffer's admission rule
//! exactly as a direct send does. Signatures and replay modes are checked
//! where they always are, at the receive, so a delayed, duplicated,
//! reordered, corrupted or injected message meets the same checks as any
//! other. With no network installed the send path takes one extra
//! well-predicted branch and nothing else changes.

use crate::buffer::{Admission, Envelope};
use crate::deadline::discard_late;
use crate::effect::{EffectContext, EffectHandler};
use crate::event::{MessageEvent, ObsEvent};
use crate::exec::Exec;
use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use crate::session::SessionStatus;
use serde::{Deserialize, Serialize};
use telltale_compiler::{Pc, RoleId, StateId, Value};

/// A message between its send and its delivery, owned by the host's
/// network model while in flight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InFlight {
    /// The session it belongs to.
    pub session: SessionId,
    /// The sending role.
    pub from: RoleId,
    /// The receiving role.
    pub to: RoleId,
    /// The message as sealed and numbered by the sender.
    pub envelope: Envelope,
}

/// What [`ProtocolMachine::deliver`] did with a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    /// Queued in the receiver's buffer.
    Queued,
    /// Queued, replacing an unread message (latest-value buffers).
    Overwrote,
    /// The buffer was full and its policy drops: the message is gone.
    Dropped,
    /// The buffer is full and its policy blocks or fails: the message is
    /// handed back for the network to retry later.
    Full(InFlight),
    /// The session is not active (finished or unknown) or the edge does
    /// not exist: nothing was queued and the message is handed back.
    Refused(InFlight),
}

impl ProtocolMachine {
    /// Routes every later send through the outbox instead of straight into
    /// buffers (see the module documentation). Idempotent.
    pub fn install_network(&mut self) {
        if self.outbox.is_none() {
            self.outbox = Some(Vec::new());
        }
    }

    /// Whether sends go through the outbox.
    pub fn network_installed(&self) -> bool {
        self.outbox.is_some()
    }

    /// Moves every message sent since the last call, in send order, to the
    /// end of `into`.
    pub fn drain_outbox(&mut self, into: &mut Vec<InFlight>) {
        if let Some(outbox) = self.outbox.as_mut() {
            into.append(outbox);
        }
    }

    /// Puts a message into its receiver's buffer under the buffer's
    /// admission rule, waking the receiver as a direct send would. The
    /// message's seal and sequence number are kept as they are: the
    /// receive checks them.
    pub fn deliver(&mut self, message: InFlight) -> Delivery {
        let tick = self.clock;
        let recording = self.obs.is_recording();
        let buffer_config = self.config.buffer;
        let Some(session) = self
            .sessions
            .slot(message.session)
            .and_then(|s| self.sessions.by_slot_mut(s))
        else {
            return Delivery::Refused(message);
        };
        if session.status != SessionStatus::Active {
            return Delivery::Refused(message);
        }
        let Some(index) = session.checked_edge_index(message.from, message.to) else {
            return Delivery::Refused(message);
        };
        let receiver = session.slot_of(message.to);
        let edge = &mut session.edges[index];
        let admission = edge.buffer.admission(&buffer_config);
        if matches!(admission, Admission::Block | Admission::Fail) {
            return Delivery::Full(message);
        }
        let event = recording.then(|| MessageEvent {
            tick,
            session: message.session,
            from: message.from,
            to: message.to,
            label: message.envelope.label,
            seq: message.envelope.seq,
            payload: message.envelope.payload.clone(),
        });
        if !edge.late_owed.is_empty() && admission != Admission::Drop {
            let (from, to) = (message.from, message.to);
            let auth = session.auth.as_deref_mut();
            let edge = &mut session.edges[index];
            if discard_late(edge, auth, message.session, from, to, &message.envelope) {
                // Its receiver had missed it: dropped on arrival.
                if let Some(e) = event {
                    self.obs.push(ObsEvent::Dropped(e));
                }
                return Delivery::Dropped;
            }
        }
        let edge = &mut session.edges[index];
        edge.buffer.commit(admission, message.envelope);
        if admission == Admission::Drop {
            if let Some(e) = event {
                self.obs.push(ObsEvent::Dropped(e));
            }
            return Delivery::Dropped;
        }
        let capacity = edge.buffer.capacity() as u64;
        let wake = edge.recv_waiting;
        edge.recv_waiting = false;
        if let Some(r) = receiver {
            if wake {
                self.wake_receivers.push(r);
            }
            if let Some(rc) = self.coroutines.get_mut(r as usize).and_then(Option::as_mut) {
                rc.progress_tokens = rc.progress_tokens.saturating_add(1);
            }
        }
        match (admission, event) {
            (Admission::Overwrite, Some(e)) => self.obs.push(ObsEvent::Overwritten(e)),
            (Admission::Grow(_), Some(e)) => self.obs.push(ObsEvent::BufferResized {
                tick,
                session: e.session,
                from: e.from,
                to: e.to,
                capacity,
            }),
            _ => {}
        }
        if admission == Admission::Overwrite {
            Delivery::Overwrote
        } else {
            Delivery::Queued
        }
    }

    /// The send side of the extension point, after the send was checked,
    /// admitted, numbered and sealed: the envelope goes to the outbox and
    /// the sender moves on, as a direct send would (a message the
    /// receiver's buffer would drop is dropped here, as without a network).
    #[cold]
    #[inline(never)]
    pub(crate) fn send_to_network(
        &mut self,
        handler: &dyn EffectHandler,
        ctx: EffectContext,
        sent: NetworkSend,
    ) -> Exec {
        let NetworkSend {
            slot,
            next,
            target,
            offered,
            admission,
            traced,
            message,
        } = sent;
        let event = |payload| MessageEvent {
            tick: ctx.tick,
            session: message.session,
            from: message.from,
            to: message.to,
            label: message.envelope.label,
            seq: message.envelope.seq,
            payload,
        };
        let traced = traced.map(event);
        let dropped = admission == Admission::Drop;
        if !dropped {
            let edge = self
                .sessions
                .edge_mut(message.session, message.from, message.to);
            if let Some(edge) = edge {
                edge.next_send_seq += 1;
            }
            if let Some(outbox) = self.outbox.as_mut() {
                outbox.push(message);
            }
        }
        let c = self.coro_mut(slot);
        c.monitor_state = next;
        c.pc = target;
        if let Some(event) = traced {
            // Overwrites and growth happen at delivery, not here.
            let admission = if dropped {
                Admission::Drop
            } else {
                Admission::Accept
            };
            self.push_admission_events(admission, offered, event, 0);
            self.note_output_hint(handler, ctx);
        }
        Exec::Continue
    }
}

/// What the send side of the extension point needs from `exec_send`.
pub(crate) struct NetworkSend {
    pub(crate) slot: u32,
    pub(crate) next: StateId,
    pub(crate) target: Pc,
    pub(crate) offered: bool,
    pub(crate) admission: Admission,
    pub(crate) traced: Option<Value>,
    pub(crate) message: InFlight,
}
