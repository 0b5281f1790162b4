//! Session subtyping: synchronous (Gay–Hole, decidable) and asynchronous
//! (undecidable in general; a bounded, sound check answering
//! [`Verdict::Unknown`] when it cannot decide).
//!
//! Both work on the FSM form of the types ([`crate::fsm`]); local types are
//! converted first, which rejects open or unguarded types.

mod asynchronous;
mod context;
mod machine;
mod sync;

use crate::fsm::{Fsm, FsmError};
use machine::{class_count, Machine, RoleTable};
use std::fmt;
use telltale_types::{LocalType, Role};
use thiserror::Error;

/// The answer of the asynchronous check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The subtype relation certainly holds.
    Subtype,
    /// The subtype relation certainly does not hold.
    NotSubtype,
    /// The check ran out of budget or met a case its rules do not decide.
    Unknown,
}

/// `subtype`, `not-subtype` or `unknown`, as the CLI prints it.
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Subtype => "subtype",
            Verdict::NotSubtype => "not-subtype",
            Verdict::Unknown => "unknown",
        })
    }
}

/// Bounds on the asynchronous check, which may otherwise not terminate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncSubtypeConfig {
    /// Maximum number of distinct `(subtype state, supertype term)` pairs
    /// explored before answering unknown. Default: 100,000.
    pub max_steps: usize,
    /// Maximum number of pending actions the supertype may owe in one term
    /// (its context size) before answering unknown. Default: 256.
    pub max_context_size: usize,
}

impl Default for AsyncSubtypeConfig {
    fn default() -> Self {
        AsyncSubtypeConfig {
            max_steps: 100_000,
            max_context_size: 256,
        }
    }
}

/// Which side of `sub ≤ sup` a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The candidate subtype (left-hand side).
    Subtype,
    /// The candidate supertype (right-hand side).
    Supertype,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Subtype => "subtype",
            Side::Supertype => "supertype",
        })
    }
}

/// Why a pair of types could not be checked at all.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SubtypeError {
    /// A type has a free recursion variable.
    #[error("the {side} is open: variable `{var}` is not bound")]
    Open {
        /// Which type.
        side: Side,
        /// The free variable.
        var: String,
    },
    /// A type has a recursion that reaches its variable without communicating.
    #[error("the {side} has unguarded recursion on `{var}`")]
    Unguarded {
        /// Which type.
        side: Side,
        /// The recursion variable.
        var: String,
    },
    /// A type or machine is not a valid local type for another reason.
    #[error("the {side} is not a valid local type: {source}")]
    Malformed {
        /// Which type.
        side: Side,
        /// What is wrong with it.
        #[source]
        source: FsmError,
    },
}

impl SubtypeError {
    fn on(side: Side, error: FsmError) -> Self {
        match error {
            FsmError::UnboundVariable { var } => SubtypeError::Open { side, var },
            FsmError::UnguardedRecursion { var } => SubtypeError::Unguarded { side, var },
            source => SubtypeError::Malformed { side, source },
        }
    }
}

/// Whether `sub ≤ sup` in the synchronous (Gay–Hole) sense.
pub fn sync_subtype(sub: &LocalType, sup: &LocalType) -> Result<bool, SubtypeError> {
    let (t, u, _) = machines_of_types(sub, sup)?;
    Ok(sync::sync_machines(&t, &u))
}

/// Whether `sub ≤ sup` asynchronously: like [`sync_subtype`], and `sub` may
/// also perform outputs ahead of inputs (and of outputs to other partners).
pub fn async_subtype(
    sub: &LocalType,
    sup: &LocalType,
    config: &AsyncSubtypeConfig,
) -> Result<Verdict, SubtypeError> {
    let (t, u, classes) = machines_of_types(sub, sup)?;
    Ok(asynchronous::async_machines(&t, &u, classes, config))
}

/// [`sync_subtype`] on machines, e.g. read from DOT.
pub fn sync_subtype_fsm(sub: &Fsm, sup: &Fsm) -> Result<bool, SubtypeError> {
    let (t, u, _) = machines_of(sub, sup)?;
    Ok(sync::sync_machines(&t, &u))
}

/// [`async_subtype`] on machines, e.g. read from DOT.
pub fn async_subtype_fsm(
    sub: &Fsm,
    sup: &Fsm,
    config: &AsyncSubtypeConfig,
) -> Result<Verdict, SubtypeError> {
    let (t, u, classes) = machines_of(sub, sup)?;
    Ok(asynchronous::async_machines(&t, &u, classes, config))
}

/// Both machines, with the number of action classes of their shared role table.
type MachinePair = (Machine, Machine, usize);

fn machines_of_types(sub: &LocalType, sup: &LocalType) -> Result<MachinePair, SubtypeError> {
    let role = Role::new("self");
    let t = Fsm::from_local(&role, sub).map_err(|e| SubtypeError::on(Side::Subtype, e))?;
    let u = Fsm::from_local(&role, sup).map_err(|e| SubtypeError::on(Side::Supertype, e))?;
    machines_of(&t, &u)
}

fn machines_of(sub: &Fsm, sup: &Fsm) -> Result<MachinePair, SubtypeError> {
    let mut roles = RoleTable::default();
    let t = Machine::from_fsm(sub, &mut roles).map_err(|e| SubtypeError::on(Side::Subtype, e))?;
    let u = Machine::from_fsm(sup, &mut roles).map_err(|e| SubtypeError::on(Side::Supertype, e))?;
    Ok((t, u, class_count(&roles)))
}

#[cfg(test)]
mod tests;
