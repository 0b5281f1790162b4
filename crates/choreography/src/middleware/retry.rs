//! `Retry`: retries failed sends with exponential backoff.

use crate::error::ChoreoResult;
use crate::handler::ChoreoHandler;
use crate::message::Message;
use std::time::Duration;
use telltale_types::Role;

/// How often and how patiently to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (at least one is always made).
    pub max_attempts: u32,
    /// The pause after the first failure.
    pub initial_backoff: Duration,
    /// The longest pause between attempts.
    pub max_backoff: Duration,
    /// The factor the pause grows by after each failure.
    pub multiplier: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(500),
            multiplier: 2,
        }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = self
            .multiplier
            .max(1)
            .saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Retries the sends and choices of the wrapped handler that fail with a
/// transient error ([`crate::ChoreoError::is_retryable`]); receives are never
/// retried, since a receive that failed may have consumed a message.
#[derive(Debug)]
pub struct Retry<H> {
    inner: H,
    policy: RetryPolicy,
}

impl<H: ChoreoHandler> Retry<H> {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: H, policy: RetryPolicy) -> Self {
        Retry { inner, policy }
    }

    /// The wrapped handler.
    pub fn inner(&self) -> &H {
        &self.inner
    }
}

/// Which sending operation is being retried.
#[derive(Clone, Copy)]
enum SendKind {
    Send,
    Choose,
}

impl<H: ChoreoHandler> Retry<H> {
    async fn retrying(
        &mut self,
        ep: &mut H::Endpoint,
        to: &Role,
        message: Message,
        kind: SendKind,
    ) -> ChoreoResult<()> {
        let mut attempt = 1;
        loop {
            let result = match kind {
                SendKind::Send => self.inner.send(ep, to, message.clone()).await,
                SendKind::Choose => self.inner.choose(ep, to, message.clone()).await,
            };
            match result {
                Err(error) if error.is_retryable() && attempt < self.policy.max_attempts => {
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

impl<H: ChoreoHandler> ChoreoHandler for Retry<H> {
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
        self.retrying(ep, to, message, SendKind::Send).await
    }

    async fn recv(&mut self, ep: &mut H::Endpoint, from: &Role) -> ChoreoResult<Message> {
        self.inner.recv(ep, from).await
    }

    async fn choose(
        &mut self,
        ep: &mut H::Endpoint,
        to: &Role,
        message: Message,
    ) -> ChoreoResult<()> {
        self.retrying(ep, to, message, SendKind::Choose).await
    }

    async fn offer(&mut self, ep: &mut H::Endpoint, from: &Role) -> ChoreoResult<Message> {
        self.inner.offer(ep, from).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            multiplier: 2,
        };
        let got: Vec<u128> = (1..=5).map(|a| policy.backoff(a).as_millis()).collect();
        assert_eq!(got, vec![10, 20, 40, 50, 50]);
    }
}
