//! Errors in a scenario file, each located (file, line, column) and, for
//! a misspelt key or role, with the closest valid name.

use std::fmt;
use std::ops::Range;
use thiserror::Error;

/// Where in the scenario file a problem is (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The scenario file as given.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Location {
    /// The location of byte offset `span.start` of `text`.
    pub fn of(file: &str, text: &str, span: Range<usize>) -> Location {
        let start = span.start.min(text.len());
        let before = text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).unwrap_or("").chars().count() + 1;
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// What is wrong with a scenario file.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ScenarioError {
    /// TOML syntax, or a value of the wrong type or range.
    #[error("{at}: {message}")]
    Toml {
        /// Where.
        at: Location,
        /// The parser's explanation.
        message: String,
    },
    /// A key no section has.
    #[error("{at}: unknown key `{key}`{}", suggestion(closest.as_deref(), expected))]
    UnknownKey {
        /// Where.
        at: Location,
        /// The key written.
        key: String,
        /// The valid key closest to it, if any is close.
        closest: Option<String>,
        /// Every valid key at that place.
        expected: Vec<String>,
    },
    /// A value that is not one of the words its key accepts.
    #[error("{at}: unknown value `{value}`{}", value_suggestion(closest.as_deref(), expected))]
    UnknownValue {
        /// Where.
        at: Location,
        /// The value written.
        value: String,
        /// The valid value closest to it, if any is close.
        closest: Option<String>,
        /// Every valid value.
        expected: Vec<String>,
    },
    /// A required key is absent.
    #[error("{at}: missing key `{key}`")]
    MissingKey {
        /// Where (the table that lacks it).
        at: Location,
        /// The key.
        key: String,
    },
    /// A trigger with no condition or with more than one.
    #[error("{at}: a trigger needs exactly one of `immediate`, `at_tick`, `after_step`, `random`, `on_event`; {}", found_text(found))]
    Trigger {
        /// Where.
        at: Location,
        /// The conditions given.
        found: Vec<String>,
    },
    /// An action lacks a key its type needs.
    #[error("{at}: action `{action}` needs `{key}`")]
    ActionKey {
        /// Where.
        at: Location,
        /// The action type.
        action: String,
        /// The missing key.
        key: String,
    },
    /// A value that parses but means nothing (an empty window, a zero budget).
    #[error("{at}: `{key}`: {reason}")]
    BadValue {
        /// Where.
        at: Location,
        /// The key.
        key: String,
        /// Why it is refused.
        reason: String,
    },
    /// A role the protocol does not have.
    #[error("{at}: no role `{role}` in the protocol{} (roles: {})", closest.as_ref().map(|c| format!("; did you mean `{c}`?")).unwrap_or_default(), roles.join(", "))]
    UnknownRole {
        /// Where.
        at: Location,
        /// The role written.
        role: String,
        /// The protocol role closest to it, if any is close.
        closest: Option<String>,
        /// The protocol's roles.
        roles: Vec<String>,
    },
    /// A property that cannot be read.
    #[error("{at}: property `{text}`: {reason}")]
    Property {
        /// Where.
        at: Location,
        /// The property as written.
        text: String,
        /// Why it is refused.
        reason: String,
    },
    /// A documented feature this version does not run yet (refused, never
    /// silently ignored).
    #[error("{at}: `{feature}` is not supported by this version of the simulator")]
    Unsupported {
        /// Where.
        at: Location,
        /// The feature.
        feature: String,
    },
}

fn suggestion(closest: Option<&str>, expected: &[String]) -> String {
    let mut out = String::new();
    if let Some(c) = closest {
        out.push_str(&format!("; did you mean `{c}`?"));
    }
    if !expected.is_empty() {
        out.push_str(&format!(" (valid keys: {})", expected.join(", ")));
    }
    out
}

fn value_suggestion(closest: Option<&str>, expected: &[String]) -> String {
    let mut out = String::new();
    if let Some(c) = closest {
        out.push_str(&format!("; did you mean `{c}`?"));
    }
    if !expected.is_empty() {
        out.push_str(&format!(" (valid values: {})", expected.join(", ")));
    }
    out
}

fn found_text(found: &[String]) -> String {
    if found.is_empty() {
        "none given".to_string()
    } else {
        format!("given: {}", found.join(", "))
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely
/// misspelling.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(word, c);
        if score >= 0.8 && best.map_or(true, |(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

impl ScenarioError {
    /// Turns a TOML/serde error into the located variant it describes.
    pub fn from_toml(file: &str, text: &str, error: &toml::de::Error) -> ScenarioError {
        let at = Location::of(file, text, error.span().unwrap_or(0..0));
        let message = error.message().trim().to_string();
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let (key, expected) = word_and_expected(rest);
            let closest = closest(&key, expected.iter().map(String::as_str));
            return ScenarioError::UnknownKey {
                at,
                key,
                closest,
                expected,
            };
        }
        if let Some(rest) = message.strip_prefix("unknown variant `") {
            let (value, expected) = word_and_expected(rest);
            let closest = closest(&value, expected.iter().map(String::as_str));
            return ScenarioError::UnknownValue {
                at,
                value,
                closest,
                expected,
            };
        }
        if let Some(rest) = message.strip_prefix("missing field `") {
            let key = rest.split('`').next().unwrap_or("").to_string();
            return ScenarioError::MissingKey { at, key };
        }
        ScenarioError::Toml { at, message }
    }
}

/// Splits serde's "`word`, expected one of `a`, `b`" (after its first
/// backquote) into the word and the list.
fn word_and_expected(rest: &str) -> (String, Vec<String>) {
    let word = rest.split('`').next().unwrap_or("").to_string();
    let expected = rest
        .split_once("expected")
        .map(|(_, list)| {
            list.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    (word, expected)
}
