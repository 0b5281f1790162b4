//! Replay consumption: every (mode × attack) cell, with and without
//! signatures, the replay-proof log, and bounded state across sessions.

use crate::config::{CommunicationReplayMode as Mode, Config, MessageAuth};
use crate::effect::{EffectHandler, RecvInput, SendDecision, SendDecisionInput};
use crate::fault::{Fault, ProtocolMachineError};
use crate::ids::SessionId;
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use crate::replay::consumption::ReplayRejection;
use crate::replay::proof::{verify_replay_proof, verify_replay_proof_from_genesis};
use crate::scheduler::SchedulerPolicy;
use crate::trace::TraceRetention;
use std::cell::{Cell, RefCell};
use telltale_compiler::{CodeImage, Value};
use telltale_types::{Label, LocalType, PayloadSort, Role};

/// Sends increasing integers and records what each session received.
#[derive(Default)]
struct Recorder {
    next: Cell<i64>,
    received: RefCell<Vec<(SessionId, Value)>>,
}

impl Recorder {
    fn received_in(&self, session: SessionId) -> Vec<Value> {
        self.received
            .borrow()
            .iter()
            .filter(|(s, _)| *s == session)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl EffectHandler for Recorder {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let n = self.next.get();
        self.next.set(n + 1);
        Ok(SendDecision::Deliver {
            label: input.choices[0],
            payload: Value::Int(n),
        })
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        self.received
            .borrow_mut()
            .push((input.ctx.session, input.payload.clone()));
        Ok(())
    }
}

/// `A -> B : m(int) . A -> B : m(int) . end`; A runs first (priority).
fn machine(mode: Mode, auth: MessageAuth) -> ProtocolMachine {
    let m = Label::new("m", PayloadSort::Int);
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send(
                "B",
                m.clone(),
                LocalType::send("B", m.clone(), LocalType::End),
            ),
        ),
        (
            Role::new("B"),
            LocalType::recv("A", m.clone(), LocalType::recv("A", m, LocalType::End)),
        ),
    ];
    let config = Config {
        communication_replay_mode: mode,
        message_auth: auth,
        scheduler: SchedulerPolicy::Priority {
            priorities: vec![("A".into(), 10)],
        },
        ..Config::default()
    };
    ProtocolMachine::new(CodeImage::build(None, &locals).unwrap(), config).unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attack {
    Normal,
    Duplicate,
    Reorder,
    CrossSession,
}

/// How a cell ends: the run completes with B of the victim session having
/// received these payloads, or faults.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Done(Vec<i64>),
    Fault(Fault),
}

const DONOR: SessionId = 0;
const VICTIM: SessionId = 1;

/// Opens a donor and a victim session, lets both A's queue their two
/// messages (donor payloads 0, 2; victim payloads 1, 3), attacks the
/// victim's edge, and runs to the end.
fn cell(mode: Mode, auth: MessageAuth, attack: Attack) -> (Outcome, ProtocolMachine) {
    let mut m = machine(mode, auth);
    assert_eq!(m.open_all_roles().unwrap(), DONOR);
    assert_eq!(m.open_all_roles().unwrap(), VICTIM);
    let (a, b) = (
        m.symbols().role_id("A").unwrap(),
        m.symbols().role_id("B").unwrap(),
    );
    let h = Recorder::default();
    for _ in 0..4 {
        m.step(&h).unwrap();
    }
    assert_eq!(m.session(VICTIM).unwrap().queued(a, b), 2);
    let attacked = match attack {
        Attack::Normal => true,
        Attack::Duplicate => m.duplicate_queued_message(VICTIM, a, b),
        Attack::Reorder => m.swap_queued_messages(VICTIM, a, b),
        Attack::CrossSession => m.inject_message_from(DONOR, VICTIM, a, b),
    };
    assert!(attacked);
    let outcome = match m.run(&h, 1_000) {
        Ok(RunStatus::AllDone) => Outcome::Done(
            h.received_in(VICTIM)
                .into_iter()
                .map(|v| match v {
                    Value::Int(n) => n,
                    other => panic!("unexpected payload {other:?}"),
                })
                .collect(),
        ),
        Ok(other) => panic!("{mode:?} {attack:?}: run ended {other:?}"),
        Err(ProtocolMachineError::Fault { session, fault, .. }) => {
            assert_eq!(session, VICTIM);
            Outcome::Fault(fault)
        }
        Err(e) => panic!("{e}"),
    };
    (outcome, m)
}

fn replay(seq: u64, reason: ReplayRejection) -> Outcome {
    Outcome::Fault(Fault::ReplayDetected {
        session: VICTIM,
        from: "A".into(),
        to: "B".into(),
        seq,
        reason,
    })
}

fn mismatch(expected: u64, actual: u64) -> Outcome {
    Outcome::Fault(Fault::SequenceMismatch {
        session: VICTIM,
        from: "A".into(),
        to: "B".into(),
        expected,
        actual,
    })
}

fn signature(seq: u64) -> Outcome {
    Outcome::Fault(Fault::SignatureInvalid {
        session: VICTIM,
        from: "A".into(),
        to: "B".into(),
        seq,
    })
}

fn chain(seq: u64) -> Outcome {
    Outcome::Fault(Fault::AuthChainBroken {
        session: VICTIM,
        from: "A".into(),
        to: "B".into(),
        seq,
    })
}

#[test]
fn every_mode_and_attack_cell() {
    use Attack::*;
    use MessageAuth::{Ed25519, None as Plain};
    let cross = ReplayRejection::CrossSession { origin: DONOR };
    let done = |v: &[i64]| Outcome::Done(v.to_vec());
    // Victim A sends 1 then 3; the donor's first message is 0.
    let table = [
        // Policy semantics: no signatures.
        (Mode::Off, Plain, Normal, done(&[1, 3])),
        (Mode::Off, Plain, Duplicate, done(&[1, 1])),
        (Mode::Off, Plain, Reorder, done(&[3, 1])),
        (Mode::Off, Plain, CrossSession, done(&[0, 1])),
        (Mode::Sequence, Plain, Normal, done(&[1, 3])),
        (Mode::Sequence, Plain, Duplicate, mismatch(1, 0)),
        (Mode::Sequence, Plain, Reorder, mismatch(0, 1)),
        (Mode::Sequence, Plain, CrossSession, replay(0, cross)),
        (Mode::Nullifier, Plain, Normal, done(&[1, 3])),
        (
            Mode::Nullifier,
            Plain,
            Duplicate,
            replay(0, ReplayRejection::Duplicate),
        ),
        (Mode::Nullifier, Plain, Reorder, done(&[3, 1])),
        (Mode::Nullifier, Plain, CrossSession, replay(0, cross)),
        // With ed25519 the signature and chain checks fire first.
        (Mode::Off, Ed25519, Duplicate, chain(0)),
        (Mode::Off, Ed25519, CrossSession, signature(0)),
        (Mode::Sequence, Ed25519, Normal, done(&[1, 3])),
        (Mode::Sequence, Ed25519, Duplicate, chain(0)),
        (Mode::Sequence, Ed25519, Reorder, chain(1)),
        (Mode::Sequence, Ed25519, CrossSession, signature(0)),
        (Mode::Nullifier, Ed25519, Normal, done(&[1, 3])),
        (Mode::Nullifier, Ed25519, Duplicate, chain(0)),
        (Mode::Nullifier, Ed25519, Reorder, chain(1)),
        (Mode::Nullifier, Ed25519, CrossSession, signature(0)),
    ];
    for (mode, auth, attack, expected) in table {
        let (got, _) = cell(mode, auth, attack);
        assert_eq!(got, expected, "{mode:?} {auth:?} {attack:?}");
    }
}

#[test]
fn rejected_messages_never_reach_the_handler_and_commit_nothing() {
    let (outcome, m) = cell(Mode::Nullifier, MessageAuth::None, Attack::CrossSession);
    assert!(matches!(outcome, Outcome::Fault(_)));
    // The donor's messages went through; nothing of the victim's did.
    let proofs = m.replay_proof_log();
    assert!(proofs.iter().all(|p| p.session == DONOR), "{proofs:?}");
    let (a, b) = (0, 1);
    assert_eq!(m.session(VICTIM).unwrap().queued(a, b), 3);
}

#[test]
fn the_proof_log_chains_per_edge_and_is_exported() {
    for mode in [Mode::Sequence, Mode::Nullifier] {
        let (outcome, m) = cell(mode, MessageAuth::None, Attack::Normal);
        assert_eq!(outcome, Outcome::Done(vec![1, 3]));
        let log = m.replay_proof_log();
        assert_eq!(log.len(), 4, "{mode:?}");
        assert_eq!(verify_replay_proof_from_genesis(&log), Ok(()));
        let victim: Vec<_> = log.iter().filter(|e| e.session == VICTIM).collect();
        assert_eq!(victim[0].pre_root, [0; 32]);
        assert_eq!(victim[1].pre_root, victim[0].post_root);
        assert_eq!(victim.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![0, 1]);
        // Same nullifiers in both sessions would mean cross-session reuse
        // could pass: the session id separates them.
        let donor: Vec<_> = log.iter().filter(|e| e.session == DONOR).collect();
        assert_ne!(donor[0].nullifier, victim[0].nullifier);
        assert_eq!(m.replay_fragment().replay_proofs, log);
    }
    // The reordered cell consumes seq 1 before seq 0; the log still chains.
    let (_, m) = cell(Mode::Nullifier, MessageAuth::None, Attack::Reorder);
    let log = m.replay_proof_log();
    assert_eq!(verify_replay_proof(&log), Ok(()));
    let session = m.sessions.get(VICTIM).unwrap();
    assert_eq!(session.replay.as_ref().unwrap().retained(), 0);
    // Off records nothing.
    let (_, m) = cell(Mode::Off, MessageAuth::None, Attack::Normal);
    assert!(m.replay_proof_log().is_empty());
    assert!(m.sessions.get(VICTIM).unwrap().replay.is_none());
}

#[test]
fn the_proof_log_is_deterministic() {
    let (_, a) = cell(Mode::Nullifier, MessageAuth::Ed25519, Attack::Normal);
    let (_, b) = cell(Mode::Nullifier, MessageAuth::Ed25519, Attack::Normal);
    assert_eq!(a.replay_proof_log(), b.replay_proof_log());
    let (_, plain) = cell(Mode::Nullifier, MessageAuth::None, Attack::Normal);
    // Identities do not depend on signatures.
    assert_eq!(a.replay_proof_log(), plain.replay_proof_log());
}

/// `A -> B : req(int) . B -> A : resp(int) . end`.
fn request_response(mode: Mode, retention: TraceRetention) -> ProtocolMachine {
    let int = |n: &str| Label::new(n, PayloadSort::Int);
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send(
                "B",
                int("req"),
                LocalType::recv("B", int("resp"), LocalType::End),
            ),
        ),
        (
            Role::new("B"),
            LocalType::recv(
                "A",
                int("req"),
                LocalType::send("A", int("resp"), LocalType::End),
            ),
        ),
    ];
    let config = Config {
        communication_replay_mode: mode,
        effect_trace_retention: retention,
        trace_retention: TraceRetention::KeepLast(64),
        ..Config::default()
    };
    ProtocolMachine::new(CodeImage::build(None, &locals).unwrap(), config).unwrap()
}

#[test]
fn close_prunes_and_reaping_releases_replay_state() {
    let mut m = request_response(Mode::Nullifier, TraceRetention::KeepLast(16));
    let h = Recorder::default();
    for i in 0..1_000u64 {
        let sid = m.open_all_roles().unwrap();
        assert!(m.sessions.get(sid).unwrap().replay.is_some());
        assert_eq!(m.run(&h, 100).unwrap(), RunStatus::AllDone);
        let by = m.coroutines_of(sid)[0];
        m.close_session(sid, by).unwrap();
        assert!(m.sessions.get(sid).unwrap().replay.is_none(), "cycle {i}");
        assert_eq!(m.reap_closed_sessions().len(), 1);
        assert_eq!(m.live_session_count(), 0);
        assert_eq!(m.coroutine_count(), 0);
        assert!(m.replay_proofs.len() <= 16);
    }
    assert_eq!(m.replay_proofs.pushed(), 2_000);
    assert_eq!(verify_replay_proof(&m.replay_proof_log()), Ok(()));
}

#[test]
fn the_replay_benches_run() {
    for (mode, name) in [
        (Mode::Sequence, "pingpong-replay-sequence"),
        (Mode::Nullifier, "pingpong-replay-nullifier"),
    ] {
        let r = crate::bench::pingpong_hardened(
            40,
            crate::bench::Hardening {
                replay: mode,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.workload, name);
        assert_eq!(r.messages, 42);
    }
}
