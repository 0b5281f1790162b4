//! `sim-run SCENARIO.toml [--seed S] [--out report.json] [--trace
//! trace.jsonl] [--strict]`: runs one simulation scenario and prints its
//! JSON report (see `docs/simulator.md`).

use clap::Parser;
use std::process::ExitCode;
use telltale_simulator::cli::{run, SimArgs};

/// Runs a simulation scenario.
#[derive(Parser)]
#[command(
    name = "sim-run",
    version,
    about = "Run a Telltale simulation scenario"
)]
struct Cli {
    #[command(flatten)]
    args: SimArgs,
}

fn main() -> ExitCode {
    run(&Cli::parse().args)
}
