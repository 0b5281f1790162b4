//! Byzantine roles that act through their handler: every message still
//! fits the role's local type (no fault of an honest role follows from
//! it), the report counts the lies, a silent role's messages never leave
//! it, and runs stay deterministic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use telltale_simulator::{run_scenario_text, RunOptions};

fn scenario(role: &str, strategy: &str) -> String {
    format!(
        "name = \"byzantine_{strategy}\"\nprotocol = \"../three_buyer.tell\"\nsteps = 500\nseed = 3\n\n\
         [[byzantine]]\nrole = \"{role}\"\nstrategy = \"{strategy}\"\n\n\
         [properties]\ninvariants = [\"no_faults\", \"deadlock_free\"]\n"
    )
}

fn run(role: &str, strategy: &str, seed: u64) -> telltale_simulator::Outcome {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/byzantine.toml");
    run_scenario_text(
        &scenario(role, strategy),
        &path,
        &RunOptions { seed: Some(seed) },
    )
    .unwrap()
}

#[test]
fn lying_through_the_handler_fits_the_types_and_is_counted() {
    for (role, strategy) in [
        ("Alice", "random_payload"),
        ("Seller", "equivocate"),
        ("Bob", "random_choice"),
    ] {
        let mut lies = 0;
        for seed in 0..8 {
            let outcome = run(role, strategy, seed);
            let report = &outcome.report;
            assert!(
                report.violations.is_empty(),
                "{strategy} seed {seed}: {:?}",
                report.violations
            );
            assert_eq!(report.byzantine.len(), 1);
            assert_eq!(
                (
                    report.byzantine[0].role.as_str(),
                    report.byzantine[0].strategy.as_str()
                ),
                (role, strategy)
            );
            lies += report.byzantine[0].lies;
            // The replay of the recording reproduces the lies.
            assert!(
                report.contracts.iter().all(|c| c.holds),
                "{strategy}: {:?}",
                report.contracts
            );
        }
        assert!(lies > 0, "{strategy} never lied in 8 seeds");
    }
}

#[test]
fn a_silent_role_withholds_its_messages_and_the_others_wait() {
    let outcome = run("Alice", "silent", 1);
    let report = &outcome.report;
    assert!(report.network.withheld > 0, "{report:?}");
    assert!(outcome
        .trace
        .lines()
        .iter()
        .any(|l| l.contains("\"withhold\"")));
    assert!(!report.passed, "the honest roles wait for Alice forever");
    // The replay withholds them too (it used to deliver them).
    let replay = &report.contracts[0];
    assert!(replay.holds, "{replay:?}");
}

#[test]
fn byzantine_runs_are_deterministic() {
    let a = run("Bob", "random_choice", 5);
    let b = run("Bob", "random_choice", 5);
    assert_eq!(a.trace.lines(), b.trace.lines());
    assert_eq!(a.report.trace_digest, b.report.trace_digest);
}

/// A run with an injecting role under the given machine defences: the
/// seller of three-buyer forges, the pinger of the ping-pong rally
/// replays (its earlier pings fit what the ponger expects next).
fn injecting(strategy: &str, machine: &str, seed: u64) -> telltale_simulator::Outcome {
    let (protocol, role) = match strategy {
        "replay" => ("ping_pong.tell", "Pinger"),
        _ => ("three_buyer.tell", "Seller"),
    };
    let text = format!(
        "name = \"byzantine_{strategy}\"\nprotocol = \"../{protocol}\"\nsteps = 500\n\n\
         [machine]\n{machine}\n\n\
         [[byzantine]]\nrole = \"{role}\"\nstrategy = \"{strategy}\"\n\n\
         [properties]\ninvariants = [\"no_faults\"]\n"
    );
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/byzantine.toml");
    run_scenario_text(&text, &path, &RunOptions { seed: Some(seed) }).unwrap()
}

/// Injected, rejected and accepted messages over `seeds`, and whether
/// every run's `injections_rejected` held.
fn injections(strategy: &str, machine: &str) -> (u64, u64, u64, bool) {
    let (mut injected, mut rejected, mut accepted, mut held) = (0, 0, 0, true);
    for seed in 0..12 {
        let outcome = injecting(strategy, machine, seed);
        let report = &outcome.report;
        let counts = report.byzantine[0].injections.expect("injection counts");
        assert_eq!(
            counts.injected,
            counts.rejected + counts.accepted + counts.unread
        );
        injected += counts.injected;
        rejected += counts.rejected;
        accepted += counts.accepted;
        let property = report
            .properties
            .iter()
            .find(|p| p.property == "injections_rejected")
            .expect("added on its own");
        held &= property.holds;
        assert_eq!(property.holds, counts.accepted == 0, "seed {seed}");
        // A rejection is the defence working, not a fault of the receiver.
        assert!(
            report.violations.iter().all(|v| v.property != "no_faults"),
            "seed {seed}: {:?}",
            report.violations
        );
    }
    (injected, rejected, accepted, held)
}

#[test]
fn signatures_reject_every_forged_message() {
    let (injected, rejected, accepted, held) = injections("forge", "message_auth = \"ed25519\"");
    assert!(injected > 0 && rejected > 0, "{injected} {rejected}");
    assert_eq!(accepted, 0);
    assert!(held);
}

#[test]
fn sequence_checks_reject_every_replayed_message() {
    let (injected, rejected, accepted, held) = injections("replay", "replay_mode = \"sequence\"");
    assert!(injected > 0 && rejected > 0, "{injected} {rejected}");
    assert_eq!(accepted, 0);
    assert!(held);
}

#[test]
fn without_replay_checks_a_replayed_message_is_accepted_and_reported() {
    let (injected, _, accepted, held) = injections("replay", "replay_mode = \"off\"");
    assert!(injected > 0);
    assert!(accepted > 0, "a replay got through and was counted");
    assert!(!held);
}

#[test]
fn injecting_runs_are_deterministic() {
    let a = injecting("forge", "message_auth = \"ed25519\"", 4);
    let b = injecting("forge", "message_auth = \"ed25519\"", 4);
    assert_eq!(a.trace.lines(), b.trace.lines());
    assert!(a.trace.lines().iter().any(|l| l.contains("\"inject\"")));
}
