//! The committed generated files are what `tell scaffold` writes today;
//! the README of this crate says how to generate them again.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use telltale_effect_scaffold::{generate_file, Options};

#[test]
fn the_generated_files_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = Options {
        simulator: false,
        params: BTreeMap::from([("N".to_string(), 4), ("L".to_string(), 0)]),
        telltale_path: ".".to_string(),
    };
    let scaffold = generate_file(&root.join("../consensus.tell"), &options).unwrap();
    for path in [
        "src/generated_effects.rs",
        "effects_manifest.json",
        "images/ConsensusRound.json",
    ] {
        let fresh = &scaffold.file(path).unwrap().contents;
        let committed = std::fs::read_to_string(root.join(path)).unwrap();
        assert!(
            committed == *fresh,
            "{path} is stale: generate again (see this file's header)"
        );
    }
}
