//! Effect operations a protocol performs, carried beside its global type.
//!
//! `let x = check E.op(args) [at R]` followed by `case x of ...` lowers to
//! a plain choice of `R` in the global type (so the type, its content id
//! and its Lean-bridge JSON know nothing of effects). This table records
//! what the choice stands for, so the compiler can emit an `Invoke` of the
//! operation before `R`'s choice and the machine can check the outcome.
//!
//! An outcome is a machine [`Value`]: a one-field record whose field name is
//! the constructor, e.g. `Ok(v)` is `{Ok: v}` and `Nothing` is
//! `{Nothing: ()}` (see [`outcome`] and [`outcome_parts`]).

use crate::missable::MissableMessage;
use crate::{PayloadSort, Role, Value};
use serde::{Deserialize, Serialize};

/// An operation of a declared effect, as the performer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectOperation {
    /// The effect's name (`Ledger`).
    pub effect: String,
    /// The operation's name (`append`).
    pub name: String,
    /// The sort of its argument (`Unit` when it takes none).
    pub input: PayloadSort,
    /// The constructors it may return, with their payload sorts.
    pub outcomes: Vec<OutcomeDecl>,
}

/// One constructor an operation may return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeDecl {
    /// The constructor (`Ok`, `Err`, `Just`, `Nothing`, or a declared variant).
    pub constructor: String,
    /// The sort of its payload (`Unit` for a bare constructor).
    pub payload: PayloadSort,
}

/// A place where a protocol performs an operation: the `case` of a checked
/// binding, lowered to a choice of `performer` announced first to `partner`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectSite {
    /// Index of the operation in [`EffectTable::operations`].
    pub operation: u16,
    /// The role that performs the check.
    pub performer: Role,
    /// The role the performer first sends the chosen label to.
    pub partner: Role,
    /// The argument names written in the call (`entry`).
    pub arguments: Vec<String>,
    /// The `case` branches: outcome constructor (`_` for a wildcard) and
    /// the label of its branch in the global type.
    pub branches: Vec<(String, String)>,
    /// The names the `case` patterns bind (`Ok(receipt)`): constructor and
    /// name, so a later call in that branch can pass the payload.
    #[serde(default)]
    pub binders: Vec<(String, String)>,
}

impl EffectSite {
    /// Whether the `case` lists a `Timeout` branch (see [`TIMEOUT_OUTCOME`]).
    pub fn handles_timeout(&self) -> bool {
        self.branches.iter().any(|(c, _)| c == TIMEOUT_OUTCOME)
    }

    /// The label of the branch an outcome constructor selects.
    pub fn label_for(&self, constructor: &str) -> Option<&str> {
        self.branches
            .iter()
            .find(|(c, _)| c == constructor)
            .or_else(|| self.branches.iter().find(|(c, _)| c == "_"))
            .map(|(_, label)| label.as_str())
    }
}

/// Every operation a protocol performs and where, in source order: the
/// side table a protocol carries beside its global type (with the
/// messages a receiver may miss).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectTable {
    /// The operations; an operation's index is its stable id in an image.
    pub operations: Vec<EffectOperation>,
    /// The sites, in source order.
    pub sites: Vec<EffectSite>,
    /// The messages a receiver may miss once its session's deadline has
    /// passed (`or missed`), sorted (see [`crate::missable`]).
    /// (Always written: postcard images read fields in order.)
    #[serde(default)]
    pub missable: Vec<MissableMessage>,
}

impl EffectTable {
    /// Whether the protocol performs no effect.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// The id of an operation, adding it when new.
    pub fn intern(&mut self, operation: EffectOperation) -> u16 {
        if let Some(i) = self.operations.iter().position(|o| *o == operation) {
            return u16::try_from(i).unwrap_or(u16::MAX);
        }
        self.operations.push(operation);
        u16::try_from(self.operations.len() - 1).unwrap_or(u16::MAX)
    }

    /// Whether `label` messages from `from` to `to` may be missed.
    pub fn is_missable(&self, from: &str, to: &str, label: &str) -> bool {
        self.missable
            .iter()
            .any(|m| m.from.as_str() == from && m.to.as_str() == to && m.label == label)
    }

    /// The operation a site performs.
    pub fn operation_of(&self, site: &EffectSite) -> Option<&EffectOperation> {
        self.operations.get(usize::from(site.operation))
    }
}

/// The constructor every operation may end with besides its declared ones:
/// the host gave up (its `step` answered a `timeout`-category error, e.g. a
/// deadline or a cancellation). A `case` that lists `| Timeout => ...` takes
/// that branch; without one, the performer faults as for any error.
pub const TIMEOUT_OUTCOME: &str = "Timeout";

/// The outcome value `constructor(payload)`: a one-field record.
pub fn outcome(constructor: &str, payload: Value) -> Value {
    Value::record([(constructor.to_string(), payload)])
}

/// The constructor and payload of an outcome value, if it is one.
pub fn outcome_parts(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::Record(fields) => match &fields[..] {
            [(constructor, payload)] => Some((constructor.as_str(), payload)),
            _ => None,
        },
        _ => None,
    }
}

/// An outcome as people write it: `Ok(3)`, `Nothing` (other values as
/// they display).
pub fn outcome_text(value: &Value) -> String {
    match outcome_parts(value) {
        Some((constructor, Value::Unit)) => constructor.to_string(),
        Some((constructor, payload)) => format!("{constructor}({payload})"),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_and_reject_other_values() {
        let v = outcome("Ok", Value::Nat(3));
        assert_eq!(outcome_parts(&v), Some(("Ok", &Value::Nat(3))));
        assert_eq!(outcome_parts(&Value::Nat(3)), None);
        assert_eq!(outcome_text(&v), "Ok(3)");
        assert_eq!(outcome_text(&outcome("Nothing", Value::Unit)), "Nothing");
        assert_eq!(
            outcome_parts(&Value::record(Vec::<(String, Value)>::new())),
            None
        );
    }

    #[test]
    fn a_wildcard_branch_takes_unlisted_constructors() {
        let site = EffectSite {
            operation: 0,
            performer: Role::new("B"),
            partner: Role::new("C"),
            arguments: vec![],
            branches: vec![("Ok".into(), "Ok".into()), ("_".into(), "Otherwise".into())],
            binders: vec![],
        };
        assert_eq!(site.label_for("Ok"), Some("Ok"));
        assert_eq!(site.label_for("Err"), Some("Otherwise"));
    }
}
