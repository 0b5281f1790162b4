//! The world: one protocol machine, the network model on its extension
//! point, the fault schedule, the property monitor and the one seeded
//! generator every random decision comes from. Each tick runs the round
//! order of `docs/simulator.md`: fire due faults, deliver due messages,
//! apply pauses, run one machine round, record its events, take the sent
//! messages into the network, check properties. The round's parts are in
//! `faults.rs` (firing and expiring), `transit.rs` (into and out of the
//! network), `observe.rs` (events, observations, checks) and `finish.rs`
//! (the report).

mod checkpoint;
mod faults;
mod finish;
mod inject;
mod observe;
mod snapshot;
mod transit;

use crate::error::SimError;
use crate::fault_schedule::{FaultSchedule, Seen};
use crate::host_predicate::HostPredicate;
use crate::monitor::PropertyMonitor;
use crate::network_model::{LinkParams, LinkRule, NetworkModel};
use crate::observation::ObservationLog;
use crate::plan::Plan;
use crate::report::timeline::Timeline;
use crate::report::{NetworkStats, Report};
use crate::scenario::{HandlerKind, MessageAuthKey, OutputFormat, ReplayModeKey};
use crate::scenario_error::ScenarioError;
use crate::sim_handler::SimHandler;
use crate::sim_trace::{Edge, SimTrace, Trace};
use crate::type_walk::TypeWalker;
use inject::Injector;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use telltale_compiler::{CodeImage, RoleId};
use telltale_types::random::SeededRng;
use telltale_types::Role;
use telltale_vm::{
    CommunicationReplayMode, Config, DefaultHandler, EffectHandler, EffectScript, EffectTraceEntry,
    InFlight, MessageAuth, ProtocolMachine, ProtocolMachineError, SessionId, SessionRequest,
    StepResult, TraceRetention, DEFAULT_HANDLER_ID,
};
use telltale_vm::{ReplayEffectHandler, RunStatus};

/// A finished run: its report and its JSONL trace lines.
#[derive(Debug)]
pub struct Outcome {
    /// The report (without wall time).
    pub report: Report,
    /// The trace (its JSONL text is rendered when read).
    pub trace: Trace,
    /// How the scenario asks for the report to be printed.
    pub format: OutputFormat,
    /// Every effect decision the machine recorded (what a replay of the
    /// run consumes).
    pub effect_trace: Vec<EffectTraceEntry>,
    /// The run as structured events for the HTML report, when recorded
    /// ([`simulate_recorded`]).
    pub timeline: Option<Timeline>,
}

/// Runs a checked scenario over a compiled protocol with `seed`, effects
/// answered by the machine's `DefaultHandler` (seeded from the world's
/// generator; with the scenario's script when `[handler] kind =
/// "scripted"`).
pub fn simulate(plan: &Plan, image: CodeImage, seed: u64) -> Result<Outcome, SimError> {
    simulate_builtin(plan, image, seed, false)
}

/// Runs as [`simulate`] and also records the run's [`Timeline`] (the
/// messages, marks and effect calls the HTML report draws); the trace and
/// report are the same as without it.
pub fn simulate_recorded(plan: &Plan, image: CodeImage, seed: u64) -> Result<Outcome, SimError> {
    simulate_builtin(plan, image, seed, true)
}

fn simulate_builtin(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
    record: bool,
) -> Result<Outcome, SimError> {
    let script = EffectScript::parse(&plan.script)?;
    script.check(&image.effects)?;
    if let Some(checkpoints) = plan.checkpoints.as_ref().filter(|_| !record) {
        if let Some(world) = checkpoints.resume_snapshot() {
            return snapshot::resume_builtin(plan, &image, seed, script, checkpoints, world);
        }
    }
    let (machine, session, mut rng) = start(plan, image, seed)?;
    let host = DefaultHandler::new(rng.next_u64()).with_effect_script(script);
    let mut world = World::new(plan, machine, session, SimHandler::new(&host), rng, None);
    // Nested sites hold inner runs a snapshot does not cover.
    world.builtin = plan.nested.is_empty().then_some(&host);
    if record {
        world.timeline = Some(Timeline::new(world.names.clone()));
        world.handler.record_lies();
    }
    world.run_checked(plan, seed)
}

/// Runs a checked scenario with the host's own handler, which may report
/// observations to `observations` for the scenario's `agreement`,
/// `validity`, `eventually` and `never` properties. The scenario's
/// `[handler]` must be the default one (the host replaces it).
pub fn simulate_with_host(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
    host: &dyn EffectHandler,
    observations: Option<&ObservationLog>,
) -> Result<Outcome, SimError> {
    run_with(plan, image, seed, SimHandler::new(host), observations, &[])
}

/// Runs as [`simulate_with_host`], and checks the host's own Rust
/// `predicates` over the observations after every round; the report lists
/// them with the scenario's properties.
pub fn simulate_with_host_checked(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
    host: &dyn EffectHandler,
    observations: Option<&ObservationLog>,
    predicates: &[HostPredicate],
) -> Result<Outcome, SimError> {
    run_with(
        plan,
        image,
        seed,
        SimHandler::new(host),
        observations,
        predicates,
    )
}

/// Runs a checked scenario with a bundled host: its handler, its
/// observations, and its other stories for `equivocate` roles; `record`
/// also records the run's [`Timeline`] (for the HTML report).
pub fn simulate_with_equivocator(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
    host: &dyn EffectHandler,
    equivocator: Option<&dyn crate::equivocator::Equivocator>,
    observations: Option<&ObservationLog>,
    record: bool,
) -> Result<Outcome, SimError> {
    let handler = SimHandler::new(host).with_equivocator(equivocator);
    let (machine, session, rng) = start_hosted(plan, image, seed)?;
    let mut world = World::new(plan, machine, session, handler, rng, observations.cloned());
    if record {
        world.timeline = Some(Timeline::new(world.names.clone()));
        world.handler.record_lies();
    }
    world.run_checked(plan, seed)
}

/// Runs a checked scenario under a replay of a recorded effect trace
/// (`ReplayEffectHandler`): the recording supplies every decision,
/// topology events and paused sends included.
pub fn simulate_replay(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
    replay: &dyn EffectHandler,
    observations: Option<&ObservationLog>,
) -> Result<Outcome, SimError> {
    run_with(
        plan,
        image,
        seed,
        SimHandler::replaying(replay),
        observations,
        &[],
    )
}

/// Runs a scenario of the built-in handler again under a replay of the
/// effect trace a [`simulate`] run recorded (the built-in handler, fresh,
/// serves what the trace does not cover); returns the replay's trace.
pub fn replay_builtin(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
    effect_trace: &[EffectTraceEntry],
) -> Result<Trace, SimError> {
    let script = EffectScript::parse(&plan.script)?;
    let (machine, session, mut rng) = start(plan, image, seed)?;
    // The same draw as `simulate`, so the world's generator stays in step.
    let fallback = DefaultHandler::new(rng.next_u64()).with_effect_script(script);
    let replay = ReplayEffectHandler::with_fallback(Arc::from(effect_trace.to_vec()), &fallback);
    let world = World::new(
        plan,
        machine,
        session,
        SimHandler::replaying(&replay),
        rng,
        None,
    );
    Ok(world.run(plan, seed).trace)
}

/// Whether a replay reproduced a run: the machine's lines of both traces
/// are equal (the network's lines are the world's, equal by construction).
/// Events are compared as they are; only two that differ are rendered, and
/// they count as equal when their lines read the same.
pub fn replay_coherence(run: &Trace, replay: &Trace) -> Result<(), String> {
    let (mut a, mut b) = (run.machine_events(), replay.machine_events());
    for i in 0.. {
        let (x, y) = (a.next(), b.next());
        if x.is_none() && y.is_none() {
            break;
        }
        if x == y {
            continue;
        }
        let x = x.map(|(tick, e)| run.machine_line(tick, e));
        let y = y.map(|(tick, e)| replay.machine_line(tick, e));
        if x != y {
            return Err(format!(
                "the traces differ at machine event {i}: {} vs {}",
                x.as_deref().unwrap_or("(none)"),
                y.as_deref().unwrap_or("(none)")
            ));
        }
    }
    Ok(())
}

fn run_with(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
    handler: SimHandler<'_>,
    observations: Option<&ObservationLog>,
    predicates: &[HostPredicate],
) -> Result<Outcome, SimError> {
    let (machine, session, rng) = start_hosted(plan, image, seed)?;
    let mut world = World::new(plan, machine, session, handler, rng, observations.cloned());
    world.watch(predicates);
    world.run_checked(plan, seed)
}

/// The id of operation `Effect.operation` in the image's effect table.
fn operation_id(effects: &telltale_types::effects::EffectTable, name: &str) -> Option<u16> {
    effects
        .operations
        .iter()
        .position(|o| format!("{}.{}", o.effect, o.name) == name)
        .and_then(|i| u16::try_from(i).ok())
}

/// [`start`] for a run with a host's own handler, which a scenario must
/// not replace with a built-in one.
fn start_hosted(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
) -> Result<(ProtocolMachine, SessionId, SeededRng), SimError> {
    if plan.handler == HandlerKind::Scripted || !plan.script.is_empty() {
        return Err(ScenarioError::BadValue {
            at: plan.locate(0..0),
            key: "handler".into(),
            reason: "a scenario run with a host's own handler cannot choose a built-in one".into(),
        }
        .into());
    }
    start(plan, image, seed)
}

/// Checks the scenario's roles against the protocol, loads the machine
/// with the scenario's settings, opens the session and installs the
/// network; returns the world's generator, seeded.
fn start(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
) -> Result<(ProtocolMachine, SessionId, SeededRng), SimError> {
    let protocol_roles: Vec<String> = image
        .roles
        .iter()
        .map(|r| image.symbols.role_name(r.role))
        .collect();
    plan.check_roles(&protocol_roles)?;
    for n in &plan.nested {
        let bad = |reason: String| -> SimError {
            ScenarioError::BadValue {
                at: plan.locate(n.role.span.clone()),
                key: "nested".into(),
                reason,
            }
            .into()
        };
        if operation_id(&image.effects, &n.effect).is_none() {
            return Err(bad(format!(
                "the protocol performs no effect `{}`",
                n.effect
            )));
        }
        if n.inner.is_none() {
            return Err(bad(format!(
                "the inner scenario `{}` is not loaded (load the outer one with `load_scenario`)",
                n.scenario
            )));
        }
    }
    let config = Config {
        trace_retention: TraceRetention::KeepAll,
        message_auth: match plan.machine.message_auth {
            MessageAuthKey::None => MessageAuth::None,
            MessageAuthKey::Ed25519 => MessageAuth::Ed25519,
        },
        auth_seed: seed,
        communication_replay_mode: match plan.machine.replay_mode {
            ReplayModeKey::Off => CommunicationReplayMode::Off,
            ReplayModeKey::Sequence => CommunicationReplayMode::Sequence,
            ReplayModeKey::Nullifier => CommunicationReplayMode::Nullifier,
        },
        ..Config::default()
    };
    let mut machine = ProtocolMachine::new(image, config)?;
    let session = match &plan.roles {
        None => machine.open_all_roles()?,
        Some(roles) => machine.open_session(&SessionRequest {
            roles: roles.iter().map(|r| Role::new(r.name.as_str())).collect(),
            handlers: Vec::new(),
            default_handler: Some(DEFAULT_HANDLER_ID.to_string()),
        })?,
    };
    machine.install_network();
    Ok((machine, session, SeededRng::new(seed)))
}

/// Everything that changes while the world runs.
struct World<'h> {
    machine: ProtocolMachine,
    handler: SimHandler<'h>,
    observations: Option<ObservationLog>,
    observations_read: usize,
    /// The host's Rust predicates, and every observation so far (kept
    /// only when there are predicates).
    predicates: &'h [HostPredicate],
    observed: Vec<crate::observation::Observation>,
    session: SessionId,
    names: Vec<String>,
    rng: SeededRng,
    network: NetworkModel,
    schedule: FaultSchedule,
    monitor: PropertyMonitor,
    trace: SimTrace,
    stats: NetworkStats,
    seen: Seen,
    crashed: BTreeSet<RoleId>,
    paused: BTreeMap<RoleId, u64>,
    heal_at: Option<u64>,
    timeout_at: u64,
    quiet_since: u64,
    /// The machine events of the round being read (reused each round).
    round_events: Vec<telltale_vm::ObsEvent>,
    /// The messages due this round, and those sent (reused each round).
    round_due: Vec<InFlight>,
    round_sent: Vec<InFlight>,
    /// The queue lengths `buffer_bound` reads (reused each round).
    round_queued: Vec<(RoleId, RoleId, usize)>,
    injector: Injector,
    /// Recorded only when the HTML report is asked for.
    timeline: Option<Timeline>,
    /// Where checkpoints go and the one resumed from (never in replays).
    checkpoints: Option<Arc<crate::checkpoint::Checkpointing>>,
    /// The built-in host, when it is the run's (its checkpoints then hold
    /// a snapshot of the world).
    builtin: Option<&'h DefaultHandler>,
}

impl<'h> World<'h> {
    fn new(
        plan: &Plan,
        machine: ProtocolMachine,
        session: SessionId,
        mut handler: SimHandler<'h>,
        mut rng: SeededRng,
        observations: Option<ObservationLog>,
    ) -> World<'h> {
        let symbols = machine.symbols();
        let names: Vec<String> = (0..symbols.roles.len())
            .map(|i| symbols.role_name(i as RoleId))
            .collect();
        let id = |name: &str| machine.symbols().role_id(name).unwrap_or(RoleId::MAX);
        let defaults = LinkParams::of(&plan.network);
        let rules = plan
            .network
            .links
            .iter()
            .map(|l| LinkRule {
                from: id(l.from.get_ref()),
                to: id(l.to.get_ref()),
                window: l.active,
                params: LinkParams {
                    latency: l.base_latency_ticks.unwrap_or(defaults.latency),
                    variance: l.latency_variance.unwrap_or(defaults.variance),
                    loss: l.loss_probability.unwrap_or(defaults.loss),
                    duplicate: l.duplicate_probability.unwrap_or(defaults.duplicate),
                    reorder: l.reorder_probability.unwrap_or(defaults.reorder),
                    corruption: l.corruption_probability.unwrap_or(defaults.corruption),
                },
            })
            .collect();
        if !plan.byzantine.is_empty() {
            // Drawn in replays too (which take the lies from their
            // recording), so the world's generator stays in step.
            let seed = rng.next_u64();
            let roles = plan
                .byzantine
                .iter()
                .map(|b| (id(&b.role.name), b.strategy))
                .collect();
            handler.set_byzantine(roles, seed);
        }
        if !plan.nested.is_empty() {
            // Drawn only for scenarios with sites, so others keep their
            // traces.
            let seed = rng.next_u64();
            let effects = &machine.image().effects;
            let sites = plan
                .nested
                .iter()
                .filter_map(|n| {
                    Some(crate::hosts::nested::Site {
                        role: id(&n.role.name),
                        operation: operation_id(effects, &n.effect)?,
                        inner: n.inner.clone()?,
                    })
                })
                .collect();
            handler.set_sites(crate::hosts::nested::Sites::new(sites, seed));
        }
        // Properties judge the honest roles: as named, else all but the
        // byzantine ones.
        let honest = match &plan.honest {
            Some(h) => Some(h.iter().map(|r| id(&r.name)).collect()),
            None if !plan.byzantine.is_empty() => Some(
                (0..names.len())
                    .filter_map(|i| RoleId::try_from(i).ok())
                    .filter(|r| !plan.byzantine.iter().any(|b| id(&b.role.name) == *r))
                    .collect(),
            ),
            None => None,
        };
        let injector = Injector::new(
            plan.byzantine
                .iter()
                .map(|b| (id(&b.role.name), b.strategy)),
        );
        let handler_replays = handler.is_replaying();
        let mut monitor = PropertyMonitor::new(plan.properties.clone(), names.clone(), honest);
        monitor.walk_types(|| TypeWalker::new(machine.image()));
        World {
            machine,
            handler,
            observations,
            observations_read: 0,
            predicates: &[],
            observed: Vec::new(),
            session,
            names,
            rng,
            network: NetworkModel::new(defaults, rules),
            schedule: FaultSchedule::new(plan.faults.clone()),
            monitor,
            trace: SimTrace::default(),
            stats: NetworkStats::default(),
            seen: Seen::default(),
            crashed: BTreeSet::new(),
            paused: BTreeMap::new(),
            heal_at: None,
            timeout_at: 0,
            quiet_since: 0,
            round_events: Vec::new(),
            round_due: Vec::new(),
            round_sent: Vec::new(),
            round_queued: Vec::new(),
            injector,
            timeline: None,
            checkpoints: plan.checkpoints.clone().filter(|_| !handler_replays),
            builtin: None,
        }
    }

    fn role_id(&self, name: &str) -> RoleId {
        self.machine.symbols().role_id(name).unwrap_or(RoleId::MAX)
    }

    fn name(&self, role: RoleId) -> &str {
        self.names
            .get(usize::from(role))
            .map_or("?", String::as_str)
    }

    fn describe(&self, m: &InFlight) -> String {
        format!(
            "{} -> {} : {} (seq {})",
            self.name(m.from),
            self.name(m.to),
            self.machine.symbols().label_name(m.envelope.label),
            m.envelope.seq
        )
    }

    /// A message's edge, label and sequence number, for its trace line.
    fn edge(m: &InFlight) -> Edge {
        Edge {
            from: m.from,
            to: m.to,
            label: m.envelope.label,
            seq: m.envelope.seq,
        }
    }

    fn run(self, plan: &Plan, seed: u64) -> Outcome {
        self.run_from(plan, seed, 0)
    }

    /// Runs the rounds after round `start` (0: from the beginning).
    fn run_from(mut self, plan: &Plan, seed: u64, start: u64) -> Outcome {
        let mut status = "budget_exhausted";
        let mut machine_error = None;
        let mut tick = start;
        while tick < plan.steps {
            tick += 1;
            self.fire_faults(tick);
            self.expire(tick);
            self.deliver_due(tick);
            self.handler
                .set_paused(self.paused.keys().copied().collect());
            // One round through `run_concurrent`, the loop `tell run` and
            // the benchmarks use: a second caller of the machine's round
            // (`step_round`) in the same binary changes how the compiler
            // inlines it, and costs the bare machine about a fifth more
            // instructions per message.
            let result = match self
                .machine
                .run_concurrent(&self.handler, 1, plan.concurrency)
            {
                Ok(RunStatus::AllDone) => StepResult::AllDone,
                Ok(RunStatus::Stuck) => StepResult::Stuck,
                Ok(RunStatus::BudgetExhausted) => StepResult::Continue,
                // A coroutine fault: the machine recorded it and goes on.
                Err(ProtocolMachineError::Fault { .. }) => StepResult::Continue,
                Err(e) => {
                    machine_error = Some(e.to_string());
                    self.trace.push(tick, "machine_error", &e.to_string());
                    status = "machine_error";
                    break;
                }
            };
            self.read_events();
            self.read_observations();
            if !self.predicates.is_empty() {
                self.check_predicates(tick);
            }
            self.take_sent(tick);
            let stuck = result == StepResult::Stuck;
            let mut quiescent = self.quiescent(tick);
            if stuck && quiescent && !self.machine.all_done() {
                // A stuck run whose session will time out is not stuck.
                if let Some(after) = plan.machine.idle_timeout_ticks {
                    self.time_out_idle(tick, after);
                    quiescent = false;
                }
            }
            self.check_round(tick, stuck, quiescent);
            if result == StepResult::AllDone || self.machine.all_done() {
                status = "all_done";
                break;
            }
            if stuck && quiescent {
                status = "stuck";
                break;
            }
            // Only after a round the run goes on from.
            if !self.checkpoint_round(tick) {
                status = "checkpoint_error";
                break;
            }
        }
        self.finish(plan, seed, tick, status, machine_error)
    }

    /// Nothing left that could wake a blocked coroutine.
    fn quiescent(&self, tick: u64) -> bool {
        self.network.in_flight() == 0 && self.paused.is_empty() && self.timeout_at <= tick
    }
}
