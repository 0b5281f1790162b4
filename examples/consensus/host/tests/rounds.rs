//! The host on the protocol machine (no simulator): honest rounds finalize
//! one state at every prover, rounds chain with a rotating leader, and a
//! recorded round replays to the same trace and host state.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use telltale_consensus_host::prover::Prover;
use telltale_consensus_host::{ConsensusHost, RoundConfig, StateHash};
use telltale_simulator::protocol::load_protocol;
use telltale_vm::{
    load_image_all_roles, run_record_replay_conformance_with_hosts, CodeImage, Config, RunStatus,
};

const MAX_ROUNDS: usize = 100_000;

/// `consensus.tell` for `provers` provers led by Provers`leader`.
fn image(provers: u64, leader: u64) -> CodeImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../consensus.tell");
    let params = BTreeMap::from([("N".to_string(), provers), ("L".to_string(), leader)]);
    load_protocol(&path, &params).unwrap()
}

/// Runs one round to its end and returns the provers' states.
fn run_round(host: ConsensusHost) -> BTreeMap<u64, Prover> {
    let c = *host.config();
    let mut machine = load_image_all_roles(image(c.provers, c.leader), Config::default()).unwrap();
    assert_eq!(machine.run(&host, MAX_ROUNDS), Ok(RunStatus::AllDone));
    host.into_provers()
}

/// The one state every prover finalized.
fn agreed(provers: &BTreeMap<u64, Prover>) -> StateHash {
    let states: Vec<Option<StateHash>> = provers.values().map(|p| p.finalized.flatten()).collect();
    assert!(
        states.iter().all(|s| s.is_some() && *s == states[0]),
        "{states:?}"
    );
    states[0].unwrap()
}

#[test]
fn an_honest_round_finalizes_one_state_at_every_prover() {
    for n in [4, 7] {
        let provers = run_round(ConsensusHost::new(RoundConfig::new(n, 0).unwrap()));
        let state = agreed(&provers);
        let leader = &provers[&0];
        let proposal = leader.proposal.as_ref().unwrap();
        assert_eq!(proposal.header.state, state);
        // Every prover's mutations are in the proof.
        assert_eq!(proposal.mutations.len() as u64, 2 * n);
        assert!(provers
            .values()
            .all(|p| p.evidence.is_none() && p.rejected == 0));
    }
}

#[test]
fn rounds_chain_and_the_leader_rotates() {
    let n = 4;
    let mut provers: BTreeMap<u64, Prover> = (0..n).map(|k| (k, Prover::at_genesis(k))).collect();
    let mut seen = Vec::new();
    for round in 0..6 {
        let config = RoundConfig::new(n, round).unwrap();
        assert_eq!(config.leader, round % n);
        let fresh = provers
            .values()
            .map(|p| {
                (
                    p.id,
                    Prover::new(p.id, p.finalized.flatten().unwrap_or(p.prior)),
                )
            })
            .collect();
        provers = run_round(ConsensusHost::with_provers(config, fresh));
        let state = agreed(&provers);
        let leader = &provers[&config.leader];
        assert_eq!(
            leader.proposal.as_ref().unwrap().header.leader,
            config.leader
        );
        assert!(!seen.contains(&state), "round {round} repeated a state");
        seen.push(state);
    }
}

#[test]
fn a_recorded_round_replays_to_the_same_trace_and_state() {
    let config = RoundConfig::new(4, 1).unwrap();
    let make = || load_image_all_roles(image(4, 1), Config::default());
    let (host, replaying) = (ConsensusHost::new(config), ConsensusHost::new(config));
    let report =
        run_record_replay_conformance_with_hosts(&make, &host, &replaying, MAX_ROUNDS).unwrap();
    assert_eq!(report.outcome, Ok(RunStatus::AllDone));
    // Receipts reach the replaying host, so what each prover learned from
    // others is rebuilt; its own decisions come from the recording.
    let (a, b) = (host.into_provers(), replaying.into_provers());
    for k in 0..4 {
        let others = |p: &Prover| {
            p.votes
                .iter()
                .filter(|(v, _)| **v != k)
                .map(|(_, v)| *v)
                .collect::<Vec<_>>()
        };
        assert_eq!(others(&a[&k]), others(&b[&k]), "prover {k}");
        assert_eq!(a[&k].confirmations, b[&k].confirmations, "prover {k}");
        assert_eq!(a[&k].evidence, b[&k].evidence, "prover {k}");
    }
}

#[test]
fn a_session_whose_leader_the_rule_does_not_name_fails_the_round() {
    // The rule names Provers0 for round 0, but this session is led by
    // Provers1: its host refuses to prove, and everyone hears `NoProposal`.
    let host = ConsensusHost::new(RoundConfig::new(4, 0).unwrap());
    let mut machine = load_image_all_roles(image(4, 1), Config::default()).unwrap();
    assert_eq!(machine.run(&host, MAX_ROUNDS), Ok(RunStatus::AllDone));
    let failed: Vec<_> = host
        .log()
        .since(0)
        .into_iter()
        .filter(|o| o.key == "failed.0")
        .map(|o| o.value)
        .collect();
    assert_eq!(failed, vec!["\"NoProposal\""; 3]);
    assert!(host.into_provers().values().all(|p| p.finalized.is_none()));
}
