//! One run's checkpointing: where its checkpoints go, which checkpoint it
//! resumes from, and what went wrong (kept until the run ends, since a
//! round cannot return an error through the world's loop).

use super::{
    CheckpointError, RoundState, RunIdentity, SimCheckpoint, EXTENSION, RE_EXECUTE, SNAPSHOT,
};
use crate::error::SimError;
use crate::plan::Plan;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use telltale_compiler::CodeImage;

/// The checkpoints of one run (attached to its [`Plan`] as
/// `plan.checkpoints`): written every `interval` rounds under `dir`, and
/// the checkpoint the run resumes from, verified at its round.
#[derive(Debug)]
pub struct Checkpointing {
    run: RunIdentity,
    interval: Option<u64>,
    dir: PathBuf,
    resume: Option<(PathBuf, SimCheckpoint)>,
    progress: Mutex<Progress>,
}

/// What happened so far.
#[derive(Debug, Default)]
struct Progress {
    written: Vec<PathBuf>,
    verified: bool,
    loaded: bool,
    failure: Option<SimError>,
}

impl Checkpointing {
    /// Checkpoints of running `plan` over `image` with `seed`, written
    /// every `plan.checkpoint_interval` rounds (none when unset) under
    /// `base/<scenario name>/`.
    pub fn new(
        plan: &Plan,
        image: &CodeImage,
        seed: u64,
        base: &Path,
    ) -> Result<Checkpointing, SimError> {
        let run = RunIdentity::of(plan, image, seed).map_err(|source| SimError::Checkpoint {
            path: base.to_path_buf(),
            source,
        })?;
        Ok(Checkpointing {
            run,
            interval: plan.checkpoint_interval,
            dir: base.join(folder_name(&plan.name)),
            resume: None,
            progress: Mutex::new(Progress::default()),
        })
    }

    /// Resumes from the checkpoint in `path`: refuses damaged bytes and a
    /// checkpoint of another run (scenario, protocol, seed, version).
    pub fn resume_from(mut self, path: &Path) -> Result<Checkpointing, SimError> {
        let failed = |source| SimError::Checkpoint {
            path: path.to_path_buf(),
            source,
        };
        let bytes = std::fs::read(path).map_err(|e| failed(CheckpointError::Read(e)))?;
        let checkpoint = SimCheckpoint::from_bytes(&bytes).map_err(failed)?;
        checkpoint.run.check_against(&self.run).map_err(failed)?;
        self.resume = Some((path.to_path_buf(), checkpoint));
        Ok(self)
    }

    /// Attaches checkpointing to `plan` for a run with `seed`: writes under
    /// `base` when the scenario sets `checkpoint_interval`, and resumes
    /// from `resume` when given. Leaves the plan alone when neither.
    pub fn attach(
        plan: &mut Plan,
        image: &CodeImage,
        seed: u64,
        base: &Path,
        resume: Option<&Path>,
    ) -> Result<(), SimError> {
        if plan.checkpoint_interval.is_none() && resume.is_none() {
            return Ok(());
        }
        let mut checkpointing = Checkpointing::new(plan, image, seed, base)?;
        if let Some(path) = resume {
            checkpointing = checkpointing.resume_from(path)?;
        }
        plan.checkpoints = Some(std::sync::Arc::new(checkpointing));
        Ok(())
    }

    /// The folder the checkpoints go to (`base/<scenario name>/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of the checkpoint at `round`.
    pub fn file_of(&self, round: u64) -> PathBuf {
        self.dir
            .join(format!("seed-{}-round-{round}.{EXTENSION}", self.run.seed))
    }

    /// The checkpoints written so far, in order.
    pub fn written(&self) -> Vec<PathBuf> {
        self.progress().written.clone()
    }

    /// Whether the resumed run loaded the checkpoint's world (rather than
    /// running the rounds before it again).
    pub fn loaded_world(&self) -> bool {
        self.progress().loaded
    }

    /// Notes that the run loaded the checkpoint's world.
    pub(crate) fn note_loaded(&self) {
        self.progress().loaded = true;
    }

    /// The round of the checkpoint resumed from, once the run reached it
    /// and its state matched.
    pub fn verified_round(&self) -> Option<u64> {
        let verified = self.progress().verified;
        self.resume
            .as_ref()
            .filter(|_| verified)
            .map(|(_, c)| c.state.round)
    }

    /// Whether `round` writes or verifies a checkpoint (the world computes
    /// the round's state only then).
    pub fn due(&self, round: u64) -> bool {
        self.interval.is_some_and(|i| i > 0 && round % i == 0)
            || self
                .resume
                .as_ref()
                .is_some_and(|(_, c)| c.state.round == round)
    }

    /// The round of the checkpoint this run resumes from.
    pub fn resume_round(&self) -> Option<u64> {
        self.resume.as_ref().map(|(_, c)| c.state.round)
    }

    /// The world snapshot of the checkpoint this run resumes from, if it
    /// holds one.
    pub fn resume_snapshot(&self) -> Option<&[u8]> {
        self.resume.as_ref().and_then(|(_, c)| c.world.as_deref())
    }

    /// `source` as the error of the checkpoint resumed from.
    pub fn resume_error(&self, source: CheckpointError) -> SimError {
        SimError::Checkpoint {
            path: self
                .resume
                .as_ref()
                .map_or_else(|| self.dir.clone(), |(p, _)| p.clone()),
            source,
        }
    }

    /// Verifies and writes the checkpoint of a due round (its state, and
    /// the world's snapshot when there is one); false when the run must
    /// stop (the error is kept for [`Checkpointing::finish`]).
    pub fn at_round(&self, state: Result<(RoundState, Option<Vec<u8>>), CheckpointError>) -> bool {
        let result = state
            .map_err(|source| SimError::Checkpoint {
                path: self.dir.clone(),
                source,
            })
            .and_then(|(state, world)| self.verify(&state).and_then(|()| self.write(state, world)));
        match result {
            Ok(()) => true,
            Err(e) => {
                self.progress().failure = Some(e);
                false
            }
        }
    }

    /// The end of the run that ended at `last_round`: the kept error, or a
    /// resumed run that never reached its checkpoint.
    pub fn finish(&self, last_round: u64) -> Result<(), SimError> {
        let mut progress = self.progress();
        if let Some(e) = progress.failure.take() {
            return Err(e);
        }
        match &self.resume {
            Some((path, c)) if !progress.verified => Err(SimError::Checkpoint {
                path: path.clone(),
                source: CheckpointError::NotReached {
                    round: c.state.round,
                    ended: last_round,
                },
            }),
            _ => Ok(()),
        }
    }

    fn verify(&self, state: &RoundState) -> Result<(), SimError> {
        let Some((path, checkpoint)) = &self.resume else {
            return Ok(());
        };
        if checkpoint.state.round != state.round {
            return Ok(());
        }
        checkpoint
            .verify(state)
            .map_err(|source| SimError::Checkpoint {
                path: path.clone(),
                source,
            })?;
        self.progress().verified = true;
        Ok(())
    }

    /// Writes the checkpoint of an interval's round: to a temporary file
    /// beside it, then renamed, so a reader never sees half a checkpoint.
    fn write(&self, state: RoundState, world: Option<Vec<u8>>) -> Result<(), SimError> {
        let Some(interval) = self.interval.filter(|i| *i > 0 && state.round % i == 0) else {
            return Ok(());
        };
        let path = self.file_of(state.round);
        let failed = |source| SimError::Checkpoint {
            path: path.clone(),
            source,
        };
        let checkpoint = SimCheckpoint {
            run: self.run.clone(),
            interval: Some(interval),
            resume: if world.is_some() {
                SNAPSHOT
            } else {
                RE_EXECUTE
            }
            .to_string(),
            state,
            world,
        };
        let bytes = checkpoint.to_bytes().map_err(failed)?;
        std::fs::create_dir_all(&self.dir).map_err(|e| failed(CheckpointError::Write(e)))?;
        let temporary = path.with_extension(format!("{EXTENSION}.tmp"));
        std::fs::write(&temporary, &bytes)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|e| failed(CheckpointError::Write(e)))?;
        self.progress().written.push(path);
        Ok(())
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A scenario name as one folder name: letters, digits, `-`, `_` and `.`
/// kept, anything else `_` (and never empty, `.` or `..`).
fn folder_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => "scenario".to_string(),
        _ => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::folder_name;

    #[test]
    fn scenario_names_become_safe_folder_names() {
        assert_eq!(folder_name("token_ring-1.2"), "token_ring-1.2");
        assert_eq!(folder_name("a/b c"), "a_b_c");
        assert_eq!(folder_name(".."), "scenario");
        assert_eq!(folder_name(""), "scenario");
    }
}
