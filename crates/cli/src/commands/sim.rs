//! `tell sim SCENARIO.toml`: the simulator's `sim-run`, under `tell`
//! (same arguments, report and exit codes: 0 every property held, 2 one
//! failed or `--strict` found a fault that never fired, 1 bad input).

use anyhow::Result;
use std::process::ExitCode;
pub use telltale_simulator::cli::SimArgs;

/// Runs the command.
pub fn run(args: &SimArgs) -> Result<ExitCode> {
    Ok(telltale_simulator::cli::run(args))
}
