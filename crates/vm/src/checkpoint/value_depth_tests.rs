//! Regression tests: a checkpoint holding a value nested deeper than
//! `MAX_VALUE_DEPTH` is one typed error, on restore and on save, never a
//! stack overflow.

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::config::Config;
use crate::load_all_roles;
use crate::machine::ProtocolMachine;
use telltale_compiler::Value;
use telltale_types::value::{ValueTooDeep, MAX_VALUE_DEPTH};
use telltale_types::{Label, LocalType, PayloadSort, Role};

/// `A -> B : n(nat) . end`, loaded.
fn machine() -> ProtocolMachine {
    let n = Label::new("n", PayloadSort::Nat);
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", n.clone(), LocalType::End),
        ),
        (Role::new("B"), LocalType::recv("A", n, LocalType::End)),
    ];
    load_all_roles(None, &locals, Config::default()).unwrap()
}

/// A recognisable byte-string value and its postcard encoding.
fn marker() -> (Value, Vec<u8>) {
    let bytes = vec![0xA5u8; 16];
    let mut encoded = vec![6u8, 16];
    encoded.extend(&bytes);
    (Value::bytes(bytes), encoded)
}

/// The postcard encoding of `depth` one-item tuples around a unit.
fn deep_tuple_encoding(depth: usize) -> Vec<u8> {
    let mut out = [7u8, 1].repeat(depth);
    out.push(0);
    out
}

fn too_deep() -> CheckpointError {
    CheckpointError::ValueTooDeep(ValueTooDeep {
        limit: MAX_VALUE_DEPTH,
    })
}

#[test]
fn a_forged_checkpoint_with_a_tuple_nested_60000_deep_is_one_typed_error() {
    let mut m = machine();
    let (value, encoded) = marker();
    m.coroutines[0].as_mut().unwrap().registers[0] = value;
    let state = m.checkpoint().unwrap().machine;
    let at = state
        .windows(encoded.len())
        .position(|w| w == encoded.as_slice())
        .expect("the marker is in the state");
    let mut forged = state[..at].to_vec();
    forged.extend(deep_tuple_encoding(60_000));
    forged.extend(&state[at + encoded.len()..]);
    let checkpoint = Checkpoint {
        crate_version: crate::checkpoint::CHECKPOINT_CRATE_VERSION.into(),
        host_state: Vec::new(),
        machine: forged,
    };
    // The envelope recomputes the digest, so only the value is wrong.
    let bytes = checkpoint.to_bytes();
    assert!(bytes.len() > 120_000);
    let read = Checkpoint::from_bytes(&bytes).unwrap();
    assert_eq!(ProtocolMachine::restore(&read).err(), Some(too_deep()));
    assert_eq!(read.to_json().unwrap_err(), too_deep());
    assert!(too_deep().to_string().contains("deeper than 64 levels"));
}

#[test]
fn a_machine_holding_a_too_deep_value_refuses_to_save_it() {
    let mut m = machine();
    let deep = (0..=MAX_VALUE_DEPTH).fold(Value::Unit, |inner, _| Value::product([inner]));
    m.coroutines[0].as_mut().unwrap().registers[0] = deep;
    assert_eq!(m.checkpoint().unwrap_err(), too_deep());
    let shallow = (1..MAX_VALUE_DEPTH).fold(Value::Unit, |inner, _| Value::product([inner]));
    m.coroutines[0].as_mut().unwrap().registers[0] = shallow.clone();
    let Ok(restored) = ProtocolMachine::restore(&m.checkpoint().unwrap()) else {
        panic!("a value within the limit restores");
    };
    assert_eq!(
        restored.coroutines[0].as_ref().unwrap().registers[0],
        shallow
    );
}

#[test]
fn a_forged_checkpoint_with_a_sort_nested_a_million_deep_names_the_cause() {
    let marker = PayloadSort::Named("deep.marker".into());
    let n = Label::new("n", marker.clone());
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", n.clone(), LocalType::End),
        ),
        (Role::new("B"), LocalType::recv("A", n, LocalType::End)),
    ];
    let m = load_all_roles(None, &locals, Config::default()).unwrap();
    let state = m.checkpoint().unwrap().machine;
    let needle = postcard::to_allocvec(&marker).unwrap();
    let at = state
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .expect("the marker sort is in the state");
    // A product of one sort, a million times over, around a unit sort.
    let mut deep = [8u8, 1].repeat(1_000_000);
    deep.push(0);
    let forged = [&state[..at], deep.as_slice(), &state[at + needle.len()..]].concat();
    let checkpoint = Checkpoint {
        crate_version: crate::checkpoint::CHECKPOINT_CRATE_VERSION.into(),
        host_state: Vec::new(),
        machine: forged,
    };
    let read = Checkpoint::from_bytes(&checkpoint.to_bytes()).unwrap();
    let err = ProtocolMachine::restore(&read).err().expect("refused");
    assert!(
        err.to_string()
            .contains("a payload sort is nested deeper than 1000 levels"),
        "{err}"
    );
}
