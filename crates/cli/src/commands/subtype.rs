//! `tell subtype SUB SUPER`: synchronous or bounded asynchronous subtyping.

use crate::input::read_behaviour;
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::process::ExitCode;
use telltale_theory::subtyping::{
    async_subtype_fsm, sync_subtype_fsm, AsyncSubtypeConfig, Verdict,
};

/// Arguments of `tell subtype`.
#[derive(Args)]
pub struct SubtypeArgs {
    /// The candidate subtype: a file or inline text (binary notation such as
    /// `!a;?b;end`, a Lean-schema JSON local type, or a nuscr-style DOT FSM).
    pub sub: String,
    /// The candidate supertype, in the same forms.
    #[arg(name = "SUPER")]
    pub sup: String,
    /// Which relation to decide.
    #[arg(long, value_enum, default_value_t = Mode::Async)]
    pub mode: Mode,
    /// Exploration budget of the asynchronous checker (pairs explored before
    /// it answers `unknown`).
    #[arg(long)]
    pub bound: Option<usize>,
}

/// Synchronous or asynchronous subtyping.
#[derive(Clone, Copy, ValueEnum)]
pub enum Mode {
    /// Asynchronous subtyping: outputs may be anticipated (sound, bounded).
    Async,
    /// Synchronous (Gay–Hole) subtyping: decidable.
    Sync,
}

/// Runs the command; the exit code carries the verdict.
pub fn run(args: &SubtypeArgs) -> Result<ExitCode> {
    let sub = read_behaviour(&args.sub)?;
    let sup = read_behaviour(&args.sup)?;
    let verdict = match args.mode {
        Mode::Sync => {
            if sync_subtype_fsm(&sub, &sup)? {
                Verdict::Subtype
            } else {
                Verdict::NotSubtype
            }
        }
        Mode::Async => {
            let mut config = AsyncSubtypeConfig::default();
            if let Some(bound) = args.bound {
                config.max_steps = bound;
            }
            async_subtype_fsm(&sub, &sup, &config)?
        }
    };
    println!("{verdict}");
    Ok(ExitCode::from(match verdict {
        Verdict::Subtype => 0,
        Verdict::NotSubtype => 1,
        Verdict::Unknown => 3,
    }))
}
