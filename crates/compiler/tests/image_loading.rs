//! Loading mutated image bytes never panics: it loads or returns a typed error.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use telltale_compiler::{CodeImage, ImageError};
use telltale_types::{GlobalType, Label, LocalType, PayloadSort, Role};

fn sample_image() -> CodeImage {
    let g = GlobalType::rec(
        "t",
        GlobalType::choice(
            "A",
            "B",
            [
                (
                    Label::new("ping", PayloadSort::Int),
                    GlobalType::send("B", "A", Label::unit("pong"), GlobalType::var("t")),
                ),
                (Label::unit("stop"), GlobalType::End),
            ],
        ),
    );
    let a = LocalType::rec(
        "t",
        LocalType::select(
            "B",
            [
                (
                    Label::new("ping", PayloadSort::Int),
                    LocalType::recv("B", Label::unit("pong"), LocalType::var("t")),
                ),
                (Label::unit("stop"), LocalType::End),
            ],
        ),
    );
    let b = LocalType::rec(
        "t",
        LocalType::branch(
            "A",
            [
                (
                    Label::new("ping", PayloadSort::Int),
                    LocalType::send("A", Label::unit("pong"), LocalType::var("t")),
                ),
                (Label::unit("stop"), LocalType::End),
            ],
        ),
    );
    CodeImage::build(Some(&g), &[(Role::new("A"), a), (Role::new("B"), b)]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_bytes_never_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = sample_image().to_bytes().unwrap();
        for (at, byte) in edits {
            let i = at % bytes.len();
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        match CodeImage::from_bytes(&bytes) {
            Ok(image) => prop_assert!(image.validate().is_ok()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn mutated_json_never_panics(at in any::<usize>(), byte in 32u8..127) {
        let mut text = sample_image().to_json().unwrap().into_bytes();
        let i = at % text.len();
        text[i] = byte;
        if let Ok(text) = String::from_utf8(text) {
            let _ = CodeImage::from_json(&text);
        }
    }
}

#[test]
fn garbage_is_a_decode_error() {
    assert!(matches!(
        CodeImage::from_bytes(&[0xff; 3]),
        Err(ImageError::Decode(_))
    ));
    assert!(matches!(
        CodeImage::from_json("{"),
        Err(ImageError::Decode(_))
    ));
}

#[test]
fn images_name_their_format_and_other_formats_are_refused_by_name() {
    let image = sample_image();
    assert_eq!(image.format, telltale_compiler::IMAGE_FORMAT_VERSION);
    let bytes = image.to_bytes().unwrap();
    assert_eq!(CodeImage::from_bytes(&bytes).unwrap(), image);
    let json = image.to_json().unwrap();
    assert!(json.contains("\"format\": 2"), "{json}");

    // An image of the unversioned format 1 opens with its `global` option.
    let mut v1 = image.to_bytes().unwrap();
    v1.remove(0);
    let refused = CodeImage::from_bytes(&v1).unwrap_err();
    assert_eq!(refused, ImageError::UnsupportedFormat { found: 1 });
    assert!(
        refused.to_string().contains("compile the protocol again"),
        "{refused}"
    );

    // A JSON image without `format` is format 1; a future format is named.
    let unversioned = json.replacen("\"format\": 2,", "", 1);
    assert_eq!(
        CodeImage::from_json(&unversioned).unwrap_err(),
        ImageError::UnsupportedFormat { found: 1 }
    );
    let future = json.replacen("\"format\": 2", "\"format\": 9", 1);
    assert_eq!(
        CodeImage::from_json(&future).unwrap_err(),
        ImageError::UnsupportedFormat { found: 9 }
    );
    let mut v9 = bytes.clone();
    v9[0] = 9;
    assert_eq!(
        CodeImage::from_bytes(&v9).unwrap_err(),
        ImageError::UnsupportedFormat { found: 9 }
    );
}
