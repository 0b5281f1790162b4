//! The harness for host projects: run a protocol with the host's own
//! effect handler under a scenario, then check reusable contracts on the
//! result (replay coherence, role coverage, no property violations, a
//! minimum number of rounds) plus the host's own validation.
//!
//! ```
//! use telltale_simulator::harness::{
//!     assert_contracts, ContractCheckConfig, DirectAdapter, HarnessSpec, SimulationHarness,
//! };
//! use telltale_simulator::Plan;
//! use telltale_types::{GlobalType, Label, LocalType, Role};
//! use telltale_vm::DefaultHandler;
//!
//! let global = GlobalType::send("A", "B", Label::unit("ping"), GlobalType::End);
//! let locals = vec![
//!     (Role::new("A"), LocalType::send("B", Label::unit("ping"), LocalType::End)),
//!     (Role::new("B"), LocalType::recv("A", Label::unit("ping"), LocalType::End)),
//! ];
//! let scenario = Plan::parse("inline", "name = \"ping\"\nprotocol = \"(given)\"\n").unwrap();
//! let spec = HarnessSpec { global: Some(global), locals, scenario, initial_states: Default::default() };
//! let handler = DefaultHandler::new(1);
//! let adapter = DirectAdapter::new(&handler);
//! let result = SimulationHarness::new(&adapter).run(&spec).unwrap();
//! assert_contracts(&result, &ContractCheckConfig::default()).unwrap();
//! ```

use crate::error::SimError;
use crate::host_predicate::HostPredicate;
use crate::observation::ObservationLog;
use crate::plan::Plan;
use crate::sim_trace::Trace;
use crate::world::{replay_coherence, simulate_replay, simulate_with_host_checked, Outcome};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use telltale_compiler::{CodeImage, Value};
use telltale_types::{GlobalType, LocalType, Role};
use telltale_vm::{EffectHandler, ReplayEffectHandler};

/// What a host project plugs into the harness.
pub trait HostAdapter {
    /// The host's effect handler.
    fn effect_handler(&self) -> &dyn EffectHandler;

    /// The log the handler reports observations to, if it does.
    fn observations(&self) -> Option<&ObservationLog> {
        None
    }

    /// Puts the host in its initial state before each run (the harness
    /// runs twice: once, then under the recorded effect trace).
    fn prepare(&self, _initial_states: &BTreeMap<String, Value>) {}

    /// Properties in Rust the world checks after every round, beside the
    /// scenario's (see [`crate::host_predicate`]).
    fn predicates(&self) -> Vec<HostPredicate> {
        Vec::new()
    }

    /// The host's own checks of a finished run.
    fn validate(&self, _result: &HarnessResult) -> Result<(), String> {
        Ok(())
    }
}

/// An adapter over a bare effect handler.
pub struct DirectAdapter<'h> {
    handler: &'h dyn EffectHandler,
}

impl<'h> DirectAdapter<'h> {
    /// Adapts `handler`.
    pub fn new(handler: &'h dyn EffectHandler) -> DirectAdapter<'h> {
        DirectAdapter { handler }
    }
}

impl HostAdapter for DirectAdapter<'_> {
    fn effect_handler(&self) -> &dyn EffectHandler {
        self.handler
    }
}

/// What to run: the protocol as a global type (optional) and its local
/// types, the scenario (its `protocol` key is not read), and the hosts'
/// initial states by name.
pub struct HarnessSpec {
    /// The global type, if there is one.
    pub global: Option<GlobalType>,
    /// Each role's local type.
    pub locals: Vec<(Role, LocalType)>,
    /// The scenario.
    pub scenario: Plan,
    /// Initial host state, handed to [`HostAdapter::prepare`].
    pub initial_states: BTreeMap<String, Value>,
}

/// A harness run: the run, and the same run replayed under its recorded
/// effect trace.
#[derive(Debug)]
pub struct HarnessResult {
    /// The run.
    pub outcome: Outcome,
    /// The replay's trace, or why it could not run.
    pub replay: Result<Trace, String>,
    /// The host's own validation.
    pub host_validation: Result<(), String>,
}

/// Runs specs with one host adapter.
pub struct SimulationHarness<'a> {
    adapter: &'a dyn HostAdapter,
}

impl<'a> SimulationHarness<'a> {
    /// A harness over `adapter`.
    pub fn new(adapter: &'a dyn HostAdapter) -> SimulationHarness<'a> {
        SimulationHarness { adapter }
    }

    /// Runs the spec with the scenario's seed, then replays it.
    pub fn run(&self, spec: &HarnessSpec) -> Result<HarnessResult, SimError> {
        let image = CodeImage::build(spec.global.as_ref(), spec.locals.iter().cloned())?;
        let plan = &spec.scenario;
        self.adapter.prepare(&spec.initial_states);
        let host = self.adapter.effect_handler();
        let observations = self.adapter.observations();
        let predicates = self.adapter.predicates();
        let outcome = simulate_with_host_checked(
            plan,
            image.clone(),
            plan.seed,
            host,
            observations,
            &predicates,
        )?;
        self.adapter.prepare(&spec.initial_states);
        let recorded: Arc<[_]> = Arc::from(outcome.effect_trace.clone());
        let replay = ReplayEffectHandler::with_fallback(recorded, host);
        // The replay's observations are not judged again.
        let replay = match simulate_replay(plan, image, plan.seed, &replay, None) {
            Ok(o) => Ok(o.trace),
            Err(e) => Err(e.to_string()),
        };
        let mut result = HarnessResult {
            outcome,
            replay,
            host_validation: Ok(()),
        };
        result.host_validation = self.adapter.validate(&result);
        Ok(result)
    }
}

/// Which contracts [`assert_contracts`] checks.
#[derive(Clone, Debug)]
pub struct ContractCheckConfig {
    /// Replaying the recorded effect trace reproduces the machine's trace.
    pub replay_coherence: bool,
    /// Roles that must each have made progress (all roles when empty).
    pub expected_roles: Vec<String>,
    /// No property was violated and the machine did not fail.
    pub no_violations: bool,
    /// The run lasted at least this many rounds.
    pub min_rounds: u64,
}

impl Default for ContractCheckConfig {
    fn default() -> Self {
        ContractCheckConfig {
            replay_coherence: true,
            expected_roles: Vec::new(),
            no_violations: true,
            min_rounds: 0,
        }
    }
}

/// The contracts a run broke, one line each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractFailures(pub Vec<String>);

impl fmt::Display for ContractFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} contract(s) failed: {}",
            self.0.len(),
            self.0.join("; ")
        )
    }
}

impl std::error::Error for ContractFailures {}

/// Checks the configured contracts and the host's validation.
pub fn assert_contracts(
    result: &HarnessResult,
    config: &ContractCheckConfig,
) -> Result<(), ContractFailures> {
    let report = &result.outcome.report;
    let mut failures = Vec::new();
    if config.replay_coherence {
        let coherent = match &result.replay {
            Err(e) => Err(format!("the replay failed: {e}")),
            Ok(replayed) => replay_coherence(&result.outcome.trace, replayed),
        };
        if let Err(e) = coherent {
            failures.push(format!("replay coherence: {e}"));
        }
    }
    let expected: Vec<&str> = if config.expected_roles.is_empty() {
        report.roles.iter().map(|r| r.role.as_str()).collect()
    } else {
        config.expected_roles.iter().map(String::as_str).collect()
    };
    for role in expected {
        match report.roles.iter().find(|r| r.role == role) {
            None => failures.push(format!("role coverage: {role} did not run")),
            Some(r) if r.progress_events == 0 => failures.push(format!(
                "role coverage: {role} made no progress ({})",
                r.status
            )),
            Some(_) => {}
        }
    }
    if config.no_violations {
        for v in &report.violations {
            failures.push(format!(
                "property {} violated at tick {}{}: {}",
                v.property,
                v.tick,
                v.role
                    .as_ref()
                    .map(|r| format!(" by {r}"))
                    .unwrap_or_default(),
                v.event
            ));
        }
        if let Some(e) = &report.machine_error {
            failures.push(format!("machine error: {e}"));
        }
    }
    if report.rounds < config.min_rounds {
        failures.push(format!(
            "minimum rounds: ran {} of at least {}",
            report.rounds, config.min_rounds
        ));
    }
    if let Err(e) = &result.host_validation {
        failures.push(format!("host validation: {e}"));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(ContractFailures(failures))
    }
}
