//! The host as the simulator's bundled host `consensus`: built from a
//! scenario (`params = { N, L }`, `[handler] options = { round, quorum }`),
//! reporting observations, and telling a byzantine leader's other story.

use crate::config::{QuorumRule, RoundConfig};
use crate::handler::{prover_index, ConsensusHost};
use crate::host_types::*;
use crate::prover::{make_proposal, make_vote};
use std::collections::BTreeMap;
use telltale_simulator::equivocator::Equivocator;
use telltale_simulator::{BundledHost, HostRequest, ObservationLog};
use telltale_vm::host::HostValue;
use telltale_vm::{EffectHandler, LabelId, SendDecisionInput, Value};

/// The name scenarios use: `[handler] kind = "host", name = "consensus"`.
pub const NAME: &str = "consensus";

/// The round settings a scenario asks for.
pub fn config_of(
    params: &BTreeMap<String, u64>,
    options: &BTreeMap<String, String>,
) -> Result<RoundConfig, String> {
    let known = ["round", "quorum"];
    if let Some(unknown) = options.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!("unknown option `{unknown}` (known: round, quorum)"));
    }
    let provers = *params
        .get("N")
        .ok_or("the consensus host needs `params.N`")?;
    let round = match options.get("round") {
        Some(r) => r
            .trim()
            .parse()
            .map_err(|_| format!("option `round`: `{r}` is not a round number"))?,
        None => params.get("L").copied().unwrap_or(0),
    };
    let mut config = RoundConfig::new(provers, round).map_err(|e| e.to_string())?;
    if let Some(&leader) = params.get("L") {
        if leader != config.leader {
            return Err(format!(
                "`params.L = {leader}` is not round {round}'s leader (the rule names Provers{})",
                config.leader
            ));
        }
    }
    if let Some(q) = options.get("quorum") {
        config.quorum = QuorumRule::parse(q).map_err(|e| e.to_string())?;
    }
    Ok(config)
}

/// Builds the host for one simulated run.
pub fn factory(request: &HostRequest<'_>) -> Result<Box<dyn BundledHost>, String> {
    let config = config_of(&request.plan.params, request.options)?;
    Ok(Box::new(ConsensusHost::new(config)))
}

impl BundledHost for ConsensusHost {
    fn handler(&self) -> &dyn EffectHandler {
        self
    }

    fn observations(&self) -> Option<&ObservationLog> {
        Some(self.log())
    }

    fn equivocator(&self) -> Option<&dyn Equivocator> {
        Some(self)
    }
}

/// The other proposal an equivocating leader signs: the same mutations
/// and one more, so its proof checks too.
pub fn other_proposal(honest: &Proposal) -> Proposal {
    let mut mutations = honest.mutations.clone();
    mutations.push(format!("r{}.equivocation", honest.header.round));
    make_proposal(
        honest.header.round,
        honest.header.leader,
        honest.prior,
        mutations,
    )
}

impl Equivocator for ConsensusHost {
    /// A leader tells odd peers of a second proposal it signed, votes for
    /// it and confirms nothing; any other prover votes against.
    fn other_story(
        &self,
        input: &SendDecisionInput<'_>,
        label: LabelId,
        honest: &Value,
    ) -> Option<Value> {
        let k = prover_index(input.role_name(input.ctx.role)).ok()?;
        let prover = self.prover(k)?;
        let config = self.config();
        match input.label_name(label) {
            "Proposal" => Some(other_proposal(&Proposal::from_value(honest).ok()?).to_value()),
            "Vote" => {
                let approve = match &prover.proposal {
                    Some(p) if k == config.leader => Some(other_proposal(p).header),
                    _ => None,
                };
                Some(make_vote(config.round, k, approve).to_value())
            }
            "Confirm" => Some(
                Confirmation {
                    prover: k,
                    round: config.round,
                    finalized: None,
                }
                .to_value(),
            ),
            _ => None,
        }
    }
}
