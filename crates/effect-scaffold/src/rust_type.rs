//! `.tell` payload types as Rust types.

use std::fmt;

/// A Rust type an argument, a payload or a field has in generated code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RustType {
    /// `()`.
    Unit,
    /// `bool`.
    Bool,
    /// `u64` (`Nat`).
    Nat,
    /// `i64` (`Int`).
    Int,
    /// `f64` (`Real`).
    Real,
    /// `String`.
    Text,
    /// `Vec<u8>` (`Bytes`).
    Bytes,
    /// A generated or user-owned type, by its Rust name.
    Named(String),
    /// A tuple.
    Tuple(Vec<RustType>),
}

impl RustType {
    /// The primitive a `.tell` type name denotes, if it is one.
    pub(crate) fn primitive(name: &str) -> Option<RustType> {
        use telltale_types::PayloadSort as S;
        Some(match S::from_name(name).ok()? {
            S::Unit => RustType::Unit,
            S::Bool => RustType::Bool,
            S::Nat => RustType::Nat,
            S::Int => RustType::Int,
            S::Real => RustType::Real,
            S::String => RustType::Text,
            S::Bytes => RustType::Bytes,
            S::Named(_) | S::Product(_) | S::Record(_) => return None,
        })
    }

    /// Whether this is `()` (an operation that takes no argument).
    pub(crate) fn is_unit(&self) -> bool {
        matches!(self, RustType::Unit)
    }
}

impl fmt::Display for RustType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RustType::Unit => f.write_str("()"),
            RustType::Bool => f.write_str("bool"),
            RustType::Nat => f.write_str("u64"),
            RustType::Int => f.write_str("i64"),
            RustType::Real => f.write_str("f64"),
            RustType::Text => f.write_str("String"),
            RustType::Bytes => f.write_str("Vec<u8>"),
            RustType::Named(name) => f.write_str(name),
            RustType::Tuple(items) => {
                f.write_str("(")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
        }
    }
}
