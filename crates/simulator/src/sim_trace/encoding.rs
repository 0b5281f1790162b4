//! The bytes the trace digest reads for each line: a fixed layout
//! (little-endian integers, length-prefixed text), written by hand for
//! the lines every round has (message events, network messages) and in
//! postcard's specified wire format for the rest. The layout is part of
//! the reproducibility contract (docs/simulator.md, "The trace"): change
//! it only with [`super::DIGEST_DOMAIN`].

use super::entry::{Edge, Note};
use serde::Serialize;
use telltale_compiler::Value;
use telltale_vm::{MessageEvent, ObsEvent};

/// A line's first byte.
const MACHINE: u8 = 1;
const MESSAGE: u8 = 2;
const TEXT: u8 = 3;

/// A machine event's first byte: its message variant, or `OTHER` and the
/// postcard encoding of the whole event.
const SENT: u8 = 1;
const OFFERED: u8 = 2;
const RECEIVED: u8 = 3;
const CHOSE: u8 = 4;
const DROPPED: u8 = 5;
const LOST: u8 = 6;
const OVERWRITTEN: u8 = 7;
const OTHER: u8 = 0xff;

/// A payload's first byte: its scalar kind, or `POSTCARD` and the
/// postcard encoding of the value.
const UNIT: u8 = 0;
const BOOL: u8 = 1;
const NAT: u8 = 2;
const INT: u8 = 3;
const REAL: u8 = 4;
const POSTCARD: u8 = 0xff;

/// Appends a machine line.
pub(super) fn machine(out: &mut Vec<u8>, tick: u64, event: &ObsEvent) {
    out.push(MACHINE);
    out.extend_from_slice(&tick.to_le_bytes());
    let (variant, m) = match event {
        ObsEvent::Sent(m) => (SENT, m),
        ObsEvent::Offered(m) => (OFFERED, m),
        ObsEvent::Received(m) => (RECEIVED, m),
        ObsEvent::Chose(m) => (CHOSE, m),
        ObsEvent::Dropped(m) => (DROPPED, m),
        ObsEvent::Lost(m) => (LOST, m),
        ObsEvent::Overwritten(m) => (OVERWRITTEN, m),
        other => {
            out.push(OTHER);
            postcard_prefixed(out, other);
            return;
        }
    };
    out.push(variant);
    message_event(out, m);
}

fn message_event(out: &mut Vec<u8>, m: &MessageEvent) {
    out.extend_from_slice(&m.tick.to_le_bytes());
    out.extend_from_slice(&m.session.to_le_bytes());
    out.extend_from_slice(&m.from.to_le_bytes());
    out.extend_from_slice(&m.to.to_le_bytes());
    out.extend_from_slice(&m.label.to_le_bytes());
    out.extend_from_slice(&m.seq.to_le_bytes());
    match &m.payload {
        Value::Unit => out.push(UNIT),
        Value::Bool(b) => out.extend_from_slice(&[BOOL, u8::from(*b)]),
        Value::Nat(n) => {
            out.push(NAT);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Value::Int(i) => {
            out.push(INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Real(r) => {
            out.push(REAL);
            out.extend_from_slice(&r.to_bits().to_le_bytes());
        }
        other => {
            out.push(POSTCARD);
            postcard_prefixed(out, other);
        }
    }
}

/// Appends a network line.
pub(super) fn message(out: &mut Vec<u8>, tick: u64, kind: &str, edge: Edge, note: Note) {
    out.push(MESSAGE);
    out.extend_from_slice(&tick.to_le_bytes());
    text(out, kind);
    out.extend_from_slice(&edge.from.to_le_bytes());
    out.extend_from_slice(&edge.to.to_le_bytes());
    out.extend_from_slice(&edge.label.to_le_bytes());
    out.extend_from_slice(&edge.seq.to_le_bytes());
    match note {
        Note::Plain => out.push(0),
        Note::Network => out.push(1),
        Note::Fault { index, kind } => {
            out.push(2);
            out.extend_from_slice(&u64::from(index).to_le_bytes());
            text(out, kind.name());
        }
        Note::ReceiverCrashed => out.push(3),
        Note::PolicyDrop => out.push(4),
        Note::SessionFinished => out.push(5),
        Note::Silent => out.push(6),
    }
}

/// Appends a line of text.
pub(super) fn text_line(out: &mut Vec<u8>, tick: u64, kind: &str, detail: &str) {
    out.push(TEXT);
    out.extend_from_slice(&tick.to_le_bytes());
    text(out, kind);
    text(out, detail);
}

/// A length (u64) and the UTF-8 bytes.
fn text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// A length (u64) and the postcard encoding of `value`, written in place
/// (no buffer of its own). Not failing for these types (no maps, no
/// sequences of unknown length); a failure is encoded as a marker with
/// its message rather than a panic.
fn postcard_prefixed(out: &mut Vec<u8>, value: &impl Serialize) {
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    match postcard::serialize_with_flavor(value, Append(out)) {
        Ok(()) => {
            let len = (out.len() - start - 8) as u64;
            out[start..start + 8].copy_from_slice(&len.to_le_bytes());
        }
        Err(e) => {
            out.truncate(start);
            out.extend_from_slice(&u64::MAX.to_le_bytes());
            text(out, &e.to_string());
        }
    }
}

/// A postcard output that appends to a buffer.
struct Append<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_int_has_a_fixed_layout() {
        let mut out = Vec::new();
        let m = MessageEvent {
            tick: 5,
            session: 1,
            from: 2,
            to: 3,
            label: 4,
            seq: 6,
            payload: Value::Int(-1),
        };
        machine(&mut out, 9, &ObsEvent::Sent(m));
        let mut expected = vec![MACHINE];
        expected.extend_from_slice(&9u64.to_le_bytes());
        expected.push(SENT);
        expected.extend_from_slice(&5u64.to_le_bytes());
        expected.extend_from_slice(&1u64.to_le_bytes());
        expected.extend_from_slice(&[2, 0, 3, 0, 4, 0]);
        expected.extend_from_slice(&6u64.to_le_bytes());
        expected.push(INT);
        expected.extend_from_slice(&[0xff; 8]);
        assert_eq!(out, expected);
    }

    #[test]
    fn other_events_and_payloads_are_postcard_and_distinct() {
        let mut a = Vec::new();
        machine(&mut a, 1, &ObsEvent::Halted { tick: 1, coro: 0 });
        let mut b = Vec::new();
        machine(&mut b, 1, &ObsEvent::Halted { tick: 1, coro: 1 });
        assert_ne!(a, b);
        assert_eq!(a[9], OTHER);
        let event = |payload| {
            let mut out = Vec::new();
            let m = MessageEvent {
                tick: 0,
                session: 0,
                from: 0,
                to: 0,
                label: 0,
                seq: 0,
                payload,
            };
            machine(&mut out, 0, &ObsEvent::Received(m));
            out
        };
        assert_ne!(event(Value::string("a")), event(Value::string("b")));
        assert_ne!(event(Value::Nat(1)), event(Value::Int(1)));
        // The length prefix is the postcard encoding's.
        let halted = ObsEvent::Halted { tick: 1, coro: 0 };
        let encoded = postcard::to_stdvec(&halted).unwrap();
        assert_eq!(a[10..18], (encoded.len() as u64).to_le_bytes());
        assert_eq!(a[18..], encoded[..]);
    }
}
