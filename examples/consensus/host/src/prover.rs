//! One prover's state for a round and the seed's providers (the traits
//! `tell scaffold` generated from the `effect` declarations), implemented
//! on a view of that state. The logic is the part the types cannot
//! guarantee: proofs that check, votes only for a checked proposal of the
//! round's leader, at most one vote per round, quorums of matching votes,
//! and evidence of an equivocating leader.

use crate::config::RoundConfig;
use crate::crypto::{genesis, header_message, prove_state, sign, verify, vote_message};
use crate::generated_effects::*;
use crate::host_types::*;
use std::collections::BTreeMap;

/// What one prover knows in a round.
#[derive(Clone, Debug, Default, Hash)]
pub struct Prover {
    /// Its index in `Provers[N]`.
    pub id: u64,
    /// The state the round starts from.
    pub prior: StateHash,
    /// Mutations collected for the round, by the prover that collected
    /// them (the leader hears everyone's).
    pub collected: BTreeMap<u64, Vec<String>>,
    /// The proposal it accepted (the first that checked).
    pub proposal: Option<Proposal>,
    /// Its own vote, once cast (never changes within a round).
    pub vote: Option<Vote>,
    /// Valid votes received, by voter (its own included).
    pub votes: BTreeMap<u64, Vote>,
    /// The first signed header seen from the round's leader.
    pub first_header: Option<Header>,
    /// Two different signed headers of the leader for this round.
    pub evidence: Option<(Header, Header)>,
    /// What it finalized, once it decided (`Some(None)`: no quorum).
    pub finalized: Option<Option<StateHash>>,
    /// Confirmations received, by prover.
    pub confirmations: BTreeMap<u64, Confirmation>,
    /// Messages that did not check (byzantine or damaged), ignored.
    pub rejected: u64,
}

impl Prover {
    /// A prover at the start of a round from `prior`.
    pub fn new(id: u64, prior: StateHash) -> Prover {
        Prover {
            id,
            prior,
            ..Prover::default()
        }
    }

    /// A prover at the start of the first round.
    pub fn at_genesis(id: u64) -> Prover {
        Prover::new(id, genesis())
    }

    /// The mutations this prover collects itself for `round`.
    pub fn own_mutations(&self, round: u64) -> Vec<String> {
        (0..2)
            .map(|k| format!("r{round}.p{}.m{k}", self.id))
            .collect()
    }

    /// Records a leader-signed header; a second, different one for the
    /// same round is evidence. Returns whether it is new evidence.
    pub fn note_header(&mut self, header: Header) -> bool {
        match self.first_header {
            None => {
                self.first_header = Some(header);
                false
            }
            Some(first) if first != header && self.evidence.is_none() => {
                self.evidence = Some((first, header));
                true
            }
            Some(_) => false,
        }
    }

    /// The votes it holds, its own first (how it hands them to `finalize`).
    pub fn ballot(&self) -> Votes {
        let own = self.votes.get(&self.id).copied();
        let others = self
            .votes
            .iter()
            .filter(|(v, _)| **v != self.id)
            .map(|(_, v)| *v);
        Votes(own.into_iter().chain(others).collect())
    }

    /// The number of valid votes approving `state`.
    pub fn approvals(&self, state: &StateHash) -> u64 {
        self.votes
            .values()
            .filter(|v| v.approve.is_some_and(|h| h.state == *state))
            .count() as u64
    }
}

/// Whether `header` is the round's leader's, for this round, with a valid
/// signature.
pub fn header_checks(config: &RoundConfig, header: &Header) -> bool {
    header.round == config.round
        && header.leader == config.leader
        && verify(
            header.leader,
            &header_message(header.round, header.leader, &header.state),
            &header.signature,
        )
}

/// Whether `proposal` checks against `prior`: signed by the round's
/// leader, and its state is the proof of `prior` and its mutations.
pub fn proposal_checks(config: &RoundConfig, prior: &StateHash, proposal: &Proposal) -> bool {
    header_checks(config, &proposal.header)
        && proposal.prior == *prior
        && !proposal.mutations.is_empty()
        && prove_state(prior, &proposal.mutations) == proposal.header.state
}

/// Whether `vote`, received from `sender`, is a valid vote of this round.
pub fn vote_checks(config: &RoundConfig, sender: u64, vote: &Vote) -> bool {
    vote.voter == sender
        && vote.round == config.round
        && vote
            .approve
            .as_ref()
            .map_or(true, |h| header_checks(config, h))
        && verify(
            vote.voter,
            &vote_message(
                vote.round,
                vote.voter,
                vote.approve.as_ref().map(|h| &h.signature),
            ),
            &vote.signature,
        )
}

/// A proposal by `leader` from `prior` over `mutations`, signed.
pub fn make_proposal(
    round: u64,
    leader: u64,
    prior: StateHash,
    mutations: Vec<String>,
) -> Proposal {
    let state = prove_state(&prior, &mutations);
    let signature = sign(leader, &header_message(round, leader, &state));
    Proposal {
        header: Header {
            round,
            leader,
            state,
            signature,
        },
        prior,
        mutations,
    }
}

/// `voter`'s signed vote for `approve` (or against).
pub fn make_vote(round: u64, voter: u64, approve: Option<Header>) -> Vote {
    let signature = sign(
        voter,
        &vote_message(round, voter, approve.as_ref().map(|h| &h.signature)),
    );
    Vote {
        voter,
        approve,
        signature,
        round,
    }
}

/// One prover's state with the round's settings: what the providers act on.
pub struct ProverView<'a> {
    /// The prover.
    pub prover: &'a mut Prover,
    /// The round.
    pub config: &'a RoundConfig,
}

impl SynchronizerHost for ProverView<'_> {
    fn synchronize(&mut self, state_hash: StateHash) -> SynchronizerSynchronizeOutcome {
        // A prover that has no state yet takes the network's.
        if self.prover.prior == StateHash::default() {
            self.prover.prior = state_hash;
        }
        Ok(self.prover.prior)
    }
}

impl LivenessHost for ProverView<'_> {
    fn collect(&mut self) -> LivenessCollectOutcome {
        let mutations = self.prover.own_mutations(self.config.round);
        self.prover
            .collected
            .insert(self.prover.id, mutations.clone());
        Ok(Collected {
            prover: self.prover.id,
            round: self.config.round,
            mutations,
        })
    }
}

impl LeaderHost for ProverView<'_> {
    fn next_leaders(&mut self, _state_hash: StateHash) -> LeaderNextLeadersOutcome {
        Ok(Leaders(self.config.next_leaders()))
    }

    /// Proves the next state from everything collected (the argument is
    /// the last collection received; the leader uses all of them).
    fn prove(&mut self, _collected: Collected) -> LeaderProveOutcome {
        let leaders = self.config.next_leaders();
        if leaders.first() != Some(&self.prover.id) {
            return Err(ProveError::NotLeader);
        }
        if self.prover.prior == StateHash::default() {
            return Err(ProveError::Unsynced);
        }
        if !self.prover.collected.contains_key(&self.prover.id) {
            let _ = self.collect();
        }
        let mutations: Vec<String> = self.prover.collected.values().flatten().cloned().collect();
        if mutations.is_empty() {
            return Err(ProveError::NothingCollected);
        }
        Ok(make_proposal(
            self.config.round,
            self.prover.id,
            self.prover.prior,
            mutations,
        ))
    }
}

impl VotingHost for ProverView<'_> {
    /// Votes once per round: for the first proposal that checks, else against.
    fn decide_and_vote(&mut self, proposal: Proposal) -> VotingDecideAndVoteOutcome {
        if let Some(vote) = self.prover.vote {
            return Ok(vote);
        }
        if !proposal_checks(self.config, &self.prover.prior, &proposal) {
            return Err(VoteError::InvalidProof);
        }
        let vote = make_vote(self.config.round, self.prover.id, Some(proposal.header));
        self.prover.vote = Some(vote);
        self.prover.votes.insert(self.prover.id, vote);
        Ok(vote)
    }

    fn is_quorum(&mut self, votes: Votes) -> VotingIsQuorumOutcome {
        let quorum = self.config.quorum_size();
        votes
            .0
            .iter()
            .filter_map(|v| v.approve.map(|h| h.state))
            .any(|s| {
                votes
                    .0
                    .iter()
                    .filter(|v| v.approve.is_some_and(|h| h.state == s))
                    .count() as u64
                    >= quorum
            })
    }

    /// The state a quorum of matching votes approves: the most approved,
    /// and on a tie (which only a buggy quorum rule allows) the one the
    /// earliest vote in `votes` approves (a prover lists its own first).
    fn finalize(&mut self, votes: Votes) -> VotingFinalizeOutcome {
        let quorum = self.config.quorum_size();
        let mut counts: BTreeMap<StateHash, u64> = BTreeMap::new();
        for v in &votes.0 {
            if let Some(h) = v.approve {
                *counts.entry(h.state).or_default() += 1;
            }
        }
        let best = counts.values().copied().max().unwrap_or(0);
        if best < quorum {
            return Err(FinalizeError::NoQuorum);
        }
        votes
            .0
            .iter()
            .filter_map(|v| v.approve.map(|h| h.state))
            .find(|s| counts.get(s) == Some(&best))
            .ok_or(FinalizeError::NoQuorum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::QuorumRule;

    fn config() -> RoundConfig {
        RoundConfig::new(4, 0).unwrap()
    }

    fn proposal(c: &RoundConfig) -> Proposal {
        let mut leader = Prover::at_genesis(c.leader);
        let mut view = ProverView {
            prover: &mut leader,
            config: c,
        };
        view.prove(Collected::default()).unwrap()
    }

    #[test]
    fn only_the_rounds_leader_proves_and_its_proof_checks() {
        let c = config();
        let p = proposal(&c);
        assert!(proposal_checks(&c, &genesis(), &p));
        let mut other = Prover::at_genesis(1);
        let mut view = ProverView {
            prover: &mut other,
            config: &c,
        };
        assert_eq!(view.prove(Collected::default()), Err(ProveError::NotLeader));
    }

    #[test]
    fn a_tampered_proposal_gets_no_vote() {
        let c = config();
        let mut p = proposal(&c);
        p.mutations.push("extra".into());
        let mut voter = Prover::at_genesis(2);
        let mut view = ProverView {
            prover: &mut voter,
            config: &c,
        };
        assert_eq!(view.decide_and_vote(p), Err(VoteError::InvalidProof));
        // A proposal signed by a prover that does not lead this round.
        let forged = make_proposal(0, 3, genesis(), vec!["m".into()]);
        assert_eq!(view.decide_and_vote(forged), Err(VoteError::InvalidProof));
    }

    #[test]
    fn a_prover_votes_once_per_round() {
        let c = config();
        let p = proposal(&c);
        let other = make_proposal(0, 0, genesis(), vec!["fork".into()]);
        let mut voter = Prover::at_genesis(2);
        let mut view = ProverView {
            prover: &mut voter,
            config: &c,
        };
        let first = view.decide_and_vote(p.clone()).unwrap();
        assert_eq!(view.decide_and_vote(other).unwrap(), first);
        assert_eq!(first.approve, Some(p.header));
        assert!(vote_checks(&c, 2, &first));
        assert!(!vote_checks(&c, 1, &first));
    }

    #[test]
    fn a_quorum_needs_two_f_plus_one_matching_votes() {
        let c = config();
        let p = proposal(&c);
        let votes = |n: u64| Votes((0..n).map(|v| make_vote(0, v, Some(p.header))).collect());
        let mut prover = Prover::at_genesis(1);
        let mut view = ProverView {
            prover: &mut prover,
            config: &c,
        };
        assert!(!view.is_quorum(votes(2)));
        assert_eq!(view.finalize(votes(2)), Err(FinalizeError::NoQuorum));
        assert!(view.is_quorum(votes(3)));
        assert_eq!(view.finalize(votes(3)), Ok(p.header.state));
        let buggy = RoundConfig {
            quorum: QuorumRule::TwoF,
            ..c
        };
        let mut view = ProverView {
            prover: &mut prover,
            config: &buggy,
        };
        assert_eq!(view.finalize(votes(2)), Ok(p.header.state));
    }

    #[test]
    fn two_headers_of_one_leader_for_one_round_are_evidence() {
        let c = config();
        let a = proposal(&c).header;
        let b = make_proposal(0, 0, genesis(), vec!["fork".into()]).header;
        let mut prover = Prover::at_genesis(1);
        assert!(!prover.note_header(a));
        assert!(!prover.note_header(a));
        assert!(prover.note_header(b));
        assert_eq!(prover.evidence, Some((a, b)));
    }
}
