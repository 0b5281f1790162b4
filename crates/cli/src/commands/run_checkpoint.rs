//! `tell run --checkpoint-every K --checkpoint-dir D` and `tell run
//! --resume FILE`: periodic checkpoints of the protocol machine, and runs
//! continued from one.
//!
//! A checkpoint file is the machine's checkpoint (`telltale_vm::checkpoint`)
//! with the built-in handler's state as host state, so a resumed run makes
//! the same branch choices as the uninterrupted one.

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use telltale_compiler::CodeImage;
use telltale_vm::{
    Checkpoint, Config, DefaultHandler, ProtocolMachine, ProtocolMachineError, RunStatus,
    DEFAULT_LOOP_BUDGET,
};

/// Where and how often to write checkpoints.
pub struct Every<'a> {
    /// Scheduler steps between checkpoints.
    pub steps: usize,
    /// The directory written to.
    pub dir: &'a Path,
}

/// The host state of a checkpoint: the built-in handler's seed and the
/// number of branch choices it has made.
fn handler_state(handler: &DefaultHandler) -> Vec<u8> {
    serde_json::json!({
        "handler": "tell-run/default",
        "seed": handler.seed(),
        "choices_made": handler.choices_made(),
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
    seed: u64,
) -> Result<(ProtocolMachine, DefaultHandler)> {
    let shown = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read checkpoint {shown}"))?;
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
    let field = |name: &str| state.get(name).and_then(serde_json::Value::as_u64);
    let (Some(saved_seed), Some(choices)) = (field("seed"), field("choices_made")) else {
        bail!("checkpoint {shown} was not written by `tell run`");
    };
    if saved_seed != seed {
        bail!("checkpoint {shown} was taken with --seed {saved_seed}, not {seed}");
    }
    Ok((
        machine,
        DefaultHandler::resumed(seed, DEFAULT_LOOP_BUDGET, choices),
    ))
}
