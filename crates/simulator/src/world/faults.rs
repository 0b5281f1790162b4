//! Firing the scheduled faults whose trigger holds, and ending pauses and
//! timed partitions.

use super::World;
use crate::plan::Action;
use crate::report::timeline::MarkKind;
use telltale_compiler::RoleId;
use telltale_vm::TopologyEvent;

impl World<'_> {
    /// Times the session out `after` ticks from `tick`: the run is stuck
    /// and `[machine] idle_timeout_ticks` is set.
    pub(super) fn time_out_idle(&mut self, tick: u64, after: u64) {
        self.handler.inject(TopologyEvent::Timeout {
            session: self.session,
            after_ticks: after,
        });
        self.timeout_at = tick + after + 1;
    }

    pub(super) fn fire_faults(&mut self, tick: u64) {
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
                    self.note("pause", Some(r));
                    let detail = format!("{} paused for {duration_ticks} ticks", role.name);
                    self.mark(tick, MarkKind::Pause, Some(r), detail);
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
                    self.note("crash", Some(r));
                    self.mark(
                        tick,
                        MarkKind::Crash,
                        Some(r),
                        format!("{} crashes", role.name),
                    );
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
                    self.note("partition", None);
                    if self.timeline.is_some() {
                        let names = |side: &[crate::plan::RoleRef]| {
                            side.iter()
                                .map(|r| r.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        let arrow = if one_way { "->" } else { "<->" };
                        let detail =
                            format!("partition {{{}}} {arrow} {{{}}}", names(&a), names(&b));
                        self.mark(tick, MarkKind::Partition, None, detail);
                    }
                }
                Action::Heal => {
                    self.network.heal();
                    self.heal_at = None;
                    self.note("heal", None);
                    self.mark(tick, MarkKind::Heal, None, "heal".to_string());
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

    /// Records that an event of `kind` (concerning `role`, if any)
    /// happened, for `on_event` triggers; nothing when none waits.
    pub(super) fn note(&mut self, kind: &str, role: Option<RoleId>) {
        if !self.schedule.watches_events() {
            return;
        }
        if let Some(role) = role {
            let event = format!("{kind}:{}", self.name(role));
            if !self.seen.events.contains(&event) {
                self.seen.events.insert(event);
            }
        }
        if !self.seen.events.contains(kind) {
            self.seen.events.insert(kind.to_string());
        }
    }

    /// Records a mark when a timeline is kept.
    pub(super) fn mark(&mut self, tick: u64, kind: MarkKind, role: Option<RoleId>, detail: String) {
        if let Some(timeline) = &mut self.timeline {
            timeline.mark(tick, kind, role, detail);
        }
    }

    pub(super) fn expire(&mut self, tick: u64) {
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
            self.mark(tick, MarkKind::Resume, Some(r), detail);
        }
        if self.heal_at.is_some_and(|t| t <= tick) {
            self.network.heal();
            self.heal_at = None;
            self.quiet_since = tick;
            self.note("heal", None);
            self.trace.push(tick, "heal", "the partition heals");
            self.mark(
                tick,
                MarkKind::Heal,
                None,
                "the partition heals".to_string(),
            );
        }
    }
}
