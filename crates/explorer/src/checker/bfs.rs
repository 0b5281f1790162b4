//! Breadth-first search, level by level: the states of one level are
//! expanded in parallel, then their successors are merged into the visited
//! set in frontier order, so the result never depends on the thread count.

use super::report::{Counterexample, Report};
use super::{broken_property, Checker};
use crate::model::Model;
use rayon::prelude::*;
use std::collections::HashMap;
use std::time::Instant;

/// Per visited fingerprint: the parent's fingerprint and the index of the
/// action taken there (`None` for an initial state).
type Parents = HashMap<u64, Option<(u64, u32)>>;

/// One state's successors not visited before this level: (action index,
/// state, fingerprint); how many transitions it has; whether the reduction
/// pruned some actions.
struct Expansion<S> {
    successors: Vec<(u32, S, u64)>,
    transitions: usize,
    reduced: bool,
}

pub(super) fn run<M: Model>(checker: &Checker<'_, M>) -> Report<M::Action> {
    let started = Instant::now();
    let model = checker.model;
    let properties = model.properties();
    let mut report = Report::new();
    let mut parents: Parents = HashMap::new();
    let mut frontier: Vec<(M::State, u64)> = Vec::new();
    for state in model.init_states() {
        let fp = checker.key(&state);
        if parents.contains_key(&fp) {
            continue;
        }
        parents.insert(fp, None);
        report.unique_states += 1;
        report.represented_states += checker.represents(&state);
        report.fullest_buffer = report.fullest_buffer.max(model.fullest_buffer(&state));
        if let Some(property) = broken_property(&properties, model, &state) {
            report.counterexample = Some(rebuild(checker, &parents, fp, property));
            return report.finish(started);
        }
        frontier.push((state, fp));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(checker.threads)
        .build()
        .ok();
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
        let expand = |(state, _): &(M::State, u64)| expand(checker, &parents, state);
        let expansions: Vec<Expansion<M::State>> = match &pool {
            Some(pool) => pool.install(|| frontier.par_iter().map(expand).collect()),
            None => frontier.iter().map(expand).collect(),
        };
        depth += 1;
        let mut next = Vec::new();
        for ((_, parent), expansion) in frontier.iter().zip(expansions) {
            if checker.record_terminals && expansion.transitions == 0 {
                report.terminal_states.push(*parent);
            }
            report.transitions += expansion.transitions;
            report.reduced_states += usize::from(expansion.reduced);
            for (index, state, fp) in expansion.successors {
                if parents.contains_key(&fp) {
                    continue;
                }
                if checker.max_states.is_some_and(|max| parents.len() >= max) {
                    report.state_bound_hit = true;
                    break 'levels;
                }
                parents.insert(fp, Some((*parent, index)));
                report.unique_states += 1;
                report.represented_states += checker.represents(&state);
                report.max_depth = depth;
                report.fullest_buffer = report.fullest_buffer.max(model.fullest_buffer(&state));
                if let Some(property) = broken_property(&properties, model, &state) {
                    report.counterexample = Some(rebuild(checker, &parents, fp, property));
                    break 'levels;
                }
                next.push((state, fp));
            }
        }
        frontier = next;
        if let Some(progress) = checker.progress {
            progress(&report.progress(depth, frontier.len(), started));
        }
    }
    report.finish(started)
}

/// The successors of `state`: those of the model's persistent subset when
/// reduction is on and none of them is visited yet (the cycle proviso:
/// every cycle closes on a visited state, so some state on it is fully
/// expanded), otherwise those of every action.
fn expand<M: Model>(
    checker: &Checker<'_, M>,
    visited: &Parents,
    state: &M::State,
) -> Expansion<M::State> {
    let model = checker.model;
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    let successor = |i: usize| {
        let next = model.next_state(state, &actions[i]);
        let fp = checker.key(&next);
        (i as u32, next, fp)
    };
    if checker.reduce {
        if let Some(subset) = model.persistent_subset(state, &actions) {
            if subset.len() < actions.len() {
                let successors: Vec<_> = subset.iter().map(|&i| successor(i)).collect();
                if successors
                    .iter()
                    .all(|(_, _, fp)| !visited.contains_key(fp))
                {
                    return Expansion {
                        transitions: successors.len(),
                        successors,
                        reduced: true,
                    };
                }
            }
        }
    }
    // Successors already visited are dropped here, in parallel, so a level
    // never holds more states than it discovers.
    Expansion {
        successors: (0..actions.len())
            .map(successor)
            .filter(|(_, _, fp)| !visited.contains_key(fp))
            .collect(),
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
