//! Payload checks against label sorts and the size limit.

use crate::config::PayloadValidationMode;
use telltale_compiler::Value;
use telltale_types::value::CheckDepth;
use telltale_types::PayloadSort;

/// Checks `value` against `sort` under `mode` with the one conformance
/// rule of `telltale_types::value` (structural: the top level and the
/// component count; strict: every component); `Err` says what is wrong.
pub fn check_payload(
    value: &Value,
    sort: &PayloadSort,
    mode: PayloadValidationMode,
) -> Result<(), String> {
    match mode {
        PayloadValidationMode::Off => Ok(()),
        PayloadValidationMode::Structural => value.check_against(sort, CheckDepth::Shallow),
        PayloadValidationMode::StrictSchema => value.check_against(sort, CheckDepth::Deep),
    }
    .map_err(|mismatch| mismatch.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn check(value: Value, sort: PayloadSort, structural: bool, strict: bool) {
        assert_eq!(
            check_payload(&value, &sort, PayloadValidationMode::Structural).is_ok(),
            structural,
            "structural {value} : {sort}"
        );
        assert_eq!(
            check_payload(&value, &sort, PayloadValidationMode::StrictSchema).is_ok(),
            strict,
            "strict {value} : {sort}"
        );
        assert!(check_payload(&value, &sort, PayloadValidationMode::Off).is_ok());
    }

    #[test]
    fn payloads_are_checked_by_mode() {
        check(Value::Int(1), PayloadSort::Int, true, true);
        check(Value::Bool(true), PayloadSort::Int, false, false);
        check(Value::Nat(3), PayloadSort::Int, true, true);
        check(Value::Int(-1), PayloadSort::Nat, false, false);
        check(Value::Int(1), PayloadSort::Nat, true, true);
        check(Value::Nat(u64::MAX), PayloadSort::Int, false, false);
        let pair = PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Bool]);
        check(
            Value::Product(Arc::from(vec![Value::Int(1), Value::Bool(true)])),
            pair.clone(),
            true,
            true,
        );
        check(
            Value::Product(Arc::from(vec![Value::Int(1), Value::Int(2)])),
            pair.clone(),
            true,
            false,
        );
        check(
            Value::Product(Arc::from(vec![Value::Int(1)])),
            pair,
            false,
            false,
        );
        check(Value::Unit, PayloadSort::Named("api.X".into()), true, true);
        let record = PayloadSort::Record(vec![("qty".into(), PayloadSort::Nat)]);
        check(
            Value::record([("qty", Value::Int(-1))]),
            record.clone(),
            true,
            false,
        );
        check(Value::product([Value::Nat(1)]), record, false, false);
    }
}
