//! Tests of the threaded runner: one thread is the plain machine step for
//! step; more threads keep every session's own (tick-stripped) trace.

use crate::bench::{request_response_image, ring_image};
use crate::config::Config;
use crate::effect::default_handler::DefaultHandler;
use crate::effect::{EffectHandler, SendDecision, SendDecisionInput, TopologyInput};
use crate::event::ObsEvent;
use crate::fault::ProtocolMachineError;
use crate::ids::SessionId;
use crate::kernel::RunStatus;
use crate::lifecycle::SessionRequest;
use crate::machine::ProtocolMachine;
use crate::scheduler::SchedulerPolicy;
use crate::threaded::{ThreadedError, ThreadedRunner};
use crate::topology::TopologyEvent;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Mutex;
use telltale_compiler::{CodeImage, Value};
use telltale_types::PayloadSort;

/// A handler whose answers for a session depend only on that session's
/// own calls: session `s` takes `s % 5` laps of the ring, payloads count
/// the session's sends. Optionally faults the sends of some sessions, or
/// cancels a session through a topology event.
#[derive(Default)]
struct SessionHandler {
    choices: Mutex<BTreeMap<SessionId, u64>>,
    sends: Mutex<BTreeMap<SessionId, i64>>,
    fail: Vec<SessionId>,
    cancel_at: Option<(u64, SessionId)>,
    panic_on: Option<SessionId>,
}

impl SessionHandler {
    fn bump<T: Copy + Default + std::ops::AddAssign + From<u8>>(
        map: &Mutex<BTreeMap<SessionId, T>>,
        s: SessionId,
    ) -> T {
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(s).or_default();
        let v = *n;
        *n += T::from(1u8);
        v
    }
}

impl EffectHandler for SessionHandler {
    fn polls_topology(&self) -> bool {
        self.cancel_at.is_some()
    }

    fn gives_output_hints(&self) -> bool {
        false
    }

    fn topology_events(&self, input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        Ok(match self.cancel_at {
            Some((tick, session)) if input.tick == tick => vec![TopologyEvent::Cancel { session }],
            _ => Vec::new(),
        })
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let s = input.ctx.session;
        if self.fail.contains(&s) {
            return Err(format!("refused to send in session {s}"));
        }
        if self.panic_on == Some(s) {
            panic!("handler panic in session {s}");
        }
        let label = if input.choices.len() > 1 {
            let n = Self::bump(&self.choices, s);
            input.choices[usize::from(n >= s % 5)]
        } else {
            input.choices[0]
        };
        let sort = input.symbols.label(label).map(|l| l.sort.clone());
        let payload = match sort {
            Some(PayloadSort::Int) => Value::Int(Self::bump(&self.sends, s) + 1000 * s as i64),
            _ => Value::Unit,
        };
        Ok(SendDecision::Deliver { label, payload })
    }
}

fn policies() -> Vec<SchedulerPolicy> {
    vec![
        SchedulerPolicy::RoundRobin,
        SchedulerPolicy::Cooperative,
        SchedulerPolicy::Priority {
            priorities: vec![("R1".into(), 5), ("R2".into(), 2)],
        },
        SchedulerPolicy::ProgressAware,
    ]
}

fn config(policy: SchedulerPolicy) -> Config {
    Config {
        scheduler: policy,
        ..Config::default()
    }
}

fn runner(
    image: &CodeImage,
    policy: SchedulerPolicy,
    threads: usize,
    sessions: usize,
) -> ThreadedRunner {
    let mut r = ThreadedRunner::new(image.clone(), config(policy), threads).unwrap();
    for _ in 0..sessions {
        r.open_all_roles().unwrap();
    }
    r
}

fn untimed_sessions(r: &ThreadedRunner) -> BTreeMap<SessionId, Vec<ObsEvent>> {
    r.session_traces()
        .into_iter()
        .map(|(s, events)| (s, events.iter().map(ObsEvent::untimed).collect()))
        .collect()
}

#[test]
fn one_thread_is_the_plain_machine_step_for_step() {
    for image in [ring_image(3).unwrap(), request_response_image().unwrap()] {
        for policy in policies() {
            let mut plain = ProtocolMachine::new(image.clone(), config(policy.clone())).unwrap();
            for _ in 0..20 {
                plain.open_all_roles().unwrap();
            }
            let handler = DefaultHandler::new(7);
            let plain_status = plain.run(&handler, 1_000_000).unwrap();
            let mut r = runner(&image, policy.clone(), 1, 20);
            let handler = DefaultHandler::new(7);
            let status = r.run(&handler, 1_000_000).unwrap();
            assert_eq!(status, plain_status, "{policy:?}");
            let shard = r.shard(0).unwrap();
            assert_eq!(shard.trace(), plain.trace(), "{policy:?}");
            assert_eq!(shard.clock(), plain.clock());
            assert_eq!(shard.scheduler_step_count(), plain.scheduler_step_count());
            assert_eq!(r.session_ids(), plain.session_ids());
        }
    }
}

#[test]
fn one_thread_budget_matches_the_plain_machine() {
    let image = ring_image(3).unwrap();
    let mut plain = ProtocolMachine::new(image.clone(), Config::default()).unwrap();
    plain.open_all_roles().unwrap();
    plain.open_all_roles().unwrap();
    let (h1, h2) = (SessionHandler::default(), SessionHandler::default());
    let mut r = runner(&image, SchedulerPolicy::RoundRobin, 1, 2);
    for _ in 0..50 {
        let a = plain.run(&h1, 3).unwrap();
        let b = r.run(&h2, 3).unwrap();
        assert_eq!(a, b);
        assert_eq!(r.shard(0).unwrap().trace(), plain.trace());
        if a == RunStatus::AllDone {
            return;
        }
    }
    panic!("the run did not finish");
}

#[test]
fn thousand_sessions_keep_their_traces_on_every_thread_count() {
    let image = ring_image(3).unwrap();
    for policy in policies() {
        let mut one = runner(&image, policy.clone(), 1, 1000);
        assert_eq!(
            one.run(&SessionHandler::default(), usize::MAX).unwrap(),
            RunStatus::AllDone
        );
        let expected = untimed_sessions(&one);
        assert_eq!(expected.len(), 1000);
        for threads in [2, 3, 4] {
            let mut many = runner(&image, policy.clone(), threads, 1000);
            many.set_wave_rounds(97).unwrap();
            let status = many.run(&SessionHandler::default(), usize::MAX).unwrap();
            assert_eq!(status, RunStatus::AllDone, "{policy:?} n={threads}");
            assert!(many.all_done());
            assert_eq!(many.session_ids(), one.session_ids());
            assert_eq!(
                untimed_sessions(&many),
                expected,
                "{policy:?} with {threads} threads"
            );
            assert_eq!(many.scheduler_step_count(), one.scheduler_step_count());
        }
    }
}

#[test]
fn per_shard_handlers_from_a_factory_give_the_same_traces() {
    let image = ring_image(3).unwrap();
    let mut one = runner(&image, SchedulerPolicy::RoundRobin, 1, 200);
    one.run(&SessionHandler::default(), usize::MAX).unwrap();
    let mut many = runner(&image, SchedulerPolicy::RoundRobin, 3, 200);
    let status = many
        .run_with(|_| SessionHandler::default(), usize::MAX)
        .unwrap();
    assert_eq!(status, RunStatus::AllDone);
    assert_eq!(untimed_sessions(&many), untimed_sessions(&one));
    let single = one.session_trace(17);
    assert_eq!(
        many.session_trace(17)
            .iter()
            .map(ObsEvent::untimed)
            .collect::<Vec<_>>(),
        single.iter().map(ObsEvent::untimed).collect::<Vec<_>>()
    );
    assert!(!single.is_empty());
}

#[test]
fn sessions_are_placed_by_id_modulo_threads() {
    let image = request_response_image().unwrap();
    let mut r = runner(&image, SchedulerPolicy::RoundRobin, 3, 7);
    for s in 0..7u64 {
        let shard = r.shard(r.shard_of(s)).unwrap();
        assert!(shard.session(s).is_some(), "session {s}");
        assert_eq!(r.shard_of(s), (s % 3) as usize);
    }
    // Coroutine ids are those a single machine would give.
    let shard = r.shard(1).unwrap();
    assert_eq!(shard.coroutines_of(4), vec![8, 9]);
    let req = SessionRequest::all_roles(&image);
    assert_eq!(r.open_session(&req).unwrap(), 7);
    assert_eq!(r.shard(1).unwrap().coroutines_of(7), vec![14, 15]);
    assert_eq!(
        r.run(&DefaultHandler::new(1), usize::MAX).unwrap(),
        RunStatus::AllDone
    );
}

#[test]
fn batch_opens_match_single_opens() {
    let image = ring_image(3).unwrap();
    let req = SessionRequest::all_roles(&image);
    for threads in [1, 2, 3, 4] {
        let mut single = runner(&image, SchedulerPolicy::RoundRobin, threads, 0);
        let mut batch = runner(&image, SchedulerPolicy::RoundRobin, threads, 0);
        let mut expected = Vec::new();
        for k in 0..23 {
            expected.push(if k % 2 == 0 {
                single.open_all_roles().unwrap()
            } else {
                single.open_session(&req).unwrap()
            });
        }
        let mut got = batch.open_sessions(None, 1).unwrap();
        got.extend(batch.open_sessions(Some(&req), 0).unwrap());
        got.extend(batch.open_sessions(Some(&req), 12).unwrap());
        got.extend(batch.open_sessions(None, 10).unwrap());
        assert_eq!(got, expected, "n={threads}");
        for s in &expected {
            let a = single.shard(single.shard_of(*s)).unwrap().coroutines_of(*s);
            let b = batch.shard(batch.shard_of(*s)).unwrap().coroutines_of(*s);
            assert_eq!(a, b, "session {s}, n={threads}");
        }
        single.run(&SessionHandler::default(), usize::MAX).unwrap();
        batch.run(&SessionHandler::default(), usize::MAX).unwrap();
        assert_eq!(untimed_sessions(&batch), untimed_sessions(&single));
        let bad = SessionRequest {
            roles: vec![telltale_types::Role::new("Nobody")],
            handlers: Vec::new(),
            default_handler: None,
        };
        assert!(matches!(
            batch.open_sessions(Some(&bad), 5),
            Err(ThreadedError::Open { .. })
        ));
    }
}

#[test]
fn a_faulting_session_is_a_typed_error_from_the_lowest_shard() {
    let image = ring_image(3).unwrap();
    for threads in [1, 2, 3] {
        let mut r = runner(&image, SchedulerPolicy::RoundRobin, threads, 30);
        let h = SessionHandler {
            fail: vec![29, 13],
            ..SessionHandler::default()
        };
        let err = r.run(&h, usize::MAX).unwrap_err();
        let ThreadedError::Shard { shard, source } = &err else {
            panic!("unexpected {err:?}");
        };
        let ProtocolMachineError::Fault { session, .. } = source else {
            panic!("unexpected {source:?}");
        };
        let lowest = [29u64, 13]
            .into_iter()
            .min_by_key(|s| (s % threads as u64, *s))
            .unwrap();
        if threads == 1 {
            // The plain machine stops at the first fault in its own order.
            assert!([29, 13].contains(session));
        } else {
            assert_eq!(*shard, r.shard_of(lowest));
            assert_eq!(*session, lowest, "n={threads}");
        }
        assert!(err.machine_error().is_some());
        assert!(err.to_string().contains("shard"));
    }
}

#[test]
fn bad_parameters_are_typed_errors() {
    let image = request_response_image().unwrap();
    assert!(matches!(
        ThreadedRunner::new(image.clone(), Config::default(), 0),
        Err(ThreadedError::NoThreads)
    ));
    let mut r = ThreadedRunner::new(image, Config::default(), 2).unwrap();
    assert!(matches!(
        r.set_wave_rounds(0),
        Err(ThreadedError::NoWaveRounds)
    ));
    assert_eq!(r.threads(), 2);
}

#[test]
fn a_panicking_handler_is_an_error_not_a_panic() {
    let image = ring_image(3).unwrap();
    for threads in [1, 2] {
        let mut r = runner(&image, SchedulerPolicy::RoundRobin, threads, 4);
        let h = SessionHandler {
            panic_on: Some(3),
            ..SessionHandler::default()
        };
        let err = r.run(&h, usize::MAX).unwrap_err();
        assert!(
            matches!(&err, ThreadedError::Panicked { shard, message }
                if *shard == r.shard_of(3) && message.contains("session 3")),
            "{err:?}"
        );
        let err = r
            .run_with(
                |i| -> SessionHandler { panic!("no handler for shard {i}") },
                10,
            )
            .unwrap_err();
        assert!(
            matches!(err, ThreadedError::Panicked { shard: 0, .. }),
            "{err:?}"
        );
    }
}

#[test]
fn budget_and_empty_runs() {
    let image = ring_image(3).unwrap();
    let mut r = runner(&image, SchedulerPolicy::RoundRobin, 2, 10);
    r.set_wave_rounds(4).unwrap();
    let h = SessionHandler::default();
    assert_eq!(r.run(&h, 10).unwrap(), RunStatus::BudgetExhausted);
    assert_eq!(r.run(&h, usize::MAX).unwrap(), RunStatus::AllDone);
    let mut empty = ThreadedRunner::new(image, Config::default(), 3).unwrap();
    assert_eq!(empty.run(&h, 100).unwrap(), RunStatus::AllDone);
    assert_eq!(empty.run(&h, 0).unwrap(), RunStatus::AllDone);
}

#[test]
fn closed_sessions_are_reaped_on_every_shard() {
    let image = request_response_image().unwrap();
    let mut r = runner(&image, SchedulerPolicy::RoundRobin, 3, 9);
    assert_eq!(
        r.run(&SessionHandler::default(), usize::MAX).unwrap(),
        RunStatus::AllDone
    );
    for s in [1u64, 2, 5] {
        let shard = r.shard_of(s);
        let m = r.shard_mut(shard).unwrap();
        let by = m.coroutines_of(s)[0];
        m.close_session(s, by).unwrap();
    }
    let reaped: Vec<u64> = r.reap_closed_sessions().iter().map(|c| c.session).collect();
    assert_eq!(reaped, vec![1, 2, 5]);
    assert_eq!(r.session_ids(), vec![0, 3, 4, 6, 7, 8]);
    assert_eq!(r.into_shards().len(), 3);
}

#[test]
fn topology_events_reach_only_the_shard_holding_the_session() {
    let image = ring_image(3).unwrap();
    let h = SessionHandler {
        cancel_at: Some((3, 4)),
        ..SessionHandler::default()
    };
    let mut r = runner(&image, SchedulerPolicy::RoundRobin, 2, 6);
    r.run(&h, usize::MAX).unwrap();
    let traces = r.session_traces();
    for (s, events) in &traces {
        let cancelled = events
            .iter()
            .any(|e| matches!(e, ObsEvent::Cancelled { .. }));
        assert_eq!(cancelled, *s == 4, "session {s}");
    }
    // Every shard saw the event at its own tick 3 (and ignored it if it
    // does not hold session 4).
    for trace in r.shard_traces() {
        assert!(trace
            .iter()
            .any(|e| matches!(e, ObsEvent::Topology { tick: 3, .. })));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Thread count and wave length never change a session's own trace.
    #[test]
    fn session_traces_are_independent_of_threads_and_waves(
        sessions in 1usize..60,
        threads in 2usize..5,
        wave in 1usize..50,
        policy in 0usize..4,
    ) {
        let image = ring_image(3).unwrap();
        let policy = policies()[policy].clone();
        let mut one = runner(&image, policy.clone(), 1, sessions);
        one.run(&SessionHandler::default(), usize::MAX).unwrap();
        let mut many = runner(&image, policy, threads, sessions);
        many.set_wave_rounds(wave).unwrap();
        prop_assert_eq!(
            many.run(&SessionHandler::default(), usize::MAX).unwrap(),
            RunStatus::AllDone
        );
        prop_assert_eq!(untimed_sessions(&many), untimed_sessions(&one));
    }
}
