//! Messages into the network (with their treatment: loss, corruption,
//! duplication, reordering, delay) and out of it into the receivers'
//! buffers.

use super::World;
use crate::network_model::Treatment;
use crate::plan::{Action, EdgeFilter};
use crate::report::timeline::{Fate, Handling};
use crate::sim_trace::{MessageKind, Note};
use telltale_compiler::RoleId;
use telltale_vm::corruption::mangle;
use telltale_vm::{Delivery, InFlight};

impl World<'_> {
    pub(super) fn deliver_due(&mut self, tick: u64) {
        let mut due = std::mem::take(&mut self.round_due);
        self.network.take_due_into(tick, &mut due);
        for m in due.drain(..) {
            let edge = (m.from, m.to, m.envelope.seq);
            let line = Self::edge(&m);
            if self.crashed.contains(&m.to) {
                self.stats.discarded += 1;
                self.trace
                    .push_message(tick, MessageKind::Discard, line, Note::ReceiverCrashed);
                self.arrived(edge, tick, Some("receiver crashed"));
                continue;
            }
            if self.paused.contains_key(&m.to) || self.network.is_cut(m.from, m.to) {
                self.stats.held += 1;
                self.network.hold(m, tick + 1);
                continue;
            }
            match self.machine.deliver(m) {
                Delivery::Queued | Delivery::Overwrote => {
                    self.stats.delivered += 1;
                    self.trace
                        .push_message(tick, MessageKind::Deliver, line, Note::Plain);
                    self.arrived(edge, tick, None);
                }
                Delivery::Dropped => {
                    self.stats.discarded += 1;
                    self.trace
                        .push_message(tick, MessageKind::Discard, line, Note::PolicyDrop);
                    self.arrived(edge, tick, Some("buffer full, policy drop"));
                }
                Delivery::Full(m) => {
                    self.stats.held += 1;
                    self.network.hold(m, tick + 1);
                }
                Delivery::Refused(_) => {
                    self.stats.discarded += 1;
                    self.trace.push_message(
                        tick,
                        MessageKind::Discard,
                        line,
                        Note::SessionFinished,
                    );
                    self.arrived(edge, tick, Some("session finished"));
                }
            }
        }
        self.round_due = due;
    }

    /// Records (when a timeline is kept) that a message left the network:
    /// delivered, or discarded for `discarded`.
    fn arrived(&mut self, edge: (RoleId, RoleId, u64), tick: u64, discarded: Option<&str>) {
        if let Some(timeline) = &mut self.timeline {
            let fate = match discarded {
                None => Fate::Delivered { tick },
                Some(reason) => Fate::Discarded {
                    tick,
                    reason: reason.to_string(),
                },
            };
            timeline.arrived(edge, fate);
        }
    }

    /// The first armed message fault whose filter matches `m`.
    pub(super) fn armed_fault(&self, m: &InFlight) -> Option<usize> {
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

    pub(super) fn take_sent(&mut self, tick: u64) {
        let mut sent = std::mem::take(&mut self.round_sent);
        self.machine.drain_outbox(&mut sent);
        let mut lies = self.handler.take_lies();
        for mut m in sent.drain(..) {
            let lied = match lies.iter().position(|l| *l == (m.from, m.to)) {
                Some(i) => {
                    lies.remove(i);
                    true
                }
                None => false,
            };
            self.stats.sent += 1;
            if self.handler.is_silent(m.from) {
                self.stats.withheld += 1;
                self.trace
                    .push_message(tick, MessageKind::Withhold, Self::edge(&m), Note::Silent);
                if let Some(timeline) = &mut self.timeline {
                    let label = self.machine.symbols().label_name(m.envelope.label);
                    timeline.withheld(tick, (m.from, m.to, m.envelope.seq), &label);
                }
                continue;
            }
            if self.injector.active() {
                self.inject_after(&m, tick);
            }
            let link = self.network.link(m.from, m.to, tick);
            let mut treatment = self.network.draw(&link, &mut self.rng);
            let mut cause = Note::Network;
            if let Some(i) = self.armed_fault(&m) {
                let action = &self.schedule.faults[i].plan.action;
                apply(action, &mut treatment);
                cause = Note::Fault {
                    index: u32::try_from(i).unwrap_or(u32::MAX),
                    kind: action.kind(),
                };
                self.schedule.faults[i].armed = false;
                self.schedule.fire(i, tick);
                self.quiet_since = tick;
            }
            let line = Self::edge(&m);
            if let Some(timeline) = &mut self.timeline {
                let label = self.machine.symbols().label_name(m.envelope.label);
                // A lost message is only lost (as the counts have it).
                let kept = !treatment.drop;
                let handling = Handling {
                    lost: treatment.drop,
                    duplicated: kept && treatment.duplicate,
                    corrupted: kept && treatment.corrupt,
                    reordered: kept && treatment.reorder,
                    delayed: kept && treatment.extra_delay > 0,
                    lied,
                };
                timeline.sent(tick, (m.from, m.to, m.envelope.seq), &label, handling);
            }
            if treatment.drop {
                self.stats.lost += 1;
                self.note("drop", Some(m.from));
                self.trace
                    .push_message(tick, MessageKind::Lose, line, cause);
                continue;
            }
            if treatment.corrupt {
                self.stats.corrupted += 1;
                m.envelope.payload = mangle(&m.envelope.payload);
                self.trace
                    .push_message(tick, MessageKind::Corrupt, line, cause);
            }
            if treatment.reorder {
                self.stats.reordered += 1;
                self.trace
                    .push_message(tick, MessageKind::Reorder, line, cause);
            }
            if treatment.extra_delay > 0 {
                self.stats.delayed += 1;
                self.trace
                    .push_message(tick, MessageKind::Delay, line, cause);
            }
            if treatment.duplicate {
                self.stats.duplicated += 1;
                self.trace
                    .push_message(tick, MessageKind::Duplicate, line, cause);
                let copy = m.clone();
                self.network
                    .send(copy, tick, &link, &treatment, &mut self.rng);
            }
            self.network.send(m, tick, &link, &treatment, &mut self.rng);
        }
        self.round_sent = sent;
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
