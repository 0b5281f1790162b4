//! Feeds JSON to every importer of the Lean-bridge schema: payload sorts,
//! global and local types. Structured inputs nest up to millions deep.
//!
//! Run with `cargo fuzz run import_json` from `crates/lang/fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telltale_lang_fuzz::{DeepJson, Nested};
use telltale_types::json::{from_json, global_from_json, local_from_json};
use telltale_types::PayloadSort;

#[derive(arbitrary::Arbitrary, Debug)]
enum Input {
    Deep(DeepJson),
    Raw(Nested),
}

fuzz_target!(|input: Input| {
    let text = match &input {
        Input::Deep(deep) => deep.text(),
        Input::Raw(raw) => String::from_utf8_lossy(&raw.bytes()).into_owned(),
    };
    let _ = from_json::<PayloadSort>(&text);
    if let Ok(global) = global_from_json(&text) {
        let _ = global.to_string();
        let _ = global.content_id();
    }
    if let Ok(local) = local_from_json(&text) {
        let _ = local.to_string();
        let _ = local.content_id();
    }
});
