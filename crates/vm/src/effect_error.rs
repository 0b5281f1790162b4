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
///
/// Categories are tried in a fixed order, most specific first: timeouts,
/// topology, determinism (replay and nondeterminism, so "replay
/// exhausted" is a determinism failure), resources ("resource exhausted",
/// quotas), then contract failures. Words are matched case-insensitively
/// as substrings.
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
    } else if has(&["replay", "nondetermin", "mismatch"]) {
        EffectErrorCategory::Determinism
    } else if has(&[
        "resource",
        "exhausted",
        "capacity",
        "quota",
        "unavailable",
        "busy",
        "out of memory",
    ]) {
        EffectErrorCategory::Resource
    } else if has(&[
        "contract",
        "invalid",
        "evidence",
        "precondition",
        "unexpected",
        "outcome",
    ]) {
        EffectErrorCategory::Contract
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
    fn classifies_a_table_of_messages() {
        use EffectErrorCategory::*;
        let table: &[(&str, EffectErrorCategory)] = &[
            ("request timed out", Timeout),
            ("Timeout after 30 ticks", Timeout),
            ("deadline passed", Timeout),
            ("peer unreachable", Topology),
            ("network partition", Topology),
            ("node crashed", Topology),
            ("peer disconnected", Topology),
            ("replay mismatch at entry 3", Determinism),
            (
                "replay exhausted: no recorded Step for coroutine 0 at tick 4",
                Determinism,
            ),
            ("nondeterministic answer", Determinism),
            ("resource exhausted", Resource),
            ("connection pool exhausted", Resource),
            ("quota exceeded: resource busy", Resource),
            ("capacity reached", Resource),
            ("service unavailable", Resource),
            ("invalid evidence", Contract),
            ("contract broken: precondition failed", Contract),
            ("unexpected outcome constructor `Maybe`", Contract),
            ("boom", Other),
            ("", Other),
        ];
        let wrong: Vec<String> = table
            .iter()
            .filter(|(m, c)| classify_effect_error(m) != *c)
            .map(|(m, c)| format!("{m:?}: got {:?}, want {c:?}", classify_effect_error(m)))
            .collect();
        assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
        assert_eq!(
            classify_effect_error_owned("deadline".into()).category,
            Timeout
        );
    }
}
