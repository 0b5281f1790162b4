//! Random closed, contractive local types for the subtyping, notation and
//! FSM property tests, and the mutations that make synchronous subtypes.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use telltale_types::{Label, LocalBranch, LocalType, PayloadSort};

/// The workspace's seeded generator, under the name these tests use.
pub use telltale_types::random::SeededRng as Random;

const LABELS: [&str; 4] = ["a", "b", "c", "d"];

/// A random closed, contractive local type of at most `depth` nested
/// communications, talking to the given partners.
pub fn local_type(random: &mut Random, partners: &[&str], depth: usize) -> LocalType {
    let mut scope = Vec::new();
    build(random, partners, depth, &mut scope)
}

/// `scope` lists the enclosing recursion variables and whether a
/// communication separates each from the current point.
fn build(
    random: &mut Random,
    partners: &[&str],
    depth: usize,
    scope: &mut Vec<(String, bool)>,
) -> LocalType {
    let guarded: Vec<String> = scope
        .iter()
        .filter(|(_, g)| *g)
        .map(|(v, _)| v.clone())
        .collect();
    if depth == 0 {
        return if !guarded.is_empty() && random.index(4) != 0 {
            LocalType::var(guarded[random.index(guarded.len())].clone())
        } else {
            LocalType::End
        };
    }
    match random.index(10) {
        0 => LocalType::End,
        1 | 2 if !guarded.is_empty() => {
            LocalType::var(guarded[random.index(guarded.len())].clone())
        }
        3 | 4 if scope.len() < 3 => {
            let var = format!("X{}", scope.len());
            scope.push((var.clone(), false));
            let body = build(random, partners, depth, scope);
            scope.pop();
            LocalType::rec(var, body)
        }
        _ => {
            let partner = partners[random.index(partners.len())];
            let count = 1 + random.index(3);
            let first = random.index(LABELS.len());
            let saved: Vec<bool> = scope.iter().map(|(_, g)| *g).collect();
            for entry in scope.iter_mut() {
                entry.1 = true;
            }
            let mut branches = Vec::new();
            for i in 0..count {
                let name = LABELS[(first + i) % LABELS.len()];
                let sort = if random.index(5) == 0 {
                    PayloadSort::Int
                } else {
                    PayloadSort::Unit
                };
                let continuation = build(random, partners, depth - 1, scope);
                branches.push((Label::new(name, sort), continuation));
            }
            for (entry, g) in scope.iter_mut().zip(saved) {
                entry.1 = g;
            }
            if random.index(2) == 0 {
                LocalType::select(partner, branches)
            } else {
                LocalType::branch(partner, branches)
            }
        }
    }
}

/// A synchronous subtype of `t`: some send choices lose branches and some
/// receive choices gain branches ending in `end`.
pub fn sync_subtype_of(t: &LocalType, random: &mut Random) -> LocalType {
    match t {
        LocalType::Send { partner, branches } => {
            let mut kept: Vec<LocalBranch> = branches
                .iter()
                .map(|b| {
                    LocalBranch::new(b.label.clone(), sync_subtype_of(&b.continuation, random))
                })
                .collect();
            while kept.len() > 1 && random.index(3) == 0 {
                kept.remove(random.index(kept.len()));
            }
            LocalType::Send {
                partner: partner.clone(),
                branches: kept,
            }
        }
        LocalType::Recv { partner, branches } => {
            let mut more: Vec<LocalBranch> = branches
                .iter()
                .map(|b| {
                    LocalBranch::new(b.label.clone(), sync_subtype_of(&b.continuation, random))
                })
                .collect();
            if random.index(3) == 0 {
                if let Some(extra) = LABELS
                    .iter()
                    .find(|name| more.iter().all(|b| &*b.label.name != **name))
                {
                    more.push(LocalBranch::new(Label::unit(extra), LocalType::End));
                }
            }
            LocalType::Recv {
                partner: partner.clone(),
                branches: more,
            }
        }
        LocalType::Rec { var, body } => LocalType::rec(var.clone(), sync_subtype_of(body, random)),
        LocalType::Var(v) => LocalType::var(v.clone()),
        LocalType::End => LocalType::End,
    }
}

/// A supertype of `t` in the asynchronous sense: some outputs `!x . ?{l_j . R_j}`
/// are delayed to `?{l_j . !x . R_j}`, so `t` anticipates them.
pub fn delay_outputs(t: &LocalType, random: &mut Random) -> LocalType {
    match t {
        LocalType::Send { partner, branches } => {
            if let [only] = branches.as_slice() {
                if let LocalType::Recv {
                    partner: from,
                    branches: inputs,
                } = &only.continuation
                {
                    if random.index(2) == 0 {
                        let delayed = inputs.iter().map(|b| {
                            let rest = delay_outputs(&b.continuation, random);
                            let out = LocalType::Send {
                                partner: partner.clone(),
                                branches: vec![LocalBranch::new(only.label.clone(), rest)],
                            };
                            LocalBranch::new(b.label.clone(), out)
                        });
                        return LocalType::Recv {
                            partner: from.clone(),
                            branches: delayed.collect(),
                        };
                    }
                }
            }
            LocalType::Send {
                partner: partner.clone(),
                branches: branches
                    .iter()
                    .map(|b| {
                        LocalBranch::new(b.label.clone(), delay_outputs(&b.continuation, random))
                    })
                    .collect(),
            }
        }
        LocalType::Recv { partner, branches } => LocalType::Recv {
            partner: partner.clone(),
            branches: branches
                .iter()
                .map(|b| LocalBranch::new(b.label.clone(), delay_outputs(&b.continuation, random)))
                .collect(),
        },
        LocalType::Rec { var, body } => LocalType::rec(var.clone(), delay_outputs(body, random)),
        LocalType::Var(v) => LocalType::var(v.clone()),
        LocalType::End => LocalType::End,
    }
}
