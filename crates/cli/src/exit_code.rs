//! The one exit-code table of `tell`, and the one place that maps an error
//! to its code (docs/cli.md, "Exit codes"):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (`subtype`: the verdict `subtype`) |
//! | 1 | the input was read but is wrong: diagnostics, no projection, a failed run, `fmt --check` found unformatted files (`subtype`: `not-subtype`) |
//! | 2 | bad usage, or an input that cannot be read: missing or unreadable file, not UTF-8, malformed JSON / DOT / notation / checkpoint |
//! | 3 | `subtype` only: the verdict `unknown` |
//!
//! `sim` keeps `sim-run`'s codes (its command, `telltale_simulator::cli`,
//! maps them): 0 every property held, 1 a scenario or protocol that cannot
//! be read or is malformed, 2 a property failed (or `--strict` and a
//! scheduled fault never fired).
//!
//! `tell explore` has its own table (`commands/explore.rs`): 0 holds, 1 bad
//! input or usage, 2 a counterexample, 3 incomplete.

use crate::protocol_file::Reported;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Exit code 1: the input was read but is wrong.
pub const REJECTED: u8 = 1;
/// Exit code 2: bad usage, or an input that cannot be read.
pub const BAD_INPUT: u8 = 2;

/// An input file `tell` cannot read as text (exit code 2).
#[derive(Debug, Error)]
pub enum UnreadableInput {
    /// The file is missing or cannot be opened or read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The file's bytes are not UTF-8 text.
    #[error("`{}` is not UTF-8: invalid byte at offset {offset}", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The byte offset of the first byte that is not valid UTF-8.
        offset: usize,
    },
}

impl UnreadableInput {
    /// Reads a whole file as UTF-8 text.
    pub fn read(path: &Path) -> Result<String, UnreadableInput> {
        let bytes = std::fs::read(path).map_err(|source| UnreadableInput::Io {
            path: path.to_path_buf(),
            source,
        })?;
        String::from_utf8(bytes).map_err(|e| UnreadableInput::NotUtf8 {
            path: path.to_path_buf(),
            offset: e.utf8_error().valid_up_to(),
        })
    }
}

/// A protocol (or type) that was read but is wrong, such as one without a
/// projection or one that does not compile (exit code 1).
#[derive(Debug, Error)]
#[error(transparent)]
pub struct Rejected(Box<dyn std::error::Error + Send + Sync>);

impl Rejected {
    /// Marks `error` as a fault of the input rather than of its reading.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Rejected {
        Rejected(Box::new(error))
    }
}

/// The exit code of a failed command: 1 when the input is wrong
/// ([`Reported`] diagnostics or a [`Rejected`] input anywhere in the
/// chain), 2 for everything else (usage, unreadable input).
pub fn code_of(err: &anyhow::Error) -> u8 {
    let rejected = err
        .chain()
        .any(|cause| cause.is::<Reported>() || cause.is::<Rejected>());
    if rejected {
        REJECTED
    } else {
        BAD_INPUT
    }
}

/// Prints a failed command's error (diagnostics are already on stderr, so
/// only their count) and returns its exit code.
pub fn report(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<Reported>().is_some() {
        eprintln!("error: {err}");
    } else {
        eprintln!("error: {err:#}");
    }
    code_of(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_is_the_first_bad_byte() {
        let path = std::env::temp_dir().join(format!("tell-utf8-{}.tell", std::process::id()));
        // "é" is two valid bytes; the lone continuation byte at 3 is not.
        std::fs::write(&path, b"\xc3\xa9a\x80b").unwrap();
        let err = UnreadableInput::read(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(
            matches!(err, UnreadableInput::NotUtf8 { offset: 3, .. }),
            "{err}"
        );
        assert!(err
            .to_string()
            .ends_with("is not UTF-8: invalid byte at offset 3"));
    }

    #[test]
    fn wrong_inputs_exit_1_and_everything_else_2() {
        let reported = anyhow::Error::new(Reported {
            count: 1,
            file: "f.tell".into(),
        });
        assert_eq!(code_of(&reported), REJECTED);
        let rejected =
            anyhow::Error::new(Rejected::new(std::fmt::Error)).context("projection failed");
        assert_eq!(code_of(&rejected), REJECTED);
        assert_eq!(code_of(&anyhow::anyhow!("no role `X`")), BAD_INPUT);
        let missing = UnreadableInput::read(Path::new("/no/such/file.tell")).unwrap_err();
        assert_eq!(code_of(&missing.into()), BAD_INPUT);
    }
}
