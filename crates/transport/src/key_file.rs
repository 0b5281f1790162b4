//! Private key files: what `tell keygen` writes and `tell serve --key`
//! reads. One ed25519 key per role: its public half goes in the roster,
//! its private half stays in a file only its owner can read.
//!
//! The file is two lines: a comment, then the 32-byte secret as 64
//! hexadecimal digits.

use crate::hex;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The comment line a key file opens with.
const HEADER: &str = "# telltale ed25519 private key: keep it secret";

/// Why a key file could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Randomness for a new key was not available.
    #[error("no randomness for a new key: {0}")]
    NoRandomness(String),
    /// The file exists; keys are never overwritten.
    #[error("`{}` already exists: a key file is never overwritten (remove it first, or choose another name)", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be written.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be read.
    #[error("cannot read key file `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a key file.
    #[error("`{}` is not a telltale key file: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A key read from a file, with a warning when the file is readable by
/// others.
#[derive(Debug)]
pub struct LoadedKey {
    /// The private key.
    pub key: SigningKey,
    /// Set when others can read the file (it still loads).
    pub warning: Option<String>,
}

/// A fresh random key.
pub fn generate_key() -> Result<SigningKey, KeyFileError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| KeyFileError::NoRandomness(e.to_string()))?;
    Ok(SigningKey::from_bytes(&secret))
}

/// The public key as the roster writes it (64 hexadecimal digits).
pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// Writes `key` to a new file at `path`, readable by its owner only
/// (mode 0600 on Unix); an existing file is an error, never overwritten.
pub fn write_key_file(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => KeyFileError::Exists {
            path: path.to_path_buf(),
        },
        _ => KeyFileError::Write {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let text = format!("{HEADER}\n{}\n", hex::encode(&key.to_bytes()));
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| KeyFileError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Reads a key file; a file others can read loads with a warning.
pub fn read_key_file(path: &Path) -> Result<LoadedKey, KeyFileError> {
    let read = |source| KeyFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(read)?;
    let text = std::fs::read_to_string(path).map_err(read)?;
    let malformed = |reason: &str| KeyFileError::Malformed {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some(HEADER) {
        return Err(malformed(
            "it does not start with the key file comment (make one with `tell keygen --out FILE`)",
        ));
    }
    let secret = lines
        .next()
        .and_then(hex::decode::<32>)
        .ok_or_else(|| malformed("the second line is not 64 hexadecimal digits"))?;
    if lines.next().is_some() {
        return Err(malformed("it has more than the comment and the key"));
    }
    Ok(LoadedKey {
        key: SigningKey::from_bytes(&secret),
        warning: loose_permissions(&metadata).then(|| {
            format!(
                "key file `{}` can be read by other users; restrict it with `chmod 600 {}`",
                path.display(),
                path.display()
            )
        }),
    })
}

/// Whether users other than the owner may read the file.
#[cfg(unix)]
fn loose_permissions(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o044 != 0
}

/// Other platforms: not checked.
#[cfg(not(unix))]
fn loose_permissions(_: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_round_trips_is_private_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alice.key");
        let key = generate_key().unwrap();
        write_key_file(&path, &key).unwrap();
        let loaded = read_key_file(&path).unwrap();
        assert_eq!(loaded.key.to_bytes(), key.to_bytes());
        assert!(loaded.warning.is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = write_key_file(&path, &generate_key().unwrap()).unwrap_err();
        assert!(matches!(again, KeyFileError::Exists { .. }), "{again}");
        assert_eq!(read_key_file(&path).unwrap().key.to_bytes(), key.to_bytes());
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_loads_with_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bob.key");
        write_key_file(&path, &generate_key().unwrap()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warning = read_key_file(&path).unwrap().warning.unwrap();
        assert!(warning.contains("chmod 600"), "{warning}");
    }

    #[test]
    fn missing_and_malformed_files_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read_key_file(&dir.path().join("none.key")).unwrap_err();
        assert!(
            missing.to_string().starts_with("cannot read key file"),
            "{missing}"
        );
        let path = dir.path().join("bad.key");
        std::fs::write(&path, "hello\n").unwrap();
        let bad = read_key_file(&path).unwrap_err().to_string();
        assert!(bad.contains("tell keygen"), "{bad}");
        std::fs::write(&path, format!("{HEADER}\nxyz\n")).unwrap();
        let bad = read_key_file(&path).unwrap_err().to_string();
        assert!(bad.contains("64 hexadecimal digits"), "{bad}");
    }
}
