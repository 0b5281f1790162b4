//! `tell run --threads N --sessions M`: many sessions sharded over a
//! threaded runner, traces printed session by session.

use crate::commands::run::{RunArgs, TraceFormat};
use anyhow::{Context, Result};
use telltale_compiler::CodeImage;
use telltale_vm::{
    render_event, Config, DefaultHandler, ObsEvent, RunStatus, ThreadedError, ThreadedRunner,
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

/// Runs `args.sessions` sessions on `args.threads` shards, prints every
/// session's trace in session order and returns how the run ended.
pub fn run(
    args: &RunArgs,
    image: CodeImage,
    config: Config,
) -> Result<std::result::Result<RunStatus, String>> {
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
    let print = |event: &ObsEvent, session: u64| -> Result<()> {
        match args.trace {
            TraceFormat::Text => println!("{}", render_event(event, &symbols)),
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
