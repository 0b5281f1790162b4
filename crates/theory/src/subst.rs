//! Free variables, substitution and unfolding of recursive types.
//!
//! Global and local types share one shape — communications with labelled
//! branches, `rec`, variables and `end` — described by [`SessionType`], so
//! every function here (and the relations in [`crate::equivalence`]) works
//! on both.

use std::collections::BTreeSet;
use std::fmt;
use telltale_types::global::Branch;
use telltale_types::stack::with_headroom;
use telltale_types::{Direction, GlobalType, LocalType, Role};
use thiserror::Error;

/// The shape shared by global and local types, so generic algorithms can
/// inspect and rebuild either.
pub trait SessionType: Clone + PartialEq + fmt::Display + Sized {
    /// What identifies a communication apart from its branches: the
    /// sender and receiver of a global message, the direction and partner
    /// of a local one.
    type Head: Clone + Eq + Ord + fmt::Debug;

    /// This node, seen through the shared shape.
    fn view(&self) -> View<'_, Self>;

    /// A communication node from its head and branches.
    fn make_comm(head: Self::Head, branches: Vec<Branch<Self>>) -> Self;

    /// `rec var . body`.
    fn make_rec(var: String, body: Self) -> Self;

    /// The variable `name`.
    fn make_var(name: String) -> Self;

    /// The terminated type.
    fn make_end() -> Self;
}

/// One node of a [`SessionType`], borrowed.
pub enum View<'a, T: SessionType> {
    /// A communication with its head and branches.
    Comm(T::Head, &'a [Branch<T>]),
    /// `rec var . body`.
    Rec(&'a str, &'a T),
    /// A recursion variable.
    Var(&'a str),
    /// The end of the protocol.
    End,
}

impl SessionType for GlobalType {
    type Head = (Role, Role);

    fn view(&self) -> View<'_, Self> {
        match self {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => View::Comm((sender.clone(), receiver.clone()), branches),
            GlobalType::Rec { var, body } => View::Rec(var, body),
            GlobalType::Var(name) => View::Var(name),
            GlobalType::End => View::End,
        }
    }

    fn make_comm((sender, receiver): Self::Head, branches: Vec<Branch<Self>>) -> Self {
        GlobalType::Comm {
            sender,
            receiver,
            branches,
        }
    }

    fn make_rec(var: String, body: Self) -> Self {
        GlobalType::rec(var, body)
    }

    fn make_var(name: String) -> Self {
        GlobalType::Var(name)
    }

    fn make_end() -> Self {
        GlobalType::End
    }
}

impl SessionType for LocalType {
    type Head = (Direction, Role);

    fn view(&self) -> View<'_, Self> {
        match self {
            LocalType::Send { partner, branches } => {
                View::Comm((Direction::Send, partner.clone()), branches)
            }
            LocalType::Recv { partner, branches } => {
                View::Comm((Direction::Recv, partner.clone()), branches)
            }
            LocalType::Rec { var, body } => View::Rec(var, body),
            LocalType::Var(name) => View::Var(name),
            LocalType::End => View::End,
        }
    }

    fn make_comm((direction, partner): Self::Head, branches: Vec<Branch<Self>>) -> Self {
        LocalType::comm(direction, partner, branches)
    }

    fn make_rec(var: String, body: Self) -> Self {
        LocalType::rec(var, body)
    }

    fn make_var(name: String) -> Self {
        LocalType::Var(name)
    }

    fn make_end() -> Self {
        LocalType::End
    }
}

/// Why a type could not be unfolded to a communication.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SubstError {
    /// A chain of `rec` binders reaches one of its own variables without any
    /// communication in between (`rec X . X`, `rec X . rec Y . X`), so
    /// unfolding would never stop.
    #[error("recursion on `{var}` is unguarded: unfolding `{term}` never reaches a communication")]
    UnguardedRecursion {
        /// The variable reached without a communication.
        var: String,
        /// The type that was being unfolded, abbreviated.
        term: String,
    },
}

/// The free recursion variables of a type, sorted.
pub fn free_vars<T: SessionType>(t: &T) -> BTreeSet<String> {
    let mut free = BTreeSet::new();
    let mut bound = Vec::new();
    collect_free(t, &mut bound, &mut free);
    free
}

fn collect_free<'a, T: SessionType>(
    t: &'a T,
    bound: &mut Vec<&'a str>,
    free: &mut BTreeSet<String>,
) {
    with_headroom(|| match t.view() {
        View::Comm(_, branches) => {
            for b in branches {
                collect_free(&b.continuation, bound, free);
            }
        }
        View::Rec(var, body) => {
            bound.push(var);
            collect_free(body, bound, free);
            bound.pop();
        }
        View::Var(name) => {
            if !bound.contains(&name) {
                free.insert(name.to_string());
            }
        }
        View::End => {}
    })
}

/// Whether the type has no free recursion variables.
pub fn is_closed<T: SessionType>(t: &T) -> bool {
    free_vars(t).is_empty()
}

/// `t[replacement / var]`: replaces the free occurrences of `var`.
///
/// Binders of `t` that would capture a free variable of `replacement` are
/// renamed first, so the result is correct for open replacements too.
pub fn substitute<T: SessionType>(t: &T, var: &str, replacement: &T) -> T {
    let replacement_free = free_vars(replacement);
    substitute_in(t, var, replacement, &replacement_free)
}

fn substitute_in<T: SessionType>(
    t: &T,
    var: &str,
    replacement: &T,
    replacement_free: &BTreeSet<String>,
) -> T {
    with_headroom(|| match t.view() {
        View::Comm(head, branches) => T::make_comm(
            head,
            branches
                .iter()
                .map(|b| {
                    Branch::new(
                        b.label.clone(),
                        substitute_in(&b.continuation, var, replacement, replacement_free),
                    )
                })
                .collect(),
        ),
        View::Rec(bound, body) if bound == var => T::make_rec(bound.to_string(), body.clone()),
        View::Rec(bound, body) => {
            if replacement_free.contains(bound) && free_vars(body).contains(var) {
                let mut avoid = free_vars(body);
                avoid.extend(replacement_free.iter().cloned());
                avoid.insert(var.to_string());
                let fresh = fresh_name(bound, &avoid);
                let renamed = substitute(body, bound, &T::make_var(fresh.clone()));
                let body = substitute_in(&renamed, var, replacement, replacement_free);
                T::make_rec(fresh, body)
            } else {
                let body = substitute_in(body, var, replacement, replacement_free);
                T::make_rec(bound.to_string(), body)
            }
        }
        View::Var(name) if name == var => replacement.clone(),
        View::Var(_) | View::End => t.clone(),
    })
}

/// A variant of `base` (primes appended) that is not in `avoid`.
pub fn fresh_name(base: &str, avoid: &BTreeSet<String>) -> String {
    let mut name = format!("{base}'");
    while avoid.contains(&name) {
        name.push('\'');
    }
    name
}

/// One unfolding step: `rec X . T` becomes `T[rec X . T / X]`; any other
/// type is returned unchanged.
pub fn unfold<T: SessionType>(t: &T) -> T {
    match t.view() {
        View::Rec(var, body) => substitute(body, var, t),
        _ => t.clone(),
    }
}

/// Unfolds until the head is not a `rec`.
///
/// Fails on unguarded recursion (`rec X . X`, `rec X . rec Y . X`), where
/// unfolding would loop forever. A head that is a free variable is returned
/// as is.
pub fn unfold_head<T: SessionType>(t: &T) -> Result<T, SubstError> {
    let mut chain = Vec::new();
    let mut node = t;
    while let View::Rec(var, body) = node.view() {
        chain.push(var);
        node = body;
    }
    if let View::Var(name) = node.view() {
        if chain.contains(&name) {
            return Err(SubstError::UnguardedRecursion {
                var: name.to_string(),
                term: crate::error::abbreviate(t),
            });
        }
    }
    // Each step removes one binder of the chain: the innermost body is not
    // one of the chain's variables, so substitution leaves its head alone.
    let mut current = t.clone();
    for _ in 0..chain.len() {
        current = unfold(&current);
    }
    Ok(current)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use telltale_types::Label;

    fn loop_on(var: &str) -> LocalType {
        LocalType::rec(
            var,
            LocalType::send("B", Label::unit("m"), LocalType::var(var)),
        )
    }

    #[test]
    fn free_variables_respect_binders() {
        let t = LocalType::rec(
            "x",
            LocalType::select(
                "B",
                [
                    (Label::unit("a"), LocalType::var("x")),
                    (Label::unit("b"), LocalType::var("y")),
                ],
            ),
        );
        assert_eq!(
            free_vars(&t).into_iter().collect::<Vec<_>>(),
            vec!["y".to_string()]
        );
        assert!(!is_closed(&t));
        assert!(is_closed(&loop_on("x")));
    }

    #[test]
    fn unfolding_replaces_the_variable_by_the_recursion() {
        let t = loop_on("x");
        let once = unfold(&t);
        assert_eq!(once, LocalType::send("B", Label::unit("m"), t.clone()));
        assert_eq!(unfold_head(&t).unwrap(), once);
        assert_eq!(unfold(&LocalType::End), LocalType::End);
    }

    #[test]
    fn unfold_head_removes_a_chain_of_binders() {
        let g = GlobalType::rec(
            "x",
            GlobalType::rec(
                "y",
                GlobalType::choice(
                    "A",
                    "B",
                    [
                        (Label::unit("l"), GlobalType::var("x")),
                        (Label::unit("r"), GlobalType::var("y")),
                    ],
                ),
            ),
        );
        let head = unfold_head(&g).unwrap();
        assert!(matches!(head, GlobalType::Comm { .. }));
        assert!(is_closed(&head));
    }

    #[test]
    fn unguarded_recursion_is_refused() {
        for t in [
            LocalType::rec("x", LocalType::var("x")),
            LocalType::rec("x", LocalType::rec("y", LocalType::var("x"))),
        ] {
            let err = unfold_head(&t).unwrap_err();
            assert!(err.to_string().contains("unguarded"), "{err}");
        }
        assert_eq!(
            unfold_head(&LocalType::rec("x", LocalType::var("z"))).unwrap(),
            LocalType::var("z")
        );
    }

    #[test]
    fn substitution_stops_at_shadowing_and_avoids_capture() {
        let shadowed = LocalType::rec("x", LocalType::var("x"));
        assert_eq!(
            substitute(&shadowed, "x", &LocalType::End),
            shadowed.clone()
        );
        // Replacing `z` by the open `y` under `rec y` must rename the binder.
        let t = LocalType::rec(
            "y",
            LocalType::select(
                "B",
                [
                    (Label::unit("a"), LocalType::var("z")),
                    (Label::unit("b"), LocalType::var("y")),
                ],
            ),
        );
        let out = substitute(&t, "z", &LocalType::var("y"));
        let expected = LocalType::rec(
            "y'",
            LocalType::select(
                "B",
                [
                    (Label::unit("a"), LocalType::var("y")),
                    (Label::unit("b"), LocalType::var("y'")),
                ],
            ),
        );
        assert_eq!(out, expected);
    }
}
