//! The errors the macro reports as `compile_error!`s.

use crate::input::LoadedSource;
use proc_macro2::Span;
use telltale_lang::{Diagnostic, SourceFile};
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
    /// The parser, the lowering or the projection rejected the protocol.
    #[error("{rendered}")]
    Language {
        /// The best span for the diagnostic inside the macro call.
        span: Span,
        /// The diagnostic rendered with its `file:line:col` and excerpt.
        rendered: String,
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
            | MacroError::Identifier { span, .. }
            | MacroError::Unsupported { span, .. } => *span,
        }
    }

    /// A diagnostic as an error at its DSL span, with `file:line:col` and
    /// the rendered excerpt and help in the message.
    pub fn language(source: &LoadedSource, file: &SourceFile, diagnostic: &Diagnostic) -> Self {
        let (line, col) = file.line_col(diagnostic.span.start);
        let rendered = diagnostic.render(file);
        // The rendered text repeats the headline on its first line.
        let excerpt = rendered.split_once('\n').map_or("", |(_, rest)| rest);
        MacroError::Language {
            span: source.span_of(diagnostic.span.start..diagnostic.span.end),
            rendered: format!(
                "{}:{line}:{col}: {diagnostic}\n{}",
                file.name,
                excerpt.trim_end()
            ),
        }
    }

    /// The error as a `compile_error!` invocation at its span.
    pub fn to_compile_error(&self) -> proc_macro2::TokenStream {
        syn::Error::new(self.span(), self.to_string()).to_compile_error()
    }
}
