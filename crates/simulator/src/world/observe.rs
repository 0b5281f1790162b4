//! What each round did: the machine's events into the trace, the `on_event`
//! record and the monitor; the hosts' observations; the per-round checks.

use super::World;
use crate::host_predicate::{HostPredicate, PredicateView};
use crate::monitor::RoundView;
use crate::report::timeline::MarkKind;
use crate::type_walk::RoleAction;
use std::borrow::Cow;
use telltale_compiler::RoleId;
use telltale_vm::{BlockReason, CoroStatus, ObsEvent, TraceText};

impl<'h> World<'h> {
    /// Reads the machine events of this round into the trace, the
    /// `on_event` record and the property monitor. The events are moved
    /// out of the machine, and their text is rendered only for the checks
    /// that keep it.
    pub(super) fn read_events(&mut self) {
        let mut events = std::mem::take(&mut self.round_events);
        self.machine.drain_trace(&mut events);
        self.seen.steps = self.machine.scheduler_step_count();
        if events.is_empty() {
            self.round_events = events;
            return;
        }
        let tick = self.machine.clock();
        for event in &events {
            self.trace.push_machine(tick, event);
            if self.monitor.wants_actions() {
                self.walk(event, tick);
            }
            match event {
                ObsEvent::Sent(m) | ObsEvent::Offered(m) => {
                    if self.injector.active() {
                        self.injector.sent(m);
                    }
                    self.note("send", Some(m.from));
                    let machine = &self.machine;
                    self.monitor
                        .sent(m, || TraceText::of_machine(machine).line(event));
                }
                ObsEvent::Received(m) | ObsEvent::Chose(m) => {
                    if let Some(by) = self.injector.received(m) {
                        let line = TraceText::of_machine(&self.machine).line(event);
                        let event = format!(
                            "{} accepted a message {} injected ({line})",
                            self.name(m.to),
                            self.name(by)
                        );
                        self.monitor.injection_accepted(m.to, tick, event);
                    }
                    self.note("receive", Some(m.to));
                    self.monitor.received(m);
                }
                ObsEvent::Halted { tick, coro } => {
                    if let Some(c) = self.machine.coroutine(*coro) {
                        self.note("done", Some(c.role));
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
                        let name = self.name(c.role).to_string();
                        if self.injector.refused(c.role, &name, fault, &self.names) {
                            self.trace.push(*tick, "reject", &fault.to_string());
                        } else if !self.crashed.contains(&c.role) {
                            self.monitor.faulted(c.role, *tick, fault.to_string());
                        }
                    }
                }
                _ => {}
            }
            if self.timeline.is_some() {
                self.record_event(event, tick);
            }
        }
        self.trace.keep_events(&mut events);
        self.round_events = events;
    }

    /// Puts a machine event the HTML report draws into the timeline (at
    /// the tick its trace line has).
    fn record_event(&mut self, event: &ObsEvent, tick: u64) {
        let role = |coro| self.machine.coroutine(coro).map(|c| c.role);
        let Some(timeline) = self.timeline.as_mut() else {
            return;
        };
        match event {
            ObsEvent::Faulted { coro, fault, .. } => {
                if let Some(r) = role(*coro) {
                    timeline.faulted(tick, r, fault);
                }
            }
            ObsEvent::TimeoutBranch {
                coro, from, label, ..
            } => {
                if let Some(r) = role(*coro) {
                    let detail = format!(
                        "{} timed out waiting for {}: takes {}",
                        self.names.get(usize::from(r)).map_or("?", String::as_str),
                        self.names
                            .get(usize::from(*from))
                            .map_or("?", String::as_str),
                        self.machine.symbols().label_name(*label)
                    );
                    timeline.mark(tick, MarkKind::Timeout, Some(r), detail);
                }
            }
            ObsEvent::Invoked {
                coro,
                effect: Some((site, outcome)),
                ..
            } => {
                if let Some(r) = role(*coro) {
                    timeline.effect(tick, r, &self.machine.image().effects, *site, outcome);
                }
            }
            _ => {}
        }
    }

    /// Hands a role's action to `type_monotonicity`'s walk of its type.
    fn walk(&mut self, event: &ObsEvent, tick: u64) {
        let symbols = self.machine.symbols();
        let (role, partner, label, send) = match event {
            ObsEvent::Sent(m) | ObsEvent::Offered(m) => (m.from, m.to, m.label, true),
            ObsEvent::Received(m) | ObsEvent::Chose(m) => (m.to, m.from, m.label, false),
            ObsEvent::TimeoutBranch {
                coro, from, label, ..
            } => match self.machine.coroutine(*coro) {
                Some(c) => (c.role, *from, *label, false),
                None => return,
            },
            ObsEvent::Halted { coro, .. } => {
                if let Some(c) = self.machine.coroutine(*coro) {
                    self.monitor.acted(c.role, tick, RoleAction::End);
                }
                return;
            }
            _ => return,
        };
        // Borrowed names (no allocation per event); an unknown id reads
        // as `role_name`/`label_name` write it.
        let partner: Cow<'_, str> = match symbols.role(partner) {
            Some(r) => Cow::Borrowed(r.as_str()),
            None => Cow::Owned(symbols.role_name(partner)),
        };
        let label: Cow<'_, str> = match symbols.label(label) {
            Some(l) => Cow::Borrowed(l.name()),
            None => Cow::Owned(symbols.label_name(label)),
        };
        let action = if send {
            RoleAction::Send {
                partner: &partner,
                label: &label,
            }
        } else {
            RoleAction::Recv {
                partner: &partner,
                label: &label,
            }
        };
        self.monitor.acted(role, tick, action);
    }

    /// Feeds the observations hosts made this round to the monitor.
    pub(super) fn read_observations(&mut self) {
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
        if !self.predicates.is_empty() {
            self.observed.extend(new);
        }
    }

    /// States the host's Rust predicates (checked after every round).
    pub(super) fn watch(&mut self, predicates: &'h [HostPredicate]) {
        self.predicates = predicates;
        self.monitor
            .add_host_predicates(predicates.iter().map(HostPredicate::name));
    }

    /// Checks the host's predicates that still hold.
    pub(super) fn check_predicates(&mut self, tick: u64) {
        for p in self.predicates {
            if !self.monitor.host_holds(p.name()) {
                continue;
            }
            let view = PredicateView {
                tick,
                observations: &self.observed,
                roles: &self.names,
            };
            if let Err(v) = p.check(&view) {
                self.monitor.host_violated(p.name(), tick, v.role, v.event);
            }
        }
    }

    pub(super) fn check_round(&mut self, tick: u64, stuck: bool, quiescent: bool) {
        let mut queued = std::mem::take(&mut self.round_queued);
        queued.clear();
        if self.monitor.wants_queues() {
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
        }
        let live = if self.monitor.wants_live(stuck && quiescent) {
            self.live_roles()
        } else {
            Vec::new()
        };
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
        self.round_queued = queued;
    }

    /// The roles still running (not finished, faulted or crashed), with
    /// what each waits for.
    pub(super) fn live_roles(&self) -> Vec<(RoleId, String)> {
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

    pub(super) fn status_text(&self, status: &CoroStatus) -> String {
        match status {
            CoroStatus::Ready => "ready".into(),
            CoroStatus::Done => "done".into(),
            CoroStatus::Cancelled => "cancelled".into(),
            CoroStatus::Faulted(f) => format!("faulted: {f}"),
            CoroStatus::Blocked(reason) => match reason {
                BlockReason::Recv { from } => {
                    // A peer blocked on a crashed role is reported as such.
                    let crashed = if self.crashed.contains(from) {
                        " (crashed)"
                    } else {
                        ""
                    };
                    format!("blocked: waiting for {}{crashed}", self.name(*from))
                }
                BlockReason::Send { to } => format!("blocked: buffer to {} full", self.name(*to)),
                BlockReason::Partitioned { to } => {
                    format!("blocked: link to {} partitioned", self.name(*to))
                }
                BlockReason::Guard { layer } => format!("blocked: guard {layer}"),
                BlockReason::Effect { .. } => "blocked: waiting for its host".into(),
            },
        }
    }
}
