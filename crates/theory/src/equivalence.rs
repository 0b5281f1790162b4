//! Equality of types up to renaming, and up to recursion unfolding.
//!
//! - [`alpha_equivalent`]: the same term up to the names of recursion
//!   variables and the order of branches (exactly when content ids agree,
//!   but computed by a direct walk, without hashing).
//! - [`equivalent`]: equi-recursive equivalence — two types are equivalent
//!   when their infinite unfoldings are equal. Each type is turned into a
//!   graph whose variables point back at their binders, and the two graphs
//!   are compared coinductively with a visited set of node pairs, so the
//!   check terminates on cycles and costs at most the product of the sizes.
//!
//! Both work on global and local types (any [`SessionType`]).

use crate::subst::{SessionType, View};
use std::collections::HashSet;
use telltale_types::global::Branch;
use telltale_types::stack::with_headroom;
use telltale_types::Label;

/// Whether two types are equal up to renaming of bound recursion variables
/// and the order of branches in each choice.
pub fn alpha_equivalent<T: SessionType>(a: &T, b: &T) -> bool {
    let mut binders_a = Vec::new();
    let mut binders_b = Vec::new();
    alpha_walk(a, b, &mut binders_a, &mut binders_b)
}

fn alpha_walk<'a, T: SessionType>(
    a: &'a T,
    b: &'a T,
    binders_a: &mut Vec<&'a str>,
    binders_b: &mut Vec<&'a str>,
) -> bool {
    with_headroom(|| match (a.view(), b.view()) {
        (View::Comm(head_a, branches_a), View::Comm(head_b, branches_b)) => {
            if head_a != head_b || branches_a.len() != branches_b.len() {
                return false;
            }
            let sorted_a = sorted_by_label(branches_a);
            let sorted_b = sorted_by_label(branches_b);
            sorted_a.iter().zip(&sorted_b).all(|(x, y)| {
                x.label == y.label
                    && alpha_walk(&x.continuation, &y.continuation, binders_a, binders_b)
            })
        }
        (View::Rec(var_a, body_a), View::Rec(var_b, body_b)) => {
            binders_a.push(var_a);
            binders_b.push(var_b);
            let same = alpha_walk(body_a, body_b, binders_a, binders_b);
            binders_a.pop();
            binders_b.pop();
            same
        }
        (View::Var(x), View::Var(y)) => {
            let index_a = binders_a.iter().rev().position(|v| *v == x);
            let index_b = binders_b.iter().rev().position(|v| *v == y);
            match (index_a, index_b) {
                (None, None) => x == y,
                (i, j) => i == j,
            }
        }
        (View::End, View::End) => true,
        _ => false,
    })
}

fn sorted_by_label<T>(branches: &[Branch<T>]) -> Vec<&Branch<T>> {
    let mut sorted: Vec<&Branch<T>> = branches.iter().collect();
    sorted.sort_by(|x, y| x.label.cmp(&y.label));
    sorted
}

/// Whether two types have the same infinite unfolding (branch order is not
/// significant). Unguarded loops such as `rec X . X` unfold to nothing and
/// are equivalent only to each other.
pub fn equivalent<T: SessionType>(a: &T, b: &T) -> bool {
    bisimilar(a, b, |x, y| x == y)
}

/// Coinductive comparison of the unfoldings of `a` and `b`, where two
/// communication heads correspond when `heads_match` says so.
pub(crate) fn bisimilar<T: SessionType>(
    a: &T,
    b: &T,
    heads_match: impl Fn(&T::Head, &T::Head) -> bool,
) -> bool {
    let graph_a = Graph::of(a);
    let graph_b = Graph::of(b);
    let mut visited = HashSet::new();
    let mut pending = vec![(graph_a.root, graph_b.root)];
    while let Some(pair) = pending.pop() {
        if !visited.insert(pair) {
            continue;
        }
        let (x, y) = pair;
        match (&graph_a.states[x], &graph_b.states[y]) {
            (State::Comm(head_x, next_x), State::Comm(head_y, next_y)) => {
                if !heads_match(head_x, head_y) || next_x.len() != next_y.len() {
                    return false;
                }
                for ((label_x, to_x), (label_y, to_y)) in next_x.iter().zip(next_y) {
                    if label_x != label_y {
                        return false;
                    }
                    pending.push((*to_x, *to_y));
                }
            }
            (State::Free(x), State::Free(y)) if x == y => {}
            (State::End, State::End) | (State::Diverge, State::Diverge) => {}
            _ => return false,
        }
    }
    true
}

/// A node of the unfolding graph: what a position of the type does once all
/// the `rec` binders and variables in front of it are unfolded.
enum State<'a, T: SessionType> {
    /// A communication; branches sorted by label, pointing at states.
    Comm(T::Head, Vec<(&'a Label, usize)>),
    /// A variable bound nowhere in the type.
    Free(&'a str),
    /// The end of the protocol.
    End,
    /// A loop of binders and variables with no communication (`rec X . X`).
    Diverge,
}

/// The unfolding graph of a type: one state per syntax node, with `rec`
/// nodes and bound variables resolved to the state they stand for.
struct Graph<'a, T: SessionType> {
    states: Vec<State<'a, T>>,
    root: usize,
}

/// A syntax node with variables linked to their binders.
enum Node<'a, T: SessionType> {
    Comm(T::Head, Vec<(&'a Label, usize)>),
    Rec(usize),
    Bound(usize),
    Free(&'a str),
    End,
}

impl<'a, T: SessionType> Graph<'a, T> {
    fn of(term: &'a T) -> Self {
        let mut nodes = Vec::new();
        let mut binders = Vec::new();
        let root = link(term, &mut nodes, &mut binders);
        let states = (0..nodes.len()).map(|i| resolve(&nodes, i)).collect();
        Graph { states, root }
    }
}

/// Numbers the syntax nodes of `term`, linking variables to their binders.
fn link<'a, T: SessionType>(
    term: &'a T,
    nodes: &mut Vec<Node<'a, T>>,
    binders: &mut Vec<(&'a str, usize)>,
) -> usize {
    with_headroom(|| {
        let id = nodes.len();
        match term.view() {
            View::Comm(head, branches) => {
                nodes.push(Node::End);
                let mut next: Vec<(&'a Label, usize)> = branches
                    .iter()
                    .map(|b| (&b.label, link(&b.continuation, nodes, binders)))
                    .collect();
                next.sort_by(|x, y| x.0.cmp(y.0));
                nodes[id] = Node::Comm(head, next);
            }
            View::Rec(var, body) => {
                nodes.push(Node::End);
                binders.push((var, id));
                let body_id = link(body, nodes, binders);
                binders.pop();
                nodes[id] = Node::Rec(body_id);
            }
            View::Var(name) => {
                let binder = binders.iter().rev().find(|(v, _)| *v == name);
                nodes.push(match binder {
                    Some((_, binder_id)) => Node::Bound(*binder_id),
                    None => Node::Free(name),
                });
            }
            View::End => nodes.push(Node::End),
        }
        id
    })
}

/// The state syntax node `start` stands for, following binders and bodies.
fn resolve<'a, T: SessionType>(nodes: &[Node<'a, T>], start: usize) -> State<'a, T> {
    let mut at = start;
    // A chain longer than the number of nodes must revisit a node: a loop
    // without communication.
    for _ in 0..=nodes.len() {
        match &nodes[at] {
            Node::Comm(head, next) => return State::Comm(head.clone(), next.clone()),
            Node::Rec(body) => at = *body,
            Node::Bound(binder) => at = *binder,
            Node::Free(name) => return State::Free(name),
            Node::End => return State::End,
        }
    }
    State::Diverge
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::subst::unfold;
    use telltale_types::{GlobalType, LocalType};

    fn ping_loop(var: &str) -> LocalType {
        LocalType::rec(
            var,
            LocalType::send("B", Label::unit("ping"), LocalType::var(var)),
        )
    }

    #[test]
    fn alpha_equivalence_ignores_names_and_order() {
        assert!(alpha_equivalent(&ping_loop("x"), &ping_loop("y")));
        let a = LocalType::select(
            "B",
            [
                (Label::unit("a"), LocalType::End),
                (Label::unit("b"), LocalType::var("f")),
            ],
        );
        let b = LocalType::select(
            "B",
            [
                (Label::unit("b"), LocalType::var("f")),
                (Label::unit("a"), LocalType::End),
            ],
        );
        assert!(alpha_equivalent(&a, &b));
        assert!(!alpha_equivalent(&a, &LocalType::End));
        // A free variable is not the same as a bound one.
        let bound = LocalType::rec("f", b.clone());
        let other = LocalType::rec("g", b);
        assert!(!alpha_equivalent(&bound, &other));
    }

    #[test]
    fn unfolding_preserves_equivalence() {
        let t = ping_loop("x");
        assert!(equivalent(&t, &unfold(&t)));
        assert!(equivalent(&t, &unfold(&unfold(&t))));
        // Two laps of the loop are the same infinite type as one.
        let two = LocalType::rec(
            "y",
            LocalType::send(
                "B",
                Label::unit("ping"),
                LocalType::send("B", Label::unit("ping"), LocalType::var("y")),
            ),
        );
        assert!(equivalent(&t, &two));
        assert!(!alpha_equivalent(&t, &two));
        let other = LocalType::rec(
            "y",
            LocalType::send("B", Label::unit("pong"), LocalType::var("y")),
        );
        assert!(!equivalent(&t, &other));
    }

    #[test]
    fn unguarded_loops_terminate() {
        let a = GlobalType::rec("x", GlobalType::var("x"));
        let b = GlobalType::rec("y", GlobalType::rec("z", GlobalType::var("y")));
        assert!(equivalent(&a, &b));
        assert!(!equivalent(&a, &GlobalType::End));
        assert!(equivalent(&GlobalType::var("f"), &GlobalType::var("f")));
        assert!(!equivalent(&GlobalType::var("f"), &GlobalType::var("g")));
    }

    #[test]
    fn deep_types_compare_without_overflow() {
        let mut t = LocalType::End;
        for _ in 0..100_000 {
            t = LocalType::recv("A", Label::unit("m"), t);
        }
        assert!(equivalent(&t, &t.clone()));
        assert!(alpha_equivalent(&t, &t.clone()));
    }
}
