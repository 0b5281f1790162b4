//! The exploration hooks on small machines.

use crate::explore::StateEncoder;
use crate::{load_all_roles, Config, DefaultHandler, ProtocolMachine};
use telltale_types::{Label, LocalType, Role};

/// A sends `x` to B and C sends `y` to D: two independent pairs.
fn two_pairs() -> ProtocolMachine {
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", Label::unit("x"), LocalType::End),
        ),
        (
            Role::new("B"),
            LocalType::recv("A", Label::unit("x"), LocalType::End),
        ),
        (
            Role::new("C"),
            LocalType::send("D", Label::unit("y"), LocalType::End),
        ),
        (
            Role::new("D"),
            LocalType::recv("C", Label::unit("y"), LocalType::End),
        ),
    ];
    load_all_roles(None, &locals, Config::default()).unwrap()
}

fn fingerprint(m: &ProtocolMachine) -> u64 {
    StateEncoder::new().fingerprint(m)
}

#[test]
fn only_steps_that_can_move_are_enabled() {
    let m = two_pairs();
    let enabled: Vec<String> = m
        .enabled_steps()
        .iter()
        .map(|s| m.symbols().role_name(s.role))
        .collect();
    assert_eq!(enabled, ["A", "C"], "receivers wait for a message");
    assert!(m
        .enabled_steps()
        .iter()
        .all(|s| s.local && s.edge.is_some()));
}

#[test]
fn independent_steps_commute_to_the_same_fingerprint() {
    let handler = DefaultHandler::new(0);
    let start = two_pairs();
    let steps = start.enabled_steps();
    let (a, c) = (steps[0].slot, steps[1].slot);
    let mut ac = start.clone();
    ac.execute_step(a, &handler).unwrap();
    ac.execute_step(c, &handler).unwrap();
    let mut ca = start.clone();
    ca.execute_step(c, &handler).unwrap();
    ca.execute_step(a, &handler).unwrap();
    assert_eq!(fingerprint(&ac), fingerprint(&ca));
    assert_ne!(fingerprint(&ac), fingerprint(&start));
    assert_eq!(ac.queued_messages(), (2, 1));
}

#[test]
fn stepping_to_the_end_reaches_a_final_state_and_leaves_the_original_alone() {
    let handler = DefaultHandler::new(0);
    let start = two_pairs();
    let before = fingerprint(&start);
    let mut m = start.clone();
    while let Some(step) = m.enabled_steps().first().cloned() {
        m.execute_step(step.slot, &handler).unwrap();
    }
    assert!(m.is_final());
    assert_eq!(m.queued_messages(), (0, 0));
    assert!(m.faulted_coroutines().is_empty());
    assert_eq!(fingerprint(&start), before, "a clone is independent");
    assert!(!start.is_final());
}

#[test]
fn clocks_and_traces_are_not_part_of_the_fingerprint() {
    let handler = DefaultHandler::new(0);
    let mut m = two_pairs();
    let a = m.enabled_steps()[0].slot;
    m.execute_step(a, &handler).unwrap();
    m.execute_step(a, &handler).unwrap();
    assert!(m.coroutine(0).unwrap().status.is_terminal(), "A is done");
    let before = fingerprint(&m);
    let clock = m.clock();
    let events = m.trace().len();
    // Stepping a finished coroutine only advances the clock.
    m.execute_step(a, &handler).unwrap();
    assert!(m.clock() > clock);
    assert_eq!(fingerprint(&m), before);
    let mut other = two_pairs();
    let a = other.enabled_steps()[0].slot;
    other.execute_step(a, &handler).unwrap();
    other.execute_step(a, &handler).unwrap();
    assert_eq!(fingerprint(&other), before, "same state, fewer ticks");
    assert!(events > 0);
}

#[test]
fn an_open_offer_lists_its_labels() {
    let locals = vec![
        (
            Role::new("A"),
            LocalType::select(
                "B",
                [
                    (Label::unit("yes"), LocalType::End),
                    (Label::unit("no"), LocalType::End),
                ],
            ),
        ),
        (
            Role::new("B"),
            LocalType::branch(
                "A",
                [
                    (Label::unit("yes"), LocalType::End),
                    (Label::unit("no"), LocalType::End),
                ],
            ),
        ),
    ];
    let m = load_all_roles(None, &locals, Config::default()).unwrap();
    let steps = m.enabled_steps();
    assert_eq!(steps.len(), 1);
    let names: Vec<&str> = steps[0]
        .open_labels
        .iter()
        .map(|l| m.symbols().label(*l).unwrap().name())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"yes") && names.contains(&"no"), "{names:?}");
}

/// B waits for `Data` from A or for its deadline.
fn data_or_timeout() -> ProtocolMachine {
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", Label::unit("Data"), LocalType::End),
        ),
        (
            Role::new("B"),
            LocalType::branch(
                "A",
                [
                    (Label::unit("Data"), LocalType::End),
                    (Label::unit("Timeout"), LocalType::End),
                ],
            ),
        ),
    ];
    load_all_roles(None, &locals, Config::default()).unwrap()
}

#[test]
fn a_receive_with_a_timeout_branch_may_time_out_only_while_nothing_is_queued() {
    let mut m = data_or_timeout();
    let waiting = m.timeout_steps();
    assert_eq!(waiting.len(), 1);
    assert_eq!(m.symbols().role_name(waiting[0].role), "B");
    assert_eq!(m.symbols().role_name(waiting[0].from), "A");
    // A sends: B has a message, so it receives rather than times out.
    let send = m.enabled_steps()[0].clone();
    m.execute_step(send.slot, &DefaultHandler::new(0)).unwrap();
    assert!(m.timeout_steps().is_empty());
    assert!(!m.fire_receive_timeout(waiting[0].slot));
    // From the start, B times out and finishes; Data is left queued.
    let mut m = data_or_timeout();
    let before = fingerprint(&m);
    assert!(m.fire_receive_timeout(waiting[0].slot));
    assert_ne!(before, fingerprint(&m));
    assert!(m.timeout_steps().is_empty());
    let handler = DefaultHandler::new(0);
    while let Some(step) = m.enabled_steps().first().cloned() {
        m.execute_step(step.slot, &handler).unwrap();
    }
    assert!(m.is_final());
    assert_eq!(m.queued_messages(), (1, 1), "Data came too late");
}

#[test]
fn a_plain_receive_never_times_out() {
    let m = two_pairs();
    assert!(m.timeout_steps().is_empty());
}

/// A sends `x` to B and C sends `x` to D: swapping (A C)(B D) is a symmetry.
fn two_equal_pairs() -> ProtocolMachine {
    let send = |to: &str| LocalType::send(to, Label::unit("x"), LocalType::End);
    let recv = |from: &str| LocalType::recv(from, Label::unit("x"), LocalType::End);
    let locals = vec![
        (Role::new("A"), send("B")),
        (Role::new("B"), recv("A")),
        (Role::new("C"), send("D")),
        (Role::new("D"), recv("C")),
    ];
    load_all_roles(None, &locals, Config::default()).unwrap()
}

#[test]
fn the_identity_renaming_is_the_plain_encoding() {
    let handler = DefaultHandler::new(0);
    let mut m = two_pairs();
    let mut encoder = StateEncoder::new();
    for _ in 0..3 {
        let plain = encoder.encode(&m).to_vec();
        let renamed = encoder.encode_permuted(&m, &[0, 1, 2, 3]).unwrap().to_vec();
        assert_eq!(plain, renamed);
        let Some(step) = m.enabled_steps().first().cloned() else {
            break;
        };
        m.execute_step(step.slot, &handler).unwrap();
    }
}

#[test]
fn renaming_maps_a_state_to_its_mirror_image() {
    let handler = DefaultHandler::new(0);
    let start = two_equal_pairs();
    let role = |m: &ProtocolMachine, name: &str| m.symbols().role_id(name).unwrap();
    let slot_of = |m: &ProtocolMachine, name: &str| {
        let r = role(m, name);
        m.enabled_steps().iter().find(|s| s.role == r).unwrap().slot
    };
    let mut a = start.clone();
    a.execute_step(slot_of(&a, "A"), &handler).unwrap();
    let mut c = start.clone();
    c.execute_step(slot_of(&c, "C"), &handler).unwrap();
    let (ra, rb, rc, rd) = (
        role(&start, "A"),
        role(&start, "B"),
        role(&start, "C"),
        role(&start, "D"),
    );
    let mut swap = vec![0; 4];
    swap[usize::from(ra)] = rc;
    swap[usize::from(rc)] = ra;
    swap[usize::from(rb)] = rd;
    swap[usize::from(rd)] = rb;
    let mut encoder = StateEncoder::new();
    let mirrored = encoder.fingerprint_permuted(&a, &swap, &[]).unwrap();
    let identity = [0, 1, 2, 3];
    let plain_c = encoder.fingerprint_permuted(&c, &identity, &[]).unwrap();
    assert_eq!(mirrored, plain_c, "A's send renamed is C's send");
    assert_ne!(fingerprint(&a), fingerprint(&c));
    assert!(
        encoder.encode_permuted(&a, &[0, 0, 1, 2]).is_none(),
        "not a permutation"
    );
    assert!(
        encoder.encode_permuted(&a, &[0, 1]).is_none(),
        "wrong width"
    );
}

#[test]
fn block_keys_follow_the_members_not_their_names() {
    let handler = DefaultHandler::new(0);
    let start = two_equal_pairs();
    let id = |name: &str| start.symbols().role_id(name).unwrap();
    let blocks = vec![vec![id("A"), id("B")], vec![id("C"), id("D")]];
    let mut encoder = StateEncoder::new();
    let keys = encoder.block_keys(&start, &blocks).unwrap();
    assert_eq!(keys[0], keys[1], "both pairs are at their start");
    let step = |name: &str| {
        let mut m = start.clone();
        let slot = m
            .enabled_steps()
            .iter()
            .find(|s| s.role == id(name))
            .unwrap()
            .slot;
        m.execute_step(slot, &handler).unwrap();
        m
    };
    let (a, c) = (step("A"), step("C"));
    let ka = encoder.block_keys(&a, &blocks).unwrap();
    let kc = encoder.block_keys(&c, &blocks).unwrap();
    assert_ne!(ka[0], ka[1]);
    assert_eq!(
        (ka[0], ka[1]),
        (kc[1], kc[0]),
        "A's pair after its send is C's"
    );
}

#[test]
fn clone_from_writes_the_same_state_over_any_other() {
    let handler = DefaultHandler::new(0);
    let start = two_pairs();
    // A scratch machine in a later state (messages queued, one receiver
    // done) that `clone_from` must overwrite completely.
    let mut scratch = start.clone();
    for _ in 0..3 {
        let step = scratch.enabled_steps()[0].slot;
        scratch.execute_step(step, &handler).unwrap();
    }
    assert_ne!(fingerprint(&scratch), fingerprint(&start));
    scratch.clone_from(&start);
    assert_eq!(fingerprint(&scratch), fingerprint(&start));
    assert_eq!(scratch.enabled_steps(), start.enabled_steps());
    // And the two go on alike, step for step.
    let mut copy = start.clone();
    while let Some(step) = copy.enabled_steps().first().cloned() {
        copy.execute_step(step.slot, &handler).unwrap();
        scratch.execute_step(step.slot, &handler).unwrap();
        assert_eq!(fingerprint(&scratch), fingerprint(&copy));
        assert_eq!(scratch.queued_messages(), copy.queued_messages());
    }
    assert!(scratch.is_final());
}

#[test]
fn a_successor_fingerprint_from_its_parent_is_its_own() {
    let handler = DefaultHandler::new(0);
    let mut encoder = StateEncoder::new();
    let mut parent = two_pairs();
    let mut scratch = parent.clone();
    let mut incremental = 0;
    while let Some(first) = parent.enabled_steps().first().cloned() {
        let parent_fp = encoder.fingerprint(&parent);
        for step in parent.enabled_steps() {
            scratch.clone_from(&parent);
            scratch.execute_step(step.slot, &handler).unwrap();
            let whole = encoder.fingerprint(&scratch);
            let from_parent =
                encoder.successor_fingerprint_then(&parent, parent_fp, |_| {}, &scratch, |_| {});
            if let Some(fp) = from_parent {
                assert_eq!(fp, whole, "step {step:?}");
                incremental += 1;
            }
        }
        parent.execute_step(first.slot, &handler).unwrap();
    }
    assert!(
        incremental > 3,
        "{incremental} successors fingerprinted from parents"
    );
    // A state that was not copied from the parent is hashed whole.
    let stranger = two_pairs();
    let stranger_fp = encoder.fingerprint(&stranger);
    let refused =
        encoder.successor_fingerprint_then(&stranger, stranger_fp, |_| {}, &scratch, |_| {});
    assert_eq!(refused, None);
}
