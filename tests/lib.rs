//! End-to-end tests of Telltale live in this package's test targets; the
//! library itself only locates the shared reference material, and carries
//! the README so that its Rust example is compiled and run.

/// The repository README, compiled here so its example stays true.
#[doc = include_str!("../README.md")]
pub mod readme {}

use std::path::PathBuf;

/// The shared reference directory (`../shared` beside the checkout), or the
/// one named by `TELLTALE_SHARED_DIR`; `None` when neither exists.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TELLTALE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    dir.is_dir().then_some(dir)
}

/// The shared directory, or a loud message: a failure under CI (where it
/// must exist), a warning elsewhere.
pub fn require_shared_dir(what: &str) -> Option<PathBuf> {
    let found = shared_dir();
    if found.is_none() {
        let message = format!("shared reference material not found: {what} was NOT checked");
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("WARNING: {message}");
    }
    found
}
