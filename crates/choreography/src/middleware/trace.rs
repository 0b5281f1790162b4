//! `Trace`: logs every operation through `tracing`.

use crate::error::ChoreoResult;
use crate::handler::ChoreoHandler;
use crate::message::Message;
use telltale_types::Role;

/// Emits a `tracing` event (target `telltale_choreography`) for every
/// operation of the wrapped handler: `debug` on success, `warn` on failure.
#[derive(Debug)]
pub struct Trace<H> {
    inner: H,
}

impl<H: ChoreoHandler> Trace<H> {
    /// Wraps `inner`.
    pub fn new(inner: H) -> Self {
        Trace { inner }
    }

    /// The wrapped handler.
    pub fn inner(&self) -> &H {
        &self.inner
    }

    /// Unwraps the handler.
    pub fn into_inner(self) -> H {
        self.inner
    }
}

/// Logs the outcome of one operation.
fn log<T>(role: &Role, operation: &str, peer: &Role, label: &str, result: &ChoreoResult<T>) {
    match result {
        Ok(_) => {
            tracing::debug!(target: "telltale_choreography", %role, %peer, label, "{operation}")
        }
        Err(error) => {
            tracing::warn!(target: "telltale_choreography", %role, %peer, label, %error, "{operation} failed");
        }
    }
}

fn received_label(result: &ChoreoResult<Message>) -> &str {
    result.as_ref().map(Message::label).unwrap_or("")
}

impl<H: ChoreoHandler> ChoreoHandler for Trace<H> {
    type Endpoint = H::Endpoint;

    fn role(&self) -> &Role {
        self.inner.role()
    }

    async fn send(
        &mut self,
        ep: &mut H::Endpoint,
        to: &Role,
        message: Message,
    ) -> ChoreoResult<()> {
        let label = message.label.clone();
        let result = self.inner.send(ep, to, message).await;
        log(self.inner.role(), "send", to, &label, &result);
        result
    }

    async fn recv(&mut self, ep: &mut H::Endpoint, from: &Role) -> ChoreoResult<Message> {
        let result = self.inner.recv(ep, from).await;
        log(
            self.inner.role(),
            "recv",
            from,
            received_label(&result),
            &result,
        );
        result
    }

    async fn choose(
        &mut self,
        ep: &mut H::Endpoint,
        to: &Role,
        message: Message,
    ) -> ChoreoResult<()> {
        let label = message.label.clone();
        let result = self.inner.choose(ep, to, message).await;
        log(self.inner.role(), "choose", to, &label, &result);
        result
    }

    async fn offer(&mut self, ep: &mut H::Endpoint, from: &Role) -> ChoreoResult<Message> {
        let result = self.inner.offer(ep, from).await;
        log(
            self.inner.role(),
            "offer",
            from,
            received_label(&result),
            &result,
        );
        result
    }
}
