//! The handler the world runs the machine with: the scenario's host
//! handler, plus the world's topology events (crashes, timeouts) and its
//! paused roles, whose sends wait while they are paused. When the host is a
//! replay of a recorded effect trace, the trace already holds those
//! decisions, so the world's own are not added again. Byzantine roles'
//! send decisions are altered here, with the world's generator, so every
//! message still fits the role's local type (see `plan::Strategy`).

use crate::equivocator::Equivocator;
use crate::plan::Strategy;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use telltale_compiler::{LabelId, RoleId, Value};
use telltale_types::random::SeededRng;
use telltale_vm::effect::default_handler::fabricate;
use telltale_vm::{
    AcquireDecision, AcquireInput, ChooseInput, EffectHandler, InvokeInput, JoinInput,
    OutputConditionHint, OutputHintInput, RecvInput, ReleaseInput, SendDecision, SendDecisionInput,
    TopologyEvent, TopologyInput,
};

/// The wrapper's own state between rounds (what a checkpoint saves; the
/// host's is the host's).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct HandlerState {
    pending: Vec<TopologyEvent>,
    lies: Vec<(RoleId, u64)>,
    rng: u64,
}

/// The host's handler with the world's injections.
pub struct SimHandler<'h> {
    host: &'h dyn EffectHandler,
    pending: RefCell<Vec<TopologyEvent>>,
    paused: RefCell<BTreeSet<RoleId>>,
    replaying: bool,
    /// Byzantine roles, their strategies and how often each lied.
    byzantine: BTreeMap<RoleId, (Strategy, std::cell::Cell<u64>)>,
    /// The draws of byzantine decisions.
    rng: RefCell<SeededRng>,
    /// The host's other stories for `equivocate`, if it has any.
    equivocator: Option<&'h dyn Equivocator>,
    /// Lies told (liar, partner) since the world last took them; kept
    /// only for a timeline.
    lies: RefCell<Option<Vec<(RoleId, RoleId)>>>,
    /// Sites whose effect calls run inner simulations (`[[nested]]`).
    sites: Option<crate::hosts::nested::Sites>,
}

impl<'h> SimHandler<'h> {
    /// Wraps a host handler.
    pub fn new(host: &'h dyn EffectHandler) -> SimHandler<'h> {
        SimHandler {
            host,
            pending: RefCell::new(Vec::new()),
            paused: RefCell::new(BTreeSet::new()),
            replaying: false,
            byzantine: BTreeMap::new(),
            rng: RefCell::new(SeededRng::new(0)),
            equivocator: None,
            lies: RefCell::new(None),
            sites: None,
        }
    }

    /// The wrapper's state now.
    pub(crate) fn state(&self) -> HandlerState {
        HandlerState {
            pending: self.pending.borrow().clone(),
            lies: self
                .byzantine
                .iter()
                .map(|(r, (_, n))| (*r, n.get()))
                .collect(),
            rng: self.rng.borrow().state(),
        }
    }

    /// Puts the wrapper in `state` (a checkpoint's).
    pub(crate) fn resume_state(&self, state: HandlerState) {
        *self.pending.borrow_mut() = state.pending;
        for (role, lies) in state.lies {
            if let Some((_, n)) = self.byzantine.get(&role) {
                n.set(lies);
            }
        }
        *self.rng.borrow_mut() = SeededRng::new(state.rng);
    }

    /// Whether the host is a replay of a recorded effect trace (a replay
    /// writes no checkpoints).
    pub(crate) fn is_replaying(&self) -> bool {
        self.replaying
    }

    /// Lets `equivocator` tell the other story of `equivocate` roles.
    pub fn with_equivocator(mut self, equivocator: Option<&'h dyn Equivocator>) -> SimHandler<'h> {
        self.equivocator = equivocator;
        self
    }

    /// Makes `roles` byzantine, their decisions drawn from `seed` (a replay
    /// takes them from its recording instead).
    /// A replay keeps only the silent roles: their messages are withheld
    /// by the world, not decided by the handler, so the recording does not
    /// hold them.
    pub fn set_byzantine(&mut self, roles: BTreeMap<RoleId, Strategy>, seed: u64) {
        let replaying = self.replaying;
        self.byzantine = roles
            .into_iter()
            .filter(|(_, s)| !replaying || *s == Strategy::Silent)
            .map(|(r, s)| (r, (s, std::cell::Cell::new(0))))
            .collect();
        if replaying {
            return;
        }
        self.rng = RefCell::new(SeededRng::new(seed));
    }

    /// How often each byzantine role lied, in role order.
    pub fn byzantine_actions(&self) -> Vec<(RoleId, Strategy, u64)> {
        self.byzantine
            .iter()
            .map(|(r, (s, n))| (*r, *s, n.get()))
            .collect()
    }

    /// The strategy of a role that is byzantine and does not stay silent.
    fn lying(&self, role: RoleId) -> Option<&(Strategy, std::cell::Cell<u64>)> {
        self.byzantine
            .get(&role)
            .filter(|(s, _)| *s != Strategy::Silent && !s.injects())
    }

    /// Whether `role` is byzantine and silent: its messages never leave.
    pub fn is_silent(&self, role: RoleId) -> bool {
        matches!(self.byzantine.get(&role), Some((Strategy::Silent, _)))
    }

    /// A byzantine role's version of an honest decision.
    fn lie(
        &self,
        input: &SendDecisionInput<'_>,
        strategy: Strategy,
        honest: SendDecision,
    ) -> SendDecision {
        let SendDecision::Deliver { label, payload } = honest else {
            return honest;
        };
        let mut rng = self.rng.borrow_mut();
        let random_payload = |label: LabelId, bits: u64| {
            input
                .symbols
                .label(label)
                .map(|l| fabricate(&l.sort, bits))
                .unwrap_or(Value::Unit)
        };
        match strategy {
            Strategy::RandomPayload => {
                let bits = rng.next_u64();
                SendDecision::Deliver {
                    label,
                    payload: random_payload(label, bits),
                }
            }
            // Peers with an odd role id hear another story than the others.
            Strategy::Equivocate if input.partner % 2 == 1 => {
                // Drawn either way, so a host's story leaves the draws alone.
                let bits = rng.next_u64();
                let payload = self
                    .equivocator
                    .and_then(|e| e.other_story(input, label, &payload))
                    .unwrap_or_else(|| random_payload(label, bits));
                SendDecision::Deliver { label, payload }
            }
            Strategy::RandomChoice if input.choices.len() > 1 => {
                let pick = input.choices[(rng.next_u64() % input.choices.len() as u64) as usize];
                let bits = rng.next_u64();
                SendDecision::Deliver {
                    label: pick,
                    payload: random_payload(pick, bits),
                }
            }
            _ => SendDecision::Deliver { label, payload },
        }
    }

    /// The decision for a send of a byzantine role (counting the lies).
    fn decide(
        &self,
        input: &SendDecisionInput<'_>,
        honest: Result<SendDecision, String>,
    ) -> Result<SendDecision, String> {
        let Some((strategy, count)) = self.lying(input.ctx.role) else {
            return honest;
        };
        let honest = honest?;
        let decided = self.lie(input, *strategy, honest.clone());
        if decided != honest {
            count.set(count.get() + 1);
            if let Some(lies) = self.lies.borrow_mut().as_mut() {
                lies.push((input.ctx.role, input.partner));
            }
        }
        Ok(decided)
    }

    /// Wraps a replay of a recorded run: the world's topology events and
    /// paused sends are in the recording already.
    pub fn replaying(host: &'h dyn EffectHandler) -> SimHandler<'h> {
        SimHandler {
            replaying: true,
            ..SimHandler::new(host)
        }
    }

    /// Starts keeping each lie (liar, partner) until [`SimHandler::take_lies`]
    /// (for the HTML report's timeline).
    pub fn record_lies(&mut self) {
        *self.lies.get_mut() = Some(Vec::new());
    }

    /// The lies told since the last call, in the order told.
    pub fn take_lies(&self) -> Vec<(RoleId, RoleId)> {
        self.lies
            .borrow_mut()
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Answers the sites' effect calls with inner simulations.
    pub(crate) fn set_sites(&mut self, sites: crate::hosts::nested::Sites) {
        self.sites = Some(sites);
    }

    /// The inner runs of the sites so far.
    pub fn nested_reports(&self) -> Vec<crate::report::NestedReport> {
        self.sites
            .as_ref()
            .map(crate::hosts::nested::Sites::reports)
            .unwrap_or_default()
    }

    /// Queues a topology event for the next round.
    pub fn inject(&self, event: TopologyEvent) {
        if !self.replaying {
            self.pending.borrow_mut().push(event);
        }
    }

    /// Sets the roles whose sends wait.
    pub fn set_paused(&self, roles: BTreeSet<RoleId>) {
        *self.paused.borrow_mut() = roles;
    }
}

impl EffectHandler for SimHandler<'_> {
    fn handler_identity(&self) -> &str {
        self.host.handler_identity()
    }

    fn send_decision_fast_path(
        &self,
        input: &SendDecisionInput<'_>,
    ) -> Option<Result<SendDecision, String>> {
        if !self.replaying && self.paused.borrow().contains(&input.ctx.role) {
            return Some(Ok(SendDecision::Block));
        }
        let fast = self.host.send_decision_fast_path(input)?;
        Some(self.decide(input, fast))
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.decide(input, self.host.send_decision(input))
    }

    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        self.host.handle_send(input, label)
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        self.host.handle_recv(input)
    }

    fn handle_choose(&self, input: &ChooseInput<'_>) -> Result<LabelId, String> {
        self.host.handle_choose(input)
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        if !self.replaying {
            if let Some(answer) = self.sites.as_ref().and_then(|s| s.step(input)) {
                return answer;
            }
        }
        self.host.step(input)
    }

    fn handle_acquire(&self, input: &AcquireInput) -> Result<AcquireDecision, String> {
        self.host.handle_acquire(input)
    }

    fn handle_release(&self, input: &ReleaseInput<'_>) -> Result<(), String> {
        self.host.handle_release(input)
    }

    fn handle_join(&self, input: &JoinInput) -> Result<bool, String> {
        self.host.handle_join(input)
    }

    fn topology_events(&self, input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        let mut events = std::mem::take(&mut *self.pending.borrow_mut());
        if self.host.polls_topology() {
            events.extend(self.host.topology_events(input)?);
        }
        Ok(events)
    }

    fn polls_topology(&self) -> bool {
        true
    }

    fn gives_output_hints(&self) -> bool {
        self.host.gives_output_hints()
    }

    fn output_condition_hint(&self, input: &OutputHintInput) -> Option<OutputConditionHint> {
        self.host.output_condition_hint(input)
    }
}
