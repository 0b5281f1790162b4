//! Machine configuration: one struct with documented defaults.

use crate::buffer::BufferConfig;
use crate::scheduler::SchedulerPolicy;
use crate::trace::TraceRetention;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How much of each handler call the effect trace keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EffectTraceCaptureMode {
    /// Inputs and outcomes (what replay and audits need).
    Full,
    /// Outcomes only (enough for replay, cheaper).
    OutcomesOnly,
    /// Nothing is recorded.
    Off,
}

/// How strictly payloads are checked against their label's sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadValidationMode {
    /// No checks besides the size limit (trusted benchmarks).
    Off,
    /// The payload's outer shape matches the sort (standard deployments).
    Structural,
    /// The payload matches the sort recursively (adversarial inputs).
    StrictSchema,
}

/// Replay-consumption checks on receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommunicationReplayMode {
    /// No checks.
    Off,
    /// Each receive demands exactly the next sequence number of its edge.
    Sequence,
    /// Each receive refuses canonical message identities already consumed
    /// on its edge (reordering is allowed, duplicates are not).
    Nullifier,
}

/// Message authentication scheme (see [`crate::auth`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageAuth {
    /// Messages are not signed.
    None,
    /// Every endpoint signs what it sends with an ed25519 key derived from
    /// `Config::auth_seed`; receivers verify the signature and the edge's
    /// SHA-256 hash chain before anything else.
    Ed25519,
}

/// Everything configurable about a machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Order of picks among ready coroutines. Default: `RoundRobin`.
    pub scheduler: SchedulerPolicy,
    /// Buffer mode, capacity and backpressure of every edge. Default: FIFO,
    /// capacity 64, `Block`.
    pub buffer: BufferConfig,
    /// Retention of the observable trace. Default: `KeepAll`.
    pub trace_retention: TraceRetention,
    /// Retention of the effect trace. Default: `KeepAll`.
    pub effect_trace_retention: TraceRetention,
    /// What the effect trace records per handler call. Default: `Full`.
    pub effect_trace_capture_mode: EffectTraceCaptureMode,
    /// Largest payload accepted, in encoded bytes. Default: 65536.
    pub max_payload_bytes: usize,
    /// Payload checks against label sorts. Default: `Structural`.
    pub payload_validation_mode: PayloadValidationMode,
    /// Replay-consumption checks on receive. Default: `Off`.
    pub communication_replay_mode: CommunicationReplayMode,
    /// Message authentication. Default: `None`.
    pub message_auth: MessageAuth,
    /// Seed of the deterministic per-endpoint ed25519 keys used when
    /// `message_auth` is `Ed25519` (same seed, same keys, same signatures).
    /// Default: 0.
    #[serde(default)]
    pub auth_seed: u64,
    /// Check that the handler identity is stable and topology events are
    /// well ordered. Default: false.
    pub host_contract_assertions: bool,
    /// Follow an unconditional `Jump` as part of the instruction that
    /// reached it, instead of spending a scheduler round on it. A jump has
    /// no observable effect, so only tick numbers change. Default: true.
    pub thread_jumps: bool,
    /// Which knowledge facts `Check` may reveal to which roles. Default:
    /// `AllowAll`.
    #[serde(default)]
    pub flow_policy: crate::knowledge::FlowPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            scheduler: SchedulerPolicy::RoundRobin,
            buffer: BufferConfig::default(),
            trace_retention: TraceRetention::KeepAll,
            effect_trace_retention: TraceRetention::KeepAll,
            effect_trace_capture_mode: EffectTraceCaptureMode::Full,
            max_payload_bytes: 65536,
            payload_validation_mode: PayloadValidationMode::Structural,
            communication_replay_mode: CommunicationReplayMode::Off,
            message_auth: MessageAuth::None,
            auth_seed: 0,
            host_contract_assertions: false,
            thread_jumps: true,
            flow_policy: crate::knowledge::FlowPolicy::AllowAll,
        }
    }
}

impl Config {
    /// A configuration for throughput measurements: bounded traces, no
    /// effect capture, no payload checks (the monitor stays on).
    pub fn throughput() -> Self {
        Config {
            trace_retention: TraceRetention::KeepLast(1024),
            effect_trace_retention: TraceRetention::Off,
            effect_trace_capture_mode: EffectTraceCaptureMode::Off,
            payload_validation_mode: PayloadValidationMode::Off,
            ..Config::default()
        }
    }

    /// Refuses settings this machine cannot honour.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.buffer.validate()
    }
}

/// A configuration the machine refuses.
#[derive(Debug, Error, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfigError {
    /// A buffer setting that cannot work.
    #[error("invalid buffer configuration: {0}")]
    Buffer(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_is_accepted() {
        assert!(Config::default().validate().is_ok());
        assert!(Config::throughput().validate().is_ok());
        let signed = Config {
            message_auth: MessageAuth::Ed25519,
            ..Config::default()
        };
        assert!(signed.validate().is_ok());
        let nullifier = Config {
            communication_replay_mode: CommunicationReplayMode::Nullifier,
            ..Config::default()
        };
        assert!(nullifier.validate().is_ok());
    }
}
