//! The binary notation never panics, and prints every binary type so that it
//! parses back to the same type.
#![allow(clippy::unwrap_used)]

mod subtyping_support;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use subtyping_support::{local_type, Random};
use telltale_theory::{parse_local_notation, to_notation};

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,40}") {
        let _ = parse_local_notation(&text);
    }

    #[test]
    fn notation_like_text_never_panics(text in "[!?;,.()\\[\\]{}+&: a-dXrecnd]{0,40}") {
        if let Err(e) = parse_local_notation(&text) {
            // Every error names a position.
            prop_assert!(e.to_string().contains(':'));
        }
    }

    #[test]
    fn printed_types_parse_back(seed in any::<u64>()) {
        let t = local_type(&mut Random::new(seed), &["peer"], 5);
        let text = to_notation(&t);
        prop_assert_eq!(parse_local_notation(&text).unwrap(), t, "{}", text);
    }
}
