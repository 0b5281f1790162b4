//! Tests of runner checkpoints: a runner restored after any number of
//! waves finishes with every shard's full trace (ticks included) equal to
//! the uninterrupted run's; damaged or inconsistent checkpoints are typed
//! errors.

use crate::bench::{request_response_image, ring_image};
use crate::checkpoint::CheckpointError;
use crate::config::Config;
use crate::effect::default_handler::{ChoiceVisits, DefaultHandler, DEFAULT_FREE_ITERATIONS};
use crate::kernel::RunStatus;
use crate::scheduler::SchedulerPolicy;
use crate::threaded::checkpoint::RunnerCheckpoint;
use crate::threaded::{ThreadedError, ThreadedRunner};
use telltale_compiler::CodeImage;

const SESSIONS: usize = 50;
const WAVE: usize = 5;
const SEED: u64 = 7;

fn runner(image: &CodeImage, policy: SchedulerPolicy, threads: usize) -> ThreadedRunner {
    let config = Config {
        scheduler: policy,
        ..Config::default()
    };
    let mut r = ThreadedRunner::new(image.clone(), config, threads).unwrap();
    r.set_wave_rounds(WAVE).unwrap();
    r.open_sessions(None, SESSIONS).unwrap();
    r
}

fn handlers(choices: &[Vec<ChoiceVisits>]) -> Vec<DefaultHandler> {
    choices
        .iter()
        .map(|c| DefaultHandler::resumed(SEED, DEFAULT_FREE_ITERATIONS, c))
        .collect()
}

fn choices(handlers: &[DefaultHandler]) -> Vec<Vec<ChoiceVisits>> {
    handlers.iter().map(DefaultHandler::choice_visits).collect()
}

#[test]
fn a_runner_restored_after_k_waves_finishes_like_the_uninterrupted_one() {
    let image = ring_image(3).unwrap();
    for policy in [SchedulerPolicy::RoundRobin, SchedulerPolicy::Cooperative] {
        for n in [1, 2, 3] {
            let mut whole = runner(&image, policy.clone(), n);
            let hs = handlers(&vec![Vec::new(); n]);
            let status = whole.run_with_handlers(&hs, usize::MAX).unwrap();
            assert_eq!(status, RunStatus::AllDone);
            let expected = whole.shard_traces();
            for k in [0, 1, 2, 5, 13] {
                let what = format!("{policy:?} n={n} k={k}");
                let mut first = runner(&image, policy.clone(), n);
                let hs = handlers(&vec![Vec::new(); n]);
                let early = first.run_with_handlers(&hs, k * WAVE).unwrap();
                if k > 0 && k < 5 {
                    assert_eq!(early, RunStatus::BudgetExhausted, "{what}");
                }
                let saved = first.checkpoint().unwrap();
                let bytes = saved.to_bytes();
                let decoded = RunnerCheckpoint::from_bytes(&bytes).unwrap();
                assert_eq!(decoded, saved, "{what}");
                let mut resumed = ThreadedRunner::restore(&decoded).unwrap();
                assert_eq!(resumed.checkpoint().unwrap().to_bytes(), bytes, "{what}");
                assert_eq!(resumed.threads(), n);
                assert_eq!(resumed.wave_rounds(), WAVE);
                let hs = handlers(&choices(&hs));
                let status = resumed.run_with_handlers(&hs, usize::MAX).unwrap();
                assert_eq!(status, RunStatus::AllDone, "{what}");
                assert_eq!(resumed.shard_traces(), expected, "{what}");
                assert_eq!(resumed.session_traces(), whole.session_traces(), "{what}");
            }
        }
    }
}

#[test]
fn host_states_round_trip() {
    let image = request_response_image().unwrap();
    let r = runner(&image, SchedulerPolicy::RoundRobin, 2);
    let c = r
        .checkpoint()
        .unwrap()
        .with_host_state(b"runner".to_vec())
        .with_shard_host_state(1, b"one".to_vec())
        .unwrap();
    assert!(matches!(
        c.clone().with_shard_host_state(2, Vec::new()),
        Err(CheckpointError::InvalidState(_))
    ));
    let back = RunnerCheckpoint::from_bytes(&c.to_bytes()).unwrap();
    assert_eq!(back.host_state(), b"runner");
    assert_eq!(back.shards()[1].host_state(), b"one");
    assert!(back.shards()[0].host_state().is_empty());
    assert_eq!(back.threads(), 2);
    assert_eq!(back.sessions_opened(), SESSIONS as u64);
}

#[test]
fn damaged_bytes_are_typed_errors() {
    let image = request_response_image().unwrap();
    let mut r = runner(&image, SchedulerPolicy::RoundRobin, 3);
    r.run(&DefaultHandler::new(SEED), 3).unwrap();
    let bytes = r.checkpoint().unwrap().to_bytes();
    assert_eq!(&bytes[..4], b"TTRC");
    for len in (0..bytes.len()).step_by(97).chain([1, 3, 47, 48]) {
        assert!(
            RunnerCheckpoint::from_bytes(&bytes[..len]).is_err(),
            "len {len}"
        );
    }
    for at in (0..bytes.len()).step_by(61) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x21;
        assert!(RunnerCheckpoint::from_bytes(&flipped).is_err(), "at {at}");
    }
    let machine = r.shard(0).unwrap().checkpoint().unwrap().to_bytes();
    assert_eq!(
        RunnerCheckpoint::from_bytes(&machine),
        Err(CheckpointError::BadMagic)
    );
    let mut version = bytes.clone();
    version[4] = 9;
    assert!(matches!(
        RunnerCheckpoint::from_bytes(&version),
        Err(CheckpointError::UnsupportedVersion { found: 9, .. })
    ));
}

#[test]
fn inconsistent_states_are_refused() {
    let image = request_response_image().unwrap();
    let mut r = runner(&image, SchedulerPolicy::RoundRobin, 3);
    r.run(&DefaultHandler::new(SEED), 2).unwrap();
    let good = r.checkpoint().unwrap();
    let other_config = ThreadedRunner::new(image.clone(), Config::default(), 3)
        .unwrap()
        .checkpoint()
        .unwrap();
    type Edit = fn(&mut RunnerCheckpoint, &RunnerCheckpoint);
    let cases: Vec<(&str, Edit)> = vec![
        ("threads", |c, _| c.runner.threads = 2),
        ("no shards", |c, _| {
            c.shards.clear();
            c.runner.threads = 0;
        }),
        ("ranges", |c, _| {
            c.runner.coro_ranges.pop();
        }),
        ("wave", |c, _| c.runner.wave_rounds = 0),
        ("swapped shards", |c, _| c.shards.swap(0, 1)),
        ("opened", |c, _| c.runner.opened = 1_000),
        ("coro counter", |c, _| c.runner.next_coro = 1),
        ("range order", |c, _| c.runner.coro_ranges[1].reverse()),
        ("range session", |c, _| c.runner.coro_ranges[2][0].2 = 3),
        ("other shard state", |c, o| {
            c.shards[2] = o.shards[2].clone();
        }),
    ];
    for (what, edit) in cases {
        let mut bad = good.clone();
        edit(&mut bad, &other_config);
        let decoded = RunnerCheckpoint::from_bytes(&bad.to_bytes()).unwrap();
        match ThreadedRunner::restore(&decoded) {
            Err(CheckpointError::InvalidState(_) | CheckpointError::Shard { .. }) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    assert!(ThreadedRunner::restore(&good).is_ok());
}

#[test]
fn run_with_handlers_needs_one_handler_per_shard() {
    let image = request_response_image().unwrap();
    let mut r = runner(&image, SchedulerPolicy::RoundRobin, 2);
    assert!(matches!(
        r.run_with_handlers(&handlers(&[Vec::new()]), 10),
        Err(ThreadedError::HandlerCount {
            expected: 2,
            found: 1
        })
    ));
}
