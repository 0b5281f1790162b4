//! Breadth-first search, level by level: the states of one level are
//! expanded in parallel, then their successors are merged into the visited
//! set in frontier order, so the result never depends on the thread count.
//!
//! A worker writes each successor into a scratch state and fingerprints
//! it; it copies out (and checks the properties of) only a successor not
//! visited in an earlier level and not claimed yet in this level by any
//! worker, so a state reached from many parents of one level is copied
//! once, not once per parent.

use super::report::{Counterexample, Report};
use super::visited::{ClaimSet, FingerprintMap};
use super::{broken_property, copy_over, Checker};
use crate::model::{Model, Property};
use rayon::prelude::*;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Per visited fingerprint: the parent's fingerprint and the index of the
/// action taken there (`None` for an initial state).
type Parents = FingerprintMap<Option<(u64, u32)>>;

/// A successor not visited before this level.
struct Successor<S> {
    action: u32,
    fp: u64,
    /// The state, if this successor's worker claimed its fingerprint
    /// (otherwise another successor of the level carries it).
    found: Option<Found<S>>,
}

/// A successor's state and what the merge needs to know of it, worked out
/// in parallel.
struct Found<S> {
    /// Boxed, like every state the search keeps: states are large, and
    /// the merge moves them.
    state: Box<S>,
    broken: Option<&'static str>,
    fullest_buffer: usize,
    represents: usize,
}

/// One state's successors not visited before this level; how many
/// transitions it has; whether the reduction pruned some actions.
struct Expansion<S> {
    successors: Vec<Successor<S>>,
    transitions: usize,
    reduced: bool,
}

pub(super) fn run<M: Model>(checker: &Checker<'_, M>) -> Report<M::Action> {
    let started = Instant::now();
    let model = checker.model;
    let properties = model.properties();
    let mut report = Report::new();
    let mut parents = Parents::default();
    let mut frontier: Vec<(Box<M::State>, u64)> = Vec::new();
    for state in model.init_states() {
        let fp = checker.key(&state);
        if parents.contains_key(&fp) {
            continue;
        }
        parents.insert(fp, None);
        checker.count_new(&mut report, &state, 0);
        if let Some(property) = broken_property(&properties, model, &state) {
            report.counterexample = Some(rebuild(checker, &parents, fp, property));
            return report.finish(started);
        }
        frontier.push((Box::new(state), fp));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(checker.threads)
        .build()
        .ok();
    let mut claims = ClaimSet::new();
    // The states of earlier levels, whose storage the copies of this
    // level reuse (instead of freeing and allocating as many).
    let mut spare = Spares::new(checker.threads);
    let mut depth = 0;
    'levels: while !frontier.is_empty() {
        if checker.max_depth.is_some_and(|max| depth >= max) {
            report.depth_bound_hit = frontier.iter().any(|(s, _)| {
                let mut actions = Vec::new();
                model.actions(s, &mut actions);
                !actions.is_empty()
            });
            break;
        }
        // Each worker writes successors into a scratch state of its own.
        let expand = |scratch: &mut Option<M::State>, (state, fp): &(Box<M::State>, u64)| {
            let shared = Shared {
                properties: &properties,
                visited: &parents,
                claims: &claims,
                spare: &spare,
            };
            expand(checker, &shared, state, *fp, scratch)
        };
        let mut expansions: Vec<Expansion<M::State>> = match &pool {
            Some(pool) => pool.install(|| frontier.par_iter().map_init(|| None, expand).collect()),
            None => {
                let mut scratch = None;
                frontier.iter().map(|s| expand(&mut scratch, s)).collect()
            }
        };
        claims.clear();
        // The copies, by fingerprint: the first successor with a given
        // fingerprint in frontier order need not be the one copied.
        let found = expansions
            .iter()
            .flat_map(|e| &e.successors)
            .filter(|s| s.found.is_some())
            .count();
        let mut copies: FingerprintMap<Found<M::State>> =
            FingerprintMap::with_capacity_and_hasher(found, Default::default());
        for successor in expansions.iter_mut().flat_map(|e| &mut e.successors) {
            if let Some(found) = successor.found.take() {
                copies.insert(successor.fp, found);
            }
        }
        parents.reserve(found);
        depth += 1;
        let mut next = Vec::with_capacity(found);
        for ((parent_state, parent), expansion) in frontier.iter().zip(expansions) {
            if checker.record_terminals && expansion.transitions == 0 {
                report.terminal_states.push(*parent);
            }
            report.transitions += expansion.transitions;
            report.reduced_states += usize::from(expansion.reduced);
            for Successor { action, fp, .. } in expansion.successors {
                if parents.contains_key(&fp) {
                    continue;
                }
                if checker.max_states.is_some_and(|max| parents.len() >= max) {
                    report.state_bound_hit = true;
                    break 'levels;
                }
                // A copy was dropped only if its claim was given up while
                // another worker skipped the state: work it out again.
                let found = copies.remove(&fp).unwrap_or_else(|| {
                    let mut actions = Vec::new();
                    model.actions(parent_state, &mut actions);
                    let state = model.next_state(parent_state, &actions[action as usize]);
                    found_state(checker, &properties, Box::new(state))
                });
                parents.insert(fp, Some((*parent, action)));
                report.unique_states += 1;
                report.represented_states += found.represents;
                report.max_depth = depth;
                report.fullest_buffer = report.fullest_buffer.max(found.fullest_buffer);
                if let Some(property) = found.broken {
                    report.counterexample = Some(rebuild(checker, &parents, fp, property));
                    break 'levels;
                }
                next.push((found.state, fp));
            }
        }
        let done = std::mem::replace(&mut frontier, next);
        spare.refill(done.into_iter().map(|(state, _)| state));
        if let Some(progress) = checker.progress {
            progress(&report.progress(depth, frontier.len(), started));
        }
    }
    let report = report.finish(started);
    // Free the states kept on the workers: each owns dozens of allocations.
    let mut leftovers = spare.into_states();
    leftovers.extend(frontier.into_iter().map(|(state, _)| state));
    match &pool {
        Some(pool) => pool.install(|| leftovers.into_par_iter().for_each(drop)),
        None => drop(leftovers),
    }
    report
}

/// What the workers of a level share.
struct Shared<'a, M: Model> {
    properties: &'a [Property<M>],
    visited: &'a Parents,
    claims: &'a ClaimSet,
    spare: &'a Spares<M::State>,
}

/// The states of earlier levels, whose storage the copies of this level
/// reuse: one pool per worker thread, so that workers neither
/// contend on one lock nor write over states another worker's cache
/// holds (a worker takes from another's pool only when its own is empty).
struct Spares<S> {
    pools: Vec<Mutex<Vec<Box<S>>>>,
}

impl<S> Spares<S> {
    fn new(threads: usize) -> Self {
        Spares {
            pools: (0..threads.max(1))
                .map(|_| Mutex::new(Vec::new()))
                .collect(),
        }
    }

    /// Adds `states` to the pools, in contiguous runs (the run a worker
    /// expanded tends to be the one it takes from). States left over are
    /// kept rather than freed one by one between levels: the search never
    /// holds more than its two largest consecutive levels' worth.
    fn refill(&mut self, states: impl ExactSizeIterator<Item = Box<S>>) {
        let run = states.len().div_ceil(self.pools.len()).max(1);
        for (i, state) in states.enumerate() {
            if let Some(pool) = self.pools.get_mut(i / run) {
                pool.get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(state);
            }
        }
    }

    /// Every state left, to be freed.
    fn into_states(self) -> Vec<Box<S>> {
        self.pools
            .into_iter()
            .flat_map(|pool| pool.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect()
    }

    /// A spare state, from this worker's pool if it has one.
    fn take(&self) -> Option<Box<S>> {
        let own = rayon::current_thread_index().unwrap_or(0) % self.pools.len();
        let order = (own..self.pools.len()).chain(0..own);
        order.into_iter().find_map(|i| {
            self.pools[i]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
        })
    }
}

/// What the merge needs to know of a newly found `state`.
fn found_state<M: Model>(
    checker: &Checker<'_, M>,
    properties: &[Property<M>],
    state: Box<M::State>,
) -> Found<M::State> {
    let model = checker.model;
    Found {
        broken: broken_property(properties, model, &state),
        fullest_buffer: model.fullest_buffer(&state),
        represents: checker.represents(&state),
        state,
    }
}

/// The successors of `state`: those of the model's persistent subset when
/// reduction is on and none of them is visited yet (the cycle proviso:
/// every cycle closes on a visited state, so some state on it is fully
/// expanded), otherwise those of every action.
fn expand<M: Model>(
    checker: &Checker<'_, M>,
    shared: &Shared<'_, M>,
    state: &M::State,
    state_fp: u64,
    scratch: &mut Option<M::State>,
) -> Expansion<M::State> {
    let Shared {
        properties,
        visited,
        claims,
        spare,
    } = *shared;
    let model = checker.model;
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    let work = scratch.get_or_insert_with(|| state.clone());
    let mut successor = |i: usize| {
        model.next_state_into(state, &actions[i], work);
        let fp = checker.successor_key(state, state_fp, work);
        (!visited.contains_key(&fp)).then(|| Successor {
            action: i as u32,
            fp,
            found: claims
                .claim(fp)
                .then(|| found_state(checker, properties, copy_over(spare.take(), work))),
        })
    };
    if checker.reduce {
        if let Some(subset) = model.persistent_subset(state, &actions) {
            if subset.len() < actions.len() {
                let mut met = Vec::new();
                let successors: Option<Vec<_>> = subset
                    .iter()
                    .map(|&i| {
                        let s = successor(i)?;
                        if s.found.is_some() {
                            met.push(s.fp);
                        }
                        Some(s)
                    })
                    .collect();
                if let Some(successors) = successors {
                    return Expansion {
                        transitions: successors.len(),
                        successors,
                        reduced: true,
                    };
                }
                // Fully expanded after all: give up the copies just dropped.
                for fp in met {
                    claims.release(fp);
                }
            }
        }
    }
    // Successors already visited are dropped here, in parallel, so a level
    // never holds more states than it discovers.
    Expansion {
        successors: (0..actions.len()).filter_map(successor).collect(),
        transitions: actions.len(),
        reduced: false,
    }
}

/// The path to `fp`: action indices from the parent map, replayed from the
/// initial state to recover the actions. Under symmetry each stored state
/// is the actual state first reached, produced from its parent's stored
/// state by the recorded action index, so replaying the indices from the
/// initial state reproduces those states, not symmetric images of them.
fn rebuild<M: Model>(
    checker: &Checker<'_, M>,
    parents: &Parents,
    fp: u64,
    property: &'static str,
) -> Counterexample<M::Action> {
    let mut indices = Vec::new();
    let mut at = fp;
    while let Some(Some((parent, index))) = parents.get(&at) {
        indices.push(*index);
        at = *parent;
    }
    indices.reverse();
    let model = checker.model;
    let mut actions = Vec::with_capacity(indices.len());
    let start = model
        .init_states()
        .into_iter()
        .find(|s| checker.key(s) == at);
    if let Some(mut state) = start {
        for index in indices {
            let mut enabled = Vec::new();
            model.actions(&state, &mut enabled);
            let Some(action) = enabled.get(index as usize).cloned() else {
                break;
            };
            state = model.next_state(&state, &action);
            actions.push(action);
        }
    }
    Counterexample {
        property,
        actions,
        loop_start: None,
    }
}
