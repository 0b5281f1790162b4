//! Synchronous (Gay–Hole) subtyping on machines: coinductive over pairs of
//! states, always terminating.

use super::machine::{branch_named, is_send, Machine, Node};
use std::collections::HashSet;

/// Whether `t ≤ u` synchronously: `t` sends fewer labels and receives more,
/// with equal payload sorts on shared labels.
pub(crate) fn sync_machines(t: &Machine, u: &Machine) -> bool {
    let mut visited = HashSet::new();
    let mut pending = vec![(t.initial, u.initial)];
    while let Some(pair) = pending.pop() {
        if !visited.insert(pair) {
            continue;
        }
        let (ts, us) = pair;
        match (&t.nodes[ts], &u.nodes[us]) {
            (Node::End, Node::End) => {}
            (
                Node::Comm {
                    class: tc,
                    branches: tb,
                },
                Node::Comm {
                    class: uc,
                    branches: ub,
                },
            ) if tc == uc => {
                // Sends: every label of the subtype is offered by the supertype.
                // Receives: every label of the supertype is accepted by the subtype.
                let (fewer, more) = if is_send(*tc) { (tb, ub) } else { (ub, tb) };
                for (label, from_fewer) in fewer {
                    let Some((other, from_more)) = branch_named(more, label) else {
                        return false;
                    };
                    if other.sort != label.sort {
                        return false;
                    }
                    let next = if is_send(*tc) {
                        (*from_fewer, *from_more)
                    } else {
                        (*from_more, *from_fewer)
                    };
                    pending.push(next);
                }
            }
            _ => return false,
        }
    }
    true
}
