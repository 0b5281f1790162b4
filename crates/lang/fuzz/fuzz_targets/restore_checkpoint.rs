//! Feeds checkpoints to the machine's restore path, in the binary envelope
//! (raw bytes: the digest stops most of them early) and in the JSON form
//! (no digest, so crafted machine states, deep values included, reach the
//! decoder and `ProtocolMachine::restore`).
//!
//! Run with `cargo fuzz run restore_checkpoint` from `crates/lang/fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telltale_lang_fuzz::Nested;
use telltale_vm::{Checkpoint, ProtocolMachine};

#[derive(arbitrary::Arbitrary, Debug)]
enum Input {
    Binary(Nested),
    Json(Nested),
}

fuzz_target!(|input: Input| {
    let checkpoint = match input {
        Input::Binary(raw) => Checkpoint::from_bytes(&raw.bytes()),
        Input::Json(raw) => Checkpoint::from_json(&String::from_utf8_lossy(&raw.bytes())),
    };
    if let Ok(checkpoint) = checkpoint {
        let _ = ProtocolMachine::restore(&checkpoint);
    }
});
