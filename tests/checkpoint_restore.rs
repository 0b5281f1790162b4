//! Checkpoint and restore on random protocols: for a random round `k`,
//! running `k` rounds, checkpointing to bytes, restoring and running to the
//! end gives exactly the observable and effect traces of the uninterrupted
//! run, under several schedulers, with and without signed messages and
//! sequence-number replay checks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod protocol_gen;

use proptest::prelude::*;
use protocol_gen::{build, looping, shape};
use telltale_compiler::CodeImage;
use telltale_theory::projection::project_all;
use telltale_types::GlobalType;
use telltale_vm::{
    load_image_all_roles, Checkpoint, CommunicationReplayMode, Config, DefaultHandler, MessageAuth,
    ProtocolMachine, RunStatus, SchedulerPolicy, TraceRetention,
};

const BUDGET: usize = 200_000;

fn config(i: usize, seed: u64) -> Config {
    let signed = Config {
        message_auth: MessageAuth::Ed25519,
        auth_seed: seed,
        communication_replay_mode: CommunicationReplayMode::Sequence,
        ..Config::default()
    };
    match i % 6 {
        0 => Config::default(),
        1 => signed,
        2 => Config {
            scheduler: SchedulerPolicy::Cooperative,
            communication_replay_mode: CommunicationReplayMode::Nullifier,
            ..signed
        },
        3 => Config {
            scheduler: SchedulerPolicy::Priority {
                priorities: vec![("R1".into(), 2), ("R2".into(), 1)],
            },
            ..Config::default()
        },
        4 => Config {
            scheduler: SchedulerPolicy::ProgressAware,
            communication_replay_mode: CommunicationReplayMode::Sequence,
            ..Config::default()
        },
        _ => Config {
            scheduler: SchedulerPolicy::Cooperative,
            trace_retention: TraceRetention::KeepLast(7),
            thread_jumps: false,
            ..Config::default()
        },
    }
}

fn load(image: &CodeImage, config: &Config) -> ProtocolMachine {
    load_image_all_roles(image.clone(), config.clone()).unwrap()
}

fn check(global: &GlobalType, seed: u64, which: usize, at: f64) -> Result<(), TestCaseError> {
    let locals: Vec<_> = project_all(global).unwrap().into_iter().collect();
    let image = CodeImage::build(Some(global), &locals).unwrap();
    let config = config(which, seed);

    let mut whole = load(&image, &config);
    let status = whole.run(&DefaultHandler::new(seed), BUDGET).unwrap();
    prop_assert_eq!(status, RunStatus::AllDone);
    let rounds = whole.clock();
    let k = ((rounds as f64) * at) as usize;

    // The handler's state lives outside the machine: the same handler
    // object serves both halves of the interrupted run.
    let handler = DefaultHandler::new(seed);
    let mut first = load(&image, &config);
    first.run(&handler, k).unwrap();
    let bytes = first.checkpoint().unwrap().to_bytes();
    drop(first);
    let checkpoint = Checkpoint::from_bytes(&bytes).unwrap();
    let mut second = ProtocolMachine::restore(&checkpoint).unwrap();
    prop_assert_eq!(second.run(&handler, BUDGET).unwrap(), RunStatus::AllDone);
    prop_assert_eq!(
        second.trace(),
        whole.trace(),
        "{} at round {} of {}",
        global,
        k,
        rounds
    );
    prop_assert_eq!(second.effect_trace(), whole.effect_trace());
    prop_assert_eq!(second.clock(), rounds);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn restore_at_a_random_round_continues_the_run(
        shapes in shape(3), n in 2..5usize, seed in 0..1000u64, which in 0..6usize, at in 0.0..1.0f64,
    ) {
        let mut counter = 0;
        let global = build(&shapes, n, GlobalType::End, &mut counter);
        check(&global, seed, which, at)?;
    }

    #[test]
    fn restore_inside_a_random_loop_continues_the_run(
        shapes in shape(2), n in 2..5usize, seed in 0..1000u64, which in 0..6usize, at in 0.0..1.0f64,
    ) {
        check(&looping(&shapes, n), seed, which, at)?;
    }
}
