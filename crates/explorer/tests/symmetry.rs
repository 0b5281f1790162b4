//! Symmetry reduction: which protocols get a verified group, that the
//! verdicts are the same with and without it, that the canonical states'
//! orbits add up to the unreduced state count, and that a counterexample
//! found under symmetry replays.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use telltale_compiler::CodeImage;
use telltale_explorer::{
    Checker, Model, OpenChoiceHost, ProtocolModel, ScheduleOrigin, SymmetryKind, SymmetryStatus,
    Verdict,
};
use telltale_types::{Label, LocalType, Role};

fn node(i: usize) -> String {
    format!("Node{i}")
}

/// A token ring written as local types (a `.tell` ring cannot be one: a
/// global type orders the ring's messages, so some node sends first).
/// Every node sends `Token` to its successor, then receives one from its
/// predecessor, forever; with `stuck`, it then waits for a `Nudge` no one
/// sends instead (a deadlock after every node has passed its token).
fn ring(n: usize, stuck: bool) -> CodeImage {
    let locals: Vec<(Role, LocalType)> = (0..n)
        .map(|i| {
            let next = node((i + 1) % n);
            let prev = node((i + n - 1) % n);
            let after = if stuck {
                LocalType::recv(prev.as_str(), Label::unit("Nudge"), LocalType::End)
            } else {
                LocalType::var("X")
            };
            let body = LocalType::send(
                next.as_str(),
                Label::unit("Token"),
                LocalType::recv(prev.as_str(), Label::unit("Token"), after),
            );
            let local = if stuck {
                body
            } else {
                LocalType::rec("X", body)
            };
            (Role::new(node(i)), local)
        })
        .collect();
    CodeImage::build(None, &locals).unwrap()
}

fn model(image: CodeImage) -> ProtocolModel<OpenChoiceHost> {
    ProtocolModel::new(image, OpenChoiceHost, 2).unwrap()
}

fn kind_of(model: &ProtocolModel<OpenChoiceHost>) -> Option<SymmetryKind> {
    match model.symmetry() {
        SymmetryStatus::Applied(group) => Some(group.components()[0].kind),
        _ => None,
    }
}

/// Client i asks server i, in parallel branches: no family is symmetric
/// alone, but moving `Ci` and `Si` together is (the full group).
fn pairs(n: usize) -> CodeImage {
    let mut source = format!("protocol Pairs =\n  roles C[{n}], S[{n}]\n  par\n");
    for i in 0..n {
        source.push_str(&format!(
            "    | C[{i}] -> S[{i}] : Req\n      S[{i}] -> C[{i}] : Resp\n"
        ));
    }
    support::image(&source, n as u64)
}

#[test]
fn a_ring_has_the_rotations_and_two_nodes_every_permutation() {
    assert_eq!(kind_of(&model(ring(2, false))), Some(SymmetryKind::Full));
    for n in 3..=5 {
        let m = model(ring(n, false));
        let SymmetryStatus::Applied(group) = m.symmetry() else {
            panic!("N={n}: {:?}", m.symmetry());
        };
        assert_eq!(group.components()[0].kind, SymmetryKind::Cyclic);
        assert!(
            group.components()[0].linked,
            "each node talks to its neighbours"
        );
        assert_eq!(group.order(), n as u128);
        assert!(group.is_complete());
        assert_eq!(
            group.describe(m.image()),
            format!("rotations of Node0..Node{} (group of {n})", n - 1)
        );
    }
}

#[test]
fn two_phase_commit_is_not_symmetric_and_says_why() {
    let m = model(support::two_phase_commit(3));
    match m.symmetry() {
        SymmetryStatus::NotApplicable(reason) => assert_eq!(
            reason,
            "Coordinator's program addresses the members of Participants in a fixed order"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        model(support::two_phase_commit(3))
            .with_symmetry(false)
            .symmetry(),
        SymmetryStatus::Off
    ));
}

#[test]
fn families_moved_together_get_the_full_group() {
    let m = model(pairs(3));
    let SymmetryStatus::Applied(group) = m.symmetry() else {
        panic!("{:?}", m.symmetry());
    };
    let component = &group.components()[0];
    assert_eq!(component.kind, SymmetryKind::Full);
    assert_eq!(component.families, ["C", "S"]);
    assert!(!component.linked, "a client talks to its own server only");
    assert_eq!(group.order(), 6);
    assert_eq!(
        group.describe(m.image()),
        "all permutations of (C0, S0)..(C2, S2) (group of 6)"
    );
}

#[test]
fn a_host_that_is_not_symmetric_turns_it_off() {
    #[derive(Clone)]
    struct Plain;
    impl telltale_explorer::ExplorableHost for Plain {
        fn alternatives(&self, s: &telltale_vm::explore::EnabledStep) -> usize {
            OpenChoiceHost.alternatives(s)
        }
        fn execute(
            &mut self,
            machine: &mut telltale_vm::ProtocolMachine,
            step: &telltale_vm::explore::EnabledStep,
            alternative: usize,
            observations: &mut telltale_explorer::Observations,
        ) -> Result<(), telltale_vm::ProtocolMachineError> {
            OpenChoiceHost.execute(machine, step, alternative, observations)
        }
        fn encode(&self, _out: &mut Vec<u8>) {}
        fn is_stateless(&self) -> bool {
            true
        }
    }
    let m = ProtocolModel::new(ring(3, false), Plain, 2).unwrap();
    assert!(matches!(m.symmetry(), SymmetryStatus::NotApplicable(_)));
}

/// Unique states, represented states and verdicts for one model, with and
/// without symmetry (no partial-order reduction, so nothing else merges).
fn compare(image: CodeImage) -> (usize, usize, usize) {
    let m = model(image);
    let plain = Checker::new(&m)
        .partial_order_reduction(false)
        .symmetry(false)
        .threads(1)
        .bfs();
    let reduced = Checker::new(&m)
        .partial_order_reduction(false)
        .threads(1)
        .bfs();
    let dfs = Checker::new(&m).partial_order_reduction(false).dfs();
    let with_por = Checker::new(&m).bfs();
    assert_eq!(plain.verdict, reduced.verdict);
    assert_eq!(plain.verdict, dfs.verdict);
    assert_eq!(plain.verdict, with_por.verdict);
    assert_eq!(plain.represented_states, plain.unique_states);
    assert_eq!(dfs.unique_states, reduced.unique_states);
    (
        plain.unique_states,
        reduced.unique_states,
        reduced.represented_states,
    )
}

#[test]
fn orbit_sizes_of_canonical_states_add_up_to_the_unreduced_count() {
    let mut counts = BTreeMap::new();
    for n in 2..=5 {
        let (plain, reduced, represented) = compare(ring(n, false));
        assert_eq!(represented, plain, "ring N={n}");
        assert!(reduced < plain, "ring N={n}: {reduced} vs {plain}");
        counts.insert(n, (plain, reduced));
    }
    assert_eq!(counts[&4], (160, 43));
    for n in [2, 3] {
        let (plain, reduced, represented) = compare(pairs(n));
        assert_eq!(represented, plain, "pairs N={n}");
        assert!(reduced < plain);
    }
    // Two-phase commit gets no group: nothing changes.
    let (plain, reduced, represented) = compare(support::two_phase_commit(2));
    assert_eq!((reduced, represented), (plain, plain));
}

#[test]
fn a_deadlock_found_under_symmetry_is_a_shortest_one_and_replays() {
    for n in [3, 4] {
        let m = model(ring(n, true));
        assert!(kind_of(&m).is_some());
        let plain = Checker::new(&m).symmetry(false).bfs();
        let reduced = Checker::new(&m).bfs();
        assert_eq!(reduced.verdict, Verdict::Violated);
        let (a, b) = (
            plain.counterexample.unwrap(),
            reduced.counterexample.unwrap(),
        );
        assert_eq!((a.property, b.property), ("deadlock", "deadlock"));
        assert_eq!(a.actions.len(), b.actions.len(), "both shortest");
        assert_eq!(b.actions.len(), 2 * n);
        // The actions replay to a state that breaks the property.
        let end = m.replay(&b.actions).unwrap();
        let deadlock = m.properties().into_iter().find(|p| p.name == "deadlock");
        assert!(!(deadlock.unwrap().holds)(&m, &end));
        // And so does its schedule file.
        let origin = ScheduleOrigin {
            file: "ring".into(),
            ..ScheduleOrigin::default()
        };
        let schedule = m.schedule_of(&b, origin);
        let replayed = m.replay_schedule(&schedule).unwrap();
        assert_eq!(replayed.broken, ["deadlock"]);
    }
}

/// The ring figures of docs/performance.md ("Symmetry"): `cargo test
/// --release -p telltale-explorer --test symmetry -- --ignored
/// --nocapture state_counts`.
#[test]
#[ignore = "prints a table; slow in debug builds"]
fn state_counts() {
    println!("| N | no POR | no POR, symmetry | represented | POR | POR + symmetry | time no POR: plain / symmetry | 1 drop | 1 drop, symmetry |");
    for n in 2..=7 {
        // A lost token deadlocks the ring: explore all of it, checking faults.
        let lossy = model(ring(n, false))
            .with_drop_budget(1)
            .checking(&["no_faults"]);
        let lossy_plain = Checker::new(&lossy).symmetry(false).threads(2).bfs();
        let lossy_sym = Checker::new(&lossy).threads(2).bfs();
        assert_eq!(lossy_plain.verdict, lossy_sym.verdict);
        assert_eq!(lossy_sym.represented_states, lossy_plain.unique_states);
        let m = model(ring(n, false));
        let run = |por, sym| {
            Checker::new(&m)
                .partial_order_reduction(por)
                .symmetry(sym)
                .threads(2)
                .bfs()
        };
        let (plain, sym, por, both) = (
            run(false, false),
            run(false, true),
            run(true, false),
            run(true, true),
        );
        println!(
            "| {n} | {} | {} | {} | {} | {} | {:.3} s / {:.3} s | {} | {} |",
            plain.unique_states,
            sym.unique_states,
            sym.represented_states,
            por.unique_states,
            both.unique_states,
            plain.elapsed.as_secs_f64(),
            sym.elapsed.as_secs_f64(),
            lossy_plain.unique_states,
            lossy_sym.unique_states
        );
    }
}

#[test]
fn a_large_full_group_is_sorted_not_enumerated() {
    let m = model(pairs(7));
    let SymmetryStatus::Applied(group) = m.symmetry() else {
        panic!("{:?}", m.symmetry());
    };
    assert_eq!(group.order(), 5040);
    assert!(!group.is_complete());
    assert_eq!(
        group.describe(m.image()),
        "all permutations of (C0, S0)..(C6, S6) (group of 5040, 7 elements enumerated)"
    );
    let report = Checker::new(&m).bfs();
    assert_eq!(report.verdict, Verdict::Holds);
    // Two pairs without reduction: every state of one client and server
    // is 9 states; the quotient is the multisets of 2 of them, 45.
    let two = Checker::new(&model(pairs(2)))
        .partial_order_reduction(false)
        .bfs();
    assert_eq!((two.unique_states, two.represented_states), (45, 81));
}
