//! Online property checks: fed every machine event as it happens and
//! asked once per round, so each violation carries the tick, role and
//! event that broke the property.

use crate::observation::Observation;
use crate::plan::PropertyPlan;
use crate::property::Property;
use crate::report::{PropertyReport, Violation};
use crate::type_walk::{RoleAction, TypeWalker};
use std::collections::{BTreeMap, BTreeSet};
use telltale_compiler::RoleId;
use telltale_vm::{MessageEvent, SessionId};

/// A message identity: session, sender, receiver, sequence number.
type MessageKey = (SessionId, RoleId, RoleId, u64);

/// What a round looked like, for the checks that need the whole world.
pub struct RoundView<'a> {
    /// The tick.
    pub tick: u64,
    /// Queued messages per directed edge `(from, to)`.
    pub queued: &'a [(RoleId, RoleId, usize)],
    /// No coroutine could step this round.
    pub stuck: bool,
    /// Every coroutine has finished.
    pub all_done: bool,
    /// Nothing in flight, paused, cut or pending that could change that.
    pub quiescent: bool,
    /// Roles still live (not finished, faulted or crashed), with what they
    /// wait for.
    pub live: &'a [(RoleId, String)],
    /// The tick the last fault or partition ended (liveness counts from it).
    pub faults_quiet_since: u64,
}

/// The state of every property of a run (serialised without what the
/// scenario fixes: what a checkpoint saves).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct PropertyMonitor {
    #[serde(skip)]
    properties: Vec<PropertyPlan>,
    #[serde(skip)]
    names: Vec<String>,
    #[serde(skip)]
    honest: Option<BTreeSet<RoleId>>,
    violations: Vec<Violation>,
    broken: BTreeSet<usize>,
    reported: BTreeSet<(usize, RoleId, RoleId)>,
    unreceived: BTreeMap<MessageKey, (u64, String)>,
    last_progress: BTreeMap<RoleId, u64>,
    progress_events: BTreeMap<RoleId, u64>,
    /// The first honest observation of each key: (role, value).
    first_seen: BTreeMap<String, (RoleId, String)>,
    /// Whether sent messages are remembered until received
    /// (`send_recv_liveness` only).
    #[serde(skip)]
    tracks_receipt: bool,
    /// Every role's position in its local type (`type_monotonicity` only).
    walker: Option<TypeWalker>,
    /// Roles already reported by `type_monotonicity` (once each: after a
    /// wrong step the walker no longer knows where the role stands).
    off_type: BTreeSet<RoleId>,
}

impl PropertyMonitor {
    /// Takes the properties' state from `saved` (a checkpoint's), keeping
    /// this monitor's properties and roles.
    pub(crate) fn resume_state(&mut self, saved: PropertyMonitor) {
        self.violations = saved.violations;
        self.broken = saved.broken;
        self.reported = saved.reported;
        self.unreceived = saved.unreceived;
        self.last_progress = saved.last_progress;
        self.progress_events = saved.progress_events;
        self.first_seen = saved.first_seen;
        self.walker = saved.walker;
        self.off_type = saved.off_type;
    }

    /// A monitor of `properties`; `names` are the role names by id; only
    /// `honest` roles (all when `None`) are judged.
    pub fn new(
        properties: Vec<PropertyPlan>,
        names: Vec<String>,
        honest: Option<BTreeSet<RoleId>>,
    ) -> PropertyMonitor {
        let tracks_receipt = properties
            .iter()
            .any(|p| p.property == Property::SendRecvLiveness);
        PropertyMonitor {
            properties,
            names,
            honest,
            violations: Vec::new(),
            broken: BTreeSet::new(),
            reported: BTreeSet::new(),
            unreceived: BTreeMap::new(),
            last_progress: BTreeMap::new(),
            progress_events: BTreeMap::new(),
            first_seen: BTreeMap::new(),
            tracks_receipt,
            walker: None,
            off_type: BTreeSet::new(),
        }
    }

    /// Whether this round's checks read the live roles (liveness, or a
    /// deadlock check when the world is `stuck` and quiescent): they are
    /// only gathered then.
    pub fn wants_live(&self, stuck: bool) -> bool {
        self.properties.iter().any(|p| match p.property {
            Property::Liveness(_) => true,
            Property::DeadlockFree => stuck,
            _ => false,
        })
    }

    /// Whether this round's checks read the buffers (`buffer_bound`).
    pub fn wants_queues(&self) -> bool {
        self.properties
            .iter()
            .any(|p| matches!(p.property, Property::BufferBound(_)))
    }

    /// Whether the monitor wants every role action (`type_monotonicity`).
    pub fn wants_actions(&self) -> bool {
        self.walker.is_some()
    }

    /// Starts `type_monotonicity`'s walk if the scenario states it.
    pub fn walk_types(&mut self, walker: impl FnOnce() -> TypeWalker) {
        if self
            .properties
            .iter()
            .any(|p| p.property == Property::TypeMonotonicity)
        {
            self.walker = Some(walker());
        }
    }

    /// A role took an action: it must be one its local type allows now.
    pub fn acted(&mut self, role: RoleId, tick: u64, action: RoleAction<'_>) {
        let Some(walker) = self.walker.as_mut() else {
            return;
        };
        if self.off_type.contains(&role) {
            return;
        }
        if let Err(event) = walker.step(role, action) {
            self.off_type.insert(role);
            if self.judged(role) {
                for i in self.each(|p| *p == Property::TypeMonotonicity) {
                    self.violate(i, tick, Some(role), event.clone());
                }
            }
        }
    }

    fn judged(&self, role: RoleId) -> bool {
        self.honest.as_ref().map_or(true, |h| h.contains(&role))
    }

    fn name(&self, role: RoleId) -> String {
        self.names
            .get(usize::from(role))
            .cloned()
            .unwrap_or_else(|| format!("#{role}"))
    }

    fn violate(&mut self, i: usize, tick: u64, role: Option<RoleId>, event: String) {
        self.broken.insert(i);
        let property = self.properties[i].text.clone();
        let role = role.map(|r| self.name(r));
        self.violations.push(Violation {
            property,
            tick,
            role,
            event,
        });
    }

    fn each(&self, pred: impl Fn(&Property) -> bool) -> Vec<usize> {
        (0..self.properties.len())
            .filter(|i| pred(&self.properties[*i].property))
            .collect()
    }

    fn progress(&mut self, role: RoleId, tick: u64) {
        self.last_progress.insert(role, tick);
        *self.progress_events.entry(role).or_default() += 1;
    }

    /// A message was sent; `text` renders its line, asked for only when
    /// `send_recv_liveness` keeps it.
    pub fn sent(&mut self, m: &MessageEvent, text: impl FnOnce() -> String) {
        self.progress(m.from, m.tick);
        if self.tracks_receipt {
            self.unreceived
                .insert((m.session, m.from, m.to, m.seq), (m.tick, text()));
        }
    }

    /// A message was received.
    pub fn received(&mut self, m: &MessageEvent) {
        self.progress(m.to, m.tick);
        if self.tracks_receipt {
            self.unreceived.remove(&(m.session, m.from, m.to, m.seq));
        }
    }

    /// A role finished, or took a timeout branch.
    pub fn stepped(&mut self, role: RoleId, tick: u64) {
        self.progress(role, tick);
    }

    /// A role's coroutine faulted (not by an injected crash).
    pub fn faulted(&mut self, role: RoleId, tick: u64, event: String) {
        if !self.judged(role) {
            return;
        }
        for i in self.each(|p| *p == Property::NoFaults) {
            self.violate(i, tick, Some(role), event.clone());
        }
    }

    /// States the host's Rust predicates beside the scenario's properties.
    pub fn add_host_predicates<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        for name in names {
            self.properties.push(PropertyPlan {
                property: Property::Host(name.to_string()),
                text: name.to_string(),
            });
        }
    }

    /// Whether the host predicate `name` still holds (it is checked until
    /// its first violation).
    pub fn host_holds(&self, name: &str) -> bool {
        self.properties.iter().enumerate().any(|(i, p)| {
            p.property == Property::Host(name.to_string()) && !self.broken.contains(&i)
        })
    }

    /// A host predicate broke.
    pub fn host_violated(&mut self, name: &str, tick: u64, role: Option<RoleId>, event: String) {
        for i in self.each(|p| *p == Property::Host(name.to_string())) {
            if !self.broken.contains(&i) {
                self.violate(i, tick, role, event.clone());
            }
        }
    }

    /// A receiver consumed a message a byzantine role injected.
    pub fn injection_accepted(&mut self, role: RoleId, tick: u64, event: String) {
        for i in self.each(|p| *p == Property::InjectionsRejected) {
            self.violate(i, tick, Some(role), event.clone());
        }
    }

    /// A host observed `key = value` (see [`crate::observation`]).
    pub fn observed(&mut self, o: &Observation) {
        if !self.judged(o.role) {
            return;
        }
        let first = self
            .first_seen
            .entry(o.key.clone())
            .or_insert_with(|| (o.role, o.value.clone()))
            .clone();
        for i in 0..self.properties.len() {
            let event = match &self.properties[i].property {
                Property::Agreement(k) if *k == o.key && first.1 != o.value => format!(
                    "observed {} = {}, but {} observed {}",
                    o.key,
                    o.value,
                    self.name(first.0),
                    first.1
                ),
                Property::Validity(k, allowed) if *k == o.key && !allowed.contains(&o.value) => {
                    format!(
                        "observed {} = {}, not one of [{}]",
                        o.key,
                        o.value,
                        allowed.join(", ")
                    )
                }
                Property::Never(k) if *k == o.key => format!("observed {} = {}", o.key, o.value),
                _ => continue,
            };
            self.violate(i, o.tick, Some(o.role), event);
        }
    }

    /// `eventually(key, within)` properties whose key nobody observed by
    /// `tick` (once each; `ended`: the run is over, so it never will be).
    fn unobserved(&mut self, tick: u64, ended: bool) {
        for i in 0..self.properties.len() {
            let Property::Eventually(k, within) = &self.properties[i].property else {
                continue;
            };
            if self.broken.contains(&i) || self.first_seen.contains_key(k) {
                continue;
            }
            if tick > *within || ended {
                let event = format!("no honest role observed {k} within {within} ticks");
                self.violate(i, tick.min(*within), None, event);
            }
        }
    }

    /// The checks made once per round.
    pub fn round(&mut self, view: &RoundView<'_>) {
        self.unobserved(view.tick, false);
        // Index loops, not `each`: this runs every round and must not
        // allocate.
        for i in 0..self.properties.len() {
            let Property::BufferBound(bound) = self.properties[i].property else {
                continue;
            };
            for &(from, to, n) in view.queued {
                if n as u64 > bound && self.reported.insert((i, from, to)) {
                    let event = format!(
                        "{} messages queued from {} to {} (bound {bound})",
                        n,
                        self.name(from),
                        self.name(to)
                    );
                    self.violate(i, view.tick, Some(to), event);
                }
            }
        }
        if view.stuck && view.quiescent && !view.all_done {
            for i in self.each(|p| *p == Property::DeadlockFree) {
                if self.broken.contains(&i) {
                    continue;
                }
                let waiting: Vec<String> = view
                    .live
                    .iter()
                    .map(|(r, why)| format!("{} {why}", self.name(*r)))
                    .collect();
                let event = format!("deadlock: nothing can step ({})", waiting.join("; "));
                self.violate(i, view.tick, None, event);
            }
        }
        for i in 0..self.properties.len() {
            let Property::Liveness(bound) = self.properties[i].property else {
                continue;
            };
            for (role, why) in view.live {
                if !self.judged(*role) || self.reported.contains(&(i, *role, *role)) {
                    continue;
                }
                let since = self
                    .last_progress
                    .get(role)
                    .copied()
                    .unwrap_or(0)
                    .max(view.faults_quiet_since);
                if view.tick.saturating_sub(since) > bound {
                    self.reported.insert((i, *role, *role));
                    let event = format!("no progress for {bound} ticks since tick {since} ({why})");
                    self.violate(i, view.tick, Some(*role), event);
                }
            }
        }
    }

    /// The checks made when the run ends; `stuck` lists the live roles
    /// when the run ended because nothing could ever step again (they
    /// will never progress, whatever the bound).
    pub fn finish(&mut self, tick: u64, stuck: &[(RoleId, String)]) {
        self.unobserved(tick, true);
        for i in self.each(|p| matches!(p, Property::Liveness(_))) {
            for (role, why) in stuck {
                if self.judged(*role) && !self.reported.contains(&(i, *role, *role)) {
                    let event = format!("will never progress: the run is stuck ({why})");
                    self.violate(i, tick, Some(*role), event);
                }
            }
        }
        let unreceived: Vec<(MessageKey, (u64, String))> = self
            .unreceived
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        for i in self.each(|p| *p == Property::SendRecvLiveness) {
            for ((_, from, _, _), (sent_at, text)) in &unreceived {
                if self.judged(*from) {
                    let event = format!("sent at tick {sent_at} and never received: {text}");
                    self.violate(i, tick, Some(*from), event);
                }
            }
        }
    }

    /// Messages and ends per role, and the last tick of progress.
    pub fn progress_of(&self, role: RoleId) -> (u64, Option<u64>) {
        (
            self.progress_events.get(&role).copied().unwrap_or(0),
            self.last_progress.get(&role).copied(),
        )
    }

    /// The verdicts and violations.
    pub fn into_results(self) -> (Vec<PropertyReport>, Vec<Violation>) {
        let reports = self
            .properties
            .iter()
            .enumerate()
            .map(|(i, p)| PropertyReport {
                property: p.text.clone(),
                holds: !self.broken.contains(&i),
            })
            .collect();
        (reports, self.violations)
    }
}
