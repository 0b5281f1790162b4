//! Payload sorts: what a message carries.

use crate::error::TypesError;
use crate::stack::with_headroom;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The type of a message payload.
///
/// In the Lean-bridge JSON a primitive sort is a lowercase string
/// (`"unit"`, `"int"`, ...), a named type is its dotted path as a string
/// (`"api.Order"`), a product is `{"product": [S, ...]}` and a record is
/// `{"record": [{"name": "qty", "sort": S}, ...]}`.
///
/// Binary formats (postcard) use a compact tagged encoding instead.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

impl fmt::Display for PayloadSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_headroom(|| match self {
            PayloadSort::Unit => f.write_str("unit"),
            PayloadSort::Bool => f.write_str("bool"),
            PayloadSort::Nat => f.write_str("nat"),
            PayloadSort::Int => f.write_str("int"),
            PayloadSort::Real => f.write_str("real"),
            PayloadSort::String => f.write_str("string"),
            PayloadSort::Bytes => f.write_str("bytes"),
            PayloadSort::Named(path) => f.write_str(path),
            PayloadSort::Product(items) => {
                f.write_str("(")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            PayloadSort::Record(fields) => {
                f.write_str("{ ")?;
                for (i, (name, sort)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {sort}")?;
                }
                f.write_str(" }")
            }
        })
    }
}

impl Serialize for PayloadSort {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            SortRepr::from(self.clone()).serialize(s)
        } else {
            BinarySort::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for PayloadSort {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let repr = SortRepr::deserialize(d)?;
            PayloadSort::try_from(repr).map_err(serde::de::Error::custom)
        } else {
            BinarySort::deserialize(d)
        }
    }
}

/// The tagged binary encoding of a sort (a serde remote mirror).
#[derive(Serialize, Deserialize)]
#[serde(remote = "PayloadSort")]
enum BinarySort {
    Unit,
    Bool,
    Nat,
    Int,
    Real,
    String,
    Bytes,
    Named(String),
    Product(Vec<PayloadSort>),
    Record(Vec<(String, PayloadSort)>),
}

/// One field of a record sort in JSON.
#[derive(Serialize, Deserialize)]
struct FieldRepr {
    name: String,
    sort: PayloadSort,
}

/// The JSON shape of a sort.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum SortRepr {
    Name(String),
    Product { product: Vec<PayloadSort> },
    Record { record: Vec<FieldRepr> },
}

impl TryFrom<SortRepr> for PayloadSort {
    type Error = TypesError;

    fn try_from(repr: SortRepr) -> Result<Self, TypesError> {
        Ok(match repr {
            SortRepr::Name(name) => PayloadSort::from_name(&name)?,
            SortRepr::Product { product } => PayloadSort::Product(product),
            SortRepr::Record { record } => {
                PayloadSort::Record(record.into_iter().map(|f| (f.name, f.sort)).collect())
            }
        })
    }
}

impl From<PayloadSort> for SortRepr {
    fn from(sort: PayloadSort) -> Self {
        match sort {
            PayloadSort::Product(product) => SortRepr::Product { product },
            PayloadSort::Record(fields) => SortRepr::Record {
                record: fields
                    .into_iter()
                    .map(|(name, sort)| FieldRepr { name, sort })
                    .collect(),
            },
            other => SortRepr::Name(other.to_string()),
        }
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
