//! `InMemoryHandler`: many roles in one process, connected by tokio channels.

use crate::error::{ChoreoError, ChoreoResult};
use crate::handler::ChoreoHandler;
use crate::message::Message;
use std::collections::BTreeMap;
use telltale_types::Role;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// One role's end of a fully connected in-process network.
///
/// Each ordered pair of roles has its own unbounded FIFO channel, matching
/// the asynchronous semantics of session types (sends never block). Dropping
/// a handler closes all its channels: a peer waiting on it gets
/// [`ChoreoError::Disconnected`] once the messages already sent are drained.
#[derive(Debug)]
pub struct InMemoryHandler {
    role: Role,
    outboxes: BTreeMap<Role, UnboundedSender<Message>>,
    inboxes: BTreeMap<Role, UnboundedReceiver<Message>>,
}

impl InMemoryHandler {
    /// Builds the connected handlers of all `roles`, keyed by role.
    ///
    /// Repeated names are merged; a role has no channel to itself.
    pub fn network<R: Into<Role>>(roles: impl IntoIterator<Item = R>) -> BTreeMap<Role, Self> {
        let roles: Vec<Role> = roles
            .into_iter()
            .map(Into::into)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut handlers: BTreeMap<Role, Self> = roles
            .iter()
            .map(|role| {
                let handler = InMemoryHandler {
                    role: role.clone(),
                    outboxes: BTreeMap::new(),
                    inboxes: BTreeMap::new(),
                };
                (role.clone(), handler)
            })
            .collect();
        for sender in &roles {
            for receiver in &roles {
                if sender == receiver {
                    continue;
                }
                let (tx, rx) = unbounded_channel();
                if let Some(h) = handlers.get_mut(sender) {
                    h.outboxes.insert(receiver.clone(), tx);
                }
                if let Some(h) = handlers.get_mut(receiver) {
                    h.inboxes.insert(sender.clone(), rx);
                }
            }
        }
        handlers
    }

    /// The peers this handler is connected to, in name order.
    pub fn peers(&self) -> impl Iterator<Item = &Role> {
        self.outboxes.keys()
    }

    fn outbox(&self, to: &Role) -> ChoreoResult<&UnboundedSender<Message>> {
        self.outboxes
            .get(to)
            .ok_or_else(|| ChoreoError::UnknownPeer {
                role: self.role.clone(),
                peer: to.clone(),
            })
    }

    fn push(&self, to: &Role, message: Message) -> ChoreoResult<()> {
        self.outbox(to)?
            .send(message)
            .map_err(|_| ChoreoError::Disconnected { peer: to.clone() })
    }

    async fn pull(&mut self, from: &Role) -> ChoreoResult<Message> {
        let inbox = match self.inboxes.get_mut(from) {
            Some(inbox) => inbox,
            None => {
                return Err(ChoreoError::UnknownPeer {
                    role: self.role.clone(),
                    peer: from.clone(),
                })
            }
        };
        inbox
            .recv()
            .await
            .ok_or_else(|| ChoreoError::Disconnected { peer: from.clone() })
    }
}

impl ChoreoHandler for InMemoryHandler {
    type Endpoint = ();

    fn role(&self) -> &Role {
        &self.role
    }

    async fn send(&mut self, _: &mut (), to: &Role, message: Message) -> ChoreoResult<()> {
        self.push(to, message)
    }

    async fn recv(&mut self, _: &mut (), from: &Role) -> ChoreoResult<Message> {
        self.pull(from).await
    }

    async fn choose(&mut self, _: &mut (), to: &Role, message: Message) -> ChoreoResult<()> {
        self.push(to, message)
    }

    async fn offer(&mut self, _: &mut (), from: &Role) -> ChoreoResult<Message> {
        self.pull(from).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Value;
    use std::time::Duration;

    fn take(network: &mut BTreeMap<Role, InMemoryHandler>, name: &str) -> InMemoryHandler {
        network.remove(&Role::new(name)).unwrap()
    }

    #[tokio::test]
    async fn messages_flow_in_order_per_edge() {
        let mut net = InMemoryHandler::network(["A", "B"]);
        let mut a = take(&mut net, "A");
        let mut b = take(&mut net, "B");
        let (ra, rb) = (Role::new("A"), Role::new("B"));
        for i in 0..3 {
            a.send(&mut (), &rb, Message::new("n", Value::Nat(i)))
                .await
                .unwrap();
        }
        for i in 0..3 {
            assert_eq!(b.recv(&mut (), &ra).await.unwrap().value, Value::Nat(i));
        }
    }

    #[tokio::test]
    async fn unknown_peers_and_dropped_peers_are_errors() {
        let mut net = InMemoryHandler::network(["A", "B"]);
        let mut a = take(&mut net, "A");
        let b = take(&mut net, "B");
        let err = a.recv(&mut (), &Role::new("C")).await.unwrap_err();
        assert!(matches!(err, ChoreoError::UnknownPeer { .. }));
        drop(b);
        let err = a.recv(&mut (), &Role::new("B")).await.unwrap_err();
        assert_eq!(err, ChoreoError::Disconnected { peer: "B".into() });
        let err = a
            .send(&mut (), &Role::new("B"), Message::unit("x"))
            .await
            .unwrap_err();
        assert_eq!(err, ChoreoError::Disconnected { peer: "B".into() });
    }

    #[tokio::test]
    async fn broadcast_and_parallel_send_reach_every_peer() {
        let mut net = InMemoryHandler::network(["A", "B", "C"]);
        let mut a = take(&mut net, "A");
        let mut b = take(&mut net, "B");
        let mut c = take(&mut net, "C");
        let (ra, rb, rc) = (Role::new("A"), Role::new("B"), Role::new("C"));
        a.broadcast(&mut (), &[rb.clone(), rc.clone()], Message::unit("hello"))
            .await
            .unwrap();
        a.parallel_send(
            &mut (),
            vec![
                (rb.clone(), Message::new("n", Value::Nat(1))),
                (rc.clone(), Message::new("n", Value::Nat(2))),
            ],
        )
        .await
        .unwrap();
        for (handler, n) in [(&mut b, 1), (&mut c, 2)] {
            assert_eq!(
                handler.recv(&mut (), &ra).await.unwrap(),
                Message::unit("hello")
            );
            assert_eq!(
                handler.offer(&mut (), &ra).await.unwrap().value,
                Value::Nat(n)
            );
        }
        assert_eq!(a.peers().cloned().collect::<Vec<_>>(), vec![rb, rc]);
    }

    #[tokio::test]
    async fn with_timeout_bounds_a_receive() {
        let mut net = InMemoryHandler::network(["A", "B"]);
        let mut a = take(&mut net, "A");
        let _b = take(&mut net, "B");
        let peer = Role::new("B");
        let result = a
            .with_timeout(&mut (), Duration::from_millis(10), |h, ep| {
                Box::pin(async move { h.recv(ep, &peer).await })
            })
            .await;
        assert!(matches!(result, Err(ChoreoError::Timeout { .. })));
    }
}
