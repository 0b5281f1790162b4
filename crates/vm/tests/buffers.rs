//! One test per buffer mode and backpressure policy, with recorded events.
#![allow(clippy::unwrap_used)]

use telltale_compiler::CodeImage;
use telltale_types::{Label, LocalType, PayloadSort, Role};
use telltale_vm::{
    BackpressurePolicy, BlockReason, BufferConfig, BufferMode, Config, DefaultHandler, Fault,
    ObsEvent, ProtocolMachine, ProtocolMachineError, RunStatus, SchedulerPolicy,
};

/// A sends three `m(int)` to B, who receives three; A runs first and keeps
/// running (cooperative), so it fills the buffer of capacity 2.
fn run(
    mode: BufferMode,
    policy: BackpressurePolicy,
) -> (ProtocolMachine, Result<RunStatus, ProtocolMachineError>) {
    let m = Label::new("m", PayloadSort::Int);
    let mut a = LocalType::End;
    let mut b = LocalType::End;
    for _ in 0..3 {
        a = LocalType::send("B", m.clone(), a);
        b = LocalType::recv("A", m.clone(), b);
    }
    let image = CodeImage::build(None, &[(Role::new("A"), a), (Role::new("B"), b)]).unwrap();
    let config = Config {
        scheduler: SchedulerPolicy::Cooperative,
        buffer: BufferConfig {
            mode,
            capacity: 2,
            policy,
        },
        ..Config::default()
    };
    let mut machine = ProtocolMachine::new(image, config).unwrap();
    machine.open_all_roles().unwrap();
    let r = machine.run(&DefaultHandler::new(0), 1000);
    (machine, r)
}

/// A compact rendering of the message-related events, in order.
fn kinds(m: &ProtocolMachine) -> Vec<String> {
    m.trace()
        .iter()
        .filter_map(|e| match e {
            ObsEvent::Sent(_) => Some("sent".to_string()),
            ObsEvent::Received(_) => Some("recv".to_string()),
            ObsEvent::Dropped(_) => Some("dropped".to_string()),
            ObsEvent::Overwritten(_) => Some("overwritten".to_string()),
            ObsEvent::BufferResized { capacity, .. } => Some(format!("resized {capacity}")),
            ObsEvent::Blocked {
                reason: BlockReason::Send { .. },
                ..
            } => Some("blocked-send".to_string()),
            ObsEvent::Blocked {
                reason: BlockReason::Recv { .. },
                ..
            } => Some("blocked-recv".to_string()),
            ObsEvent::Faulted { .. } => Some("faulted".to_string()),
            _ => None,
        })
        .collect()
}

fn check(
    mode: BufferMode,
    policy: BackpressurePolicy,
    expected_status: Result<RunStatus, &str>,
    expected_events: &[&str],
) {
    let (m, r) = run(mode, policy);
    match (r, expected_status) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{policy:?}"),
        (Err(ProtocolMachineError::Fault { fault, .. }), Err(kind)) => {
            assert!(format!("{fault:?}").starts_with(kind), "{fault:?}");
        }
        (r, e) => panic!("{policy:?}: got {r:?}, expected {e:?}"),
    }
    assert_eq!(kinds(&m), expected_events, "{mode:?} {policy:?}");
}

#[test]
fn block_makes_the_sender_wait() {
    check(
        BufferMode::Fifo,
        BackpressurePolicy::Block,
        Ok(RunStatus::AllDone),
        &[
            "sent",
            "sent",
            "blocked-send",
            "recv",
            "recv",
            "blocked-recv",
            "sent",
            "recv",
        ],
    );
}

#[test]
fn drop_loses_the_message_and_records_it() {
    check(
        BufferMode::Fifo,
        BackpressurePolicy::Drop,
        Ok(RunStatus::Stuck),
        &["sent", "sent", "dropped", "recv", "recv", "blocked-recv"],
    );
}

#[test]
fn error_faults_the_sender() {
    check(
        BufferMode::Fifo,
        BackpressurePolicy::Error,
        Err("BufferFull"),
        &["sent", "sent", "faulted"],
    );
    let (_, r) = run(BufferMode::Fifo, BackpressurePolicy::Error);
    match r {
        Err(ProtocolMachineError::Fault {
            fault: Fault::BufferFull { from, to, .. },
            ..
        }) => assert_eq!((from.as_str(), to.as_str()), ("A", "B")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn resize_grows_up_to_the_bound() {
    check(
        BufferMode::Fifo,
        BackpressurePolicy::Resize { max_capacity: 4 },
        Ok(RunStatus::AllDone),
        &["sent", "sent", "resized 4", "sent", "recv", "recv", "recv"],
    );
    check(
        BufferMode::Fifo,
        BackpressurePolicy::Resize { max_capacity: 2 },
        Ok(RunStatus::AllDone),
        &[
            "sent",
            "sent",
            "blocked-send",
            "recv",
            "recv",
            "blocked-recv",
            "sent",
            "recv",
        ],
    );
}

#[test]
fn latest_value_overwrites_unread_messages() {
    check(
        BufferMode::LatestValue,
        BackpressurePolicy::Block,
        Ok(RunStatus::Stuck),
        &[
            "sent",
            "overwritten",
            "sent",
            "overwritten",
            "sent",
            "recv",
            "blocked-recv",
        ],
    );
}
