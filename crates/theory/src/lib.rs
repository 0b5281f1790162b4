//! Session-type theory for Telltale: pure functions over the types of
//! `telltale-types`, with no I/O.
//!
//! - [`subst`]: unfolding, substitution, free variables.
//! - [`well_formed`]: well-formedness of global and local types.
//! - [`merge`](mod@merge) and [`projection`](mod@projection): projection with full (default) or plain merge.
//! - [`error`]: where in a type an error was found ([`TypePath`]).
//! - [`duality`], [`equivalence`]: two-party duality, equi-recursive equivalence.
//! - [`subtyping`]: synchronous (Gay–Hole) and bounded, sound asynchronous subtyping.
//! - [`notation`]: the binary text notation `!a;?b;end`.
//! - [`fsm`] and [`dot`]: communicating finite-state machines and their
//!   nuscr-style DOT form.

pub mod dot;
pub mod duality;
pub mod equivalence;
pub mod error;
pub mod fsm;
pub mod merge;
pub mod notation;
pub mod projection;
pub mod subst;
pub mod subtyping;
pub mod well_formed;

pub use dot::{fsm_to_dot, parse_dot, DotError};
pub use duality::{are_dual, dual, dual_with_partner};
pub use equivalence::{alpha_equivalent, equivalent};
pub use error::{PathStep, TypePath};
pub use fsm::{Action, Fsm, FsmError, Transition};
pub use merge::{merge, MergeError, MergeMode};
pub use notation::{
    parse_local_notation, parse_local_notation_with_partner, to_notation, NotationError,
};
pub use projection::{
    project, project_all, project_all_with, project_with, BranchConflict, ProjectionConfig,
    ProjectionError,
};
pub use subst::{
    free_vars, is_closed, substitute, unfold, unfold_head, SessionType, SubstError, View,
};
pub use subtyping::{
    async_subtype, async_subtype_fsm, sync_subtype, sync_subtype_fsm, AsyncSubtypeConfig, Side,
    SubtypeError, Verdict,
};
pub use well_formed::{
    check_global, check_local, global_violations, local_violations, WellFormednessError,
};

/// The user guide of this crate (`docs/theory.md`), compiled here so its
/// examples are tested.
#[doc = include_str!("../../../docs/theory.md")]
pub mod guide {}
