//! `FaultInjection`: seeded random send failures and delays, for tests
//! (drawn from the workspace's one generator, `telltale_types::random`).

use crate::error::{ChoreoError, ChoreoResult};
use crate::handler::ChoreoHandler;
use crate::message::Message;
use std::time::Duration;
use telltale_types::random::SeededRng;
use telltale_types::Role;

/// What to inject, and the seed that makes it reproducible.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultConfig {
    /// Seed of the random generator; the same seed gives the same faults.
    pub seed: u64,
    /// Probability in `[0, 1]` that a send or choice fails without being sent.
    pub send_failure_rate: f64,
    /// Probability in `[0, 1]` that an operation is delayed first.
    pub delay_rate: f64,
    /// The longest injected delay.
    pub max_delay: Duration,
}

impl FaultConfig {
    /// No faults at all, with the given seed.
    pub fn none(seed: u64) -> Self {
        FaultConfig {
            seed,
            send_failure_rate: 0.0,
            delay_rate: 0.0,
            max_delay: Duration::ZERO,
        }
    }
}

/// Makes the wrapped handler's sends fail and its operations stall at
/// random, reproducibly from a seed. Failed sends are not delivered and
/// fail with [`ChoreoError::InjectedFault`], which `Retry` retries.
#[derive(Debug)]
pub struct FaultInjection<H> {
    inner: H,
    config: FaultConfig,
    rng: SeededRng,
    injected_failures: u64,
}

impl<H: ChoreoHandler> FaultInjection<H> {
    /// Wraps `inner` with `config`.
    pub fn new(inner: H, config: FaultConfig) -> Self {
        FaultInjection {
            inner,
            rng: SeededRng::new(config.seed),
            config,
            injected_failures: 0,
        }
    }

    /// How many failures were injected so far.
    pub fn injected_failures(&self) -> u64 {
        self.injected_failures
    }

    /// The wrapped handler.
    pub fn inner(&self) -> &H {
        &self.inner
    }

    async fn maybe_delay(&mut self) {
        if self.rng.unit() < self.config.delay_rate {
            let delay = self.config.max_delay.mul_f64(self.rng.unit());
            tokio::time::sleep(delay).await;
        }
    }

    fn maybe_fail(&mut self, to: &Role, operation: &'static str) -> ChoreoResult<()> {
        if self.rng.unit() < self.config.send_failure_rate {
            self.injected_failures += 1;
            return Err(ChoreoError::InjectedFault {
                role: self.inner.role().clone(),
                peer: to.clone(),
                operation,
            });
        }
        Ok(())
    }
}

impl<H: ChoreoHandler> ChoreoHandler for FaultInjection<H> {
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
        self.maybe_delay().await;
        self.maybe_fail(to, "send")?;
        self.inner.send(ep, to, message).await
    }

    async fn recv(&mut self, ep: &mut H::Endpoint, from: &Role) -> ChoreoResult<Message> {
        self.maybe_delay().await;
        self.inner.recv(ep, from).await
    }

    async fn choose(
        &mut self,
        ep: &mut H::Endpoint,
        to: &Role,
        message: Message,
    ) -> ChoreoResult<()> {
        self.maybe_delay().await;
        self.maybe_fail(to, "choose")?;
        self.inner.choose(ep, to, message).await
    }

    async fn offer(&mut self, ep: &mut H::Endpoint, from: &Role) -> ChoreoResult<Message> {
        self.maybe_delay().await;
        self.inner.offer(ep, from).await
    }
}
