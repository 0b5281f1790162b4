//! The `sim-run` command line, shared by the `sim-run` binary and
//! `tell sim`: arguments, the run, the report on stdout, and exit codes
//! (0 every property and contract held, 2 one failed or `--strict` found a
//! fault that never fired, 1 bad input).

use crate::checkpoint::Checkpointing;
use crate::host_registry::HostRegistry;
use crate::report::html::{self, HtmlOptions, DEFAULT_MAX_EVENTS};
use crate::report::timeline::Timeline;
use crate::report::Report;
use crate::scenario::OutputFormat;
use crate::sweep::{sweep_with_hosts, SeedRange, Shard, SweepSummary};
use crate::{load_scenario, Outcome, SimError};
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
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SimArgs {
    /// `merge`: join the summaries of a sweep's shards.
    #[command(subcommand)]
    pub command: Option<SimCommand>,
    /// The scenario file (TOML).
    #[arg(required_unless_present = "schedule")]
    pub scenario: Option<PathBuf>,
    /// Replay a counterexample of `tell explore --schedule-out` step for
    /// step instead of running a scenario (`tell sim` only: `sim-run` has
    /// no explorer).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "seeds", "resume", "trace"])]
    pub schedule: Option<PathBuf>,
    /// Overrides the scenario's seed.
    #[arg(long, conflicts_with = "seeds")]
    pub seed: Option<u64>,
    /// Runs many seeds (`1..10000`, or `1..=10000`) in parallel and prints
    /// their summary instead of one report.
    #[arg(long, value_name = "A..B")]
    pub seeds: Option<SeedRange>,
    /// With `--seeds`: only every N-th seed, starting with the I-th
    /// (`2/4`), so that machines can share a sweep (join with `merge`).
    #[arg(long, value_name = "I/N", requires = "seeds")]
    pub shard: Option<Shard>,
    /// Also write the report to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the JSONL trace to this file.
    #[arg(long, value_name = "FILE", conflicts_with = "seeds")]
    pub trace: Option<PathBuf>,
    /// Write the run as a self-contained HTML page (sequence diagram,
    /// property timeline, per-role statistics, the scenario). With
    /// `--seeds`: the page of the smallest failing seed, or of the first
    /// seed when every seed passed.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The most events the HTML page draws (the rest of a longer run is
    /// left out, and the page says so).
    #[arg(long, value_name = "N", requires = "html", default_value_t = DEFAULT_MAX_EVENTS)]
    pub html_max_events: usize,
    /// Fail (exit 2) when a scheduled fault never fired.
    #[arg(long)]
    pub strict: bool,
    /// Where checkpoints go when the scenario sets `checkpoint_interval`:
    /// `DIR/<scenario name>/seed-<S>-round-<R>.ttsc`.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "artifacts",
        conflicts_with = "seeds"
    )]
    pub checkpoint_dir: PathBuf,
    /// Continue the run of a checkpoint: the scenario runs again with the
    /// checkpoint's seed, is verified to reach the checkpoint's state at its
    /// round, and goes on to the same trace and report as the
    /// uninterrupted run.
    #[arg(long, value_name = "FILE", conflicts_with = "seeds")]
    pub resume: Option<PathBuf>,
}

/// What `sim-run` can do besides running a scenario.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum SimCommand {
    /// Joins the summaries of the shards of one sweep (`--seeds ... --shard
    /// I/N --out shard-I.json`) into one summary.
    Merge {
        /// The shard summaries (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also write the merged summary to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Runs the command: prints the report (or the error on stderr) and
/// returns the exit code.
pub fn run(args: &SimArgs) -> ExitCode {
    run_with_hosts(args, &HostRegistry::new())
}

/// Runs the command with the bundled hosts of `hosts` (what `tell sim`
/// passes), for scenarios whose `[handler] kind = "host"`.
pub fn run_with_hosts(args: &SimArgs, hosts: &HostRegistry) -> ExitCode {
    let result = match (&args.command, &args.scenario, args.seeds) {
        (Some(SimCommand::Merge { files, out }), _, _) => merge(files, out.as_deref()),
        (None, Some(scenario), Some(seeds)) => run_sweep(args, scenario, seeds, hosts),
        (None, Some(scenario), None) => run_inner(args, scenario, hosts),
        (None, None, _) if args.schedule.is_some() => Err(SimError::Usage(
            "replaying a schedule needs the explorer: run `tell sim --schedule FILE`".into(),
        )),
        (None, None, _) => Err(SimError::Usage("a scenario file is required".into())),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn run_inner(args: &SimArgs, scenario: &Path, hosts: &HostRegistry) -> Result<u8, SimError> {
    let started = Instant::now();
    let text = read(scenario)?;
    let (mut plan, image) = load_scenario(&text, scenario)?;
    let seed = args.seed.unwrap_or(plan.seed);
    Checkpointing::attach(
        &mut plan,
        &image,
        seed,
        &args.checkpoint_dir,
        args.resume.as_deref(),
    )?;
    let outcome = hosts.run_plan_with(&plan, &image, seed, args.html.is_some())?;
    if let Some(checkpoints) = &plan.checkpoints {
        note_checkpoints(checkpoints);
    }
    if let Some(path) = &args.html {
        write_html(path, &outcome, &text, args.html_max_events)?;
    }
    let mut report = outcome.report;
    report.wall_time_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    if let Some(path) = &args.trace {
        let mut text = Vec::new();
        // Writing into memory cannot fail.
        let _ = outcome.trace.write_jsonl(&mut text);
        // JSON text is UTF-8: nothing is replaced.
        write(path, &String::from_utf8_lossy(&text))?;
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

/// Says on stderr which checkpoint a run resumed from and which it wrote.
fn note_checkpoints(checkpoints: &Checkpointing) {
    if let Some(round) = checkpoints.verified_round() {
        if checkpoints.loaded_world() {
            eprintln!("resumed: loaded the world of round {round} and ran the rounds after it");
        } else {
            eprintln!("resumed: ran again, and matched the checkpoint's state at round {round}");
        }
    }
    let written = checkpoints.written();
    if let Some(last) = written.last() {
        eprintln!(
            "wrote {} checkpoint(s) under {} (last: {})",
            written.len(),
            checkpoints.dir().display(),
            last.display()
        );
    }
}

/// Runs every seed of `seeds` (of the shard) and prints their summary.
fn run_sweep(
    args: &SimArgs,
    scenario: &Path,
    seeds: SeedRange,
    hosts: &HostRegistry,
) -> Result<u8, SimError> {
    let text = read(scenario)?;
    let (plan, image) = load_scenario(&text, scenario)?;
    let shown = scenario.display().to_string();
    // A bundled host runs under `tell sim` only.
    let command = if plan.host.is_some() {
        "tell sim"
    } else {
        "sim-run"
    };
    let reproduce = |seed: u64| format!("{command} {shown} --seed {seed}");
    let seeds = seeds.seeds(args.shard);
    let summary = sweep_with_hosts(hosts, &plan, &image, &seeds, args.shard, &reproduce)?;
    if let Some(path) = &args.html {
        // The smallest failing seed's page (the summary lists them
        // smallest first), else the first seed's: run again, recorded.
        let chosen = summary.failing.first().map(|f| f.seed);
        match chosen.or_else(|| seeds.first().copied()) {
            Some(seed) => {
                let outcome = hosts.run_plan_with(&plan, &image, seed, true)?;
                write_html(path, &outcome, &text, args.html_max_events)?;
            }
            None => eprintln!("warning: no seed ran in this shard: no HTML page written"),
        }
    }
    print_summary(&summary, args.out.as_deref())
}

/// Writes the HTML page of a recorded run.
fn write_html(
    path: &Path,
    outcome: &Outcome,
    scenario_text: &str,
    max_events: usize,
) -> Result<(), SimError> {
    let unrecorded = Timeline::default();
    let timeline = outcome.timeline.as_ref().unwrap_or(&unrecorded);
    let options = HtmlOptions { max_events };
    let page = html::render(&outcome.report, timeline, scenario_text, &options);
    write(path, &page)
}

fn read(path: &Path) -> Result<String, SimError> {
    std::fs::read_to_string(path).map_err(|source| SimError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Joins shard summaries and prints the result.
fn merge(files: &[PathBuf], out: Option<&Path>) -> Result<u8, SimError> {
    let mut parts = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Read {
            path: path.clone(),
            source,
        })?;
        let part: SweepSummary = serde_json::from_str(&text).map_err(|e| {
            SimError::Usage(format!("`{}` is not a sweep summary: {e}", path.display()))
        })?;
        parts.push(part);
    }
    let merged = SweepSummary::merge(&parts).map_err(SimError::Usage)?;
    print_summary(&merged, out)
}

/// Prints a summary (JSON on stdout, one readable line on stderr) and
/// returns its exit code.
fn print_summary(summary: &SweepSummary, out: Option<&Path>) -> Result<u8, SimError> {
    let rendered = serde_json::to_string_pretty(summary)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot render the summary: {e}\"}}"));
    if let Some(path) = out {
        write(path, &format!("{rendered}\n"))?;
    }
    let _ = writeln!(std::io::stdout().lock(), "{rendered}");
    let failing: Vec<String> = summary
        .failing
        .iter()
        .take(5)
        .map(|f| f.seed.to_string())
        .collect();
    eprintln!(
        "{} seeds: {} passed, {} failed{}; rounds {}..{} (median {})",
        summary.seeds,
        summary.passed,
        summary.failed,
        match summary.failing.first() {
            Some(first) => format!(
                " (seeds {}; rerun one with `{}`)",
                failing.join(", "),
                first.reproduce
            ),
            None => String::new(),
        },
        summary.rounds_min,
        summary.rounds_max,
        summary.rounds_median
    );
    Ok(if summary.all_passed() {
        EXIT_PASSED
    } else {
        EXIT_FAILED
    })
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
