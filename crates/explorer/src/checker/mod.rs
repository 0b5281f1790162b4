//! Checkers as builders: `Checker::new(&model).threads(2).max_depth(50).bfs()`.

mod bfs;
mod concurrent_set;
mod dfs;
mod parallel_dfs;
mod progress;
mod report;
mod visited;

pub use report::{Counterexample, Progress, Report, Verdict};

use crate::model::Model;

/// Search options for a [`Model`]; [`Checker::bfs`] or [`Checker::dfs`]
/// runs the search.
pub struct Checker<'m, M> {
    model: &'m M,
    threads: usize,
    max_depth: Option<usize>,
    max_states: Option<usize>,
    reduce: bool,
    symmetry: bool,
    progress: Option<&'m (dyn Fn(&Progress) + Sync)>,
    record_terminals: bool,
}

impl<'m, M: Model> Checker<'m, M> {
    /// Options for exploring `model`: all available cores, no depth or
    /// state bound, partial-order reduction on.
    pub fn new(model: &'m M) -> Self {
        Checker {
            model,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_depth: None,
            max_states: None,
            reduce: true,
            symmetry: true,
            progress: None,
            record_terminals: false,
        }
    }

    /// Worker threads (at least 1).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// States deeper than `depth` steps from the start are not expanded.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// The search stops once `states` unique states are known.
    pub fn max_states(mut self, states: usize) -> Self {
        self.max_states = Some(states);
        self
    }

    /// Whether to explore only the model's persistent subsets
    /// ([`Model::persistent_subset`]) where the cycle proviso allows.
    pub fn partial_order_reduction(mut self, on: bool) -> Self {
        self.reduce = on;
        self
    }

    /// Whether breadth- and depth-first search store states up to the
    /// model's symmetries ([`Model::symmetric_fingerprint`]; on by
    /// default, a no-op for models without any). The progress check never
    /// does: its lasso walks stored successors, which must be the states'
    /// own.
    pub fn symmetry(mut self, on: bool) -> Self {
        self.symmetry = on;
        self
    }

    /// The fingerprint the visited set keys `state` by.
    fn key(&self, state: &M::State) -> u64 {
        if self.symmetry {
            self.model.symmetric_fingerprint(state)
        } else {
            self.model.fingerprint(state)
        }
    }

    /// The key of `next`, just written by `Model::next_state_into` from
    /// `state`, whose key is `state_key`.
    fn successor_key(&self, state: &M::State, state_key: u64, next: &M::State) -> u64 {
        if self.symmetry {
            self.model
                .symmetric_successor_fingerprint(state, state_key, next)
        } else {
            self.model.successor_fingerprint(state, state_key, next)
        }
    }

    /// Counts a newly visited `state`, `depth` steps from the start, in
    /// `report`.
    fn count_new(&self, report: &mut Report<M::Action>, state: &M::State, depth: usize) {
        report.unique_states += 1;
        report.represented_states += self.represents(state);
        report.max_depth = report.max_depth.max(depth);
        report.fullest_buffer = report.fullest_buffer.max(self.model.fullest_buffer(state));
    }

    /// How many states a newly visited `state` stands for.
    fn represents(&self, state: &M::State) -> usize {
        if self.symmetry {
            self.model.orbit_size(state)
        } else {
            1
        }
    }

    /// Calls `report` as the search goes (after each breadth-first level,
    /// every 65,536 states depth-first), for a progress line.
    pub fn on_progress(mut self, report: &'m (dyn Fn(&Progress) + Sync)) -> Self {
        self.progress = Some(report);
        self
    }

    /// Keeps the fingerprints of the terminal states found (states with no
    /// enabled action) in [`Report::terminal_states`] (breadth-first only),
    /// e.g. to compare searches with and without reduction.
    pub fn record_terminal_states(mut self) -> Self {
        self.record_terminals = true;
        self
    }

    /// Breadth-first search: the counterexample found is a shortest one
    /// (the first in action order among the shortest), whatever the
    /// thread count.
    pub fn bfs(self) -> Report<M::Action> {
        bfs::run(&self)
    }

    /// Breadth-first search that also checks progress: from every
    /// reachable state a final state ([`Model::is_final`]) is reachable.
    /// It keeps the whole graph, runs on one thread and never reduces
    /// (persistent sets need not preserve reachability of final states
    /// from every state). A failure is a lasso: see
    /// [`Counterexample::loop_start`].
    pub fn bfs_with_progress(self) -> Report<M::Action> {
        progress::run(&self)
    }

    /// Depth-first search: memory for the visited set and one path per
    /// thread. It runs on the worker threads when neither partial-order
    /// reduction nor a depth or state bound is on (each makes what is
    /// visited depend on the order), on one thread otherwise; either way
    /// the counts, the verdict and the counterexample are those of one
    /// thread, and only [`Report::max_depth`] (the deepest path followed)
    /// can vary with the threads' timing.
    pub fn dfs(self) -> Report<M::Action> {
        let order_free = !self.reduce && self.max_depth.is_none() && self.max_states.is_none();
        if self.threads > 1 && order_free {
            parallel_dfs::run(&self)
        } else {
            dfs::run(&self)
        }
    }
}

/// A copy of `state`, written over `spare` (reusing its storage) when
/// there is one.
fn copy_over<S: Clone>(spare: Option<Box<S>>, state: &S) -> Box<S> {
    match spare {
        Some(mut copy) => {
            (*copy).clone_from(state);
            copy
        }
        None => Box::new(state.clone()),
    }
}

/// The first property of `model` that `state` breaks.
fn broken_property<M: Model>(
    properties: &[crate::model::Property<M>],
    model: &M,
    state: &M::State,
) -> Option<&'static str> {
    properties
        .iter()
        .find(|p| !(p.holds)(model, state))
        .map(|p| p.name)
}
