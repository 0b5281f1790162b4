//! Throughput workloads the CLI and the criterion benches run.
//!
//! Every workload runs with the monitor on and [`Config::throughput`]
//! (bounded observable trace, no effect capture, no payload sort checks).
//!
//! The message workloads (ping-pong, ring and effects) first warm up, untimed: they
//! repeat runs of the same workload (at most [`WARMUP_MESSAGES`] messages
//! each, every run on a fresh machine that is then dropped) for at least
//! [`WARMUP_TIME`], so that the timed run measures the steady state rather
//! than first-touch page faults, cold caches, allocator growth and a CPU
//! still ramping up its clock (criterion warms up the same way). The timed
//! run uses its own fresh machine; the warm-up only leaves the process warm.

use crate::config::{CommunicationReplayMode, Config, MessageAuth, PayloadValidationMode};
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

mod checkpoint;
mod effects;
mod threaded;

pub use checkpoint::{
    checkpoint, CheckpointBenchError, CheckpointBenchReport, CHECKPOINT_REPETITIONS,
};
pub use effects::{effects, ledger_image};
pub use threaded::{
    pingpong_session_image, threaded_sessions, ThreadedBenchReport, THREADED_REPETITIONS,
    THREADED_SESSION_ROUNDS,
};

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
    /// Effect calls (`Invoke`s) made (effects workload only, else 0).
    #[serde(default)]
    pub effect_calls: u64,
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
            .is_some_and(|l| matches!(l.sort, PayloadSort::Int));
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
        effect_calls: 0,
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

/// The hardening options a ping-pong run can switch on; the default is
/// everything off, as in [`Config::throughput`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hardening {
    /// `Ed25519` signs and verifies every message and its edge's hash chain.
    pub message_auth: MessageAuth,
    /// `Sequence`/`Nullifier`: every receive checks the message's canonical
    /// identity and advances its edge's accumulator root (the proof log
    /// itself is not retained under [`Config::throughput`]).
    pub replay: CommunicationReplayMode,
    /// Payload checks against the label's sort.
    pub payload_validation: PayloadValidationMode,
    /// Handler-identity and topology-order checks every round.
    pub host_contract_assertions: bool,
}

impl Default for Hardening {
    fn default() -> Self {
        Hardening {
            message_auth: MessageAuth::None,
            replay: CommunicationReplayMode::Off,
            payload_validation: PayloadValidationMode::Off,
            host_contract_assertions: false,
        }
    }
}

impl Hardening {
    /// The workload name: `pingpong`, then a suffix per option that is on.
    fn workload(&self) -> String {
        let mut name = String::from("pingpong");
        if self.message_auth == MessageAuth::Ed25519 {
            name.push_str("-ed25519");
        }
        name.push_str(match self.replay {
            CommunicationReplayMode::Off => "",
            CommunicationReplayMode::Sequence => "-replay-sequence",
            CommunicationReplayMode::Nullifier => "-replay-nullifier",
        });
        name.push_str(match self.payload_validation {
            PayloadValidationMode::Off => "",
            PayloadValidationMode::Structural => "-payload-structural",
            PayloadValidationMode::StrictSchema => "-payload-strict",
        });
        if self.host_contract_assertions {
            name.push_str("-host-contract");
        }
        name
    }
}

/// Ping-pong with the given hardening options on: what each one costs per
/// message, against [`pingpong`] (every option off).
pub fn pingpong_hardened(
    messages: u64,
    hardening: Hardening,
) -> Result<BenchReport, ProtocolMachineError> {
    let config = Config {
        message_auth: hardening.message_auth,
        communication_replay_mode: hardening.replay,
        payload_validation_mode: hardening.payload_validation,
        host_contract_assertions: hardening.host_contract_assertions,
        ..bench_config()
    };
    let mut r = ring_with(2, messages, config)?;
    r.workload = hardening.workload();
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
