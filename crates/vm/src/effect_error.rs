//! Classification of handler errors into a typed taxonomy.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Coarse categories of handler failures, for structured diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EffectErrorCategory {
    /// A deadline passed.
    Timeout,
    /// A crash, partition or unreachable peer.
    Topology,
    /// Replay mismatch or nondeterminism.
    Determinism,
    /// A broken contract: invalid input, evidence or state.
    Contract,
    /// A resource was unavailable or exhausted.
    Resource,
    /// Anything else.
    Other,
}

/// A handler error with its category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectError {
    /// The category.
    pub category: EffectErrorCategory,
    /// The handler's message.
    pub message: String,
}

impl fmt::Display for EffectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:?}] {}", self.category, self.message)
    }
}

impl std::error::Error for EffectError {}

/// Maps a raw handler error message to a category by keywords.
pub fn classify_effect_error(message: &str) -> EffectErrorCategory {
    let m = message.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(&["timeout", "timed out", "deadline"]) {
        EffectErrorCategory::Timeout
    } else if has(&[
        "partition",
        "crash",
        "unreachable",
        "topology",
        "disconnect",
    ]) {
        EffectErrorCategory::Topology
    } else if has(&["replay", "nondetermin", "mismatch", "exhausted"]) {
        EffectErrorCategory::Determinism
    } else if has(&[
        "contract",
        "invalid",
        "evidence",
        "precondition",
        "unexpected",
    ]) {
        EffectErrorCategory::Contract
    } else if has(&["resource", "capacity", "quota", "unavailable", "busy"]) {
        EffectErrorCategory::Resource
    } else {
        EffectErrorCategory::Other
    }
}

/// Wraps a raw handler error message into a classified [`EffectError`].
pub fn classify_effect_error_owned(message: String) -> EffectError {
    EffectError {
        category: classify_effect_error(&message),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_keyword() {
        let check =
            |m: &str, c: EffectErrorCategory| assert_eq!(classify_effect_error(m), c, "{m}");
        check("request timed out", EffectErrorCategory::Timeout);
        check("peer unreachable", EffectErrorCategory::Topology);
        check(
            "replay mismatch at entry 3",
            EffectErrorCategory::Determinism,
        );
        check("invalid evidence", EffectErrorCategory::Contract);
        check(
            "quota exceeded: resource busy",
            EffectErrorCategory::Resource,
        );
        check("boom", EffectErrorCategory::Other);
        assert_eq!(
            classify_effect_error_owned("deadline".into()).category,
            EffectErrorCategory::Timeout
        );
    }
}
