//! Depth-first search: the visited set and one path of frames.

use super::report::{Counterexample, Report};
use super::visited::FingerprintSet;
use super::{broken_property, copy_over, Checker};
use crate::model::Model;
use std::time::Instant;

/// A state on the current path, with the actions still to try from it.
pub(super) struct Frame<S, A> {
    /// Boxed, like every state the searches keep: states are large, and
    /// frames and spares move.
    pub(super) state: Box<S>,
    /// The state's key.
    pub(super) fp: u64,
    pub(super) actions: Vec<A>,
    order: Vec<usize>,
    next: usize,
    /// The index of the action that led here from the frame below.
    taken: Option<usize>,
}

pub(super) fn run<M: Model>(checker: &Checker<'_, M>) -> Report<M::Action> {
    run_from(checker, Instant::now())
}

/// Depth-first search on one thread, its time counted from `started`.
pub(super) fn run_from<M: Model>(checker: &Checker<'_, M>, started: Instant) -> Report<M::Action> {
    let model = checker.model;
    let properties = model.properties();
    let mut report = Report::new();
    let mut visited = FingerprintSet::default();
    'starts: for state in model.init_states() {
        let fp = checker.key(&state);
        if !visited.insert(fp) {
            continue;
        }
        checker.count_new(&mut report, &state, 0);
        if let Some(property) = broken_property(&properties, model, &state) {
            report.counterexample = Some(Counterexample {
                property,
                actions: Vec::new(),
                loop_start: None,
            });
            break;
        }
        // Successors are written into one scratch state and copied onto
        // the stack only when they are new.
        let mut scratch = state.clone();
        let mut spares = Spares::default();
        let seen = |fp: u64| visited.contains(&fp);
        let mut stack = vec![frame(
            checker,
            seen,
            Box::new(state),
            fp,
            None,
            &mut scratch,
            &mut spares,
        )];
        report.reduced_states += usize::from(stack[0].order.len() < stack[0].actions.len());
        while let Some(index) = next_move(&mut stack, &mut spares) {
            let Some(top) = stack.last() else { break };
            model.next_state_into(&top.state, &top.actions[index], &mut scratch);
            report.transitions += 1;
            let fp = checker.successor_key(&top.state, top.fp, &scratch);
            if visited.contains(&fp) {
                continue;
            }
            if checker.max_states.is_some_and(|max| visited.len() >= max) {
                report.state_bound_hit = true;
                break 'starts;
            }
            visited.insert(fp);
            let next = copy_over(spares.states.pop(), &scratch);
            checker.count_new(&mut report, &next, stack.len());
            if let Some(progress) = checker
                .progress
                .filter(|_| report.unique_states % 65_536 == 0)
            {
                progress(&report.progress(stack.len(), stack.len(), started));
            }
            if let Some(property) = broken_property(&properties, model, &next) {
                let mut actions: Vec<M::Action> = stack
                    .windows(2)
                    .filter_map(|w| w[1].taken.map(|i| w[0].actions[i].clone()))
                    .collect();
                if let Some(top) = stack.last() {
                    actions.push(top.actions[index].clone());
                }
                report.counterexample = Some(Counterexample {
                    property,
                    actions,
                    loop_start: None,
                });
                break 'starts;
            }
            if checker.max_depth.is_some_and(|max| stack.len() >= max) {
                let mut actions = Vec::new();
                model.actions(&next, &mut actions);
                report.depth_bound_hit |= !actions.is_empty();
                spares.states.push(next);
                continue;
            }
            let f = frame(
                checker,
                |fp| visited.contains(&fp),
                next,
                fp,
                Some(index),
                &mut scratch,
                &mut spares,
            );
            report.reduced_states += usize::from(f.order.len() < f.actions.len());
            stack.push(f);
        }
    }
    report.finish(started)
}

/// What popped frames leave for new ones: their states, whose storage
/// new states are written over, and their lists.
pub(super) struct Spares<S, A> {
    pub(super) states: Vec<Box<S>>,
    lists: Vec<(Vec<A>, Vec<usize>)>,
}

impl<S, A> Default for Spares<S, A> {
    fn default() -> Self {
        Spares {
            states: Vec::new(),
            lists: Vec::new(),
        }
    }
}

impl<S, A> Spares<S, A> {
    /// Keeps what `frame` holds.
    pub(super) fn keep(&mut self, frame: Frame<S, A>) {
        self.states.push(frame.state);
        self.lists.push((frame.actions, frame.order));
    }
}

/// The index of the next action to try from the top frame of `stack`
/// (counted as tried), popping the frames with none left (into `spares`);
/// `None` once the path is empty.
pub(super) fn next_move<S, A>(
    stack: &mut Vec<Frame<S, A>>,
    spares: &mut Spares<S, A>,
) -> Option<usize> {
    loop {
        let top = stack.last_mut()?;
        if let Some(&index) = top.order.get(top.next) {
            top.next += 1;
            return Some(index);
        }
        if let Some(done) = stack.pop() {
            spares.keep(done);
        }
    }
}

/// A frame for `state`: its actions, and the order to try them in (the
/// persistent subset when reduction is on and none of its successors is
/// `visited` yet: the cycle proviso, as in breadth-first search).
pub(super) fn frame<M: Model>(
    checker: &Checker<'_, M>,
    visited: impl Fn(u64) -> bool,
    state: Box<M::State>,
    fp: u64,
    taken: Option<usize>,
    scratch: &mut M::State,
    spares: &mut Spares<M::State, M::Action>,
) -> Frame<M::State, M::Action> {
    let model = checker.model;
    let (mut actions, mut order) = spares.lists.pop().unwrap_or_default();
    actions.clear();
    model.actions(&state, &mut actions);
    order.clear();
    order.extend(0..actions.len());
    if checker.reduce {
        if let Some(subset) = model.persistent_subset(&state, &actions) {
            let fresh = subset.iter().all(|&i| {
                model.next_state_into(&state, &actions[i], scratch);
                !visited(checker.successor_key(&state, fp, scratch))
            });
            if fresh && subset.len() < actions.len() {
                order = subset;
            }
        }
    }
    Frame {
        state,
        fp,
        actions,
        order,
        next: 0,
        taken,
    }
}
