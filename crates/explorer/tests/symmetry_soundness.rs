//! Symmetry reduction is sound on random rings and pairs: every node of
//! a ring runs one random template (see `template`), addressed to its
//! successor and predecessor, so the rotations are automorphisms by
//! construction; in pairs every client runs one template with its own
//! server, so every permutation of the pairs is. With and without the
//! reduction the verdict and the length of the shortest counterexample are
//! the same, and when every check holds the orbits of the states kept add
//! up to the states visited without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use telltale_compiler::CodeImage;
use telltale_explorer::{Checker, Model, OpenChoiceHost, ProtocolModel, SymmetryStatus, Verdict};
use telltale_types::{Label, LocalType, Role};

/// One step of the template: towards the successor (`next`) or the
/// predecessor.
#[derive(Clone, Copy, Debug)]
enum Step {
    Send {
        next: bool,
        label: bool,
    },
    Recv {
        next: bool,
        label: bool,
    },
    /// An internal choice between `a` and `b`.
    Select {
        next: bool,
    },
    /// An external choice between `a` and `b`.
    Branch {
        next: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (any::<bool>(), any::<bool>()).prop_map(|(next, label)| Step::Send { next, label }),
        (any::<bool>(), any::<bool>()).prop_map(|(next, label)| Step::Recv { next, label }),
        any::<bool>().prop_map(|next| Step::Select { next }),
        any::<bool>().prop_map(|next| Step::Branch { next }),
    ]
}

/// A template: either random steps (mostly broken protocols: deadlocks,
/// faults), or matched blocks — a send or selection towards one side and
/// the matching receive from the other — each block in turn, or every
/// send first (which may fill buffers), mostly protocols that work.
fn template() -> impl Strategy<Value = Vec<Step>> {
    let block = (any::<bool>(), any::<bool>(), any::<bool>());
    prop_oneof![
        1 => proptest::collection::vec(step(), 1..=4),
        2 => (proptest::collection::vec(block, 1..=3), any::<bool>()).prop_map(
            |(blocks, sends_first)| {
                let out = |&(next, choice, label): &(bool, bool, bool)| {
                    if choice {
                        Step::Select { next }
                    } else {
                        Step::Send { next, label }
                    }
                };
                let back = |&(next, choice, label): &(bool, bool, bool)| {
                    if choice {
                        Step::Branch { next: !next }
                    } else {
                        Step::Recv { next: !next, label }
                    }
                };
                if sends_first {
                    blocks.iter().map(out).chain(blocks.iter().map(back)).collect()
                } else {
                    blocks.iter().flat_map(|b| [out(b), back(b)]).collect()
                }
            }
        ),
    ]
}

fn label(b: bool) -> Label {
    Label::unit(if b { "a" } else { "b" })
}

/// Node `i` of `n` running `template`, looping forever or ending.
/// `template` addressed to `peer(next)`, looping forever or ending.
fn local(template: &[Step], peer: impl Fn(bool) -> String, looping: bool) -> LocalType {
    let mut rest = if looping {
        LocalType::var("X")
    } else {
        LocalType::End
    };
    for s in template.iter().rev() {
        rest = match *s {
            Step::Send { next, label: l } => LocalType::send(peer(next).as_str(), label(l), rest),
            Step::Recv { next, label: l } => LocalType::recv(peer(next).as_str(), label(l), rest),
            Step::Select { next } => LocalType::select(
                peer(next).as_str(),
                [(label(true), rest.clone()), (label(false), rest)],
            ),
            Step::Branch { next } => LocalType::branch(
                peer(next).as_str(),
                [(label(true), rest.clone()), (label(false), rest)],
            ),
        };
    }
    if looping {
        LocalType::rec("X", rest)
    } else {
        rest
    }
}

fn ring(template: &[Step], n: usize, looping: bool) -> CodeImage {
    let locals: Vec<(Role, LocalType)> = (0..n)
        .map(|i| {
            let peer =
                |next: bool| format!("N{}", if next { (i + 1) % n } else { (i + n - 1) % n });
            (Role::new(format!("N{i}")), local(template, peer, looping))
        })
        .collect();
    CodeImage::build(None, &locals).unwrap()
}

/// The other side of `step`: a send for a receive, a branch for a selection.
fn mirror(step: Step) -> Step {
    match step {
        Step::Send { next, label } => Step::Recv { next, label },
        Step::Recv { next, label } => Step::Send { next, label },
        Step::Select { next } => Step::Branch { next },
        Step::Branch { next } => Step::Select { next },
    }
}

/// Pairs: client `Ci` runs `template` with server `Si`, which runs its
/// mirror image (`dual`: a protocol that works) or the template itself
/// (mostly one that does not); the families `C` and `S` move together
/// under the full symmetric group.
fn pairs(template: &[Step], n: usize, looping: bool, dual: bool) -> CodeImage {
    let server: Vec<Step> = if dual {
        template.iter().copied().map(mirror).collect()
    } else {
        template.to_vec()
    };
    let mut locals: Vec<(Role, LocalType)> = Vec::new();
    for i in 0..n {
        locals.push((
            Role::new(format!("C{i}")),
            local(template, |_| format!("S{i}"), looping),
        ));
    }
    for i in 0..n {
        locals.push((
            Role::new(format!("S{i}")),
            local(&server, |_| format!("C{i}"), looping),
        ));
    }
    CodeImage::build(None, &locals).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn symmetry_keeps_verdicts_and_orbits_add_up(
        template in template(),
        n in 2usize..=4,
        looping in any::<bool>(),
        k in 1usize..=2,
        shape in 0u8..3,
    ) {
        let image = match shape {
            0 => ring(&template, n, looping),
            dual => pairs(&template, n.min(3), looping, dual == 1),
        };
        let model = ProtocolModel::new(image, OpenChoiceHost, k).unwrap();
        let SymmetryStatus::Applied(group) = model.symmetry() else {
            return Err(TestCaseError::fail(format!("{:?}", model.symmetry())));
        };
        prop_assert!(group.is_complete());
        let run = |symmetry| {
            Checker::new(&model)
                .threads(1)
                .max_states(1_500)
                .partial_order_reduction(false)
                .symmetry(symmetry)
                .bfs()
        };
        let plain = run(false);
        prop_assume!(plain.verdict != Verdict::Incomplete);
        let reduced = run(true);
        prop_assert_eq!(&plain.verdict, &reduced.verdict);
        prop_assert!(reduced.unique_states <= plain.unique_states);
        match (&plain.counterexample, &reduced.counterexample) {
            (Some(a), Some(b)) => {
                prop_assert_eq!(a.actions.len(), b.actions.len());
                // The counterexample found under symmetry replays to a
                // state that breaks the property it names.
                let end = model.replay(&b.actions).unwrap();
                let property = model.properties().into_iter().find(|p| p.name == b.property);
                prop_assert!(!(property.unwrap().holds)(&model, &end));
            }
            (None, None) => {
                prop_assert_eq!(reduced.represented_states, plain.unique_states)
            }
            _ => prop_assert!(false, "one search found a counterexample, the other none"),
        }
    }
}
