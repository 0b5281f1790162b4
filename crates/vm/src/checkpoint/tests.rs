//! Tests of checkpoint and restore: a restored machine continues the
//! uninterrupted run exactly, and every damaged or inconsistent checkpoint
//! is refused with a typed error, never a panic.

use crate::checkpoint::{Checkpoint, CheckpointError, CHECKPOINT_FORMAT_VERSION};
use crate::config::{CommunicationReplayMode, Config, MessageAuth};
use crate::effect::default_handler::DefaultHandler;
use crate::effect::trace::EffectTraceEntry;
use crate::event::ObsEvent;
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use crate::replay::ReplayEffectHandler;
use crate::scheduler::SchedulerPolicy;
use crate::session::{EdgeLayout, EdgeTable};
use crate::trace::TraceRetention;
use crate::{load_all_roles, CoroStatus};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use telltale_types::{Label, LocalType, PayloadSort, Role};

const BUDGET: usize = 10_000;

/// `rec t . A -> B {again(int) . B -> C : fwd(int) . C -> A : ack . t, stop . B -> C : done . end}`.
fn machine(config: Config) -> ProtocolMachine {
    let again = Label::new("again", PayloadSort::Int);
    let stop = Label::unit("stop");
    let fwd = Label::new("fwd", PayloadSort::Int);
    let done = Label::unit("done");
    let ack = Label::unit("ack");
    let a = LocalType::rec(
        "t",
        LocalType::select(
            "B",
            [
                (
                    again.clone(),
                    LocalType::recv("C", ack.clone(), LocalType::var("t")),
                ),
                (stop.clone(), LocalType::End),
            ],
        ),
    );
    let b = LocalType::rec(
        "t",
        LocalType::branch(
            "A",
            [
                (
                    again,
                    LocalType::send("C", fwd.clone(), LocalType::var("t")),
                ),
                (stop, LocalType::send("C", done.clone(), LocalType::End)),
            ],
        ),
    );
    let c = LocalType::rec(
        "t",
        LocalType::branch(
            "B",
            [
                (fwd, LocalType::send("A", ack, LocalType::var("t"))),
                (done, LocalType::End),
            ],
        ),
    );
    let locals = vec![
        (Role::new("A"), a),
        (Role::new("B"), b),
        (Role::new("C"), c),
    ];
    load_all_roles(None, &locals, config).unwrap()
}

fn configs() -> Vec<Config> {
    let signed = Config {
        message_auth: MessageAuth::Ed25519,
        auth_seed: 7,
        communication_replay_mode: CommunicationReplayMode::Sequence,
        ..Config::default()
    };
    vec![
        Config::default(),
        signed.clone(),
        Config {
            scheduler: SchedulerPolicy::Cooperative,
            communication_replay_mode: CommunicationReplayMode::Nullifier,
            ..signed
        },
        Config {
            scheduler: SchedulerPolicy::Priority {
                priorities: vec![("C".into(), 3), ("B".into(), 1)],
            },
            trace_retention: TraceRetention::KeepLast(5),
            ..Config::default()
        },
        Config {
            scheduler: SchedulerPolicy::ProgressAware,
            ..Config::default()
        },
        Config {
            thread_jumps: false,
            effect_trace_retention: TraceRetention::KeepLast(3),
            ..Config::default()
        },
    ]
}

fn handler() -> DefaultHandler {
    DefaultHandler::with_free_iterations(4, 6)
}

/// The uninterrupted run: its traces and its length in rounds.
fn uninterrupted(config: &Config) -> (Vec<ObsEvent>, Vec<EffectTraceEntry>, u64) {
    let mut m = machine(config.clone());
    assert_eq!(m.run(&handler(), BUDGET).unwrap(), RunStatus::AllDone);
    (m.trace(), m.effect_trace(), m.clock())
}

fn round_trip(m: &ProtocolMachine) -> ProtocolMachine {
    let bytes = m.checkpoint().unwrap().to_bytes();
    ProtocolMachine::restore(&Checkpoint::from_bytes(&bytes).unwrap()).unwrap()
}

#[test]
fn restore_continues_the_uninterrupted_run_at_every_round() {
    for config in configs() {
        let (trace, effects, rounds) = uninterrupted(&config);
        assert!(rounds > 20, "the run loops a few times");
        for k in 0..=rounds {
            let h = handler();
            let mut m = machine(config.clone());
            m.run(&h, k as usize).unwrap();
            let mut restored = round_trip(&m);
            drop(m);
            assert_eq!(restored.run(&h, BUDGET).unwrap(), RunStatus::AllDone);
            assert_eq!(restored.trace(), trace, "{config:?} at round {k}");
            assert_eq!(restored.effect_trace(), effects, "{config:?} at round {k}");
        }
    }
}

#[test]
fn a_replay_handler_resumes_after_the_consumed_prefix() {
    let config = Config::default();
    let (trace, effects, rounds) = uninterrupted(&config);
    let recorded: Arc<[EffectTraceEntry]> = Arc::from(effects);
    let fallback = handler();
    let mut m = machine(config);
    m.run(&handler(), (rounds / 2) as usize).unwrap();
    let mut restored = round_trip(&m);
    let replay = ReplayEffectHandler::resuming_at(
        recorded.clone(),
        &fallback,
        restored.effect_entries_recorded(),
    );
    assert_eq!(restored.run(&replay, BUDGET).unwrap(), RunStatus::AllDone);
    assert!(replay.is_exhausted());
    assert_eq!(restored.trace(), trace);
}

#[test]
fn a_restored_machine_checkpoints_to_the_same_bytes() {
    for config in configs() {
        let mut m = machine(config);
        m.run(&handler(), 9).unwrap();
        let bytes = m.checkpoint().unwrap().to_bytes();
        let again = round_trip(&m).checkpoint().unwrap().to_bytes();
        assert_eq!(bytes, again);
    }
}

#[test]
fn json_round_trips() {
    let mut m = machine(configs()[1].clone());
    let h = handler();
    m.run(&h, 8).unwrap();
    let cp = m.checkpoint().unwrap().with_host_state(vec![1, 2, 3]);
    let json = cp.to_json().unwrap();
    assert!(json.contains(&format!("\"format_version\": {CHECKPOINT_FORMAT_VERSION}")));
    let back = Checkpoint::from_json(&json).unwrap();
    assert_eq!(back, cp);
    let mut restored = ProtocolMachine::restore(&back).unwrap();
    m.run(&h.clone_state(), BUDGET).unwrap();
    restored.run(&h, BUDGET).unwrap();
    assert_eq!(restored.trace(), m.trace());
}

impl DefaultHandler {
    fn clone_state(&self) -> DefaultHandler {
        DefaultHandler::resumed(self.seed(), self.free_iterations(), &self.choice_visits())
    }
}

fn sample() -> Vec<u8> {
    let mut m = machine(Config::default());
    m.run(&handler(), 5).unwrap();
    m.checkpoint()
        .unwrap()
        .with_host_state(vec![9; 3])
        .to_bytes()
}

#[test]
fn host_state_survives_bytes() {
    let cp = Checkpoint::from_bytes(&sample()).unwrap();
    assert_eq!(cp.host_state(), &[9, 9, 9]);
    assert_eq!(cp.crate_version(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn another_format_version_is_refused() {
    let mut bytes = sample();
    let other = CHECKPOINT_FORMAT_VERSION + 1;
    bytes[4..8].copy_from_slice(&other.to_le_bytes());
    assert_eq!(
        Checkpoint::from_bytes(&bytes),
        Err(CheckpointError::UnsupportedVersion {
            found: other,
            supported: CHECKPOINT_FORMAT_VERSION
        })
    );
}

#[test]
fn another_crate_version_is_refused() {
    let cp = Checkpoint::from_bytes(&sample()).unwrap();
    let mut other = cp.clone();
    other.crate_version = "0.0.0-other".into();
    let err = Checkpoint::from_bytes(&other.to_bytes()).unwrap_err();
    assert!(matches!(err, CheckpointError::CrateVersionMismatch { .. }));
    assert!(matches!(
        ProtocolMachine::restore(&other),
        Err(CheckpointError::CrateVersionMismatch { .. })
    ));
}

#[test]
fn every_truncation_is_refused() {
    let bytes = sample();
    for len in 0..bytes.len() {
        let err = Checkpoint::from_bytes(&bytes[..len]).unwrap_err();
        assert!(
            matches!(err, CheckpointError::Truncated { found, .. } if found == len),
            "length {len}: {err:?}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Checkpoint::from_bytes(&longer),
        Err(CheckpointError::Decode(_))
    ));
    assert_eq!(
        Checkpoint::from_bytes(b"JUNK"),
        Err(CheckpointError::BadMagic)
    );
}

#[test]
fn every_flipped_bit_is_refused_with_the_error_of_its_field() {
    let bytes = sample();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut bad = bytes.clone();
            bad[i] ^= 1 << bit;
            let err = Checkpoint::from_bytes(&bad).unwrap_err();
            let expected = match i {
                0..=3 => matches!(err, CheckpointError::BadMagic),
                4..=7 => matches!(err, CheckpointError::UnsupportedVersion { .. }),
                8..=15 => matches!(
                    err,
                    CheckpointError::Truncated { .. } | CheckpointError::Decode(_)
                ),
                _ => err == CheckpointError::DigestMismatch,
            };
            assert!(expected, "byte {i} bit {bit}: {err:?}");
        }
    }
}

/// Re-wraps a machine state with a valid envelope and digest.
fn forge(machine: Vec<u8>) -> Vec<u8> {
    let cp = Checkpoint {
        crate_version: env!("CARGO_PKG_VERSION").into(),
        host_state: Vec::new(),
        machine,
    };
    let bytes = cp.to_bytes();
    let body = &bytes[48..];
    assert_eq!(&bytes[16..48], Sha256::digest(body).as_slice());
    bytes
}

type Edit = fn(&mut ProtocolMachine);

#[test]
fn inconsistent_states_are_refused() {
    let cases: Vec<(&str, Edit)> = vec![
        ("monitor state", |m| {
            m.coroutines[0].as_mut().unwrap().monitor_state = 999
        }),
        ("entry", |m| m.coroutines[1].as_mut().unwrap().entry = 9),
        ("role", |m| m.coroutines[1].as_mut().unwrap().role = 77),
        ("session slot", |m| {
            m.coroutines[2].as_mut().unwrap().session_slot = 5
        }),
        ("session id", |m| {
            m.coroutines[2].as_mut().unwrap().session = 5
        }),
        ("speculation scope", |m| {
            let c = m.coroutines[0].as_mut().unwrap();
            c.ext = Some(Box::new(crate::coro_ext::CoroExt {
                scopes: vec![crate::coro_ext::SpeculationScope {
                    ghost: 0,
                    registers: c.registers.clone(),
                    monitor_state: 9_999,
                    facts: 0,
                }],
                ..Default::default()
            }))
        }),
        ("live count", |m| m.live += 1),
        ("free coroutine slot", |m| m.coro_free.push(0)),
        ("free session slot", |m| m.sessions.free.push(3)),
        ("active sessions", |m| m.sessions.active = 0),
        ("edges", |m| {
            let s = m.sessions.slots[0].as_mut().unwrap();
            let edge = s.edges.iter().next().unwrap().clone();
            s.edges = EdgeTable::new(Arc::new(EdgeLayout::new(1, vec![0])), |_| edge.clone());
        }),
        ("width", |m| m.sessions.slots[0].as_mut().unwrap().width = 2),
        ("coroutine slot", |m| {
            m.sessions.slots[0].as_mut().unwrap().coro_slots[0] = 40
        }),
        ("handler", |m| {
            m.sessions.slots[0].as_mut().unwrap().edges.all_mut()[0].handler = 4
        }),
        ("handler table", |m| {
            Arc::make_mut(&mut m.handler_symbols).clear()
        }),
        ("wake list", |m| m.wake_senders.push(99)),
        ("ready queue", |m| m.ready.push(99, 0, false)),
        ("scheduler", |m| {
            Arc::make_mut(&mut m.config).scheduler = SchedulerPolicy::Cooperative
        }),
        ("trace retention", |m| {
            Arc::make_mut(&mut m.config).trace_retention = TraceRetention::Off
        }),
        ("authentication", |m| {
            Arc::make_mut(&mut m.config).message_auth = MessageAuth::Ed25519
        }),
        ("replay mode", |m| {
            Arc::make_mut(&mut m.config).communication_replay_mode =
                CommunicationReplayMode::Nullifier
        }),
        ("replay tables", |m| {
            m.sessions.slots[0].as_mut().unwrap().replay =
                Some(Box::new(crate::replay::consumption::SessionReplay::new(1)))
        }),
        ("image", |m| {
            std::sync::Arc::make_mut(&mut m.image).roles.clear()
        }),
        ("finished list", |m| m.sessions.finished.push(0)),
        ("duplicate coroutine", |m| {
            let c = m.coroutines[0].clone();
            m.coroutines.push(c);
        }),
        ("done but counted live", |m| {
            let c = m.coroutines.all_mut().iter_mut().flatten();
            let running = c.filter(|c| !c.status.is_terminal()).last().unwrap();
            running.status = CoroStatus::Done;
        }),
    ];
    for (what, edit) in cases {
        let mut m = machine(Config::default());
        m.run(&handler(), 4).unwrap();
        edit(&mut m);
        let bytes = forge(postcard::to_allocvec(&m).unwrap());
        let cp = Checkpoint::from_bytes(&bytes).unwrap();
        let result = ProtocolMachine::restore(&cp);
        assert!(
            matches!(result, Err(CheckpointError::InvalidState(_))),
            "{what}: {:?}",
            result.err()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A machine state with bytes changed behind a valid digest is refused
    /// or, if accepted, runs without panicking.
    #[test]
    fn forged_states_never_panic(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), config in 0..6usize) {
        let mut m = machine(configs()[config].clone());
        m.run(&handler(), 6).unwrap();
        let mut state = postcard::to_allocvec(&m).unwrap();
        for (at, value) in edits {
            let i = at.index(state.len());
            state[i] = value;
        }
        let cp = Checkpoint::from_bytes(&forge(state)).unwrap();
        if let Ok(mut restored) = ProtocolMachine::restore(&cp) {
            let _ = restored.run(&handler(), 2_000);
            let _ = restored.trace();
            let _ = restored.checkpoint();
        }
    }

    /// Machine states that are a real state's prefix followed by arbitrary
    /// bytes (all arbitrary when the prefix is empty), inside a valid
    /// envelope: the envelope always passes, so `restore` itself is reached,
    /// and it refuses the state with a machine-state error (never an
    /// envelope error, never a panic) or returns a machine that runs.
    #[test]
    fn arbitrary_states_reach_restore_and_never_panic(
        keep in any::<prop::sample::Index>(),
        whole in any::<bool>(),
        tail in prop::collection::vec(any::<u8>(), 0..256),
        config in 0..6usize,
    ) {
        let mut m = machine(configs()[config].clone());
        m.run(&handler(), 6).unwrap();
        let real = postcard::to_allocvec(&m).unwrap();
        let kept = if whole { keep.index(real.len()) } else { 0 };
        let mut state = real[..kept].to_vec();
        state.extend_from_slice(&tail);
        let cp = Checkpoint::from_bytes(&forge(state));
        prop_assert!(cp.is_ok(), "the envelope was refused: {:?}", cp.err());
        match ProtocolMachine::restore(&cp.unwrap()) {
            Ok(mut restored) => {
                let _ = restored.run(&handler(), 2_000);
                let _ = restored.checkpoint();
            }
            Err(e) => prop_assert!(
                matches!(e, CheckpointError::Decode(_) | CheckpointError::InvalidState(_)),
                "not a machine-state error: {e:?}"
            ),
        }
    }
}

/// Guards held, speculation scopes open and knowledge tagged at the
/// checkpoint survive restore: every round's restore continues the run.
#[test]
fn restore_mid_guard_and_speculation_continues_the_run() {
    use crate::exec::test_support::{config, machine_with, send_and_halt};
    use telltale_compiler::Instr;
    let mut code = vec![
        Instr::Acquire { layer: 2, dst: 1 },
        Instr::Fork { ghost: 1 },
        Instr::Set { dst: 2, val: 0 },
        Instr::Tag { fact: 2, dst: 3 },
        Instr::Abort,
        Instr::Set { dst: 2, val: 0 },
        Instr::Tag { fact: 2, dst: 3 },
        Instr::Release {
            layer: 2,
            evidence: 1,
        },
    ];
    code.extend(send_and_halt());
    let consts = vec![telltale_compiler::Value::String("fact".into())];
    let fresh = || machine_with(false, code.clone(), consts.clone(), config());
    let h = handler();
    let mut whole = fresh();
    assert_eq!(whole.run(&h, BUDGET).unwrap(), RunStatus::AllDone);
    for k in 1..whole.clock() as usize {
        let mut m = fresh();
        m.run(&h, k).unwrap();
        let mut restored = round_trip(&m);
        assert_eq!(restored.run(&h, BUDGET).unwrap(), RunStatus::AllDone);
        assert_eq!(
            restored.trace(),
            whole.trace(),
            "checkpoint after {k} rounds"
        );
        assert_eq!(restored.effect_trace(), whole.effect_trace());
    }
}
