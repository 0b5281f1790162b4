//! `tell run FILE`: every role of a protocol in one protocol machine (or
//! many sessions over a threaded runner, see `run_sharded`).

use crate::commands::compile::build_image;
use crate::commands::run_checkpoint::{self, Every};
use crate::commands::run_sharded;
use crate::exit_code::Rejected;
use crate::protocol_file::ProtocolChoice;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_compiler::{CodeImage, ExitSteering, DEFAULT_FREE_ITERATIONS};
use telltale_vm::{
    load_image_all_roles, CommunicationReplayMode, Config, DefaultHandler, EffectScript,
    MessageAuth, RunStatus, SchedulerPolicy, TraceRetention, TraceText,
};

/// Arguments of `tell run`.
#[derive(Args)]
pub struct RunArgs {
    /// The protocol file.
    pub file: PathBuf,
    /// The most scheduler steps before giving up.
    #[arg(long, default_value_t = 1_000_000, value_parser = at_least_one)]
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
    /// How many times the built-in handler takes a continuing branch at
    /// each choice before it steers the loop to its exit.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FREE_ITERATIONS,
          value_parser = clap::value_parser!(u64).range(..=MAX_FREE_ITERATIONS))]
    pub free_iterations: u64,
    /// Message authentication: sign every message and verify it (and the
    /// edge's hash chain) before it is received.
    #[arg(long, value_enum, default_value_t = Auth::None)]
    pub auth: Auth,
    /// Replay consumption: `sequence` makes every receive demand the next
    /// sequence number of its edge; `nullifier` refuses any message whose
    /// canonical identity its edge already consumed (reordering allowed).
    #[arg(long, value_enum, default_value_t = ReplayMode::Off)]
    pub replay_mode: ReplayMode,
    /// Write a checkpoint every K scheduler steps (with --checkpoint-dir;
    /// every K rounds per shard for a sharded run).
    #[arg(long, value_name = "K", requires = "checkpoint_dir")]
    pub checkpoint_every: Option<NonZeroUsize>,
    /// Directory of the checkpoints, `step-<n>.ttck` (`round-<r>.ttrc` for a
    /// sharded run; created if missing).
    #[arg(long, value_name = "DIR", requires = "checkpoint_every")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue the run from a checkpoint of this protocol (give the same
    /// options as the checkpointed run); the whole trace is printed.
    #[arg(long, value_name = "CHECKPOINT")]
    pub resume: Option<PathBuf>,
    /// Threads of the threaded runner: sessions are sharded over this many
    /// machines (ticks are then per shard).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    pub threads: usize,
    /// Sessions of the protocol to open and run; the traces are printed
    /// session by session.
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    pub sessions: usize,
    /// Script the built-in handler's effect outcomes:
    /// `Effect.operation=Outcome[,Outcome...]` (e.g. `Ledger.append=Ok,Err(Full)`),
    /// consumed call by call (per machine); repeatable. Unscripted calls get
    /// seeded outcomes.
    #[arg(long = "effect", value_name = "OP=OUTCOMES", conflicts_with = "resume")]
    pub effects: Vec<String>,
    /// Which protocol, and its role-family sizes.
    #[command(flatten)]
    pub choice: ProtocolChoice,
}

/// The most free iterations `--free-iterations` and `tell serve
/// --free-choices` accept: more would never let a loop end in practice.
pub const MAX_FREE_ITERATIONS: u64 = 1_000_000;

/// Parses a count that must be at least 1 (`--sessions 0` would do nothing).
pub fn at_least_one(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

impl RunArgs {
    /// The built-in handler's branch rule for these options.
    pub fn steering(&self) -> ExitSteering {
        ExitSteering::new(self.seed, self.free_iterations)
    }

    /// A fresh built-in handler for these options, with their effect script.
    pub fn handler(&self) -> Result<DefaultHandler> {
        let script = EffectScript::parse(&self.effects).map_err(Rejected::new)?;
        Ok(
            DefaultHandler::with_free_iterations(self.seed, self.free_iterations)
                .with_effect_script(script),
        )
    }
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
    /// Consumed canonical message identities are refused.
    Nullifier,
}

impl From<Auth> for MessageAuth {
    fn from(auth: Auth) -> Self {
        match auth {
            Auth::None => MessageAuth::None,
            Auth::Ed25519 => MessageAuth::Ed25519,
        }
    }
}

impl From<ReplayMode> for CommunicationReplayMode {
    fn from(mode: ReplayMode) -> Self {
        match mode {
            ReplayMode::Off => CommunicationReplayMode::Off,
            ReplayMode::Sequence => CommunicationReplayMode::Sequence,
            ReplayMode::Nullifier => CommunicationReplayMode::Nullifier,
        }
    }
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

/// Runs the command: exit 0 when every coroutine finishes, 1 otherwise.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let image = build_image(&args.file, &args.choice)?;
    let script = EffectScript::parse(&args.effects).map_err(Rejected::new)?;
    script.check(&image.effects).map_err(Rejected::new)?;
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
        message_auth: args.auth.into(),
        auth_seed: args.seed,
        communication_replay_mode: args.replay_mode.into(),
        ..Config::default()
    };
    let outcome = if args.threads == 1 && args.sessions == 1 {
        run_one_machine(args, image, config)?
    } else {
        run_sharded::run(args, image, config)?
    };
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

/// One machine (optionally checkpointed or resumed); prints its trace and
/// returns how the run ended.
fn run_one_machine(
    args: &RunArgs,
    image: CodeImage,
    config: Config,
) -> Result<std::result::Result<RunStatus, String>> {
    let (mut machine, handler) = match &args.resume {
        Some(path) => run_checkpoint::resume(path, &image, &config, args.steering())?,
        None => (
            load_image_all_roles(image, config).context("cannot load the protocol")?,
            args.handler()?,
        ),
    };
    let outcome = match (args.checkpoint_every, &args.checkpoint_dir) {
        (Some(every), Some(dir)) => {
            run_checkpoint::prepare_dir(dir)?;
            let every = Every {
                steps: every.get(),
                dir,
            };
            run_checkpoint::run_with_checkpoints(&mut machine, &handler, args.max_steps, &every)?
        }
        _ => machine.run(&handler, args.max_steps),
    };
    let text = TraceText::of_machine(&machine);
    for event in machine.trace_iter() {
        match args.trace {
            TraceFormat::Text => println!("{}", text.line(event)),
            TraceFormat::Json => println!("{}", serde_json::to_string(event)?),
        }
    }
    Ok(outcome.map_err(|e| e.to_string()))
}
