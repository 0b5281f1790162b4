//! `tell explore FILE`: every run of a protocol within bounds, with the
//! built-in open-choice host; a shortest counterexample when a check fails.
//!
//! Exit codes (docs/cli.md, "tell explore"): 0 every check holds, 1 bad
//! input, 2 a counterexample was found, 3 a bound stopped the search (or
//! the buffer bound was reached) before the result was complete.

use crate::commands::compile::build_image;
use crate::commands::explore_hosts::{model_of, ExploreModel};
use crate::commands::run::at_least_one;
use crate::protocol_file::ProtocolChoice;
use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_explorer::counterexample::{mermaid, trace_lines};
use telltale_explorer::{
    Action, Checker, ExplorableHost, Model as _, Observations, ProtocolModel, Report,
    ScheduleOrigin, SymmetryStatus, Verdict,
};
use telltale_types::protocol_id::protocol_id;

/// Arguments of `tell explore`.
#[derive(Args)]
pub struct ExploreArgs {
    /// The protocol file.
    pub file: PathBuf,
    /// Breadth-first search (the default): the counterexample is a shortest one.
    #[arg(long, conflicts_with = "dfs")]
    pub bfs: bool,
    /// Depth-first search: less memory, any counterexample (on the threads
    /// with --no-por and no depth or state bound).
    #[arg(long)]
    pub dfs: bool,
    /// Worker threads (default: the available cores).
    #[arg(long, value_parser = at_least_one)]
    pub threads: Option<usize>,
    /// States deeper than D steps are not expanded.
    #[arg(long, value_name = "D")]
    pub max_depth: Option<usize>,
    /// Stop after S unique states.
    #[arg(long, value_name = "S", value_parser = at_least_one)]
    pub max_states: Option<usize>,
    /// At most K messages queued per directed edge (a full sender waits).
    #[arg(long, value_name = "K", default_value_t = 2, value_parser = at_least_one)]
    pub buffer_bound: usize,
    /// The answers an effect call may give, as the alternatives explored
    /// at each call (`Ledger.append=Ok,Err(Full)`, `Prover.prove=Ok,Timeout`;
    /// repeatable); other operations may give every declared outcome.
    #[arg(long = "effect", value_name = "OP=OUTCOMES")]
    pub effects: Vec<String>,
    /// Let the world lose up to K messages along each run (any queued
    /// message; turns partial-order reduction off).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub drops: u32,
    /// Also check progress: from every reachable state the protocol can
    /// still finish (breadth-first, one thread, no reduction; a failure is a
    /// lasso).
    #[arg(long, conflicts_with = "dfs")]
    pub progress: bool,
    /// Explore every interleaving (no partial-order reduction).
    #[arg(long)]
    pub no_por: bool,
    /// Store every state as it is, not up to the symmetry of role
    /// families (symmetry reduction applies only where verified).
    #[arg(long)]
    pub no_symmetry: bool,
    /// Never let a receive with a `timeout` branch time out (by default
    /// it may whenever nothing is queued for it).
    #[arg(long)]
    pub no_timeouts: bool,
    /// A byzantine role (repeatable): at each of its sends, the honest
    /// message and each lie (with the built-in host, each of `--lies`
    /// other values of the label's sort; with `--host consensus`, the
    /// prover's other story).
    #[arg(long = "byzantine", value_name = "ROLE")]
    pub byzantine: Vec<String>,
    /// Lies per send of a byzantine role (built-in host).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub lies: usize,
    /// Explore with a bundled host instead of the built-in one
    /// (`consensus`: examples/consensus's provers).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// An option of the `--host` (`quorum=2f`, `round=5`; repeatable).
    #[arg(long = "host-option", value_name = "KEY=VALUE", value_parser = key_value)]
    pub host_options: Vec<(String, String)>,
    /// Check that every observation of KEY has one value (repeatable).
    #[arg(long, value_name = "KEY")]
    pub agreement: Vec<String>,
    /// Check that nothing observes KEY (repeatable).
    #[arg(long, value_name = "KEY")]
    pub never: Vec<String>,
    /// Check that every observation of KEY is one of the values
    /// (`valid=true`; repeatable).
    #[arg(long, value_name = "KEY=VALUE,...")]
    pub validity: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the counterexample, when one is found, as a schedule file
    /// that `tell sim --schedule FILE` replays step for step.
    #[arg(long, value_name = "FILE")]
    pub schedule_out: Option<PathBuf>,
    /// Which protocol, and its role-family sizes.
    #[command(flatten)]
    pub choice: ProtocolChoice,
}

/// Exit code 1: the input cannot be explored (or the usage is wrong).
pub const BAD_INPUT: u8 = 1;
/// Exit code 2: a check failed.
const COUNTEREXAMPLE: u8 = 2;
/// Exit code 3: the search was not complete.
const INCOMPLETE: u8 = 3;

/// Runs the command (every error is bad input, exit 1).
pub fn run(args: &ExploreArgs) -> Result<ExitCode> {
    let model = match build_image(&args.file, &args.choice)
        .and_then(|image| model_of(image, &explored(args)))
    {
        Ok(model) => model,
        Err(err) => {
            crate::exit_code::report(&err);
            return Ok(ExitCode::from(BAD_INPUT));
        }
    };
    let symmetry = !args.no_symmetry;
    match model {
        ExploreModel::Scripted(model) => explore(args, &model.with_symmetry(symmetry)),
        ExploreModel::Consensus(model) => explore(args, &model.with_symmetry(symmetry)),
    }
}

/// Explores `model` as `args` ask, prints the result and returns the exit
/// code.
fn explore<H: ExplorableHost>(args: &ExploreArgs, model: &ProtocolModel<H>) -> Result<ExitCode> {
    let mut checker = Checker::new(model)
        .partial_order_reduction(!args.no_por)
        .symmetry(!args.no_symmetry);
    if let Some(threads) = args.threads {
        checker = checker.threads(threads);
    }
    if let Some(depth) = args.max_depth {
        checker = checker.max_depth(depth);
    }
    if let Some(states) = args.max_states {
        checker = checker.max_states(states);
    }
    let terminal = std::io::stderr().is_terminal();
    let progress = |p: &telltale_explorer::Progress| {
        let secs = p.elapsed.as_secs_f64().max(1e-9);
        eprint!(
            "\r{} unique states, {} transitions, {:.0} states/s, depth {}, queue {}   ",
            p.unique_states,
            p.transitions,
            p.unique_states as f64 / secs,
            p.depth,
            p.queue
        );
    };
    if terminal && !args.json {
        checker = checker.on_progress(&progress);
    }
    let report = if args.progress {
        checker.bfs_with_progress()
    } else if args.dfs {
        checker.dfs()
    } else {
        checker.bfs()
    };
    if terminal && !args.json {
        eprintln!();
    }
    let bound_reached = report.fullest_buffer >= args.buffer_bound;
    let code = match report.verdict {
        Verdict::Violated => COUNTEREXAMPLE,
        Verdict::Incomplete => INCOMPLETE,
        Verdict::Holds if bound_reached => INCOMPLETE,
        Verdict::Holds => 0,
    };
    let trace = match &report.counterexample {
        Some(cex) => {
            let state = model.replay(&cex.actions)?;
            let mut lines = trace_lines(&state.machine);
            if let Some(start) = cex.loop_start {
                let stem = model.replay(&cex.actions[..start])?;
                let at = stem.machine.trace_iter().count().min(lines.len());
                lines.insert(
                    at,
                    "-- the cycle starts here and repeats forever --".to_string(),
                );
            }
            lines.extend(observation_lines(&state.observations, model));
            if let Some(out) = &args.schedule_out {
                write_schedule(args, model, cex, out)?;
            }
            Some((lines, mermaid(&state.machine)))
        }
        None => None,
    };
    let result = Explored {
        args,
        checks: model
            .properties()
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", "),
        drop_budget: model.drop_budget(),
        reducible: model.is_reducible(),
        report: &report,
        bound_reached,
        trace: trace.as_ref(),
        symmetry_text: symmetry_text(args, model, &report),
        symmetry_json: symmetry_json(args, model, &report),
    };
    if args.json {
        print_json(&result);
    } else {
        print_text(&result);
    }
    Ok(ExitCode::from(code))
}

/// What a counterexample's host observed, one line each (`observed:
/// Provers1 finalized.0 = 3f2a...`), after its trace.
fn observation_lines<H: ExplorableHost>(
    observations: &Observations,
    model: &ProtocolModel<H>,
) -> Vec<String> {
    let symbols = &model.image().symbols;
    observations
        .iter()
        .map(|o| {
            format!(
                "observed: {} {} = {}",
                symbols.role_name(o.role),
                o.key,
                o.value
            )
        })
        .collect()
}

/// `KEY=VALUE`, for `--host-option`.
fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

/// What `tell explore` was asked to explore (less the protocol): what a
/// schedule file keeps to rebuild the same model.
fn explored(args: &ExploreArgs) -> ScheduleOrigin {
    ScheduleOrigin {
        params: args.choice.sizes.map(),
        buffer_bound: args.buffer_bound,
        drops: args.drops,
        effects: args.effects.clone(),
        timeouts: !args.no_timeouts,
        byzantine: args.byzantine.clone(),
        lies: if args.byzantine.is_empty() || args.host.is_some() {
            0
        } else {
            args.lies
        },
        host: args.host.clone(),
        host_options: args.host_options.iter().cloned().collect(),
        agreement: args.agreement.clone(),
        never: args.never.clone(),
        validity: args.validity.clone(),
        ..ScheduleOrigin::default()
    }
}

/// Writes `cex` as a schedule file (what `tell sim --schedule` replays).
fn write_schedule<H: ExplorableHost>(
    args: &ExploreArgs,
    model: &ProtocolModel<H>,
    cex: &telltale_explorer::Counterexample<Action>,
    out: &std::path::Path,
) -> Result<()> {
    let image = model.image();
    let content_id = match &image.global {
        Some(global) => protocol_id(global, &image.effects)?.to_string(),
        None => String::new(),
    };
    let origin = ScheduleOrigin {
        file: args.file.display().to_string(),
        protocol: args.choice.protocol.clone(),
        content_id,
        ..explored(args)
    };
    let schedule = model.schedule_of(cex, origin);
    let text = serde_json::to_string_pretty(&schedule)?;
    std::fs::write(out, format!("{text}\n"))
        .with_context(|| format!("cannot write the schedule `{}`", out.display()))?;
    Ok(())
}

fn search_name(args: &ExploreArgs) -> &'static str {
    if args.progress {
        "bfs+progress"
    } else if args.dfs {
        "dfs"
    } else {
        "bfs"
    }
}

/// A finished exploration, for printing.
struct Explored<'a> {
    args: &'a ExploreArgs,
    /// The names of the checks run, comma-separated.
    checks: String,
    drop_budget: u32,
    reducible: bool,
    report: &'a Report<Action>,
    bound_reached: bool,
    trace: Option<&'a (Vec<String>, String)>,
    /// The summary's symmetry line.
    symmetry_text: String,
    /// The `symmetry` object of `--json`.
    symmetry_json: serde_json::Value,
}

fn print_text(result: &Explored<'_>) {
    let (args, report) = (result.args, result.report);
    println!(
        "{} unique states, {} transitions, max depth {}, {:.3} s ({}, partial-order reduction {})",
        report.unique_states,
        report.transitions,
        report.max_depth,
        report.elapsed.as_secs_f64(),
        search_name(args),
        por_text(result),
    );
    println!("symmetry: {}", result.symmetry_text);
    if result.bound_reached {
        println!(
            "buffer bound {k} reached: the result holds for k = {k} only; try --buffer-bound {next}",
            k = args.buffer_bound,
            next = args.buffer_bound + 1
        );
    } else {
        println!(
            "buffer bound {} never reached (fullest buffer {}): the result holds for every larger bound",
            args.buffer_bound, report.fullest_buffer
        );
    }
    match report.verdict {
        Verdict::Holds if result.bound_reached => {
            println!("verdict: no violation up to the buffer bound")
        }
        Verdict::Holds => println!(
            "verdict: every check holds ({}{}){}",
            result.checks,
            if args.progress { ", progress" } else { "" },
            match result.drop_budget {
                0 => String::new(),
                k => format!(" with up to {k} lost message(s) per run"),
            }
        ),
        Verdict::Incomplete => println!(
            "verdict: incomplete: the {} bound stopped the search; no violation in the part explored",
            if report.state_bound_hit { "state" } else { "depth" }
        ),
        Verdict::Violated => {
            if let (Some(cex), Some((lines, diagram))) = (&report.counterexample, result.trace) {
                match cex.loop_start {
                    Some(start) => println!(
                        "verdict: violated: {}: after {start} steps, a cycle of {} steps repeats without finishing",
                        cex.property,
                        cex.actions.len() - start
                    ),
                    None => println!(
                        "verdict: violated: {} after {} steps",
                        cex.property,
                        cex.actions.len()
                    ),
                }
                println!("counterexample:");
                for line in lines {
                    println!("  {line}");
                }
                println!("```mermaid\n{diagram}```");
            }
        }
    }
}

fn por_text(result: &Explored<'_>) -> String {
    let args = result.args;
    if args.no_por || args.progress {
        "off".to_string()
    } else if result.drop_budget > 0 {
        "off under a drop budget".to_string()
    } else if !result.reducible {
        "not applicable to this protocol".to_string()
    } else {
        format!("on, {} states reduced", result.report.reduced_states)
    }
}

/// The symmetry line of the summary: the group and the reduction factor
/// (states represented per state stored), or why it is not used.
fn symmetry_text<H: ExplorableHost>(
    args: &ExploreArgs,
    model: &ProtocolModel<H>,
    report: &Report<Action>,
) -> String {
    match model.symmetry() {
        _ if args.progress => {
            "off under --progress (the progress check stores every state as it is)".to_string()
        }
        SymmetryStatus::Off => "off".to_string(),
        SymmetryStatus::NotApplicable(reason) => format!("not applicable: {reason}"),
        SymmetryStatus::Applied(group) => format!(
            "{}; {} unique states stand for {}{} (factor {:.2})",
            group.describe(model.image()),
            report.unique_states,
            if group.is_complete() { "" } else { "at least " },
            report.represented_states,
            symmetry_factor(report),
        ),
    }
}

/// States represented per state stored (1 without symmetry).
fn symmetry_factor(report: &Report<Action>) -> f64 {
    report.represented_states as f64 / report.unique_states.max(1) as f64
}

/// The `symmetry` object of `--json`: whether it was applied, the group
/// and the factor, or why not.
fn symmetry_json<H: ExplorableHost>(
    args: &ExploreArgs,
    model: &ProtocolModel<H>,
    report: &Report<Action>,
) -> serde_json::Value {
    match model.symmetry() {
        _ if args.progress => {
            json!({"applied": false, "reason": "off under --progress"})
        }
        SymmetryStatus::Off => json!({"applied": false, "reason": "turned off (--no-symmetry)"}),
        SymmetryStatus::NotApplicable(reason) => json!({"applied": false, "reason": reason}),
        SymmetryStatus::Applied(group) => json!({
            "applied": true,
            "group": group.describe(model.image()),
            "order": group.order().to_string(),
            "complete": group.is_complete(),
            "represented_states": report.represented_states,
            "factor": symmetry_factor(report),
        }),
    }
}

fn print_json(result: &Explored<'_>) {
    let (args, report, trace) = (result.args, result.report, result.trace);
    let verdict = match report.verdict {
        Verdict::Holds if result.bound_reached => "bound_reached",
        Verdict::Holds => "holds",
        Verdict::Violated => "violated",
        Verdict::Incomplete => "incomplete",
    };
    let counterexample = report.counterexample.as_ref().map(|cex| {
        json!({
            "property": cex.property,
            "steps": cex.actions.len(),
            "loop_start": cex.loop_start,
            "trace": trace.map(|(lines, _)| lines.clone()),
            "mermaid": trace.map(|(_, diagram)| diagram.clone()),
        })
    });
    let out = json!({
        "verdict": verdict,
        "unique_states": report.unique_states,
        "transitions": report.transitions,
        "max_depth": report.max_depth,
        "seconds": report.elapsed.as_secs_f64(),
        "search": search_name(args),
        "por": !args.no_por && !args.progress && result.reducible && result.drop_budget == 0,
        "drop_budget": result.drop_budget,
        "reduced_states": report.reduced_states,
        "symmetry": result.symmetry_json,
        "buffer_bound": args.buffer_bound,
        "fullest_buffer": report.fullest_buffer,
        "depth_bound_hit": report.depth_bound_hit,
        "state_bound_hit": report.state_bound_hit,
        "checks": result.checks.split(", ").collect::<Vec<_>>(),
        "counterexample": counterexample,
    });
    println!("{out}");
}
