//! The `Corrupt` topology event: damage to a message in flight.
//!
//! The oldest queued message of the edge gets a mangled payload (see
//! [`mangle`]) and, when messages are signed, one flipped signature byte.
//! With `message_auth = Ed25519` the receiver then faults with
//! `Fault::SignatureInvalid` before its handler sees anything. Without
//! authentication the damage cannot be detected: the mangled payload is
//! delivered (replay identities are computed over what arrives).

use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use std::sync::Arc;
use telltale_compiler::{RoleId, Value};
use telltale_types::stack::with_headroom;

/// A deterministic corruption of a payload that always changes it: numbers
/// and booleans get their bits flipped, strings gain a trailing U+FFFD,
/// byte strings their first byte flipped, tuples and records their first
/// element mangled; unit, empty tuples and records, and endpoints (no bits worth flipping)
/// become the byte string `[0xFF]`.
pub fn mangle(value: &Value) -> Value {
    with_headroom(|| match value {
        Value::Bool(b) => Value::Bool(!b),
        Value::Nat(n) => Value::Nat(!n),
        Value::Int(i) => Value::Int(!i),
        Value::Real(r) => Value::Real(f64::from_bits(r.to_bits() ^ 1)),
        Value::String(s) => Value::String(Arc::from(format!("{s}\u{FFFD}"))),
        Value::Bytes(b) if !b.is_empty() => {
            let mut v = b.to_vec();
            v[0] ^= 0xFF;
            Value::Bytes(Arc::from(v))
        }
        Value::Product(items) if !items.is_empty() => {
            let mut v = items.to_vec();
            v[0] = mangle(&v[0]);
            Value::Product(Arc::from(v))
        }
        Value::Record(fields) if !fields.is_empty() => {
            let mut v = fields.to_vec();
            v[0].1 = mangle(&v[0].1);
            Value::Record(Arc::from(v))
        }
        _ => Value::Bytes(Arc::from(vec![0xFF])),
    })
}

impl ProtocolMachine {
    /// Applies `Corrupt { session, from, to }`; returns whether a message
    /// was there.
    #[cold]
    pub(crate) fn corrupt_in_flight(
        &mut self,
        session: SessionId,
        from: RoleId,
        to: RoleId,
    ) -> bool {
        let Some(envelope) = self
            .sessions
            .edge_mut(session, from, to)
            .and_then(|e| e.buffer.front_mut())
        else {
            return false;
        };
        envelope.payload = mangle(&envelope.payload);
        if let Some(seal) = envelope.seal.as_mut() {
            if let Some(b) = seal.signature.first_mut() {
                *b ^= 0xFF;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangling_always_changes_the_payload() {
        let values = [
            Value::Unit,
            Value::Bool(false),
            Value::Nat(3),
            Value::Int(-4),
            Value::Real(1.5),
            Value::String(Arc::from("hi")),
            Value::Bytes(Arc::from(vec![])),
            Value::Bytes(Arc::from(vec![1, 2])),
            Value::Product(Arc::from(vec![])),
            Value::Product(Arc::from(vec![Value::Int(1), Value::Unit])),
            Value::record(Vec::<(String, Value)>::new()),
            Value::record([("qty", Value::Nat(2))]),
        ];
        for v in values {
            assert_ne!(mangle(&v), v, "{v:?}");
            assert_eq!(mangle(&v), mangle(&v));
        }
    }
}
