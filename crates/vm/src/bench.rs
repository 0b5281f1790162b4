//! Throughput workloads the CLI and the criterion benches run.
//!
//! Every workload runs with the monitor on and [`Config::throughput`]
//! (bounded observable trace, no effect capture, no payload sort checks).
//!
//! The message workloads (ping-pong and ring) first warm up, untimed: they
//! repeat runs of the same workload (at most [`WARMUP_MESSAGES`] messages
//! each, every run on a fresh machine that is then dropped) for at least
//! [`WARMUP_TIME`], so that the timed run measures the steady state rather
//! than first-touch page faults, cold caches, allocator growth and a CPU
//! still ramping up its clock (criterion warms up the same way). The timed
//! run uses its own fresh machine; the warm-up only leaves the process warm.

use crate::config::{CommunicationReplayMode, Config, MessageAuth};
use crate::effect::{EffectHandler, SendDecision, SendDecisionInput};
use crate::fault::ProtocolMachineError;
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use crate::scheduler::SchedulerPolicy;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::time::Instant;
use telltale_compiler::{CodeImage, LabelId, Value};
use telltale_types::{GlobalType, Label, LocalType, PayloadSort, Role};

/// What a workload measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Workload name.
    pub workload: String,
    /// Messages delivered.
    pub messages: u64,
    /// Wall-clock seconds of the measured part.
    pub seconds: f64,
    /// Messages per second.
    pub msgs_per_sec: f64,
    /// CPU seconds of this thread in the measured part (0 if unavailable);
    /// on a shared machine this is the fairer denominator.
    pub cpu_seconds: f64,
    /// Messages per CPU second (0 if unavailable).
    pub msgs_per_cpu_sec: f64,
    /// Peak resident set size (VmHWM) in KiB, 0 if unavailable.
    pub peak_rss_kib: u64,
    /// Sessions opened (session workload only, else 0).
    pub sessions: u64,
    /// Sessions per second (session workload only, else 0).
    pub sessions_per_sec: f64,
    /// Resident bytes per idle open session (session workload only, else 0).
    pub bytes_per_idle_session: u64,
}

/// Reads a `/proc/self/status` field in KiB, 0 if unavailable.
fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time of the calling thread in nanoseconds, from
/// `/proc/thread-self/schedstat` (0 if unavailable).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Wall-clock and CPU stopwatch for one measured part.
struct Stopwatch {
    wall: Instant,
    cpu_ns: u64,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            wall: Instant::now(),
            cpu_ns: thread_cpu_ns(),
        }
    }

    /// Wall seconds and CPU seconds since start.
    fn stop(&self) -> (f64, f64) {
        let cpu = thread_cpu_ns().saturating_sub(self.cpu_ns) as f64 / 1e9;
        (self.wall.elapsed().as_secs_f64(), cpu)
    }
}

/// Picks the first label (the "continue" branch) for `rounds` choices, then
/// the second (the "stop" branch); payloads are the tick as an integer.
struct CountingHandler {
    rounds: u64,
    made: Cell<u64>,
}

impl EffectHandler for CountingHandler {
    fn polls_topology(&self) -> bool {
        false
    }

    fn gives_output_hints(&self) -> bool {
        false
    }

    fn send_decision_fast_path(
        &self,
        input: &SendDecisionInput<'_>,
    ) -> Option<Result<SendDecision, String>> {
        Some(self.send_decision(input))
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let label: LabelId = if input.choices.len() > 1 {
            let n = self.made.get();
            self.made.set(n + 1);
            if n < self.rounds {
                input.choices[0]
            } else {
                input.choices[1]
            }
        } else {
            input.choices[0]
        };
        let int = input
            .symbols
            .label(label)
            .is_some_and(|l| l.sort == PayloadSort::Int);
        let payload = if int {
            Value::Int(input.ctx.tick as i64)
        } else {
            Value::Unit
        };
        Ok(SendDecision::Deliver { label, payload })
    }
}

fn bench_config() -> Config {
    Config {
        scheduler: SchedulerPolicy::Cooperative,
        ..Config::throughput()
    }
}

fn report(workload: &str, messages: u64, (seconds, cpu_seconds): (f64, f64)) -> BenchReport {
    let per = |s: f64| if s > 0.0 { messages as f64 / s } else { 0.0 };
    BenchReport {
        workload: workload.to_string(),
        messages,
        seconds,
        msgs_per_sec: per(seconds),
        cpu_seconds,
        msgs_per_cpu_sec: per(cpu_seconds),
        peak_rss_kib: proc_status_kib("VmHWM:"),
        sessions: 0,
        sessions_per_sec: 0.0,
        bytes_per_idle_session: 0,
    }
}

fn int(name: &str) -> Label {
    Label::new(name, PayloadSort::Int)
}

/// The ring protocol: `R0` decides `tok` or `stop`, and the label travels
/// `R0 -> R1 -> ... -> R(n-1) -> R0`.
pub fn ring_image(roles: usize) -> Result<CodeImage, ProtocolMachineError> {
    let roles = roles.max(2);
    let name = |i: usize| Role::new(format!("R{}", i % roles));
    let mut tok_g = GlobalType::var("t");
    let mut stop_g = GlobalType::End;
    for i in (1..roles).rev() {
        tok_g = GlobalType::send(name(i), name(i + 1), int("tok"), tok_g);
        stop_g = GlobalType::send(name(i), name(i + 1), Label::unit("stop"), stop_g);
    }
    let global = GlobalType::rec(
        "t",
        GlobalType::choice(
            name(0),
            name(1),
            [(int("tok"), tok_g), (Label::unit("stop"), stop_g)],
        ),
    );
    let mut locals = vec![(
        name(0),
        LocalType::rec(
            "t",
            LocalType::select(
                name(1),
                [
                    (
                        int("tok"),
                        LocalType::recv(name(roles - 1), int("tok"), LocalType::var("t")),
                    ),
                    (
                        Label::unit("stop"),
                        LocalType::recv(name(roles - 1), Label::unit("stop"), LocalType::End),
                    ),
                ],
            ),
        ),
    )];
    for i in 1..roles {
        locals.push((
            name(i),
            LocalType::rec(
                "t",
                LocalType::branch(
                    name(i - 1),
                    [
                        (
                            int("tok"),
                            LocalType::send(name(i + 1), int("tok"), LocalType::var("t")),
                        ),
                        (
                            Label::unit("stop"),
                            LocalType::send(name(i + 1), Label::unit("stop"), LocalType::End),
                        ),
                    ],
                ),
            ),
        ));
    }
    Ok(CodeImage::build(Some(&global), &locals)?)
}

/// A ring of `roles` coroutines passing `messages` tokens in one session.
pub fn ring(roles: usize, messages: u64) -> Result<BenchReport, ProtocolMachineError> {
    ring_with(roles, messages, bench_config())
}

/// Ping-pong with every message signed and verified
/// (`message_auth = Ed25519`).
pub fn pingpong_signed(messages: u64) -> Result<BenchReport, ProtocolMachineError> {
    let config = Config {
        message_auth: MessageAuth::Ed25519,
        ..bench_config()
    };
    let mut r = ring_with(2, messages, config)?;
    r.workload = "pingpong-ed25519".into();
    Ok(r)
}

/// Ping-pong with replay consumption (`Sequence` or `Nullifier`) and no
/// signatures: every receive computes the message's canonical identity and
/// its edge's accumulator root (the proof log itself is not retained under
/// [`Config::throughput`]). Workload names `pingpong-replay-sequence`,
/// `pingpong-replay-nullifier` (and `pingpong` for `Off`).
pub fn pingpong_replay(
    messages: u64,
    mode: CommunicationReplayMode,
) -> Result<BenchReport, ProtocolMachineError> {
    let config = Config {
        communication_replay_mode: mode,
        ..bench_config()
    };
    let mut r = ring_with(2, messages, config)?;
    r.workload = match mode {
        CommunicationReplayMode::Off => "pingpong",
        CommunicationReplayMode::Sequence => "pingpong-replay-sequence",
        CommunicationReplayMode::Nullifier => "pingpong-replay-nullifier",
    }
    .into();
    Ok(r)
}

/// Upper bound on the messages of the untimed warm-up run that precedes
/// every timed message workload.
pub const WARMUP_MESSAGES: u64 = 100_000;

/// Minimum wall-clock time of the untimed warm-up.
pub const WARMUP_TIME: std::time::Duration = std::time::Duration::from_millis(200);

fn ring_with(
    roles: usize,
    messages: u64,
    config: Config,
) -> Result<BenchReport, ProtocolMachineError> {
    let image = ring_image(roles)?;
    let warmup = Instant::now();
    loop {
        ring_run(&image, roles, messages.min(WARMUP_MESSAGES), config.clone())?;
        if warmup.elapsed() >= WARMUP_TIME {
            break;
        }
    }
    let (delivered, times) = ring_run(&image, roles, messages, config)?;
    Ok(report(
        if roles == 2 { "pingpong" } else { "ring" },
        delivered,
        times,
    ))
}

/// One timed ring run on a fresh machine: messages delivered, and the
/// wall and CPU seconds of the run.
fn ring_run(
    image: &CodeImage,
    roles: usize,
    messages: u64,
    config: Config,
) -> Result<(u64, (f64, f64)), ProtocolMachineError> {
    let n = roles.max(2) as u64;
    let laps = (messages / n).max(1);
    let mut machine = ProtocolMachine::new(image.clone(), config)?;
    machine.open_all_roles()?;
    let handler = CountingHandler {
        rounds: laps,
        made: Cell::new(0),
    };
    let watch = Stopwatch::start();
    let status = machine.run(&handler, usize::MAX)?;
    let times = watch.stop();
    debug_assert_eq!(status, RunStatus::AllDone);
    Ok((laps * n + n, times))
}

/// Two roles exchanging `messages` messages (`ping`/`pong` in a loop).
pub fn pingpong(messages: u64) -> Result<BenchReport, ProtocolMachineError> {
    let mut r = ring(2, messages)?;
    r.workload = "pingpong".into();
    Ok(r)
}

/// The two-message session protocol: `A -> B : req(int) . B -> A : resp(int)`.
pub fn request_response_image() -> Result<CodeImage, ProtocolMachineError> {
    let g = GlobalType::send(
        "A",
        "B",
        int("req"),
        GlobalType::send("B", "A", int("resp"), GlobalType::End),
    );
    let a = LocalType::send(
        "B",
        int("req"),
        LocalType::recv("B", int("resp"), LocalType::End),
    );
    let b = LocalType::recv(
        "A",
        int("req"),
        LocalType::send("A", int("resp"), LocalType::End),
    );
    Ok(CodeImage::build(
        Some(&g),
        &[(Role::new("A"), a), (Role::new("B"), b)],
    )?)
}

/// Sessions opened, run, closed and reaped together in one wave of the
/// session workload.
pub const SESSION_WAVE: u64 = 1024;

/// Session churn: `count` two-message sessions opened, run, closed and
/// reaped in waves of [`SESSION_WAVE`] (timed), after an untimed phase that
/// opens all `count` sessions at once in a separate machine to measure
/// resident bytes per idle session.
pub fn sessions(count: u64) -> Result<BenchReport, ProtocolMachineError> {
    let image = request_response_image()?;
    let handler = CountingHandler {
        rounds: 0,
        made: Cell::new(0),
    };
    let rss_before = proc_status_kib("VmRSS:");
    let mut idle = ProtocolMachine::new(image.clone(), bench_config())?;
    for _ in 0..count {
        idle.open_all_roles()?;
    }
    let rss_open = proc_status_kib("VmRSS:");
    drop(idle);
    // Warm the CPU up on throw-away machines, then give the timed machine
    // one untimed wave, so that it measures the steady session turnover of
    // a running machine rather than the first growth of its tables.
    let warmup = Instant::now();
    loop {
        let mut machine = ProtocolMachine::new(image.clone(), bench_config())?;
        session_waves(&mut machine, &handler, count.min(WARMUP_MESSAGES))?;
        if warmup.elapsed() >= WARMUP_TIME {
            break;
        }
    }
    let mut machine = ProtocolMachine::new(image, bench_config())?;
    session_waves(&mut machine, &handler, count.min(SESSION_WAVE))?;
    let watch = Stopwatch::start();
    session_waves(&mut machine, &handler, count)?;
    let times = watch.stop();
    let seconds = times.0;
    let mut r = report("sessions", count * 2, times);
    r.sessions = count;
    r.sessions_per_sec = if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    };
    r.bytes_per_idle_session = (rss_open.saturating_sub(rss_before) * 1024)
        .checked_div(count)
        .unwrap_or(0);
    Ok(r)
}

/// Opens, runs, closes and reaps `count` two-role sessions in waves of
/// [`SESSION_WAVE`].
fn session_waves(
    machine: &mut ProtocolMachine,
    handler: &CountingHandler,
    count: u64,
) -> Result<(), ProtocolMachineError> {
    let mut ids = Vec::with_capacity(SESSION_WAVE as usize);
    let mut remaining = count;
    while remaining > 0 {
        let wave = remaining.min(SESSION_WAVE);
        remaining -= wave;
        for _ in 0..wave {
            ids.push(machine.open_all_roles()?);
        }
        machine.run(handler, usize::MAX)?;
        for sid in ids.drain(..) {
            if let Some(first) = machine.coroutines_of(sid).first().copied() {
                machine.close_session(sid, first)?;
            }
        }
        machine.reap_closed_sessions();
    }
    Ok(())
}

/// Ping-pong rounds per session of the threaded-sessions workload.
pub const THREADED_SESSION_ROUNDS: usize = 3;

/// Timed repetitions of each side of the threaded-sessions comparison.
pub const THREADED_REPETITIONS: usize = 3;

/// What the threaded-sessions workload measured: the same sessions run on
/// one thread and on `threads` threads, alternately, medians reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadedBenchReport {
    /// Workload name.
    pub workload: String,
    /// Sessions per run.
    pub sessions: u64,
    /// Messages per run.
    pub messages: u64,
    /// Threads of the compared run.
    pub threads: usize,
    /// Scheduler rounds per wave of the threaded runner.
    pub wave_rounds: usize,
    /// Timed runs of each side.
    pub repetitions: usize,
    /// Median wall seconds of the one-thread runs.
    pub seconds_1: f64,
    /// Messages per second of the one-thread median.
    pub msgs_per_sec_1: f64,
    /// Median wall seconds of the `threads`-thread runs.
    pub seconds_n: f64,
    /// Messages per second of the `threads`-thread median.
    pub msgs_per_sec_n: f64,
    /// Median process CPU seconds of the one-thread runs (1/100 s
    /// resolution, 0 if unavailable).
    pub cpu_seconds_1: f64,
    /// Median process CPU seconds of the `threads`-thread runs: about
    /// `threads × seconds_n` when the threads really ran in parallel.
    pub cpu_seconds_n: f64,
    /// `seconds_1 / seconds_n`.
    pub speedup: f64,
    /// Peak resident set size (VmHWM) in KiB, 0 if unavailable.
    pub peak_rss_kib: u64,
}

/// `rounds` times `A -> B : ping(int) . B -> A : pong(int)`, no choice.
pub fn pingpong_session_image(rounds: usize) -> Result<CodeImage, ProtocolMachineError> {
    let mut g = GlobalType::End;
    let mut a = LocalType::End;
    let mut b = LocalType::End;
    for _ in 0..rounds {
        g = GlobalType::send(
            "A",
            "B",
            int("ping"),
            GlobalType::send("B", "A", int("pong"), g),
        );
        a = LocalType::send("B", int("ping"), LocalType::recv("B", int("pong"), a));
        b = LocalType::recv("A", int("ping"), LocalType::send("A", int("pong"), b));
    }
    Ok(CodeImage::build(
        Some(&g),
        &[(Role::new("A"), a), (Role::new("B"), b)],
    )?)
}

/// A stateless (so `Sync`) handler: the only label, the session id as
/// payload.
struct SessionPayloadHandler;

impl EffectHandler for SessionPayloadHandler {
    fn polls_topology(&self) -> bool {
        false
    }

    fn gives_output_hints(&self) -> bool {
        false
    }

    fn send_decision_fast_path(
        &self,
        input: &SendDecisionInput<'_>,
    ) -> Option<Result<SendDecision, String>> {
        Some(self.send_decision(input))
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let label = *input
            .choices
            .first()
            .ok_or_else(|| "no label to send".to_string())?;
        Ok(SendDecision::Deliver {
            label,
            payload: Value::Int(input.ctx.session as i64),
        })
    }
}

/// CPU seconds (user + system) of the whole process, threads that have
/// exited included, from `/proc/self/stat` in clock ticks of 1/100 s
/// (0 if unavailable).
fn process_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime
            // are fields 14 and 15 of the line, 12 and 13 after `)`.
            let rest = s.rsplit_once(')')?.1;
            let mut f = rest.split_whitespace().skip(11);
            let utime: u64 = f.next()?.parse().ok()?;
            let stime: u64 = f.next()?.parse().ok()?;
            Some((utime + stime) as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

/// One run of the threaded-sessions workload on a fresh runner: opens
/// `count` sessions (untimed), then times the run; returns wall and
/// process CPU seconds.
fn threaded_run(
    image: &CodeImage,
    count: u64,
    threads: usize,
    wave_rounds: usize,
) -> Result<(f64, f64), crate::threaded::ThreadedError> {
    let mut runner = crate::threaded::ThreadedRunner::new(image.clone(), bench_config(), threads)?;
    runner.set_wave_rounds(wave_rounds)?;
    runner.open_sessions(None, count as usize)?;
    let cpu = process_cpu_seconds();
    let start = Instant::now();
    let status = runner.run(&SessionPayloadHandler, usize::MAX)?;
    let seconds = start.elapsed().as_secs_f64();
    debug_assert_eq!(status, RunStatus::AllDone);
    Ok((seconds, process_cpu_seconds() - cpu))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Many sessions on a [`ThreadedRunner`](crate::threaded::ThreadedRunner):
/// `count` sessions of [`THREADED_SESSION_ROUNDS`] ping-pong rounds, all
/// opened before the timed run, on one thread and on `threads` threads.
/// After a warm-up, the two sides alternate [`THREADED_REPETITIONS`]
/// times (so load changes hit both) and each side reports its median.
pub fn threaded_sessions(
    count: u64,
    threads: usize,
    wave_rounds: usize,
) -> Result<ThreadedBenchReport, crate::threaded::ThreadedError> {
    let image = pingpong_session_image(THREADED_SESSION_ROUNDS)
        .map_err(|source| crate::threaded::ThreadedError::Load { shard: 0, source })?;
    let warmup = Instant::now();
    loop {
        threaded_run(&image, count.min(10_000), 1, wave_rounds)?;
        threaded_run(&image, count.min(10_000), threads, wave_rounds)?;
        if warmup.elapsed() >= WARMUP_TIME {
            break;
        }
    }
    let (mut one, mut many) = (Vec::new(), Vec::new());
    for _ in 0..THREADED_REPETITIONS {
        one.push(threaded_run(&image, count, 1, wave_rounds)?);
        many.push(threaded_run(&image, count, threads, wave_rounds)?);
    }
    let cpu = |runs: &[(f64, f64)]| median(runs.iter().map(|r| r.1).collect());
    let (cpu_seconds_1, cpu_seconds_n) = (cpu(&one), cpu(&many));
    let wall = |runs: Vec<(f64, f64)>| median(runs.into_iter().map(|r| r.0).collect());
    let (seconds_1, seconds_n) = (wall(one), wall(many));
    let messages = count * 2 * THREADED_SESSION_ROUNDS as u64;
    let per = |s: f64| if s > 0.0 { messages as f64 / s } else { 0.0 };
    Ok(ThreadedBenchReport {
        workload: "threaded-sessions".into(),
        sessions: count,
        messages,
        threads,
        wave_rounds,
        repetitions: THREADED_REPETITIONS,
        seconds_1,
        msgs_per_sec_1: per(seconds_1),
        seconds_n,
        msgs_per_sec_n: per(seconds_n),
        cpu_seconds_1,
        cpu_seconds_n,
        speedup: if seconds_n > 0.0 {
            seconds_1 / seconds_n
        } else {
            0.0
        },
        peak_rss_kib: proc_status_kib("VmHWM:"),
    })
}
