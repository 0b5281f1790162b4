//! `tell subtype SUB SUPER`: synchronous or bounded asynchronous subtyping.

use crate::input::read_behaviour;
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::process::ExitCode;
use telltale_theory::fsm::Fsm;
use telltale_theory::notation::IMPLICIT_PARTNER;
use telltale_theory::subtyping::{
    async_subtype_fsm, sync_subtype_fsm, AsyncSubtypeConfig, Verdict,
};
use telltale_types::Role;

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

/// The partner every action of a machine talks to, when there is exactly one.
fn sole_partner(fsm: &Fsm) -> Option<Role> {
    let mut partners = fsm.transitions().iter().map(|t| &t.action.partner);
    let first = partners.next()?.clone();
    partners.all(|p| *p == first).then_some(first)
}

/// Gives a machine written in the binary notation (whose partner is the
/// implicit `peer`) the partner of the other side, when each side talks to
/// exactly one role: `tell subtype proj.json '!a;?b;end'` then compares the
/// behaviours rather than failing on the partner's name.
fn align_implicit_partner(sub: Fsm, sup: Fsm) -> (Fsm, Fsm) {
    let implicit = Role::new(IMPLICIT_PARTNER);
    match (sole_partner(&sub), sole_partner(&sup)) {
        (Some(a), Some(b)) if a == implicit && b != implicit => (rename_partner(sub, &b), sup),
        (Some(a), Some(b)) if b == implicit && a != implicit => (sub, rename_partner(sup, &a)),
        _ => (sub, sup),
    }
}

fn rename_partner(fsm: Fsm, partner: &Role) -> Fsm {
    let transitions = fsm
        .transitions()
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.action.partner = partner.clone();
            t
        })
        .collect();
    match Fsm::new(
        fsm.role().clone(),
        fsm.states().to_vec(),
        fsm.initial(),
        transitions,
    ) {
        Ok(renamed) => renamed,
        // Renaming keeps states and the initial state, so this cannot fail;
        // if it ever did, comparing the machine unchanged is still sound.
        Err(_) => fsm,
    }
}

/// Runs the command; the exit code carries the verdict.
pub fn run(args: &SubtypeArgs) -> Result<ExitCode> {
    let (sub, sup) = align_implicit_partner(read_behaviour(&args.sub)?, read_behaviour(&args.sup)?);
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
