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

impl EffectErrorCategory {
    /// Every category, in declaration order.
    pub const ALL: [EffectErrorCategory; 6] = [
        EffectErrorCategory::Timeout,
        EffectErrorCategory::Topology,
        EffectErrorCategory::Determinism,
        EffectErrorCategory::Contract,
        EffectErrorCategory::Resource,
        EffectErrorCategory::Other,
    ];

    /// The lower-case word that names the category in an error tag
    /// (`resource` in `"[resource] ledger full"`).
    pub fn tag(self) -> &'static str {
        match self {
            EffectErrorCategory::Timeout => "timeout",
            EffectErrorCategory::Topology => "topology",
            EffectErrorCategory::Determinism => "determinism",
            EffectErrorCategory::Contract => "contract",
            EffectErrorCategory::Resource => "resource",
            EffectErrorCategory::Other => "other",
        }
    }

    /// The category a tag word names, ignoring ASCII case.
    pub fn from_tag(word: &str) -> Option<EffectErrorCategory> {
        Self::ALL
            .into_iter()
            .find(|c| c.tag().eq_ignore_ascii_case(word))
    }
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

impl EffectError {
    /// The error string a handler returns to fix its category explicitly:
    /// `"[resource] ledger full"`. Handlers answer `Result<_, String>`, so
    /// generated adapters tag their errors with this instead of relying on
    /// [`classify_effect_error`]'s keywords.
    pub fn tagged(category: EffectErrorCategory, message: &str) -> String {
        format!("[{}] {message}", category.tag())
    }

    /// The answer of a `step` that cannot finish yet: `"[blocked] reason"`.
    /// The machine blocks the coroutine without advancing it and calls
    /// `step` again next round (like a guard that answers `Block`); it is
    /// not a fault. A host awaiting a result answers this until it has one.
    pub fn blocked(reason: &str) -> String {
        format!("{BLOCKED_TAG} {reason}")
    }

    /// Whether a `step` error is a [`EffectError::blocked`] answer.
    pub fn is_blocked(message: &str) -> bool {
        message.starts_with(BLOCKED_TAG)
    }
}

/// The tag opening a [`EffectError::blocked`] answer.
const BLOCKED_TAG: &str = "[blocked]";

/// Splits an explicit category tag off a message: `"[resource] full"` is
/// `(Resource, "full")`. The tag must open the message, name a category
/// (any ASCII case, so [`EffectError`]'s `Display` output parses back), and
/// one space after it is part of the tag.
fn split_tag(message: &str) -> Option<(EffectErrorCategory, &str)> {
    let (word, rest) = message.strip_prefix('[')?.split_once(']')?;
    let category = EffectErrorCategory::from_tag(word)?;
    Some((category, rest.strip_prefix(' ').unwrap_or(rest)))
}

/// Maps a raw handler error message to a category: by its explicit tag
/// (see [`EffectError::tagged`]) when it opens with one, else by keywords.
///
/// Keyword categories are tried in a fixed order, most specific first: timeouts,
/// topology, determinism (replay and nondeterminism, so "replay
/// exhausted" is a determinism failure), resources ("resource exhausted",
/// quotas), then contract failures. Words are matched case-insensitively
/// as substrings.
pub fn classify_effect_error(message: &str) -> EffectErrorCategory {
    if let Some((category, _)) = split_tag(message) {
        return category;
    }
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

/// Wraps a raw handler error message into a classified [`EffectError`]; an
/// explicit tag becomes the category and leaves the message.
pub fn classify_effect_error_owned(message: String) -> EffectError {
    if let Some((category, rest)) = split_tag(&message) {
        return EffectError {
            category,
            message: rest.to_string(),
        };
    }
    EffectError {
        category: classify_effect_error(&message),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_explicit_tag_wins_over_keywords() {
        use EffectErrorCategory::*;
        // Keywords alone would say Timeout, Topology, Resource, Other.
        let table: &[(&str, EffectErrorCategory, &str)] = &[
            (
                "[resource] deadline of the pool",
                Resource,
                "deadline of the pool",
            ),
            ("[contract] peer unreachable", Contract, "peer unreachable"),
            ("[Timeout] quota", Timeout, "quota"),
            ("[other]timeout", Other, "timeout"),
            ("[determinism] ", Determinism, ""),
        ];
        for (raw, category, message) in table {
            assert_eq!(classify_effect_error(raw), *category, "{raw:?}");
            let e = classify_effect_error_owned(raw.to_string());
            assert_eq!((e.category, e.message.as_str()), (*category, *message));
        }
        assert_eq!(
            EffectError::tagged(Resource, "ledger full"),
            "[resource] ledger full"
        );
    }

    #[test]
    fn what_is_not_a_tag_is_left_to_keywords_and_kept_whole() {
        use EffectErrorCategory::*;
        for (raw, category) in [
            ("[disk] timed out", Timeout),
            ("ledger [determinism] full", Other),
            (" [resource] leading space", Resource),
            ("[resource", Resource),
            ("[] invalid", Contract),
        ] {
            let e = classify_effect_error_owned(raw.to_string());
            assert_eq!((e.category, e.message.as_str()), (category, raw), "{raw:?}");
        }
    }

    proptest! {
        #[test]
        fn a_tagged_message_classifies_as_its_tag_and_keeps_its_text(
            index in 0usize..6,
            message in ".*",
        ) {
            let category = EffectErrorCategory::ALL[index];
            let e = classify_effect_error_owned(EffectError::tagged(category, &message));
            prop_assert_eq!(&e, &EffectError { category, message: message.clone() });
            // What `Display` prints parses back to the same error.
            prop_assert_eq!(classify_effect_error_owned(e.to_string()), e);
        }
    }

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
