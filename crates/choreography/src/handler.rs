//! The `ChoreoHandler` trait: how one role talks to its peers.
//!
//! # Why native `impl Future` methods and not `async-trait`
//!
//! Every method returns `impl Future<Output = _> + Send` (return-position
//! `impl Trait` in traits). Implementations simply write `async fn`. Calls
//! are statically dispatched and allocate nothing, so typestate session code
//! generated on top of a handler (and middleware stacks such as
//! `Trace<Metrics<Retry<InMemoryHandler>>>`) compiles down to direct calls
//! into the transport: zero overhead. The price is that the trait is not
//! object safe (`dyn ChoreoHandler` does not exist); code that needs to pick a
//! handler at run time wraps the choices in an enum or stays generic.
//!
//! The `+ Send` bound on every future lets a role run inside `tokio::spawn`.

use crate::error::{ChoreoError, ChoreoResult};
use crate::message::Message;
use futures_util::future::BoxFuture;
use std::future::Future;
use std::time::Duration;
use telltale_types::Role;

/// A body run under [`ChoreoHandler::with_timeout`]: it gets the handler and
/// endpoint back for the duration of the timed section.
///
/// Write it as `|handler, endpoint| Box::pin(async move { ... })`.
pub trait TimedBody<H: ChoreoHandler + ?Sized, T>:
    for<'a> FnOnce(&'a mut H, &'a mut H::Endpoint) -> BoxFuture<'a, ChoreoResult<T>> + Send
{
}

impl<H, T, F> TimedBody<H, T> for F
where
    H: ChoreoHandler + ?Sized,
    F: for<'a> FnOnce(&'a mut H, &'a mut H::Endpoint) -> BoxFuture<'a, ChoreoResult<T>> + Send,
{
}

/// The effect interface of one role in a running choreography.
///
/// The handler owns the connections to the peers; the `Endpoint` is the
/// per-session state threaded through every call (handlers that keep
/// everything in `self` use `()`). Messages of one edge arrive in the order
/// they were sent (FIFO per ordered pair of roles), as session types assume.
///
/// `send`/`recv` move a message whose label is fixed by the protocol;
/// `choose`/`offer` move a message whose label selects a branch. On the wire
/// the two are the same (a [`Message`]); they are separate so traces,
/// recordings and generated code can tell choice points apart.
pub trait ChoreoHandler: Send {
    /// Per-session state passed to every operation.
    type Endpoint: Send;

    /// The role this handler acts for.
    fn role(&self) -> &Role;

    /// Sends `message` to `to`.
    fn send(
        &mut self,
        endpoint: &mut Self::Endpoint,
        to: &Role,
        message: Message,
    ) -> impl Future<Output = ChoreoResult<()>> + Send;

    /// Waits for the next message from `from`.
    fn recv(
        &mut self,
        endpoint: &mut Self::Endpoint,
        from: &Role,
    ) -> impl Future<Output = ChoreoResult<Message>> + Send;

    /// Makes an internal choice: sends the branch-selecting `message` to `to`.
    fn choose(
        &mut self,
        endpoint: &mut Self::Endpoint,
        to: &Role,
        message: Message,
    ) -> impl Future<Output = ChoreoResult<()>> + Send;

    /// Waits for `from`'s choice: the message whose label selects the branch.
    fn offer(
        &mut self,
        endpoint: &mut Self::Endpoint,
        from: &Role,
    ) -> impl Future<Output = ChoreoResult<Message>> + Send;

    /// Runs `body` with this handler, failing with [`ChoreoError::Timeout`]
    /// if it does not finish within `after`.
    ///
    /// The default uses the tokio timer; a handler with its own clock (a
    /// simulator) overrides it. The handler operations used inside must be
    /// cancel safe, which all handlers of this crate are.
    fn with_timeout<T, F>(
        &mut self,
        endpoint: &mut Self::Endpoint,
        after: Duration,
        body: F,
    ) -> impl Future<Output = ChoreoResult<T>> + Send
    where
        T: Send,
        F: TimedBody<Self, T>,
    {
        async move {
            let role = self.role().clone();
            match tokio::time::timeout(after, body(self, endpoint)).await {
                Ok(result) => result,
                Err(_) => Err(ChoreoError::Timeout { role, after }),
            }
        }
    }

    /// Sends the same message to several roles, in the order given.
    fn broadcast(
        &mut self,
        endpoint: &mut Self::Endpoint,
        to: &[Role],
        message: Message,
    ) -> impl Future<Output = ChoreoResult<()>> + Send {
        async move {
            for peer in to {
                self.send(endpoint, peer, message.clone()).await?;
            }
            Ok(())
        }
    }

    /// Sends different messages to different roles; order between roles is
    /// unconstrained, and the default sends them in the order given.
    fn parallel_send(
        &mut self,
        endpoint: &mut Self::Endpoint,
        sends: Vec<(Role, Message)>,
    ) -> impl Future<Output = ChoreoResult<()>> + Send {
        async move {
            for (peer, message) in sends {
                self.send(endpoint, &peer, message).await?;
            }
            Ok(())
        }
    }
}
