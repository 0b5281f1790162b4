//! Properties a host project states in Rust: predicates over what the
//! hosts observed so far, checked by the world after every round beside the
//! scenario's own properties (through the harness, or
//! [`crate::simulate_with_host_checked`]).
//!
//! ```
//! use telltale_simulator::host_predicate::{HostPredicate, PredicateViolation};
//!
//! // No role finalizes a value nobody proposed.
//! let valid = HostPredicate::new("finalized_was_proposed", |view| {
//!     for o in view.observations.iter().filter(|o| o.key == "finalized") {
//!         let proposed = view
//!             .observations
//!             .iter()
//!             .any(|p| p.key == "proposed" && p.value == o.value);
//!         if !proposed {
//!             return Err(PredicateViolation::by(o.role, format!("finalized {} unproposed", o.value)));
//!         }
//!     }
//!     Ok(())
//! });
//! assert_eq!(valid.name(), "finalized_was_proposed");
//! ```

use crate::observation::Observation;
use telltale_compiler::RoleId;

/// What a predicate sees after a round.
#[derive(Debug)]
pub struct PredicateView<'a> {
    /// The round's tick.
    pub tick: u64,
    /// Every observation so far, in the order made.
    pub observations: &'a [Observation],
    /// Role names by id (`observations[i].role` indexes it).
    pub roles: &'a [String],
}

/// A broken predicate: the role it concerns, if one, and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredicateViolation {
    /// The role at fault, if the predicate can name one.
    pub role: Option<RoleId>,
    /// What broke it, in words.
    pub event: String,
}

impl PredicateViolation {
    /// A violation concerning `role`.
    pub fn by(role: RoleId, event: impl Into<String>) -> PredicateViolation {
        PredicateViolation {
            role: Some(role),
            event: event.into(),
        }
    }

    /// A violation of the whole run.
    pub fn of_run(event: impl Into<String>) -> PredicateViolation {
        PredicateViolation {
            role: None,
            event: event.into(),
        }
    }
}

/// The check a [`HostPredicate`] runs.
type Check = dyn Fn(&PredicateView<'_>) -> Result<(), PredicateViolation> + Send + Sync;

/// A named property in Rust; the report lists it with the scenario's
/// properties, and its first violation with the tick, role and event.
pub struct HostPredicate {
    name: String,
    check: Box<Check>,
}

impl HostPredicate {
    /// A predicate called `name` (its name in reports).
    pub fn new(
        name: impl Into<String>,
        check: impl Fn(&PredicateView<'_>) -> Result<(), PredicateViolation> + Send + Sync + 'static,
    ) -> HostPredicate {
        HostPredicate {
            name: name.into(),
            check: Box::new(check),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks it on `view`.
    pub fn check(&self, view: &PredicateView<'_>) -> Result<(), PredicateViolation> {
        (self.check)(view)
    }
}

impl std::fmt::Debug for HostPredicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostPredicate")
            .field("name", &self.name)
            .finish()
    }
}
