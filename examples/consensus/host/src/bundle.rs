//! The host as the simulator's bundled host `consensus`: built from a
//! scenario (`params = { N, L }`, `[handler] options = { round, quorum }`),
//! reporting observations, and telling a byzantine leader's other story.

use crate::config::{QuorumRule, RoundConfig};
use crate::handler::{prover_index, ConsensusHost};
use crate::host_types::*;
use crate::prover::{make_proposal, make_vote, Prover};
use std::collections::{BTreeMap, BTreeSet};
use telltale_simulator::equivocator::Equivocator;
use telltale_simulator::plan::Strategy;
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
/// Byzantine provers that equivocate when the leader does too collude
/// with it (they share its key, so they can back both of its stories).
pub fn factory(request: &HostRequest<'_>) -> Result<Box<dyn BundledHost>, String> {
    let config = config_of(&request.plan.params, request.options)?;
    let equivocators: BTreeSet<u64> = request
        .plan
        .byzantine
        .iter()
        .filter(|b| b.strategy == Strategy::Equivocate)
        .filter_map(|b| prover_index(&b.role.name).ok())
        .collect();
    let host = ConsensusHost::new(config);
    Ok(Box::new(if equivocators.contains(&config.leader) {
        host.with_colluders(equivocators)
    } else {
        host
    }))
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

/// The mutation that marks an equivocating leader's second story.
fn marker(round: u64) -> String {
    format!("r{round}.equivocation")
}

/// The other proposal an equivocating leader signs: the same mutations
/// and one more, so its proof checks too.
pub fn other_proposal(honest: &Proposal) -> Proposal {
    let mut mutations = first_story(honest).mutations;
    mutations.push(marker(honest.header.round));
    make_proposal(
        honest.header.round,
        honest.header.leader,
        honest.prior,
        mutations,
    )
}

/// The leader's first story, from either of its proposals (the second
/// is the first plus the marker mutation, signed again).
pub fn first_story(proposal: &Proposal) -> Proposal {
    let round = proposal.header.round;
    if proposal.mutations.last() != Some(&marker(round)) {
        return proposal.clone();
    }
    let mut mutations = proposal.mutations.clone();
    mutations.pop();
    make_proposal(round, proposal.header.leader, proposal.prior, mutations)
}

impl Equivocator for ConsensusHost {
    /// A leader tells odd peers of a second proposal it signed, votes for
    /// it and confirms nothing; its colluders vote for it too; any other
    /// prover votes against.
    fn other_story(
        &self,
        input: &SendDecisionInput<'_>,
        label: LabelId,
        honest: &Value,
    ) -> Option<Value> {
        let k = self.prover_of(input.role_name(input.ctx.role)).ok()?;
        let prover = self.prover(k)?;
        let liar = Liar {
            config: self.config(),
            prover: &prover,
            colludes: self.colludes(k),
        };
        liar.other_story(input.label_name(label), honest)
    }
}

/// A byzantine prover telling its other story: what the simulator's
/// `equivocate` strategy and the explorer's lies both send.
pub struct Liar<'a> {
    /// The round.
    pub config: &'a RoundConfig,
    /// The liar's own state.
    pub prover: &'a Prover,
    /// Whether it colludes with an equivocating leader.
    pub colludes: bool,
}

impl Liar<'_> {
    /// The other story for a message labelled `label` whose honest
    /// payload is `honest` (`None`: nothing to lie about).
    pub fn other_story(&self, label: &str, honest: &Value) -> Option<Value> {
        let (config, k) = (self.config, self.prover.id);
        match label {
            "Proposal" => Some(other_proposal(&Proposal::from_value(honest).ok()?).to_value()),
            "Vote" => {
                let approve = match &self.prover.proposal {
                    Some(p) if k == config.leader || self.colludes => {
                        Some(other_proposal(p).header)
                    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::genesis;
    use crate::prover::proposal_checks;

    #[test]
    fn the_second_story_checks_and_leads_back_to_the_first() {
        let config = RoundConfig::new(4, 0).unwrap();
        let first = make_proposal(0, 0, genesis(), vec!["a".into(), "b".into()]);
        let second = other_proposal(&first);
        assert!(proposal_checks(&config, &genesis(), &second));
        assert_ne!(second.header.state, first.header.state);
        assert_eq!(first_story(&second), first);
        assert_eq!(first_story(&first), first);
        assert_eq!(other_proposal(&second), second);
    }

    #[test]
    fn scenario_settings_are_checked() {
        let params = |l: u64| BTreeMap::from([("N".to_string(), 4), ("L".to_string(), l)]);
        let options = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let c = config_of(&params(1), &options(&[("round", "5")])).unwrap();
        assert_eq!((c.round, c.leader), (5, 1));
        let e = config_of(&params(2), &options(&[("round", "5")])).unwrap_err();
        assert!(e.contains("not round 5's leader"), "{e}");
        let e = config_of(&params(0), &options(&[("colour", "red")])).unwrap_err();
        assert!(e.contains("unknown option `colour`"), "{e}");
        let c = config_of(&params(0), &options(&[("quorum", "2f")])).unwrap();
        assert_eq!(c.quorum_size(), 2);
        assert!(config_of(&BTreeMap::new(), &options(&[])).is_err());
    }
}
