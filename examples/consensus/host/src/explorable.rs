//! The round's host for the explorer (`telltale-explorer`): every prover's
//! state as plain data that a state can clone and fingerprint, with one
//! [`ConsensusHost`] built around it for each step, and the equivocation
//! of byzantine provers as the explorer's lies.

use crate::bundle::Liar;
use crate::config::RoundConfig;
use crate::handler::{prover_index, ConsensusHost};
use crate::prover::Prover;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use telltale_explorer::{ByzantineHost, ExplorableHost, LieDomain, Observations, SentMessage};
use telltale_vm::explore::EnabledStep;
use telltale_vm::{CodeImage, ProtocolMachine, ProtocolMachineError, Value};

/// Every prover of one round, as an explorable host: it answers as the
/// [`ConsensusHost`] does (one alternative per step) and reports the
/// same observations (`finalized.<round>`, `valid`, `evidence.<round>`).
#[derive(Clone, Debug)]
pub struct ExplorableRound {
    config: RoundConfig,
    provers: BTreeMap<u64, Prover>,
    colluders: BTreeSet<u64>,
}

impl ExplorableRound {
    /// A round's provers, each starting from genesis.
    pub fn new(config: RoundConfig) -> ExplorableRound {
        ExplorableRound {
            config,
            provers: (0..config.provers)
                .map(|k| (k, Prover::at_genesis(k)))
                .collect(),
            colluders: BTreeSet::new(),
        }
    }

    /// The round with `liars` byzantine: each may send, at each of its
    /// sends, the honest message or its other story (a leader's second
    /// proposal and votes for it; a colluder backs the leader's second
    /// story when the leader is among the liars), in the round compiled
    /// as `image`.
    pub fn with_liars(
        mut self,
        liars: &BTreeSet<u64>,
        image: &CodeImage,
    ) -> ByzantineHost<ExplorableRound, Equivocation> {
        if liars.contains(&self.config.leader) {
            self.colluders = liars.clone();
            self.colluders.remove(&self.config.leader);
        }
        let roles = liars
            .iter()
            .filter_map(|k| image.symbols.role_id(&format!("Provers{k}")));
        ByzantineHost::new(self, roles, Equivocation)
    }

    /// Prover `k`'s state.
    pub fn prover(&self, k: u64) -> Option<&Prover> {
        self.provers.get(&k)
    }
}

impl ExplorableHost for ExplorableRound {
    fn alternatives(&self, _step: &EnabledStep) -> usize {
        1
    }

    fn execute(
        &mut self,
        machine: &mut ProtocolMachine,
        step: &EnabledStep,
        _alternative: usize,
        observations: &mut Observations,
    ) -> Result<(), ProtocolMachineError> {
        let provers = std::mem::take(&mut self.provers);
        let host = ConsensusHost::with_provers(self.config, provers)
            .with_colluders(self.colluders.clone());
        let result = machine.execute_step(step.slot, &host);
        for o in host.log().since(0) {
            observations.observe(o.role, &o.key, &o.value);
        }
        self.provers = host.into_provers();
        result
    }

    /// Every prover's state, through its `Hash` (ordered maps and plain
    /// values: canonical).
    fn encode(&self, out: &mut Vec<u8>) {
        self.provers.hash(&mut ByteWriter(out));
    }

    fn is_stateless(&self) -> bool {
        false
    }

    /// Each step reads and writes only its own prover's state and
    /// observes as that prover.
    fn is_per_role(&self) -> bool {
        true
    }
}

/// The lie of a byzantine prover: its other story (see [`Liar`]) about
/// proposals and votes. Its confirmations stay honest here: they are read
/// only after a prover has finalized, so a lying one changes no decision
/// and would only multiply the states explored.
#[derive(Clone, Copy, Debug, Default)]
pub struct Equivocation;

impl LieDomain<ExplorableRound> for Equivocation {
    fn count(&self) -> usize {
        1
    }

    fn lie(
        &self,
        host: &ExplorableRound,
        message: &SentMessage<'_>,
        _index: usize,
    ) -> Option<Value> {
        if !matches!(message.label, "Proposal" | "Vote") {
            return None;
        }
        let k = prover_index(message.sender).ok()?;
        let liar = Liar {
            config: &host.config,
            prover: host.provers.get(&k)?,
            colludes: host.colluders.contains(&k),
        };
        liar.other_story(message.label, message.honest)
    }
}

/// A `Hasher` that keeps the bytes it is fed: a value's `Hash` as its
/// canonical encoding.
struct ByteWriter<'a>(&'a mut Vec<u8>);

impl Hasher for ByteWriter<'_> {
    fn finish(&self) -> u64 {
        0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}
