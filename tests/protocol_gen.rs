//! Random well-formed protocol shapes for the property tests: a tree of
//! messages and choices over `n` roles, turned into a global type (every
//! role not in a choice is told the branch first thing), optionally inside
//! a loop.

#![allow(dead_code)]

use proptest::prelude::*;
use telltale_types::{GlobalType, Label, PayloadSort, Role};

pub fn role(i: usize) -> Role {
    Role::new(format!("R{i}"))
}

pub fn sort(i: usize) -> PayloadSort {
    match i % 4 {
        0 => PayloadSort::Unit,
        1 => PayloadSort::Int,
        2 => PayloadSort::Bool,
        _ => PayloadSort::String,
    }
}

/// A protocol shape, turned into a global type by [`build`].
#[derive(Clone, Debug)]
pub enum Shape {
    /// One message from `.0` to `.1` (indices modulo the role count).
    Message(usize, usize),
    /// A choice by `.0` to `.1`; every other role is told the branch next.
    Choice(usize, usize, Vec<Vec<Shape>>),
}

pub fn shape(depth: u32) -> impl Strategy<Value = Vec<Shape>> {
    let message = (0..4usize, 1..4usize).prop_map(|(s, d)| Shape::Message(s, d));
    let leaf = prop::collection::vec(message.clone(), 1..4);
    leaf.prop_recursive(depth, 24, 3, move |inner| {
        prop::collection::vec(
            prop_oneof![
                3 => (0..4usize, 1..4usize).prop_map(|(s, d)| Shape::Message(s, d)),
                1 => (0..4usize, 1..4usize, prop::collection::vec(inner, 2..3))
                    .prop_map(|(s, d, branches)| Shape::Choice(s, d, branches)),
            ],
            1..4,
        )
    })
}

/// Builds the global type of `shapes` over `n` roles, ending in `tail`.
pub fn build(shapes: &[Shape], n: usize, tail: GlobalType, counter: &mut usize) -> GlobalType {
    let mut g = tail;
    for s in shapes.iter().rev() {
        match s {
            Shape::Message(from, delta) => {
                let (a, b) = (from % n, (from + delta) % n);
                let b = if a == b { (b + 1) % n } else { b };
                *counter += 1;
                g = GlobalType::send(
                    role(a),
                    role(b),
                    Label::new(format!("m{counter}"), sort(*counter)),
                    g,
                );
            }
            Shape::Choice(from, delta, branches) => {
                let (a, b) = (from % n, (from + delta) % n);
                let b = if a == b { (b + 1) % n } else { b };
                let mut arms = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    let label = Label::new(format!("c{counter}_{i}"), sort(i));
                    let mut body = build(branch, n, g.clone(), counter);
                    // Tell every other role which branch was taken, first thing.
                    for other in (0..n).rev().filter(|o| *o != a && *o != b) {
                        body = GlobalType::send(role(a), role(other), label.clone(), body);
                    }
                    arms.push((label, body));
                }
                *counter += 1;
                g = GlobalType::choice(role(a), role(b), arms);
            }
        }
    }
    g
}

/// A protocol that may loop: `rec t . choice R0 -> R1 { again . body . t, stop . body' }`.
pub fn looping(body: &[Shape], n: usize) -> GlobalType {
    let mut counter = 0;
    let again = build(body, n, GlobalType::var("t"), &mut counter);
    let stop = build(body, n, GlobalType::End, &mut counter);
    let mut again_arm = again;
    let mut stop_arm = stop;
    for other in (2..n).rev() {
        again_arm = GlobalType::send(role(0), role(other), Label::unit("again"), again_arm);
        stop_arm = GlobalType::send(role(0), role(other), Label::unit("stop"), stop_arm);
    }
    GlobalType::rec(
        "t",
        GlobalType::choice(
            role(0),
            role(1),
            [
                (Label::unit("again"), again_arm),
                (Label::unit("stop"), stop_arm),
            ],
        ),
    )
}
