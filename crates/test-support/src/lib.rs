//! Test-only helpers shared by the test suites of the workspace.
//!
//! Some tests compare against reference material that is not part of the
//! repository: the Lean golden projections and the nuscr examples in
//! `../shared/` beside the checkout. A fresh clone has no such directory,
//! and its `cargo test --workspace` must still pass, while CI must never
//! pass with the comparison silently skipped. [`shared_path`] applies that
//! rule in one place: present → the path; absent without `CI` → `None` and
//! a loud warning (the test skips); absent with `CI` set → a panic.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variable that names the shared directory instead of
/// `../shared` beside the checkout (CI uses it to test the absent case).
pub const SHARED_DIR_VAR: &str = "TELLTALE_SHARED_DIR";

/// The shared directory's default place: `shared` beside the workspace root.
pub fn default_shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// What the rule decided for one piece of shared material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedLookup {
    /// The material is there.
    Found(PathBuf),
    /// The material is absent and `CI` is unset: the test skips, loudly.
    Skip(String),
    /// The material is absent and `CI` is set: the test must fail.
    Fail(String),
}

/// Applies the rule to `relative` inside the shared directory: the
/// override (from [`SHARED_DIR_VAR`]) or `default_dir`, and whether `CI`
/// is set. Pure apart from looking at the file system, so it is testable
/// without touching the process environment.
pub fn lookup(
    relative: &str,
    what: &str,
    dir_override: Option<OsString>,
    default_dir: &Path,
    ci: bool,
) -> SharedLookup {
    let root = dir_override.map_or_else(|| default_dir.to_path_buf(), PathBuf::from);
    let path = root.join(relative);
    if path.exists() {
        return SharedLookup::Found(path);
    }
    let message = format!(
        "shared reference material not found at {}: {what} NOT checked \
         (put the shared directory beside the checkout or set {SHARED_DIR_VAR})",
        path.display()
    );
    if ci {
        SharedLookup::Fail(message)
    } else {
        SharedLookup::Skip(message)
    }
}

/// The path of `relative` inside the shared directory, for a test that
/// checks `what` against it. `None` (after a loud warning on stderr) when it
/// is absent outside CI; panics with the reason when it is absent under CI.
pub fn shared_path(relative: &str, what: &str) -> Option<PathBuf> {
    let ci = std::env::var_os("CI").is_some();
    match lookup(
        relative,
        what,
        std::env::var_os(SHARED_DIR_VAR),
        &default_shared_dir(),
        ci,
    ) {
        SharedLookup::Found(path) => Some(path),
        SharedLookup::Skip(message) => {
            eprintln!("WARNING: {message}");
            None
        }
        SharedLookup::Fail(message) => panic!("{message} (CI is set, so this is a failure)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn present_material_is_found_with_or_without_ci() {
        for ci in [false, true] {
            assert_eq!(
                lookup("src", "sources", None, &here(), ci),
                SharedLookup::Found(here().join("src"))
            );
        }
    }

    #[test]
    fn absent_material_skips_outside_ci_and_fails_under_ci() {
        let missing = here().join("no-such-shared-dir");
        let skip = lookup("golden/lean", "golden files", None, &missing, false);
        let SharedLookup::Skip(message) = skip else {
            panic!("expected a skip, got {skip:?}");
        };
        assert!(message.contains("golden files NOT checked"), "{message}");
        assert!(message.contains(SHARED_DIR_VAR), "{message}");
        let fail = lookup("golden/lean", "golden files", None, &missing, true);
        assert!(matches!(fail, SharedLookup::Fail(_)), "{fail:?}");
    }

    #[test]
    fn the_override_replaces_the_default_directory() {
        let missing = here().join("no-such-shared-dir");
        assert_eq!(
            lookup(
                "src",
                "sources",
                Some(here().into_os_string()),
                &missing,
                true
            ),
            SharedLookup::Found(here().join("src"))
        );
        let absent = lookup(
            "src",
            "sources",
            Some(missing.into_os_string()),
            &here(),
            false,
        );
        assert!(matches!(absent, SharedLookup::Skip(_)), "{absent:?}");
    }

    #[test]
    fn the_default_directory_is_beside_the_workspace() {
        let root = here().join("../..");
        assert!(root.join("Cargo.toml").is_file());
        assert_eq!(default_shared_dir(), here().join("../../../shared"));
    }
}
