//! The threaded-sessions workload: the same sessions on one thread and on
//! `n` threads of a [`ThreadedRunner`].

use super::{bench_config, int, proc_status_kib, WARMUP_TIME};
use crate::effect::{EffectHandler, SendDecision, SendDecisionInput};
use crate::fault::ProtocolMachineError;
use crate::kernel::RunStatus;
use crate::threaded::{ThreadedError, ThreadedRunner};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use telltale_compiler::{CodeImage, Value};
use telltale_types::{GlobalType, LocalType, Role};

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
pub(super) struct SessionPayloadHandler;

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
) -> Result<(f64, f64), ThreadedError> {
    let mut runner = ThreadedRunner::new(image.clone(), bench_config(), threads)?;
    runner.set_wave_rounds(wave_rounds)?;
    runner.open_sessions(None, count as usize)?;
    let cpu = process_cpu_seconds();
    let start = Instant::now();
    let status = runner.run(&SessionPayloadHandler, usize::MAX)?;
    let seconds = start.elapsed().as_secs_f64();
    debug_assert_eq!(status, RunStatus::AllDone);
    Ok((seconds, process_cpu_seconds() - cpu))
}

pub(super) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Many sessions on a [`ThreadedRunner`]:
/// `count` sessions of [`THREADED_SESSION_ROUNDS`] ping-pong rounds, all
/// opened before the timed run, on one thread and on `threads` threads.
/// After a warm-up, the two sides alternate [`THREADED_REPETITIONS`]
/// times (so load changes hit both) and each side reports its median.
pub fn threaded_sessions(
    count: u64,
    threads: usize,
    wave_rounds: usize,
) -> Result<ThreadedBenchReport, ThreadedError> {
    let image = pingpong_session_image(THREADED_SESSION_ROUNDS)
        .map_err(|source| ThreadedError::Load { shard: 0, source })?;
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
