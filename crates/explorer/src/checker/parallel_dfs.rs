//! Depth-first search on several threads: each worker follows a path of
//! its own, all share one visited set, and a worker that runs out of
//! states takes the next new state some busy worker finds.
//!
//! Only the visiting order depends on the threads' timing. A search with
//! no reduction and no bound visits every reachable state exactly once
//! whatever the order, so the state and transition counts, the fullest
//! buffer and the verdict are those of one thread. When a state breaks a
//! property, the workers stop and the search runs again on one thread,
//! which reports the counterexample one thread finds. The one figure that
//! follows the timing is the deepest path followed (`max_depth`).

use super::concurrent_set::ConcurrentSet;
use super::dfs::{self, frame, Frame};
use super::report::Report;
use super::{broken_property, Checker};
use crate::model::{Model, Property};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// A state some worker found and none has expanded yet.
struct Found<S> {
    state: Box<S>,
    fp: u64,
    /// Steps from the start along the path that found it.
    depth: usize,
}

/// What the workers share.
struct Shared<S> {
    visited: ConcurrentSet,
    /// New states given away by busy workers, and the idle workers.
    queue: Mutex<Queue<S>>,
    /// Signalled when the queue gains a state or the search ends.
    wake: Condvar,
    /// Workers waiting for a state: read without the lock, so that a busy
    /// worker locks the queue only when someone is waiting.
    hungry: AtomicUsize,
    /// Set when a state breaks a property: every worker stops.
    broken: AtomicBool,
    /// Unique states so far, added in batches (for the progress line).
    unique: AtomicUsize,
    workers: usize,
}

struct Queue<S> {
    states: Vec<Found<S>>,
    idle: usize,
    done: bool,
}

/// One worker's counts.
#[derive(Default)]
struct Tally {
    unique: usize,
    represented: usize,
    transitions: usize,
    max_depth: usize,
    fullest_buffer: usize,
}

/// How many new states a worker counts before adding them to the shared
/// count.
const BATCH: usize = 4096;

/// Every how many unique states the progress callback runs.
const PROGRESS_EVERY: usize = 65_536;

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, Queue<S>> {
        // A worker that panicked left a queue that is still a queue.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next state to expand, waiting for one; `None` once every
    /// worker is idle with nothing queued, or a property broke.
    fn take(&self) -> Option<Found<S>> {
        let mut queue = self.lock();
        loop {
            if queue.done || self.broken.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(found) = queue.states.pop() {
                return Some(found);
            }
            queue.idle += 1;
            if queue.idle == self.workers {
                queue.done = true;
                self.wake.notify_all();
                return None;
            }
            self.hungry.fetch_add(1, Ordering::Relaxed);
            queue = self
                .wake
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
            self.hungry.fetch_sub(1, Ordering::Relaxed);
            queue.idle -= 1;
        }
    }

    /// Gives `found` to a waiting worker if one waits for more than the
    /// queue holds; otherwise hands it back.
    fn give(&self, found: Found<S>) -> Option<Found<S>> {
        if self.hungry.load(Ordering::Relaxed) == 0 {
            return Some(found);
        }
        let mut queue = self.lock();
        if queue.states.len() >= self.hungry.load(Ordering::Relaxed) {
            return Some(found);
        }
        queue.states.push(found);
        self.wake.notify_one();
        None
    }

    /// Stops every worker: a state broke a property.
    fn stop(&self) {
        self.broken.store(true, Ordering::Relaxed);
        self.lock().done = true;
        self.wake.notify_all();
    }
}

/// Depth-first search on `checker.threads` workers (the caller checks
/// that no reduction or bound is on: those make the result depend on the
/// visiting order).
pub(super) fn run<M: Model>(checker: &Checker<'_, M>) -> Report<M::Action> {
    let started = Instant::now();
    let model = checker.model;
    let properties = model.properties();
    let shared = Shared {
        visited: ConcurrentSet::new(checker.threads),
        queue: Mutex::new(Queue {
            states: Vec::new(),
            idle: 0,
            done: false,
        }),
        wake: Condvar::new(),
        hungry: AtomicUsize::new(0),
        broken: AtomicBool::new(false),
        unique: AtomicUsize::new(0),
        workers: checker.threads,
    };
    let mut start = Tally::default();
    let mut initial = Vec::new();
    let mut seeds = shared.visited.inserter(checker.threads);
    for state in model.init_states() {
        let fp = checker.key(&state);
        if !seeds.insert(fp) {
            continue;
        }
        start.unique += 1;
        start.represented += checker.represents(&state);
        start.fullest_buffer = start.fullest_buffer.max(model.fullest_buffer(&state));
        if broken_property(&properties, model, &state).is_some() {
            return dfs::run_from(checker, started);
        }
        initial.push(Found {
            state: Box::new(state),
            fp,
            depth: 0,
        });
    }
    drop(seeds);
    // Taken from the end: the first initial state goes first.
    initial.reverse();
    shared.lock().states = initial;
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..checker.threads)
            .map(|w| {
                let (shared, properties) = (&shared, &properties);
                scope.spawn(move || work(checker, w, shared, properties, started))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    if shared.broken.load(Ordering::Relaxed) {
        // Report the counterexample one thread finds, whatever the timing.
        return dfs::run_from(checker, started);
    }
    let mut report = Report::new();
    for t in std::iter::once(&start).chain(&tallies) {
        report.unique_states += t.unique;
        report.represented_states += t.represented;
        report.transitions += t.transitions;
        report.max_depth = report.max_depth.max(t.max_depth);
        report.fullest_buffer = report.fullest_buffer.max(t.fullest_buffer);
    }
    report.finish(started)
}

/// One worker: depth-first from each state it takes, until the search
/// ends.
fn work<M: Model>(
    checker: &Checker<'_, M>,
    worker: usize,
    shared: &Shared<M::State>,
    properties: &[Property<M>],
    started: Instant,
) -> Tally {
    let model = checker.model;
    let mut tally = Tally::default();
    let mut visited = shared.visited.inserter(worker);
    let mut counted = 0;
    // Successors are written into one scratch state and copied out only
    // when they are new, into the storage of popped frames when there is.
    let mut scratch: Option<M::State> = None;
    let mut spares: Vec<Box<M::State>> = Vec::new();
    let mut stack: Vec<Frame<M::State, M::Action>> = Vec::new();
    let no_reduction = |_| false;
    while let Some(Found { state, fp, depth }) = shared.take() {
        let scratch = scratch.get_or_insert_with(|| (*state).clone());
        stack.push(frame(checker, no_reduction, state, fp, None, scratch));
        while let Some(top) = stack.last_mut() {
            let Some(&index) = top.order.get(top.next) else {
                if let Some(done) = stack.pop() {
                    spares.push(done.state);
                }
                continue;
            };
            top.next += 1;
            model.next_state_into(&top.state, &top.actions[index], scratch);
            tally.transitions += 1;
            let fp = checker.successor_key(&top.state, top.fp, scratch);
            if !visited.insert(fp) {
                continue;
            }
            let next = match spares.pop() {
                Some(mut spare) => {
                    (*spare).clone_from(scratch);
                    spare
                }
                None => Box::new(scratch.clone()),
            };
            let next_depth = depth + stack.len();
            tally.unique += 1;
            tally.represented += checker.represents(&next);
            tally.max_depth = tally.max_depth.max(next_depth);
            tally.fullest_buffer = tally.fullest_buffer.max(model.fullest_buffer(&next));
            if tally.unique - counted == BATCH {
                counted = tally.unique;
                let before = shared.unique.fetch_add(BATCH, Ordering::Relaxed);
                if let Some(progress) = checker.progress {
                    if (before + BATCH) / PROGRESS_EVERY > before / PROGRESS_EVERY {
                        let mut snapshot = Report::<M::Action>::new();
                        snapshot.unique_states = before + BATCH;
                        progress(&snapshot.progress(next_depth, stack.len(), started));
                    }
                }
            }
            if shared.broken.load(Ordering::Relaxed) {
                break;
            }
            if broken_property(properties, model, &next).is_some() {
                shared.stop();
                break;
            }
            let found = Found {
                state: next,
                fp,
                depth: next_depth,
            };
            if let Some(Found { state, fp, .. }) = shared.give(found) {
                stack.push(frame(
                    checker,
                    no_reduction,
                    state,
                    fp,
                    Some(index),
                    scratch,
                ));
            }
        }
        // Stopped early: the path is abandoned.
        spares.extend(stack.drain(..).map(|f| f.state));
    }
    tally
}
