//! `RecordingHandler`: records every operation, replays scripted inbound messages.

use crate::error::{ChoreoError, ChoreoResult};
use crate::handler::ChoreoHandler;
use crate::message::Message;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use telltale_types::Role;

/// One operation seen by a [`RecordingHandler`].
#[derive(Clone, Debug, PartialEq)]
pub enum RecordedOperation {
    /// A `send` to a peer.
    Send {
        /// The receiver.
        to: Role,
        /// What was sent.
        message: Message,
    },
    /// A `recv` from a peer, with the message it returned.
    Recv {
        /// The sender.
        from: Role,
        /// What was received.
        message: Message,
    },
    /// A `choose` towards a peer.
    Choose {
        /// The receiver of the choice.
        to: Role,
        /// The branch-selecting message.
        message: Message,
    },
    /// An `offer` from a peer, with the message it returned.
    Offer {
        /// The chooser.
        from: Role,
        /// The branch-selecting message.
        message: Message,
    },
    /// A receive for which no scripted message was left.
    Exhausted {
        /// The peer that was waited on.
        from: Role,
    },
}

/// A shared, cloneable view of a recording, readable while or after the handler runs.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    operations: Arc<Mutex<Vec<RecordedOperation>>>,
}

impl Recording {
    /// A copy of every operation recorded so far, in order.
    pub fn operations(&self) -> Vec<RecordedOperation> {
        self.lock().clone()
    }

    fn push(&self, operation: RecordedOperation) {
        self.lock().push(operation);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<RecordedOperation>> {
        // A poisoned log is still a valid log: recording only ever appends.
        self.operations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A handler with no peers that records every operation; receives are
/// answered from per-peer scripts given up front.
///
/// When a script runs out the handler answers like a peer that left:
/// [`ChoreoError::Disconnected`].
#[derive(Debug)]
pub struct RecordingHandler {
    role: Role,
    inbound: BTreeMap<Role, VecDeque<Message>>,
    recording: Recording,
}

impl RecordingHandler {
    /// A recording handler for `role` with empty scripts.
    pub fn new(role: impl Into<Role>) -> Self {
        RecordingHandler {
            role: role.into(),
            inbound: BTreeMap::new(),
            recording: Recording::default(),
        }
    }

    /// Adds `messages` to the script of what `from` will send, in order.
    pub fn with_inbound(
        mut self,
        from: impl Into<Role>,
        messages: impl IntoIterator<Item = Message>,
    ) -> Self {
        self.inbound
            .entry(from.into())
            .or_default()
            .extend(messages);
        self
    }

    /// A handle on the recording.
    pub fn recording(&self) -> Recording {
        self.recording.clone()
    }

    fn next_inbound(&mut self, from: &Role) -> ChoreoResult<Message> {
        match self.inbound.get_mut(from).and_then(VecDeque::pop_front) {
            Some(message) => Ok(message),
            None => {
                self.recording
                    .push(RecordedOperation::Exhausted { from: from.clone() });
                Err(ChoreoError::Disconnected { peer: from.clone() })
            }
        }
    }
}

impl ChoreoHandler for RecordingHandler {
    type Endpoint = ();

    fn role(&self) -> &Role {
        &self.role
    }

    async fn send(&mut self, _: &mut (), to: &Role, message: Message) -> ChoreoResult<()> {
        self.recording.push(RecordedOperation::Send {
            to: to.clone(),
            message,
        });
        Ok(())
    }

    async fn recv(&mut self, _: &mut (), from: &Role) -> ChoreoResult<Message> {
        let message = self.next_inbound(from)?;
        self.recording.push(RecordedOperation::Recv {
            from: from.clone(),
            message: message.clone(),
        });
        Ok(message)
    }

    async fn choose(&mut self, _: &mut (), to: &Role, message: Message) -> ChoreoResult<()> {
        self.recording.push(RecordedOperation::Choose {
            to: to.clone(),
            message,
        });
        Ok(())
    }

    async fn offer(&mut self, _: &mut (), from: &Role) -> ChoreoResult<Message> {
        let message = self.next_inbound(from)?;
        self.recording.push(RecordedOperation::Offer {
            from: from.clone(),
            message: message.clone(),
        });
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn every_operation_is_recorded_in_order() {
        let mut h = RecordingHandler::new("A").with_inbound("B", [Message::unit("pong")]);
        let rec = h.recording();
        let b = Role::new("B");
        h.send(&mut (), &b, Message::unit("ping")).await.unwrap();
        h.recv(&mut (), &b).await.unwrap();
        h.choose(&mut (), &b, Message::unit("stop")).await.unwrap();
        assert!(h.offer(&mut (), &b).await.is_err());
        assert_eq!(
            rec.operations(),
            vec![
                RecordedOperation::Send {
                    to: b.clone(),
                    message: Message::unit("ping")
                },
                RecordedOperation::Recv {
                    from: b.clone(),
                    message: Message::unit("pong")
                },
                RecordedOperation::Choose {
                    to: b.clone(),
                    message: Message::unit("stop")
                },
                RecordedOperation::Exhausted { from: b },
            ]
        );
    }
}
