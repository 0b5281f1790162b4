//! The `.tell` choreography language of Telltale.
//!
//! Two front-ends ([`parse_module`] for `.tell`, [`parse_nuscr`] for
//! Scribble/nuscr, [`load`] to choose by file extension) build the same
//! [`ast::Module`] ([`resolve_imports`] then reads a Scribble module's
//! imports through a caller-provided [`ModuleLoader`]); [`lower_protocol`] and [`lower_all`] turn its protocols
//! into [`telltale_types::GlobalType`]s; [`format_module`] prints a module
//! back in canonical `.tell` form and [`explain`] shows the desugared
//! protocol. Nothing here panics on any input: problems come back as
//! [`Diagnostic`]s, rendered with [`Diagnostic::render`].
//!
//! ```
//! use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
//!
//! let file = SourceFile::new("ping.tell", "protocol Ping =\n  roles A, B\n  A -> B : Ping\n");
//! let (module, diagnostics) = load(&file);
//! assert!(diagnostics.is_empty());
//! let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
//! assert_eq!(lowered[0].global.to_string(), "A -> B : { Ping(unit) . end }");
//! ```
//!
//! # Lowering rules
//!
//! - A family `W[N]` expands to the roles `W0`, `W1`, ... (no brackets, so
//!   names stay identifiers everywhere); `N` comes from
//!   [`LowerOptions::params`], `W[*]` takes its size from the parameter named
//!   like the family. `W[a..b]` excludes `b`. A message from or to several
//!   members is one message per member, sender-major, skipping self-sends.
//! - `A ->* : M` sends `M` from `A` to every other role in declaration order.
//! - `loop forever` is `rec`; `loop repeat n` unrolls; `loop decide by A` is
//!   `rec L . A -> R : { first . body; L, Done . A -> others : Done; rest }`
//!   where `R` receives the body's first message; `loop while "p"` is the same,
//!   decided by the sender of the body's first message.
//! - `par | P | Q` is `P` then `Q`: the branches share no role, so no role can
//!   observe the order.
//! - `call P` inlines `P` (roles matched by name, or renamed positionally by
//!   `call P(X, Y)`); a call cycle is an error in `.tell` and a recursion in
//!   nuscr (Scribble's `do` semantics).
//! - `timeout d A at B on timeout => T` is a choice by `A` between `B` and `T`.
//! - `heartbeat A -> B every d on_missing(k) { M } body { X }` is
//!   `rec H . A -> B : Heartbeat . B -> A : { Alive . X; H, Dead . M; rest }`.
//! - `let x = check E.op(..)` is performed by the role named after `at`, or
//!   by the receiver of the last message before it in its block, or by the
//!   first declared role; `case x of` is a choice by that role.
//! - A choice derived from `timeout` or `case` is *announced*: if every
//!   branch already starts with a distinct message from the deciding role to
//!   one common receiver, those messages are the choice; otherwise the
//!   decider first sends the branch name (`Proceed`/`Timeout`, `Ok`/`Err`,
//!   ...) to every other role of the branches, in declaration order.

pub mod ast;
pub mod diagnostic;
mod explain;
mod format;
pub mod lexer;
pub mod line_index;
mod lower;
mod no_protocol;
mod nuscr;
mod parser;
mod predicate;
pub mod render;
pub mod source;

pub use ast::Module;
pub use diagnostic::{Diagnostic, DiagnosticKind, Diagnostics};
pub use explain::{explain, global_text};
pub use format::{format_module, type_text};
pub use lower::{
    lower_all, lower_protocol, parse_param, LowerOptions, LoweredProtocol, MESSAGE_BUDGET,
};
pub use no_protocol::require_protocol;
pub use nuscr::{
    parse_nuscr, resolve_imports, FileDiagnostics, FileModuleLoader, ModuleLoadError, ModuleLoader,
};
pub use parser::parse_module;
pub use render::render_all;
pub use source::{SourceFile, Span};

/// Parses a file with the front-end its extension asks for: Scribble/nuscr
/// for `.nuscr` and `.scr`, `.tell` for everything else.
pub fn load(file: &SourceFile) -> (Module, Vec<Diagnostic>) {
    let lower = file.name.to_ascii_lowercase();
    if lower.ends_with(".nuscr") || lower.ends_with(".scr") {
        parse_nuscr(file)
    } else {
        parse_module(file)
    }
}
