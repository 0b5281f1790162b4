//! Feeds code images to `CodeImage::from_bytes`: raw bytes, and a valid
//! image whose payload sort is replaced by a product or record nested as
//! deep as the fuzzer likes.
//!
//! Run with `cargo fuzz run load_image` from `crates/lang/fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telltale_compiler::CodeImage;
use telltale_lang_fuzz::Nested;
use telltale_types::{GlobalType, Label, LocalType, PayloadSort, Role};

#[derive(arbitrary::Arbitrary, Debug)]
enum Input {
    /// A ping-pong image with its `ping` payload sort replaced.
    DeepSort {
        /// Records (tag 9) instead of products (tag 8).
        record: bool,
        depth: u32,
        /// Bytes flipped after the splice: (offset, xor).
        damage: Vec<(u32, u8)>,
    },
    Raw(Nested),
}

/// The sort spliced out of the template image.
fn marker() -> PayloadSort {
    PayloadSort::Named("fuzz.marker".into())
}

/// A valid image whose only payload sort is [`marker`].
fn template() -> Option<Vec<u8>> {
    let ping = Label::new("ping", marker());
    let g = GlobalType::send("A", "B", ping.clone(), GlobalType::End);
    let a = LocalType::send("B", ping.clone(), LocalType::End);
    let b = LocalType::recv("A", ping, LocalType::End);
    CodeImage::build(Some(&g), &[(Role::new("A"), a), (Role::new("B"), b)])
        .ok()?
        .to_bytes()
        .ok()
}

fuzz_target!(|input: Input| {
    let bytes = match input {
        Input::DeepSort {
            record,
            depth,
            damage,
        } => {
            let (Some(template), Ok(needle)) = (template(), postcard::to_allocvec(&marker()))
            else {
                return;
            };
            // A product of one, or a record of one field named "f".
            let level: &[u8] = if record { &[9, 1, 1, b'f'] } else { &[8, 1] };
            let nested = Nested {
                prefix: Vec::new(),
                open: level.to_vec(),
                middle: vec![0],
                close: Vec::new(),
                suffix: Vec::new(),
                depth,
            }
            .bytes();
            let mut bytes = template;
            while let Some(at) = bytes
                .windows(needle.len())
                .position(|w| w == needle.as_slice())
            {
                bytes.splice(at..at + needle.len(), nested.iter().copied());
            }
            for (offset, xor) in damage {
                if let Some(byte) = bytes.get_mut(offset as usize) {
                    *byte ^= xor;
                }
            }
            bytes
        }
        Input::Raw(raw) => raw.bytes(),
    };
    if let Ok(image) = CodeImage::from_bytes(&bytes) {
        let _ = image.monitors();
    }
});
