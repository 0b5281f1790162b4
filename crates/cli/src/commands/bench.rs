//! `tell bench`: throughput of the protocol machine, the async runtime and
//! the TCP transport, one JSON line per run.

use crate::commands::run::{at_least_one, Auth, ReplayMode};
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::process::ExitCode;
use telltale_transport::bench as transport_bench;
use telltale_vm::bench;

/// Parses a ring size: a ring needs at least two roles.
fn ring_size(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n < 2 => Err("a ring needs at least 2 roles".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Arguments of `tell bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(long, value_enum)]
    pub workload: Workload,
    /// Messages to deliver (every workload but sessions).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub messages: u64,
    /// Two-message sessions to open, run, close and reap (sessions), or
    /// ping-pong sessions to run (threaded-sessions).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub sessions: u64,
    /// Roles in the ring (ring).
    #[arg(long, default_value_t = 8, value_parser = ring_size)]
    pub roles: usize,
    /// Participants of two-phase commit (explore).
    #[arg(long, default_value_t = 6)]
    pub participants: u64,
    /// Threads compared against one (threaded-sessions), or of the
    /// breadth-first searches (explore).
    #[arg(long, default_value_t = 2, value_parser = at_least_one)]
    pub threads: usize,
    /// Scheduler rounds per wave of the threaded runner (threaded-sessions).
    #[arg(long, default_value_t = telltale_vm::DEFAULT_WAVE_ROUNDS, value_parser = at_least_one)]
    pub wave_rounds: usize,
    /// Message authentication (pingpong): measures the cost of signing.
    #[arg(long, value_enum, default_value_t = Auth::None)]
    pub auth: Auth,
    /// Replay consumption (pingpong): measures the cost of the checks.
    #[arg(long, value_enum, default_value_t = ReplayMode::Off)]
    pub replay_mode: ReplayMode,
    /// Payload checks against label sorts (pingpong).
    #[arg(long, value_enum, default_value_t = PayloadValidation::Off)]
    pub payload_validation: PayloadValidation,
    /// Check the handler contract every round (pingpong).
    #[arg(long)]
    pub host_contract: bool,
}

/// Payload validation modes (`Config::payload_validation_mode`).
#[derive(Clone, Copy, ValueEnum)]
pub enum PayloadValidation {
    /// No checks besides the size limit.
    Off,
    /// The payload's outer shape matches the label's sort.
    Structural,
    /// The payload matches the sort recursively.
    Strict,
}

impl From<PayloadValidation> for telltale_vm::PayloadValidationMode {
    fn from(mode: PayloadValidation) -> Self {
        match mode {
            PayloadValidation::Off => Self::Off,
            PayloadValidation::Structural => Self::Structural,
            PayloadValidation::Strict => Self::StrictSchema,
        }
    }
}

/// The benchmark workloads.
#[derive(Clone, Copy, ValueEnum)]
pub enum Workload {
    /// Two roles bouncing one message back and forth.
    Pingpong,
    /// Ping-pong where every reply is decided by an effect call
    /// (`check Ledger.append(entry)`) answered by a cheap host.
    Effects,
    /// Many short sessions in one machine.
    Sessions,
    /// Size of a checkpoint of `--sessions` sessions in flight, and the time
    /// to take and to restore it.
    Checkpoint,
    /// A token passed around a ring of roles.
    Ring,
    /// `--sessions` ping-pong sessions on a threaded runner: one thread
    /// against `--threads` threads.
    ThreadedSessions,
    /// In-memory ping-pong through `ChoreoHandler`, against raw tokio channels.
    AsyncPingpong,
    /// TCP ping-pong on loopback, against a raw length-delimited echo.
    TcpPingpong,
    /// A one-way TCP stream of small messages, against a raw stream.
    TcpStream,
    /// The same stream on a secure (encrypted, authenticated) channel,
    /// against the same raw plaintext stream.
    TcpStreamSecure,
    /// Machine steps per second under the simulator's network model and a
    /// fault schedule, against the bare machine (`--messages` rounds).
    Sim,
    /// Exhaustive exploration of two-phase commit with `--participants`
    /// participants: unique states/s (breadth-first on `--threads`, no
    /// reduction), bytes per state (depth-first), and what partial-order
    /// reduction saves.
    Explore,
}

/// Runs the command. Build with `--release` for meaningful numbers.
pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    let line = match args.workload {
        Workload::Pingpong => serde_json::to_string(&bench::pingpong_hardened(
            args.messages,
            bench::Hardening {
                message_auth: args.auth.into(),
                replay: args.replay_mode.into(),
                payload_validation: args.payload_validation.into(),
                host_contract_assertions: args.host_contract,
            },
        )?)?,
        Workload::Effects => serde_json::to_string(&bench::effects(args.messages)?)?,
        Workload::Checkpoint => serde_json::to_string(&bench::checkpoint(args.sessions)?)?,
        Workload::Sessions => serde_json::to_string(&bench::sessions(args.sessions)?)?,
        Workload::Ring => serde_json::to_string(&bench::ring(args.roles, args.messages)?)?,
        Workload::ThreadedSessions => serde_json::to_string(&bench::threaded_sessions(
            args.sessions,
            args.threads,
            args.wave_rounds,
        )?)?,
        Workload::AsyncPingpong => {
            serde_json::to_string(&transport_bench::async_pingpong(args.messages)?)?
        }
        Workload::TcpPingpong => {
            serde_json::to_string(&transport_bench::tcp_pingpong(args.messages)?)?
        }
        Workload::TcpStream => serde_json::to_string(&transport_bench::tcp_stream(args.messages)?)?,
        Workload::Sim => serde_json::to_string(&telltale_simulator::bench::sim(args.messages)?)?,
        Workload::Explore => serde_json::to_string(&crate::commands::bench_explore::explore(
            args.participants,
            args.threads,
        )?)?,
        Workload::TcpStreamSecure => {
            serde_json::to_string(&transport_bench::tcp_stream_secure(args.messages)?)?
        }
    };
    println!("{line}");
    Ok(ExitCode::SUCCESS)
}
