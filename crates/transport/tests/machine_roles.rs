//! Protocol-machine roles as processes: each role's machine in its own
//! thread and runtime, talking over loopback TCP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use telltale_choreography::ChoreoError;
use telltale_compiler::CodeImage;
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_theory::projection::project_all;
use telltale_transport::{serve_machine_role, MachineRoleError, MachineRoleSummary, TcpConfig};
use telltale_types::Role;
use telltale_vm::{
    CommunicationReplayMode, Config, DefaultHandler, EffectHandler, MessageAuth, SendDecision,
    SendDecisionInput,
};

/// The one protocol of an example file, compiled.
fn image(file: &str) -> (CodeImage, telltale_types::ContentId) {
    let path = format!("{}/../../examples/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let source = SourceFile::new(file, text);
    let (module, diagnostics) = load(&source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let protocol = lower_all(&module, &LowerOptions::default())
        .unwrap()
        .remove(0);
    let locals: Vec<_> = project_all(&protocol.global).unwrap().into_iter().collect();
    let image =
        CodeImage::build_with_effects(Some(&protocol.global), &locals, &protocol.effects).unwrap();
    (image, protocol.global.content_id().unwrap())
}

/// A role's key (distinct per first letter of its name).
fn key(role: &str) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[role.as_bytes()[0]; 32])
}

/// A host that stops its role at its first choice: the process dies
/// there (its connections close).
struct DiesAtItsChoice;

impl EffectHandler for DiesAtItsChoice {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        if input.choices.len() > 1 {
            return Err("the process was killed".into());
        }
        DefaultHandler::new(0).send_decision(input)
    }
}

/// Runs every role of `image` as a machine role in its own thread; the
/// hosts of roles named in `dying` die at their first choice.
fn run_roles(
    image: &CodeImage,
    id: telltale_types::ContentId,
    dying: &[&str],
    machine: &Config,
) -> BTreeMap<String, Result<MachineRoleSummary, MachineRoleError>> {
    let roles: Vec<String> = image
        .roles
        .iter()
        .map(|r| image.symbols.role_name(r.role))
        .collect();
    let mut listeners = Vec::new();
    let mut addresses: BTreeMap<Role, SocketAddr> = BTreeMap::new();
    for role in &roles {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        addresses.insert(Role::new(role), listener.local_addr().unwrap());
        listeners.push(listener);
    }
    let threads: Vec<_> = roles
        .iter()
        .zip(listeners)
        .map(|(role, listener)| {
            let role = role.clone();
            let image = image.clone();
            let peers = addresses
                .iter()
                .filter(|(r, _)| r.as_str() != role)
                .map(|(r, a)| (r.clone(), *a))
                .collect();
            let mut config = TcpConfig {
                connect_deadline: Duration::from_secs(10),
                recv_timeout: Duration::from_secs(5),
                ..TcpConfig::new(Role::new(&role), id, peers)
            };
            if machine.message_auth == MessageAuth::Ed25519 {
                // A secure channel, and the same keys sign the machine's
                // messages.
                config.identity = Some(key(&role));
                config.peer_keys = roles
                    .iter()
                    .filter(|r| **r != role)
                    .map(|r| (Role::new(r), key(r).verifying_key()))
                    .collect();
            } else {
                config = config.insecure();
            }
            let dies = dying.contains(&role.as_str());
            let machine = machine.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let result = runtime.block_on(async {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let honest = DefaultHandler::new(7);
                    let host: &dyn EffectHandler = if dies { &DiesAtItsChoice } else { &honest };
                    serve_machine_role(listener, config, image, &role, host, machine).await
                });
                (role, result)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn three_buyer_runs_as_three_machine_role_processes() {
    let (image, id) = image("three_buyer.tell");
    // Over secure channels, signed with the roles' own keys (the roster's),
    // hash-chained and sequence-checked across the processes.
    let checked = Config {
        message_auth: MessageAuth::Ed25519,
        communication_replay_mode: CommunicationReplayMode::Sequence,
        ..Config::default()
    };
    let results = run_roles(&image, id, &[], &checked);
    assert_eq!(results.len(), 3);
    let (mut sent, mut received) = (0, 0);
    for (role, result) in &results {
        let summary = result.as_ref().unwrap_or_else(|e| panic!("{role}: {e}"));
        assert!(
            summary.steps > 0 && !summary.timed_out,
            "{role}: {summary:?}"
        );
        sent += summary.sent;
        received += summary.received;
    }
    assert!(sent > 0);
    assert_eq!(sent, received, "every message sent was received once");
}

#[test]
fn when_the_holder_dies_the_keeper_and_auditor_take_their_timeout_branches() {
    let (image, id) = image("lease.tell");
    let started = Instant::now();
    let results = run_roles(&image, id, &["Holder"], &Config::default());
    assert!(matches!(
        results["Holder"],
        Err(MachineRoleError::Machine { .. } | MachineRoleError::Faulted { .. })
    ));
    for role in ["Keeper", "Auditor"] {
        let summary = results[role]
            .as_ref()
            .unwrap_or_else(|e| panic!("{role}: {e}"));
        assert!(summary.timed_out, "{role}: {summary:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "within the timeout"
    );
}

#[test]
fn a_peer_that_dies_where_there_is_no_timeout_branch_is_disconnected() {
    let (image, id) = image("three_buyer.tell");
    let results = run_roles(&image, id, &["Bob"], &Config::default());
    let survivors: Vec<_> = results
        .iter()
        .filter(|(role, _)| role.as_str() != "Bob")
        .collect();
    assert!(
        survivors.iter().any(|(_, r)| matches!(
            r,
            Err(MachineRoleError::Transport { source, .. })
                if matches!(**source, ChoreoError::Disconnected { .. })
        )),
        "{results:?}"
    );
}
