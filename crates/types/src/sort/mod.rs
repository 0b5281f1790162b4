//! Payload sorts: what a message carries.

mod canonical;
mod serde_impl;
mod walk;

pub(crate) use serde_impl::watch_depth;

use crate::error::TypesError;

/// The type of a message payload.
///
/// In the Lean-bridge JSON a primitive sort is a lowercase string
/// (`"unit"`, `"int"`, ...), a named type is its dotted path as a string
/// (`"api.Order"`), a product is `{"product": [S, ...]}` and a record is
/// `{"record": [{"name": "qty", "sort": S}, ...]}`.
///
/// Binary formats (postcard) use a compact tagged encoding instead.
///
/// Deep sorts are safe: cloning, comparing, hashing, printing and dropping
/// walk the sort iteratively (see `walk.rs`), and the readers (JSON,
/// postcard) refuse sorts nested deeper than [`PayloadSort::MAX_DEPTH`]
/// with an error instead of exhausting the stack.
pub enum PayloadSort {
    /// No payload.
    Unit,
    /// A boolean.
    Bool,
    /// A natural number.
    Nat,
    /// A signed integer.
    Int,
    /// A real number.
    Real,
    /// A text string.
    String,
    /// An opaque byte string.
    Bytes,
    /// A user type named by its dotted path, e.g. `api.Order`.
    Named(String),
    /// A tuple of sorts.
    Product(Vec<PayloadSort>),
    /// A record of named fields, in declaration order.
    Record(Vec<(String, PayloadSort)>),
}

impl PayloadSort {
    /// The deepest nesting of products and records the readers accept.
    ///
    /// No real payload comes near it; the bound keeps a hostile file from
    /// costing unbounded stack while it is read.
    pub const MAX_DEPTH: usize = 1_000;

    /// Reads a primitive sort name or a dotted type path.
    ///
    /// Primitive names are matched case-insensitively with common aliases
    /// (`Int`, `i32`, `String`, `Text`, ...); anything else that is a dotted
    /// identifier path becomes [`PayloadSort::Named`].
    ///
    /// ```
    /// use telltale_types::PayloadSort;
    /// assert_eq!(PayloadSort::from_name("int").unwrap(), PayloadSort::Int);
    /// assert_eq!(PayloadSort::from_name("shop.Order").unwrap(), PayloadSort::Named("shop.Order".into()));
    /// assert!(PayloadSort::from_name("not a type").is_err());
    /// ```
    pub fn from_name(text: &str) -> Result<Self, TypesError> {
        let text = text.trim();
        if let Some(sort) = Self::primitive(text) {
            return Ok(sort);
        }
        let valid = !text.is_empty()
            && text.split('.').all(|seg| {
                let mut chars = seg.chars();
                matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
                    && chars.all(|c| c.is_alphanumeric() || c == '_')
            });
        if valid {
            Ok(PayloadSort::Named(text.to_string()))
        } else {
            Err(TypesError::InvalidSort {
                text: text.to_string(),
                reason: "expected a primitive sort or a dotted type path".into(),
            })
        }
    }

    /// The primitive sort for a name, accepting the usual aliases.
    pub fn primitive(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "unit" | "()" | "" => PayloadSort::Unit,
            "bool" | "boolean" => PayloadSort::Bool,
            "nat" | "natural" | "u8" | "u16" | "u32" | "u64" | "usize" => PayloadSort::Nat,
            "int" | "integer" | "i8" | "i16" | "i32" | "i64" | "isize" => PayloadSort::Int,
            "real" | "float" | "double" | "f32" | "f64" => PayloadSort::Real,
            "string" | "str" | "text" => PayloadSort::String,
            "bytes" => PayloadSort::Bytes,
            _ => return None,
        })
    }

    /// Whether this is the unit sort (no payload).
    pub fn is_unit(&self) -> bool {
        matches!(self, PayloadSort::Unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_round_trip_through_json() {
        let sorts = [
            PayloadSort::Unit,
            PayloadSort::Bytes,
            PayloadSort::Named("api.Order".into()),
            PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Bool]),
            PayloadSort::Record(vec![
                ("item".into(), PayloadSort::String),
                ("qty".into(), PayloadSort::Nat),
            ]),
        ];
        for sort in sorts {
            let json = serde_json::to_string(&sort).expect("serialise");
            let back: PayloadSort = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, sort, "{json}");
        }
    }

    #[test]
    fn sorts_round_trip_through_postcard() {
        let sort = PayloadSort::Record(vec![(
            "a".into(),
            PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Named("x.Y".into())]),
        )]);
        let bytes = postcard::to_allocvec(&sort).expect("encode");
        assert_eq!(
            postcard::from_bytes::<PayloadSort>(&bytes).expect("decode"),
            sort
        );
    }

    #[test]
    fn primitive_sorts_are_plain_strings() {
        assert_eq!(
            serde_json::to_string(&PayloadSort::Unit).unwrap(),
            "\"unit\""
        );
        let record = PayloadSort::Record(vec![("qty".into(), PayloadSort::Int)]);
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"record":[{"name":"qty","sort":"int"}]}"#
        );
    }

    #[test]
    fn bad_sort_names_are_refused() {
        for bad in ["1abc", "a..b", "a b", "a-b"] {
            assert!(PayloadSort::from_name(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<PayloadSort>("\"x y\"").is_err());
    }
}
