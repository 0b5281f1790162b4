//! The consensus host over TCP: each prover a protocol-machine role in its
//! own thread and runtime, on 127.0.0.1, over secure channels (every role's
//! key pinned in the roster). Rounds chain with a rotating leader; when the
//! leader dies mid-round, the others take the round's `Timeout` branch;
//! when a voter dies, the others finalize later rounds without it.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use telltale_consensus_host::over_tcp::{roster, round_among, serve_prover};
use telltale_consensus_host::prover::Prover;
use telltale_consensus_host::{ConsensusHost, StateHash};
use telltale_transport::MachineRoleSummary;
use telltale_vm::{EffectHandler, SendDecision, SendDecisionInput};

const N: u64 = 4;

/// Every prover.
const ALL: [u64; 4] = [0, 1, 2, 3];

/// When a prover's process dies (its process ends).
#[derive(Clone, Copy, Debug)]
enum Death {
    /// At its first effect call: for the leader, `check Leader.prove`,
    /// before it proposes.
    FirstCall,
    /// When it would send its first vote: a voter that dies mid-round.
    FirstVote,
}

/// A prover's host that dies at `Death`.
struct Dying(ConsensusHost, Death);

impl EffectHandler for Dying {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let voting = input
            .choices
            .first()
            .is_some_and(|&l| input.label_name(l) == "Vote");
        if voting && matches!(self.1, Death::FirstVote) {
            return Err("the prover's process was killed".into());
        }
        self.0.send_decision(input)
    }

    fn step(&self, input: &telltale_vm::InvokeInput<'_>) -> Result<telltale_vm::Value, String> {
        if input.call.is_some() && matches!(self.1, Death::FirstCall) {
            return Err("the prover's process was killed".into());
        }
        self.0.step(input)
    }

    fn handle_recv(&self, input: &telltale_vm::RecvInput<'_>) -> Result<(), String> {
        self.0.handle_recv(input)
    }
}

/// Each prover's result and state after a round over TCP.
type RoundResults = BTreeMap<u64, (Result<MachineRoleSummary, String>, Option<Prover>)>;

/// One round over TCP among `members` (the session's `Provers<i>` is
/// prover `members[i]`), every prover in its own thread, starting from
/// `provers`; the one named in `dies` dies there. Returns each prover's
/// result and state after the round, by prover.
fn round_over_tcp(
    round: u64,
    members: &[u64],
    provers: &BTreeMap<u64, Prover>,
    dies: Option<(u64, Death)>,
) -> RoundResults {
    let (config, image) = round_among(N, round, members).unwrap();
    let listeners: Vec<std::net::TcpListener> = members
        .iter()
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let addresses: BTreeMap<u64, SocketAddr> = members
        .iter()
        .zip(&listeners)
        .map(|(&k, l)| (k, l.local_addr().unwrap()))
        .collect();
    let roster = roster(members, &addresses).unwrap();
    let threads: Vec<_> = listeners
        .into_iter()
        .zip(members.iter().copied())
        .map(|(listener, k)| {
            listener.set_nonblocking(true).unwrap();
            let (image, roster) = (image.clone(), roster.clone());
            let provers = members.iter().map(|m| (*m, provers[m].clone())).collect();
            let members = members.to_vec();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let host =
                    ConsensusHost::with_provers(config, provers).with_members(members.clone());
                let result = runtime.block_on(async {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    match dies {
                        Some((dead, death)) if dead == k => {
                            let dying = Dying(host, death);
                            let r = serve_prover(listener, image, &roster, &members, k, &dying);
                            (r.await, None)
                        }
                        _ => {
                            let r = serve_prover(listener, image, &roster, &members, k, &host);
                            (r.await, host.prover(k))
                        }
                    }
                });
                (k, result)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Asserts that every prover of `results` finished and finalized the same
/// state, and returns it with the provers ready for the next round.
fn agreed(round: u64, results: &RoundResults) -> (StateHash, BTreeMap<u64, Prover>) {
    let mut states = Vec::new();
    let mut next = BTreeMap::new();
    for (k, (result, prover)) in results {
        if let Err(e) = result {
            panic!("round {round}, prover {k}: {e}");
        }
        let state = prover
            .as_ref()
            .and_then(|p| p.finalized.flatten())
            .expect("finalized");
        states.push(state);
        next.insert(*k, Prover::new(*k, state));
    }
    assert!(
        states.iter().all(|s| *s == states[0]),
        "agreement: {states:?}"
    );
    (states[0], next)
}

/// Whether a prover of `results` took a timeout.
fn any_timed_out(results: &RoundResults) -> bool {
    results
        .values()
        .any(|(r, _)| r.as_ref().is_ok_and(|s| s.timed_out))
}

#[test]
fn rounds_finalize_over_tcp_with_a_rotating_leader() {
    let mut provers: BTreeMap<u64, Prover> =
        ALL.iter().map(|&k| (k, Prover::at_genesis(k))).collect();
    let mut finalized: Vec<StateHash> = Vec::new();
    for round in 0..3 {
        let results = round_over_tcp(round, &ALL, &provers, None);
        assert!(!any_timed_out(&results));
        let (state, next) = agreed(round, &results);
        assert!(!finalized.contains(&state), "a new state every round");
        finalized.push(state);
        provers = next;
    }
}

#[test]
fn when_the_leader_dies_mid_round_the_others_take_the_timeout_branch() {
    let provers: BTreeMap<u64, Prover> = ALL.iter().map(|&k| (k, Prover::at_genesis(k))).collect();
    // Round 1 is led by Provers1.
    let results = round_over_tcp(1, &ALL, &provers, Some((1, Death::FirstCall)));
    assert!(results[&1].0.is_err(), "the leader died");
    for k in [0, 2, 3] {
        let (result, prover) = &results[&k];
        let summary = result
            .as_ref()
            .unwrap_or_else(|e| panic!("prover {k}: {e}"));
        assert!(summary.timed_out, "prover {k} took the Timeout branch");
        let prover = prover.as_ref().unwrap();
        assert_eq!(prover.finalized.flatten(), None, "nothing finalized");
    }
}

#[test]
fn when_a_voter_dies_the_others_finalize_its_round_and_later_rounds_without_it() {
    let provers: BTreeMap<u64, Prover> = ALL.iter().map(|&k| (k, Prover::at_genesis(k))).collect();
    // Round 0 (led by Provers0): Provers2's process dies as it would vote.
    // Its votes and confirmations may be missed (`or missed`): the others
    // see it go, miss them, and finalize on the other three votes (a
    // quorum of 3 of N = 4); what they send it is undeliverable.
    let mut results = round_over_tcp(0, &ALL, &provers, Some((2, Death::FirstVote)));
    let (died, _) = results.remove(&2).unwrap();
    assert!(died.is_err(), "the voter died");
    for (k, (result, _)) in &results {
        let summary = result
            .as_ref()
            .unwrap_or_else(|e| panic!("prover {k}: {e}"));
        assert!(
            summary.timed_out,
            "prover {k} missed the dead voter's messages"
        );
        assert!(summary.undeliverable > 0, "prover {k}: {summary:?}");
    }
    let (first, mut provers) = agreed(0, &results);
    // The next rounds run over the three live provers only, with the next
    // leader among them, and a quorum that still counts against all four.
    let live = [0, 1, 3];
    let mut finalized = vec![first];
    for round in 1..3 {
        let (state, next) = agreed(round, &round_over_tcp(round, &live, &provers, None));
        assert!(!finalized.contains(&state), "a new state every round");
        finalized.push(state);
        provers = next;
    }
}
