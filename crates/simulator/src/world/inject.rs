//! Non-conformant byzantine roles: `forge` and `replay` inject messages
//! into the network beside their honest ones, and the world follows each
//! injected message to its fate. It is *rejected* when its receiver's
//! machine refuses it (an invalid signature, a broken hash chain, a
//! replay or an out-of-order sequence number, or a label its monitor does
//! not allow: the receiving coroutine
//! faults naming the message), and *accepted* when the receiver consumes
//! it as if it were genuine, which breaks `injections_rejected`.
//!
//! The machine stops a coroutine at the first message it refuses, so an
//! injection that is rejected still ends its receiver: the report shows
//! the rejection, and the receiver's final status shows the cost.

use super::World;
use crate::plan::Strategy;
use crate::report::InjectionReport;
use std::collections::BTreeMap;
use telltale_compiler::{LabelId, RoleId, Value};
use telltale_vm::effect::default_handler::fabricate;
use telltale_vm::{Fault, InFlight, MessageEvent, SessionId};

/// Earlier messages a `replay` role keeps to send again.
const REPLAY_HISTORY: usize = 16;

/// Where an injected message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Fate {
    /// In flight or unread.
    Pending,
    /// Refused by its receiver.
    Rejected,
    /// Consumed as if genuine.
    Accepted,
}

/// One injected message.
#[derive(serde::Serialize, serde::Deserialize)]
struct Injection {
    by: RoleId,
    session: SessionId,
    from: RoleId,
    to: RoleId,
    seq: u64,
    label: LabelId,
    fate: Fate,
}

/// The injecting roles, what they sent, and every injection's fate
/// (serialised without the roles, which the scenario fixes).
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Injector {
    #[serde(skip)]
    roles: BTreeMap<RoleId, Strategy>,
    history: BTreeMap<RoleId, Vec<InFlight>>,
    injections: Vec<Injection>,
    /// Genuine messages not yet received: (session, from, to, seq) to
    /// label and payload.
    genuine: BTreeMap<(SessionId, RoleId, RoleId, u64), (LabelId, Value)>,
}

impl Injector {
    /// Takes what was sent and injected from `saved` (a checkpoint's),
    /// keeping this injector's roles.
    pub(super) fn resume_state(&mut self, saved: Injector) {
        self.history = saved.history;
        self.injections = saved.injections;
        self.genuine = saved.genuine;
    }

    /// An injector for the `forge` and `replay` roles among `roles`.
    pub(super) fn new(roles: impl IntoIterator<Item = (RoleId, Strategy)>) -> Injector {
        Injector {
            roles: roles.into_iter().filter(|(_, s)| s.injects()).collect(),
            ..Injector::default()
        }
    }

    /// Whether any role injects (otherwise nothing here runs).
    pub(super) fn active(&self) -> bool {
        !self.roles.is_empty()
    }

    /// Counts per injecting role, in role order.
    pub(super) fn counts(&self) -> BTreeMap<RoleId, InjectionReport> {
        let mut counts: BTreeMap<RoleId, InjectionReport> = self
            .roles
            .keys()
            .map(|r| (*r, InjectionReport::default()))
            .collect();
        for i in &self.injections {
            let c = counts.entry(i.by).or_default();
            c.injected += 1;
            match i.fate {
                Fate::Rejected => c.rejected += 1,
                Fate::Accepted => c.accepted += 1,
                Fate::Pending => c.unread += 1,
            }
        }
        counts
    }

    /// A genuine message was sent.
    pub(super) fn sent(&mut self, m: &MessageEvent) {
        self.genuine.insert(
            (m.session, m.from, m.to, m.seq),
            (m.label, m.payload.clone()),
        );
    }

    /// A message was received: the injection it was, if it was one the
    /// receiver accepted.
    pub(super) fn received(&mut self, m: &MessageEvent) -> Option<RoleId> {
        let key = (m.session, m.from, m.to, m.seq);
        if self
            .genuine
            .get(&key)
            .is_some_and(|(label, payload)| *label == m.label && *payload == m.payload)
        {
            self.genuine.remove(&key);
            return None;
        }
        let i = self.injections.iter_mut().find(|i| {
            i.fate == Fate::Pending && (i.session, i.from, i.to, i.seq) == key && i.label == m.label
        })?;
        i.fate = Fate::Accepted;
        Some(i.by)
    }

    /// A coroutine of `role` faulted: whether the fault refused a pending
    /// injection (which is then rejected).
    pub(super) fn refused(
        &mut self,
        role: RoleId,
        role_name: &str,
        fault: &Fault,
        names: &[String],
    ) -> bool {
        let name = |r: RoleId| names.get(usize::from(r)).map_or("?", String::as_str);
        let message = match fault {
            Fault::SignatureInvalid { from, to, seq, .. }
            | Fault::AuthChainBroken { from, to, seq, .. }
            | Fault::ReplayDetected { from, to, seq, .. } => Some((from, to, *seq)),
            Fault::SequenceMismatch {
                from, to, actual, ..
            } => Some((from, to, *actual)),
            Fault::ProtocolViolation { role: r, .. } if r == role_name => None,
            _ => return false,
        };
        let found = self.injections.iter_mut().find(|i| {
            i.fate == Fate::Pending
                && i.to == role
                && message.map_or(true, |(from, to, seq)| {
                    name(i.from) == from && name(i.to) == to && i.seq == seq
                })
        });
        match found {
            Some(i) => {
                i.fate = Fate::Rejected;
                true
            }
            None => false,
        }
    }
}

impl World<'_> {
    /// After `m` left an injecting role: maybe inject a message of its
    /// strategy beside it (one draw of the world's generator per message,
    /// more when it injects).
    pub(super) fn inject_after(&mut self, m: &InFlight, tick: u64) {
        let Some(strategy) = self.injector.roles.get(&m.from).copied() else {
            return;
        };
        let history = self.injector.history.entry(m.from).or_default();
        let earlier = history.clone();
        history.push(m.clone());
        if history.len() > REPLAY_HISTORY {
            history.remove(0);
        }
        if self.rng.below(2) == 1 {
            return;
        }
        let (injected, how) = match strategy {
            Strategy::Replay => {
                if earlier.is_empty() {
                    return;
                }
                let pick = self.rng.below(earlier.len() as u64) as usize;
                (earlier[pick].clone(), "replayed".to_string())
            }
            _ => match self.forge(m) {
                Some(forged) => forged,
                None => return,
            },
        };
        let detail = format!(
            "{} [byzantine {}: {how}]",
            self.describe(&injected),
            self.name(m.from)
        );
        self.trace.push(tick, "inject", &detail);
        if let Some(timeline) = self.timeline.as_mut() {
            let label = self.machine.symbols().label_name(injected.envelope.label);
            let edge = (injected.from, injected.to, injected.envelope.seq);
            timeline.injected(tick, edge, &label, &how);
        }
        self.injector.injections.push(Injection {
            by: m.from,
            session: injected.session,
            from: injected.from,
            to: injected.to,
            seq: injected.envelope.seq,
            label: injected.envelope.label,
            fate: Fate::Pending,
        });
        let link = self.network.link(injected.from, injected.to, tick);
        let treatment = crate::network_model::Treatment::default();
        self.network
            .send(injected, tick, &link, &treatment, &mut self.rng);
    }

    /// A forgery of `m`: another label (with a payload of its sort), or
    /// another sender's name on it, chosen by the world's generator.
    fn forge(&mut self, m: &InFlight) -> Option<(InFlight, String)> {
        let symbols = self.machine.symbols();
        let others: Vec<RoleId> = (0..self.names.len())
            .filter_map(|r| RoleId::try_from(r).ok())
            .filter(|r| *r != m.from && *r != m.to)
            .collect();
        let labels = symbols.labels.len() as u64;
        let impersonate = !others.is_empty() && (labels < 2 || self.rng.below(2) == 0);
        let mut forged = m.clone();
        if impersonate {
            let claimed = others[self.rng.below(others.len() as u64) as usize];
            forged.from = claimed;
            let how = format!("claims to be {}", self.name(claimed));
            return Some((forged, how));
        }
        if labels < 2 {
            return None;
        }
        // Any label but the genuine one.
        let mut label = self.rng.below(labels - 1) as LabelId;
        if label >= m.envelope.label {
            label += 1;
        }
        let bits = self.rng.next_u64();
        let symbols = self.machine.symbols();
        forged.envelope.label = label;
        forged.envelope.payload = symbols
            .label(label)
            .map_or(Value::Unit, |l| fabricate(&l.sort, bits));
        let how = format!(
            "label changed from {}",
            symbols.label_name(m.envelope.label)
        );
        Some((forged, how))
    }
}
