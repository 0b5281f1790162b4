//! Byzantine choices from a finite domain: a lying role may send, in place
//! of each message its host would send, one of a small declared set of
//! lies, and the explorer tries every one (equivocation: a leader telling
//! different peers different proposals is one lie per send).

use crate::host::ExplorableHost;
use crate::observation::Observations;
use std::sync::Arc;
use telltale_compiler::RoleId;
use telltale_types::PayloadSort;
use telltale_vm::effect::default_handler::fabricate;
use telltale_vm::explore::{share, EnabledStep};
use telltale_vm::{ProtocolMachine, ProtocolMachineError, Value};

/// A message a lying role has just queued, as a [`LieDomain`] sees it.
#[derive(Clone, Copy, Debug)]
pub struct SentMessage<'a> {
    /// The sender's role name (`Provers0`).
    pub sender: &'a str,
    /// The label's name.
    pub label: &'a str,
    /// The label's payload sort.
    pub sort: &'a PayloadSort,
    /// What the host would have sent.
    pub honest: &'a Value,
}

/// The lies a byzantine role may tell: at each of its sends, the explorer
/// tries the honest message and each of `count` lies.
pub trait LieDomain<H>: Send + Sync {
    /// How many lies each send may carry instead of the honest payload.
    fn count(&self) -> usize;

    /// The `index`-th lie (below [`LieDomain::count`]) in place of
    /// `message`, given the host's state after the send (read only the
    /// sender's part of it, so a per-role host stays per-role); `None`
    /// when this lie is not told here (the honest message goes).
    fn lie(&self, host: &H, message: &SentMessage<'_>, index: usize) -> Option<Value>;
}

/// The simplest domain: `count` other values of the label's sort (the
/// sort's fabricated values 1..=count; the honest payload is kept when a
/// fabricated value equals it). What `tell explore --byzantine` uses.
#[derive(Clone, Copy, Debug)]
pub struct FabricatedLies {
    /// Lies per send.
    pub count: usize,
}

impl<H> LieDomain<H> for FabricatedLies {
    fn count(&self) -> usize {
        self.count
    }

    fn lie(&self, _host: &H, message: &SentMessage<'_>, index: usize) -> Option<Value> {
        let lie = fabricate(message.sort, index as u64 + 1);
        (lie != *message.honest).then_some(lie)
    }
}

/// `inner` with some roles lying: every send of a role in `liars` may
/// carry any lie of `domain`, and what the liars observe is dropped (the
/// checks judge honest roles only; docs/explorer.md, "Byzantine roles").
pub struct ByzantineHost<H, D> {
    inner: H,
    liars: Arc<[RoleId]>,
    domain: Arc<D>,
}

impl<H: Clone, D> Clone for ByzantineHost<H, D> {
    fn clone(&self) -> Self {
        ByzantineHost {
            inner: self.inner.clone(),
            liars: Arc::clone(&self.liars),
            domain: Arc::clone(&self.domain),
        }
    }

    /// Touches the shared counts only when they differ (explored states
    /// are copied over each other on several threads).
    fn clone_from(&mut self, source: &Self) {
        self.inner.clone_from(&source.inner);
        share(&mut self.liars, &source.liars);
        share(&mut self.domain, &source.domain);
    }
}

impl<H, D> ByzantineHost<H, D> {
    /// `inner`, with the roles `liars` telling the lies of `domain`.
    pub fn new(inner: H, liars: impl IntoIterator<Item = RoleId>, domain: D) -> Self {
        let mut liars: Vec<RoleId> = liars.into_iter().collect();
        liars.sort_unstable();
        liars.dedup();
        ByzantineHost {
            inner,
            liars: liars.into(),
            domain: Arc::new(domain),
        }
    }

    /// The honest host inside.
    pub fn inner(&self) -> &H {
        &self.inner
    }

    /// Whether `step` is a send by a lying role.
    fn lies_at(&self, step: &EnabledStep) -> bool {
        step.edge.is_some_and(|e| e.send) && self.liars.binary_search(&step.role).is_ok()
    }
}

impl<H: ExplorableHost, D: LieDomain<H>> ExplorableHost for ByzantineHost<H, D> {
    /// The inner host's alternatives, each with the honest payload and
    /// with every lie (inner alternative `a`, lie `l`: `a + inner * l`,
    /// `l = 0` honest).
    fn alternatives(&self, step: &EnabledStep) -> usize {
        let inner = self.inner.alternatives(step).max(1);
        if self.lies_at(step) {
            inner * (1 + self.domain.count())
        } else {
            inner
        }
    }

    fn execute(
        &mut self,
        machine: &mut ProtocolMachine,
        step: &EnabledStep,
        alternative: usize,
        observations: &mut Observations,
    ) -> Result<(), ProtocolMachineError> {
        let inner = self.inner.alternatives(step).max(1);
        let outcome = self
            .inner
            .execute(machine, step, alternative % inner, observations);
        // A liar's own observations are not judged (as in the simulator,
        // properties are about honest roles), nor kept in the state.
        if self.liars.binary_search(&step.role).is_ok() {
            observations.retain(|o| self.liars.binary_search(&o.role).is_err());
        }
        outcome?;
        let lie = alternative / inner;
        let Some(edge) = step.edge.filter(|_| lie > 0 && self.lies_at(step)) else {
            return Ok(());
        };
        let told = {
            let Some((label, honest)) = machine.newest_message(edge.session, edge.from, edge.to)
            else {
                return Ok(());
            };
            let symbols = &machine.image().symbols;
            let Some(declared) = symbols.label(label) else {
                return Ok(());
            };
            let sender = symbols.role_name(edge.from);
            let message = SentMessage {
                sender: &sender,
                label: declared.name(),
                sort: &declared.sort,
                honest,
            };
            self.domain.lie(&self.inner, &message, lie - 1)
        };
        if let Some(value) = told {
            machine.replace_newest_payload(edge.session, edge.from, edge.to, value);
        }
        Ok(())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        self.inner.encode(out);
    }

    fn is_stateless(&self) -> bool {
        self.inner.is_stateless()
    }

    fn is_per_role(&self) -> bool {
        self.inner.is_per_role()
    }

    /// Liars are members singled out: symmetric only without them.
    fn is_symmetric(&self) -> bool {
        self.liars.is_empty() && self.inner.is_symmetric()
    }
}
