//! What a search found.

use std::time::Duration;

/// The outcome of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every reachable state was visited and every property holds.
    Holds,
    /// A reachable state breaks a property.
    Violated,
    /// A depth or state bound stopped the search first; no violation was
    /// found in the part explored.
    Incomplete,
}

/// A path from an initial state to a state that breaks a property.
#[derive(Clone, Debug)]
pub struct Counterexample<A> {
    /// The property broken.
    pub property: &'static str,
    /// The actions from the initial state, in order.
    pub actions: Vec<A>,
    /// For a lasso (the `progress` check): the index in `actions` where
    /// the cycle starts; the actions from there on repeat forever without
    /// reaching a final state.
    pub loop_start: Option<usize>,
}

/// How far a running search has come.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Distinct states visited so far.
    pub unique_states: usize,
    /// Transitions taken so far.
    pub transitions: usize,
    /// The current depth.
    pub depth: usize,
    /// States waiting to be expanded (the next level, or the path).
    pub queue: usize,
    /// Time since the search started.
    pub elapsed: Duration,
}

/// The result of a search, with its statistics.
#[derive(Clone, Debug)]
pub struct Report<A> {
    /// The verdict.
    pub verdict: Verdict,
    /// The violation, when the verdict is `Violated`.
    pub counterexample: Option<Counterexample<A>>,
    /// Distinct states visited (by fingerprint).
    pub unique_states: usize,
    /// Transitions taken (successor states computed).
    pub transitions: usize,
    /// The deepest state visited, in steps from the start.
    pub max_depth: usize,
    /// The fullest buffer in any visited state (compare with the bound k:
    /// below k, the result holds for every larger bound).
    pub fullest_buffer: usize,
    /// Whether a depth bound cut the search.
    pub depth_bound_hit: bool,
    /// Whether the state bound cut the search.
    pub state_bound_hit: bool,
    /// States where the reduction explored a proper subset of the actions.
    pub reduced_states: usize,
    /// The states the visited ones stand for: the sum of their orbit
    /// sizes under the model's symmetries (`unique_states` without
    /// symmetry). With a complete group and no other reduction, it is the
    /// number of unique states a search without symmetry visits.
    pub represented_states: usize,
    /// Wall-clock time of the search.
    pub elapsed: Duration,
    /// Fingerprints of the terminal states visited, sorted, when the
    /// checker was asked to record them.
    pub terminal_states: Vec<u64>,
}

impl<A> Report<A> {
    pub(crate) fn new() -> Self {
        Report {
            verdict: Verdict::Holds,
            counterexample: None,
            unique_states: 0,
            transitions: 0,
            max_depth: 0,
            fullest_buffer: 0,
            depth_bound_hit: false,
            state_bound_hit: false,
            reduced_states: 0,
            represented_states: 0,
            elapsed: Duration::ZERO,
            terminal_states: Vec::new(),
        }
    }

    /// A progress snapshot of this report.
    pub(crate) fn progress(
        &self,
        depth: usize,
        queue: usize,
        started: std::time::Instant,
    ) -> Progress {
        Progress {
            unique_states: self.unique_states,
            transitions: self.transitions,
            depth,
            queue,
            elapsed: started.elapsed(),
        }
    }

    /// Settles the verdict from the counterexample and bounds.
    pub(crate) fn finish(mut self, started: std::time::Instant) -> Self {
        self.elapsed = started.elapsed();
        self.terminal_states.sort_unstable();
        self.verdict = if self.counterexample.is_some() {
            Verdict::Violated
        } else if self.depth_bound_hit || self.state_bound_hit {
            Verdict::Incomplete
        } else {
            Verdict::Holds
        };
        self
    }
}
