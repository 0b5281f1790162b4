//! Session-type theory for Telltale: pure functions over the types of
//! `telltale-types`, with no I/O.
//!
//! - [`subst`]: unfolding, substitution, free variables.
//! - [`well_formed`]: well-formedness of global and local types.
//! - [`merge`] and [`projection`]: projection with full (default) or plain merge.
//! - [`duality`], [`equivalence`]: two-party duality, equi-recursive equivalence.
//! - [`subtyping`]: synchronous (Gay–Hole) and bounded, sound asynchronous subtyping.
//! - [`notation`]: the binary text notation `!a;?b;end`.
//! - [`fsm`] and [`dot`]: communicating finite-state machines and their
//!   nuscr-style DOT form.

pub mod dot;
pub mod duality;
pub mod equivalence;
pub mod fsm;
pub mod merge;
pub mod notation;
pub mod projection;
pub mod subst;
pub mod subtyping;
pub mod well_formed;
