//! The run as structured events, for the HTML report: the JSONL trace's
//! readable `detail` strings are not enough to draw a sequence diagram.
//! The world records a [`Timeline`] only when one is asked for
//! (`RunOptions::timeline`), beside the trace, never in it: the trace
//! bytes and their digest are the same with or without it.
//!
//! Every message keeps its sender, receiver, label, edge sequence number,
//! send tick and fate (delivered, lost, withheld, discarded or still in
//! flight, each with its tick) and what the network did to it (a duplicate
//! copy, corrupted, reordered, delayed). Point events on a role's lane
//! (rejections, faults, timeouts, crashes, pauses) and on the whole network
//! (partitions, heals) are [`Mark`]s; effect calls are [`EffectCall`]s.
//! Property violations are in the report ([`super::Violation`]: tick, role,
//! property), which the HTML reads beside the timeline.

use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use telltale_compiler::{RoleId, Value};
use telltale_types::effects::outcome_text;
use telltale_types::EffectTable;
use telltale_vm::Fault;

/// A role, by its position in [`Timeline::roles`].
pub type RoleIndex = usize;

/// Everything the HTML report draws, in the order it happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The protocol's roles, in role-id order (one lane each).
    pub roles: Vec<String>,
    /// Every message the machine sent, and every duplicate copy, in send
    /// order.
    pub messages: Vec<MessageRecord>,
    /// Point events on a lane or on the whole network, in tick order.
    pub marks: Vec<Mark>,
    /// Effect calls, in tick order.
    pub effects: Vec<EffectCall>,
    /// Messages in flight, by edge and sequence number: the records a
    /// delivery completes, first sent first.
    #[serde(skip)]
    open: BTreeMap<(RoleId, RoleId, u64), VecDeque<usize>>,
}

/// One message (or one duplicate copy of it) from its send to its fate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageRecord {
    /// Sender.
    pub from: RoleIndex,
    /// Receiver.
    pub to: RoleIndex,
    /// The label's name.
    pub label: String,
    /// The edge's sequence number (a copy shares its original's).
    pub seq: u64,
    /// The tick it entered the network (or was withheld).
    pub sent: u64,
    /// What became of it.
    pub fate: Fate,
    /// The extra copy a duplication made.
    pub duplicate: bool,
    /// Its payload was damaged in transit.
    pub corrupted: bool,
    /// It overtook the messages before it on its edge.
    pub reordered: bool,
    /// A `message_delay` fault held it longer.
    pub delayed: bool,
    /// The tick its receiver refused it (signature, hash chain, sequence
    /// or replay check), if it did.
    pub rejected: Option<u64>,
    /// A byzantine sender's handler changed it (its honest host decided
    /// another payload or branch).
    pub lied: bool,
    /// For a message a `forge` or `replay` role injected: how it lies
    /// (`claims to be Alice`, `replayed`, ...).
    pub injected: Option<String>,
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "fate")]
pub enum Fate {
    /// Put into the receiver's buffer at `tick`.
    Delivered {
        /// When.
        tick: u64,
    },
    /// Lost by the network (random loss or `message_drop`) at `tick`.
    Lost {
        /// When.
        tick: u64,
    },
    /// Never left its silent byzantine sender.
    Withheld {
        /// When it was sent.
        tick: u64,
    },
    /// Thrown away at delivery.
    Discarded {
        /// When.
        tick: u64,
        /// Why: receiver crashed, buffer full, session finished.
        reason: String,
    },
    /// Still in the network when the run ended.
    InFlight,
}

/// A point event, on one role's lane or (no role) on the whole network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// When.
    pub tick: u64,
    /// What.
    pub kind: MarkKind,
    /// Whose lane, if it is one role's.
    pub role: Option<RoleIndex>,
    /// In words, for the tooltip.
    pub detail: String,
}

/// The kinds of [`Mark`], each drawn in its own colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// The receiver refused a message (signature, hash chain, sequence or
    /// replay check).
    Rejected,
    /// A coroutine faulted for another reason (monitor, handler, timeout
    /// without a branch, ...).
    Fault,
    /// A coroutine took its `timeout` branch.
    Timeout,
    /// A `node_crash` stopped the role.
    Crash,
    /// A `node_pause` began.
    Pause,
    /// A pause ended.
    Resume,
    /// A `network_partition` cut links.
    Partition,
    /// Every cut link was restored.
    Heal,
}

impl MarkKind {
    /// The name the HTML and the JSON use (`data-kind`).
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Rejected => "rejected",
            MarkKind::Fault => "fault",
            MarkKind::Timeout => "timeout",
            MarkKind::Crash => "crash",
            MarkKind::Pause => "pause",
            MarkKind::Resume => "resume",
            MarkKind::Partition => "partition",
            MarkKind::Heal => "heal",
        }
    }
}

/// One effect call and the outcome its host answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EffectCall {
    /// When.
    pub tick: u64,
    /// The role that performed it.
    pub role: RoleIndex,
    /// The operation and its arguments, `Ledger.append(entry)`.
    pub op: String,
    /// The outcome, `Ok(1)`.
    pub outcome: String,
}

/// What the network decided for a message entering it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Handling {
    /// Lost.
    pub lost: bool,
    /// A second copy follows.
    pub duplicated: bool,
    /// Payload damaged.
    pub corrupted: bool,
    /// Overtakes its edge.
    pub reordered: bool,
    /// Held longer by a fault.
    pub delayed: bool,
    /// A byzantine lie (see [`MessageRecord::lied`]).
    pub lied: bool,
}

impl MessageRecord {
    /// A message sent at `tick` on `edge` (sender, receiver, sequence
    /// number) with `fate`, nothing else marked.
    fn new(tick: u64, edge: (RoleId, RoleId, u64), label: &str, fate: Fate) -> MessageRecord {
        MessageRecord {
            from: usize::from(edge.0),
            to: usize::from(edge.1),
            label: label.to_string(),
            seq: edge.2,
            sent: tick,
            fate,
            duplicate: false,
            corrupted: false,
            reordered: false,
            delayed: false,
            rejected: None,
            lied: false,
            injected: None,
        }
    }
}

impl Timeline {
    /// An empty timeline over these roles.
    pub fn new(roles: Vec<String>) -> Timeline {
        Timeline {
            roles,
            ..Timeline::default()
        }
    }

    /// A message entered the network at `tick` (with its copy when
    /// duplicated) or was lost there.
    pub fn sent(&mut self, tick: u64, edge: (RoleId, RoleId, u64), label: &str, h: Handling) {
        let record = |duplicate: bool, fate: Fate| MessageRecord {
            duplicate,
            corrupted: h.corrupted,
            reordered: h.reordered,
            delayed: h.delayed,
            lied: h.lied,
            ..MessageRecord::new(tick, edge, label, fate)
        };
        if h.lost {
            self.messages.push(record(false, Fate::Lost { tick }));
            return;
        }
        let copies = if h.duplicated { 2 } else { 1 };
        for copy in 0..copies {
            self.push_in_flight(edge, record(copy == 1, Fate::InFlight));
        }
    }

    /// A silent byzantine sender kept a message at `tick`.
    pub fn withheld(&mut self, tick: u64, edge: (RoleId, RoleId, u64), label: &str) {
        let fate = Fate::Withheld { tick };
        self.messages
            .push(MessageRecord::new(tick, edge, label, fate));
    }

    /// A byzantine role injected a message into the network at `tick`.
    pub fn injected(&mut self, tick: u64, edge: (RoleId, RoleId, u64), label: &str, how: &str) {
        let record = MessageRecord {
            injected: Some(how.to_string()),
            ..MessageRecord::new(tick, edge, label, Fate::InFlight)
        };
        self.push_in_flight(edge, record);
    }

    /// Adds a message in flight on `edge`, the last of its edge's queue.
    fn push_in_flight(&mut self, edge: (RoleId, RoleId, u64), record: MessageRecord) {
        self.open
            .entry(edge)
            .or_default()
            .push_back(self.messages.len());
        self.messages.push(record);
    }

    /// The first copy in flight on `edge` left the network with `fate`.
    pub fn arrived(&mut self, edge: (RoleId, RoleId, u64), fate: Fate) {
        let Some(open) = self.open.get_mut(&edge) else {
            return;
        };
        if let Some(i) = open.pop_front() {
            if let Some(m) = self.messages.get_mut(i) {
                m.fate = fate;
            }
        }
        if open.is_empty() {
            self.open.remove(&edge);
        }
    }

    /// A point event.
    pub fn mark(&mut self, tick: u64, kind: MarkKind, role: Option<RoleId>, detail: String) {
        self.marks.push(Mark {
            tick,
            kind,
            role: role.map(usize::from),
            detail,
        });
    }

    /// A coroutine of `role` faulted: a rejected message when a receive
    /// check refused it, else a fault (crashes are marked when injected).
    pub fn faulted(&mut self, tick: u64, role: RoleId, fault: &Fault) {
        let refused = match fault {
            Fault::Crashed { .. } => return,
            Fault::SequenceMismatch {
                from, to, actual, ..
            } => Some((from, to, *actual)),
            Fault::SignatureInvalid { from, to, seq, .. }
            | Fault::AuthChainBroken { from, to, seq, .. }
            | Fault::ReplayDetected { from, to, seq, .. } => Some((from, to, *seq)),
            _ => None,
        };
        let kind = match refused {
            Some((from, to, seq)) => {
                self.refused(tick, from, to, seq);
                MarkKind::Rejected
            }
            None => MarkKind::Fault,
        };
        self.mark(tick, kind, Some(role), fault.to_string());
    }

    /// Notes on the message `from -> to` numbered `seq` (the last one
    /// delivered and not yet refused) that its receiver refused it.
    fn refused(&mut self, tick: u64, from: &str, to: &str, seq: u64) {
        let index = |name: &str| self.roles.iter().position(|r| r == name);
        let (Some(from), Some(to)) = (index(from), index(to)) else {
            return;
        };
        let refused = self.messages.iter_mut().rev().find(|m| {
            (m.from, m.to, m.seq) == (from, to, seq)
                && m.rejected.is_none()
                && matches!(m.fate, Fate::Delivered { tick: t } if t <= tick)
        });
        if let Some(m) = refused {
            m.rejected = Some(tick);
        }
    }

    /// `role` performed effect site `site` of `effects` and its host
    /// answered `outcome`.
    pub fn effect(
        &mut self,
        tick: u64,
        role: RoleId,
        effects: &EffectTable,
        site: u16,
        outcome: &Value,
    ) {
        let op = effects
            .sites
            .get(usize::from(site))
            .and_then(|s| {
                let op = effects.operation_of(s)?;
                Some(format!(
                    "{}.{}({})",
                    op.effect,
                    op.name,
                    s.arguments.join(", ")
                ))
            })
            .unwrap_or_else(|| format!("effect site {site}"));
        self.effects.push(EffectCall {
            tick,
            role: usize::from(role),
            op,
            outcome: outcome_text(outcome),
        });
    }

    /// The name of a role's lane (`?` for an index out of range).
    pub fn role_name(&self, role: RoleIndex) -> &str {
        self.roles.get(role).map_or("?", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> Handling {
        Handling::default()
    }

    #[test]
    fn deliveries_complete_the_first_copy_in_flight_on_their_edge() {
        let mut t = Timeline::new(vec!["A".into(), "B".into()]);
        let dup = Handling {
            duplicated: true,
            ..plain()
        };
        t.sent(1, (0, 1, 0), "Ping", dup);
        t.sent(2, (0, 1, 1), "Ping", plain());
        t.arrived((0, 1, 0), Fate::Delivered { tick: 3 });
        t.arrived((0, 1, 1), Fate::Delivered { tick: 4 });
        t.arrived(
            (0, 1, 0),
            Fate::Discarded {
                tick: 5,
                reason: "session finished".into(),
            },
        );
        // A delivery nobody sent is ignored.
        t.arrived((1, 0, 9), Fate::Delivered { tick: 6 });
        let fates: Vec<(&Fate, bool)> = t.messages.iter().map(|m| (&m.fate, m.duplicate)).collect();
        assert_eq!(fates.len(), 3);
        assert_eq!(fates[0], (&Fate::Delivered { tick: 3 }, false));
        assert!(matches!(fates[1], (Fate::Discarded { tick: 5, .. }, true)));
        assert_eq!(fates[2], (&Fate::Delivered { tick: 4 }, false));
        assert!(t.open.is_empty());
    }

    #[test]
    fn lost_and_withheld_messages_are_never_in_flight() {
        let mut t = Timeline::new(vec!["A".into(), "B".into()]);
        let lost = Handling {
            lost: true,
            ..plain()
        };
        t.sent(7, (0, 1, 0), "Ping", lost);
        t.withheld(8, (1, 0, 0), "Pong");
        assert_eq!(t.messages[0].fate, Fate::Lost { tick: 7 });
        assert_eq!(t.messages[1].fate, Fate::Withheld { tick: 8 });
        assert!(t.open.is_empty());
    }

    #[test]
    fn receive_checks_are_rejections_and_crashes_are_not_marked_twice() {
        let mut t = Timeline::new(vec!["A".into(), "B".into()]);
        let mismatch = Fault::SequenceMismatch {
            session: 0,
            from: "A".into(),
            to: "B".into(),
            expected: 2,
            actual: 1,
        };
        t.faulted(4, 1, &mismatch);
        t.faulted(
            5,
            1,
            &Fault::Crashed {
                session: 0,
                role: "B".into(),
            },
        );
        assert_eq!(t.marks.len(), 1);
        assert_eq!(t.marks[0].kind, MarkKind::Rejected);
        assert_eq!(t.marks[0].role, Some(1));
        // The refused message is the one delivered with that number.
        let mut t = Timeline::new(vec!["A".into(), "B".into()]);
        let dup = Handling {
            duplicated: true,
            ..plain()
        };
        t.sent(1, (0, 1, 1), "Ping", dup);
        t.arrived((0, 1, 1), Fate::Delivered { tick: 2 });
        t.arrived((0, 1, 1), Fate::Delivered { tick: 3 });
        t.faulted(4, 1, &mismatch);
        let rejected: Vec<Option<u64>> = t.messages.iter().map(|m| m.rejected).collect();
        assert_eq!(rejected, [None, Some(4)]);
    }
}
