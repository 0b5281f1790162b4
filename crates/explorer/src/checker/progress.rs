//! The progress check: from every reachable state a final state is
//! reachable. A breadth-first search that keeps the whole graph (successor
//! fingerprints per state), then a backward pass from the final states; a
//! state left over is the start of a lasso counterexample: a shortest path
//! to it, then successors followed until a state repeats (every successor
//! of such a state is such a state too, so the walk closes a cycle that
//! never reaches a final state).

use super::report::{Counterexample, Report};
use super::visited::{FingerprintMap, FingerprintSet};
use super::{broken_property, Checker};
use crate::model::Model;
use std::time::Instant;

/// A visited state: how it was first reached, and its successors (action
/// index, fingerprint) in action order.
struct Node {
    parent: Option<(u64, u32)>,
    successors: Vec<(u32, u64)>,
}

pub(super) fn run<M: Model>(checker: &Checker<'_, M>) -> Report<M::Action> {
    let started = Instant::now();
    let model = checker.model;
    let properties = model.properties();
    let mut report = Report::new();
    let mut nodes: FingerprintMap<Node> = FingerprintMap::default();
    let mut order: Vec<u64> = Vec::new();
    let mut finals: Vec<u64> = Vec::new();
    let mut frontier: Vec<(M::State, u64, usize)> = Vec::new();
    let mut admit = |state: &M::State,
                     fp: u64,
                     parent: Option<(u64, u32)>,
                     report: &mut Report<M::Action>,
                     nodes: &mut FingerprintMap<Node>|
     -> Option<&'static str> {
        nodes.insert(
            fp,
            Node {
                parent,
                successors: Vec::new(),
            },
        );
        order.push(fp);
        if model.is_final(state) {
            finals.push(fp);
        }
        report.unique_states += 1;
        report.represented_states += 1;
        report.fullest_buffer = report.fullest_buffer.max(model.fullest_buffer(state));
        broken_property(&properties, model, state)
    };
    let mut broken = None;
    for state in model.init_states() {
        let fp = model.fingerprint(&state);
        if nodes.contains_key(&fp) {
            continue;
        }
        if let Some(p) = admit(&state, fp, None, &mut report, &mut nodes) {
            broken = Some((fp, p));
            break;
        }
        frontier.push((state, fp, 0));
    }
    let mut head = 0;
    while broken.is_none() && head < frontier.len() {
        let (state, fp, depth) = {
            let (s, fp, d) = &frontier[head];
            (s.clone(), *fp, *d)
        };
        head += 1;
        if checker.max_depth.is_some_and(|max| depth >= max) {
            let mut actions = Vec::new();
            model.actions(&state, &mut actions);
            report.depth_bound_hit |= !actions.is_empty();
            continue;
        }
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let mut successors = Vec::with_capacity(actions.len());
        for (i, action) in actions.iter().enumerate() {
            let next = model.next_state(&state, action);
            let next_fp = model.fingerprint(&next);
            report.transitions += 1;
            successors.push((i as u32, next_fp));
            if nodes.contains_key(&next_fp) {
                continue;
            }
            if checker.max_states.is_some_and(|max| nodes.len() >= max) {
                report.state_bound_hit = true;
                break;
            }
            report.max_depth = report.max_depth.max(depth + 1);
            if let Some(p) = admit(
                &next,
                next_fp,
                Some((fp, i as u32)),
                &mut report,
                &mut nodes,
            ) {
                broken = Some((next_fp, p));
                break;
            }
            frontier.push((next, next_fp, depth + 1));
        }
        if let Some(node) = nodes.get_mut(&fp) {
            node.successors = successors;
        }
        if report.state_bound_hit {
            break;
        }
        // Expanded states are not needed again: free them as we go.
        if head > 4096 {
            frontier.drain(..head);
            head = 0;
        }
    }
    if let Some((fp, property)) = broken {
        let indices = path_to(&nodes, fp);
        report.counterexample = Some(replay(model, &nodes, &indices, fp, property, None));
        return report.finish(started);
    }
    if report.depth_bound_hit || report.state_bound_hit {
        return report.finish(started);
    }
    let good = can_finish(&nodes, &finals);
    if let Some(&stuck) = order.iter().find(|fp| !good.contains(fp)) {
        let stem = path_to(&nodes, stuck);
        let (walk, loop_start) = cycle_from(&nodes, stuck);
        let mut indices = stem.clone();
        indices.extend(walk);
        report.counterexample = Some(replay(
            model,
            &nodes,
            &indices,
            stuck,
            "progress",
            Some(stem.len() + loop_start),
        ));
    }
    report.finish(started)
}

/// The states from which some final state is reachable (a backward pass).
fn can_finish(nodes: &FingerprintMap<Node>, finals: &[u64]) -> FingerprintSet {
    let mut preds: FingerprintMap<Vec<u64>> = FingerprintMap::default();
    for (fp, node) in nodes {
        for (_, next) in &node.successors {
            preds.entry(*next).or_default().push(*fp);
        }
    }
    let mut good: FingerprintSet = finals.iter().copied().collect();
    let mut work: Vec<u64> = finals.to_vec();
    while let Some(fp) = work.pop() {
        for p in preds.get(&fp).into_iter().flatten() {
            if good.insert(*p) {
                work.push(*p);
            }
        }
    }
    good
}

/// The action indices of the recorded path from an initial state to `fp`.
fn path_to(nodes: &FingerprintMap<Node>, fp: u64) -> Vec<u32> {
    let mut indices = Vec::new();
    let mut at = fp;
    while let Some((parent, index)) = nodes.get(&at).and_then(|n| n.parent) {
        indices.push(index);
        at = parent;
    }
    indices.reverse();
    indices
}

/// From `start`, the first successor of each state until one repeats: the
/// action indices walked, and where in them the cycle starts.
fn cycle_from(nodes: &FingerprintMap<Node>, start: u64) -> (Vec<u32>, usize) {
    let mut seen: FingerprintMap<usize> = FingerprintMap::default();
    let mut walk = Vec::new();
    let mut at = start;
    loop {
        if let Some(&position) = seen.get(&at) {
            return (walk, position);
        }
        seen.insert(at, walk.len());
        let Some(&(index, next)) = nodes.get(&at).and_then(|n| n.successors.first()) else {
            return (walk, 0);
        };
        walk.push(index);
        at = next;
    }
}

/// Turns action indices from the initial state of `target`'s path into
/// actions, replaying them.
fn replay<M: Model>(
    model: &M,
    nodes: &FingerprintMap<Node>,
    indices: &[u32],
    target: u64,
    property: &'static str,
    loop_start: Option<usize>,
) -> Counterexample<M::Action> {
    let mut root = target;
    while let Some((parent, _)) = nodes.get(&root).and_then(|n| n.parent) {
        root = parent;
    }
    let mut actions = Vec::with_capacity(indices.len());
    let start = model
        .init_states()
        .into_iter()
        .find(|s| model.fingerprint(s) == root);
    if let Some(mut state) = start {
        for &index in indices {
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
        loop_start,
    }
}
