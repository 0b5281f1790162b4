//! Payload checks against label sorts and the size limit.

use crate::config::PayloadValidationMode;
use telltale_compiler::Value;
use telltale_types::PayloadSort;

/// Checks `value` against `sort` under `mode`; `Err` says what is wrong.
pub fn check_payload(
    value: &Value,
    sort: &PayloadSort,
    mode: PayloadValidationMode,
) -> Result<(), String> {
    match mode {
        PayloadValidationMode::Off => Ok(()),
        PayloadValidationMode::Structural => check_shape(value, sort, false),
        PayloadValidationMode::StrictSchema => check_shape(value, sort, true),
    }
}

fn check_shape(value: &Value, sort: &PayloadSort, deep: bool) -> Result<(), String> {
    let ok = match (sort, value) {
        (PayloadSort::Unit, Value::Unit)
        | (PayloadSort::Bool, Value::Bool(_))
        | (PayloadSort::Nat, Value::Nat(_))
        | (PayloadSort::Int, Value::Int(_))
        | (PayloadSort::Real, Value::Real(_))
        | (PayloadSort::String, Value::Str(_))
        | (PayloadSort::Bytes, Value::Bytes(_)) => true,
        // Naturals are accepted where integers are expected and vice versa
        // when the number fits, since hosts often use one integer type.
        (PayloadSort::Int, Value::Nat(n)) => i64::try_from(*n).is_ok(),
        (PayloadSort::Nat, Value::Int(i)) => *i >= 0,
        // Named sorts are host types the machine cannot inspect.
        (PayloadSort::Named(_), _) => true,
        (PayloadSort::Product(sorts), Value::Tuple(items)) => {
            return check_items(items, sorts.iter(), deep);
        }
        (PayloadSort::Record(fields), Value::Tuple(items)) => {
            return check_items(items, fields.iter().map(|(_, s)| s), deep);
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {sort}, got {}", value.kind_name()))
    }
}

fn check_items<'s>(
    items: &[Value],
    sorts: impl ExactSizeIterator<Item = &'s PayloadSort>,
    deep: bool,
) -> Result<(), String> {
    if items.len() != sorts.len() {
        return Err(format!(
            "expected {} components, got {}",
            sorts.len(),
            items.len()
        ));
    }
    if deep {
        for (i, (item, sort)) in items.iter().zip(sorts).enumerate() {
            check_shape(item, sort, true).map_err(|e| format!("component {i}: {e}"))?;
        }
    }
    Ok(())
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
        let pair = PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Bool]);
        check(
            Value::Tuple(Arc::from(vec![Value::Int(1), Value::Bool(true)])),
            pair.clone(),
            true,
            true,
        );
        check(
            Value::Tuple(Arc::from(vec![Value::Int(1), Value::Int(2)])),
            pair.clone(),
            true,
            false,
        );
        check(
            Value::Tuple(Arc::from(vec![Value::Int(1)])),
            pair,
            false,
            false,
        );
        check(Value::Unit, PayloadSort::Named("api.X".into()), true, true);
    }
}
