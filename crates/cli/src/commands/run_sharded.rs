//! `tell run --threads N --sessions M`: many sessions sharded over a
//! threaded runner, traces printed session by session.

use crate::commands::run::{RunArgs, TraceFormat};
use crate::commands::run_checkpoint::{self, Every};
use anyhow::{Context, Result};
use telltale_compiler::CodeImage;
use telltale_vm::{
    render_event, Config, ObsEvent, RunStatus, ThreadedError, ThreadedRunner, TraceText,
};

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

/// Runs `args.sessions` sessions on `args.threads` shards (optionally
/// checkpointed or resumed), prints every session's trace in session order
/// and returns how the run ended.
pub fn run(
    args: &RunArgs,
    image: CodeImage,
    config: Config,
) -> Result<std::result::Result<RunStatus, String>> {
    // One built-in handler per shard (it counts choices per session, so a
    // session's choices do not depend on its shard).
    let (mut runner, handlers, rounds) = match &args.resume {
        Some(path) => run_checkpoint::resume_runner(
            path,
            &image,
            &config,
            args.steering(),
            args.threads,
            args.sessions,
        )?,
        None => {
            let mut runner = ThreadedRunner::new(image, config, args.threads)
                .map_err(unshard)
                .context("cannot load the protocol")?;
            runner
                .open_sessions(None, args.sessions)
                .map_err(unshard)
                .context("cannot load the protocol")?;
            let handlers = (0..args.threads)
                .map(|_| args.handler())
                .collect::<Result<_>>()?;
            (runner, handlers, 0)
        }
    };
    let outcome = match (args.checkpoint_every, &args.checkpoint_dir) {
        (Some(every), Some(dir)) => {
            run_checkpoint::prepare_dir(dir)?;
            let every = Every {
                steps: every.get(),
                dir,
            };
            run_checkpoint::run_runner_with_checkpoints(
                &mut runner,
                &handlers,
                args.seed,
                rounds,
                args.max_steps,
                &every,
            )?
        }
        _ => runner.run_with_handlers(&handlers, args.max_steps),
    };
    // Coroutine numbers are per shard: name them with their shard's roles.
    let texts: Vec<TraceText<'_>> = runner.shards().iter().map(TraceText::of_machine).collect();
    let print = |event: &ObsEvent, session: u64| -> Result<()> {
        match args.trace {
            TraceFormat::Text => match texts.get(runner.shard_of(session)) {
                Some(text) => println!("{}", text.line(event)),
                None => println!("{}", render_event(event, runner.shards()[0].symbols())),
            },
            TraceFormat::Json => {
                println!(
                    "{}",
                    serde_json::json!({ "session": session, "event": event })
                )
            }
        }
        Ok(())
    };
    for (session, events) in runner.session_traces() {
        if matches!(args.trace, TraceFormat::Text) {
            println!("session {session}:");
        }
        for event in &events {
            print(event, session)?;
        }
    }
    Ok(outcome.map_err(|e| match e.machine_error() {
        Some(m) => m.to_string(),
        None => e.to_string(),
    }))
}
