//! `tell run --checkpoint-every K --checkpoint-dir D` and `tell run
//! --resume FILE`: periodic checkpoints of the protocol machine, and runs
//! continued from one.
//!
//! A checkpoint file is the machine's checkpoint (`telltale_vm::checkpoint`)
//! with the built-in handler's state as host state, so a resumed run makes
//! the same branch choices as the uninterrupted one. A sharded run (`--threads`
//! or `--sessions` above 1) writes runner checkpoints instead
//! (`telltale_vm::threaded::checkpoint`, `round-<r>.ttrc`) with every shard's
//! handler state.

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use telltale_compiler::{CodeImage, ExitSteering};
use telltale_vm::checkpoint::CHECKPOINT_MAGIC;
use telltale_vm::{
    Checkpoint, ChoiceVisits, Config, DefaultHandler, ProtocolMachine, ProtocolMachineError,
    RunStatus, RunnerCheckpoint, ThreadedError, ThreadedRunner, RUNNER_CHECKPOINT_MAGIC,
};

/// Where and how often to write checkpoints.
pub struct Every<'a> {
    /// Scheduler steps between checkpoints.
    pub steps: usize,
    /// The directory written to.
    pub dir: &'a Path,
}

/// The host state of a checkpoint: the built-in handler's seed, free
/// iterations and the choices it has made.
fn handler_state(handler: &DefaultHandler) -> Vec<u8> {
    serde_json::json!({
        "handler": "tell-run/default",
        "seed": handler.seed(),
        "free_iterations": handler.free_iterations(),
        "choice_visits": handler.choice_visits(),
    })
    .to_string()
    .into_bytes()
}

/// Creates the checkpoint directory (a clear error if it cannot be).
pub fn prepare_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create checkpoint directory {}", dir.display()))
}

/// Runs at most `max_steps` steps, writing `step-<n>.ttck` (n = the
/// machine's scheduler clock) after every `every.steps` steps while the
/// run goes on.
pub fn run_with_checkpoints(
    machine: &mut ProtocolMachine,
    handler: &DefaultHandler,
    max_steps: usize,
    every: &Every<'_>,
) -> Result<Result<RunStatus, ProtocolMachineError>> {
    let mut left = max_steps;
    loop {
        let chunk = every.steps.min(left);
        left -= chunk;
        match machine.run(handler, chunk) {
            Ok(RunStatus::BudgetExhausted) if left > 0 => {
                write(machine, handler, every.dir)?;
            }
            other => return Ok(other),
        }
    }
}

fn write(machine: &ProtocolMachine, handler: &DefaultHandler, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(format!("step-{}.ttck", machine.clock()));
    let checkpoint = machine
        .checkpoint()
        .context("cannot take a checkpoint")?
        .with_host_state(handler_state(handler));
    std::fs::write(&path, checkpoint.to_bytes())
        .with_context(|| format!("cannot write checkpoint {}", path.display()))?;
    Ok(path)
}

/// Restores the machine and the handler from a checkpoint file, refusing
/// one taken from another protocol or with other run options.
pub fn resume(
    path: &Path,
    image: &CodeImage,
    config: &Config,
    steering: ExitSteering,
) -> Result<(ProtocolMachine, DefaultHandler)> {
    let shown = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read checkpoint {shown}"))?;
    if bytes.starts_with(&RUNNER_CHECKPOINT_MAGIC) {
        bail!(
            "checkpoint {shown} is of a sharded run (--threads/--sessions above 1); give the \
             same --threads and --sessions as the checkpointed run"
        );
    }
    let checkpoint =
        Checkpoint::from_bytes(&bytes).with_context(|| format!("cannot resume from {shown}"))?;
    let machine = ProtocolMachine::restore(&checkpoint)
        .with_context(|| format!("cannot resume from {shown}"))?;
    if machine.image() != image {
        bail!("checkpoint {shown} was taken from another protocol than the one given");
    }
    if machine.config() != config {
        bail!(
            "checkpoint {shown} was taken with other run options; give the same \
             --policy, --auth, --replay-mode and --seed as the checkpointed run"
        );
    }
    let state: serde_json::Value = serde_json::from_slice(checkpoint.host_state())
        .map_err(|_| anyhow!("checkpoint {shown} was not written by `tell run`"))?;
    refuse_older(&state, &shown.to_string())?;
    let Some(visits) = state.get("choice_visits").and_then(parse_visits) else {
        bail!("checkpoint {shown} was not written by `tell run`");
    };
    check_steering(&state, steering, &shown.to_string())?;
    Ok((
        machine,
        DefaultHandler::resumed(steering.seed, steering.free_iterations, &visits),
    ))
}

/// The host state of a runner checkpoint: the seed, the rounds per shard
/// run so far, the free iterations and every shard's built-in handler's
/// choices.
fn runner_handler_state(handlers: &[DefaultHandler], seed: u64, rounds: usize) -> Vec<u8> {
    let choices: Vec<Vec<ChoiceVisits>> =
        handlers.iter().map(DefaultHandler::choice_visits).collect();
    serde_json::json!({
        "handler": "tell-run/sharded",
        "seed": seed,
        "free_iterations": handlers.first().map_or(0, DefaultHandler::free_iterations),
        "rounds": rounds,
        "choice_visits": choices,
    })
    .to_string()
    .into_bytes()
}

/// A runner, its per-shard handlers and the rounds per shard already run.
pub type ResumedRunner = (ThreadedRunner, Vec<DefaultHandler>, usize);

/// Runs a runner at most `max_rounds` rounds per shard, `every.steps`
/// rounds at a time, writing `round-<r>.ttrc` (r = rounds per shard so
/// far, counted from `rounds`) after each chunk while the run goes on.
pub fn run_runner_with_checkpoints(
    runner: &mut ThreadedRunner,
    handlers: &[DefaultHandler],
    seed: u64,
    rounds: usize,
    max_rounds: usize,
    every: &Every<'_>,
) -> Result<Result<RunStatus, ThreadedError>> {
    let mut left = max_rounds;
    let mut rounds = rounds;
    loop {
        let chunk = every.steps.min(left);
        left -= chunk;
        rounds = rounds.saturating_add(chunk);
        match runner.run_with_handlers(handlers, chunk) {
            Ok(RunStatus::BudgetExhausted) if left > 0 => {
                let path = every.dir.join(format!("round-{rounds}.ttrc"));
                let checkpoint = runner
                    .checkpoint()
                    .context("cannot take a checkpoint")?
                    .with_host_state(runner_handler_state(handlers, seed, rounds));
                std::fs::write(&path, checkpoint.to_bytes())
                    .with_context(|| format!("cannot write checkpoint {}", path.display()))?;
            }
            other => return Ok(other),
        }
    }
}

/// Restores a runner and its shards' handlers from a runner checkpoint
/// file, refusing a single-machine checkpoint, another protocol, other
/// run options, or another thread or session count.
pub fn resume_runner(
    path: &Path,
    image: &CodeImage,
    config: &Config,
    steering: ExitSteering,
    threads: usize,
    sessions: usize,
) -> Result<ResumedRunner> {
    let shown = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read checkpoint {shown}"))?;
    if bytes.starts_with(&CHECKPOINT_MAGIC) {
        bail!(
            "checkpoint {shown} is of a single-machine run; resume it without --threads and \
             --sessions (or with both 1)"
        );
    }
    let checkpoint = RunnerCheckpoint::from_bytes(&bytes)
        .with_context(|| format!("cannot resume from {shown}"))?;
    let runner = ThreadedRunner::restore(&checkpoint)
        .with_context(|| format!("cannot resume from {shown}"))?;
    let Some(first) = runner.shard(0) else {
        bail!("checkpoint {shown} has no shards");
    };
    if first.image() != image {
        bail!("checkpoint {shown} was taken from another protocol than the one given");
    }
    if first.config() != config {
        bail!(
            "checkpoint {shown} was taken with other run options; give the same \
             --policy, --auth, --replay-mode and --seed as the checkpointed run"
        );
    }
    if runner.threads() != threads || checkpoint.sessions_opened() != sessions as u64 {
        bail!(
            "checkpoint {shown} was taken with --threads {} --sessions {}, not --threads \
             {threads} --sessions {sessions}",
            runner.threads(),
            checkpoint.sessions_opened()
        );
    }
    let foreign = || anyhow!("checkpoint {shown} was not written by `tell run`");
    let state: serde_json::Value =
        serde_json::from_slice(checkpoint.host_state()).map_err(|_| foreign())?;
    refuse_older(&state, &shown.to_string())?;
    let Some(rounds) = state.get("rounds").and_then(serde_json::Value::as_u64) else {
        return Err(foreign());
    };
    let choices: Vec<Vec<ChoiceVisits>> = state
        .get("choice_visits")
        .and_then(serde_json::Value::as_array)
        .and_then(|a| a.iter().map(parse_visits).collect())
        .ok_or_else(foreign)?;
    if choices.len() != threads {
        return Err(foreign());
    }
    check_steering(&state, steering, &shown.to_string())?;
    let handlers = choices
        .iter()
        .map(|c| DefaultHandler::resumed(steering.seed, steering.free_iterations, c))
        .collect();
    let rounds = usize::try_from(rounds).map_err(|_| foreign())?;
    Ok((runner, handlers, rounds))
}

/// Refuses, by name, a checkpoint of a `tell run` that counted choices
/// globally (before `--free-iterations`): its choices cannot be resumed.
fn refuse_older(state: &serde_json::Value, shown: &str) -> Result<()> {
    if state.get("choices_made").is_some() {
        bail!(
            "checkpoint {shown} was written by an older `tell run` whose built-in handler \
             chose differently; run the protocol again from the start"
        );
    }
    Ok(())
}

/// The choices a saved handler made, if `value` is a list of them.
fn parse_visits(value: &serde_json::Value) -> Option<Vec<ChoiceVisits>> {
    serde_json::from_value(value.clone()).ok()
}

/// Refuses a checkpoint taken with another `--seed` or `--free-iterations`.
fn check_steering(state: &serde_json::Value, steering: ExitSteering, shown: &str) -> Result<()> {
    let field = |name: &str| state.get(name).and_then(serde_json::Value::as_u64);
    let (Some(seed), Some(free)) = (field("seed"), field("free_iterations")) else {
        bail!("checkpoint {shown} was not written by `tell run`");
    };
    if seed != steering.seed {
        bail!(
            "checkpoint {shown} was taken with --seed {seed}, not {}",
            steering.seed
        );
    }
    if free != steering.free_iterations {
        bail!(
            "checkpoint {shown} was taken with --free-iterations {free}, not {}",
            steering.free_iterations
        );
    }
    Ok(())
}
