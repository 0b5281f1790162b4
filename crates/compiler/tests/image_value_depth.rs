//! Regression test: a code image whose constant is a tuple nested far
//! deeper than `MAX_VALUE_DEPTH` is one typed error, never a stack
//! overflow.
#![allow(clippy::unwrap_used)]

use telltale_compiler::{CodeImage, ImageError, Value};
use telltale_types::value::{ValueTooDeep, MAX_VALUE_DEPTH};
use telltale_types::{Label, LocalType, PayloadSort, Role};

fn image_with_marker_const() -> (CodeImage, Vec<u8>) {
    let n = Label::new("n", PayloadSort::Nat);
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send("B", n.clone(), LocalType::End),
        ),
        (Role::new("B"), LocalType::recv("A", n, LocalType::End)),
    ];
    let mut image = CodeImage::build(None, &locals).unwrap();
    let marker = vec![0xA5u8; 16];
    image.roles[0]
        .program
        .consts
        .push(Value::bytes(marker.clone()));
    let mut encoded = vec![6u8, 16];
    encoded.extend(marker);
    (image, encoded)
}

#[test]
fn an_image_with_a_constant_nested_60000_deep_is_one_typed_error() {
    let (image, marker) = image_with_marker_const();
    let bytes = image.to_bytes().unwrap();
    // The extra constant alone decodes, and is refused by validation.
    let plain = CodeImage::from_bytes(&bytes);
    assert!(
        matches!(plain, Err(ImageError::ProgramMismatch { .. })),
        "{plain:?}"
    );
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker.as_slice())
        .unwrap();
    let mut forged = bytes[..at].to_vec();
    forged.extend([7u8, 1].repeat(60_000));
    forged.push(0);
    forged.extend(&bytes[at + marker.len()..]);
    let too_deep = ImageError::ValueTooDeep(ValueTooDeep {
        limit: MAX_VALUE_DEPTH,
    });
    assert_eq!(CodeImage::from_bytes(&forged).unwrap_err(), too_deep);
}

#[test]
fn an_image_holding_a_too_deep_constant_refuses_to_encode() {
    let (mut image, _) = image_with_marker_const();
    let deep = (0..=MAX_VALUE_DEPTH).fold(Value::Unit, |inner, _| Value::product([inner]));
    image.roles[0].program.consts.push(deep);
    let too_deep = ImageError::ValueTooDeep(ValueTooDeep {
        limit: MAX_VALUE_DEPTH,
    });
    assert_eq!(image.to_bytes().unwrap_err(), too_deep);
    assert_eq!(image.to_json().unwrap_err(), too_deep);
}
