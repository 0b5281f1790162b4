//! Scripted effect outcomes for the built-in handler: `tell run --effect
//! 'Ledger.append=Ok,Err(Full),Ok'` answers the first three calls of
//! `Ledger.append` in that order (later calls get seeded outcomes again).
//!
//! An entry is `Effect.operation=OUTCOME[,OUTCOME...]`; an outcome is a
//! constructor the operation declares, with an optional payload in
//! parentheses: a number, `true`/`false`, text, or (for a named sort such as
//! a declared error type) a name, carried as a string. A constructor given
//! without a payload gets a seeded one of its sort. Three more answers fit
//! any operation (unless it declares a constructor of that name): `Timeout`
//! and `Cancelled` (the host gave up: the `case`'s `Timeout` branch, or a
//! fault) and `Blocked` (not yet: the call is retried next round, with the
//! next entry).

use crate::effect::error::{EffectError, EffectErrorCategory};
use std::collections::BTreeMap;
use telltale_compiler::Value;
use telltale_types::effects::outcome;
use telltale_types::{EffectOperation, EffectTable, PayloadSort};
use thiserror::Error;

/// Why an effect script was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EffectScriptError {
    /// An entry is not `Effect.operation=OUTCOME[,OUTCOME...]`.
    #[error("effect script `{entry}`: {reason}")]
    Syntax {
        /// The entry as given.
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// The protocol performs no operation of that name.
    #[error("effect script: the protocol performs no `{operation}` (it performs: {known})")]
    UnknownOperation {
        /// The name given.
        operation: String,
        /// The operations the protocol performs.
        known: String,
    },
    /// The operation does not return that constructor.
    #[error(
        "effect script: `{operation}` cannot return `{constructor}` (its outcomes: {expected})"
    )]
    UnknownConstructor {
        /// The operation.
        operation: String,
        /// The constructor given.
        constructor: String,
        /// The declared constructors.
        expected: String,
    },
    /// The payload text does not read as a value of the declared sort.
    #[error("effect script: `{operation}`: `{constructor}({text})` is not a {sort}")]
    BadPayload {
        /// The operation.
        operation: String,
        /// The constructor.
        constructor: String,
        /// The payload text.
        text: String,
        /// The declared payload sort.
        sort: String,
    },
}

/// One scripted answer: a constructor and its payload text, if given.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ScriptedOutcome {
    constructor: String,
    payload: Option<String>,
}

/// What a scripted entry answers a call with, as `step` returns it: an
/// outcome value, or the error string of a host that gave up or is not
/// ready (`EffectError::tagged` / `EffectError::blocked`).
pub type ScriptedStep = Result<Value, String>;

/// The answers every operation may be scripted with besides its outcomes.
const HOST_ANSWERS: [&str; 3] = ["Timeout", "Cancelled", "Blocked"];

/// Scripted outcomes per operation (`Effect.operation`), consumed call by
/// call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EffectScript {
    scripts: BTreeMap<String, Vec<ScriptedOutcome>>,
}

impl EffectScript {
    /// Parses `Effect.operation=OUTCOME[,OUTCOME...]` entries; entries for
    /// the same operation append to its sequence.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, EffectScriptError> {
        let mut script = EffectScript::default();
        for entry in entries {
            let entry = entry.as_ref();
            let syntax = |reason: &str| EffectScriptError::Syntax {
                entry: entry.to_string(),
                reason: reason.to_string(),
            };
            let (operation, outcomes) = entry
                .split_once('=')
                .ok_or_else(|| syntax("expected `Effect.operation=Outcome,...`"))?;
            let operation = operation.trim();
            if operation.split('.').filter(|p| !p.is_empty()).count() != 2 {
                return Err(syntax("name the operation as `Effect.operation`"));
            }
            let list = script.scripts.entry(operation.to_string()).or_default();
            for item in split_top_level(outcomes).map_err(|r| syntax(&r))? {
                list.push(parse_outcome(item).map_err(|r| syntax(&r))?);
            }
        }
        Ok(script)
    }

    /// Whether nothing is scripted.
    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// Checks every entry against the protocol's effect table: known
    /// operations, declared constructors, payloads of the declared sort.
    pub fn check(&self, effects: &EffectTable) -> Result<(), EffectScriptError> {
        for (name, outcomes) in &self.scripts {
            let op = effects
                .operations
                .iter()
                .find(|o| qualified(o) == *name)
                .ok_or_else(|| EffectScriptError::UnknownOperation {
                    operation: name.clone(),
                    known: effects
                        .operations
                        .iter()
                        .map(qualified)
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            for scripted in outcomes {
                let _answer = answer(op, scripted, 0)?;
            }
        }
        Ok(())
    }

    /// How many answers are scripted for `operation` (`None` when it is
    /// not scripted): as a sequence consumed call by call, or, for the
    /// explorer, as the alternatives it tries at each call.
    pub fn len_for(&self, operation: &EffectOperation) -> Option<usize> {
        self.scripts.get(&qualified(operation)).map(Vec::len)
    }

    /// The `index`-th scripted answer of `operation`, if the script
    /// reaches that far; `bits` seeds a payload not given.
    pub fn outcome(
        &self,
        operation: &EffectOperation,
        index: usize,
        bits: u64,
    ) -> Option<Result<ScriptedStep, EffectScriptError>> {
        let scripted = self.scripts.get(&qualified(operation))?.get(index)?;
        Some(answer(operation, scripted, bits))
    }
}

/// `Effect.operation`.
fn qualified(op: &EffectOperation) -> String {
    format!("{}.{}", op.effect, op.name)
}

/// The outcome value a scripted answer stands for.
fn answer(
    op: &EffectOperation,
    scripted: &ScriptedOutcome,
    bits: u64,
) -> Result<ScriptedStep, EffectScriptError> {
    let declared = op
        .outcomes
        .iter()
        .any(|d| d.constructor == scripted.constructor);
    if !declared && scripted.payload.is_none() {
        let name = qualified(op);
        match scripted.constructor.as_str() {
            "Timeout" => {
                return Ok(Err(EffectError::tagged(
                    EffectErrorCategory::Timeout,
                    &format!("{name} timed out (scripted)"),
                )))
            }
            "Cancelled" => {
                return Ok(Err(EffectError::tagged(
                    EffectErrorCategory::Timeout,
                    &format!("{name} was cancelled (scripted)"),
                )))
            }
            "Blocked" => return Ok(Err(EffectError::blocked(&format!("{name} (scripted)")))),
            _ => {}
        }
    }
    let decl = op
        .outcomes
        .iter()
        .find(|d| d.constructor == scripted.constructor)
        .ok_or_else(|| EffectScriptError::UnknownConstructor {
            operation: qualified(op),
            constructor: scripted.constructor.clone(),
            expected: op
                .outcomes
                .iter()
                .map(|d| d.constructor.as_str())
                .chain(HOST_ANSWERS)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let payload = match &scripted.payload {
        None => crate::effect::default_handler::fabricate(&decl.payload, bits),
        Some(text) => {
            payload_from_text(text, &decl.payload).ok_or_else(|| EffectScriptError::BadPayload {
                operation: qualified(op),
                constructor: scripted.constructor.clone(),
                text: text.clone(),
                sort: decl.payload.to_string(),
            })?
        }
    };
    Ok(Ok(outcome(&decl.constructor, payload)))
}

/// Splits `a,B(c,d),e` at commas outside parentheses.
fn split_top_level(text: &str) -> Result<Vec<&str>, String> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| "unbalanced `)`".to_string())?;
            }
            ',' if depth == 0 => {
                items.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unclosed `(`".into());
    }
    items.push(text[start..].trim());
    if items.iter().any(|i| i.is_empty()) {
        return Err("an empty outcome".into());
    }
    Ok(items)
}

/// `Ctor` or `Ctor(payload)`.
fn parse_outcome(item: &str) -> Result<ScriptedOutcome, String> {
    let (constructor, payload) = match item.split_once('(') {
        None => (item, None),
        Some((c, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("`{item}`: expected `)` at the end"))?;
            (c.trim(), Some(inner.trim().to_string()))
        }
    };
    let valid = constructor
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && constructor.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        return Err(format!("`{constructor}` is not a constructor name"));
    }
    Ok(ScriptedOutcome {
        constructor: constructor.to_string(),
        payload,
    })
}

/// A payload value of `sort` read from text, if it reads as one.
fn payload_from_text(text: &str, sort: &PayloadSort) -> Option<Value> {
    match sort {
        PayloadSort::Unit => (text.is_empty() || text == "()").then_some(Value::Unit),
        PayloadSort::Bool => text.parse().ok().map(Value::Bool),
        PayloadSort::Nat => text.parse().ok().map(Value::Nat),
        PayloadSort::Int => text.parse().ok().map(Value::Int),
        PayloadSort::Real => text.parse().ok().map(Value::Real),
        PayloadSort::String | PayloadSort::Named(_) => Some(Value::string(text)),
        PayloadSort::Bytes | PayloadSort::Product(_) | PayloadSort::Record(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_types::OutcomeDecl;

    fn ledger() -> EffectTable {
        let decl = |c: &str, payload: PayloadSort| OutcomeDecl {
            constructor: c.into(),
            payload,
        };
        EffectTable {
            operations: vec![EffectOperation {
                effect: "Ledger".into(),
                name: "append".into(),
                input: PayloadSort::Unit,
                outcomes: vec![
                    decl("Ok", PayloadSort::Nat),
                    decl("Err", PayloadSort::Named("LedgerError".into())),
                ],
            }],
            sites: Vec::new(),
            missable: Vec::new(),
        }
    }

    #[test]
    fn a_sequence_is_answered_call_by_call_then_runs_out() {
        let script =
            EffectScript::parse(&["Ledger.append=Ok(3),Err(Full)", "Ledger.append=Ok"]).unwrap();
        let effects = ledger();
        script.check(&effects).unwrap();
        let at = |i| script.outcome(&effects.operations[0], i, 7);
        assert_eq!(at(0), Some(Ok(Ok(outcome("Ok", Value::Nat(3))))));
        assert_eq!(at(1), Some(Ok(Ok(outcome("Err", Value::string("Full"))))));
        assert!(
            matches!(at(2), Some(Ok(Ok(v))) if telltale_types::effects::outcome_parts(&v).unwrap().0 == "Ok")
        );
        assert_eq!(at(3), None);
    }

    #[test]
    fn a_host_may_be_scripted_to_give_up_or_to_make_the_call_wait() {
        let script = EffectScript::parse(&["Ledger.append=Timeout,Blocked,Cancelled"]).unwrap();
        let effects = ledger();
        script.check(&effects).unwrap();
        let at = |i| {
            script
                .outcome(&effects.operations[0], i, 7)
                .unwrap()
                .unwrap()
        };
        let timeout = at(0).unwrap_err();
        assert_eq!(
            crate::effect::error::classify_effect_error(&timeout),
            EffectErrorCategory::Timeout
        );
        assert!(EffectError::is_blocked(&at(1).unwrap_err()));
        assert!(at(2).unwrap_err().contains("cancelled"));
    }

    #[test]
    fn bad_scripts_are_refused_with_a_reason() {
        let effects = ledger();
        let refuse = |entry: &str| {
            EffectScript::parse(&[entry])
                .and_then(|s| s.check(&effects))
                .unwrap_err()
                .to_string()
        };
        assert!(refuse("Ledger.append").contains("expected `Effect.operation=Outcome"));
        assert!(refuse("append=Ok").contains("`Effect.operation`"));
        assert!(refuse("Ledger.append=Ok(3").contains("unclosed"));
        assert!(refuse("Ledger.append=Ok,,Err").contains("empty outcome"));
        assert!(refuse("Ledger.head=Ok").contains("performs no `Ledger.head`"));
        let just = refuse("Ledger.append=Just");
        assert!(
            just.contains("cannot return `Just`") && just.contains("Timeout"),
            "{just}"
        );
        assert!(refuse("Ledger.append=Timeout(3)").contains("cannot return `Timeout`"));
        assert!(refuse("Ledger.append=Ok(three)").contains("is not a nat"));
    }
}
