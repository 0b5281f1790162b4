//! Payload values: what a message carries, in the machine and in the async
//! runtime alike.
//!
//! One [`Value`] type serves every layer: machine registers and buffers,
//! code image constants, checkpoints, the `ChoreoHandler` runtime and TCP
//! frames. It has one conformance rule against a [`PayloadSort`]
//! (`conform.rs`), one rendering (`display.rs`) and one serde encoding
//! whose readers refuse values nested deeper than [`MAX_VALUE_DEPTH`]
//! (`encoding.rs`).
//!
//! Deep values are safe everywhere: readers cap the depth, and values built
//! through the API (which may be deeper) drop, compare, render and check
//! conformance without recursion on the thread stack (iteratively, or
//! under [`crate::stack::with_headroom`]).
//!
//! [`PayloadSort`]: crate::PayloadSort

mod conform;
mod display;
mod encoding;

pub use conform::{CheckDepth, SortMismatch};
pub use encoding::{guard_depth, DepthGuarded, ValueCodecError, ValueTooDeep, MAX_VALUE_DEPTH};

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A session endpoint: one role's handle on one session (machine only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    /// The session number.
    pub session: u64,
    /// The role this endpoint plays.
    pub role: u16,
}

/// A payload value, one variant per [`PayloadSort`] shape plus session
/// endpoints.
///
/// Small values are inline so that sending them never allocates; large
/// ones share their storage through an `Arc`, so `clone` is cheap.
/// Records keep their field names (in declaration order). Values of a
/// named user sort travel as [`Value::Bytes`] (see [`Value::encode`]).
///
/// [`PayloadSort`]: crate::PayloadSort
#[derive(Default)]
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
    String(Arc<str>),
    /// An opaque byte string (also the carrier of named user types).
    Bytes(Arc<[u8]>),
    /// A tuple.
    Product(Arc<[Value]>),
    /// A record of named fields, in declaration order.
    Record(Arc<[(String, Value)]>),
    /// A session endpoint handle (used by the machine's transfer
    /// instructions; it conforms only to named sorts).
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
            Value::String(s) => Value::String(Arc::clone(s)),
            Value::Bytes(b) => Value::Bytes(Arc::clone(b)),
            Value::Product(t) => Value::Product(Arc::clone(t)),
            Value::Record(r) => Value::Record(Arc::clone(r)),
            Value::Endpoint(e) => Value::Endpoint(*e),
        }
    }

    /// Leaves a value that already shares `source`'s storage as it is, so
    /// that copying one machine state over a similar one (the explorer's
    /// scratch states, on several threads) does not touch shared counts.
    #[inline(always)]
    fn clone_from(&mut self, source: &Self) {
        match (&*self, source) {
            (Value::String(a), Value::String(b)) if Arc::ptr_eq(a, b) => {}
            (Value::Bytes(a), Value::Bytes(b)) if Arc::ptr_eq(a, b) => {}
            (Value::Product(a), Value::Product(b)) if Arc::ptr_eq(a, b) => {}
            (Value::Record(a), Value::Record(b)) if Arc::ptr_eq(a, b) => {}
            _ => *self = source.clone(),
        }
    }
}

impl Value {
    /// A string value.
    pub fn string(text: impl Into<Arc<str>>) -> Value {
        Value::String(text.into())
    }

    /// A byte-string value.
    pub fn bytes(bytes: impl Into<Arc<[u8]>>) -> Value {
        Value::Bytes(bytes.into())
    }

    /// A tuple of the given items.
    pub fn product(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Product(items.into_iter().collect())
    }

    /// A record of the given fields, in declaration order.
    pub fn record<N: Into<String>>(fields: impl IntoIterator<Item = (N, Value)>) -> Value {
        Value::Record(fields.into_iter().map(|(n, v)| (n.into(), v)).collect())
    }

    /// The approximate encoded size in bytes, used for payload limits.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        match self {
            Value::Unit => 1,
            Value::Bool(_) => 2,
            Value::Nat(_) | Value::Int(_) | Value::Real(_) => 9,
            Value::String(s) => 1 + 8 + s.len(),
            Value::Bytes(b) => 1 + 8 + b.len(),
            Value::Product(_) | Value::Record(_) => self.container_len(),
            Value::Endpoint(_) => 11,
        }
    }

    /// The encoded size of a tuple or record, counted without recursion
    /// (and without allocating unless it has nested containers; kept out
    /// of line so that `encoded_len` stays small enough to inline).
    #[inline(never)]
    fn container_len(&self) -> usize {
        let mut total = 0usize;
        let mut pending: Vec<&Value> = Vec::new();
        let mut next = Some(self);
        while let Some(value) = next {
            total = total.saturating_add(1 + 8);
            let count = |v: &Value| if v.is_container() { 0 } else { v.encoded_len() };
            match value {
                Value::Product(items) => {
                    for v in items.iter() {
                        total = total.saturating_add(count(v));
                    }
                    pending.extend(items.iter().filter(|v| v.is_container()));
                }
                Value::Record(fields) => {
                    for (name, v) in fields.iter() {
                        total = total.saturating_add(8 + name.len() + count(v));
                    }
                    pending.extend(fields.iter().map(|(_, v)| v).filter(|v| v.is_container()));
                }
                _ => {}
            }
            next = pending.pop();
        }
        total
    }

    /// Whether this value is a tuple or a record.
    #[inline]
    fn is_container(&self) -> bool {
        matches!(self, Value::Product(_) | Value::Record(_))
    }

    /// A short name of the value's kind, for diagnostics.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Unit => "unit",
            Value::Bool(_) => "bool",
            Value::Nat(_) => "nat",
            Value::Int(_) => "int",
            Value::Real(_) => "real",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Product(_) => "product",
            Value::Record(_) => "record",
            Value::Endpoint(_) => "endpoint",
        }
    }

    /// Moves this value's uniquely owned container children into `out`,
    /// leaving `Unit` behind, so that they can be dropped one by one.
    fn take_children(&mut self, out: &mut Vec<Value>) {
        let take = |v: &mut Value, out: &mut Vec<Value>| {
            if v.is_container() {
                out.push(std::mem::take(v));
            }
        };
        match self {
            Value::Product(items) => {
                if let Some(items) = Arc::get_mut(items) {
                    items.iter_mut().for_each(|v| take(v, out));
                }
            }
            Value::Record(fields) => {
                if let Some(fields) = Arc::get_mut(fields) {
                    fields.iter_mut().for_each(|(_, v)| take(v, out));
                }
            }
            _ => {}
        }
    }
}

/// Drops nested tuples and records iteratively, so a deep value built
/// through the API never overflows the stack when it goes away.
impl Drop for Value {
    #[inline]
    fn drop(&mut self) {
        if self.is_container() {
            drop_container(self);
        }
    }
}

#[inline(never)]
fn drop_container(value: &mut Value) {
    let mut pending = Vec::new();
    value.take_children(&mut pending);
    while let Some(mut next) = pending.pop() {
        next.take_children(&mut pending);
    }
}

/// Structural equality, computed without recursion (reals compare as
/// `f64`, so `NaN` differs from itself).
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        let mut pending: Vec<(&Value, &Value)> = Vec::new();
        let (mut a, mut b) = (self, other);
        loop {
            let same = match (a, b) {
                (Value::Unit, Value::Unit) => true,
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Nat(x), Value::Nat(y)) => x == y,
                (Value::Int(x), Value::Int(y)) => x == y,
                (Value::Real(x), Value::Real(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                (Value::Bytes(x), Value::Bytes(y)) => x == y,
                (Value::Endpoint(x), Value::Endpoint(y)) => x == y,
                (Value::Product(x), Value::Product(y)) => {
                    x.len() == y.len() && {
                        pending.extend(x.iter().zip(y.iter()));
                        true
                    }
                }
                (Value::Record(x), Value::Record(y)) => {
                    x.len() == y.len()
                        && x.iter().zip(y.iter()).all(|((n, v), (m, w))| {
                            pending.push((v, w));
                            n == m
                        })
                }
                _ => false,
            };
            if !same {
                return false;
            }
            match pending.pop() {
                Some((x, y)) => (a, b) = (x, y),
                None => return true,
            }
        }
    }
}

#[cfg(test)]
mod tests;
