//! A set of fingerprints that several worker threads insert into without
//! sharing a lock: an open-addressing table of atomic words, where an
//! insert claims an empty slot with one compare-and-swap.
//!
//! The table doubles when half full. Each worker holds a gate of its own
//! while it inserts (a lock no other worker touches, so it stays in that
//! worker's cache); growing takes every gate, so it never runs while an
//! insert does, and publishes the bigger table with a new generation that
//! each worker checks under its gate.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// An empty slot. A fingerprint of 0 is stored as [`ZERO_STANDS_FOR`]:
/// the two are one state to the set, like any other pair of states whose
/// 64-bit fingerprints collide.
const EMPTY: u64 = 0;
const ZERO_STANDS_FOR: u64 = 1;

/// Inserts a worker makes before it adds them to the shared count.
const BATCH: usize = 1024;

/// The fewest slots: far above what the workers' uncounted batches can
/// fill before a growth.
const MIN_SLOTS: usize = 1 << 16;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing guarded here is left half-written by a panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A worker's gate, alone on its cache lines (gates side by side would
/// bounce one line between the workers' caches on every insert).
#[repr(align(128))]
struct Gate(Mutex<()>);

/// One generation's slots.
struct Table {
    slots: Box<[AtomicU64]>,
}

impl Table {
    fn new(slots: usize) -> Self {
        Table {
            slots: (0..slots.next_power_of_two())
                .map(|_| AtomicU64::new(EMPTY))
                .collect(),
        }
    }

    /// Inserts `key` (never `EMPTY`): `Some(true)` if it was absent,
    /// `Some(false)` if present, `None` if the table is full.
    fn insert(&self, key: u64) -> Option<bool> {
        let mask = self.slots.len() - 1;
        let mut i = key as usize & mask;
        for _ in 0..self.slots.len() {
            let slot = &self.slots[i];
            let mut current = slot.load(Ordering::Relaxed);
            if current == EMPTY {
                match slot.compare_exchange(EMPTY, key, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => return Some(true),
                    Err(taken) => current = taken,
                }
            }
            if current == key {
                return Some(false);
            }
            i = (i + 1) & mask;
        }
        None
    }
}

/// The set, shared by the workers; each inserts through its
/// [`Inserter`].
pub(super) struct ConcurrentSet {
    /// The current table.
    current: Mutex<Arc<Table>>,
    /// Bumped when `current` is replaced.
    generation: AtomicU64,
    /// One per worker (and one for the thread that seeds the set).
    gates: Vec<Gate>,
    /// Serialises growers.
    growing: Mutex<()>,
    /// Entries, counted in batches.
    len: AtomicUsize,
}

impl ConcurrentSet {
    /// An empty set for `workers` workers.
    pub(super) fn new(workers: usize) -> Self {
        ConcurrentSet {
            current: Mutex::new(Arc::new(Table::new(MIN_SLOTS))),
            generation: AtomicU64::new(0),
            gates: (0..=workers).map(|_| Gate(Mutex::new(()))).collect(),
            growing: Mutex::new(()),
            len: AtomicUsize::new(0),
        }
    }

    /// The inserter of worker `worker` (`0..workers`; `workers` is the
    /// seeding thread's). Each worker must use its own.
    pub(super) fn inserter(&self, worker: usize) -> Inserter<'_> {
        Inserter {
            set: self,
            gate: worker.min(self.gates.len() - 1),
            table: Arc::clone(&lock(&self.current)),
            generation: self.generation.load(Ordering::Acquire),
            uncounted: 0,
        }
    }

    /// Doubles the table, unless another worker already grew it past
    /// `slots`.
    fn grow(&self, slots: usize) {
        let _one_grower = lock(&self.growing);
        let old = Arc::clone(&lock(&self.current));
        if old.slots.len() > slots {
            return;
        }
        let _gates: Vec<MutexGuard<'_, ()>> = self.gates.iter().map(|g| lock(&g.0)).collect();
        let bigger = Table::new(old.slots.len() * 2);
        for slot in old.slots.iter() {
            let key = slot.load(Ordering::Relaxed);
            if key != EMPTY {
                bigger.insert(key);
            }
        }
        *lock(&self.current) = Arc::new(bigger);
        self.generation.fetch_add(1, Ordering::Release);
    }
}

/// One worker's handle on a [`ConcurrentSet`].
pub(super) struct Inserter<'s> {
    set: &'s ConcurrentSet,
    gate: usize,
    table: Arc<Table>,
    generation: u64,
    uncounted: usize,
}

impl Inserter<'_> {
    /// Inserts `fp`: true if no worker had.
    pub(super) fn insert(&mut self, fp: u64) -> bool {
        let key = if fp == EMPTY { ZERO_STANDS_FOR } else { fp };
        loop {
            let inserted = {
                let _gate = lock(&self.set.gates[self.gate].0);
                let generation = self.set.generation.load(Ordering::Acquire);
                if generation != self.generation {
                    self.table = Arc::clone(&lock(&self.set.current));
                    self.generation = generation;
                }
                self.table.insert(key)
            };
            match inserted {
                Some(true) => {
                    self.uncounted += 1;
                    if self.uncounted == BATCH {
                        self.count();
                    }
                    return true;
                }
                Some(false) => return false,
                // Full: more than the batches let through since the last
                // count. Grow, then try again.
                None => self.set.grow(self.table.slots.len()),
            }
        }
    }

    /// Adds this worker's new entries to the shared count, and grows the
    /// table once it is half full.
    fn count(&mut self) {
        let len = self.set.len.fetch_add(self.uncounted, Ordering::Relaxed) + self.uncounted;
        self.uncounted = 0;
        let slots = self.table.slots.len();
        if len * 2 > slots {
            self.set.grow(slots);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ConcurrentSet;

    #[test]
    fn each_fingerprint_is_new_once_across_threads_and_growths() {
        let set = ConcurrentSet::new(2);
        let count = 200_000u64;
        let new: Vec<usize> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..2)
                .map(|w| {
                    let set = &set;
                    scope.spawn(move || {
                        let mut inserter = set.inserter(w);
                        // Both threads insert every fingerprint (0 too),
                        // in opposite orders.
                        let mut fresh = 0;
                        for i in 0..count {
                            let i = if w == 0 { i } else { count - 1 - i };
                            let fp = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                            fresh += usize::from(inserter.insert(fp));
                            assert!(!inserter.insert(fp));
                        }
                        fresh
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap_or(0)).collect()
        });
        assert_eq!(new.iter().sum::<usize>(), count as usize);
        let mut seed = set.inserter(2);
        assert!(!seed.insert(0) && !seed.insert(1));
        assert!(seed.insert(u64::MAX));
    }
}
