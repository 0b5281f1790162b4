//! The machine's view of the provers: one `EffectHandler` for every role
//! of a round. Effect calls (`check Leader.prove` at the round's leader)
//! are decoded by the generated request types and answered by the
//! providers; every prover's sends and receipts run the same providers,
//! because `.tell` has no per-member `check` of a family (see the README).
//! Payloads that do not check are counted and ignored, never an error: an
//! error would fault the honest receiver, and byzantine junk must not.

use crate::config::RoundConfig;
use crate::error::HostError;
use crate::generated_effects::*;
use crate::host_types::*;
use crate::prover::{header_checks, proposal_checks, vote_checks, Prover, ProverView};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use telltale_simulator::ObservationLog;
use telltale_vm::host::{variant_parts, HostFailure, HostValue};
use telltale_vm::{
    EffectContext, EffectError, EffectErrorCategory, EffectHandler, InvokeInput, RecvInput,
    SendDecision, SendDecisionInput, Value,
};

/// Every prover of one round, as the machine's handler.
pub struct ConsensusHost {
    config: RoundConfig,
    provers: RefCell<BTreeMap<u64, Prover>>,
    log: ObservationLog,
    /// Byzantine provers that collude with an equivocating leader.
    colluders: BTreeSet<u64>,
    /// The prover behind each role of the session, by role index
    /// (`Provers<i>` is prover `members[i]`); every prover by default.
    members: Vec<u64>,
}

/// The index of `Provers<k>`.
pub fn prover_index(role: &str) -> Result<u64, HostError> {
    role.strip_prefix("Provers")
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| HostError::NotAProver(role.to_string()))
}

/// A contract error for the machine (tagged).
fn contract(message: String) -> String {
    EffectError::tagged(EffectErrorCategory::Contract, &message)
}

impl ConsensusHost {
    /// A round's provers, each starting from genesis.
    pub fn new(config: RoundConfig) -> ConsensusHost {
        let provers = (0..config.provers)
            .map(|k| (k, Prover::at_genesis(k)))
            .collect();
        ConsensusHost::with_provers(config, provers)
    }

    /// A round's provers in the states given (e.g. after earlier rounds).
    pub fn with_provers(config: RoundConfig, provers: BTreeMap<u64, Prover>) -> ConsensusHost {
        ConsensusHost {
            config,
            provers: RefCell::new(provers),
            log: ObservationLog::new(),
            colluders: BTreeSet::new(),
            members: (0..config.provers).collect(),
        }
    }

    /// A round over some of the provers only (the others are gone): the
    /// session's `Provers<i>` is prover `members[i]`. Quorums still count
    /// against all N provers (`RoundConfig::provers`), so a round over
    /// fewer than a quorum cannot finalize.
    pub fn with_members(mut self, members: Vec<u64>) -> ConsensusHost {
        self.members = members;
        self
    }

    /// The prover that plays `role` (`Provers<i>`) in this round's session.
    pub fn prover_of(&self, role: &str) -> Result<u64, HostError> {
        let index = prover_index(role)?;
        usize::try_from(index)
            .ok()
            .and_then(|i| self.members.get(i).copied())
            .ok_or_else(|| HostError::NotAProver(role.to_string()))
    }

    /// Makes `colluders` (byzantine, not the leader) collude with an
    /// equivocating leader whose key they share: each backs the leader's
    /// first story towards the peers that heard it, and (through the
    /// `Equivocator`) the second story towards the others.
    pub fn with_colluders(mut self, colluders: BTreeSet<u64>) -> ConsensusHost {
        self.colluders = colluders;
        self.colluders.remove(&self.config.leader);
        self
    }

    /// Whether prover `k` colludes with the leader.
    pub fn colludes(&self, k: u64) -> bool {
        self.colluders.contains(&k)
    }

    /// The round's settings.
    pub fn config(&self) -> &RoundConfig {
        &self.config
    }

    /// The observations the provers made.
    pub fn log(&self) -> &ObservationLog {
        &self.log
    }

    /// A copy of prover `k`'s state.
    pub fn prover(&self, k: u64) -> Option<Prover> {
        self.provers.borrow().get(&k).cloned()
    }

    /// Every prover's state, given back.
    pub fn into_provers(self) -> BTreeMap<u64, Prover> {
        self.provers.into_inner()
    }

    /// Runs `f` on prover `k`'s view.
    fn with<T>(&self, k: u64, f: impl FnOnce(&mut ProverView<'_>) -> T) -> Result<T, String> {
        let mut provers = self
            .provers
            .try_borrow_mut()
            .map_err(|_| contract("the host was called while in use".into()))?;
        let prover = provers.get_mut(&k).ok_or_else(|| {
            contract(format!(
                "no prover {k} in a round of {}",
                self.config.provers
            ))
        })?;
        Ok(f(&mut ProverView {
            prover,
            config: &self.config,
        }))
    }

    fn observe(&self, ctx: &EffectContext, key: &str, value: Value) {
        self.log.observe(ctx, key, &value);
    }

    /// A state transition of the seed's machine, as an observation.
    fn enter(&self, ctx: &EffectContext, state: &str) {
        self.observe(ctx, "state", Value::string(state));
    }

    /// The payload of `label` sent by prover `k`.
    fn payload(&self, input: &SendDecisionInput<'_>, k: u64, label: &str) -> Result<Value, String> {
        let ctx = &input.ctx;
        match label {
            "Liveness" => {
                self.enter(ctx, "LivenessCheck");
                let collected = self.with(k, |v| {
                    let prior = v.prover.prior;
                    let _ = v.synchronize(prior);
                    v.collect()
                })?;
                Ok(collected
                    .map_err(|e| contract(format!("collect: {e:?}")))?
                    .to_value())
            }
            "Proposal" | "NoProposal" => {
                let (_, value) = input
                    .outcome
                    .and_then(|o| variant_parts(o).ok())
                    .ok_or_else(|| contract(format!("{label} without the proof's outcome")))?;
                if label == "Proposal" {
                    self.enter(ctx, "Publishing");
                    let proposal = Proposal::from_value(value).map_err(contract)?;
                    self.with(k, |v| {
                        if v.prover.proposal.is_none() {
                            v.prover.note_header(proposal.header);
                            v.prover.proposal = Some(proposal);
                        }
                    })?;
                }
                Ok(value.clone())
            }
            "Vote" if self.colludes(k) => self.with(k, |v| {
                // The leader's first story, whichever one this prover heard.
                let first = v.prover.proposal.as_ref().map(crate::bundle::first_story);
                let vote = crate::prover::make_vote(v.config.round, k, first.map(|p| p.header));
                v.prover.vote = Some(vote);
                vote.to_value()
            }),
            "Vote" => self.with(k, |v| {
                if v.prover.vote.is_none() {
                    let vote = match v.prover.proposal.clone() {
                        Some(p) => v.decide_and_vote(p).ok(),
                        None => None,
                    };
                    let vote = vote.unwrap_or_else(|| {
                        crate::prover::make_vote(v.config.round, v.prover.id, None)
                    });
                    v.prover.vote = Some(vote);
                    v.prover.votes.insert(v.prover.id, vote);
                }
                v.prover
                    .vote
                    .map(|vote| vote.to_value())
                    .unwrap_or_default()
            }),
            "Confirm" => {
                let (confirmation, newly) = self.with(k, |v| {
                    let newly = v.prover.finalized.is_none();
                    if newly {
                        let votes = v.prover.ballot();
                        v.prover.finalized = Some(v.finalize(votes).ok());
                    }
                    let confirmation = Confirmation {
                        prover: v.prover.id,
                        round: v.config.round,
                        finalized: v.prover.finalized.flatten(),
                    };
                    (confirmation, newly)
                })?;
                if newly {
                    self.finalized(ctx, k, confirmation.finalized)?;
                }
                Ok(confirmation.to_value())
            }
            "Timeout" => Ok(Value::Unit),
            other => Err(contract(format!("Provers{k} has no payload for `{other}`"))),
        }
    }

    /// Observations of a prover's decision: the finalized state and
    /// whether it is valid (a state its round's leader signed and, when
    /// the prover holds the proposal, whose proof checks).
    fn finalized(
        &self,
        ctx: &EffectContext,
        k: u64,
        state: Option<StateHash>,
    ) -> Result<(), String> {
        self.enter(ctx, "Finalizing");
        let round = self.config.round;
        let Some(state) = state else {
            self.observe(ctx, &format!("no_quorum.{round}"), Value::Bool(true));
            return Ok(());
        };
        let valid = self.with(k, |v| {
            let signed = v
                .prover
                .votes
                .values()
                .filter_map(|vote| vote.approve)
                .any(|h| h.state == state && header_checks(v.config, &h));
            let proof = match &v.prover.proposal {
                Some(p) if p.header.state == state => proposal_checks(v.config, &v.prover.prior, p),
                _ => true,
            };
            signed && proof
        })?;
        self.observe(
            ctx,
            &format!("finalized.{round}"),
            Value::string(hex(&state.0)),
        );
        self.observe(ctx, "valid", Value::Bool(valid));
        Ok(())
    }

    /// A receipt of prover `k` from prover `from`.
    fn receive(&self, input: &RecvInput<'_>, k: u64, from: u64, label: &str) -> Result<(), String> {
        let ctx = &input.ctx;
        let payload = input.payload;
        let round = self.config.round;
        let evidence = match label {
            "Liveness" => self.with(k, |v| match Collected::from_value(payload) {
                Ok(c) if c.prover == from && c.round == round => {
                    v.prover.collected.insert(from, c.mutations);
                    false
                }
                _ => {
                    v.prover.rejected += 1;
                    false
                }
            })?,
            "Proposal" => {
                self.enter(ctx, "Voting");
                self.with(k, |v| match Proposal::from_value(payload) {
                    Ok(p)
                        if from == v.config.leader
                            && proposal_checks(v.config, &v.prover.prior, &p) =>
                    {
                        let evidence = v.prover.note_header(p.header);
                        if v.prover.proposal.is_none() {
                            v.prover.proposal = Some(p);
                        }
                        evidence
                    }
                    _ => {
                        v.prover.rejected += 1;
                        false
                    }
                })?
            }
            "Vote" => self.with(k, |v| match Vote::from_value(payload) {
                Ok(vote) if vote_checks(v.config, from, &vote) => {
                    v.prover.votes.entry(from).or_insert(vote);
                    vote.approve.is_some_and(|h| v.prover.note_header(h))
                }
                _ => {
                    v.prover.rejected += 1;
                    false
                }
            })?,
            "Confirm" => {
                let verified = self.with(k, |v| match Confirmation::from_value(payload) {
                    Ok(c) if c.prover == from && c.round == round => {
                        v.prover.confirmations.entry(from).or_insert(c);
                        let mine = v.prover.finalized.flatten();
                        let matching = v
                            .prover
                            .confirmations
                            .values()
                            .filter(|c| mine.is_some() && c.finalized == mine)
                            .count() as u64
                            + 1;
                        matching == v.config.quorum_size()
                    }
                    _ => {
                        v.prover.rejected += 1;
                        false
                    }
                })?;
                if verified {
                    self.enter(ctx, "Verifying");
                    self.observe(ctx, &format!("verified.{round}"), Value::Bool(true));
                }
                false
            }
            "NoProposal" | "Timeout" => {
                self.observe(ctx, &format!("failed.{round}"), Value::string(label));
                false
            }
            _ => false,
        };
        if evidence {
            let leader = self.config.leader;
            self.observe(
                ctx,
                &format!("evidence.{round}"),
                Value::string(format!("Provers{leader}")),
            );
        }
        Ok(())
    }
}

impl EffectHandler for ConsensusHost {
    fn handler_identity(&self) -> &str {
        "consensus.host"
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let role = input.role_name(input.ctx.role);
        let k = self.prover_of(role).map_err(|e| contract(e.to_string()))?;
        let label = *input
            .choices
            .first()
            .ok_or_else(|| contract(format!("{role} has nothing to send")))?;
        let payload = self.payload(input, k, input.label_name(label))?;
        Ok(SendDecision::Deliver { label, payload })
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        let k = self
            .prover_of(input.role_name(input.ctx.role))
            .map_err(|e| contract(e.to_string()))?;
        let from = self
            .prover_of(input.role_name(input.partner))
            .map_err(|e| contract(e.to_string()))?;
        self.receive(input, k, from, input.label_name(input.label))
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let call = input
            .call
            .as_ref()
            .ok_or_else(|| contract("a host action this protocol does not have".into()))?;
        let k = self
            .prover_of(input.role_name(input.ctx.role))
            .map_err(|e| contract(e.to_string()))?;
        let operation = call.operation.name.as_str();
        if operation == "prove" {
            self.enter(&input.ctx, "Proving");
        }
        let answer = self.with(k, |view| match call.operation.effect.as_str() {
            // The argument is the collection the leader received last,
            // which a byzantine prover may have garbled; the proof covers
            // every collection anyway.
            "Leader" if operation == "prove" => {
                let collected = Collected::from_value(call.argument).unwrap_or_default();
                Ok(Ok(encode_leader_prove(&view.prove(collected))))
            }
            "Synchronizer" => {
                SynchronizerRequest::decode(operation, call.argument).map(|r| r.perform(view))
            }
            "Liveness" => {
                LivenessRequest::decode(operation, call.argument).map(|r| r.perform(view))
            }
            "Leader" => LeaderRequest::decode(operation, call.argument).map(|r| r.perform(view)),
            "Voting" => VotingRequest::decode(operation, call.argument).map(|r| r.perform(view)),
            other => Err(format!("`{other}` is not an effect of consensus.tell")),
        })?;
        answer
            .map_err(|e| contract(format!("{}.{operation}: {e}", call.operation.effect)))?
            .map_err(HostFailure::into_step_error)
    }
}
