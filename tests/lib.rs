//! End-to-end tests of Telltale live in this package's test targets; the
//! library itself only carries the README so that its Rust example is
//! compiled and run.

/// The repository README, compiled here so its example stays true.
#[doc = include_str!("../README.md")]
pub mod readme {}

/// The host developer's guide to effects (`docs/effects.md`), compiled here
/// (this package reaches the language, theory and machine crates) so its
/// example stays true.
#[doc = include_str!("../docs/effects.md")]
pub mod effects_guide {}
