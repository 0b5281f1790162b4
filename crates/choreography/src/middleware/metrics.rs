//! `Metrics`: counts operations and failures.

use crate::error::ChoreoResult;
use crate::handler::ChoreoHandler;
use crate::message::Message;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use telltale_types::Role;

/// A point-in-time copy of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Successful sends.
    pub sends: u64,
    /// Successful receives.
    pub receives: u64,
    /// Successful choices made.
    pub choices: u64,
    /// Successful offers (choices received).
    pub offers: u64,
    /// Operations of any kind that failed.
    pub failures: u64,
}

/// The live counters, shared between a [`Metrics`] handler and its readers.
#[derive(Debug, Default)]
pub struct MetricsCounters {
    sends: AtomicU64,
    receives: AtomicU64,
    choices: AtomicU64,
    offers: AtomicU64,
    failures: AtomicU64,
}

impl MetricsCounters {
    /// Reads all counters.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            sends: self.sends.load(Ordering::Relaxed),
            receives: self.receives.load(Ordering::Relaxed),
            choices: self.choices.load(Ordering::Relaxed),
            offers: self.offers.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }

    fn count<T>(&self, success: &AtomicU64, result: &ChoreoResult<T>) {
        let counter = if result.is_ok() {
            success
        } else {
            &self.failures
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts the operations of the wrapped handler.
#[derive(Debug)]
pub struct Metrics<H> {
    inner: H,
    counters: Arc<MetricsCounters>,
}

impl<H: ChoreoHandler> Metrics<H> {
    /// Wraps `inner` with fresh counters.
    pub fn new(inner: H) -> Self {
        Metrics {
            inner,
            counters: Arc::default(),
        }
    }

    /// A handle on the counters, readable from anywhere.
    pub fn counters(&self) -> Arc<MetricsCounters> {
        Arc::clone(&self.counters)
    }

    /// The wrapped handler.
    pub fn inner(&self) -> &H {
        &self.inner
    }
}

impl<H: ChoreoHandler> ChoreoHandler for Metrics<H> {
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
        let result = self.inner.send(ep, to, message).await;
        self.counters.count(&self.counters.sends, &result);
        result
    }

    async fn recv(&mut self, ep: &mut H::Endpoint, from: &Role) -> ChoreoResult<Message> {
        let result = self.inner.recv(ep, from).await;
        self.counters.count(&self.counters.receives, &result);
        result
    }

    async fn choose(
        &mut self,
        ep: &mut H::Endpoint,
        to: &Role,
        message: Message,
    ) -> ChoreoResult<()> {
        let result = self.inner.choose(ep, to, message).await;
        self.counters.count(&self.counters.choices, &result);
        result
    }

    async fn offer(&mut self, ep: &mut H::Endpoint, from: &Role) -> ChoreoResult<Message> {
        let result = self.inner.offer(ep, from).await;
        self.counters.count(&self.counters.offers, &result);
        result
    }
}
