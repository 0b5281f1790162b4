//! Bytecode of the Telltale protocol machine.
//!
//! This crate defines the instruction set ([`Instr`], one definition), the
//! compiler from local types to programs ([`compile()`]), the monitor tables
//! the machine checks every communication against ([`MonitorTable`]) and the
//! validated, serialisable [`CodeImage`] the machine loads.
//!
//! ```
//! use telltale_compiler::compile;
//! use telltale_types::{Label, LocalType};
//!
//! let t = LocalType::send("B", Label::unit("ping"), LocalType::End);
//! let program = compile(&t).unwrap();
//! assert_eq!(program.to_string(), "; registers: 2\n   0: send #0\n   1: halt\n");
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod compile;
pub mod effect_sites;
pub mod image;
pub mod instr;
pub mod monitor;
pub mod program;
pub mod role_local;
pub mod steering;
pub mod symbols;

pub use compile::{
    compile, compile_with, compile_with_effects, CompileError, COMPILED_REGISTER_COUNT,
    ENDPOINT_REGISTER, ENDPOINT_REGISTER_INDEX, OUTCOME_REGISTER, PAYLOAD_REGISTER,
};
pub use effect_sites::{BoundArgument, Invocation};
pub use image::{CodeImage, ImageError, RoleImage, IMAGE_FORMAT_VERSION};
pub use instr::{ConstId, Instr, LabelId, Pc, Reg, RoleId, TableId};
pub use monitor::{MonitorState, MonitorTable, StateId, StateKind, Transition, END_STATE};
pub use program::{Disassembly, JumpTable, OpenSpec, Program};
pub use role_local::RoleLocalType;
pub use steering::{ExitSteering, DEFAULT_FREE_ITERATIONS};
pub use symbols::{Interner, SymbolError, Symbols};
/// Payload values live in `telltale-types`, shared with the async runtime.
pub use telltale_types::value::{Endpoint, Value};
