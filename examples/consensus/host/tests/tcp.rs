//! The consensus host over TCP: each prover a protocol-machine role in its
//! own thread and runtime, on 127.0.0.1, over secure channels (every role's
//! key pinned in the roster). Rounds chain with a rotating leader; when the
//! leader dies mid-round, the others take the round's `Timeout` branch.

#![allow(clippy::unwrap_used)]

use ed25519_dalek::SigningKey;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use telltale_consensus_host::prover::Prover;
use telltale_consensus_host::{ConsensusHost, RoundConfig, StateHash};
use telltale_simulator::protocol::load_protocol;
use telltale_transport::{
    serve_machine_role, MachineRoleError, MachineRoleSummary, Roster, RosterEntry, TcpConfig,
};
use telltale_types::Role;
use telltale_vm::{CodeImage, Config, EffectHandler, SendDecision, SendDecisionInput};

const N: u64 = 4;

fn image(leader: u64) -> CodeImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../consensus.tell");
    let params = BTreeMap::from([("N".to_string(), N), ("L".to_string(), leader)]);
    load_protocol(&path, &params).unwrap()
}

fn key(k: u64) -> SigningKey {
    SigningKey::from_bytes(&[k as u8 + 1; 32])
}

/// A prover's host that dies (its process ends) at its first effect
/// call: for the leader, `check Leader.prove`, before it proposes.
struct DiesAtItsFirstCall(ConsensusHost);

impl EffectHandler for DiesAtItsFirstCall {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.0.send_decision(input)
    }

    fn step(&self, input: &telltale_vm::InvokeInput<'_>) -> Result<telltale_vm::Value, String> {
        if input.call.is_some() {
            return Err("the prover's process was killed".into());
        }
        self.0.step(input)
    }

    fn handle_recv(&self, input: &telltale_vm::RecvInput<'_>) -> Result<(), String> {
        self.0.handle_recv(input)
    }
}

/// One round over TCP: every prover in its own thread, starting from
/// `provers`; the one named `dies` dies at its first effect call. Returns each
/// prover's result and state after the round.
fn round_over_tcp(
    round: u64,
    provers: &BTreeMap<u64, Prover>,
    dies: Option<u64>,
) -> BTreeMap<u64, (Result<MachineRoleSummary, MachineRoleError>, Option<Prover>)> {
    let config = RoundConfig::new(N, round).unwrap();
    let image = image(config.leader);
    let id = image.global.as_ref().unwrap().content_id().unwrap();
    let mut listeners = Vec::new();
    let mut roster = Roster::default();
    for k in 0..N {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        roster.roles.insert(
            Role::new(format!("Provers{k}")),
            RosterEntry {
                address,
                public_key: Some(key(k).verifying_key()),
            },
        );
        listeners.push(listener);
    }
    let threads: Vec<_> = listeners
        .into_iter()
        .enumerate()
        .map(|(k, listener)| {
            let k = k as u64;
            let role = format!("Provers{k}");
            let (mut tcp, _) =
                TcpConfig::from_roster(role.as_str(), id, &roster, Some(key(k))).unwrap();
            tcp.connect_deadline = Duration::from_secs(20);
            tcp.recv_timeout = Duration::from_secs(5);
            let image = image.clone();
            let provers = provers.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let host = ConsensusHost::with_provers(config, provers);
                let result = runtime.block_on(async {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    if dies == Some(k) {
                        let dying = DiesAtItsFirstCall(host);
                        let r = serve_machine_role(
                            listener,
                            tcp,
                            image,
                            &role,
                            &dying,
                            Config::default(),
                        )
                        .await;
                        (r, None)
                    } else {
                        let r = serve_machine_role(
                            listener,
                            tcp,
                            image,
                            &role,
                            &host,
                            Config::default(),
                        )
                        .await;
                        (r, host.prover(k))
                    }
                });
                (k, result)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn rounds_finalize_over_tcp_with_a_rotating_leader() {
    let mut provers: BTreeMap<u64, Prover> = (0..N).map(|k| (k, Prover::at_genesis(k))).collect();
    let mut finalized: Vec<StateHash> = Vec::new();
    for round in 0..3 {
        let results = round_over_tcp(round, &provers, None);
        let mut states = Vec::new();
        for (k, (result, prover)) in results {
            let summary = result.unwrap_or_else(|e| panic!("round {round}, prover {k}: {e}"));
            assert!(!summary.timed_out);
            let prover = prover.unwrap();
            let state = prover.finalized.flatten().expect("finalized");
            states.push(state);
            provers.insert(k, Prover::new(k, state));
        }
        assert!(
            states.iter().all(|s| *s == states[0]),
            "agreement: {states:?}"
        );
        assert!(!finalized.contains(&states[0]), "a new state every round");
        finalized.push(states[0]);
    }
}

#[test]
fn when_the_leader_dies_mid_round_the_others_take_the_timeout_branch() {
    let provers: BTreeMap<u64, Prover> = (0..N).map(|k| (k, Prover::at_genesis(k))).collect();
    // Round 1 is led by Provers1.
    let results = round_over_tcp(1, &provers, Some(1));
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
