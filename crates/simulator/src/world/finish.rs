//! The end of a run: the last checks and the report.

use super::{Outcome, World};
use crate::plan::Plan;
use crate::report::{ByzantineReport, FaultReport, Report, RoleReport};

impl World<'_> {
    pub(super) fn finish(
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
        let injections = self.injector.counts();
        let byzantine = self
            .handler
            .byzantine_actions()
            .into_iter()
            .map(|(role, strategy, lies)| ByzantineReport {
                injections: injections.get(&role).copied(),
                role: self
                    .names
                    .get(usize::from(role))
                    .cloned()
                    .unwrap_or_default(),
                strategy: strategy.name().to_string(),
                lies,
            })
            .collect();
        let trace_events = self.trace.len() as u64;
        let names = crate::sim_trace::TraceNames::of_machine(&self.machine, self.names.clone());
        let (trace, trace_digest) = self.trace.finish(names);
        let mut effect_trace = Vec::new();
        self.machine.drain_effect_trace(&mut effect_trace);
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
                byzantine,
                nested: self.handler.nested_reports(),
                warnings,
                properties,
                violations,
                machine_error,
                contracts: Vec::new(),
                passed,
                trace_digest,
                trace_events,
                wall_time_ms: None,
            },
            trace,
            format: plan.output,
            effect_trace,
            timeline: self.timeline,
        }
    }
}
