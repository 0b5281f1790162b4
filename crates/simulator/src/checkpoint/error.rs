//! Why a simulator checkpoint cannot be written, read or resumed from.

use thiserror::Error;

/// A refused checkpoint: damaged bytes, another run's checkpoint, or a run
/// that no longer reaches the checkpoint's state.
#[derive(Debug, Error)]
pub enum CheckpointError {
    /// The file cannot be read.
    #[error("cannot read it: {0}")]
    Read(std::io::Error),
    /// The file (or its folder) cannot be written.
    #[error("cannot write it: {0}")]
    Write(std::io::Error),
    /// The bytes do not start with the simulator checkpoint's magic.
    #[error("not a simulator checkpoint: bad magic bytes (expected `TTSC`)")]
    BadMagic,
    /// A format version this build does not read.
    #[error(
        "unsupported simulator checkpoint format version {found} (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// Fewer bytes than the header announces.
    #[error("truncated checkpoint: {found} bytes, expected {expected}")]
    Truncated {
        /// Bytes present.
        found: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// More bytes than the header announces.
    #[error("{extra} unexpected bytes after the checkpoint's body")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The body does not hash to the digest in the header.
    #[error("checkpoint digest mismatch: the body is corrupted")]
    DigestMismatch,
    /// The body does not decode.
    #[error("cannot decode the checkpoint's body: {0}")]
    Decode(String),
    /// The state cannot be encoded.
    #[error("cannot encode the checkpoint: {0}")]
    Encode(String),
    /// Written by another version of the simulator.
    #[error("written by telltale-simulator {found}, this is telltale-simulator {expected}")]
    SimulatorVersion {
        /// The version in the checkpoint.
        found: String,
        /// This crate's version.
        expected: String,
    },
    /// A checkpoint of another scenario.
    #[error("it is a checkpoint of scenario `{found}`, not of `{expected}`")]
    OtherScenario {
        /// The scenario in the checkpoint.
        found: String,
        /// The scenario being run.
        expected: String,
    },
    /// The scenario's text changed since the checkpoint was written.
    #[error(
        "the scenario `{name}` changed since the checkpoint was written (scenario hash {found}, now {expected})"
    )]
    ScenarioChanged {
        /// The scenario's name.
        name: String,
        /// The hash in the checkpoint.
        found: String,
        /// The hash of the scenario being run.
        expected: String,
    },
    /// The compiled protocol differs (another protocol, other parameters).
    #[error(
        "it is a checkpoint of another protocol (protocol hash {found}, the scenario's is {expected})"
    )]
    OtherProtocol {
        /// The hash in the checkpoint.
        found: String,
        /// The hash of the protocol being run.
        expected: String,
    },
    /// A checkpoint of the same scenario run with another seed.
    #[error(
        "it is a checkpoint of seed {found}, this run's seed is {expected} (pass `--seed {found}`)"
    )]
    OtherSeed {
        /// The seed in the checkpoint.
        found: u64,
        /// The seed of the run.
        expected: u64,
    },
    /// The resumed run does not reach the checkpoint's state.
    #[error(
        "the run diverged from the checkpoint at round {round}: {what} is {found}, the checkpoint has {expected}"
    )]
    Diverged {
        /// The checkpoint's round.
        round: u64,
        /// Which part of the state differs.
        what: &'static str,
        /// The checkpoint's value.
        expected: String,
        /// The run's value.
        found: String,
    },
    /// The resumed run ended before the checkpoint's round.
    #[error("the run ended at round {ended}, before the checkpoint's round {round}")]
    NotReached {
        /// The checkpoint's round.
        round: u64,
        /// The run's last round.
        ended: u64,
    },
}
