//! The checkpoint workload: size of a checkpoint and time to take and to
//! restore one, for a machine with many sessions in flight.

use super::threaded::{median, pingpong_session_image, SessionPayloadHandler};
use super::{bench_config, proc_status_kib, THREADED_SESSION_ROUNDS};
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::fault::ProtocolMachineError;
use crate::machine::ProtocolMachine;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use thiserror::Error;

/// Timed repetitions of the checkpoint workload (medians are reported).
pub const CHECKPOINT_REPETITIONS: usize = 5;

/// What the checkpoint workload measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointBenchReport {
    /// Workload name.
    pub workload: String,
    /// Sessions in the checkpointed machine.
    pub sessions: u64,
    /// Size of the encoded checkpoint.
    pub bytes: u64,
    /// `bytes / sessions`.
    pub bytes_per_session: f64,
    /// Median seconds of `checkpoint()` plus `to_bytes()`.
    pub checkpoint_seconds: f64,
    /// Median seconds of `from_bytes()` plus `restore()`.
    pub restore_seconds: f64,
    /// Peak resident set size (VmHWM) in KiB, 0 if unavailable.
    pub peak_rss_kib: u64,
}

/// Why the checkpoint workload failed.
#[derive(Debug, Error)]
pub enum CheckpointBenchError {
    /// Building or running the machine failed.
    #[error(transparent)]
    Machine(#[from] ProtocolMachineError),
    /// Taking or restoring the checkpoint failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// Opens `sessions` ping-pong sessions, runs one scheduler round per
/// coroutine so that messages are in flight, then times checkpointing the
/// machine to bytes and restoring it from them.
pub fn checkpoint(sessions: u64) -> Result<CheckpointBenchReport, CheckpointBenchError> {
    let image = pingpong_session_image(THREADED_SESSION_ROUNDS)?;
    let mut machine = ProtocolMachine::new(image, bench_config())?;
    for _ in 0..sessions {
        machine.open_all_roles()?;
    }
    machine.run(&SessionPayloadHandler, (2 * sessions) as usize)?;
    let (mut taken, mut restored, mut bytes) = (Vec::new(), Vec::new(), 0);
    for _ in 0..CHECKPOINT_REPETITIONS {
        let start = Instant::now();
        let encoded = machine.checkpoint()?.to_bytes();
        taken.push(start.elapsed().as_secs_f64());
        bytes = encoded.len() as u64;
        let start = Instant::now();
        let back = ProtocolMachine::restore(&Checkpoint::from_bytes(&encoded)?)?;
        restored.push(start.elapsed().as_secs_f64());
        drop(back);
    }
    Ok(CheckpointBenchReport {
        workload: "checkpoint".into(),
        sessions,
        bytes,
        bytes_per_session: bytes as f64 / sessions.max(1) as f64,
        checkpoint_seconds: median(taken),
        restore_seconds: median(restored),
        peak_rss_kib: proc_status_kib("VmHWM:"),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_small_checkpoint_workload_runs() {
        let r = super::checkpoint(10).unwrap();
        assert_eq!(r.sessions, 10);
        assert!(r.bytes > 0);
    }
}
