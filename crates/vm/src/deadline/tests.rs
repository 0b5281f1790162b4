//! Missed receives on small machines: a deadline makes a waiting receiver
//! miss a missable message, the late message is dropped on arrival, and
//! the protocol goes on to its end.

use crate::event::ObsEvent;
use crate::{load_image_all_roles, Config, DefaultHandler, ProtocolMachine, RunStatus};
use telltale_compiler::CodeImage;
use telltale_types::{EffectTable, Label, LocalType, MissableMessage, Role};

/// A waits for C's `go`, then sends B `vote` and `done`; B receives both;
/// C sends `go` last of all (after B would wait). `vote` may be missed
/// when `missable`.
fn late_vote(missable: bool) -> ProtocolMachine {
    let locals = vec![
        (
            Role::new("A"),
            LocalType::recv(
                "C",
                Label::unit("go"),
                LocalType::send(
                    "B",
                    Label::unit("vote"),
                    LocalType::send("B", Label::unit("done"), LocalType::End),
                ),
            ),
        ),
        (
            Role::new("B"),
            LocalType::recv(
                "A",
                Label::unit("vote"),
                LocalType::recv("A", Label::unit("done"), LocalType::End),
            ),
        ),
        (
            Role::new("C"),
            LocalType::send("A", Label::unit("go"), LocalType::End),
        ),
    ];
    let effects = EffectTable {
        missable: if missable {
            vec![MissableMessage {
                from: Role::new("A"),
                to: Role::new("B"),
                label: "vote".into(),
            }]
        } else {
            Vec::new()
        },
        ..EffectTable::default()
    };
    let image = CodeImage::build_with_effects(None, &locals, &effects).unwrap();
    load_image_all_roles(image, Config::default()).unwrap()
}

/// The slot of `role`'s coroutine.
fn slot_of(m: &ProtocolMachine, role: &str) -> u32 {
    let id = m.symbols().role_id(role).unwrap();
    (0..m.coroutines.len() as u32)
        .find(|&s| {
            m.coroutines[s as usize]
                .as_ref()
                .is_some_and(|c| c.role == id)
        })
        .unwrap()
}

/// [`late_vote`] after C sent `go` and A sent `vote` and `done`, `vote`
/// lost on the way.
fn vote_lost(missable: bool) -> ProtocolMachine {
    let handler = DefaultHandler::new(0);
    let mut m = late_vote(missable);
    for role in ["C", "A", "A", "A"] {
        m.execute_step(slot_of(&m, role), &handler).unwrap();
    }
    let (a, b) = (
        m.symbols().role_id("A").unwrap(),
        m.symbols().role_id("B").unwrap(),
    );
    assert!(m.lose_oldest_message(0, a, b));
    m
}

#[test]
fn a_missed_message_is_dropped_when_it_arrives_and_the_protocol_ends() {
    let handler = DefaultHandler::new(0);
    let mut m = late_vote(true);
    // B may miss `vote` while nothing is queued: the explorer's deadline.
    assert_eq!(m.timeout_steps().len(), 1);
    let b = slot_of(&m, "B");
    assert!(m.fire_receive_timeout(b));
    for _ in 0..8 {
        let Some(step) = m.enabled_steps().first().cloned() else {
            break;
        };
        m.execute_step(step.slot, &handler).unwrap();
    }
    assert!(m.is_final(), "everyone finished");
    assert_eq!(m.queued_messages().0, 0, "the late vote is not an orphan");
    assert!(m.faulted_coroutines().is_empty());
    let dropped = m
        .trace_iter()
        .filter(|e| matches!(e, ObsEvent::Dropped(_)))
        .count();
    assert_eq!(dropped, 1, "the late vote was dropped on arrival");
}

#[test]
fn a_message_that_is_not_missable_cannot_be_missed() {
    let m = late_vote(false);
    assert!(m.timeout_steps().is_empty());
}

#[test]
fn a_session_timeout_makes_a_waiting_receiver_miss_a_missable_message() {
    let handler = DefaultHandler::new(0);
    let mut m = late_vote(true);
    // B runs first and blocks on `vote`.
    m.execute_step(slot_of(&m, "B"), &handler).unwrap();
    // The deadline passes: B misses `vote` and waits for `done`, which
    // arrives after the late vote is dropped.
    m.fire_timeout(0);
    let status = m.run(&handler, 100).unwrap();
    assert_eq!(status, RunStatus::AllDone);
    assert!(m.faulted_coroutines().is_empty());
    assert_eq!(m.queued_messages().0, 0);
    let missed = m.trace_iter().any(|e| {
        matches!(e, ObsEvent::TimeoutBranch { label, .. } if m.symbols().label_name(*label) == "vote")
    });
    assert!(missed, "B missed the vote");
    assert!(m.trace_iter().any(|e| matches!(e, ObsEvent::Dropped(_))));
}

#[test]
fn a_missable_message_lost_on_the_way_is_missed_when_the_next_one_comes() {
    let handler = DefaultHandler::new(0);
    // `vote` is lost: B finds `done` first, misses `vote`, then takes it.
    let mut m = vote_lost(true);
    for _ in 0..8 {
        let Some(step) = m.enabled_steps().first().cloned() else {
            break;
        };
        m.execute_step(step.slot, &handler).unwrap();
    }
    assert!(m.is_final(), "everyone finished");
    assert!(m.faulted_coroutines().is_empty());
    assert_eq!(m.queued_messages().0, 0);
}

#[test]
fn without_the_mark_a_lost_message_is_a_violation() {
    let handler = DefaultHandler::new(0);
    let mut m = vote_lost(false);
    assert!(m.execute_step(slot_of(&m, "B"), &handler).is_err());
}
