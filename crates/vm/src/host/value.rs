//! Rust values across the effect boundary.
//!
//! Conventions: a bare variant `A` of a declared `type` is the string
//! `"A"` (as `tell run --effect` writes it), a variant with a payload
//! `A(p)` the one-field record `{A: p}` (either form is read); outcomes are
//! always records (`{Ok: v}`, `{Err: e}`, `{Just: v}`, `{Nothing: ()}`,
//! see `telltale_types::effects` and [`as_outcome`]); a record is a record
//! with its fields in declaration order; a tuple is a product.

use telltale_compiler::Value;
use telltale_types::effects::{outcome, outcome_parts};

/// A Rust type that crosses the effect boundary as a machine [`Value`].
pub trait HostValue: Sized {
    /// This value as the machine carries it.
    fn to_value(&self) -> Value;
    /// Reads a machine value, or says why it is not one of these.
    fn from_value(value: &Value) -> Result<Self, String>;
}

/// The error for a value of the wrong shape.
fn expected(what: &str, value: &Value) -> String {
    format!("expected {what}, got {value}")
}

impl HostValue for () {
    fn to_value(&self) -> Value {
        Value::Unit
    }
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Unit => Ok(()),
            other => Err(expected("unit", other)),
        }
    }
}

impl HostValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Bool(b) => Ok(*b),
            other => Err(expected("a bool", other)),
        }
    }
}

impl HostValue for u64 {
    fn to_value(&self) -> Value {
        Value::Nat(*self)
    }
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Nat(n) => Ok(*n),
            Value::Int(i) => u64::try_from(*i).map_err(|_| expected("a natural number", value)),
            other => Err(expected("a natural number", other)),
        }
    }
}

impl HostValue for i64 {
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Int(i) => Ok(*i),
            Value::Nat(n) => i64::try_from(*n).map_err(|_| expected("an integer", value)),
            other => Err(expected("an integer", other)),
        }
    }
}

impl HostValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Real(r) => Ok(*r),
            other => Err(expected("a real number", other)),
        }
    }
}

impl HostValue for String {
    fn to_value(&self) -> Value {
        Value::string(self.as_str())
    }
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(s) => Ok(s.to_string()),
            other => Err(expected("a string", other)),
        }
    }
}

impl HostValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::bytes(self.clone())
    }
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Bytes(b) => Ok(b.to_vec()),
            other => Err(expected("bytes", other)),
        }
    }
}

impl HostValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
    fn from_value(value: &Value) -> Result<Self, String> {
        Ok(value.clone())
    }
}

/// Tuples are products of their components.
macro_rules! tuple_host_value {
    ($n:literal; $($t:ident $i:tt),+) => {
        impl<$($t: HostValue),+> HostValue for ($($t,)+) {
            fn to_value(&self) -> Value {
                Value::product([$(self.$i.to_value()),+])
            }
            fn from_value(value: &Value) -> Result<Self, String> {
                match value {
                    Value::Product(items) if items.len() == $n => {
                        Ok(($($t::from_value(&items[$i])?,)+))
                    }
                    other => Err(expected(concat!("a ", $n, "-tuple"), other)),
                }
            }
        }
    };
}
tuple_host_value!(2; A 0, B 1);
tuple_host_value!(3; A 0, B 1, C 2);
tuple_host_value!(4; A 0, B 1, C 2, D 3);

/// The value of variant `name` with `payload`: `{name: payload}` (also how
/// outcomes are written).
pub fn variant(name: &str, payload: Value) -> Value {
    outcome(name, payload)
}

/// A value of a declared variant type as an outcome: a bare variant (the
/// string `"A"`) becomes `{A: ()}`; anything else is kept.
pub fn as_outcome(value: Value) -> Value {
    match &value {
        Value::String(name) => outcome(name, Value::Unit),
        _ => value,
    }
}

/// The variant name and payload of a value of a declared `type`: `{A: p}`,
/// or the string `"A"` for a bare variant.
pub fn variant_parts(value: &Value) -> Result<(&str, &Value), String> {
    static UNIT: Value = Value::Unit;
    match value {
        Value::String(name) => Ok((name, &UNIT)),
        other => {
            outcome_parts(other).ok_or_else(|| expected("a variant such as {A: payload}", other))
        }
    }
}

/// Field `name` of a record value.
pub fn record_field<'v>(value: &'v Value, name: &str) -> Result<&'v Value, String> {
    match value {
        Value::Record(fields) => fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("record {value} has no field `{name}`")),
        other => Err(expected(&format!("a record with field `{name}`"), other)),
    }
}

/// `Ok(v)` / `Err(e)` as the outcome values `{Ok: v}` / `{Err: e}`.
pub fn encode_result<T: HostValue, E: HostValue>(result: &Result<T, E>) -> Value {
    match result {
        Ok(v) => outcome("Ok", v.to_value()),
        Err(e) => outcome("Err", e.to_value()),
    }
}

/// Reads `{Ok: v}` / `{Err: e}`.
pub fn decode_result<T: HostValue, E: HostValue>(value: &Value) -> Result<Result<T, E>, String> {
    match outcome_parts(value) {
        Some(("Ok", v)) => Ok(Ok(T::from_value(v)?)),
        Some(("Err", e)) => Ok(Err(E::from_value(e)?)),
        _ => Err(expected("{Ok: v} or {Err: e}", value)),
    }
}

/// `Some(v)` / `None` as the outcome values `{Just: v}` / `{Nothing: ()}`
/// (a `Maybe` result).
pub fn encode_maybe<T: HostValue>(maybe: &Option<T>) -> Value {
    match maybe {
        Some(v) => outcome("Just", v.to_value()),
        None => outcome("Nothing", Value::Unit),
    }
}

/// Reads `{Just: v}` / `{Nothing: ()}`.
pub fn decode_maybe<T: HostValue>(value: &Value) -> Result<Option<T>, String> {
    match outcome_parts(value) {
        Some(("Just", v)) => Ok(Some(T::from_value(v)?)),
        Some(("Nothing", _)) => Ok(None),
        _ => Err(expected("{Just: v} or {Nothing: ()}", value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trips<T: HostValue + PartialEq + std::fmt::Debug>(v: T) {
        assert_eq!(T::from_value(&v.to_value()).as_ref(), Ok(&v));
    }

    proptest! {
        #[test]
        fn primitives_and_tuples_round_trip(i in any::<i64>(), n in any::<u64>(), s in ".*", b in any::<bool>()) {
            round_trips(i);
            round_trips(n);
            round_trips(s.clone());
            round_trips(b);
            round_trips((i, s.clone()));
            round_trips((n, b, s.into_bytes()));
        }
    }

    #[test]
    fn outcomes_round_trip_and_refuse_the_wrong_shape() {
        let ok: Result<u64, String> = Ok(3);
        assert_eq!(decode_result::<u64, String>(&encode_result(&ok)), Ok(ok));
        let err: Result<u64, String> = Err("full".into());
        assert_eq!(decode_result::<u64, String>(&encode_result(&err)), Ok(err));
        assert_eq!(
            decode_maybe::<i64>(&encode_maybe(&Some(-1_i64))),
            Ok(Some(-1))
        );
        assert_eq!(decode_maybe::<i64>(&encode_maybe::<i64>(&None)), Ok(None));
        assert!(decode_maybe::<i64>(&Value::Int(1)).is_err());
        assert!(decode_result::<u64, String>(&outcome("Just", Value::Nat(1))).is_err());
    }

    #[test]
    fn numbers_convert_by_value_and_refuse_what_does_not_fit() {
        assert_eq!(u64::from_value(&Value::Int(4)), Ok(4));
        assert!(u64::from_value(&Value::Int(-4)).is_err());
        assert_eq!(i64::from_value(&Value::Nat(4)), Ok(4));
        assert!(i64::from_value(&Value::Nat(u64::MAX)).is_err());
        assert!(String::from_value(&Value::Nat(1))
            .unwrap_err()
            .contains("expected a string"));
    }

    #[test]
    fn variants_read_as_records_or_bare_names() {
        assert_eq!(
            variant_parts(&Value::string("Full")),
            Ok(("Full", &Value::Unit))
        );
        let v = outcome("Conflict", Value::Nat(2));
        assert_eq!(variant_parts(&v), Ok(("Conflict", &Value::Nat(2))));
        assert!(variant_parts(&Value::Nat(2)).is_err());
        assert_eq!(
            as_outcome(Value::string("Full")),
            outcome("Full", Value::Unit)
        );
        assert_eq!(as_outcome(v.clone()), v);
        let r = Value::record([("frame".to_string(), Value::Int(1))]);
        assert_eq!(record_field(&r, "frame"), Ok(&Value::Int(1)));
        assert!(record_field(&r, "digest")
            .unwrap_err()
            .contains("no field `digest`"));
    }
}
