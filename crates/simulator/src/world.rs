//! The world: one protocol machine, the network model on its extension
//! point, the fault schedule, the property monitor and the one seeded
//! generator every random decision comes from. Each tick runs the round
//! order of `docs/simulator.md`: fire due faults, deliver due messages,
//! apply pauses, run one machine round, record its events, take the sent
//! messages into the network, check properties.

use crate::error::SimError;
use crate::fault_schedule::{FaultSchedule, Seen};
use crate::monitor::{PropertyMonitor, RoundView};
use crate::network_model::{LinkParams, LinkRule, NetworkModel, Treatment};
use crate::observation::ObservationLog;
use crate::plan::{Action, EdgeFilter, Plan};
use crate::report::{FaultReport, NetworkStats, Report, RoleReport};
use crate::scenario::{HandlerKind, MessageAuthKey, OutputFormat, ReplayModeKey};
use crate::scenario_error::ScenarioError;
use crate::sim_handler::SimHandler;
use crate::sim_trace::SimTrace;
use std::collections::{BTreeMap, BTreeSet};
use telltale_compiler::{CodeImage, RoleId};
use telltale_types::random::SeededRng;
use telltale_types::Role;
use telltale_vm::corruption::mangle;
use telltale_vm::{
    BlockReason, CommunicationReplayMode, Config, CoroStatus, DefaultHandler, Delivery,
    EffectHandler, EffectScript, InFlight, MessageAuth, ObsEvent, ProtocolMachine,
    ProtocolMachineError, SessionId, SessionRequest, StepResult, TopologyEvent, TraceRetention,
    TraceText, DEFAULT_HANDLER_ID,
};

/// A finished run: its report and its JSONL trace lines.
#[derive(Debug)]
pub struct Outcome {
    /// The report (without wall time).
    pub report: Report,
    /// The trace, one JSON object per line.
    pub trace: Vec<String>,
    /// How the scenario asks for the report to be printed.
    pub format: OutputFormat,
}

/// Runs a checked scenario over a compiled protocol with `seed`, effects
/// answered by the machine's `DefaultHandler` (seeded from the world's
/// generator; with the scenario's script when `[handler] kind =
/// "scripted"`).
pub fn simulate(plan: &Plan, image: CodeImage, seed: u64) -> Result<Outcome, SimError> {
    let script = EffectScript::parse(&plan.script)?;
    script.check(&image.effects)?;
    let (machine, session, mut rng) = start(plan, image, seed)?;
    let host = DefaultHandler::new(rng.next_u64()).with_effect_script(script);
    let world = World::new(plan, machine, session, SimHandler::new(host), rng, None);
    Ok(world.run(plan, seed))
}

/// Runs a checked scenario with the host's own handler, which may report
/// observations to `observations` for the scenario's `agreement`,
/// `validity`, `eventually` and `never` properties. The scenario's
/// `[handler]` must be the default one (the host replaces it).
pub fn simulate_with_host<H: EffectHandler>(
    plan: &Plan,
    image: CodeImage,
    seed: u64,
    host: H,
    observations: &ObservationLog,
) -> Result<Outcome, SimError> {
    if plan.handler != HandlerKind::Default || !plan.script.is_empty() {
        return Err(ScenarioError::BadValue {
            at: plan.locate(0..0),
            key: "handler".into(),
            reason: "a scenario run with a host's own handler cannot choose a built-in one".into(),
        }
        .into());
    }
    let (machine, session, rng) = start(plan, image, seed)?;
    let world = World::new(
        plan,
        machine,
        session,
        SimHandler::new(host),
        rng,
        Some(observations.clone()),
    );
    Ok(world.run(plan, seed))
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
struct World<H> {
    machine: ProtocolMachine,
    handler: SimHandler<H>,
    observations: Option<ObservationLog>,
    observations_read: usize,
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
    events_read: usize,
}

impl<H: EffectHandler> World<H> {
    fn new(
        plan: &Plan,
        machine: ProtocolMachine,
        session: SessionId,
        handler: SimHandler<H>,
        rng: SeededRng,
        observations: Option<ObservationLog>,
    ) -> World<H> {
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
        let honest = plan
            .honest
            .as_ref()
            .map(|h| h.iter().map(|r| id(&r.name)).collect());
        let monitor = PropertyMonitor::new(plan.properties.clone(), names.clone(), honest);
        World {
            machine,
            handler,
            observations,
            observations_read: 0,
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
            events_read: 0,
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

    fn run(mut self, plan: &Plan, seed: u64) -> Outcome {
        let mut status = "budget_exhausted";
        let mut machine_error = None;
        let mut tick = 0;
        while tick < plan.steps {
            tick += 1;
            self.fire_faults(tick);
            self.expire(tick);
            self.deliver_due(tick);
            self.handler
                .set_paused(self.paused.keys().copied().collect());
            let result = match self.machine.step_round(&self.handler, plan.concurrency) {
                Ok(r) => r,
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
            self.take_sent(tick);
            let stuck = result == StepResult::Stuck;
            let quiescent = self.quiescent(tick);
            self.check_round(tick, stuck, quiescent);
            if result == StepResult::AllDone || self.machine.all_done() {
                status = "all_done";
                break;
            }
            if stuck && quiescent {
                status = "stuck";
                break;
            }
        }
        self.finish(plan, seed, tick, status, machine_error)
    }

    /// Nothing left that could wake a blocked coroutine.
    fn quiescent(&self, tick: u64) -> bool {
        self.network.in_flight() == 0
            && self.paused.is_empty()
            && self.timeout_at <= tick
            && self.schedule.faults.iter().all(|f| !f.armed)
    }

    fn fire_faults(&mut self, tick: u64) {
        for i in self.schedule.due(tick, &self.seen, &mut self.rng) {
            let action = self.schedule.faults[i].plan.action.clone();
            let kind = action.kind().name();
            match action {
                Action::NodePause {
                    role,
                    duration_ticks,
                } => {
                    let r = self.role_id(&role.name);
                    self.paused.insert(r, tick + duration_ticks);
                    self.note(&format!("pause:{}", role.name));
                }
                Action::NodeCrash {
                    role,
                    peer_timeout_ticks,
                } => {
                    let r = self.role_id(&role.name);
                    self.crashed.insert(r);
                    self.handler.inject(TopologyEvent::Crash {
                        session: self.session,
                        role: r,
                    });
                    if let Some(after) = peer_timeout_ticks {
                        self.handler.inject(TopologyEvent::Timeout {
                            session: self.session,
                            after_ticks: after,
                        });
                        self.timeout_at = self.timeout_at.max(tick + after + 1);
                    }
                    self.note(&format!("crash:{}", role.name));
                }
                Action::NetworkPartition {
                    a,
                    b,
                    one_way,
                    duration_ticks,
                } => {
                    for x in &a {
                        for y in &b {
                            let (x, y) = (self.role_id(&x.name), self.role_id(&y.name));
                            self.network.cut(x, y);
                            if !one_way {
                                self.network.cut(y, x);
                            }
                        }
                    }
                    self.heal_at = duration_ticks.map(|d| tick + d);
                    self.note("partition");
                }
                Action::Heal => {
                    self.network.heal();
                    self.heal_at = None;
                    self.note("heal");
                }
                _ => {
                    // A message fault waits for its next matching message.
                    self.schedule.faults[i].armed = true;
                    self.trace
                        .push(tick, "fault_armed", &format!("#{i} {kind}"));
                    continue;
                }
            }
            self.schedule.fire(i, tick);
            self.quiet_since = tick;
            self.trace.push(tick, "fault", &format!("#{i} {kind}"));
        }
    }

    fn note(&mut self, event: &str) {
        self.seen.events.insert(event.to_string());
        if let Some((kind, _)) = event.split_once(':') {
            self.seen.events.insert(kind.to_string());
        }
    }

    fn expire(&mut self, tick: u64) {
        let ended: Vec<RoleId> = self
            .paused
            .iter()
            .filter(|(_, until)| **until <= tick)
            .map(|(r, _)| *r)
            .collect();
        for r in ended {
            self.paused.remove(&r);
            self.quiet_since = tick;
            let detail = format!("{} resumes", self.name(r));
            self.trace.push(tick, "resume", &detail);
        }
        if self.heal_at.is_some_and(|t| t <= tick) {
            self.network.heal();
            self.heal_at = None;
            self.quiet_since = tick;
            self.note("heal");
            self.trace.push(tick, "heal", "the partition heals");
        }
    }

    fn deliver_due(&mut self, tick: u64) {
        for m in self.network.take_due(tick) {
            if self.crashed.contains(&m.to) {
                self.stats.discarded += 1;
                let detail = format!("{} (receiver crashed)", self.describe(&m));
                self.trace.push(tick, "discard", &detail);
                continue;
            }
            if self.paused.contains_key(&m.to) || self.network.is_cut(m.from, m.to) {
                self.stats.held += 1;
                self.network.hold(m, tick + 1);
                continue;
            }
            let detail = self.describe(&m);
            match self.machine.deliver(m) {
                Delivery::Queued | Delivery::Overwrote => {
                    self.stats.delivered += 1;
                    self.trace.push(tick, "deliver", &detail);
                }
                Delivery::Dropped => {
                    self.stats.discarded += 1;
                    self.trace.push(
                        tick,
                        "discard",
                        &format!("{detail} (buffer full, policy drop)"),
                    );
                }
                Delivery::Full(m) => {
                    self.stats.held += 1;
                    self.network.hold(m, tick + 1);
                }
                Delivery::Refused(_) => {
                    self.stats.discarded += 1;
                    self.trace
                        .push(tick, "discard", &format!("{detail} (session finished)"));
                }
            }
        }
    }

    /// The first armed message fault whose filter matches `m`.
    fn armed_fault(&self, m: &InFlight) -> Option<usize> {
        let matches = |f: &EdgeFilter| {
            f.from
                .as_ref()
                .map_or(true, |r| self.role_id(&r.name) == m.from)
                && f.to
                    .as_ref()
                    .map_or(true, |r| self.role_id(&r.name) == m.to)
        };
        self.schedule
            .faults
            .iter()
            .position(|f| f.armed && f.plan.action.edge_filter().is_some_and(matches))
    }

    fn take_sent(&mut self, tick: u64) {
        let mut sent = Vec::new();
        self.machine.drain_outbox(&mut sent);
        for mut m in sent {
            self.stats.sent += 1;
            let link = self.network.link(m.from, m.to, tick);
            let mut treatment = self.network.draw(&link, &mut self.rng);
            let mut cause = "network".to_string();
            if let Some(i) = self.armed_fault(&m) {
                let action = &self.schedule.faults[i].plan.action;
                apply(action, &mut treatment);
                cause = format!("fault #{i} {}", action.kind().name());
                self.schedule.faults[i].armed = false;
                self.schedule.fire(i, tick);
                self.quiet_since = tick;
            }
            let detail = format!("{} [{cause}]", self.describe(&m));
            if treatment.drop {
                self.stats.lost += 1;
                self.note(&format!("drop:{}", self.name(m.from)));
                self.trace.push(tick, "lose", &detail);
                continue;
            }
            if treatment.corrupt {
                self.stats.corrupted += 1;
                m.envelope.payload = mangle(&m.envelope.payload);
                self.trace.push(tick, "corrupt", &detail);
            }
            if treatment.reorder {
                self.stats.reordered += 1;
                self.trace.push(tick, "reorder", &detail);
            }
            if treatment.extra_delay > 0 {
                self.stats.delayed += 1;
                self.trace.push(tick, "delay", &detail);
            }
            if treatment.duplicate {
                self.stats.duplicated += 1;
                self.trace.push(tick, "duplicate", &detail);
                let copy = m.clone();
                self.network
                    .send(copy, tick, &link, &treatment, &mut self.rng);
            }
            self.network.send(m, tick, &link, &treatment, &mut self.rng);
        }
    }

    /// Reads the machine events of this round into the trace, the
    /// `on_event` record and the property monitor.
    fn read_events(&mut self) {
        let events: Vec<ObsEvent> = self
            .machine
            .trace_iter()
            .skip(self.events_read)
            .cloned()
            .collect();
        self.events_read += events.len();
        self.seen.steps = self.machine.scheduler_step_count();
        if events.is_empty() {
            return;
        }
        let text = TraceText::of_machine(&self.machine);
        let lines: Vec<String> = events.iter().map(|e| text.line(e)).collect();
        for (event, line) in events.iter().zip(lines) {
            let tick = self.machine.clock();
            self.trace.push(tick, "machine", &line);
            match event {
                ObsEvent::Sent(m) | ObsEvent::Offered(m) => {
                    self.note(&format!("send:{}", self.name(m.from)));
                    self.monitor.sent(m, line);
                }
                ObsEvent::Received(m) | ObsEvent::Chose(m) => {
                    self.note(&format!("receive:{}", self.name(m.to)));
                    self.monitor.received(m);
                }
                ObsEvent::Halted { tick, coro } => {
                    if let Some(c) = self.machine.coroutine(*coro) {
                        self.note(&format!("done:{}", self.name(c.role)));
                        self.monitor.stepped(c.role, *tick);
                    }
                }
                ObsEvent::TimeoutBranch { tick, coro, .. } => {
                    if let Some(c) = self.machine.coroutine(*coro) {
                        self.monitor.stepped(c.role, *tick);
                    }
                }
                ObsEvent::Faulted { tick, coro, fault } => {
                    if let Some(c) = self.machine.coroutine(*coro) {
                        if !self.crashed.contains(&c.role) {
                            self.monitor.faulted(c.role, *tick, fault.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Feeds the observations hosts made this round to the monitor.
    fn read_observations(&mut self) {
        let Some(log) = &self.observations else {
            return;
        };
        let new = log.since(self.observations_read);
        self.observations_read += new.len();
        for o in &new {
            let detail = format!("{} observed {} = {}", self.name(o.role), o.key, o.value);
            self.trace.push(o.tick, "observe", &detail);
            self.monitor.observed(o);
        }
    }

    fn check_round(&mut self, tick: u64, stuck: bool, quiescent: bool) {
        let mut queued = Vec::new();
        if let Some(s) = self.machine.session(self.session) {
            for &from in &s.roles {
                for &to in &s.roles {
                    let n = s.queued(from, to);
                    if n > 0 {
                        queued.push((from, to, n));
                    }
                }
            }
        }
        let live = self.live_roles();
        // Liveness counts from the end of the last fault: never during a
        // partition or a pause.
        let faults_quiet_since = if self.network.partitioned() || !self.paused.is_empty() {
            tick
        } else {
            self.quiet_since
                .max(self.schedule.last_fired().unwrap_or(0))
        };
        self.monitor.round(&RoundView {
            tick,
            queued: &queued,
            stuck,
            all_done: self.machine.all_done(),
            quiescent,
            live: &live,
            faults_quiet_since,
        });
    }

    /// The roles still running (not finished, faulted or crashed), with
    /// what each waits for.
    fn live_roles(&self) -> Vec<(RoleId, String)> {
        let mut live = Vec::new();
        for coro in self.machine.coroutines_of(self.session) {
            let Some(c) = self.machine.coroutine(coro) else {
                continue;
            };
            if !c.status.is_terminal() && !self.crashed.contains(&c.role) {
                live.push((c.role, self.status_text(&c.status)));
            }
        }
        live
    }

    fn status_text(&self, status: &CoroStatus) -> String {
        match status {
            CoroStatus::Ready => "ready".into(),
            CoroStatus::Done => "done".into(),
            CoroStatus::Cancelled => "cancelled".into(),
            CoroStatus::Faulted(f) => format!("faulted: {f}"),
            CoroStatus::Blocked(reason) => match reason {
                BlockReason::Recv { from } => format!("blocked: waiting for {}", self.name(*from)),
                BlockReason::Send { to } => format!("blocked: buffer to {} full", self.name(*to)),
                BlockReason::Partitioned { to } => {
                    format!("blocked: link to {} partitioned", self.name(*to))
                }
                BlockReason::Guard { layer } => format!("blocked: guard {layer}"),
            },
        }
    }

    fn finish(
        mut self,
        plan: &Plan,
        seed: u64,
        tick: u64,
        status: &str,
        machine_error: Option<String>,
    ) -> Outcome {
        let stuck = if status == "stuck" {
            self.live_roles()
        } else {
            Vec::new()
        };
        self.monitor.finish(tick, &stuck);
        self.stats.in_flight_at_end = self.network.in_flight() as u64;
        let mut roles = Vec::new();
        let coros = self.machine.coroutines_of(self.session);
        for coro in coros {
            let Some(c) = self.machine.coroutine(coro) else {
                continue;
            };
            let (progress_events, last_progress_tick) = self.monitor.progress_of(c.role);
            roles.push(RoleReport {
                role: self.name(c.role).to_string(),
                status: self.status_text(&c.status),
                progress_events,
                last_progress_tick,
                crashed: self.crashed.contains(&c.role),
            });
        }
        let mut warnings = Vec::new();
        let faults = self
            .schedule
            .faults
            .iter()
            .enumerate()
            .map(|(index, f)| {
                let action = f.plan.action.kind().name().to_string();
                if f.fired.is_empty() {
                    warnings.push(format!(
                        "fault #{index} ({action}) was scheduled but never fired"
                    ));
                }
                FaultReport {
                    index,
                    action,
                    fired: !f.fired.is_empty(),
                    fired_at: f.fired.clone(),
                }
            })
            .collect();
        let (properties, violations) = self.monitor.into_results();
        for v in &violations {
            let detail = format!(
                "{} violated{}: {}",
                v.property,
                v.role
                    .as_ref()
                    .map(|r| format!(" by {r}"))
                    .unwrap_or_default(),
                v.event
            );
            self.trace.push(v.tick, "violation", &detail);
        }
        let passed = violations.is_empty() && machine_error.is_none();
        let trace_events = self.trace.len() as u64;
        let (trace, trace_digest) = self.trace.finish();
        Outcome {
            report: Report {
                scenario: plan.name.clone(),
                seed,
                status: status.to_string(),
                rounds: tick,
                ticks: self.machine.clock(),
                steps: self.machine.scheduler_step_count(),
                roles,
                network: self.stats,
                faults,
                warnings,
                properties,
                violations,
                machine_error,
                passed,
                trace_digest,
                trace_events,
                wall_time_ms: None,
            },
            trace,
            format: plan.output,
        }
    }
}

/// Applies a message fault to a message's treatment.
fn apply(action: &Action, treatment: &mut Treatment) {
    match action {
        Action::MessageDrop(_) => treatment.drop = true,
        Action::MessageDelay(_, ticks) => treatment.extra_delay += ticks,
        Action::MessageDuplicate(_) => treatment.duplicate = true,
        Action::MessageReorder(_) => treatment.reorder = true,
        Action::MessageCorruption(_) => treatment.corrupt = true,
        _ => {}
    }
}
