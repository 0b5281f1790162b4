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
use super::dfs::{self, frame, next_move, Frame, Spares};
use super::report::Report;
use super::{broken_property, copy_over, Checker};
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
        self.end();
    }

    /// Ends the search: waiting workers return.
    fn end(&self) {
        self.lock().done = true;
        self.wake.notify_all();
    }
}

/// Ends the search if its worker panics (in the model or its host), so
/// that the others do not wait for it forever and the panic reaches the
/// caller.
struct EndOnPanic<'s, S>(&'s Shared<S>);

impl<S> Drop for EndOnPanic<'_, S> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.end();
        }
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
    let mut report = Report::new();
    let mut initial = Vec::new();
    let mut seeds = shared.visited.inserter(checker.threads);
    for state in model.init_states() {
        let fp = checker.key(&state);
        if !seeds.insert(fp) {
            continue;
        }
        checker.count_new(&mut report, &state, 0);
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
    let tallies: Vec<Report<M::Action>> = std::thread::scope(|scope| {
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
    let broken = shared.broken.load(Ordering::Relaxed);
    // The visited set and the queue are not needed any more.
    drop(shared);
    if broken {
        // Report the counterexample one thread finds, whatever the timing.
        return dfs::run_from(checker, started);
    }
    for t in tallies {
        report.unique_states += t.unique_states;
        report.represented_states += t.represented_states;
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
) -> Report<M::Action> {
    let model = checker.model;
    let _end_on_panic = EndOnPanic(shared);
    // This worker's counts.
    let mut tally = Report::new();
    let mut visited = shared.visited.inserter(worker);
    let mut counted = 0;
    // Successors are written into one scratch state and copied out only
    // when they are new, into the storage of popped frames when there is.
    let mut scratch: Option<M::State> = None;
    let mut spares = Spares::default();
    let mut stack: Vec<Frame<M::State, M::Action>> = Vec::new();
    let no_reduction = |_| false;
    while let Some(Found { state, fp, depth }) = shared.take() {
        let scratch = scratch.get_or_insert_with(|| (*state).clone());
        stack.push(frame(
            checker,
            no_reduction,
            state,
            fp,
            None,
            scratch,
            &mut spares,
        ));
        while let Some(index) = next_move(&mut stack, &mut spares) {
            let Some(top) = stack.last() else { break };
            model.next_state_into(&top.state, &top.actions[index], scratch);
            tally.transitions += 1;
            let fp = checker.successor_key(&top.state, top.fp, scratch);
            if !visited.insert(fp) {
                continue;
            }
            let next = copy_over(spares.states.pop(), scratch);
            let next_depth = depth + stack.len();
            checker.count_new(&mut tally, &next, next_depth);
            if tally.unique_states - counted == BATCH {
                counted = tally.unique_states;
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
                    &mut spares,
                ));
            }
        }
        // Stopped early: the path is abandoned.
        for frame in stack.drain(..) {
            spares.keep(frame);
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use crate::checker::{Checker, Verdict};
    use crate::model::{Model, Property};

    /// Pairs `(a, b)` with `a, b < size`: either counter goes up by one.
    /// `broken` names a pair that breaks the property `avoid`; `panics`
    /// one whose successors panic.
    struct Grid {
        size: u32,
        broken: Option<(u32, u32)>,
        panics: Option<(u32, u32)>,
    }

    impl Model for Grid {
        type State = (u32, u32);
        type Action = u8;

        fn init_states(&self) -> Vec<(u32, u32)> {
            vec![(0, 0)]
        }

        fn actions(&self, state: &(u32, u32), actions: &mut Vec<u8>) {
            if self.panics == Some(*state) {
                panic!("the model fails at {state:?}");
            }
            if state.0 + 1 < self.size {
                actions.push(0);
            }
            if state.1 + 1 < self.size {
                actions.push(1);
            }
        }

        fn next_state(&self, &(a, b): &(u32, u32), action: &u8) -> (u32, u32) {
            if *action == 0 {
                (a + 1, b)
            } else {
                (a, b + 1)
            }
        }

        fn fingerprint(&self, &(a, b): &(u32, u32)) -> u64 {
            (u64::from(a) << 32 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        }

        fn properties(&self) -> Vec<Property<Self>> {
            vec![Property::always("avoid", |m: &Grid, s| {
                m.broken != Some(*s)
            })]
        }
    }

    fn dfs(grid: &Grid, threads: usize) -> crate::checker::Report<u8> {
        Checker::new(grid)
            .threads(threads)
            .partial_order_reduction(false)
            .dfs()
    }

    #[test]
    fn every_state_is_visited_once_on_any_number_of_threads() {
        let grid = Grid {
            size: 300,
            broken: None,
            panics: None,
        };
        for threads in [1, 2, 4] {
            let report = dfs(&grid, threads);
            assert_eq!(report.verdict, Verdict::Holds);
            assert_eq!(report.unique_states, 300 * 300, "{threads} threads");
            assert_eq!(report.transitions, 2 * 300 * 299, "{threads} threads");
        }
    }

    #[test]
    fn the_counterexample_is_the_one_thread_one() {
        let grid = Grid {
            size: 200,
            broken: Some((150, 120)),
            panics: None,
        };
        let one = dfs(&grid, 1).counterexample.expect("a violation");
        for _ in 0..5 {
            let two = dfs(&grid, 2).counterexample.expect("a violation");
            assert_eq!((two.property, &two.actions), (one.property, &one.actions));
        }
    }

    #[test]
    fn a_panicking_model_panics_the_search_instead_of_hanging_it() {
        let grid = Grid {
            size: 200,
            broken: None,
            panics: Some((100, 100)),
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dfs(&grid, 2)));
        assert!(outcome.is_err());
    }
}
