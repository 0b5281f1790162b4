//! What can go wrong while generating a scaffold.

use std::path::PathBuf;

/// Why a scaffold was not generated (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The input file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The input is not valid UTF-8.
    #[error("`{path}` is not UTF-8 text (invalid byte at offset {offset})")]
    NotText {
        /// The file.
        path: PathBuf,
        /// The first invalid byte.
        offset: usize,
    },
    /// The file has syntax or lowering errors; `rendered` shows them.
    #[error("`{file}` has {count} error{}:\n{rendered}", if *count == 1 { "" } else { "s" })]
    Invalid {
        /// The file's name.
        file: String,
        /// How many errors.
        count: usize,
        /// The errors, rendered like `tell check` shows them.
        rendered: String,
    },
    /// The file declares no effect, so there is no host interface.
    #[error("`{file}` declares no `effect`: there is no host interface to scaffold\n  = help: declare one, e.g. `effect Ledger` with `append : ledger.Entry -> Result LedgerError ledger.Receipt`, and `check` it in a protocol")]
    NoEffects {
        /// The file's name.
        file: String,
    },
    /// A declared name cannot become Rust code as it is.
    #[error("{location}: {what} `{name}` {problem}\n  = help: rename it to `{suggestion}` in the .tell file")]
    BadName {
        /// `file:line:column` of the name.
        location: String,
        /// What the name names (`operation`, `field`, ...).
        what: &'static str,
        /// The name.
        name: String,
        /// Why it does not work.
        problem: String,
        /// A name that would.
        suggestion: String,
    },
    /// A declaration the scaffold cannot express in Rust.
    #[error("{location}: {message}")]
    Unsupported {
        /// `file:line:column` of the declaration.
        location: String,
        /// What is not supported, and what to do.
        message: String,
    },
    /// Generated files already exist and `--force` was not given.
    #[error("{} already exist{} in `{}` (pass --force to overwrite generated files; your own files are never overwritten):\n{}",
        if .files.len() == 1 { "a generated file" } else { "generated files" },
        if .files.len() == 1 { "s" } else { "" },
        .out.display(),
        .files.iter().map(|f| format!("  {}", f.display())).collect::<Vec<_>>().join("\n"))]
    Exists {
        /// The output folder.
        out: PathBuf,
        /// The files that exist, relative to it.
        files: Vec<PathBuf>,
    },
    /// Writing the output failed; nothing was left half-written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The path being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A generated Rust file does not parse: a bug in the generator.
    #[error("the generated `{file}` does not parse ({reason}); this is a bug in the scaffold, please report it with the .tell file")]
    Generated {
        /// The generated file.
        file: String,
        /// The parser's message.
        reason: String,
    },
    /// A protocol could not be projected or compiled for the smoke tests.
    #[error("protocol `{protocol}` cannot run on the machine: {reason}")]
    Compile {
        /// The protocol.
        protocol: String,
        /// Why.
        reason: String,
    },
}
