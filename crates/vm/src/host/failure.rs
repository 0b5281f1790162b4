//! A host's answer when an operation has no outcome (yet).

use crate::effect::error::{EffectError, EffectErrorCategory};

/// Why a host operation produced no outcome: the call waits, gave up, or
/// failed. Turned into the `step` error the machine understands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HostFailure {
    /// Not ready yet: the coroutine blocks and the call is retried next
    /// round (see [`EffectError::blocked`]).
    Blocked(String),
    /// A deadline passed: the `case`'s `Timeout` branch where there is one,
    /// a fault of the performer otherwise.
    TimedOut(String),
    /// The call was cancelled: handled like [`HostFailure::TimedOut`].
    Cancelled(String),
    /// Anything else: faults the performer with this category.
    Failed(EffectErrorCategory, String),
}

impl HostFailure {
    /// The error string `step` returns for this failure.
    pub fn into_step_error(self) -> String {
        match self {
            HostFailure::Blocked(reason) => EffectError::blocked(&reason),
            HostFailure::TimedOut(reason) => {
                EffectError::tagged(EffectErrorCategory::Timeout, &reason)
            }
            HostFailure::Cancelled(reason) => EffectError::tagged(
                EffectErrorCategory::Timeout,
                &format!("cancelled: {reason}"),
            ),
            HostFailure::Failed(category, reason) => EffectError::tagged(category, &reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effect::error::classify_effect_error;

    #[test]
    fn failures_become_the_step_errors_the_machine_reads() {
        assert!(EffectError::is_blocked(
            &HostFailure::Blocked("disk busy".into()).into_step_error()
        ));
        for (failure, category) in [
            (
                HostFailure::TimedOut("5s".into()),
                EffectErrorCategory::Timeout,
            ),
            (
                HostFailure::Cancelled("shutdown".into()),
                EffectErrorCategory::Timeout,
            ),
            (
                HostFailure::Failed(EffectErrorCategory::Resource, "full".into()),
                EffectErrorCategory::Resource,
            ),
        ] {
            let error = failure.into_step_error();
            assert!(!EffectError::is_blocked(&error), "{error}");
            assert_eq!(classify_effect_error(&error), category, "{error}");
        }
    }
}
