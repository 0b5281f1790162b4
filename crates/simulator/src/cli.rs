//! The `sim-run` command line, shared by the `sim-run` binary and
//! `tell sim`: arguments, the run, the report on stdout, and exit codes
//! (0 every property and contract held, 2 one failed or `--strict` found a
//! fault that never fired, 1 bad input).

use crate::report::Report;
use crate::scenario::OutputFormat;
use crate::{run_scenario_file, RunOptions, SimError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Exit code: every property held.
pub const EXIT_PASSED: u8 = 0;
/// Exit code: bad input (scenario, protocol, files).
pub const EXIT_BAD_INPUT: u8 = 1;
/// Exit code: a property or contract failed, the machine failed, or
/// `--strict` and a scheduled fault never fired.
pub const EXIT_FAILED: u8 = 2;

/// Arguments of `sim-run` and `tell sim`.
#[derive(clap::Args, Clone, Debug)]
pub struct SimArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Overrides the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also write the report to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the JSONL trace to this file.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Fail (exit 2) when a scheduled fault never fired.
    #[arg(long)]
    pub strict: bool,
}

/// Runs the command: prints the report (or the error on stderr) and
/// returns the exit code.
pub fn run(args: &SimArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn run_inner(args: &SimArgs) -> Result<u8, SimError> {
    let started = Instant::now();
    let options = RunOptions { seed: args.seed };
    let outcome = run_scenario_file(&args.scenario, &options)?;
    let mut report = outcome.report;
    report.wall_time_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    if let Some(path) = &args.trace {
        let mut text = outcome.trace.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        write(path, &text)?;
    }
    let rendered = render(&report, outcome.format);
    if let Some(path) = &args.out {
        write(path, &format!("{rendered}\n"))?;
    }
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (`| head`) is not an error of the run.
    let _ = writeln!(stdout, "{rendered}");
    Ok(exit_code(&report, args.strict))
}

/// The exit code a report earns.
pub fn exit_code(report: &Report, strict: bool) -> u8 {
    if !report.passed || (strict && !report.warnings.is_empty()) {
        EXIT_FAILED
    } else {
        EXIT_PASSED
    }
}

/// The report as text in `format`.
pub fn render(report: &Report, format: OutputFormat) -> String {
    let text = match format {
        OutputFormat::Json => serde_json::to_string_pretty(report),
        OutputFormat::Jsonl => serde_json::to_string(report),
    };
    text.unwrap_or_else(|e| format!("{{\"error\":\"cannot render the report: {e}\"}}"))
}

fn write(path: &Path, text: &str) -> Result<(), SimError> {
    std::fs::write(path, text).map_err(|source| SimError::Write {
        path: path.to_path_buf(),
        source,
    })
}
