//! Four provers as four processes (`consensus-prover`) on 127.0.0.1, over
//! the secure transport: a round finalizes one state at every prover. Then
//! one prover's process dies mid-round (exit, no goodbye): the others miss
//! its votes and confirmations, finalize that round on their own three
//! votes, then finalize the next rounds among the three of them, with the
//! next leader each time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// `n` addresses on 127.0.0.1 that were free a moment ago.
fn free_addresses(n: usize) -> Vec<SocketAddr> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap()).collect()
}

/// Starts prover `k` of `round` among `members`.
fn start(
    k: u64,
    round: u64,
    members: &[u64],
    peers: &BTreeMap<u64, SocketAddr>,
    prior: Option<&str>,
    die_at_vote: bool,
) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_consensus-prover"));
    let members: Vec<String> = members.iter().map(u64::to_string).collect();
    command
        .args(["--id", &k.to_string(), "--round", &round.to_string()])
        .args(["--members", &members.join(",")]);
    for (p, address) in peers {
        command.args(["--peer", &format!("{p}={address}")]);
    }
    if let Some(prior) = prior {
        command.args(["--prior", prior]);
    }
    if die_at_vote {
        command.arg("--die-at-vote");
    }
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// One round among `members` as processes; `dies` dies at its first vote.
/// Returns each prover's exit code and report.
fn round(
    round: u64,
    members: &[u64],
    prior: Option<&str>,
    dies: Option<u64>,
) -> BTreeMap<u64, (Option<i32>, serde_json::Value, String)> {
    let addresses = free_addresses(members.len());
    let peers: BTreeMap<u64, SocketAddr> = members.iter().copied().zip(addresses).collect();
    let children: Vec<(u64, Child)> = members
        .iter()
        .map(|&k| (k, start(k, round, members, &peers, prior, dies == Some(k))))
        .collect();
    children
        .into_iter()
        .map(|(k, child)| {
            let out = child.wait_with_output().unwrap();
            let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
            let stderr = String::from_utf8_lossy(&out.stderr).to_string();
            (k, (out.status.code(), report, stderr))
        })
        .collect()
}

/// The one state `provers` all finalized.
fn agreed(results: &BTreeMap<u64, (Option<i32>, serde_json::Value, String)>) -> String {
    let states: Vec<&serde_json::Value> = results
        .iter()
        .map(|(k, (code, report, stderr))| {
            assert_eq!(*code, Some(0), "prover {k}: {stderr}");
            &report["finalized"]
        })
        .collect();
    assert!(
        states.iter().all(|s| s.is_string() && *s == states[0]),
        "agreement: {states:?}"
    );
    states[0].as_str().unwrap().to_string()
}

#[test]
fn four_prover_processes_finalize_and_survive_one_that_dies() {
    // Round 0, led by Provers0: all four finalize one state.
    let results = round(0, &[0, 1, 2, 3], None, None);
    for (k, (_, report, stderr)) in &results {
        assert_eq!(report["timed_out"], false, "prover {k}: {stderr}");
    }
    let mut state = agreed(&results);
    let mut states = vec![state.clone()];
    // Round 1, led by Provers1: Provers2's process exits as it would vote.
    let mut results = round(1, &[0, 1, 2, 3], Some(&state), Some(2));
    let (code, _, _) = results.remove(&2).unwrap();
    assert_eq!(code, Some(3), "the prover died");
    for (k, (_, report, stderr)) in &results {
        assert_eq!(report["timed_out"], true, "prover {k}: {stderr}");
    }
    state = agreed(&results);
    assert!(!states.contains(&state), "a new state every round");
    states.push(state.clone());
    // The next rounds among the three live provers, from the state agreed.
    for r in 2..4 {
        state = agreed(&round(r, &[0, 1, 3], Some(&state), None));
        assert!(!states.contains(&state), "a new state every round");
        states.push(state.clone());
    }
}
