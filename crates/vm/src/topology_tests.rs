//! Topology events: timeouts (timeout branch, failure branch, cancel),
//! corruption (detected with signatures, delivered mangled without), and
//! the host-contract assertions.

use crate::config::{Config, MessageAuth};
use crate::coroutine::CoroStatus;
use crate::effect::{EffectHandler, RecvInput, SendDecision, SendDecisionInput, TopologyInput};
use crate::event::ObsEvent;
use crate::fault::{Fault, ProtocolMachineError};
use crate::host_contract::HostContractViolation;
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use crate::session::SessionStatus;
use crate::topology::TopologyEvent;
use std::cell::{Cell, RefCell};
use telltale_compiler::{CodeImage, Value};
use telltale_types::{Label, LocalType, PayloadSort, Role};

/// Scripted topology events; senders block until `release` and then pick
/// the label named `pick` when offered it (else the first).
struct Script {
    events: RefCell<Vec<(u64, TopologyEvent)>>,
    release: u64,
    pick: &'static str,
    received: Cell<u32>,
}

fn script(events: Vec<(u64, TopologyEvent)>, release: u64, pick: &'static str) -> Script {
    Script {
        events: RefCell::new(events),
        release,
        pick,
        received: Cell::new(0),
    }
}

impl EffectHandler for Script {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        if input.ctx.tick < self.release {
            return Ok(SendDecision::Block);
        }
        let label = input
            .choices
            .iter()
            .copied()
            .find(|l| input.symbols.label_name(*l) == self.pick)
            .unwrap_or(input.choices[0]);
        let payload = match input.symbols.label(label).map(|l| l.sort.clone()) {
            Some(PayloadSort::Int) => Value::Int(5),
            _ => Value::Unit,
        };
        Ok(SendDecision::Deliver { label, payload })
    }

    fn handle_recv(&self, _: &RecvInput<'_>) -> Result<(), String> {
        self.received.set(self.received.get() + 1);
        Ok(())
    }

    fn topology_events(&self, input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        let mut events = self.events.borrow_mut();
        let (now, later): (Vec<_>, Vec<_>) = events.drain(..).partition(|(t, _)| *t == input.tick);
        *events = later;
        Ok(now.into_iter().map(|(_, e)| e).collect())
    }
}

fn load(locals: &[(Role, LocalType)], config: Config) -> ProtocolMachine {
    let mut m = ProtocolMachine::new(CodeImage::build(None, locals).unwrap(), config).unwrap();
    m.open_all_roles().unwrap();
    m
}

/// `C` offers `A` {data(int), <timeout>(unit)} and then sends `B` m(int);
/// `A` and `B` wait on `C`.
fn waiting_pair(timeout: &str) -> Vec<(Role, LocalType)> {
    let data = Label::new("data", PayloadSort::Int);
    let tick = Label::unit(timeout);
    let m = Label::new("m", PayloadSort::Int);
    vec![
        (
            Role::new("A"),
            LocalType::branch(
                "C",
                [
                    (data.clone(), LocalType::End),
                    (tick.clone(), LocalType::End),
                ],
            ),
        ),
        (
            Role::new("B"),
            LocalType::recv("C", m.clone(), LocalType::End),
        ),
        (
            Role::new("C"),
            LocalType::select(
                "A",
                [
                    (data, LocalType::send("B", m.clone(), LocalType::End)),
                    (tick, LocalType::send("B", m, LocalType::End)),
                ],
            ),
        ),
    ]
}

fn timeout_at(tick: u64, after_ticks: u64) -> (u64, TopologyEvent) {
    (
        tick,
        TopologyEvent::Timeout {
            session: 0,
            after_ticks,
        },
    )
}

#[test]
fn waiting_receivers_take_the_timeout_branch_or_fail_in_role_order() {
    for name in ["timeout", "Timeout"] {
        let mut m = load(&waiting_pair(name), Config::default());
        let h = script(vec![timeout_at(1, 3)], 10, name);
        assert_eq!(m.run(&h, 100).unwrap(), RunStatus::AllDone, "{name}");
        let ids = m.coroutines_of(0);
        let (a, b) = (ids[0], ids[1]);
        let a_view = m.coroutine(a).unwrap();
        assert_eq!(a_view.status, CoroStatus::Done);
        assert_eq!(a_view.registers[1], Value::Unit);
        assert!(matches!(
            m.coroutine(b).unwrap().status,
            CoroStatus::Faulted(ref f) if **f == Fault::TimedOut {
                session: 0,
                role: "B".into(),
                waiting_on: "C".into(),
            }
        ));
        assert_eq!(m.session(0).unwrap().status, SessionStatus::Active);
        let timeout_events: Vec<&ObsEvent> = m
            .trace_iter()
            .filter(|e| {
                matches!(
                    e,
                    ObsEvent::TimeoutIssued { .. }
                        | ObsEvent::TimeoutBranch { .. }
                        | ObsEvent::FailureBranchEntered { .. }
                        | ObsEvent::Faulted { .. }
                        | ObsEvent::Cancelled { .. }
                )
            })
            .collect();
        let label = m.symbols().labels.iter().position(|l| l.name() == name);
        assert!(
            matches!(
                timeout_events.as_slice(),
                [
                    ObsEvent::TimeoutIssued { tick: 4, session: 0 },
                    ObsEvent::TimeoutBranch { tick: 4, coro, from: 2, label: l, .. },
                    ObsEvent::FailureBranchEntered { tick: 4, coro: fb, .. },
                    ObsEvent::Faulted { tick: 4, .. },
                ] if *coro == a && *fb == b && Some(usize::from(*l)) == label
            ),
            "{timeout_events:?}"
        );
        // The handler saw no message for A: the branch consumed none.
        assert_eq!(h.received.get(), 0);
    }
}

#[test]
fn a_receiver_that_gets_its_message_in_time_is_not_woken() {
    let mut m = load(&waiting_pair("timeout"), Config::default());
    let h = script(vec![timeout_at(1, 20)], 0, "data");
    assert_eq!(m.run(&h, 100).unwrap(), RunStatus::AllDone);
    assert!(!m
        .trace_iter()
        .any(|e| matches!(e, ObsEvent::TimeoutIssued { .. })));
    assert_eq!(h.received.get(), 2);
}

#[test]
fn a_timeout_nobody_waits_on_cancels_the_session() {
    let mut m = load(&waiting_pair("timeout"), Config::default());
    // Fires in the first round, before anyone blocked.
    let h = script(vec![timeout_at(1, 0)], 10, "timeout");
    assert_eq!(m.run(&h, 100).unwrap(), RunStatus::AllDone);
    assert_eq!(m.session(0).unwrap().status, SessionStatus::Cancelled);
    assert!(m
        .trace_iter()
        .any(|e| matches!(e, ObsEvent::Cancelled { tick: 1, .. })));
    assert!(!m
        .trace_iter()
        .any(|e| matches!(e, ObsEvent::TimeoutBranch { .. })));
}

/// `A -> B : m(int) . end`, corrupted in flight at tick 2.
fn corrupted(
    auth: MessageAuth,
) -> (
    Result<RunStatus, ProtocolMachineError>,
    ProtocolMachine,
    u32,
) {
    let m = Label::new("m", PayloadSort::Int);
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", m.clone(), LocalType::End),
        ),
        (Role::new("B"), LocalType::recv("A", m, LocalType::End)),
    ];
    let mut machine = load(
        &locals,
        Config {
            message_auth: auth,
            ..Config::default()
        },
    );
    let h = script(
        vec![(
            2,
            TopologyEvent::Corrupt {
                session: 0,
                from: 0,
                to: 1,
            },
        )],
        0,
        "m",
    );
    let r = machine.run(&h, 100);
    let received = h.received.get();
    (r, machine, received)
}

#[test]
fn corruption_is_detected_by_signatures() {
    let (r, _, received) = corrupted(MessageAuth::Ed25519);
    match r {
        Err(ProtocolMachineError::Fault { fault, .. }) => assert_eq!(
            fault,
            Fault::SignatureInvalid {
                session: 0,
                from: "A".into(),
                to: "B".into(),
                seq: 0,
            }
        ),
        other => panic!("expected SignatureInvalid, got {other:?}"),
    }
    assert_eq!(received, 0);
}

#[test]
fn corruption_without_signatures_delivers_a_mangled_payload() {
    let (r, m, received) = corrupted(MessageAuth::None);
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    assert_eq!(received, 1);
    let got = m.trace_iter().find_map(|e| match e {
        ObsEvent::Received(msg) => Some(msg.payload.clone()),
        _ => None,
    });
    assert_eq!(got, Some(Value::Int(!5)));
    // An empty edge is left alone.
    let mut m = m;
    assert!(!m.corrupt_in_flight(0, 0, 1));
}

/// A handler whose identity alternates between rounds.
struct Fickle {
    calls: Cell<u32>,
}

impl EffectHandler for Fickle {
    fn handler_identity(&self) -> &str {
        let n = self.calls.get();
        self.calls.set(n + 1);
        if n < 2 {
            "first"
        } else {
            "second"
        }
    }
}

/// A handler that returns the same topology events every round.
struct Fixed(Vec<TopologyEvent>);

impl EffectHandler for Fixed {
    fn topology_events(&self, _: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        Ok(self.0.clone())
    }
}

fn two_roles(assertions: bool) -> ProtocolMachine {
    let m = Label::unit("m");
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", m.clone(), LocalType::End),
        ),
        (Role::new("B"), LocalType::recv("A", m, LocalType::End)),
    ];
    load(
        &locals,
        Config {
            host_contract_assertions: assertions,
            ..Config::default()
        },
    )
}

#[test]
fn host_contract_violations_are_typed_and_named() {
    let identity = two_roles(true).run(
        &Fickle {
            calls: Cell::new(0),
        },
        100,
    );
    let Err(ProtocolMachineError::HostContract(v)) = identity else {
        panic!("expected a host-contract error, got {identity:?}");
    };
    assert_eq!(
        v,
        HostContractViolation::HandlerIdentityChanged {
            tick: 3,
            before: "first".into(),
            after: "second".into(),
        }
    );
    assert!(v.to_string().contains("handler identity changed"), "{v}");

    let cancel = TopologyEvent::Cancel { session: 9 };
    let crash = TopologyEvent::Crash {
        session: 9,
        role: 0,
    };
    let cases = [
        (
            vec![cancel.clone(), crash.clone()],
            HostContractViolation::UnorderedTopologyEvents {
                tick: 1,
                index: 1,
                event: crash.clone(),
                previous: cancel.clone(),
            },
            "not sorted",
        ),
        (
            vec![crash.clone(), cancel.clone(), cancel.clone()],
            HostContractViolation::DuplicateTopologyEvent {
                tick: 1,
                index: 2,
                event: cancel.clone(),
            },
            "duplicates",
        ),
    ];
    for (events, expected, text) in cases {
        let got = two_roles(true).run(&Fixed(events.clone()), 100);
        let Err(ProtocolMachineError::HostContract(v)) = got else {
            panic!("{events:?}: expected a host-contract error, got {got:?}");
        };
        assert_eq!(v, expected);
        let message = ProtocolMachineError::HostContract(v).to_string();
        assert!(
            message.contains("host contract violated") && message.contains(text),
            "{message}"
        );
        // Well-ordered events pass.
        let mut sorted = events;
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            two_roles(true).run(&Fixed(sorted), 100).unwrap(),
            RunStatus::AllDone
        );
    }
}

#[test]
fn host_contracts_are_not_checked_when_the_flag_is_off() {
    assert_eq!(
        two_roles(false)
            .run(
                &Fickle {
                    calls: Cell::new(0)
                },
                100
            )
            .unwrap(),
        RunStatus::AllDone
    );
    let cancel = TopologyEvent::Cancel { session: 9 };
    let crash = TopologyEvent::Crash {
        session: 9,
        role: 0,
    };
    for events in [
        vec![cancel.clone(), crash.clone()],
        vec![cancel.clone(), cancel.clone()],
    ] {
        assert_eq!(
            two_roles(false).run(&Fixed(events), 100).unwrap(),
            RunStatus::AllDone
        );
    }
}
