//! Isomorphism of machines: the same graph up to renaming of states, used
//! to compare our projections with nuscr's.

use super::{Fsm, Transition};
use std::collections::{BTreeMap, HashMap};
use telltale_types::stack::with_headroom;

impl Fsm {
    /// Whether the parts of both machines reachable from their initial states
    /// are the same graph up to renaming of states (role names are ignored;
    /// compare [`Fsm::role`] separately when it matters).
    pub fn isomorphic(&self, other: &Fsm) -> bool {
        let left = self.outgoing_map();
        let right = other.outgoing_map();
        let mut forward = HashMap::new();
        let mut backward = HashMap::new();
        match_states(
            &left,
            &right,
            vec![(self.initial, other.initial)],
            &mut forward,
            &mut backward,
        )
    }
}

/// Extends a partial state bijection to cover everything reachable from `pending`,
/// backtracking over the ways to pair transitions that carry the same action.
fn match_states(
    left: &BTreeMap<u32, Vec<&Transition>>,
    right: &BTreeMap<u32, Vec<&Transition>>,
    mut pending: Vec<(u32, u32)>,
    forward: &mut HashMap<u32, u32>,
    backward: &mut HashMap<u32, u32>,
) -> bool {
    while let Some((a, b)) = pending.pop() {
        match (forward.get(&a), backward.get(&b)) {
            (Some(&fa), _) if fa != b => return false,
            (_, Some(&bb)) if bb != a => return false,
            (Some(_), _) => continue,
            _ => {}
        }
        forward.insert(a, b);
        backward.insert(b, a);
        let mut out_a: Vec<&Transition> = left.get(&a).cloned().unwrap_or_default();
        let mut out_b: Vec<&Transition> = right.get(&b).cloned().unwrap_or_default();
        if out_a.len() != out_b.len() {
            return false;
        }
        out_a.sort_by(|x, y| x.action.cmp(&y.action));
        out_b.sort_by(|x, y| x.action.cmp(&y.action));
        if out_a.iter().zip(&out_b).any(|(x, y)| x.action != y.action) {
            return false;
        }
        let deterministic = out_a.windows(2).all(|w| w[0].action != w[1].action);
        if deterministic {
            pending.extend(out_a.iter().zip(&out_b).map(|(x, y)| (x.to, y.to)));
            continue;
        }
        // Several transitions share an action: try every pairing within each group.
        return match_groups(left, right, &out_a, &out_b, pending, forward, backward);
    }
    true
}

/// Tries the permutations of same-action targets of one nondeterministic state.
fn match_groups(
    left: &BTreeMap<u32, Vec<&Transition>>,
    right: &BTreeMap<u32, Vec<&Transition>>,
    out_a: &[&Transition],
    out_b: &[&Transition],
    pending: Vec<(u32, u32)>,
    forward: &mut HashMap<u32, u32>,
    backward: &mut HashMap<u32, u32>,
) -> bool {
    let Some(first) = out_a.first() else {
        return match_states(left, right, pending, forward, backward);
    };
    let group = out_a
        .iter()
        .take_while(|t| t.action == first.action)
        .count();
    for pick in 0..group {
        let mut rest_b: Vec<&Transition> = out_b[..group].to_vec();
        let chosen = rest_b.remove(pick);
        rest_b.extend_from_slice(&out_b[group..]);
        let mut next = pending.clone();
        next.push((first.to, chosen.to));
        let (saved_f, saved_b) = (forward.clone(), backward.clone());
        if with_headroom(|| {
            match_groups(left, right, &out_a[1..], &rest_b, next, forward, backward)
        }) {
            return true;
        }
        *forward = saved_f;
        *backward = saved_b;
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::fsm::Action;
    use telltale_types::{Direction, Label, Role};

    fn action(direction: Direction, partner: &str, label: &str) -> Action {
        Action {
            direction,
            partner: Role::new(partner),
            label: Label::unit(label),
        }
    }

    fn role(name: &str) -> Role {
        Role::new(name)
    }

    #[test]
    fn isomorphism_handles_nondeterministic_states() {
        let edge = |from, to, label| Transition {
            from,
            to,
            action: action(Direction::Send, "B", label),
        };
        let left = Fsm::new(
            role("A"),
            vec![],
            0,
            vec![edge(0, 1, "a"), edge(0, 2, "a"), edge(1, 3, "b")],
        )
        .unwrap();
        let right = Fsm::new(
            role("A"),
            vec![],
            5,
            vec![edge(5, 6, "a"), edge(5, 7, "a"), edge(7, 8, "b")],
        )
        .unwrap();
        assert!(left.isomorphic(&right));
        let other = Fsm::new(
            role("A"),
            vec![],
            5,
            vec![edge(5, 6, "a"), edge(5, 7, "a"), edge(7, 8, "c")],
        )
        .unwrap();
        assert!(!left.isomorphic(&other));
    }
}
