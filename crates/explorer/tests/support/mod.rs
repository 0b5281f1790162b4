//! What the explorer's end-to-end tests share: protocols compiled from
//! `.tell` text.

#![allow(dead_code, clippy::unwrap_used)]

use telltale_compiler::CodeImage;
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_theory::projection::project_all;

/// The one protocol of `source`, compiled with family size `N = n`.
pub fn image(source: &str, n: u64) -> CodeImage {
    let file = SourceFile::new("test.tell", source.to_string());
    let (module, diagnostics) = load(&file);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let protocol = lower_all(&module, &LowerOptions::with_params([("N", n)]))
        .unwrap()
        .remove(0);
    let locals: Vec<_> = project_all(&protocol.global).unwrap().into_iter().collect();
    CodeImage::build_with_effects(Some(&protocol.global), &locals, &protocol.effects).unwrap()
}

/// `examples/two_phase_commit.tell` with `n` participants.
pub fn two_phase_commit(n: u64) -> CodeImage {
    image(
        include_str!("../../../../examples/two_phase_commit.tell"),
        n,
    )
}
