//! `effect-scaffold FILE [--out DIR] [--no-simulator] [--force]`: the
//! generator as a command (also `tell scaffold` and `just effect-scaffold`).

use clap::Parser;
use std::process::ExitCode;
use telltale_effect_scaffold::run_command;

fn main() -> ExitCode {
    run_command(&telltale_effect_scaffold::ScaffoldArgs::parse())
}
