//! The deterministic simulator: runs a protocol on the protocol machine
//! under a scenario (TOML) of network behaviour, scheduled faults and
//! properties, and reports what happened.
//!
//! The same scenario and seed give byte-identical traces and the same
//! trace digest: every random decision is drawn from one
//! [`telltale_types::random::SeededRng`] owned by the world, every
//! collection that is iterated is ordered, and nothing reads the clock
//! (wall time is measured by `sim-run` and kept out of the digest).
//!
//! ```
//! use telltale_simulator::{run_scenario_text, RunOptions};
//! # let dir = std::env::temp_dir().join(format!("sim-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("p.tell"), "protocol P =\n  roles A, B\n  A -> B : Hello\n").unwrap();
//! let scenario = "name = \"hello\"\nprotocol = \"p.tell\"\n\
//!                 [properties]\ninvariants = [\"no_faults\", \"send_recv_liveness\"]\n";
//! let outcome = run_scenario_text(scenario, &dir.join("s.toml"), &RunOptions::default()).unwrap();
//! assert!(outcome.report.passed);
//! assert_eq!(outcome.report.status, "all_done");
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bench;
pub mod checkpoint;
pub mod cli;
pub mod error;
pub mod fault_schedule;
mod hosts;
pub mod network_model;
pub mod plan;
pub mod probability;
mod properties;
pub mod protocol;
pub mod report;
pub mod scenario;
pub mod scenario_error;
pub mod sim_trace;
pub mod sweep;
pub mod world;

pub use hosts::{equivocator, harness, host_registry, sim_handler};
pub use properties::{host_predicate, monitor, observation, property, type_walk};

pub use error::SimError;
pub use host_registry::{BundledHost, HostFactory, HostRegistry, HostRequest};
pub use observation::{Observation, ObservationLog};
pub use plan::Plan;
pub use report::Report;
pub use scenario_error::{Location, ScenarioError};
pub use world::{
    replay_builtin, replay_coherence, simulate, simulate_recorded, simulate_replay,
    simulate_with_equivocator, simulate_with_host, simulate_with_host_checked, Outcome,
};

use std::path::Path;
use telltale_compiler::CodeImage;

/// Options of a run that the scenario does not fix.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Overrides the scenario's `seed`.
    pub seed: Option<u64>,
}

/// Reads a scenario file, loads its protocol (relative to the file), runs
/// it, and checks that a replay of its recorded effect trace reproduces it
/// (the `replay_coherence` contract of the report).
pub fn run_scenario_file(path: &Path, options: &RunOptions) -> Result<Outcome, SimError> {
    let text = std::fs::read_to_string(path).map_err(|source| SimError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    run_scenario_text(&text, path, options)
}

/// Runs a scenario given as text; `path` names it in errors and anchors
/// its relative protocol path.
pub fn run_scenario_text(
    text: &str,
    path: &Path,
    options: &RunOptions,
) -> Result<Outcome, SimError> {
    let (plan, image) = load_scenario(text, path)?;
    let seed = options.seed.unwrap_or(plan.seed);
    run_plan(&plan, &image, seed)
}

/// A scenario's checked plan and its compiled protocol (read relative to
/// the scenario's folder).
pub fn load_scenario(text: &str, path: &Path) -> Result<(Plan, CodeImage), SimError> {
    load_nested(text, path, 0)
}

/// How deep scenarios may nest (`[[nested]]` inside an inner scenario):
/// deeper is refused, so a scenario that names itself cannot loop.
const MAX_NESTING: usize = 4;

fn load_nested(text: &str, path: &Path, depth: usize) -> Result<(Plan, CodeImage), SimError> {
    let mut plan = Plan::parse(&path.display().to_string(), text)?;
    let base = path.parent().unwrap_or(Path::new(""));
    let image = protocol::load_protocol(&base.join(&plan.protocol), &plan.params)?;
    for site in &mut plan.nested {
        if depth + 1 >= MAX_NESTING {
            return Err(SimError::Usage(format!(
                "{}: scenarios nest deeper than {MAX_NESTING} levels (does one name itself?)",
                path.display()
            )));
        }
        let inner_path = base.join(&site.scenario);
        let inner_text = std::fs::read_to_string(&inner_path).map_err(|source| SimError::Read {
            path: inner_path.clone(),
            source,
        })?;
        site.inner = Some(std::sync::Arc::new(load_nested(
            &inner_text,
            &inner_path,
            depth + 1,
        )?));
    }
    Ok((plan, image))
}

/// Runs a loaded scenario with `seed` and checks that a replay of its
/// recorded effect trace reproduces it (the `replay_coherence` contract).
/// A scenario that names a bundled host needs a registry that has it
/// ([`HostRegistry::run_plan`]); here it is refused.
pub fn run_plan(plan: &Plan, image: &CodeImage, seed: u64) -> Result<Outcome, SimError> {
    run_plan_with(plan, image, seed, false)
}

/// [`run_plan`], recording the run's timeline too when `timeline` is set
/// (for the HTML report).
pub fn run_plan_with(
    plan: &Plan,
    image: &CodeImage,
    seed: u64,
    timeline: bool,
) -> Result<Outcome, SimError> {
    if plan.host.is_some() {
        return HostRegistry::new().run_plan_with(plan, image, seed, timeline);
    }
    let mut outcome = if timeline {
        simulate_recorded(plan, image.clone(), seed)?
    } else {
        simulate(plan, image.clone(), seed)?
    };
    let coherent = world::replay_builtin(plan, image.clone(), seed, &outcome.effect_trace)
        .map_err(|e| format!("the replay failed: {e}"))
        .and_then(|replayed| world::replay_coherence(&outcome.trace, &replayed));
    let report = &mut outcome.report;
    report.passed &= coherent.is_ok();
    report.contracts.push(report::ContractReport {
        contract: "replay_coherence".to_string(),
        holds: coherent.is_ok(),
        detail: coherent.err(),
    });
    Ok(outcome)
}
