//! Checkpoint and restore: the whole machine state in a versioned,
//! digest-protected envelope.
//!
//! Byte layout (all integers little endian):
//!
//! | bytes    | content                                           |
//! |----------|---------------------------------------------------|
//! | 0..4     | magic `TTCK`                                      |
//! | 4..8     | format version (`u32`, [`CHECKPOINT_FORMAT_VERSION`]) |
//! | 8..16    | body length (`u64`)                               |
//! | 16..48   | SHA-256 of the body                               |
//! | 48..     | body: postcard of (crate version, host state, machine) |
//!
//! The machine is the postcard encoding of [`ProtocolMachine`] itself (its
//! `Serialize` derive), so every field is saved except the tables derived
//! from the image and configuration, which restore rebuilds. The effect
//! handler is not part of a checkpoint: a restored machine continues the
//! uninterrupted run only with a handler in the same state (see
//! `docs/machine.md`); hosts may carry a handler's state in the opaque
//! [`Checkpoint::host_state`].

use crate::machine::ProtocolMachine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use telltale_types::value::{guard_depth, DepthGuarded, ValueTooDeep};
use thiserror::Error;

mod check;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod value_depth_tests;

/// The magic bytes that start every checkpoint.
pub const CHECKPOINT_MAGIC: [u8; 4] = *b"TTCK";
/// The envelope and body format this build writes and reads.
pub const CHECKPOINT_FORMAT_VERSION: u32 = 4;
/// The crate version a checkpoint records (and must match on restore).
pub const CHECKPOINT_CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Length of the fixed header: magic, version, body length, digest.
const HEADER_LEN: usize = 4 + 4 + 8 + 32;

/// Why a checkpoint was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    /// The bytes do not start with [`CHECKPOINT_MAGIC`].
    #[error("not a checkpoint: bad magic bytes")]
    BadMagic,
    /// A format version this build does not read.
    #[error(
        "unsupported checkpoint format version {found} (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// The version in the checkpoint.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// Written by another version of the machine crate.
    #[error("checkpoint written by telltale-vm {found}, this is telltale-vm {expected}")]
    CrateVersionMismatch {
        /// The version in the checkpoint.
        found: String,
        /// This crate's version.
        expected: String,
    },
    /// Fewer bytes than the header announces.
    #[error("truncated checkpoint: {found} bytes, expected {expected}")]
    Truncated {
        /// Bytes present.
        found: usize,
        /// Bytes the header announces (or the header length).
        expected: usize,
    },
    /// The body does not hash to the recorded digest.
    #[error("checkpoint digest mismatch: the body is corrupted")]
    DigestMismatch,
    /// The body (or JSON text) does not decode.
    #[error("cannot decode checkpoint: {0}")]
    Decode(String),
    /// The machine state could not be encoded.
    #[error("cannot encode checkpoint: {0}")]
    Encode(String),
    /// A value in the state is nested deeper than the value depth limit
    /// (a crafted checkpoint, or a value too deep to save).
    #[error("checkpoint refused: {0}")]
    ValueTooDeep(ValueTooDeep),
    /// The decoded state is not one a machine can be in.
    #[error("invalid checkpoint state: {0}")]
    InvalidState(String),
    /// A shard of a runner checkpoint was refused.
    #[error("shard {shard}: {source}")]
    Shard {
        /// The shard index.
        shard: usize,
        /// Why the shard was refused.
        #[source]
        source: Box<CheckpointError>,
    },
}

/// A checkpoint of a [`ProtocolMachine`], with optional host state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub(crate) crate_version: String,
    pub(crate) host_state: Vec<u8>,
    pub(crate) machine: Vec<u8>,
}

/// The digest-protected body.
#[derive(Serialize, Deserialize)]
struct Body {
    crate_version: String,
    host_state: Vec<u8>,
    machine: Vec<u8>,
}

/// The JSON form, for inspection (the machine decoded, not as bytes).
#[derive(Serialize, Deserialize)]
struct JsonForm<M> {
    format_version: u32,
    crate_version: String,
    host_state: Vec<u8>,
    machine: M,
}

impl Checkpoint {
    /// The crate version that wrote the checkpoint.
    pub fn crate_version(&self) -> &str {
        &self.crate_version
    }

    /// The host's opaque state (empty unless set).
    pub fn host_state(&self) -> &[u8] {
        &self.host_state
    }

    /// The checkpoint with `state` as host state (e.g. a handler's state).
    pub fn with_host_state(mut self, state: Vec<u8>) -> Self {
        self.host_state = state;
        self
    }

    /// The encoded envelope (see the module docs for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = Body {
            crate_version: self.crate_version.clone(),
            host_state: self.host_state.clone(),
            machine: self.machine.clone(),
        };
        // Strings and byte vectors always encode.
        let body = postcard::to_allocvec(&body).unwrap_or_default();
        encode_envelope(CHECKPOINT_MAGIC, CHECKPOINT_FORMAT_VERSION, &body)
    }

    /// Decodes an envelope: checks magic, format version, length, digest,
    /// then the body and the crate version. The machine itself is decoded
    /// and checked by [`ProtocolMachine::restore`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let body = decode_envelope(CHECKPOINT_MAGIC, CHECKPOINT_FORMAT_VERSION, bytes)?;
        let (decoded, rest): (Body, &[u8]) = postcard::take_from_bytes(body)
            .map_err(|e| CheckpointError::Decode(format!("checkpoint body: {e}")))?;
        if !rest.is_empty() {
            return Err(CheckpointError::Decode(format!(
                "{} bytes after the checkpoint body",
                rest.len()
            )));
        }
        check_crate_version(&decoded.crate_version)?;
        Ok(Checkpoint {
            crate_version: decoded.crate_version,
            host_state: decoded.host_state,
            machine: decoded.machine,
        })
    }

    /// The checkpoint as pretty JSON, with the machine state decoded, for
    /// inspection. [`Checkpoint::from_json`] reads it back.
    pub fn to_json(&self) -> Result<String, CheckpointError> {
        let machine: ProtocolMachine = decode_machine(&self.machine)?;
        let form = JsonForm {
            format_version: CHECKPOINT_FORMAT_VERSION,
            crate_version: self.crate_version.clone(),
            host_state: self.host_state.clone(),
            machine,
        };
        guard_depth(|| serde_json::to_string_pretty(&form))
            .map_err(codec_error(CheckpointError::Encode))
    }

    /// Reads the JSON form back (same version checks as the binary form;
    /// no digest: JSON is for inspection and hand edits).
    pub fn from_json(text: &str) -> Result<Self, CheckpointError> {
        let form: JsonForm<ProtocolMachine> = guard_depth(|| serde_json::from_str(text))
            .map_err(codec_error(CheckpointError::Decode))?;
        if form.format_version != CHECKPOINT_FORMAT_VERSION {
            return Err(CheckpointError::UnsupportedVersion {
                found: form.format_version,
                supported: CHECKPOINT_FORMAT_VERSION,
            });
        }
        check_crate_version(&form.crate_version)?;
        let machine = guard_depth(|| postcard::to_allocvec(&form.machine))
            .map_err(codec_error(CheckpointError::Encode))?;
        Ok(Checkpoint {
            crate_version: form.crate_version,
            host_state: form.host_state,
            machine,
        })
    }
}

/// Encodes an envelope: `magic`, `format_version`, body length, SHA-256
/// of the body, body (shared by machine and runner checkpoints).
pub(crate) fn encode_envelope(magic: [u8; 4], format_version: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&format_version.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(body));
    out.extend_from_slice(body);
    out
}

/// Checks an envelope (magic, format version, length, digest, in that
/// order) and returns its body.
pub(crate) fn decode_envelope(
    magic: [u8; 4],
    format_version: u32,
    bytes: &[u8],
) -> Result<&[u8], CheckpointError> {
    if bytes.len() < magic.len() {
        return Err(if magic.starts_with(bytes) {
            truncated(bytes.len(), HEADER_LEN)
        } else {
            CheckpointError::BadMagic
        });
    }
    if bytes[..4] != magic {
        return Err(CheckpointError::BadMagic);
    }
    let Some(version) = bytes.get(4..8) else {
        return Err(truncated(bytes.len(), HEADER_LEN));
    };
    let version = u32::from_le_bytes([version[0], version[1], version[2], version[3]]);
    if version != format_version {
        return Err(CheckpointError::UnsupportedVersion {
            found: version,
            supported: format_version,
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(truncated(bytes.len(), HEADER_LEN));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[8..16]);
    let body = &bytes[HEADER_LEN..];
    let expected = u64::from_le_bytes(len);
    if (body.len() as u64) < expected {
        let expected = usize::try_from(expected)
            .ok()
            .and_then(|n| n.checked_add(HEADER_LEN))
            .unwrap_or(usize::MAX);
        return Err(truncated(bytes.len(), expected));
    }
    if body.len() as u64 > expected {
        return Err(CheckpointError::Decode(format!(
            "{} bytes after the announced body",
            body.len() as u64 - expected
        )));
    }
    if Sha256::digest(body).as_slice() != &bytes[16..HEADER_LEN] {
        return Err(CheckpointError::DigestMismatch);
    }
    Ok(body)
}

fn truncated(found: usize, expected: usize) -> CheckpointError {
    CheckpointError::Truncated { found, expected }
}

pub(crate) fn check_crate_version(found: &str) -> Result<(), CheckpointError> {
    if found != CHECKPOINT_CRATE_VERSION {
        return Err(CheckpointError::CrateVersionMismatch {
            found: found.to_string(),
            expected: CHECKPOINT_CRATE_VERSION.to_string(),
        });
    }
    Ok(())
}

/// Maps a guarded codec failure: a too-deep value keeps its own variant,
/// any other failure (a too-deep sort included) becomes `wrap` of its text.
fn codec_error<E: std::fmt::Display>(
    wrap: fn(String) -> CheckpointError,
) -> impl Fn(DepthGuarded<E>) -> CheckpointError {
    move |e| match e {
        DepthGuarded::TooDeep(e) => CheckpointError::ValueTooDeep(e),
        other @ DepthGuarded::SortTooDeep { .. } => wrap(other.to_string()),
        DepthGuarded::Other(e) => wrap(e.to_string()),
    }
}

fn decode_machine(bytes: &[u8]) -> Result<ProtocolMachine, CheckpointError> {
    let (machine, rest): (ProtocolMachine, &[u8]) =
        guard_depth(|| postcard::take_from_bytes(bytes)).map_err(codec_error(|e| {
            CheckpointError::Decode(format!("machine state: {e}"))
        }))?;
    if !rest.is_empty() {
        return Err(CheckpointError::Decode(format!(
            "{} bytes after the machine state",
            rest.len()
        )));
    }
    Ok(machine)
}

impl ProtocolMachine {
    /// A checkpoint of the whole machine state (with no host state).
    pub fn checkpoint(&self) -> Result<Checkpoint, CheckpointError> {
        let machine = guard_depth(|| postcard::to_allocvec(self))
            .map_err(codec_error(CheckpointError::Encode))?;
        Ok(Checkpoint {
            crate_version: CHECKPOINT_CRATE_VERSION.to_string(),
            host_state: Vec::new(),
            machine,
        })
    }

    /// Rebuilds a machine from a checkpoint: decodes the state, validates
    /// the image's structure and the configuration, rebuilds the derived
    /// tables and indices and the signing keys, and checks that every
    /// internal index is in range, so that a digest-valid but crafted
    /// checkpoint is refused rather than making the machine panic later.
    pub fn restore(checkpoint: &Checkpoint) -> Result<ProtocolMachine, CheckpointError> {
        check_crate_version(&checkpoint.crate_version)?;
        let mut machine = decode_machine(&checkpoint.machine)?;
        machine.finish_restore()?;
        Ok(machine)
    }
}
