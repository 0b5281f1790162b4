//! The model a checker explores: states, the actions enabled in a state,
//! the state an action leads to, and the properties every reachable state
//! must have (in the style of stateright's `Model`).

/// A transition system with safety properties.
pub trait Model: Sync {
    /// A state (kept whole in the search frontier).
    type State: Clone + Send + Sync;
    /// A choice the world makes in a state.
    type Action: Clone + std::fmt::Debug + Send + Sync;

    /// The states exploration starts from.
    fn init_states(&self) -> Vec<Self::State>;

    /// Appends the actions enabled in `state` to `actions`, in a fixed
    /// order (a counterexample names actions by their index in it).
    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>);

    /// The state `action` leads to from `state`.
    fn next_state(&self, state: &Self::State, action: &Self::Action) -> Self::State;

    /// Overwrites `into` with the state `action` leads to from `state`:
    /// the checkers write every successor into one scratch state and keep
    /// a copy only of those not visited before, so a model whose states
    /// own storage can reuse it here (`Clone::clone_from`). The default
    /// calls [`Model::next_state`].
    fn next_state_into(&self, state: &Self::State, action: &Self::Action, into: &mut Self::State) {
        *into = self.next_state(state, action);
    }

    /// A stable 64-bit fingerprint of everything in `state` that
    /// determines its future.
    fn fingerprint(&self, state: &Self::State) -> u64;

    /// The fingerprint of `next`, just written by [`Model::next_state_into`]
    /// from `state` (whose fingerprint is `state_fp`): equal to
    /// [`Model::fingerprint`] of `next`, but a model that knows what the
    /// step changed can rehash only that. The default hashes `next` whole.
    fn successor_fingerprint(
        &self,
        _state: &Self::State,
        _state_fp: u64,
        next: &Self::State,
    ) -> u64 {
        self.fingerprint(next)
    }

    /// The fingerprint under which the search stores `state` when
    /// symmetry reduction is on: that of some state in its orbit under
    /// the model's symmetries, equal for two states only if one is a
    /// symmetric image of the other. The default: [`Model::fingerprint`].
    fn symmetric_fingerprint(&self, state: &Self::State) -> u64 {
        self.fingerprint(state)
    }

    /// [`Model::symmetric_fingerprint`] of `next`, just written by
    /// [`Model::next_state_into`] from `state` (whose symmetric
    /// fingerprint is `state_fp`). The default hashes `next` whole.
    fn symmetric_successor_fingerprint(
        &self,
        _state: &Self::State,
        _state_fp: u64,
        next: &Self::State,
    ) -> u64 {
        self.symmetric_fingerprint(next)
    }

    /// How many distinct states `state` stands for under the symmetries
    /// of [`Model::symmetric_fingerprint`] (its orbit's size; 1 without).
    fn orbit_size(&self, _state: &Self::State) -> usize {
        1
    }

    /// The properties checked on every reachable state.
    fn properties(&self) -> Vec<Property<Self>>
    where
        Self: Sized;

    /// Whether `state` is final (the progress check asks that one is
    /// reachable from every state). The default: no state is.
    fn is_final(&self, _state: &Self::State) -> bool {
        false
    }

    /// The fullest buffer of `state`, for the buffer bound's k-exhaustivity
    /// flag (0 for models without buffers).
    fn fullest_buffer(&self, _state: &Self::State) -> usize {
        0
    }

    /// The indices of a persistent subset of `actions` (those enabled in
    /// `state`): actions the checker may explore alone instead of all of
    /// them; `None` for all. The default never reduces.
    fn persistent_subset(
        &self,
        _state: &Self::State,
        _actions: &[Self::Action],
    ) -> Option<Vec<usize>> {
        None
    }
}

/// A safety property: a named condition every reachable state satisfies.
pub struct Property<M: Model> {
    /// Its name in reports (`deadlock`, `no_faults`, ...).
    pub name: &'static str,
    /// Whether `state` satisfies it.
    pub holds: fn(&M, &M::State) -> bool,
}

impl<M: Model> Property<M> {
    /// A property that must hold in every reachable state.
    pub fn always(name: &'static str, holds: fn(&M, &M::State) -> bool) -> Self {
        Property { name, holds }
    }
}

impl<M: Model> Clone for Property<M> {
    fn clone(&self) -> Self {
        Property {
            name: self.name,
            holds: self.holds,
        }
    }
}
