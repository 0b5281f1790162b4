//! Simulator checkpoints: every `checkpoint_interval` rounds a run writes
//! what identifies it (scenario, protocol, seed, simulator version),
//! fingerprints of its state at that round, and — for runs of the
//! built-in handler — a snapshot of the whole world (the protocol
//! machine's own checkpoint, the handler's state, the network, faults,
//! properties, the trace so far). `--resume FILE` loads the snapshot,
//! checks it against the fingerprints, and runs the rounds after it.
//!
//! Runs whose host holds state the simulator cannot save (a bundled Rust
//! host, a project's handler through the harness, nested sites) write
//! checkpoints without a world: a resume of those runs the scenario again
//! from round 0, checks at the checkpoint's round that the state is the
//! one recorded (trace digest, the machine's checkpoint digest, the world's
//! generator, the network), and goes on. See `docs/simulator.md`,
//! "Checkpoints and `--resume`".
//!
//! Byte layout (integers little endian), after the machine's checkpoints:
//!
//! | bytes  | content                                             |
//! |--------|-----------------------------------------------------|
//! | 0..4   | magic `TTSC`                                        |
//! | 4..8   | format version (`u32`, [`FORMAT_VERSION`])          |
//! | 8..16  | body length (`u64`)                                 |
//! | 16..48 | SHA-256 of the body                                 |
//! | 48..   | body: [`SimCheckpoint`], postcard                   |

mod error;
mod session;

pub use error::CheckpointError;
pub use session::Checkpointing;

use crate::plan::Plan;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use telltale_compiler::CodeImage;

/// The magic bytes that start every simulator checkpoint.
pub const MAGIC: [u8; 4] = *b"TTSC";
/// The format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The simulator version a checkpoint records (and must match on resume).
pub const SIMULATOR_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The file extension of simulator checkpoints.
pub const EXTENSION: &str = "ttsc";
/// Magic, version, body length, digest.
const HEADER_LEN: usize = 4 + 4 + 8 + 32;

/// Which run a checkpoint belongs to: a resume refuses any other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// The simulator version that wrote it.
    pub simulator_version: String,
    /// The scenario's `name`.
    pub scenario: String,
    /// SHA-256 of the scenario file's text.
    pub scenario_sha256: String,
    /// SHA-256 of the compiled protocol (its code image, parameters
    /// applied).
    pub protocol_sha256: String,
    /// The run's seed.
    pub seed: u64,
}

impl RunIdentity {
    /// The identity of running `plan` over `image` with `seed`.
    pub fn of(plan: &Plan, image: &CodeImage, seed: u64) -> Result<RunIdentity, CheckpointError> {
        let image = image
            .to_bytes()
            .map_err(|e| CheckpointError::Encode(e.to_string()))?;
        Ok(RunIdentity {
            simulator_version: SIMULATOR_VERSION.to_string(),
            scenario: plan.name.clone(),
            scenario_sha256: sha256_hex(&[b"telltale.sim.scenario.v1", plan.text().as_bytes()]),
            protocol_sha256: sha256_hex(&[b"telltale.sim.protocol.v1", &image]),
            seed,
        })
    }

    /// Refuses a checkpoint of another run (`self` is the checkpoint's).
    pub fn check_against(&self, run: &RunIdentity) -> Result<(), CheckpointError> {
        if self.simulator_version != run.simulator_version {
            return Err(CheckpointError::SimulatorVersion {
                found: self.simulator_version.clone(),
                expected: run.simulator_version.clone(),
            });
        }
        if self.scenario != run.scenario {
            return Err(CheckpointError::OtherScenario {
                found: self.scenario.clone(),
                expected: run.scenario.clone(),
            });
        }
        if self.scenario_sha256 != run.scenario_sha256 {
            return Err(CheckpointError::ScenarioChanged {
                name: run.scenario.clone(),
                found: short(&self.scenario_sha256),
                expected: short(&run.scenario_sha256),
            });
        }
        if self.protocol_sha256 != run.protocol_sha256 {
            return Err(CheckpointError::OtherProtocol {
                found: short(&self.protocol_sha256),
                expected: short(&run.protocol_sha256),
            });
        }
        if self.seed != run.seed {
            return Err(CheckpointError::OtherSeed {
                found: self.seed,
                expected: run.seed,
            });
        }
        Ok(())
    }
}

/// The state of a run at the end of a round, as fingerprints: equal
/// fingerprints at a round mean the run so far was the same.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundState {
    /// The round (one round is one tick).
    pub round: u64,
    /// Trace lines written so far.
    pub trace_lines: u64,
    /// SHA-256 of the trace so far (what the report's `trace_digest` is at
    /// the end).
    pub trace_sha256: String,
    /// SHA-256 of the protocol machine's own checkpoint at this round
    /// (`telltale_vm::Checkpoint`: coroutines, sessions, buffers, effect
    /// trace, clock).
    pub machine_sha256: String,
    /// The machine's clock.
    pub machine_clock: u64,
    /// The next draw of the world's generator (without drawing it).
    pub rng_next: u64,
    /// Messages the network holds.
    pub in_flight: u64,
}

impl RoundState {
    /// The first field that differs from `other` (`self` is the
    /// checkpoint's), as (name, checkpoint's value, run's value).
    fn difference(&self, other: &RoundState) -> Option<(&'static str, String, String)> {
        let pairs: [(&'static str, String, String); 6] = [
            (
                "the number of trace lines",
                self.trace_lines.to_string(),
                other.trace_lines.to_string(),
            ),
            (
                "the trace digest",
                self.trace_sha256.clone(),
                other.trace_sha256.clone(),
            ),
            (
                "the machine's clock",
                self.machine_clock.to_string(),
                other.machine_clock.to_string(),
            ),
            (
                "the machine's state digest",
                self.machine_sha256.clone(),
                other.machine_sha256.clone(),
            ),
            (
                "the world's generator",
                self.rng_next.to_string(),
                other.rng_next.to_string(),
            ),
            (
                "the number of messages in flight",
                self.in_flight.to_string(),
                other.in_flight.to_string(),
            ),
        ];
        pairs.into_iter().find(|(_, a, b)| a != b)
    }
}

/// One checkpoint: the run it belongs to and its state at a round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimCheckpoint {
    /// The run.
    pub run: RunIdentity,
    /// The scenario's `checkpoint_interval` when it was written.
    pub interval: Option<u64>,
    /// How a resume uses it: [`SNAPSHOT`] (loads `world`) or
    /// [`RE_EXECUTE`] (runs again and verifies `state`).
    pub resume: String,
    /// The state at the checkpoint's round.
    pub state: RoundState,
    /// The whole world at that round (postcard; its layout is the
    /// simulator's own, checked by the body's digest and the run
    /// identity), for runs of the built-in handler.
    pub world: Option<Vec<u8>>,
}

/// The resume mode of a checkpoint that holds the world: a resume loads it
/// and runs the rounds after it.
pub const SNAPSHOT: &str = "snapshot";
/// The resume mode of a checkpoint without the world (a run whose host's
/// state the simulator cannot save): a resume runs the scenario again and
/// verifies the state at the checkpoint's round.
pub const RE_EXECUTE: &str = "re-execute-and-verify";

impl SimCheckpoint {
    /// The checkpoint's bytes (the same state gives the same bytes).
    pub fn to_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        let body =
            postcard::to_allocvec(self).map_err(|e| CheckpointError::Encode(e.to_string()))?;
        let mut bytes = Vec::with_capacity(HEADER_LEN + body.len());
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&Sha256::digest(&body));
        bytes.extend_from_slice(&body);
        Ok(bytes)
    }

    /// Reads a checkpoint, refusing damaged bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<SimCheckpoint, CheckpointError> {
        if bytes.len() < 4 || bytes[..4] != MAGIC {
            return Err(if MAGIC.starts_with(bytes) && !bytes.is_empty() {
                CheckpointError::Truncated {
                    found: bytes.len(),
                    expected: HEADER_LEN,
                }
            } else {
                CheckpointError::BadMagic
            });
        }
        let header = bytes.get(..HEADER_LEN).ok_or(CheckpointError::Truncated {
            found: bytes.len(),
            expected: HEADER_LEN,
        })?;
        let version = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if version != FORMAT_VERSION {
            return Err(CheckpointError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let mut length = [0u8; 8];
        length.copy_from_slice(&header[8..16]);
        let announced = u64::from_le_bytes(length);
        let expected = usize::try_from(announced)
            .ok()
            .and_then(|n| n.checked_add(HEADER_LEN))
            .unwrap_or(usize::MAX);
        if bytes.len() < expected {
            return Err(CheckpointError::Truncated {
                found: bytes.len(),
                expected,
            });
        }
        if bytes.len() > expected {
            return Err(CheckpointError::TrailingBytes {
                extra: bytes.len() - expected,
            });
        }
        let body = &bytes[HEADER_LEN..];
        if Sha256::digest(body).as_slice() != &header[16..48] {
            return Err(CheckpointError::DigestMismatch);
        }
        let checkpoint: SimCheckpoint =
            postcard::from_bytes(body).map_err(|e| CheckpointError::Decode(e.to_string()))?;
        match (checkpoint.resume.as_str(), &checkpoint.world) {
            (SNAPSHOT, Some(_)) | (RE_EXECUTE, None) => Ok(checkpoint),
            (SNAPSHOT | RE_EXECUTE, _) => Err(CheckpointError::Decode(format!(
                "resume mode `{}` with{} a world",
                checkpoint.resume,
                if checkpoint.world.is_some() {
                    ""
                } else {
                    "out"
                }
            ))),
            (other, _) => Err(CheckpointError::Decode(format!(
                "unknown resume mode `{other}` (this build resumes `{SNAPSHOT}` and `{RE_EXECUTE}`)"
            ))),
        }
    }

    /// Whether the run's `state` at this checkpoint's round is the one
    /// recorded.
    pub fn verify(&self, state: &RoundState) -> Result<(), CheckpointError> {
        match self.state.difference(state) {
            None => Ok(()),
            Some((what, expected, found)) => Err(CheckpointError::Diverged {
                round: self.state.round,
                what,
                expected,
                found,
            }),
        }
    }
}

/// Hex SHA-256 of the concatenated parts, each preceded by its length (so
/// parts cannot run into each other).
fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first 16 hex digits of a digest, for messages.
fn short(digest: &str) -> String {
    digest.chars().take(16).collect()
}

#[cfg(test)]
mod tests;
