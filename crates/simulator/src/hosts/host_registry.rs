//! Bundled Rust hosts a scenario can name (`[handler] kind = "host", name
//! = "consensus"`). The simulator cannot depend on the crates that hold
//! them (they depend on it), so the command that runs a scenario passes a
//! registry: `sim-run` has none, `tell sim` registers the bundled hosts
//! (`crates/cli`, which depends on everything). A run with a bundled host
//! records its effect trace and replays it with a fresh host from the same
//! factory, as `sim-run` does for the built-in handlers (the
//! `replay_coherence` contract).

use crate::equivocator::Equivocator;
use crate::error::SimError;
use crate::observation::ObservationLog;
use crate::plan::{HostChoice, Plan};
use crate::report::ContractReport;
use crate::scenario_error::ScenarioError;
use crate::world::{self, Outcome};
use std::collections::BTreeMap;
use std::sync::Arc;
use telltale_compiler::CodeImage;
use telltale_vm::{EffectHandler, ReplayEffectHandler};

/// One host instance for one run.
pub trait BundledHost {
    /// The handler the machine runs with.
    fn handler(&self) -> &dyn EffectHandler;
    /// Where the host reports observations, if it does.
    fn observations(&self) -> Option<&ObservationLog> {
        None
    }
    /// Its other stories for `equivocate` roles, if it has any.
    fn equivocator(&self) -> Option<&dyn Equivocator> {
        None
    }
}

/// What a factory gets to build a host for one run.
pub struct HostRequest<'a> {
    /// The scenario (parameters, byzantine roles, ...).
    pub plan: &'a Plan,
    /// The compiled protocol.
    pub image: &'a CodeImage,
    /// The scenario's `[handler] options`.
    pub options: &'a BTreeMap<String, String>,
    /// The run's seed.
    pub seed: u64,
}

/// Builds a fresh host for one run; an `Err` is a bad scenario (its text
/// names the option at fault).
pub type HostFactory = fn(&HostRequest<'_>) -> Result<Box<dyn BundledHost>, String>;

/// Named host factories.
#[derive(Clone, Debug, Default)]
pub struct HostRegistry {
    hosts: BTreeMap<String, HostFactory>,
}

impl HostRegistry {
    /// No bundled host (what `sim-run` has).
    pub fn new() -> HostRegistry {
        HostRegistry::default()
    }

    /// Registers `factory` under `name` (replacing any earlier one).
    pub fn register(&mut self, name: &str, factory: HostFactory) -> &mut HostRegistry {
        self.hosts.insert(name.to_string(), factory);
        self
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.hosts.keys().map(String::as_str).collect()
    }

    /// Builds the host `choice` names for one run.
    pub fn build(
        &self,
        plan: &Plan,
        image: &CodeImage,
        choice: &HostChoice,
        seed: u64,
    ) -> Result<Box<dyn BundledHost>, SimError> {
        let bad = |reason: String| -> SimError {
            ScenarioError::BadValue {
                at: plan.locate(0..0),
                key: "handler.name".into(),
                reason,
            }
            .into()
        };
        let factory = self.hosts.get(&choice.name).ok_or_else(|| {
            bad(if self.hosts.is_empty() {
                format!(
                    "no bundled host `{}` here: bundled hosts run under `tell sim`",
                    choice.name
                )
            } else {
                format!(
                    "no bundled host `{}` (known: {})",
                    choice.name,
                    self.names().join(", ")
                )
            })
        })?;
        let request = HostRequest {
            plan,
            image,
            options: &choice.options,
            seed,
        };
        factory(&request).map_err(|reason| {
            ScenarioError::BadValue {
                at: plan.locate(0..0),
                key: "handler.options".into(),
                reason,
            }
            .into()
        })
    }

    /// Runs a loaded scenario with `seed` — with its bundled host when it
    /// names one — and checks that a replay of its recorded effect trace
    /// reproduces it (the `replay_coherence` contract).
    pub fn run_plan(&self, plan: &Plan, image: &CodeImage, seed: u64) -> Result<Outcome, SimError> {
        self.run_plan_with(plan, image, seed, false)
    }

    /// [`HostRegistry::run_plan`], recording the run's timeline too when
    /// `timeline` is set (for the HTML report).
    pub fn run_plan_with(
        &self,
        plan: &Plan,
        image: &CodeImage,
        seed: u64,
        timeline: bool,
    ) -> Result<Outcome, SimError> {
        let Some(choice) = &plan.host else {
            return crate::run_plan_with(plan, image, seed, timeline);
        };
        let host = self.build(plan, image, choice, seed)?;
        let mut outcome = world::simulate_with_equivocator(
            plan,
            image.clone(),
            seed,
            host.handler(),
            host.equivocator(),
            host.observations(),
            timeline,
        )?;
        let fresh = self.build(plan, image, choice, seed)?;
        let replay = ReplayEffectHandler::with_fallback(
            Arc::from(outcome.effect_trace.clone()),
            fresh.handler(),
        );
        let coherent =
            world::simulate_replay(plan, image.clone(), seed, &replay, fresh.observations())
                .map_err(|e| format!("the replay failed: {e}"))
                .and_then(|replayed| world::replay_coherence(&outcome.trace, &replayed.trace));
        let report = &mut outcome.report;
        report.passed &= coherent.is_ok();
        report.contracts.push(ContractReport {
            contract: "replay_coherence".to_string(),
            holds: coherent.is_ok(),
            detail: coherent.err(),
        });
        Ok(outcome)
    }
}
