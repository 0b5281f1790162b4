//! Checkpoint and restore of a whole [`ThreadedRunner`]: every shard's
//! machine checkpoint plus the runner's own state, in a versioned,
//! digest-protected envelope like the machine's (see `checkpoint.rs`).
//!
//! Byte layout: magic `TTRC`, format version (`u32`,
//! [`RUNNER_CHECKPOINT_FORMAT_VERSION`]), body length (`u64`), SHA-256 of the
//! body, then the body: postcard of (crate version, host state, runner
//! state, one machine checkpoint envelope per shard). The runner state is
//! the thread count, the wave length, the count of runner-opened sessions,
//! the runner-wide coroutine counter and the per-shard coroutine ranges of
//! runner-opened sessions.

use crate::checkpoint::{
    check_crate_version, decode_envelope, encode_envelope, Checkpoint, CheckpointError,
    CHECKPOINT_CRATE_VERSION,
};
use crate::effect::EffectHandler;
use crate::ids::{CoroId, SessionId};
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use crate::threaded::{ThreadedError, ThreadedRunner};
use serde::{Deserialize, Serialize};

/// The magic bytes that start every runner checkpoint.
pub const RUNNER_CHECKPOINT_MAGIC: [u8; 4] = *b"TTRC";
/// The runner envelope and body format this build writes and reads.
pub const RUNNER_CHECKPOINT_FORMAT_VERSION: u32 = 4;

/// The runner's own state (everything but the shards).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunnerState {
    pub(crate) threads: u64,
    pub(crate) wave_rounds: u64,
    pub(crate) opened: u64,
    pub(crate) next_coro: CoroId,
    pub(crate) coro_ranges: Vec<Vec<(CoroId, CoroId, SessionId)>>,
}

/// The digest-protected body.
#[derive(Serialize, Deserialize)]
struct Body {
    crate_version: String,
    host_state: Vec<u8>,
    runner: RunnerState,
    shards: Vec<Vec<u8>>,
}

/// A checkpoint of a [`ThreadedRunner`]: one machine [`Checkpoint`] per
/// shard (each with its own optional host state) and the runner's state,
/// with an optional runner-wide host state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunnerCheckpoint {
    pub(crate) crate_version: String,
    pub(crate) host_state: Vec<u8>,
    pub(crate) runner: RunnerState,
    pub(crate) shards: Vec<Checkpoint>,
}

impl RunnerCheckpoint {
    /// The crate version that wrote the checkpoint.
    pub fn crate_version(&self) -> &str {
        &self.crate_version
    }

    /// Number of shards (= threads of the runner).
    pub fn threads(&self) -> usize {
        self.shards.len()
    }

    /// Sessions opened through the runner before the checkpoint.
    pub fn sessions_opened(&self) -> u64 {
        self.runner.opened
    }

    /// The runner-wide opaque host state (empty unless set).
    pub fn host_state(&self) -> &[u8] {
        &self.host_state
    }

    /// The checkpoint with `state` as runner-wide host state.
    pub fn with_host_state(mut self, state: Vec<u8>) -> Self {
        self.host_state = state;
        self
    }

    /// The shards' machine checkpoints, in shard order.
    pub fn shards(&self) -> &[Checkpoint] {
        &self.shards
    }

    /// The checkpoint with `state` as host state of shard `shard` (e.g.
    /// that shard's handler state); `InvalidState` if there is no such
    /// shard.
    pub fn with_shard_host_state(
        mut self,
        shard: usize,
        state: Vec<u8>,
    ) -> Result<Self, CheckpointError> {
        let threads = self.shards.len();
        let Some(c) = self.shards.get_mut(shard) else {
            return Err(CheckpointError::InvalidState(format!(
                "no shard {shard} in a checkpoint of {threads} shards"
            )));
        };
        c.host_state = state;
        Ok(self)
    }

    /// The encoded envelope (see the module docs for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = Body {
            crate_version: self.crate_version.clone(),
            host_state: self.host_state.clone(),
            runner: self.runner.clone(),
            shards: self.shards.iter().map(Checkpoint::to_bytes).collect(),
        };
        // Strings, integers and byte vectors always encode.
        let body = postcard::to_allocvec(&body).unwrap_or_default();
        encode_envelope(
            RUNNER_CHECKPOINT_MAGIC,
            RUNNER_CHECKPOINT_FORMAT_VERSION,
            &body,
        )
    }

    /// Decodes an envelope: magic, format version, length, digest, the
    /// body, the crate version, then every shard's envelope (a refused
    /// shard is `Shard { shard, source }`). The states themselves are
    /// checked by [`ThreadedRunner::restore`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let body = decode_envelope(
            RUNNER_CHECKPOINT_MAGIC,
            RUNNER_CHECKPOINT_FORMAT_VERSION,
            bytes,
        )?;
        let (decoded, rest): (Body, &[u8]) = postcard::take_from_bytes(body)
            .map_err(|e| CheckpointError::Decode(format!("runner checkpoint body: {e}")))?;
        if !rest.is_empty() {
            return Err(CheckpointError::Decode(format!(
                "{} bytes after the runner checkpoint body",
                rest.len()
            )));
        }
        check_crate_version(&decoded.crate_version)?;
        let shards = decoded
            .shards
            .iter()
            .enumerate()
            .map(|(i, b)| Checkpoint::from_bytes(b).map_err(|e| in_shard(i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RunnerCheckpoint {
            crate_version: decoded.crate_version,
            host_state: decoded.host_state,
            runner: decoded.runner,
            shards,
        })
    }
}

fn in_shard(shard: usize, source: CheckpointError) -> CheckpointError {
    CheckpointError::Shard {
        shard,
        source: Box::new(source),
    }
}

fn invalid(what: String) -> CheckpointError {
    CheckpointError::InvalidState(what)
}

impl ThreadedRunner {
    /// A checkpoint of every shard and of the runner's state (no host
    /// state). Take it between runs: the runner is then at a barrier.
    pub fn checkpoint(&self) -> Result<RunnerCheckpoint, CheckpointError> {
        let shards = self
            .shards
            .iter()
            .enumerate()
            .map(|(i, m)| m.checkpoint().map_err(|e| in_shard(i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RunnerCheckpoint {
            crate_version: CHECKPOINT_CRATE_VERSION.to_string(),
            host_state: Vec::new(),
            runner: RunnerState {
                threads: self.shards.len() as u64,
                wave_rounds: self.wave_rounds as u64,
                opened: self.opened,
                next_coro: self.next_coro,
                coro_ranges: self.coro_ranges.clone(),
            },
            shards,
        })
    }

    /// Rebuilds a runner from a checkpoint: restores every shard (with the
    /// machine's checks; a refused shard is `Shard { shard, source }`),
    /// then checks the sharding: as many shards as threads, one image and
    /// configuration, shard `i` of `n` allocating session ids `≡ i (mod n)`
    /// with stride `n`, and coroutine ranges and counters consistent with
    /// the runner's counters (`InvalidState` otherwise, never a panic).
    pub fn restore(checkpoint: &RunnerCheckpoint) -> Result<ThreadedRunner, CheckpointError> {
        check_crate_version(&checkpoint.crate_version)?;
        let st = &checkpoint.runner;
        let n = checkpoint.shards.len();
        if n == 0 || st.threads != n as u64 {
            return Err(invalid(format!(
                "{n} shard checkpoints for a runner of {} threads",
                st.threads
            )));
        }
        if st.coro_ranges.len() != n {
            return Err(invalid(format!(
                "{} coroutine-range tables for {n} shards",
                st.coro_ranges.len()
            )));
        }
        let wave_rounds = usize::try_from(st.wave_rounds)
            .ok()
            .filter(|w| *w > 0)
            .ok_or_else(|| invalid(format!("wave_rounds {} out of range", st.wave_rounds)))?;
        let shards = checkpoint
            .shards
            .iter()
            .enumerate()
            .map(|(i, c)| ProtocolMachine::restore(c).map_err(|e| in_shard(i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, shard) in shards.iter().enumerate() {
            check_shard(i, shard, &shards[0], st).map_err(|e| in_shard(i, invalid(e)))?;
        }
        Ok(ThreadedRunner {
            shards,
            wave_rounds,
            opened: st.opened,
            next_coro: st.next_coro,
            coro_ranges: st.coro_ranges.clone(),
        })
    }

    /// Like [`ThreadedRunner::run`], with `handlers[i]` serving shard `i`:
    /// the handlers outlive the run, so their state (e.g.
    /// [`DefaultHandler::choice_visits`](crate::DefaultHandler::choice_visits))
    /// can be saved with a checkpoint. `HandlerCount` unless there is one
    /// handler per shard.
    pub fn run_with_handlers<H>(
        &mut self,
        handlers: &[H],
        max_rounds: usize,
    ) -> Result<RunStatus, ThreadedError>
    where
        H: EffectHandler + Sync,
    {
        if handlers.len() != self.shards.len() {
            return Err(ThreadedError::HandlerCount {
                expected: self.shards.len(),
                found: handlers.len(),
            });
        }
        self.drive(max_rounds, |i| &handlers[i])
    }
}

/// Checks shard `i` against shard 0 and the runner state.
fn check_shard(
    i: usize,
    shard: &ProtocolMachine,
    first: &ProtocolMachine,
    st: &RunnerState,
) -> Result<(), String> {
    let n = st.threads;
    let i64 = i as u64;
    if shard.image() != first.image() || shard.config() != first.config() {
        return Err("image or configuration differs from shard 0".into());
    }
    let store = &shard.sessions;
    if store.id_stride.max(1) != n || store.next_id % n != i64 {
        return Err(format!(
            "session ids {} + k·{} are not those of shard {i} of {n}",
            store.next_id,
            store.id_stride.max(1)
        ));
    }
    if let Some(s) = store.slots.iter().flatten().find(|s| s.id % n != i64) {
        return Err(format!(
            "session {} does not belong to shard {i} of {n}",
            s.id
        ));
    }
    let ranges = &st.coro_ranges[i];
    let mut prev_end: CoroId = 0;
    for &(first, end, sid) in ranges {
        if first < prev_end || end < first || end > st.next_coro || end > shard.next_coro {
            return Err(format!(
                "coroutine range {first}..{end} of session {sid} is out of order or beyond \
                 the coroutine counters"
            ));
        }
        if sid % n != i64 || sid >= store.next_id {
            return Err(format!(
                "runner-opened session {sid} is not an allocated session of shard {i}"
            ));
        }
        prev_end = end;
    }
    // Runner-opened sessions k < opened with k ≡ i (mod n).
    let opened_here = st.opened / n + u64::from(st.opened % n > i64);
    let allocated_here = (store.next_id - i64) / n;
    if (ranges.len() as u64) > opened_here || allocated_here < opened_here {
        return Err(format!(
            "{opened_here} runner-opened sessions on this shard, but {} coroutine ranges and \
             {allocated_here} allocated ids",
            ranges.len()
        ));
    }
    Ok(())
}
