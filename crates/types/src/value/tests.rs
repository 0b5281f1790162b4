use super::*;
use crate::PayloadSort;
use proptest::prelude::*;

fn nest(depth: u32) -> Value {
    (0..depth).fold(Value::Unit, |inner, _| Value::product([inner]))
}

#[test]
fn values_stay_small() {
    assert!(std::mem::size_of::<Value>() <= 24);
}

#[test]
fn numbers_conform_by_their_value_and_shapes_by_their_sort() {
    let record = PayloadSort::Record(vec![("qty".into(), PayloadSort::Nat)]);
    let pair = PayloadSort::Product(vec![PayloadSort::Bool, PayloadSort::Real]);
    let cases = [
        (Value::Unit, PayloadSort::Unit, true),
        (Value::Nat(3), PayloadSort::Nat, true),
        (Value::Nat(3), PayloadSort::Int, true),
        (Value::Nat(u64::MAX), PayloadSort::Int, false),
        (Value::Int(-3), PayloadSort::Int, true),
        (Value::Int(3), PayloadSort::Nat, true),
        (Value::Int(-1), PayloadSort::Nat, false),
        (Value::Nat(1), PayloadSort::Real, false),
        (Value::Real(1.0), PayloadSort::Int, false),
        (Value::string("x"), PayloadSort::Bytes, false),
        (
            Value::bytes(vec![1]),
            PayloadSort::Named("a.B".into()),
            true,
        ),
        (
            Value::Endpoint(Endpoint {
                session: 1,
                role: 0,
            }),
            PayloadSort::Named("a.B".into()),
            true,
        ),
        (
            Value::Endpoint(Endpoint {
                session: 1,
                role: 0,
            }),
            PayloadSort::Nat,
            false,
        ),
        (
            Value::product([Value::Bool(true), Value::Real(1.5)]),
            pair.clone(),
            true,
        ),
        (Value::product([Value::Bool(true)]), pair.clone(), false),
        (
            Value::product([Value::Bool(true), Value::Int(1)]),
            pair,
            false,
        ),
        (
            Value::record([("qty", Value::Nat(2))]),
            record.clone(),
            true,
        ),
        (
            Value::record([("qty", Value::Int(-2))]),
            record.clone(),
            false,
        ),
        (
            Value::record([("amount", Value::Nat(2))]),
            record.clone(),
            false,
        ),
        (Value::product([Value::Nat(2)]), record, false),
    ];
    for (value, sort, expected) in cases {
        assert_eq!(value.conforms_to(&sort), expected, "{value} : {sort}");
    }
}

#[test]
fn shallow_checks_look_at_the_top_level_only() {
    let pair = PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Bool]);
    let wrong_inside = Value::product([Value::Int(1), Value::Int(2)]);
    assert!(wrong_inside
        .check_against(&pair, CheckDepth::Shallow)
        .is_ok());
    let err = wrong_inside
        .check_against(&pair, CheckDepth::Deep)
        .unwrap_err();
    assert_eq!(err.to_string(), "component 1: expected bool, got int");
    let short = Value::product([Value::Int(1)]);
    let err = short.check_against(&pair, CheckDepth::Shallow).unwrap_err();
    assert_eq!(err.to_string(), "expected 2 components, got 1");
    let record = PayloadSort::Record(vec![("qty".into(), PayloadSort::Nat)]);
    let err = Value::record([("amount", Value::Nat(1))])
        .check_against(&record, CheckDepth::Shallow)
        .unwrap_err();
    assert_eq!(err.to_string(), "expected field `qty`, got field `amount`");
}

#[test]
fn values_render_one_way() {
    let cases = [
        (Value::Unit, "()"),
        (Value::Int(-3), "-3"),
        (Value::Nat(3), "3"),
        (Value::Real(1.0), "1.0"),
        (Value::Real(1.5), "1.5"),
        (Value::string("hi"), "\"hi\""),
        (Value::bytes(vec![1, 2, 3]), "<3 bytes>"),
        (
            Value::product([Value::Bool(true), Value::Nat(2)]),
            "(true, 2)",
        ),
        (
            Value::record([("qty", Value::Nat(2)), ("ok", Value::Bool(false))]),
            "{ qty: 2, ok: false }",
        ),
        (Value::record(Vec::<(String, Value)>::new()), "{}"),
        (
            Value::Endpoint(Endpoint {
                session: 4,
                role: 1,
            }),
            "endpoint(s4, r1)",
        ),
    ];
    for (value, text) in cases {
        assert_eq!(value.to_string(), text);
    }
    assert_eq!(
        format!("{:?}", Value::product([Value::Nat(1)])),
        "Product([Nat(1)])"
    );
}

#[test]
fn encoded_lengths_count_every_component() {
    assert_eq!(Value::Unit.encoded_len(), 1);
    assert_eq!(Value::string("hi").encoded_len(), 11);
    assert_eq!(
        Value::product([Value::Bool(true), Value::Nat(2)]).encoded_len(),
        1 + 8 + 2 + 9
    );
    assert_eq!(
        Value::record([("ab", Value::Unit)]).encoded_len(),
        1 + 8 + (8 + 2) + 1
    );
    let nested = Value::product([
        Value::record([("ab", Value::product([Value::Nat(1)]))]),
        Value::Unit,
    ]);
    assert_eq!(nested.encoded_len(), 9 + (9 + 10 + (9 + 9)) + 1);
}

#[test]
fn deep_values_built_through_the_api_are_safe_everywhere() {
    let deep = nest(200_000);
    let copy = deep.clone();
    assert_eq!(deep, copy);
    assert_ne!(deep, nest(199_999));
    assert!(deep.conforms_to(&PayloadSort::Named("x.Y".into())));
    assert!(!deep.conforms_to(&PayloadSort::Int));
    assert_eq!(deep.to_string().len(), 400_002);
    assert!(format!("{deep:?}").starts_with("Product([Product(["));
    assert!(deep.encoded_len() > 1_800_000);
    drop(copy);
    drop(deep);
}

#[test]
fn deep_values_are_refused_by_readers_and_writers_with_the_limit_named() {
    let ok = postcard::to_allocvec(&nest(MAX_VALUE_DEPTH - 1)).unwrap();
    assert!(guard_depth(|| postcard::from_bytes::<Value>(&ok)).is_ok());

    // A forged encoding: 60,000 one-item tuples around a unit (tag 7, length 1).
    let mut forged = [7u8, 1].repeat(60_000);
    forged.push(0);
    let err = guard_depth(|| postcard::from_bytes::<Value>(&forged)).unwrap_err();
    assert_eq!(
        err,
        DepthGuarded::TooDeep(ValueTooDeep {
            limit: MAX_VALUE_DEPTH
        })
    );
    assert!(err.to_string().contains("deeper than 64 levels"), "{err}");

    let err = guard_depth(|| postcard::to_allocvec(&nest(MAX_VALUE_DEPTH + 1))).unwrap_err();
    assert!(matches!(err, DepthGuarded::TooDeep(_)), "{err}");
    // Unguarded writes (digests) encode any depth without overflowing.
    let digest_input = postcard::to_allocvec(&nest(200_000)).unwrap();
    assert_eq!(digest_input.len(), 400_001);

    let json = serde_json::to_string(&nest(10)).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), nest(10));
    // Other failures stay other failures, and the guard unwinds.
    assert!(matches!(
        guard_depth(|| postcard::from_bytes::<Value>(&[200])),
        Err(DepthGuarded::Other(_))
    ));
    assert!(guard_depth(|| postcard::from_bytes::<Value>(&ok)).is_ok());
}

#[test]
fn typed_values_round_trip_through_bytes() {
    let original = (7u32, String::from("seven"));
    let value = Value::encode(&original).unwrap();
    assert_eq!(value.decode::<(u32, String)>().unwrap(), original);
    let err = Value::Int(1).decode::<u32>().unwrap_err();
    assert!(
        err.message.contains("expected bytes, got a int value"),
        "{err}"
    );
}

fn sort_strategy() -> impl Strategy<Value = PayloadSort> {
    let leaf = prop_oneof![
        Just(PayloadSort::Unit),
        Just(PayloadSort::Bool),
        Just(PayloadSort::Nat),
        Just(PayloadSort::Int),
        Just(PayloadSort::Real),
        Just(PayloadSort::String),
        Just(PayloadSort::Bytes),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(PayloadSort::Product),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..3).prop_map(PayloadSort::Record),
        ]
    })
}

fn value_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Unit),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::Nat),
        any::<i64>().prop_map(Value::Int),
        // Quarters: exact in JSON too (serde_json does not round-trip every f64).
        any::<i32>().prop_map(|q| Value::Real(f64::from(q) / 4.0)),
        ".{0,6}".prop_map(Value::string),
        prop::collection::vec(any::<u8>(), 0..6).prop_map(Value::bytes),
        (any::<u64>(), any::<u16>())
            .prop_map(|(session, role)| Value::Endpoint(Endpoint { session, role })),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::product),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..4).prop_map(Value::record),
        ]
    })
}

proptest! {
    #[test]
    fn default_values_conform(sort in sort_strategy()) {
        prop_assert!(Value::default_for(&sort).conforms_to(&sort));
    }

    #[test]
    fn values_round_trip_through_postcard_and_json(value in value_strategy()) {
        let bytes = postcard::to_allocvec(&value).unwrap();
        prop_assert_eq!(&postcard::from_bytes::<Value>(&bytes).unwrap(), &value);
        let json = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Value>(&json).unwrap(), &value);
        prop_assert_eq!(&value.clone(), &value);
    }
}
