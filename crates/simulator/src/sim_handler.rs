//! The handler the world runs the machine with: the scenario's host
//! handler, plus the world's topology events (crashes, timeouts) and its
//! paused roles, whose sends wait while they are paused. When the host is a
//! replay of a recorded effect trace, the trace already holds those
//! decisions, so the world's own are not added again.

use std::cell::RefCell;
use std::collections::BTreeSet;
use telltale_compiler::{LabelId, RoleId, Value};
use telltale_vm::{
    AcquireDecision, AcquireInput, ChooseInput, EffectHandler, InvokeInput, JoinInput,
    OutputConditionHint, OutputHintInput, RecvInput, ReleaseInput, SendDecision, SendDecisionInput,
    TopologyEvent, TopologyInput,
};

/// The host's handler with the world's injections.
pub struct SimHandler<'h> {
    host: &'h dyn EffectHandler,
    pending: RefCell<Vec<TopologyEvent>>,
    paused: RefCell<BTreeSet<RoleId>>,
    replaying: bool,
}

impl<'h> SimHandler<'h> {
    /// Wraps a host handler.
    pub fn new(host: &'h dyn EffectHandler) -> SimHandler<'h> {
        SimHandler {
            host,
            pending: RefCell::new(Vec::new()),
            paused: RefCell::new(BTreeSet::new()),
            replaying: false,
        }
    }

    /// Wraps a replay of a recorded run: the world's topology events and
    /// paused sends are in the recording already.
    pub fn replaying(host: &'h dyn EffectHandler) -> SimHandler<'h> {
        SimHandler {
            replaying: true,
            ..SimHandler::new(host)
        }
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
        self.host.send_decision_fast_path(input)
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.host.send_decision(input)
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
