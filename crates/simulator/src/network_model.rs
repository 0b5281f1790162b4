//! The simulated network: messages between their send and their delivery,
//! with latency, loss, duplication, reordering, corruption, per-link
//! overrides and partitions. It sits on the machine's network extension
//! point (`telltale_vm::network`): the world hands it every envelope the
//! machine's outbox gives and asks it each tick which messages are due.

use crate::probability::{Probability, ONE};
use crate::scenario::{NetworkSection, TickWindow};
use std::collections::{BTreeMap, BTreeSet};
use telltale_compiler::RoleId;
use telltale_types::random::SeededRng;
use telltale_vm::{InFlight, SessionId};

/// How one directed link behaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkParams {
    /// Ticks in flight.
    pub latency: u64,
    /// Spread of the latency as a fraction of it.
    pub variance: Probability,
    /// Chance of loss.
    pub loss: Probability,
    /// Chance of a second copy.
    pub duplicate: Probability,
    /// Chance of overtaking the edge's queue.
    pub reorder: Probability,
    /// Chance of payload damage.
    pub corruption: Probability,
}

/// A per-link override with the ticks it holds in.
#[derive(Clone, Debug)]
pub struct LinkRule {
    /// Sender.
    pub from: RoleId,
    /// Receiver.
    pub to: RoleId,
    /// When (always if `None`).
    pub window: Option<TickWindow>,
    /// The link's behaviour while it holds.
    pub params: LinkParams,
}

/// What happens to one sent message, decided when it enters the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Treatment {
    /// Lost.
    pub drop: bool,
    /// Ticks added to its latency.
    pub extra_delay: u64,
    /// Delivered twice.
    pub duplicate: bool,
    /// Overtakes the messages in flight before it on its edge.
    pub reorder: bool,
    /// Its payload is damaged.
    pub corrupt: bool,
}

/// The messages in flight and the state of the links (serialised without
/// the links' settings, which come from the scenario: what a checkpoint
/// saves).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct NetworkModel {
    #[serde(skip)]
    defaults: LinkParams,
    #[serde(skip)]
    rules: Vec<LinkRule>,
    /// Keyed by (due tick, 0 for overtaking messages else 1, arrival
    /// number): iteration order is delivery order.
    in_flight: BTreeMap<(u64, u8, u64), InFlight>,
    next_number: u64,
    /// The latest due tick per edge, which keeps each edge FIFO.
    edge_due: BTreeMap<(SessionId, RoleId, RoleId), u64>,
    /// Cut directed links.
    cut: BTreeSet<(RoleId, RoleId)>,
}

impl LinkParams {
    /// The `[network]` defaults.
    pub fn of(section: &NetworkSection) -> LinkParams {
        LinkParams {
            latency: section.base_latency_ticks,
            variance: section.latency_variance,
            loss: section.loss_probability,
            duplicate: section.duplicate_probability,
            reorder: section.reorder_probability,
            corruption: section.corruption_probability,
        }
    }
}

impl NetworkModel {
    /// Takes the messages in flight and the links' state from `saved` (a
    /// checkpoint's), keeping this model's settings.
    pub(crate) fn resume_state(&mut self, saved: NetworkModel) {
        self.in_flight = saved.in_flight;
        self.next_number = saved.next_number;
        self.edge_due = saved.edge_due;
        self.cut = saved.cut;
    }

    /// A network with these defaults and overrides.
    pub fn new(defaults: LinkParams, rules: Vec<LinkRule>) -> NetworkModel {
        NetworkModel {
            defaults,
            rules,
            ..NetworkModel::default()
        }
    }

    /// The behaviour of `from -> to` at `tick`: the last override that
    /// holds, else the defaults.
    pub fn link(&self, from: RoleId, to: RoleId, tick: u64) -> LinkParams {
        self.rules
            .iter()
            .rev()
            .find(|r| r.from == from && r.to == to && r.window.map_or(true, |w| w.contains(tick)))
            .map_or(self.defaults, |r| r.params)
    }

    /// Draws the link's random treatment of a message (the draws happen in
    /// a fixed order: loss, corruption, duplication, reordering).
    pub fn draw(&self, link: &LinkParams, rng: &mut SeededRng) -> Treatment {
        Treatment {
            drop: link.loss.sample(rng),
            corrupt: link.corruption.sample(rng),
            duplicate: link.duplicate.sample(rng),
            reorder: link.reorder.sample(rng),
            extra_delay: 0,
        }
    }

    /// Puts a message in flight at `tick` (after its treatment has been
    /// applied by the caller); returns its due tick.
    pub fn send(
        &mut self,
        message: InFlight,
        tick: u64,
        link: &LinkParams,
        treatment: &Treatment,
        rng: &mut SeededRng,
    ) -> u64 {
        let span = link
            .latency
            .saturating_mul(link.variance.parts_per_billion())
            / ONE;
        let jitter = if span == 0 {
            0
        } else {
            rng.below(2 * span + 1)
        };
        let latency = (link.latency + jitter).saturating_sub(span).max(1);
        let mut due = tick + latency + treatment.extra_delay;
        let edge = (message.session, message.from, message.to);
        let class = if treatment.reorder {
            // Overtake: due no later than the first message in flight on
            // the edge, and ahead of it.
            let first = self
                .in_flight
                .iter()
                .find(|(_, m)| (m.session, m.from, m.to) == edge)
                .map(|((d, _, _), _)| *d);
            due = first.map_or(due, |d| due.min(d));
            0
        } else {
            let last = self.edge_due.get(&edge).copied().unwrap_or(0);
            due = due.max(last);
            1
        };
        if !treatment.reorder {
            self.edge_due.insert(edge, due);
        }
        self.in_flight
            .insert((due, class, self.next_number), message);
        self.next_number += 1;
        due
    }

    /// Takes the messages due at or before `tick`, in delivery order.
    pub fn take_due(&mut self, tick: u64) -> Vec<InFlight> {
        let mut due = Vec::new();
        self.take_due_into(tick, &mut due);
        due
    }

    /// [`NetworkModel::take_due`] onto the end of `into` (a buffer the
    /// world reuses every round: no allocation, no tree split).
    pub fn take_due_into(&mut self, tick: u64, into: &mut Vec<InFlight>) {
        while let Some(entry) = self.in_flight.first_entry() {
            if entry.key().0 > tick {
                break;
            }
            into.push(entry.remove());
        }
    }

    /// Puts back a message that could not be delivered yet, due at
    /// `tick` (ahead of the messages sent after it).
    pub fn hold(&mut self, message: InFlight, tick: u64) {
        self.in_flight.insert((tick, 0, self.next_number), message);
        self.next_number += 1;
    }

    /// Number of messages in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Cuts `from -> to`.
    pub fn cut(&mut self, from: RoleId, to: RoleId) {
        self.cut.insert((from, to));
    }

    /// Restores every cut link.
    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Whether `from -> to` is cut.
    pub fn is_cut(&self, from: RoleId, to: RoleId) -> bool {
        self.cut.contains(&(from, to))
    }

    /// Whether any link is cut.
    pub fn partitioned(&self) -> bool {
        !self.cut.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_compiler::Value;
    use telltale_vm::Envelope;

    fn message(seq: u64) -> InFlight {
        InFlight {
            session: 0,
            from: 0,
            to: 1,
            envelope: Envelope {
                label: 0,
                payload: Value::Int(seq as i64),
                seq,
                session: 0,
                seal: None,
            },
        }
    }

    fn seqs(v: &[InFlight]) -> Vec<u64> {
        v.iter().map(|m| m.envelope.seq).collect()
    }

    #[test]
    fn an_edge_stays_fifo_under_jitter_unless_a_message_overtakes() {
        let link = LinkParams {
            latency: 10,
            variance: Probability::parse("0.5").unwrap(),
            ..LinkParams::default()
        };
        let mut net = NetworkModel::new(link, Vec::new());
        let mut rng = SeededRng::new(3);
        for seq in 0..20 {
            net.send(message(seq), seq, &link, &Treatment::default(), &mut rng);
        }
        let got = net.take_due(1_000);
        assert_eq!(seqs(&got), (0..20).collect::<Vec<_>>());
        net.send(message(0), 0, &link, &Treatment::default(), &mut rng);
        let overtake = Treatment {
            reorder: true,
            ..Treatment::default()
        };
        net.send(
            message(1),
            0,
            &LinkParams { latency: 1, ..link },
            &overtake,
            &mut rng,
        );
        assert_eq!(seqs(&net.take_due(1_000)), [1, 0]);
    }

    #[test]
    fn messages_wait_until_due_and_overrides_hold_only_in_their_window() {
        let rule = LinkRule {
            from: 0,
            to: 1,
            window: Some(TickWindow {
                from_tick: 5,
                to_tick: 10,
            }),
            params: LinkParams {
                latency: 7,
                ..LinkParams::default()
            },
        };
        let mut net = NetworkModel::new(LinkParams::default(), vec![rule]);
        assert_eq!(net.link(0, 1, 4).latency, 0);
        assert_eq!(net.link(0, 1, 5).latency, 7);
        assert_eq!(net.link(0, 1, 10).latency, 0);
        assert_eq!(net.link(1, 0, 6).latency, 0);
        let mut rng = SeededRng::new(0);
        let link = net.link(0, 1, 6);
        let due = net.send(message(0), 6, &link, &Treatment::default(), &mut rng);
        assert_eq!(due, 13);
        assert!(net.take_due(12).is_empty());
        assert_eq!(net.in_flight(), 1);
        assert_eq!(seqs(&net.take_due(13)), [0]);
    }
}
