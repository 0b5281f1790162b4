//! The Scribble/nuscr front-end.
//!
//! Reads Scribble files as the Scribble toolchain and nuscr write them —
//! `module` and `import` declarations, payload `type`/`sig` declarations,
//! `[aux|explicit] global protocol P(role A, role B) { ... }` — into the
//! same [`Module`] as `.tell`, so lowering, formatting and explaining are
//! shared. Refinements (`x: int{x > 0}`) are skipped; known nuscr pragmas
//! are accepted and ignored; an unknown pragma is an error naming it. A
//! choice branch is named after the label of its first message. Constructs
//! Telltale cannot give a meaning (`connect`, `disconnect`,
//! `interruptible`, local protocols) are refused with a located "not
//! supported" diagnostic. Imports are resolved separately, through a
//! caller-provided [`ModuleLoader`], by [`resolve_imports`].
//!
//! - `decl.rs`: the top level (module, imports, payload declarations, pragmas).
//! - `stmt.rs`: protocols and their statements.
//! - `message.rs`: messages, operators and payload types.
//! - `unsupported.rs`: the Scribble constructs refused as not supported.
//! - `imports.rs` and `qualify.rs`: import resolution and qualified names;
//!   `file_loader.rs` the loader that reads imported modules from files.

mod decl;
mod file_loader;
mod imports;
mod message;
mod qualify;
mod stmt;
mod unsupported;

pub use file_loader::FileModuleLoader;
pub use imports::{resolve_imports, FileDiagnostics, ModuleLoadError, ModuleLoader};

use crate::ast::{Dialect, Module};
use crate::diagnostic::Diagnostic;
use crate::lexer::lex;
use crate::parser::Parser;
use crate::source::SourceFile;

/// Parses a Scribble/nuscr file into a module (imports stay unresolved:
/// see [`resolve_imports`]).
pub fn parse_nuscr(file: &SourceFile) -> (Module, Vec<Diagnostic>) {
    let lexed = lex(&file.text, Dialect::Nuscr);
    let mut parser = Parser::new_free_form(&file.text, lexed.tokens);
    let mut module = Module {
        dialect: Dialect::Nuscr,
        ..Module::default()
    };
    parser.nuscr_module(&mut module);
    module.comments = lexed.comments;
    let mut diagnostics = lexed.diagnostics;
    diagnostics.extend(parser.finish());
    (module, diagnostics)
}
