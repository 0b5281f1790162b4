//! The protocol machine and its host as a [`Model`]: a state is a machine
//! state with the host's state; an action is one coroutine's next step with
//! one of the alternatives the host leaves open.

use crate::host::ExplorableHost;
use crate::model::{Model, Property};
use crate::observation::Observations;
use crate::symmetry::{SymmetryGroup, SymmetryStatus};

mod checks;
mod reduction;

pub use reduction::reducible;
use std::cell::RefCell;
use std::sync::Arc;
use telltale_compiler::{CodeImage, RoleId};
use telltale_vm::explore::{EnabledStep, StateEncoder, TimeoutStep};
use telltale_vm::{
    load_image_all_roles, BackpressurePolicy, BufferConfig, BufferMode, Config,
    EffectTraceCaptureMode, ProtocolMachine, ProtocolMachineError, SessionId, TraceRetention,
};

/// A choice the world makes in a protocol state. Later slices add the
/// network's choices (deliver, drop, duplicate), crashes and byzantine
/// values as further variants.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// A coroutine executes its next instruction, the host taking its
    /// `alternative`-th open choice (an `Offer`'s label, in table order).
    Step {
        /// The step.
        step: EnabledStep,
        /// The host's alternative.
        alternative: usize,
    },
    /// The oldest message queued on an edge is lost in transit (within
    /// the model's drop budget).
    Drop {
        /// The session.
        session: SessionId,
        /// The sending role.
        from: RoleId,
        /// The receiving role.
        to: RoleId,
    },
    /// A coroutine waiting in a receive with a `timeout` branch, with
    /// nothing queued on the edge it waits on, times out and takes the
    /// branch (docs/explorer.md, "Timeouts").
    Timeout {
        /// The coroutine and the role it waits on.
        step: TimeoutStep,
    },
}

/// An explored state: the machine, the host, and a machine error that is
/// not a coroutine's fault (the host broke its contract), if one happened.
pub struct ProtocolState<H> {
    /// The machine.
    pub machine: ProtocolMachine,
    /// The host's state.
    pub host: H,
    /// A machine error other than a coroutine fault.
    pub error: Option<Arc<str>>,
    /// Messages lost so far (at most the model's drop budget).
    pub drops: u32,
    /// What the host observed along the run (part of the fingerprint).
    pub observations: Observations,
}

impl<H: Clone> Clone for ProtocolState<H> {
    fn clone(&self) -> Self {
        ProtocolState {
            machine: self.machine.clone(),
            host: self.host.clone(),
            error: self.error.clone(),
            drops: self.drops,
            observations: self.observations.clone(),
        }
    }

    /// Reuses `self`'s storage (the machine's buffers, registers and
    /// tables): how the checkers write successors into a scratch state.
    fn clone_from(&mut self, source: &Self) {
        self.machine.clone_from(&source.machine);
        self.host.clone_from(&source.host);
        self.error.clone_from(&source.error);
        self.drops = source.drops;
        self.observations.clone_from(&source.observations);
    }
}

/// Why a protocol cannot be explored.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolModelError {
    /// The per-edge buffer bound must hold at least one message.
    #[error("the buffer bound must be at least 1")]
    ZeroBufferBound,
    /// The machine refused the image.
    #[error("the protocol machine cannot load this protocol: {0}")]
    Load(#[from] ProtocolMachineError),
}

/// A host's own check of explored states, by name.
type HostPredicate<H> = (
    &'static str,
    fn(&ProtocolModel<H>, &ProtocolState<H>) -> bool,
);

/// Every role of one protocol in one machine, with host `H`, its buffers
/// bounded to `k` messages per edge.
pub struct ProtocolModel<H> {
    initial: ProtocolState<H>,
    /// Whether every instruction of every program is a step that touches
    /// only its coroutine and one edge (see [`reducible`]).
    reducible: bool,
    buffer_bound: usize,
    /// Messages the world may lose along one run.
    drop_budget: u32,
    image: CodeImage,
    host: H,
    /// Keys every observation of which must have one value.
    agreement: Vec<Arc<str>>,
    /// Keys that must never be observed.
    never: Vec<Arc<str>>,
    /// `validity(key, allowed)` checks.
    validity: Vec<(Arc<str>, Vec<Arc<str>>)>,
    /// `buffer_bound(n)`: no buffer may hold more than `n` messages.
    buffer_limit: Option<usize>,
    /// The host's own checks, by name.
    predicates: Vec<HostPredicate<H>>,
    /// Whether receives with a `timeout` branch may time out.
    timeouts: bool,
    /// Whether some label of the image is named `timeout`, or some
    /// message may be missed: receives that may time out.
    has_timeouts: bool,
    /// The names of the checks to run (`None`: every check).
    checks: Option<Vec<&'static str>>,
    /// The image's verified symmetry group and whether the host is
    /// symmetric (or why not), and whether the reduction is wanted.
    symmetry: (SymmetryStatus, bool),
}

thread_local! {
    static ENCODER: RefCell<StateEncoder> = RefCell::new(StateEncoder::new());
}

/// The machine configuration of exploration: FIFO buffers of `k` that
/// block a full sender, no traces unless `traced` (a replayed
/// counterexample keeps them).
fn explore_config(k: usize, traced: bool) -> Config {
    let retention = if traced {
        TraceRetention::KeepAll
    } else {
        TraceRetention::Off
    };
    Config {
        buffer: BufferConfig {
            mode: BufferMode::Fifo,
            capacity: k,
            policy: BackpressurePolicy::Block,
        },
        trace_retention: retention,
        effect_trace_retention: retention,
        effect_trace_capture_mode: if traced {
            EffectTraceCaptureMode::Full
        } else {
            EffectTraceCaptureMode::Off
        },
        ..Config::default()
    }
}

impl<H: ExplorableHost> ProtocolModel<H> {
    /// Every role of `image` in one session, run by `host`, with at most
    /// `buffer_bound` messages queued per edge.
    pub fn new(image: CodeImage, host: H, buffer_bound: usize) -> Result<Self, ProtocolModelError> {
        if buffer_bound == 0 {
            return Err(ProtocolModelError::ZeroBufferBound);
        }
        let machine = load_image_all_roles(image.clone(), explore_config(buffer_bound, false))?;
        let reducible = host.is_per_role() && reducible(&image);
        let symmetry = match SymmetryGroup::of(&image) {
            Ok(_) if !host.is_symmetric() => SymmetryStatus::NotApplicable(
                "the host does not treat family members alike (ExplorableHost::is_symmetric)"
                    .to_string(),
            ),
            Ok(group) => SymmetryStatus::Applied(Arc::new(group)),
            Err(reason) => SymmetryStatus::NotApplicable(reason),
        };
        let has_timeouts = !image.effects.missable.is_empty()
            || image
                .symbols
                .labels
                .iter()
                .any(|l| l.name().eq_ignore_ascii_case("timeout"));
        Ok(ProtocolModel {
            reducible,
            initial: ProtocolState {
                machine,
                host: host.clone(),
                error: None,
                drops: 0,
                observations: Observations::new(),
            },
            buffer_bound,
            drop_budget: 0,
            image,
            host,
            agreement: Vec::new(),
            never: Vec::new(),
            validity: Vec::new(),
            buffer_limit: None,
            predicates: Vec::new(),
            timeouts: true,
            has_timeouts,
            checks: None,
            symmetry: (symmetry, true),
        })
    }

    /// Writes what a state holds besides its machine (the host's state,
    /// observations, messages lost, a host error) into its fingerprint.
    fn encode_extra(&self, state: &ProtocolState<H>, out: &mut Vec<u8>) {
        state.host.encode(out);
        state.observations.encode(out);
        if self.drop_budget > 0 {
            out.extend_from_slice(&state.drops.to_le_bytes());
        }
        if let Some(error) = &state.error {
            out.push(1);
            out.extend_from_slice(error.as_bytes());
        }
    }

    /// Whether to store states up to the symmetry of role families (on by
    /// default where it applies: see [`ProtocolModel::symmetry`]).
    pub fn with_symmetry(mut self, on: bool) -> Self {
        self.symmetry.1 = on;
        self
    }

    /// The symmetry group states are stored up to, if it applies and is
    /// on (no allocation: this is on the search's hot path).
    fn active_symmetry(&self) -> Option<&SymmetryGroup> {
        match &self.symmetry {
            (SymmetryStatus::Applied(group), true) if self.predicates.is_empty() => Some(group),
            _ => None,
        }
    }

    /// Whether symmetry reduction applies (with its verified group), or
    /// why not, or that it is off (docs/explorer.md, "Symmetry").
    pub fn symmetry(&self) -> SymmetryStatus {
        match &self.symmetry {
            (_, false) => SymmetryStatus::Off,
            (SymmetryStatus::Applied(_), true) if !self.predicates.is_empty() => {
                SymmetryStatus::NotApplicable(
                    "host predicates may tell family members apart".to_string(),
                )
            }
            (status, true) => status.clone(),
        }
    }

    /// Lets the world lose up to `budget` messages along each run (any
    /// queued message, oldest first on its edge). Partial-order reduction
    /// is off while a budget is set: a loss competes with the receive it
    /// prevents.
    pub fn with_drop_budget(mut self, budget: u32) -> Self {
        self.drop_budget = budget;
        self
    }

    /// Checks `agreement(key)` on every explored state: every value
    /// observed for `key`, by any role, is the same (as the simulator's
    /// property of that name).
    pub fn with_agreement(mut self, key: &str) -> Self {
        self.agreement.push(Arc::from(key));
        self
    }

    /// Checks `never(key)` on every explored state: nothing observes `key`.
    pub fn with_never(mut self, key: &str) -> Self {
        self.never.push(Arc::from(key));
        self
    }

    /// Checks `validity(key, allowed)` on every explored state: every
    /// value observed for `key` is one of `allowed` (as the simulator's
    /// property of that name).
    pub fn with_validity(mut self, key: &str, allowed: &[&str]) -> Self {
        let allowed = allowed.iter().map(|v| Arc::from(*v)).collect();
        self.validity.push((Arc::from(key), allowed));
        self
    }

    /// Checks `buffer_bound(n)` on every explored state: no buffer holds
    /// more than `n` messages (below the model's bound k, where senders
    /// wait; as the simulator's property of that name).
    pub fn with_buffer_limit(mut self, n: usize) -> Self {
        self.buffer_limit = Some(n);
        self
    }

    /// Checks the host's own predicate `holds` on every explored state,
    /// reported under `name` (what the simulator's harness predicates are
    /// for a simulated run): it sees the machine, the host's state and
    /// the observations.
    pub fn with_predicate(
        mut self,
        name: &'static str,
        holds: fn(&ProtocolModel<H>, &ProtocolState<H>) -> bool,
    ) -> Self {
        self.predicates.push((name, holds));
        self
    }

    /// Whether a receive with a `timeout` branch may time out while
    /// nothing is queued for it (on by default; off explores the protocol
    /// as if no deadline ever passed).
    pub fn with_timeouts(mut self, on: bool) -> Self {
        self.timeouts = on;
        self
    }

    /// Runs only the named checks (`deadlock`, `no_faults`,
    /// `orphan_messages`, `agreement`, `never`, `validity`, `buffer_bound`,
    /// and the names of host predicates), e.g. to ask whether a
    /// protocol can deadlock when faults or orphans are expected.
    pub fn checking(mut self, names: &[&'static str]) -> Self {
        self.checks = Some(names.to_vec());
        self
    }

    /// Messages the world may lose along one run.
    pub fn drop_budget(&self) -> u32 {
        self.drop_budget
    }

    /// Whether partial-order reduction applies to this protocol and host
    /// (docs/explorer.md, "Partial-order reduction").
    pub fn is_reducible(&self) -> bool {
        self.reducible
            && !(self.timeouts && self.has_timeouts)
            && self.buffer_limit.is_none()
            && self.predicates.is_empty()
    }

    /// The per-edge buffer bound k.
    pub fn buffer_bound(&self) -> usize {
        self.buffer_bound
    }

    /// The compiled protocol the model runs.
    pub fn image(&self) -> &CodeImage {
        &self.image
    }

    /// Takes `action` in `state`.
    fn apply(&self, state: &mut ProtocolState<H>, action: &Action) {
        match action {
            Action::Step { step, alternative } => {
                let outcome = state.host.execute(
                    &mut state.machine,
                    step,
                    *alternative,
                    &mut state.observations,
                );
                match outcome {
                    Ok(()) | Err(ProtocolMachineError::Fault { .. }) => {}
                    Err(other) => state.error = Some(Arc::from(other.to_string())),
                }
            }
            Action::Drop { session, from, to } => {
                if state.machine.lose_oldest_message(*session, *from, *to) {
                    state.drops += 1;
                }
            }
            Action::Timeout { step } => {
                state.machine.fire_receive_timeout(step.slot);
            }
        }
    }

    /// Runs `actions` from the initial state on a machine that keeps its
    /// traces: the counterexample as a run a person can read. Stops early
    /// at an action that is not enabled (none is, for a path the checker
    /// found).
    pub fn replay(&self, actions: &[Action]) -> Result<ProtocolState<H>, ProtocolModelError> {
        let mut state = self.traced_initial()?;
        for action in actions {
            state = self.next_state(&state, action);
        }
        Ok(state)
    }
}

impl<H: Clone> ProtocolModel<H> {
    /// The initial state on a machine that keeps its traces.
    pub(crate) fn traced_initial(&self) -> Result<ProtocolState<H>, ProtocolModelError> {
        let machine =
            load_image_all_roles(self.image.clone(), explore_config(self.buffer_bound, true))?;
        Ok(ProtocolState {
            machine,
            host: self.host.clone(),
            error: None,
            drops: 0,
            observations: Observations::new(),
        })
    }
}

impl<H: ExplorableHost> Model for ProtocolModel<H> {
    type State = ProtocolState<H>;
    type Action = Action;

    fn init_states(&self) -> Vec<Self::State> {
        vec![self.initial.clone()]
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        if state.error.is_some() {
            return;
        }
        for step in state.machine.enabled_steps() {
            let last = state.host.alternatives(&step).max(1) - 1;
            for alternative in 0..last {
                actions.push(Action::Step {
                    step: step.clone(),
                    alternative,
                });
            }
            actions.push(Action::Step {
                step,
                alternative: last,
            });
        }
        if self.timeouts && self.has_timeouts {
            for step in state.machine.timeout_steps() {
                actions.push(Action::Timeout { step });
            }
        }
        if state.drops < self.drop_budget {
            for (session, from, to) in state.machine.edges_with_messages() {
                actions.push(Action::Drop { session, from, to });
            }
        }
    }

    fn next_state(&self, state: &Self::State, action: &Self::Action) -> Self::State {
        let mut next = state.clone();
        self.apply(&mut next, action);
        next
    }

    fn next_state_into(&self, state: &Self::State, action: &Self::Action, into: &mut Self::State) {
        into.clone_from(state);
        self.apply(into, action);
    }

    fn fingerprint(&self, state: &Self::State) -> u64 {
        let extra = |out: &mut Vec<u8>| self.encode_extra(state, out);
        ENCODER.with(|e| e.borrow_mut().fingerprint_then(&state.machine, extra))
    }

    fn successor_fingerprint(&self, state: &Self::State, state_fp: u64, next: &Self::State) -> u64 {
        let fp = ENCODER.with(|e| {
            e.borrow_mut().successor_fingerprint_then(
                &state.machine,
                state_fp,
                |out| self.encode_extra(state, out),
                &next.machine,
                |out| self.encode_extra(next, out),
            )
        });
        let fp = fp.unwrap_or_else(|| self.fingerprint(next));
        debug_assert_eq!(
            fp,
            self.fingerprint(next),
            "a successor's fingerprint from its parent's is its own"
        );
        fp
    }

    fn symmetric_fingerprint(&self, state: &Self::State) -> u64 {
        self.active_symmetry()
            .and_then(|group| group.canonical_fingerprint(self, state))
            .unwrap_or_else(|| self.fingerprint(state))
    }

    fn symmetric_successor_fingerprint(
        &self,
        state: &Self::State,
        state_fp: u64,
        next: &Self::State,
    ) -> u64 {
        match self.active_symmetry() {
            // Without a group, states are stored by their own fingerprints.
            None => self.successor_fingerprint(state, state_fp, next),
            Some(_) => self.symmetric_fingerprint(next),
        }
    }

    fn orbit_size(&self, state: &Self::State) -> usize {
        self.active_symmetry()
            .map_or(1, |group| group.orbit_size(self, state))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.checks()
    }

    fn is_final(&self, state: &Self::State) -> bool {
        state.machine.is_final()
    }

    fn fullest_buffer(&self, state: &Self::State) -> usize {
        state.machine.queued_messages().1
    }

    fn persistent_subset(
        &self,
        _state: &Self::State,
        actions: &[Self::Action],
    ) -> Option<Vec<usize>> {
        self.persistent_steps(actions)
    }
}
