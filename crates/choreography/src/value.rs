//! Dynamic message payloads.

use crate::error::{ChoreoError, ChoreoResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::fmt;
use telltale_types::stack::with_headroom;
use telltale_types::PayloadSort;

/// A payload value, one variant per primitive [`PayloadSort`] plus tuples and records.
///
/// Values of a named user sort (`PayloadSort::Named`) travel as
/// [`Value::Bytes`]: typed users serialise their own types with
/// [`Value::encode`] (postcard) and read them back with [`Value::decode`].
///
/// Deserialisation refuses values nested deeper than [`MAX_VALUE_DEPTH`],
/// so a hostile peer cannot exhaust the stack with a deeply nested payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Value {
    /// No payload.
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
    String(String),
    /// An opaque byte string (also the carrier of named user types).
    Bytes(Vec<u8>),
    /// A tuple.
    Product(Vec<Value>),
    /// A record of named fields, in declaration order.
    Record(Vec<(String, Value)>),
}

/// The deepest nesting of products and records accepted when deserialising.
pub const MAX_VALUE_DEPTH: u32 = 64;

/// The serde mirror used to deserialise [`Value`] under the depth limit.
#[derive(Deserialize)]
#[serde(remote = "Value")]
enum ValueRepr {
    Unit,
    Bool(bool),
    Nat(u64),
    Int(i64),
    Real(f64),
    String(String),
    Bytes(Vec<u8>),
    Product(Vec<Value>),
    Record(Vec<(String, Value)>),
}

thread_local! {
    /// How many `Value`s are being deserialised on this thread, nested.
    static DESERIALISE_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Counts one level of nesting for as long as it lives.
struct DepthGuard;

impl DepthGuard {
    fn enter() -> Option<DepthGuard> {
        DESERIALISE_DEPTH.with(|depth| {
            if depth.get() >= MAX_VALUE_DEPTH {
                None
            } else {
                depth.set(depth.get() + 1);
                Some(DepthGuard)
            }
        })
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DESERIALISE_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _guard = DepthGuard::enter().ok_or_else(|| {
            serde::de::Error::custom(format!("value nested deeper than {MAX_VALUE_DEPTH} levels"))
        })?;
        ValueRepr::deserialize(d)
    }
}

impl Value {
    /// Serialises a typed value with postcard into [`Value::Bytes`].
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> ChoreoResult<Value> {
        postcard::to_allocvec(value)
            .map(Value::Bytes)
            .map_err(|e| ChoreoError::Codec {
                context: format!("encoding {}", std::any::type_name::<T>()),
                message: e.to_string(),
            })
    }

    /// Deserialises a typed value from [`Value::Bytes`] written by [`Value::encode`].
    pub fn decode<T: DeserializeOwned>(&self) -> ChoreoResult<T> {
        let context = || format!("decoding {}", std::any::type_name::<T>());
        match self {
            Value::Bytes(bytes) => postcard::from_bytes(bytes).map_err(|e| ChoreoError::Codec {
                context: context(),
                message: e.to_string(),
            }),
            other => Err(ChoreoError::Codec {
                context: context(),
                message: format!("expected bytes, got a {} value", other.kind()),
            }),
        }
    }

    /// Whether this value may be carried by a label of the given sort.
    ///
    /// Named sorts are opaque to the runtime, so any value conforms to them.
    pub fn conforms_to(&self, sort: &PayloadSort) -> bool {
        with_headroom(|| match (self, sort) {
            (_, PayloadSort::Named(_)) => true,
            (Value::Unit, PayloadSort::Unit)
            | (Value::Bool(_), PayloadSort::Bool)
            | (Value::Nat(_), PayloadSort::Nat)
            | (Value::Int(_), PayloadSort::Int)
            | (Value::Real(_), PayloadSort::Real)
            | (Value::String(_), PayloadSort::String)
            | (Value::Bytes(_), PayloadSort::Bytes) => true,
            (Value::Product(items), PayloadSort::Product(sorts)) => {
                items.len() == sorts.len() && items.iter().zip(sorts).all(|(v, s)| v.conforms_to(s))
            }
            (Value::Record(fields), PayloadSort::Record(sorts)) => {
                fields.len() == sorts.len()
                    && fields
                        .iter()
                        .zip(sorts)
                        .all(|((n, v), (m, s))| n == m && v.conforms_to(s))
            }
            _ => false,
        })
    }

    /// The canonical zero value of a sort, used by deterministic deciders.
    pub fn default_for(sort: &PayloadSort) -> Value {
        with_headroom(|| match sort {
            PayloadSort::Unit => Value::Unit,
            PayloadSort::Bool => Value::Bool(false),
            PayloadSort::Nat => Value::Nat(0),
            PayloadSort::Int => Value::Int(0),
            PayloadSort::Real => Value::Real(0.0),
            PayloadSort::String => Value::String(String::new()),
            PayloadSort::Bytes | PayloadSort::Named(_) => Value::Bytes(Vec::new()),
            PayloadSort::Product(sorts) => {
                Value::Product(sorts.iter().map(Value::default_for).collect())
            }
            PayloadSort::Record(fields) => Value::Record(
                fields
                    .iter()
                    .map(|(name, s)| (name.clone(), Value::default_for(s)))
                    .collect(),
            ),
        })
    }

    /// The name of this value's variant, for error messages.
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
        }
    }
}

/// A short rendering (`3`, `"text"`, `(1, true)`, `{ qty: 2 }`) for logs and errors.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_headroom(|| match self {
            Value::Unit => f.write_str("()"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Nat(n) => write!(f, "{n}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r}"),
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
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn check_conforms(value: Value, sort: PayloadSort, expected: bool) {
        assert_eq!(value.conforms_to(&sort), expected, "{value} : {sort}");
    }

    #[test]
    fn values_conform_to_their_sorts() {
        let record = PayloadSort::Record(vec![("qty".into(), PayloadSort::Nat)]);
        let cases = [
            (Value::Unit, PayloadSort::Unit, true),
            (Value::Nat(3), PayloadSort::Int, false),
            (Value::Int(-3), PayloadSort::Int, true),
            (
                Value::Bytes(vec![1]),
                PayloadSort::Named("a.B".into()),
                true,
            ),
            (
                Value::Product(vec![Value::Bool(true), Value::Real(1.5)]),
                PayloadSort::Product(vec![PayloadSort::Bool, PayloadSort::Real]),
                true,
            ),
            (
                Value::Product(vec![Value::Bool(true)]),
                PayloadSort::Product(vec![PayloadSort::Bool, PayloadSort::Real]),
                false,
            ),
            (
                Value::Record(vec![("qty".into(), Value::Nat(2))]),
                record.clone(),
                true,
            ),
            (
                Value::Record(vec![("amount".into(), Value::Nat(2))]),
                record,
                false,
            ),
        ];
        for (value, sort, expected) in cases {
            check_conforms(value, sort, expected);
        }
    }

    #[test]
    fn typed_values_round_trip_through_bytes() {
        let original = (7u32, String::from("seven"));
        let value = Value::encode(&original).unwrap();
        assert_eq!(value.decode::<(u32, String)>().unwrap(), original);
        assert!(matches!(
            Value::Int(1).decode::<u32>(),
            Err(ChoreoError::Codec { .. })
        ));
    }

    #[test]
    fn deeply_nested_values_are_refused_on_input() {
        let nest =
            |depth: u32| (0..depth).fold(Value::Unit, |inner, _| Value::Product(vec![inner]));
        let ok = postcard::to_allocvec(&nest(MAX_VALUE_DEPTH - 1)).unwrap();
        assert!(postcard::from_bytes::<Value>(&ok).is_ok());
        let deep = postcard::to_allocvec(&nest(1_000)).unwrap();
        let err = postcard::from_bytes::<Value>(&deep).unwrap_err();
        assert!(matches!(err, postcard::Error::SerdeDeCustom), "{err}");
        // The guard unwinds: a shallow value decodes again afterwards.
        assert!(postcard::from_bytes::<Value>(&ok).is_ok());
    }

    fn sort_strategy() -> impl Strategy<Value = PayloadSort> {
        let leaf = prop_oneof![
            Just(PayloadSort::Unit),
            Just(PayloadSort::Bool),
            Just(PayloadSort::Nat),
            Just(PayloadSort::Int),
            Just(PayloadSort::Real),
            Just(PayloadSort::String),
            Just(PayloadSort::Bytes),
        ];
        leaf.prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(PayloadSort::Product),
                prop::collection::vec(("[a-z]{1,4}", inner), 0..3).prop_map(PayloadSort::Record),
            ]
        })
    }

    proptest! {
        #[test]
        fn default_values_conform_and_round_trip(sort in sort_strategy()) {
            let value = Value::default_for(&sort);
            prop_assert!(value.conforms_to(&sort));
            let bytes = postcard::to_allocvec(&value).unwrap();
            prop_assert_eq!(postcard::from_bytes::<Value>(&bytes).unwrap(), value);
        }
    }
}
