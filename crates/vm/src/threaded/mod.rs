//! The threaded runner: sessions sharded over `n` protocol machines, run
//! in parallel waves on scoped std threads.
//!
//! Each shard is a full [`ProtocolMachine`] over the same image and
//! configuration holding a disjoint set of sessions. Sessions opened through
//! the runner are placed round-robin: the `k`-th goes to shard `k % n`, and
//! shard `i` allocates the session ids `i, i + n, i + 2n, …` (sessions that
//! an `Open` instruction starts inside a shard draw from the same sequence),
//! so ids are unique over the runner and session `s` lives on shard `s % n`.
//!
//! A run advances every unfinished shard by `wave_rounds` scheduler rounds
//! on its own thread, then meets at a barrier where the runner decides:
//! done when every shard is done, stuck when no shard could move, the first
//! error (lowest shard index) once every thread has stopped. At `n = 1` the
//! runner calls [`ProtocolMachine::run`] on its single shard, so it is the
//! cooperative machine step for step.
//!
//! Ticks are per shard: every shard has its own clock, polls the handler's
//! topology events with it, and ignores events for sessions it does not
//! hold. So a session's trace in an `n`-thread run equals its trace in a
//! one-thread run with ticks stripped (see [`ObsEvent::untimed`]), provided the
//! handler's answers for a session depend only on that session's own calls.

pub mod checkpoint;
#[cfg(test)]
mod checkpoint_tests;
#[cfg(test)]
mod tests;

use crate::config::Config;
use crate::effect::EffectHandler;
use crate::event::ObsEvent;
use crate::fault::ProtocolMachineError;
use crate::ids::{CoroId, SessionId};
use crate::kernel::RunStatus;
use crate::lifecycle::SessionRequest;
use crate::machine::ProtocolMachine;
use crate::session::ClosedSessionSummary;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use telltale_compiler::CodeImage;

/// Scheduler rounds each shard runs between two barriers, by default.
pub const DEFAULT_WAVE_ROUNDS: usize = 16_384;

/// Errors of the threaded runner.
#[derive(Debug, thiserror::Error)]
pub enum ThreadedError {
    /// The runner was asked for zero threads.
    #[error("a threaded runner needs at least one thread (got 0)")]
    NoThreads,
    /// Waves of zero rounds were requested.
    #[error("wave_rounds must be at least 1 (got 0)")]
    NoWaveRounds,
    /// `run_with_handlers` was given a handler count other than the
    /// thread count.
    #[error("{found} handlers given for {expected} shards")]
    HandlerCount {
        /// The number of shards.
        expected: usize,
        /// The number of handlers given.
        found: usize,
    },
    /// A shard could not be created (image or configuration rejected).
    #[error("cannot load shard {shard}: {source}")]
    Load {
        /// The shard index.
        shard: usize,
        /// What the machine reported.
        #[source]
        source: ProtocolMachineError,
    },
    /// A session could not be opened.
    #[error("cannot open a session on shard {shard}: {source}")]
    Open {
        /// The shard index.
        shard: usize,
        /// What the machine reported.
        #[source]
        source: ProtocolMachineError,
    },
    /// A shard stopped with an error (a fault, a host-contract or topology
    /// error); the lowest faulting shard of the wave is reported.
    #[error("shard {shard}: {source}")]
    Shard {
        /// The shard index.
        shard: usize,
        /// What the machine reported.
        #[source]
        source: ProtocolMachineError,
    },
    /// A shard's thread panicked (in the handler or the machine); the
    /// shard's state is unspecified afterwards.
    #[error("shard {shard} panicked: {message}")]
    Panicked {
        /// The shard index.
        shard: usize,
        /// The panic message, if it was a string.
        message: String,
    },
}

impl ThreadedError {
    /// The protocol-machine error inside, if any.
    pub fn machine_error(&self) -> Option<&ProtocolMachineError> {
        match self {
            ThreadedError::Load { source, .. }
            | ThreadedError::Open { source, .. }
            | ThreadedError::Shard { source, .. } => Some(source),
            ThreadedError::NoThreads
            | ThreadedError::NoWaveRounds
            | ThreadedError::HandlerCount { .. }
            | ThreadedError::Panicked { .. } => None,
        }
    }
}

/// What one shard reported for one wave.
type WaveReport = Result<RunStatus, ThreadedError>;

/// Sessions sharded over `n` protocol machines, run in parallel waves.
pub struct ThreadedRunner {
    pub(crate) shards: Vec<ProtocolMachine>,
    pub(crate) wave_rounds: usize,
    /// Sessions opened through the runner (picks the next shard).
    pub(crate) opened: u64,
    /// The next coroutine id for a runner-opened session.
    pub(crate) next_coro: CoroId,
    /// Per shard: `(first, end, session)` coroutine-id ranges of the
    /// runner-opened sessions, in increasing order.
    pub(crate) coro_ranges: Vec<Vec<(CoroId, CoroId, SessionId)>>,
}

impl std::fmt::Debug for ThreadedRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadedRunner")
            .field("threads", &self.shards.len())
            .field("wave_rounds", &self.wave_rounds)
            .field("opened", &self.opened)
            .finish_non_exhaustive()
    }
}

impl ThreadedRunner {
    /// A runner of `threads` shards over a fully validated image.
    pub fn new(image: CodeImage, config: Config, threads: usize) -> Result<Self, ThreadedError> {
        Self::build(threads, |_| {
            ProtocolMachine::new(image.clone(), config.clone())
        })
    }

    /// A runner over an image whose programs may be hand-written (see
    /// [`ProtocolMachine::with_unverified_programs`]).
    pub fn with_unverified_programs(
        image: CodeImage,
        config: Config,
        threads: usize,
    ) -> Result<Self, ThreadedError> {
        Self::build(threads, |_| {
            ProtocolMachine::with_unverified_programs(image.clone(), config.clone())
        })
    }

    fn build(
        threads: usize,
        load: impl Fn(usize) -> Result<ProtocolMachine, ProtocolMachineError>,
    ) -> Result<Self, ThreadedError> {
        if threads == 0 {
            return Err(ThreadedError::NoThreads);
        }
        let mut shards = Vec::with_capacity(threads);
        for i in 0..threads {
            let mut m = load(i).map_err(|source| ThreadedError::Load { shard: i, source })?;
            m.sessions.set_id_sequence(i as SessionId, threads as u64);
            shards.push(m);
        }
        Ok(ThreadedRunner {
            shards,
            wave_rounds: DEFAULT_WAVE_ROUNDS,
            opened: 0,
            next_coro: 0,
            coro_ranges: vec![Vec::new(); threads],
        })
    }

    /// Sets the scheduler rounds each shard runs between two barriers.
    pub fn set_wave_rounds(&mut self, rounds: usize) -> Result<(), ThreadedError> {
        if rounds == 0 {
            return Err(ThreadedError::NoWaveRounds);
        }
        self.wave_rounds = rounds;
        Ok(())
    }

    /// The scheduler rounds per wave.
    pub fn wave_rounds(&self) -> usize {
        self.wave_rounds
    }

    /// Number of shards (= threads of a run).
    pub fn threads(&self) -> usize {
        self.shards.len()
    }

    /// The shard that holds (or would hold) session `session`.
    pub fn shard_of(&self, session: SessionId) -> usize {
        (session % self.shards.len() as u64) as usize
    }

    /// Shard `i`.
    pub fn shard(&self, i: usize) -> Option<&ProtocolMachine> {
        self.shards.get(i)
    }

    /// Shard `i`, mutably (to close, cancel or reap its sessions).
    pub fn shard_mut(&mut self, i: usize) -> Option<&mut ProtocolMachine> {
        self.shards.get_mut(i)
    }

    /// All shards, in index order.
    pub fn shards(&self) -> &[ProtocolMachine] {
        &self.shards
    }

    /// The shards, consuming the runner.
    pub fn into_shards(self) -> Vec<ProtocolMachine> {
        self.shards
    }

    /// Opens a session (see [`ProtocolMachine::open_session`]) on the next
    /// shard in turn.
    pub fn open_session(&mut self, request: &SessionRequest) -> Result<SessionId, ThreadedError> {
        self.open_on_next(|m| m.open_session(request))
    }

    /// Opens a session with every role of the image on the next shard in
    /// turn (see [`ProtocolMachine::open_all_roles`]).
    pub fn open_all_roles(&mut self) -> Result<SessionId, ThreadedError> {
        self.open_on_next(ProtocolMachine::open_all_roles)
    }

    /// Opens `count` sessions, each like [`ThreadedRunner::open_session`]
    /// (with `Some(request)`) or [`ThreadedRunner::open_all_roles`] (with
    /// `None`), with the same session and coroutine ids as `count` single
    /// opens, but allocated shard by shard: a shard's sessions then lie
    /// together in memory instead of interleaved with the other shards'
    /// (better locality for its thread). On an error, the sessions opened
    /// before it stay open.
    pub fn open_sessions(
        &mut self,
        request: Option<&SessionRequest>,
        count: usize,
    ) -> Result<Vec<SessionId>, ThreadedError> {
        let open = |m: &mut ProtocolMachine| match request {
            Some(r) => m.open_session(r),
            None => m.open_all_roles(),
        };
        if count == 0 {
            return Ok(Vec::new());
        }
        // The first open validates the request (open errors depend on the
        // request only) and tells how many coroutines a session has.
        let first = self.open_on_next(open)?;
        let Some(&(c0, c1, _)) = self.coro_ranges[self.shard_of(first)].last() else {
            return Ok(vec![first]);
        };
        let per_session = c1 - c0;
        // Plan: the shard and first coroutine id each single open would use.
        let n = self.shards.len();
        let mut shard_next: Vec<CoroId> = self.shards.iter().map(|m| m.next_coro).collect();
        let mut plan: Vec<Vec<(usize, CoroId)>> = vec![Vec::new(); n];
        let mut global = self.next_coro;
        for j in 1..count {
            let i = ((self.opened + j as u64 - 1) % n as u64) as usize;
            let start = global.max(shard_next[i]);
            global = start.wrapping_add(per_session);
            shard_next[i] = global;
            plan[i].push((j, start));
        }
        let mut ids = vec![first; count];
        for (i, sessions) in plan.iter().enumerate() {
            let shard = &mut self.shards[i];
            for &(j, start) in sessions {
                shard.next_coro = start;
                let sid = open(shard).map_err(|source| ThreadedError::Open { shard: i, source })?;
                self.coro_ranges[i].push((start, shard.next_coro, sid));
                ids[j] = sid;
            }
        }
        self.next_coro = global;
        self.opened += count as u64 - 1;
        Ok(ids)
    }

    /// Opens on shard `opened % n`, numbering the new coroutines from the
    /// runner's counter, so runner-opened sessions get the coroutine ids a
    /// single machine would give them.
    fn open_on_next(
        &mut self,
        open: impl FnOnce(&mut ProtocolMachine) -> Result<SessionId, ProtocolMachineError>,
    ) -> Result<SessionId, ThreadedError> {
        let i = (self.opened % self.shards.len() as u64) as usize;
        let shard = &mut self.shards[i];
        let first = self.next_coro.max(shard.next_coro);
        shard.next_coro = first;
        let sid = open(shard).map_err(|source| ThreadedError::Open { shard: i, source })?;
        let end = shard.next_coro;
        self.next_coro = end;
        self.coro_ranges[i].push((first, end, sid));
        self.opened += 1;
        Ok(sid)
    }

    /// Runs every shard until all are done, none can move, an error, or
    /// `max_rounds` scheduler rounds per shard; `handler` is shared by all
    /// threads.
    pub fn run<H>(&mut self, handler: &H, max_rounds: usize) -> Result<RunStatus, ThreadedError>
    where
        H: EffectHandler + Sync,
    {
        self.drive(max_rounds, |_| handler)
    }

    /// Like [`ThreadedRunner::run`], with one handler per shard made by
    /// `factory(shard_index)` on the shard's thread (for handlers that are
    /// not `Sync`, or that keep per-shard state).
    pub fn run_with<H, F>(
        &mut self,
        factory: F,
        max_rounds: usize,
    ) -> Result<RunStatus, ThreadedError>
    where
        H: EffectHandler,
        F: Fn(usize) -> H + Sync,
    {
        self.drive(max_rounds, |i| Owned(factory(i)))
    }

    pub(crate) fn drive<R, T, B>(
        &mut self,
        max_rounds: usize,
        handler_for: B,
    ) -> Result<RunStatus, ThreadedError>
    where
        B: Fn(usize) -> R + Sync,
        R: Deref<Target = T>,
        T: EffectHandler,
    {
        if let [only] = self.shards.as_mut_slice() {
            let handler = catch_unwind(AssertUnwindSafe(|| handler_for(0)))
                .map_err(|p| panicked(0, p.as_ref()))?;
            let handler: &T = &handler;
            return catch_unwind(AssertUnwindSafe(|| only.run(handler, max_rounds)))
                .map_err(|p| panicked(0, p.as_ref()))?
                .map_err(|source| ThreadedError::Shard { shard: 0, source });
        }
        let wave_rounds = self.wave_rounds;
        let handler_for = &handler_for;
        let status = std::thread::scope(|scope| {
            let (report_tx, report_rx) = mpsc::channel::<(usize, WaveReport)>();
            let mut controls = Vec::with_capacity(self.shards.len());
            for (i, shard) in self.shards.iter_mut().enumerate() {
                let (ctl_tx, ctl_rx) = mpsc::channel::<usize>();
                controls.push(ctl_tx);
                let report_tx = report_tx.clone();
                scope.spawn(move || shard_worker(i, shard, handler_for, &ctl_rx, &report_tx));
            }
            drop(report_tx);
            let result = coordinate(&controls, &report_rx, max_rounds, wave_rounds);
            // Dropping the control senders ends every worker's loop; the
            // scope joins them (workers never panic: waves run under
            // `catch_unwind`).
            drop(controls);
            result
        })?;
        Ok(if status == RunStatus::BudgetExhausted && self.all_done() {
            RunStatus::AllDone
        } else {
            status
        })
    }

    /// Releases every shard's finished sessions whose coroutines are all
    /// terminal (see [`ProtocolMachine::reap_closed_sessions`]), sorted by
    /// session. Events of reaped sessions stay in the traces, but their
    /// coroutine events are no longer attributed by `session_trace`.
    pub fn reap_closed_sessions(&mut self) -> Vec<ClosedSessionSummary> {
        let mut out = Vec::new();
        for (shard, ranges) in self.shards.iter_mut().zip(&mut self.coro_ranges) {
            let reaped = shard.reap_closed_sessions();
            if !reaped.is_empty() {
                let gone: BTreeSet<SessionId> = reaped.iter().map(|r| r.session).collect();
                ranges.retain(|(_, _, s)| !gone.contains(s));
            }
            out.extend(reaped);
        }
        out.sort_by_key(|r| r.session);
        out
    }

    /// Ids of the resident sessions of every shard, sorted.
    pub fn session_ids(&self) -> Vec<SessionId> {
        let mut ids: Vec<SessionId> = self.shards.iter().flat_map(|m| m.session_ids()).collect();
        ids.sort_unstable();
        ids
    }

    /// Whether every coroutine of every shard has finished.
    pub fn all_done(&self) -> bool {
        self.shards.iter().all(ProtocolMachine::all_done)
    }

    /// Instructions dispatched, summed over the shards.
    pub fn scheduler_step_count(&self) -> u64 {
        self.shards.iter().map(|m| m.scheduler_step_count()).sum()
    }

    /// The retained observable trace of every shard, in shard order (ticks
    /// are each shard's own).
    pub fn shard_traces(&self) -> Vec<Vec<ObsEvent>> {
        self.shards.iter().map(ProtocolMachine::trace).collect()
    }

    /// The retained events of one session, from its shard, in order.
    /// Coroutine events are attributed through the coroutine's session
    /// (runner-opened sessions always; coroutines started inside a shard
    /// while they are resident).
    pub fn session_trace(&self, session: SessionId) -> Vec<ObsEvent> {
        let i = self.shard_of(session);
        self.shards[i]
            .trace_iter()
            .filter(|e| self.event_session(i, e) == Some(session))
            .cloned()
            .collect()
    }

    /// The retained events of every session, by session (one pass over
    /// the shard traces).
    pub fn session_traces(&self) -> BTreeMap<SessionId, Vec<ObsEvent>> {
        let mut out: BTreeMap<SessionId, Vec<ObsEvent>> = BTreeMap::new();
        for (i, shard) in self.shards.iter().enumerate() {
            for e in shard.trace_iter() {
                if let Some(s) = self.event_session(i, e) {
                    if self.shard_of(s) == i {
                        out.entry(s).or_default().push(e.clone());
                    }
                }
            }
        }
        out
    }

    /// The session an event of shard `i` belongs to.
    fn event_session(&self, i: usize, event: &ObsEvent) -> Option<SessionId> {
        event
            .session()
            .or_else(|| event.coro().and_then(|c| self.coro_session(i, c)))
    }

    /// The session of coroutine `coro` of shard `i`.
    fn coro_session(&self, i: usize, coro: CoroId) -> Option<SessionId> {
        let ranges = &self.coro_ranges[i];
        let at = ranges.partition_point(|(first, _, _)| *first <= coro);
        if let Some(&(first, end, sid)) = at.checked_sub(1).and_then(|k| ranges.get(k)) {
            if first <= coro && coro < end {
                return Some(sid);
            }
        }
        let shard = &self.shards[i];
        let slot = shard.coro_index.get(&coro)?;
        shard
            .coroutines
            .get(*slot as usize)
            .and_then(Option::as_ref)
            .map(|c| c.session)
    }
}

/// An owned handler behind `Deref`, for [`ThreadedRunner::run_with`].
struct Owned<H>(H);

impl<H> Deref for Owned<H> {
    type Target = H;
    fn deref(&self) -> &H {
        &self.0
    }
}

/// One shard's thread: builds its handler, then runs one wave per control
/// message (the round budget) and reports, until the controls close.
fn shard_worker<R, T, B>(
    i: usize,
    shard: &mut ProtocolMachine,
    handler_for: &B,
    controls: &mpsc::Receiver<usize>,
    reports: &mpsc::Sender<(usize, WaveReport)>,
) where
    B: Fn(usize) -> R + Sync,
    R: Deref<Target = T>,
    T: EffectHandler,
{
    let handler = match catch_unwind(AssertUnwindSafe(|| handler_for(i))) {
        Ok(h) => h,
        Err(p) => {
            let message = panic_message(p.as_ref());
            for _ in controls.iter() {
                let e = ThreadedError::Panicked {
                    shard: i,
                    message: message.clone(),
                };
                if reports.send((i, Err(e))).is_err() {
                    return;
                }
            }
            return;
        }
    };
    let handler: &T = &handler;
    for rounds in controls.iter() {
        let report = catch_unwind(AssertUnwindSafe(|| shard.run(handler, rounds)))
            .map_err(|p| panicked(i, p.as_ref()))
            .and_then(|r| r.map_err(|source| ThreadedError::Shard { shard: i, source }));
        if reports.send((i, report)).is_err() {
            return;
        }
    }
}

/// The barrier loop: sends each unfinished shard a wave, collects every
/// report, and decides.
fn coordinate(
    controls: &[mpsc::Sender<usize>],
    reports: &mpsc::Receiver<(usize, WaveReport)>,
    max_rounds: usize,
    wave_rounds: usize,
) -> Result<RunStatus, ThreadedError> {
    let n = controls.len();
    let mut done = vec![false; n];
    let mut remaining = max_rounds;
    loop {
        let wave = remaining.min(wave_rounds);
        if wave == 0 {
            return Ok(RunStatus::BudgetExhausted);
        }
        remaining -= wave;
        let mut sent = 0;
        for (i, ctl) in controls.iter().enumerate() {
            if !done[i] && ctl.send(wave).is_ok() {
                sent += 1;
            }
        }
        let mut wave_reports: Vec<Option<WaveReport>> = (0..n).map(|_| None).collect();
        for _ in 0..sent {
            match reports.recv() {
                Ok((i, r)) => wave_reports[i] = Some(r),
                Err(_) => break,
            }
        }
        let mut progressed = false;
        for (i, report) in wave_reports.into_iter().enumerate() {
            match report {
                None => {}
                Some(Err(e)) => return Err(e),
                Some(Ok(RunStatus::AllDone)) => done[i] = true,
                Some(Ok(RunStatus::Stuck)) => {}
                Some(Ok(RunStatus::BudgetExhausted)) => progressed = true,
            }
        }
        if done.iter().all(|d| *d) {
            return Ok(RunStatus::AllDone);
        }
        if !progressed {
            return Ok(RunStatus::Stuck);
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

fn panicked(shard: usize, payload: &(dyn std::any::Any + Send)) -> ThreadedError {
    ThreadedError::Panicked {
        shard,
        message: panic_message(payload),
    }
}
