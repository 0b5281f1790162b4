//! `tell sim --schedule cex.json`: replays a counterexample `tell explore
//! --schedule-out` wrote, action by action, and reports whether the same
//! property breaks (and draws the run with `--html`).
//!
//! Exit codes as `tell sim`: 2 a property is broken at the end of the
//! replay (the counterexample reproduced), 0 none is, 1 bad input (a file
//! that is not a schedule, another protocol, an action that does not fit).

use crate::commands::compile::build_image;
use crate::commands::explore_hosts::{model_of, ExploreModel};
use crate::protocol_file::{FamilySizes, ProtocolChoice};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use telltale_explorer::counterexample::{mermaid, trace_lines};
use telltale_explorer::{ExplorableHost, ProtocolModel, Schedule, ScheduleError};
use telltale_simulator::cli::SimArgs;
use telltale_simulator::report::html::{render, HtmlOptions};
use telltale_simulator::report::timeline::{Fate, Handling, MarkKind, Timeline};
use telltale_simulator::report::{NetworkStats, PropertyReport, Report, RoleReport, Violation};
use telltale_types::protocol_id::protocol_id;
use telltale_vm::{ObsEvent, ProtocolMachine};

/// Runs the command for the schedule at `path` (every error is bad
/// input, exit 1, as for `tell sim`).
pub fn run(path: &Path, args: &SimArgs) -> Result<ExitCode> {
    match replay(path, args) {
        Ok(code) => Ok(code),
        Err(err) => {
            crate::exit_code::report(&err);
            Ok(ExitCode::from(1))
        }
    }
}

fn replay(path: &Path, args: &SimArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the schedule `{}`", path.display()))?;
    let schedule: Schedule = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a schedule file", path.display()))?;
    let origin = &schedule.origin;
    let file = protocol_file(path, &origin.file)?;
    let choice = ProtocolChoice {
        protocol: origin.protocol.clone(),
        sizes: FamilySizes {
            params: origin.params.clone().into_iter().collect(),
        },
    };
    let image = build_image(&file, &choice)?;
    if let Some(global) = &image.global {
        let id = protocol_id(global, &image.effects)?.to_string();
        if id != origin.content_id {
            bail!(
                "`{}` is not the protocol the schedule was explored on (content id {id}, the schedule's {})",
                file.display(),
                origin.content_id
            );
        }
    }
    let replay = match model_of(image, origin)? {
        ExploreModel::Scripted(model) => replayed(&model, &schedule),
        ExploreModel::Consensus(model) => replayed(&model, &schedule),
    }
    .with_context(|| format!("the schedule `{}` does not replay", path.display()))?;
    let machine = &replay.machine;
    let reproduced = replay.broken.iter().any(|p| *p == schedule.property)
        || (schedule.property == "progress" && replay.cycle_closes == Some(true));
    let broken: Vec<&str> = if schedule.property == "progress" && reproduced {
        vec!["progress"]
    } else {
        replay.broken.clone()
    };
    let report = json!({
        "schedule": path.display().to_string(),
        "protocol": file.display().to_string(),
        "property": schedule.property,
        "reproduced": reproduced,
        "broken": broken,
        "cycle_closes": replay.cycle_closes,
        "actions": schedule.actions.len(),
        "observations": replay.observations,
        "trace": trace_lines(machine),
        "mermaid": mermaid(machine),
    });
    let rendered = serde_json::to_string_pretty(&report)?;
    println!("{rendered}");
    if let Some(out) = &args.out {
        std::fs::write(out, format!("{rendered}\n"))
            .with_context(|| format!("cannot write `{}`", out.display()))?;
    }
    if !reproduced {
        eprintln!(
            "warning: the replay does not break `{}` as the schedule says",
            schedule.property
        );
    }
    if let Some(html) = &args.html {
        let (run, timeline) = html_report(path, &schedule, machine, &broken);
        let options = HtmlOptions {
            max_events: args.html_max_events,
        };
        std::fs::write(html, render(&run, &timeline, &text, &options))
            .with_context(|| format!("cannot write `{}`", html.display()))?;
    }
    Ok(ExitCode::from(if broken.is_empty() { 0 } else { 2 }))
}

/// A replayed schedule, whatever the host: the machine at its end, the
/// properties broken there, whether its cycle closes, and what the host
/// observed (`role key = value`).
struct Replayed {
    machine: ProtocolMachine,
    broken: Vec<&'static str>,
    cycle_closes: Option<bool>,
    observations: Vec<String>,
}

/// Replays `schedule` on `model`.
fn replayed<H: ExplorableHost>(
    model: &ProtocolModel<H>,
    schedule: &Schedule,
) -> Result<Replayed, ScheduleError> {
    let replay = model.replay_schedule(schedule)?;
    let symbols = &model.image().symbols;
    let observations = replay
        .state
        .observations
        .iter()
        .map(|o| format!("{} {} = {}", symbols.role_name(o.role), o.key, o.value))
        .collect();
    Ok(Replayed {
        machine: replay.state.machine,
        broken: replay.broken,
        cycle_closes: replay.cycle_closes,
        observations,
    })
}

/// The protocol file a schedule names: as given (relative to the current
/// directory, where `tell explore` ran), else beside the schedule.
fn protocol_file(schedule: &Path, named: &str) -> Result<PathBuf> {
    let given = PathBuf::from(named);
    if given.exists() {
        return Ok(given);
    }
    let beside = schedule.parent().unwrap_or(Path::new(".")).join(named);
    if beside.exists() {
        return Ok(beside);
    }
    bail!("the schedule's protocol file `{named}` does not exist (looked in the current directory and beside the schedule)")
}

/// The replayed run as the simulator's report and timeline, for its HTML
/// page: one tick per trace event; a message is drawn from its send to its
/// receipt (or loss, or the end when it is still queued).
fn html_report(
    path: &Path,
    schedule: &Schedule,
    machine: &ProtocolMachine,
    broken: &[&str],
) -> (Report, Timeline) {
    let symbols = machine.symbols();
    let roles: Vec<String> = machine
        .image()
        .roles
        .iter()
        .map(|r| symbols.role_name(r.role))
        .collect();
    let mut timeline = Timeline::new(roles.clone());
    let mut network = NetworkStats::default();
    let mut ticks = 0;
    for (tick, event) in machine.trace_iter().enumerate() {
        let tick = tick as u64;
        ticks = tick;
        let label = |m: &telltale_vm::MessageEvent| {
            symbols
                .label(m.label)
                .map_or("?".to_string(), |l| l.name().to_string())
        };
        match event {
            ObsEvent::Sent(m) | ObsEvent::Offered(m) => {
                network.sent += 1;
                timeline.sent(tick, (m.from, m.to, m.seq), &label(m), Handling::default());
            }
            ObsEvent::Received(m) | ObsEvent::Chose(m) => {
                network.delivered += 1;
                timeline.arrived((m.from, m.to, m.seq), Fate::Delivered { tick });
            }
            ObsEvent::Lost(m) => {
                network.lost += 1;
                timeline.arrived((m.from, m.to, m.seq), Fate::Lost { tick });
            }
            ObsEvent::Faulted { coro, fault, .. } => {
                if let Some(c) = machine.coroutine(*coro) {
                    timeline.faulted(tick, c.role, fault);
                }
            }
            ObsEvent::TimeoutBranch { .. } => {
                timeline.mark(tick, MarkKind::Timeout, None, "a timeout branch".into());
            }
            _ => {}
        }
    }
    let violations = broken
        .iter()
        .map(|property| Violation {
            property: property.to_string(),
            tick: ticks,
            role: None,
            event: format!("the replay of `{}` ends here", path.display()),
        })
        .collect();
    let report = Report {
        scenario: format!("schedule {}", path.display()),
        seed: 0,
        status: if machine.is_final() {
            "all_done"
        } else {
            "stuck"
        }
        .to_string(),
        rounds: schedule.actions.len() as u64,
        ticks,
        steps: schedule.actions.len() as u64,
        roles: roles
            .iter()
            .map(|role| RoleReport {
                role: role.clone(),
                status: String::new(),
                progress_events: 0,
                last_progress_tick: None,
                crashed: false,
            })
            .collect(),
        network: NetworkStats {
            in_flight_at_end: network
                .sent
                .saturating_sub(network.delivered + network.lost),
            ..network
        },
        faults: Vec::new(),
        byzantine: Vec::new(),
        nested: Vec::new(),
        warnings: Vec::new(),
        properties: [schedule.property.as_str()]
            .iter()
            .map(|p| PropertyReport {
                property: p.to_string(),
                holds: !broken.contains(p),
            })
            .collect(),
        violations,
        machine_error: None,
        contracts: Vec::new(),
        passed: broken.is_empty(),
        trace_digest: String::new(),
        trace_events: ticks + 1,
        wall_time_ms: None,
    };
    (report, timeline)
}
