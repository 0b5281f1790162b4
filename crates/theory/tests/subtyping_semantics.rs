//! An independent, operational check of the asynchronous verdicts on binary
//! types: if `T ≤ U` then `T` can replace `U` next to `U`'s dual. The two
//! machines run with FIFO queues (bounded exploration) and must never meet
//! an unexpected message, a deadlock or messages left over at the end.
#![allow(clippy::unwrap_used)]

mod subtyping_support;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::collections::{HashSet, VecDeque};
use subtyping_support::{delay_outputs, local_type, sync_subtype_of, Random};
use telltale_theory::{async_subtype, AsyncSubtypeConfig, Fsm, Verdict};
use telltale_types::{Direction, Label, LocalType, Role};

/// Largest queue explored; longer queues are cut off (not errors).
const QUEUE_BOUND: usize = 4;
/// Largest number of configurations explored.
const STATE_BOUND: usize = 20_000;

/// A machine as a list of states, each with its outgoing transitions.
struct Machine {
    initial: u32,
    edges: Vec<Vec<(Direction, Label, u32)>>,
}

fn machine(t: &LocalType, dual: bool) -> Machine {
    let fsm = Fsm::from_local(&Role::new("self"), t).unwrap();
    let count = fsm.states().iter().max().map_or(0, |m| *m as usize + 1);
    let mut edges = vec![Vec::new(); count];
    for tr in fsm.transitions() {
        let direction = if dual {
            tr.action.direction.dual()
        } else {
            tr.action.direction
        };
        edges[tr.from as usize].push((direction, tr.action.label.clone(), tr.to));
    }
    Machine {
        initial: fsm.initial(),
        edges,
    }
}

/// One configuration: both states and the two queues (to the left, to the right).
type Config = (u32, u32, VecDeque<Label>, VecDeque<Label>);

/// Whether `t` running against `peer` ever goes wrong within the bounds.
fn goes_wrong(t: &Machine, peer: &Machine) -> Option<String> {
    let start: Config = (t.initial, peer.initial, VecDeque::new(), VecDeque::new());
    let mut seen = HashSet::new();
    let mut todo = vec![start];
    while let Some(config) = todo.pop() {
        if seen.len() > STATE_BOUND {
            return None;
        }
        if !seen.insert(config.clone()) {
            continue;
        }
        let (a, b, to_a, to_b) = &config;
        let mut moved = false;
        let mut truncated = false;
        // Moves of the left machine, reading `to_a` and writing `to_b`.
        for side in 0..2 {
            let (me, state, inbox, outbox) = if side == 0 {
                (t, *a, to_a, to_b)
            } else {
                (peer, *b, to_b, to_a)
            };
            let edges = &me.edges[state as usize];
            if let Some((Direction::Recv, ..)) = edges.first() {
                if let Some(head) = inbox.front() {
                    match edges.iter().find(|(_, l, _)| l == head) {
                        Some((_, _, next)) => {
                            let mut inbox = inbox.clone();
                            inbox.pop_front();
                            let (na, nb) = if side == 0 { (*next, *b) } else { (*a, *next) };
                            let (qa, qb) = if side == 0 {
                                (inbox, outbox.clone())
                            } else {
                                (outbox.clone(), inbox)
                            };
                            todo.push((na, nb, qa, qb));
                            moved = true;
                        }
                        None => return Some(format!("unexpected {head:?} in {config:?}")),
                    }
                }
            } else {
                for (_, label, next) in edges {
                    if outbox.len() >= QUEUE_BOUND {
                        truncated = true;
                        continue;
                    }
                    let mut outbox = outbox.clone();
                    outbox.push_back(label.clone());
                    let (na, nb) = if side == 0 { (*next, *b) } else { (*a, *next) };
                    let (qa, qb) = if side == 0 {
                        (inbox.clone(), outbox)
                    } else {
                        (outbox, inbox.clone())
                    };
                    todo.push((na, nb, qa, qb));
                    moved = true;
                }
            }
        }
        if !moved && !truncated {
            let finished = t.edges[*a as usize].is_empty() && peer.edges[*b as usize].is_empty();
            if !finished {
                return Some(format!("deadlock in {config:?}"));
            }
            if !to_a.is_empty() || !to_b.is_empty() {
                return Some(format!("orphan messages in {config:?}"));
            }
        }
    }
    None
}

fn check_against_dual(t: &LocalType, u: &LocalType) -> Result<(), TestCaseError> {
    let verdict = async_subtype(t, u, &AsyncSubtypeConfig::default()).unwrap();
    if verdict == Verdict::Subtype {
        let failure = goes_wrong(&machine(t, false), &machine(u, true));
        prop_assert!(failure.is_none(), "{} <= {}: {:?}", t, u, failure);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn subtypes_replace_supertypes_next_to_the_dual(seed in any::<u64>()) {
        let mut random = Random::new(seed);
        let u = local_type(&mut random, &["peer"], 3);
        let t = local_type(&mut random, &["peer"], 3);
        check_against_dual(&t, &u)?;
    }

    #[test]
    fn anticipating_subtypes_replace_supertypes_next_to_the_dual(seed in any::<u64>()) {
        let mut random = Random::new(seed);
        let t = local_type(&mut random, &["peer"], 5);
        let u = delay_outputs(&t, &mut random);
        let t = sync_subtype_of(&t, &mut random);
        let verdict = async_subtype(&t, &u, &AsyncSubtypeConfig::default()).unwrap();
        prop_assert_ne!(verdict, Verdict::NotSubtype, "{} <= {}", t, u);
        check_against_dual(&t, &u)?;
    }
}

#[test]
fn anticipation_pairs_are_mostly_decided() {
    let mut decided = 0;
    let mut changed = 0;
    for seed in 0..500 {
        let mut random = Random::new(seed);
        let t = local_type(&mut random, &["peer"], 5);
        let u = delay_outputs(&t, &mut random);
        if u != t {
            changed += 1;
            if async_subtype(&t, &u, &AsyncSubtypeConfig::default()).unwrap() == Verdict::Subtype {
                decided += 1;
            }
        }
    }
    assert!(decided * 10 >= changed * 8, "{decided} of {changed}");
}

#[test]
fn the_checker_itself_finds_violations() {
    let parse = |s: &str| telltale_theory::parse_local_notation(s).unwrap();
    let wrong =
        |t: &str, u: &str| goes_wrong(&machine(&parse(t), false), &machine(&parse(u), true));
    assert!(wrong("!a;?b;end", "?b;!a;end").is_none());
    assert!(wrong("?b;!a;end", "!a;?b;end").is_some());
    assert!(wrong("!a;end", "?b;!a;end").is_some());
    assert!(wrong("+{!a;end, !c;end}", "!a;end").is_some());
}
