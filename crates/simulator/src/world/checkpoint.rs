//! The world's side of checkpoints: its state at a due round, handed to
//! the run's [`Checkpointing`] (which verifies a resumed run and writes
//! the file), and the run's end, where a kept checkpoint error surfaces.

use super::{Outcome, World};
use crate::checkpoint::{hex, CheckpointError, Checkpointing, RoundState};
use crate::error::SimError;
use crate::plan::Plan;
use sha2::{Digest, Sha256};

impl World<'_> {
    /// Writes or verifies the checkpoint of round `tick` when one is due;
    /// false when the run must stop. Reads the state only: a run with
    /// checkpoints gives the same trace as one without.
    pub(super) fn checkpoint_round(&self, tick: u64) -> bool {
        match &self.checkpoints {
            Some(c) if c.due(tick) => c.at_round(
                self.round_state(tick)
                    .and_then(|state| self.snapshot(tick).transpose().map(|w| (state, w))),
            ),
            _ => true,
        }
    }

    pub(super) fn round_state(&self, tick: u64) -> Result<RoundState, CheckpointError> {
        let machine = self
            .machine
            .checkpoint()
            .map_err(|e| CheckpointError::Encode(format!("the protocol machine: {e}")))?
            .to_bytes();
        Ok(RoundState {
            round: tick,
            trace_lines: self.trace.len() as u64,
            trace_sha256: self.trace.digest_so_far(),
            machine_sha256: hex(&Sha256::digest(&machine)),
            machine_clock: self.machine.clock(),
            rng_next: self.rng.clone().next_u64(),
            in_flight: self.network.in_flight() as u64,
        })
    }

    /// Runs to the end, then reports a checkpoint that could not be written
    /// or that the run did not reproduce.
    pub(super) fn run_checked(self, plan: &Plan, seed: u64) -> Result<Outcome, SimError> {
        self.run_checked_from(plan, seed, 0)
    }

    /// [`World::run_checked`] for the rounds after round `start`.
    pub(super) fn run_checked_from(
        self,
        plan: &Plan,
        seed: u64,
        start: u64,
    ) -> Result<Outcome, SimError> {
        let checkpoints: Option<std::sync::Arc<Checkpointing>> = self.checkpoints.clone();
        let outcome = self.run_from(plan, seed, start);
        match checkpoints {
            Some(c) => c.finish(outcome.report.rounds).map(|()| outcome),
            None => Ok(outcome),
        }
    }
}
