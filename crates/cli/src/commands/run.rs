//! `tell run FILE`: every role of a protocol in one protocol machine.

use crate::commands::compile::build_image;
use crate::protocol_file::ProtocolChoice;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_vm::{
    render_event, CommunicationReplayMode, Config, DefaultHandler, MessageAuth, ObsEvent,
    RunStatus, SchedulerPolicy, ThreadedError, ThreadedRunner, TraceRetention,
};

/// Arguments of `tell run`.
#[derive(Args)]
pub struct RunArgs {
    /// The protocol file.
    pub file: PathBuf,
    /// The most scheduler steps before giving up.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_steps: usize,
    /// The scheduling policy (it changes the order of steps, never their meaning).
    #[arg(long, value_enum, default_value_t = Policy::RoundRobin)]
    pub policy: Policy,
    /// How to print the observable trace.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub trace: TraceFormat,
    /// Seed of the built-in handler's branch choices (and of the signing keys).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Message authentication: sign every message and verify it (and the
    /// edge's hash chain) before it is received.
    #[arg(long, value_enum, default_value_t = Auth::None)]
    pub auth: Auth,
    /// Replay consumption: `sequence` makes every receive demand the next
    /// sequence number of its edge.
    #[arg(long, value_enum, default_value_t = ReplayMode::Off)]
    pub replay_mode: ReplayMode,
    /// Threads of the threaded runner: sessions are sharded over this many
    /// machines (ticks are then per shard).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Sessions of the protocol to open and run; the traces are printed
    /// session by session.
    #[arg(long, default_value_t = 1)]
    pub sessions: usize,
    /// Which protocol, and its role-family sizes.
    #[command(flatten)]
    pub choice: ProtocolChoice,
}

/// Message authentication schemes.
#[derive(Clone, Copy, ValueEnum)]
pub enum Auth {
    /// No signatures.
    None,
    /// ed25519 signatures with per-edge SHA-256 hash chains.
    Ed25519,
}

/// Replay-consumption policies.
#[derive(Clone, Copy, ValueEnum)]
pub enum ReplayMode {
    /// No checks.
    Off,
    /// Exactly the next sequence number per edge.
    Sequence,
    /// A nullifier set over canonical message identities.
    Nullifier,
}

/// The scheduling policies of the machine.
#[derive(Clone, Copy, ValueEnum)]
pub enum Policy {
    /// A coroutine runs until it blocks, yields or ends.
    Cooperative,
    /// One instruction per coroutine in turn.
    RoundRobin,
    /// Highest priority first (all roles equal from the command line).
    Priority,
    /// Coroutines with messages waiting for them first.
    ProgressAware,
}

/// Trace output formats.
#[derive(Clone, Copy, ValueEnum)]
pub enum TraceFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// The machine's own error inside a runner error (which shard does not
/// matter to the user), else the runner error.
fn unshard(e: ThreadedError) -> anyhow::Error {
    match e {
        ThreadedError::Load { source, .. }
        | ThreadedError::Open { source, .. }
        | ThreadedError::Shard { source, .. } => source.into(),
        other => other.into(),
    }
}

/// Runs the command: exit 0 when every coroutine finishes, 1 otherwise.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let image = build_image(&args.file, &args.choice)?;
    let config = Config {
        scheduler: match args.policy {
            Policy::Cooperative => SchedulerPolicy::Cooperative,
            Policy::RoundRobin => SchedulerPolicy::RoundRobin,
            Policy::Priority => SchedulerPolicy::Priority {
                priorities: Vec::new(),
            },
            Policy::ProgressAware => SchedulerPolicy::ProgressAware,
        },
        trace_retention: TraceRetention::KeepAll,
        message_auth: match args.auth {
            Auth::None => MessageAuth::None,
            Auth::Ed25519 => MessageAuth::Ed25519,
        },
        auth_seed: args.seed,
        communication_replay_mode: match args.replay_mode {
            ReplayMode::Off => CommunicationReplayMode::Off,
            ReplayMode::Sequence => CommunicationReplayMode::Sequence,
            ReplayMode::Nullifier => CommunicationReplayMode::Nullifier,
        },
        ..Config::default()
    };
    if args.threads == 0 {
        anyhow::bail!("--threads must be at least 1");
    }
    let mut runner = ThreadedRunner::new(image, config, args.threads)
        .map_err(unshard)
        .context("cannot load the protocol")?;
    runner
        .open_sessions(None, args.sessions)
        .map_err(unshard)
        .context("cannot load the protocol")?;
    // One built-in handler per shard (its choice counter is per shard).
    let outcome = runner.run_with(|_| DefaultHandler::new(args.seed), args.max_steps);
    let symbols = runner.shards()[0].symbols().clone();
    let print = |event: &ObsEvent, session: Option<u64>| -> Result<()> {
        match (args.trace, session) {
            (TraceFormat::Text, _) => println!("{}", render_event(event, &symbols)),
            (TraceFormat::Json, None) => println!("{}", serde_json::to_string(event)?),
            (TraceFormat::Json, Some(s)) => {
                println!("{}", serde_json::json!({ "session": s, "event": event }))
            }
        }
        Ok(())
    };
    if args.sessions == 1 && args.threads == 1 {
        for event in runner.shards()[0].trace_iter() {
            print(event, None)?;
        }
    } else {
        for (session, events) in runner.session_traces() {
            if matches!(args.trace, TraceFormat::Text) {
                println!("session {session}:");
            }
            for event in &events {
                print(event, Some(session))?;
            }
        }
    }
    let outcome = outcome.map_err(|e| match e.machine_error() {
        Some(m) => m.to_string(),
        None => e.to_string(),
    });
    match outcome {
        Ok(RunStatus::AllDone) => Ok(ExitCode::SUCCESS),
        Ok(RunStatus::Stuck) => {
            eprintln!("error: the run is stuck: coroutines remain but none can move");
            Ok(ExitCode::FAILURE)
        }
        Ok(RunStatus::BudgetExhausted) => {
            eprintln!(
                "error: not finished after {} steps (raise --max-steps)",
                args.max_steps
            );
            Ok(ExitCode::FAILURE)
        }
        Err(fault) => {
            eprintln!("error: {fault}");
            Ok(ExitCode::FAILURE)
        }
    }
}
