//! The one conformance rule of values against payload sorts.
//!
//! - A named sort is a host type the runtime cannot inspect: every value
//!   conforms to it (typed users carry it as [`Value::Bytes`]).
//! - Numbers conform by their mathematical value: a `Nat` conforms to `int`
//!   when it fits an `i64`, and an `Int` conforms to `nat` when it is not
//!   negative (hosts often have one integer type). Reals are never integers
//!   and integers are never reals.
//! - A product conforms to a product sort of the same length whose
//!   components it conforms to; a record conforms to a record sort with
//!   the same field names in the same order. Products and records do not
//!   stand in for each other.
//! - Endpoints conform only to named sorts.
//!
//! The rule is documented in `docs/theory.md` ("Payload values").

use super::Value;
use crate::sort::PayloadSort;
use crate::stack::with_headroom;
use std::fmt;

/// How far a check descends: the machine's structural validation looks
/// at the top level only, strict validation at every component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckDepth {
    /// The value's own shape and component count only.
    Shallow,
    /// The whole value.
    Deep,
}

/// Why a value does not conform to a sort, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortMismatch {
    /// The path to the offending component (`component 0`, `field qty`),
    /// outermost first; empty for the value itself.
    pub path: Vec<String>,
    /// What the sort asks for there.
    pub expected: String,
    /// What the value has there.
    pub found: String,
}

impl fmt::Display for SortMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.path {
            write!(f, "{step}: ")?;
        }
        write!(f, "expected {}, got {}", self.expected, self.found)
    }
}

impl std::error::Error for SortMismatch {}

impl Value {
    /// Whether this value may be carried by a label of the given sort
    /// (the whole value is checked).
    pub fn conforms_to(&self, sort: &PayloadSort) -> bool {
        self.check_against(sort, CheckDepth::Deep).is_ok()
    }

    /// Checks this value against `sort` to the given depth and says where
    /// it differs.
    pub fn check_against(&self, sort: &PayloadSort, depth: CheckDepth) -> Result<(), SortMismatch> {
        with_headroom(|| {
            let ok = match (sort, self) {
                (PayloadSort::Named(_), _)
                | (PayloadSort::Unit, Value::Unit)
                | (PayloadSort::Bool, Value::Bool(_))
                | (PayloadSort::Nat, Value::Nat(_))
                | (PayloadSort::Int, Value::Int(_))
                | (PayloadSort::Real, Value::Real(_))
                | (PayloadSort::String, Value::String(_))
                | (PayloadSort::Bytes, Value::Bytes(_)) => true,
                (PayloadSort::Int, Value::Nat(n)) => i64::try_from(*n).is_ok(),
                (PayloadSort::Nat, Value::Int(i)) => *i >= 0,
                (PayloadSort::Product(sorts), Value::Product(items)) => {
                    check_arity(sorts.len(), items.len())?;
                    if depth == CheckDepth::Deep {
                        for (i, (item, sort)) in items.iter().zip(sorts).enumerate() {
                            item.check_against(sort, depth)
                                .map_err(|e| e.inside(format!("component {i}")))?;
                        }
                    }
                    true
                }
                (PayloadSort::Record(sorts), Value::Record(fields)) => {
                    check_arity(sorts.len(), fields.len())?;
                    for ((name, value), (expected, sort)) in fields.iter().zip(sorts) {
                        if name != expected {
                            return Err(mismatch(
                                format!("field `{expected}`"),
                                format!("field `{name}`"),
                            ));
                        }
                        if depth == CheckDepth::Deep {
                            value
                                .check_against(sort, depth)
                                .map_err(|e| e.inside(format!("field {name}")))?;
                        }
                    }
                    true
                }
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(mismatch(sort.to_string(), self.kind().to_string()))
            }
        })
    }

    /// The canonical zero value of a sort, used by deterministic deciders
    /// (named sorts get empty bytes).
    pub fn default_for(sort: &PayloadSort) -> Value {
        with_headroom(|| match sort {
            PayloadSort::Unit => Value::Unit,
            PayloadSort::Bool => Value::Bool(false),
            PayloadSort::Nat => Value::Nat(0),
            PayloadSort::Int => Value::Int(0),
            PayloadSort::Real => Value::Real(0.0),
            PayloadSort::String => Value::string(""),
            PayloadSort::Bytes | PayloadSort::Named(_) => Value::bytes(Vec::new()),
            PayloadSort::Product(sorts) => Value::product(sorts.iter().map(Value::default_for)),
            PayloadSort::Record(fields) => Value::record(
                fields
                    .iter()
                    .map(|(name, s)| (name.clone(), Value::default_for(s))),
            ),
        })
    }
}

impl SortMismatch {
    /// The same mismatch, one component further in.
    fn inside(mut self, step: String) -> SortMismatch {
        self.path.insert(0, step);
        self
    }
}

fn mismatch(expected: String, found: String) -> SortMismatch {
    SortMismatch {
        path: Vec::new(),
        expected,
        found,
    }
}

fn check_arity(expected: usize, found: usize) -> Result<(), SortMismatch> {
    if expected == found {
        Ok(())
    } else {
        Err(mismatch(
            format!("{expected} components"),
            found.to_string(),
        ))
    }
}
