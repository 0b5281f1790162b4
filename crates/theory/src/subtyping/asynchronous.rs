//! Bounded, sound asynchronous subtyping on machines.
//!
//! The check explores pairs `(T state, U term)` where the term is the
//! supertype with a finite context of actions it still owes (see
//! [`super::context`]), following the input-context relation of Chen et al.
//! (2017) and Bravetti et al. (CONCUR 2019), generalised to many partners as
//! in Ghilezan et al. (POPL 2021):
//!
//! - `T = p!{l_i}`: every path of the term passes inputs (from anyone) and
//!   outputs to partners other than `p` until it reaches an output to `p`
//!   offering every `l_i`; the pair continues as `(T_i, A[U_k,i])`.
//! - `T = p?{l_j}`: every path passes only inputs from partners other than
//!   `p` until an input from `p` whose labels `T` all accepts; when the
//!   holes offer different label sets the answer is unknown.
//! - `end` only matches `end`.
//!
//! Every rule is deterministic, so one global visited set gives the greatest
//! fixed point. Owed actions must eventually be performed: a context holding
//! an action class the subtype can never perform again is a definite
//! violation (orphan messages), and an explored cycle along which the root of
//! the context is never consumed is not trusted (the answer is then unknown).

use super::context::{Term, TermId, TermStore};
use super::machine::{branch_named, is_send, ActionClass, ClassSet, Machine, Node};
use super::{AsyncSubtypeConfig, Verdict};
use std::collections::{HashMap, HashSet, VecDeque};
use telltale_types::stack::with_headroom;
use telltale_types::Label;

/// Why one step could not continue.
enum Stop {
    /// A definite violation.
    NotSubtype,
    /// Outside what the rules decide, or over a bound.
    Unknown,
}

/// Which action the subtype performs, deciding the holes and the allowed context.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Step {
    /// The class of the subtype's action; holes are nodes of this class.
    hole: ActionClass,
}

impl Step {
    /// Whether a pending action of `class` may stay in front of the hole.
    fn allows_in_context(self, class: ActionClass) -> bool {
        if is_send(self.hole) {
            // Before an output to p: any input, and outputs to other partners.
            class != self.hole
        } else {
            // Before an input from p: only inputs from other partners.
            !is_send(class) && class != self.hole
        }
    }
}

/// Decides `t ≤ u` asynchronously within the bounds of `config`.
pub(crate) fn async_machines(
    t: &Machine,
    u: &Machine,
    class_count: usize,
    config: &AsyncSubtypeConfig,
) -> Verdict {
    let mut search = Search {
        t,
        u,
        config,
        store: TermStore::new(class_count),
        t_can: t.reachable_classes(class_count),
        pairs: Vec::new(),
        edges: Vec::new(),
        visited: HashMap::new(),
    };
    search.run()
}

/// The state of one exploration.
struct Search<'a> {
    t: &'a Machine,
    u: &'a Machine,
    config: &'a AsyncSubtypeConfig,
    store: TermStore,
    /// Classes each subtype state may still perform.
    t_can: Vec<ClassSet>,
    /// Explored pairs, by discovery order.
    pairs: Vec<(usize, TermId)>,
    /// Successors of each explored pair.
    edges: Vec<Vec<usize>>,
    visited: HashMap<(usize, TermId), usize>,
}

impl Search<'_> {
    fn run(&mut self) -> Verdict {
        let root = self.store.leaf(self.u.initial);
        let mut queue = VecDeque::new();
        self.pairs.push((self.t.initial, root));
        self.edges.push(Vec::new());
        self.visited.insert((self.t.initial, root), 0);
        queue.push_back(0);
        let mut unknown = false;
        while let Some(index) = queue.pop_front() {
            let (t_state, term) = self.pairs[index];
            let successors = match self.successors(t_state, term) {
                Ok(successors) => successors,
                Err(Stop::NotSubtype) => return Verdict::NotSubtype,
                Err(Stop::Unknown) => {
                    unknown = true;
                    continue;
                }
            };
            for pair in successors {
                if !self.store.classes(pair.1).is_subset(&self.t_can[pair.0]) {
                    // The subtype can never perform some action the supertype owes.
                    return Verdict::NotSubtype;
                }
                let target = match self.visited.get(&pair) {
                    Some(&target) => target,
                    None => {
                        if self.pairs.len() >= self.config.max_steps {
                            return Verdict::Unknown;
                        }
                        let target = self.pairs.len();
                        self.pairs.push(pair);
                        self.edges.push(Vec::new());
                        self.visited.insert(pair, target);
                        queue.push_back(target);
                        target
                    }
                };
                self.edges[index].push(target);
            }
        }
        if unknown || self.has_cycle_with_owed_actions() {
            Verdict::Unknown
        } else {
            Verdict::Subtype
        }
    }

    /// The pairs that must hold for `(t_state, term)` to hold.
    fn successors(&mut self, t_state: usize, term: TermId) -> Result<Vec<(usize, TermId)>, Stop> {
        let (t, u) = (self.t, self.u);
        let Node::Comm { class, branches } = &t.nodes[t_state] else {
            return match self.store.term(term) {
                Term::Leaf(s) if matches!(u.nodes[*s], Node::End) => Ok(Vec::new()),
                _ => Err(Stop::NotSubtype),
            };
        };
        let step = Step { hole: *class };
        let mut memo = HashMap::new();
        let expanded = self.expand(term, step, &mut Vec::new(), &mut memo)?;
        let holes = self.holes(expanded, step);
        let mut labels: Vec<&Label> = Vec::new();
        if is_send(step.hole) {
            // Every label the subtype may send must be offered by every hole.
            for &hole in &holes {
                for (label, _) in branches {
                    match branch_named(self.hole_branches(hole), label) {
                        Some((offered, _)) if offered.sort == label.sort => {}
                        _ => return Err(Stop::NotSubtype),
                    }
                }
            }
            labels.extend(branches.iter().map(|(l, _)| l));
        } else {
            // The subtype must accept every label a hole may receive.
            let mut label_sets = Vec::with_capacity(holes.len());
            for &hole in &holes {
                let hole_branches = self.hole_branches(hole);
                for (label, _) in hole_branches {
                    match branch_named(branches, label) {
                        Some((accepted, _)) if accepted.sort == label.sort => {}
                        _ => return Err(Stop::NotSubtype),
                    }
                }
                let mut names: Vec<&str> = hole_branches.iter().map(|(l, _)| &*l.name).collect();
                names.sort_unstable();
                label_sets.push(names);
            }
            if label_sets.windows(2).any(|pair| pair[0] != pair[1]) {
                // Holes receiving different labels need a disjunction the rules lack.
                return Err(Stop::Unknown);
            }
            if let Some(&hole) = holes.first() {
                labels.extend(self.hole_branches(hole).iter().map(|(l, _)| l));
            }
        }
        let labels: Vec<Label> = labels.into_iter().cloned().collect();
        let mut successors = Vec::with_capacity(labels.len());
        for label in &labels {
            let Some(&(_, t_next)) = branch_named(branches, label) else {
                return Err(Stop::NotSubtype);
            };
            let mut memo = HashMap::new();
            let next = self.select(expanded, step, label, &mut memo);
            if self.store.size(next) > self.config.max_context_size {
                return Err(Stop::Unknown);
            }
            successors.push((t_next, next));
        }
        Ok(successors)
    }

    /// The branches of the machine state a hole stands for.
    fn hole_branches(&self, hole: TermId) -> &[(Label, usize)] {
        match self.store.term(hole) {
            Term::Pending { state, .. } => match &self.u.nodes[*state] {
                Node::Comm { branches, .. } => branches,
                Node::End => &[],
            },
            Term::Leaf(_) => &[],
        }
    }

    /// Rewrites `term` so that every path reaches a hole of `step`, unfolding
    /// leaves through the machine; fails when a path cannot reach one.
    /// `path` holds the machine states being unfolded on the current path.
    fn expand(
        &mut self,
        term: TermId,
        step: Step,
        path: &mut Vec<usize>,
        memo: &mut HashMap<TermId, TermId>,
    ) -> Result<TermId, Stop> {
        with_headroom(|| {
            if let Some(&done) = memo.get(&term) {
                return Ok(done);
            }
            let result = match self.store.term(term).clone() {
                Term::Pending { state, children } => {
                    let class = self.store.root_class(term).unwrap_or(step.hole);
                    if class == step.hole {
                        term
                    } else if step.allows_in_context(class) {
                        let mut new_children = Vec::with_capacity(children.len());
                        for &child in children.iter() {
                            new_children.push(self.expand(child, step, path, memo)?);
                        }
                        self.pending_within_bound(state, class, new_children)?
                    } else {
                        return Err(Stop::NotSubtype);
                    }
                }
                Term::Leaf(state) => {
                    let Node::Comm { class, branches } = &self.u.nodes[state] else {
                        return Err(Stop::NotSubtype);
                    };
                    if *class != step.hole && !step.allows_in_context(*class) {
                        return Err(Stop::NotSubtype);
                    }
                    if path.contains(&state) {
                        // The supertype loops without ever reaching the hole.
                        return Err(Stop::NotSubtype);
                    }
                    let targets: Vec<usize> = branches.iter().map(|&(_, to)| to).collect();
                    let class = *class;
                    let mut children = Vec::with_capacity(targets.len());
                    if class == step.hole {
                        children.extend(targets.into_iter().map(|to| self.store.leaf(to)));
                    } else {
                        path.push(state);
                        for to in targets {
                            let leaf = self.store.leaf(to);
                            match self.expand(leaf, step, path, memo) {
                                Ok(child) => children.push(child),
                                Err(stop) => {
                                    path.pop();
                                    return Err(stop);
                                }
                            }
                        }
                        path.pop();
                    }
                    self.pending_within_bound(state, class, children)?
                }
            };
            memo.insert(term, result);
            Ok(result)
        })
    }

    fn pending_within_bound(
        &mut self,
        state: usize,
        class: ActionClass,
        children: Vec<TermId>,
    ) -> Result<TermId, Stop> {
        let id = self
            .store
            .pending(state, class, children.into_boxed_slice());
        if self.store.size(id) > self.config.max_context_size.saturating_add(1) {
            return Err(Stop::Unknown);
        }
        Ok(id)
    }

    /// The distinct hole nodes of an expanded term, in discovery order.
    fn holes(&self, expanded: TermId, step: Step) -> Vec<TermId> {
        let mut holes = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![expanded];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            if self.store.root_class(id) == Some(step.hole) {
                holes.push(id);
            } else if let Term::Pending { children, .. } = self.store.term(id) {
                stack.extend(children.iter().rev());
            }
        }
        holes
    }

    /// Replaces every hole of an expanded term by its `label` branch.
    fn select(
        &mut self,
        term: TermId,
        step: Step,
        label: &Label,
        memo: &mut HashMap<TermId, TermId>,
    ) -> TermId {
        with_headroom(|| {
            if let Some(&done) = memo.get(&term) {
                return done;
            }
            let Term::Pending { state, children } = self.store.term(term).clone() else {
                // Expansion leaves no leaf above a hole.
                return term;
            };
            let class = self.store.root_class(term).unwrap_or(step.hole);
            let result = if class == step.hole {
                let position = match &self.u.nodes[state] {
                    Node::Comm { branches, .. } => {
                        branches.iter().position(|(l, _)| l.name == label.name)
                    }
                    Node::End => None,
                };
                // Holes were checked to offer `label` before selection.
                position.map_or(term, |i| children[i])
            } else {
                let new_children: Vec<TermId> = children
                    .iter()
                    .map(|&c| self.select(c, step, label, memo))
                    .collect();
                self.store
                    .pending(state, class, new_children.into_boxed_slice())
            };
            memo.insert(term, result);
            result
        })
    }

    /// Whether some cycle of explored pairs never consumes the root of the
    /// context, which could hide an action owed forever.
    ///
    /// A pending action that is never performed keeps all its ancestors
    /// forever too (contexts only grow at their leaves), so along such a path
    /// the root of the context eventually stays the same. Conversely, if every
    /// cycle passes a pair whose context is empty or whose root is the hole
    /// consumed by the step, every owed action is eventually performed.
    fn has_cycle_with_owed_actions(&self) -> bool {
        let owing: Vec<bool> = self
            .pairs
            .iter()
            .map(|&(t_state, term)| {
                let consumes_root = match &self.t.nodes[t_state] {
                    Node::Comm { class, .. } => self.store.root_class(term) == Some(*class),
                    Node::End => false,
                };
                self.store.size(term) > 0 && !consumes_root
            })
            .collect();
        // Kahn's algorithm on the subgraph of owing pairs.
        let mut in_degree = vec![0usize; self.pairs.len()];
        for (from, targets) in self.edges.iter().enumerate() {
            if owing[from] {
                for &to in targets.iter().filter(|&&to| owing[to]) {
                    in_degree[to] += 1;
                }
            }
        }
        let mut ready: Vec<usize> = (0..self.pairs.len())
            .filter(|&i| owing[i] && in_degree[i] == 0)
            .collect();
        let mut removed = 0;
        while let Some(node) = ready.pop() {
            removed += 1;
            for &to in self.edges[node].iter().filter(|&&to| owing[to]) {
                in_degree[to] -= 1;
                if in_degree[to] == 0 {
                    ready.push(to);
                }
            }
        }
        removed < owing.iter().filter(|&&o| o).count()
    }
}
