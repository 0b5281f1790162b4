//! `tell bench --workload sim`: protocol-machine steps per second with the
//! network model and a fault schedule on, beside the bare machine running
//! the same protocol with the same handler in the same call.
//!
//! The protocol is an endless rally (`A -> B : Ping`, `B -> A : Pong`,
//! looped by `A`); both runs use the built-in handler told never to leave
//! the loop, and run a fixed number of rounds. The simulated run adds
//! latency with jitter on every message and a delay fault in every window.

use crate::{simulate_with_host, Plan, SimError};
use serde::Serialize;
use std::time::Instant;
use telltale_compiler::CodeImage;
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_vm::{load_image_all_roles, Config, DefaultHandler};

/// The rally.
const RALLY: &str = "protocol Rally =\n  roles A, B\n  loop decide by A\n    A -> B : Ping of Int\n    B -> A : Pong of Int\n";

/// What the workload measured.
#[derive(Clone, Debug, Serialize)]
pub struct SimBenchReport {
    /// `sim`.
    pub workload: String,
    /// Rounds each run took.
    pub rounds: u64,
    /// Machine steps (instructions dispatched) in the simulated run.
    pub steps: u64,
    /// Wall seconds of the simulated run.
    pub seconds: f64,
    /// Machine steps per second, simulated.
    pub steps_per_sec: f64,
    /// Machine steps of the bare run.
    pub bare_steps: u64,
    /// Wall seconds of the bare run.
    pub bare_seconds: f64,
    /// Machine steps per second, bare.
    pub bare_steps_per_sec: f64,
    /// How many times slower per step the simulated run is.
    pub slowdown: f64,
    /// Messages delayed by the network model or the fault.
    pub delayed: u64,
}

fn image() -> Result<CodeImage, SimError> {
    let file = SourceFile::new("rally.tell", RALLY);
    let (module, _) = load(&file);
    let failed = |reason: String| SimError::Usage(format!("the benchmark protocol: {reason}"));
    let protocol = lower_all(&module, &LowerOptions::default())
        .map_err(|d| failed(format!("{d:?}")))?
        .remove(0);
    let locals: Vec<_> = telltale_theory::project_all(&protocol.global)
        .map_err(|e| failed(e.to_string()))?
        .into_iter()
        .collect();
    Ok(CodeImage::build_with_effects(
        Some(&protocol.global),
        &locals,
        &protocol.effects,
    )?)
}

/// Runs both sides for `rounds` rounds.
pub fn sim(rounds: u64) -> Result<SimBenchReport, SimError> {
    if rounds == 0 {
        return Err(SimError::Usage(
            "the sim workload needs at least one round".into(),
        ));
    }
    let image = image()?;
    let host = || DefaultHandler::with_free_iterations(1, u64::MAX / 2);
    let scenario = format!(
        "name = \"bench\"\nprotocol = \"rally.tell\"\nsteps = {rounds}\nconcurrency = 2\nseed = 1\n\n\
         [network]\nbase_latency_ticks = 2\nlatency_variance = \"0.5\"\n\n\
         [[events]]\ntrigger = {{ immediate = true }}\naction = {{ type = \"message_delay\", ticks = 3 }}\n\
         budget = {{ per_window = 1, window_ticks = 20 }}\n\n\
         [properties]\ninvariants = [\"no_faults\", \"buffer_bound(8)\"]\n"
    );
    let plan = Plan::parse("bench.toml", &scenario)?;

    let bare_host = host();
    let mut machine = load_image_all_roles(image.clone(), Config::default())?;
    let started = Instant::now();
    let _ = machine.run_concurrent(&bare_host, usize::try_from(rounds).unwrap_or(usize::MAX), 2)?;
    let bare_seconds = started.elapsed().as_secs_f64();
    let bare_steps = machine.scheduler_step_count();

    let sim_host = host();
    let started = Instant::now();
    let outcome = simulate_with_host(&plan, image, 1, &sim_host, None)?;
    let seconds = started.elapsed().as_secs_f64();
    let steps = outcome.report.steps;
    let per_sec = |steps: u64, seconds: f64| steps as f64 / seconds.max(1e-9);
    Ok(SimBenchReport {
        workload: "sim".into(),
        rounds,
        steps,
        seconds,
        steps_per_sec: per_sec(steps, seconds),
        bare_steps,
        bare_seconds,
        bare_steps_per_sec: per_sec(bare_steps, bare_seconds),
        slowdown: per_sec(bare_steps, bare_seconds) / per_sec(steps, seconds).max(1e-9),
        delayed: outcome.report.network.delayed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_runs_step_and_the_network_delays() {
        let r = sim(2_000).unwrap();
        assert!(r.steps > 1_000 && r.bare_steps > 1_000, "{r:?}");
        assert!(r.delayed > 0, "{r:?}");
        assert!(sim(0).is_err());
    }
}
