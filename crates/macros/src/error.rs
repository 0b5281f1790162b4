//! The errors the macro reports as `compile_error!`s.

use proc_macro2::Span;
use thiserror::Error;

/// Why a protocol could not be turned into Rust code.
#[derive(Debug, Error)]
pub enum MacroError {
    /// The macro arguments are malformed.
    #[error("{message}")]
    Input {
        /// Where in the macro call the problem is.
        span: Span,
        /// What is wrong.
        message: String,
    },
    /// The protocol file could not be read.
    #[error("cannot read protocol file `{path}`: {reason}")]
    File {
        /// The `file = "..."` literal.
        span: Span,
        /// The resolved path.
        path: String,
        /// The I/O error text.
        reason: String,
    },
    /// The parser or the lowering rejected the protocol.
    #[error("{rendered}")]
    Language {
        /// The best span for the diagnostic inside the macro call.
        span: Span,
        /// The diagnostic rendered with its `file:line:col` and excerpt.
        rendered: String,
    },
    /// A role has no local type.
    #[error("protocol `{protocol}`: {reason}")]
    Projection {
        /// The protocol's source literal.
        span: Span,
        /// The protocol's name.
        protocol: String,
        /// The projection error text, naming the role.
        reason: String,
    },
    /// A name in the protocol cannot become a Rust item.
    #[error("protocol `{protocol}`: {what} `{name}` is not a valid Rust identifier")]
    Identifier {
        /// The protocol's source literal.
        span: Span,
        /// The protocol's name.
        protocol: String,
        /// What the name names (role, label, protocol).
        what: &'static str,
        /// The offending name.
        name: String,
    },
    /// A local type that no typestate can express.
    #[error("protocol `{protocol}`, role `{role}`: {reason}")]
    Unsupported {
        /// The protocol's source literal.
        span: Span,
        /// The protocol's name.
        protocol: String,
        /// The role whose local type is the problem.
        role: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl MacroError {
    /// Where the error points in the macro call.
    pub fn span(&self) -> Span {
        match self {
            MacroError::Input { span, .. }
            | MacroError::File { span, .. }
            | MacroError::Language { span, .. }
            | MacroError::Projection { span, .. }
            | MacroError::Identifier { span, .. }
            | MacroError::Unsupported { span, .. } => *span,
        }
    }

    /// The error as a `compile_error!` invocation at its span.
    pub fn to_compile_error(&self) -> proc_macro2::TokenStream {
        syn::Error::new(self.span(), self.to_string()).to_compile_error()
    }
}
