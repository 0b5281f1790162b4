//! What host code written against typed traits needs from the machine: Rust
//! values that convert to and from machine values ([`HostValue`]), a way to
//! answer "not yet" or "gave up" ([`HostFailure`]), and scripted answers for
//! tests and simulation ([`AnswerScript`], [`ScriptedHandler`]).
//!
//! The effect scaffold (`tell scaffold`) generates host traits and adapters
//! on top of this module, so generated code stays small and the rules live
//! (and are tested) here once.

mod failure;
mod script;
mod scripted_handler;
mod value;

pub use failure::HostFailure;
pub use script::{AnswerScript, ScriptedAnswer};
pub use scripted_handler::ScriptedHandler;
pub use value::{
    as_outcome, decode_maybe, decode_result, encode_maybe, encode_result, record_field, variant,
    variant_parts, HostValue,
};
