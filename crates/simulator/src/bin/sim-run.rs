//! `sim-run SCENARIO.toml [--seed S] [--out report.json] [--trace
//! trace.jsonl] [--strict] [--checkpoint-dir DIR] [--resume CHECKPOINT]`:
//! runs one simulation scenario and prints its JSON report (see
//! `docs/simulator.md`).

use clap::Parser;
use std::process::ExitCode;
use telltale_simulator::cli::{run, SimArgs, EXIT_BAD_INPUT};

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
    match Cli::try_parse() {
        Ok(cli) => run(&cli.args),
        Err(e) => {
            // `--help` and `--version` print and succeed; bad usage is bad
            // input (exit 1), as the simulator's exit codes say.
            let _ = e.print();
            if e.use_stderr() {
                ExitCode::from(EXIT_BAD_INPUT)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
