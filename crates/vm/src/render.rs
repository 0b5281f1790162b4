//! Human-readable rendering of observable events, with role and label
//! names and words, for command-line output and diagnostics.
//!
//! Choices read from the side that acts: the deciding role *selects* a
//! label for its partner (the machine's `Offer` instruction and
//! [`ObsEvent::Offered`]), the receiving role *follows* it (`Choose` and
//! [`ObsEvent::Chose`]). The JSON form of the trace keeps the machine's
//! names.

use crate::coroutine::BlockReason;
use crate::event::{MessageEvent, ObsEvent};
use crate::ids::CoroId;
use crate::machine::ProtocolMachine;
use crate::topology::TopologyEvent;
use std::collections::BTreeMap;
use telltale_compiler::{RoleId, Symbols, Value};
use telltale_types::effects::outcome_text;
use telltale_types::EffectTable;

/// Renders one event on one line, e.g. `t=3 A -> B : ping(5)`; coroutines
/// are shown by number (use [`TraceText`] to show them by role).
pub fn render_event(event: &ObsEvent, symbols: &Symbols) -> String {
    TraceText::new(symbols).line(event)
}

/// The text form of a trace: names roles, labels and coroutines (by the
/// role they play), so a person can read a run.
#[derive(Clone, Debug)]
pub struct TraceText<'a> {
    symbols: &'a Symbols,
    roles: BTreeMap<CoroId, RoleId>,
    effects: Option<&'a EffectTable>,
}

impl<'a> TraceText<'a> {
    /// Renders with `symbols`; coroutines whose role is unknown are shown
    /// by number.
    pub fn new(symbols: &'a Symbols) -> Self {
        TraceText {
            symbols,
            roles: BTreeMap::new(),
            effects: None,
        }
    }

    /// Names effect calls by the operations of `effects` (the image's
    /// effect table): `Bank checks Ledger.append(entry) -> Ok(1)`.
    pub fn with_effects(mut self, effects: &'a EffectTable) -> Self {
        self.effects = Some(effects);
        self
    }

    /// Names coroutine `coro` by `role` (what [`TraceText::of_machine`]
    /// does for a machine's resident ones), for text rendered after the
    /// machine is gone.
    pub fn with_role(mut self, coro: CoroId, role: RoleId) -> Self {
        self.roles.insert(coro, role);
        self
    }

    /// Renders the trace of `machine`, naming each resident coroutine by
    /// its role.
    pub fn of_machine(machine: &'a ProtocolMachine) -> Self {
        let mut text = TraceText::new(machine.symbols()).with_effects(&machine.image().effects);
        for session in machine.session_ids() {
            for coro in machine.coroutines_of(session) {
                if let Some(view) = machine.coroutine(coro) {
                    text.roles.insert(coro, view.role);
                }
            }
        }
        text
    }

    /// One line for `event`: its tick, then what happened in words.
    pub fn line(&self, event: &ObsEvent) -> String {
        format!("t={} {}", event.tick(), self.words(event))
    }

    fn role(&self, role: RoleId) -> String {
        self.symbols.role_name(role)
    }

    fn coro(&self, coro: CoroId) -> String {
        match self.roles.get(&coro) {
            Some(&role) => self.role(role),
            None => format!("coroutine {coro}"),
        }
    }

    /// `label(payload)`, or just `label` for a unit payload.
    fn message(&self, m: &MessageEvent) -> String {
        let label = self.symbols.label_name(m.label);
        match &m.payload {
            Value::Unit => label,
            payload => format!("{label}({payload})"),
        }
    }

    /// `Effect.op(args) -> Outcome(payload)` for an effect call at `site`.
    fn check(&self, site: u16, outcome: &Value) -> String {
        let called = self.effects.and_then(|effects| {
            let site = effects.sites.get(usize::from(site))?;
            let op = effects.operation_of(site)?;
            Some(format!(
                "{}.{}({})",
                op.effect,
                op.name,
                site.arguments.join(", ")
            ))
        });
        let called = called.unwrap_or_else(|| format!("effect site {site}"));
        format!("{called} -> {}", outcome_text(outcome))
    }

    fn words(&self, event: &ObsEvent) -> String {
        let from = |m: &MessageEvent| self.role(m.from);
        let to = |m: &MessageEvent| self.role(m.to);
        match event {
            ObsEvent::Opened { session, roles, .. } => {
                let names: Vec<String> = roles.iter().map(|r| self.role(*r)).collect();
                format!("session {session} opens with {}", names.join(", "))
            }
            ObsEvent::Sent(m) => format!("{} -> {} : {}", from(m), to(m), self.message(m)),
            ObsEvent::Offered(m) => {
                format!("{} selects {} for {}", from(m), self.message(m), to(m))
            }
            ObsEvent::Received(m) => {
                format!("{} receives {} from {}", to(m), self.message(m), from(m))
            }
            ObsEvent::Chose(m) => format!("{} follows {}", to(m), self.message(m)),
            ObsEvent::Dropped(m) => format!(
                "{} -> {} : {} dropped (buffer full)",
                from(m),
                to(m),
                self.message(m)
            ),
            ObsEvent::Lost(m) => format!(
                "{} -> {} : {} lost in transit",
                from(m),
                to(m),
                self.message(m)
            ),
            ObsEvent::Overwritten(m) => format!(
                "{} -> {} : {} overwritten unread",
                from(m),
                to(m),
                self.message(m)
            ),
            ObsEvent::BufferResized {
                from, to, capacity, ..
            } => format!(
                "buffer {} -> {} grows to {capacity}",
                self.role(*from),
                self.role(*to)
            ),
            ObsEvent::Invoked {
                coro,
                effect: Some((site, outcome)),
                ..
            } => format!("{} checks {}", self.coro(*coro), self.check(*site, outcome)),
            ObsEvent::Invoked { coro, action, .. } => {
                format!("{} runs action {action}", self.coro(*coro))
            }
            ObsEvent::Blocked { coro, reason, .. } => {
                format!("{} {}", self.coro(*coro), self.waiting(reason))
            }
            ObsEvent::Yielded { coro, .. } => format!("{} yields", self.coro(*coro)),
            ObsEvent::Spawned {
                parent, child, pc, ..
            } => format!("{} spawns coroutine {child} at {pc}", self.coro(*parent)),
            ObsEvent::Halted { coro, .. } => format!("{} done", self.coro(*coro)),
            ObsEvent::FailureBranchEntered { coro, fault, .. } => {
                format!("{} takes its failure branch: {fault}", self.coro(*coro))
            }
            ObsEvent::Faulted { coro, fault, .. } => {
                format!("{} fails: {fault}", self.coro(*coro))
            }
            ObsEvent::Closed { session, .. } => format!("session {session} closes"),
            ObsEvent::EpochAdvanced { session, epoch, .. } => {
                format!("session {session} enters epoch {epoch}")
            }
            ObsEvent::TimeoutIssued { session, .. } => format!("session {session} times out"),
            ObsEvent::TimeoutBranch {
                coro, from, label, ..
            } => {
                let label = self.symbols.label_name(*label);
                let verb = if label.eq_ignore_ascii_case("timeout") {
                    "takes"
                } else {
                    "misses"
                };
                format!(
                    "{} timed out waiting for {}: {verb} {label}",
                    self.coro(*coro),
                    self.role(*from),
                )
            }
            ObsEvent::Cancelled { session, .. } => format!("session {session} is cancelled"),
            ObsEvent::Topology { event, .. } => self.topology(event),
            ObsEvent::Acquired { coro, layer, .. } => {
                format!("{} acquires guard layer {layer}", self.coro(*coro))
            }
            ObsEvent::Released { coro, layer, .. } => {
                format!("{} releases guard layer {layer}", self.coro(*coro))
            }
            ObsEvent::Forked { coro, ghost, .. } => {
                format!("{} forks ghost {ghost}", self.coro(*coro))
            }
            ObsEvent::Joined { coro, ghost, .. } => {
                format!("{} joins ghost {ghost}", self.coro(*coro))
            }
            ObsEvent::JoinRejected { coro, ghost, .. } => {
                format!("{}: join of ghost {ghost} rejected", self.coro(*coro))
            }
            ObsEvent::Aborted { coro, ghost, .. } => {
                format!("{} aborts ghost {ghost}", self.coro(*coro))
            }
            ObsEvent::Delegated {
                session,
                role,
                from,
                to,
                ..
            } => format!(
                "session {session}: endpoint {} passes from coroutine {from} to coroutine {to}",
                self.role(*role)
            ),
            ObsEvent::Tagged { coro, index, .. } => {
                format!("{} tags fact #{index}", self.coro(*coro))
            }
            ObsEvent::Hinted { coro, tag, .. } => {
                format!("{}'s host notes: {tag}", self.coro(*coro))
            }
            ObsEvent::Checked {
                coro, role, known, ..
            } => format!(
                "{} checks a fact for {}: {}",
                self.coro(*coro),
                self.role(*role),
                if *known { "known" } else { "unknown" }
            ),
        }
    }

    fn waiting(&self, reason: &BlockReason) -> String {
        match reason {
            BlockReason::Recv { from } => format!("waits for {}", self.role(*from)),
            BlockReason::Send { to } => format!("waits for room to send to {}", self.role(*to)),
            BlockReason::Partitioned { to } => {
                format!("waits: its link to {} is partitioned", self.role(*to))
            }
            BlockReason::Guard { layer } => format!("waits for guard layer {layer}"),
            BlockReason::Effect { .. } => "waits for its host".to_string(),
        }
    }

    fn topology(&self, event: &TopologyEvent) -> String {
        match event {
            TopologyEvent::Crash { session, role } => {
                format!("session {session}: {} crashes", self.role(*role))
            }
            TopologyEvent::Partition { session, from, to } => format!(
                "session {session}: link {} -> {} is partitioned",
                self.role(*from),
                self.role(*to)
            ),
            TopologyEvent::Heal { session, from, to } => format!(
                "session {session}: link {} -> {} heals",
                self.role(*from),
                self.role(*to)
            ),
            TopologyEvent::Timeout {
                session,
                after_ticks,
            } => format!("session {session} will time out in {after_ticks} ticks"),
            TopologyEvent::Cancel { session } => format!("session {session} is cancelled"),
            TopologyEvent::Corrupt { session, from, to } => format!(
                "session {session}: the next message {} -> {} is corrupted",
                self.role(*from),
                self.role(*to)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Tick;
    use telltale_types::{Label, Role};

    fn symbols() -> Symbols {
        Symbols {
            roles: vec![Role::new("Bob"), Role::new("Seller")],
            labels: vec![Label::unit("Quit"), Label::unit("Bid")],
        }
    }

    fn message(tick: Tick, label: u16, payload: Value) -> MessageEvent {
        MessageEvent {
            tick,
            session: 0,
            from: 0,
            to: 1,
            label,
            seq: 0,
            payload,
        }
    }

    #[test]
    fn events_read_as_words_with_role_names() {
        let symbols = symbols();
        let mut text = TraceText::new(&symbols);
        text.roles.insert(0, 0);
        text.roles.insert(1, 1);
        let events = [
            ObsEvent::Opened {
                tick: 0,
                session: 0,
                roles: vec![0, 1].into(),
            },
            ObsEvent::Blocked {
                tick: 2,
                coro: 0,
                reason: BlockReason::Recv { from: 1 },
            },
            ObsEvent::Sent(message(3, 1, Value::Int(5))),
            ObsEvent::Received(message(4, 1, Value::Int(5))),
            ObsEvent::Offered(message(12, 0, Value::Unit)),
            ObsEvent::Chose(message(13, 0, Value::Unit)),
            ObsEvent::Halted { tick: 16, coro: 0 },
            ObsEvent::Halted { tick: 17, coro: 7 },
            ObsEvent::Topology {
                tick: 18,
                event: TopologyEvent::Crash {
                    session: 0,
                    role: 1,
                },
            },
        ];
        let lines: Vec<String> = events.iter().map(|e| text.line(e)).collect();
        assert_eq!(
            lines,
            [
                "t=0 session 0 opens with Bob, Seller",
                "t=2 Bob waits for Seller",
                "t=3 Bob -> Seller : Bid(5)",
                "t=4 Seller receives Bid(5) from Bob",
                "t=12 Bob selects Quit for Seller",
                "t=13 Seller follows Quit",
                "t=16 Bob done",
                "t=17 coroutine 7 done",
                "t=18 session 0: Seller crashes",
            ]
        );
        assert_eq!(
            render_event(&events[6], &symbols),
            "t=16 coroutine 0 done",
            "without a machine coroutines are numbered"
        );
    }
}
