//! Errors of the types crate.

use thiserror::Error;

/// Everything that can go wrong when building, reading or addressing types.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TypesError {
    /// The JSON text is not a type in the Lean-bridge schema.
    #[error("invalid type JSON: {0}")]
    Json(String),
    /// A payload sort was written in a form this crate does not know.
    #[error("invalid payload sort `{text}`: {reason}")]
    InvalidSort {
        /// The text that was given.
        text: String,
        /// Why it was refused.
        reason: String,
    },
    /// A content id was asked for a type with free recursion variables.
    #[error("type is open (free recursion variables: {}); use its template id instead", free.join(", "))]
    OpenTerm {
        /// The free variables, sorted.
        free: Vec<String>,
    },
    /// A content id text was not 64 hex digits.
    #[error("invalid content id `{0}`: expected 64 hexadecimal digits")]
    InvalidContentId(String),
    /// The canonical binary encoding failed.
    #[error("canonical encoding failed: {0}")]
    Encoding(String),
}
