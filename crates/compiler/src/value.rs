//! Machine values: what registers hold and messages carry.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A session endpoint: one role's handle on one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    /// The session number.
    pub session: u64,
    /// The role this endpoint plays.
    pub role: u16,
}

/// A value held in a register or carried by a message.
///
/// Small values are inline so that sending them never allocates; large ones
/// (`Str`, `Bytes`, `Tuple`) share their storage through an `Arc`.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// No value.
    #[default]
    Unit,
    /// A boolean.
    Bool(bool),
    /// A natural number.
    Nat(u64),
    /// A signed integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A text string.
    Str(Arc<str>),
    /// A byte string.
    Bytes(Arc<[u8]>),
    /// A tuple, also used for records (fields in declaration order).
    Tuple(Arc<[Value]>),
    /// A session endpoint handle.
    Endpoint(Endpoint),
}

impl Clone for Value {
    /// Copies the inline variants and shares the `Arc` ones (written by
    /// hand so that it inlines into the machine's send path).
    #[inline]
    fn clone(&self) -> Self {
        match self {
            Value::Unit => Value::Unit,
            Value::Bool(b) => Value::Bool(*b),
            Value::Nat(n) => Value::Nat(*n),
            Value::Int(i) => Value::Int(*i),
            Value::Real(r) => Value::Real(*r),
            Value::Str(s) => Value::Str(Arc::clone(s)),
            Value::Bytes(b) => Value::Bytes(Arc::clone(b)),
            Value::Tuple(t) => Value::Tuple(Arc::clone(t)),
            Value::Endpoint(e) => Value::Endpoint(*e),
        }
    }
}

impl Value {
    /// The approximate encoded size in bytes, used for payload limits.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        match self {
            Value::Unit => 1,
            Value::Bool(_) => 2,
            Value::Nat(_) | Value::Int(_) | Value::Real(_) => 9,
            Value::Str(s) => 1 + 8 + s.len(),
            Value::Bytes(b) => 1 + 8 + b.len(),
            Value::Tuple(items) => 1 + 8 + items.iter().map(Value::tuple_item_len).sum::<usize>(),
            Value::Endpoint(_) => 11,
        }
    }

    /// The encoded size of a tuple component (kept out of line so that
    /// `encoded_len` stays small enough to inline).
    #[inline(never)]
    fn tuple_item_len(&self) -> usize {
        self.encoded_len()
    }

    /// A short name of the value's kind, for diagnostics.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Unit => "unit",
            Value::Bool(_) => "bool",
            Value::Nat(_) => "nat",
            Value::Int(_) => "int",
            Value::Real(_) => "real",
            Value::Str(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Tuple(_) => "tuple",
            Value::Endpoint(_) => "endpoint",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unit => f.write_str("()"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Nat(n) => write!(f, "{n}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r:?}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Value::Tuple(items) => {
                f.write_str("(")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            Value::Endpoint(e) => write!(f, "endpoint(s{}, r{})", e.session, e.role),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        assert!(std::mem::size_of::<Value>() <= 24);
    }

    #[test]
    fn display_and_sizes() {
        let check = |v: Value, text: &str, len: usize| {
            assert_eq!(v.to_string(), text);
            assert_eq!(v.encoded_len(), len);
        };
        check(Value::Unit, "()", 1);
        check(Value::Int(-3), "-3", 9);
        check(Value::Str(Arc::from("hi")), "\"hi\"", 11);
        check(
            Value::Tuple(Arc::from(vec![Value::Bool(true), Value::Nat(2)])),
            "(true, 2)",
            1 + 8 + 2 + 9,
        );
    }
}
