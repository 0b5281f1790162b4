//! The one rendering of values: `()`, `true`, `3`, `-3`, `1.0` (reals
//! always show a fraction or exponent, so they never read as integers),
//! `"text"`, `<3 bytes>`, `(1, true)`, `{ qty: 2 }`, `endpoint(s1, r0)`.
//!
//! Both renderings recurse under [`with_headroom`], so deep values built
//! through the API print without overflowing the stack.

use super::Value;
use crate::stack::with_headroom;
use std::fmt;

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_headroom(|| match self {
            Value::Unit => f.write_str("()"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Nat(n) => write!(f, "{n}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r:?}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Value::Product(items) => {
                f.write_str("(")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            Value::Record(fields) if fields.is_empty() => f.write_str("{}"),
            Value::Record(fields) => {
                f.write_str("{ ")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {value}")?;
                }
                f.write_str(" }")
            }
            Value::Endpoint(e) => write!(f, "endpoint(s{}, r{})", e.session, e.role),
        })
    }
}

/// The derive-style form (`Product([Nat(1)])`), for `{:?}` in tests and
/// logs.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_headroom(|| match self {
            Value::Unit => f.write_str("Unit"),
            Value::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
            Value::Nat(n) => f.debug_tuple("Nat").field(n).finish(),
            Value::Int(i) => f.debug_tuple("Int").field(i).finish(),
            Value::Real(r) => f.debug_tuple("Real").field(r).finish(),
            Value::String(s) => f.debug_tuple("String").field(s).finish(),
            Value::Bytes(b) => f.debug_tuple("Bytes").field(b).finish(),
            Value::Product(items) => f.debug_tuple("Product").field(items).finish(),
            Value::Record(fields) => f.debug_tuple("Record").field(fields).finish(),
            Value::Endpoint(e) => f.debug_tuple("Endpoint").field(e).finish(),
        })
    }
}
