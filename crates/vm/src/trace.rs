//! Append-only traces with bounded retention.

use serde::{Deserialize, Serialize};

/// How many entries a trace keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceRetention {
    /// Every entry.
    KeepAll,
    /// The most recent `n` entries, in a ring buffer.
    KeepLast(usize),
    /// None (only the count of pushed entries is kept).
    Off,
}

/// A trace log: a ring buffer when retention is bounded, so that pushing
/// never shifts and memory never grows past the bound. A full ring
/// overwrites its oldest entry in place.
#[derive(Debug, Serialize, Deserialize)]
pub struct TraceLog<T> {
    retention: TraceRetention,
    entries: Vec<T>,
    /// Index of the oldest entry once the ring is full (0 otherwise).
    start: usize,
    pushed: u64,
    /// Cached `is_recording()` (recomputed on restore).
    #[serde(skip)]
    recording: bool,
    /// Whether the log is a bounded ring that is full (the steady state:
    /// every push overwrites in place; recomputed on restore).
    #[serde(skip)]
    full: bool,
}

impl<T: Clone> Clone for TraceLog<T> {
    fn clone(&self) -> Self {
        TraceLog {
            retention: self.retention,
            entries: self.entries.clone(),
            start: self.start,
            pushed: self.pushed,
            recording: self.recording,
            full: self.full,
        }
    }

    /// Reuses the entries' storage: the explorer copies machine states
    /// over each other once per transition.
    fn clone_from(&mut self, source: &Self) {
        let TraceLog {
            retention,
            entries,
            start,
            pushed,
            recording,
            full,
        } = self;
        *retention = source.retention;
        crate::explore::copy_vec(entries, &source.entries);
        *start = source.start;
        *pushed = source.pushed;
        *recording = source.recording;
        *full = source.full;
    }
}

impl<T> TraceLog<T> {
    /// An empty log with the given retention.
    pub fn new(retention: TraceRetention) -> Self {
        TraceLog {
            retention,
            entries: Vec::new(),
            start: 0,
            pushed: 0,
            recording: !matches!(retention, TraceRetention::Off | TraceRetention::KeepLast(0)),
            full: false,
        }
    }

    /// Whether entries are kept at all (callers skip building them if not).
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Appends an entry, evicting the oldest when the ring is full. The
    /// steady state of a bounded log (a full ring) is an in-place
    /// overwrite, kept inline; growth and unbounded logs take the slow path.
    #[inline(always)]
    pub fn push(&mut self, entry: T) {
        self.pushed += 1;
        if self.full {
            let slot = self.start;
            if let Some(old) = self.entries.get_mut(slot) {
                *old = entry;
            }
            let next = slot + 1;
            self.start = if next == self.entries.len() { 0 } else { next };
            return;
        }
        self.push_slow(entry);
    }

    #[inline(never)]
    fn push_slow(&mut self, entry: T) {
        match self.retention {
            TraceRetention::KeepAll => self.entries.push(entry),
            TraceRetention::KeepLast(0) | TraceRetention::Off => {}
            TraceRetention::KeepLast(n) => {
                self.entries.push(entry);
                self.full = self.entries.len() == n;
            }
        }
    }

    /// The retained entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries[self.start..]
            .iter()
            .chain(self.entries[..self.start].iter())
    }

    /// Number of retained entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is retained.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Moves the retained entries, oldest first, onto the end of `into`
    /// and leaves the log empty (its count of pushed entries stays): a
    /// driver that keeps the events itself reads each one once, without
    /// copying.
    pub fn drain_into(&mut self, into: &mut Vec<T>) {
        if into.is_empty() && self.start == 0 {
            // The common case, in O(1): the log takes `into`'s buffer.
            std::mem::swap(into, &mut self.entries);
            self.full = false;
            return;
        }
        into.extend(self.entries.drain(self.start..));
        into.append(&mut self.entries);
        self.start = 0;
        self.full = false;
    }

    /// Number of entries ever pushed, retained or not.
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Checks a log decoded from a checkpoint against the configured
    /// `retention` and re-derives its cached flags.
    pub(crate) fn check_restored(&mut self, retention: TraceRetention) -> Result<(), String> {
        if self.retention != retention {
            return Err(format!(
                "trace retention {:?} differs from the configuration's {retention:?}",
                self.retention
            ));
        }
        let len = self.entries.len();
        let (fits, full) = match retention {
            TraceRetention::KeepAll => (true, false),
            TraceRetention::KeepLast(n) => (len <= n, n > 0 && len == n),
            TraceRetention::Off => (len == 0, false),
        };
        let start_ok = if full {
            self.start < len
        } else {
            self.start == 0
        };
        if !fits || !start_ok || self.pushed < len as u64 {
            return Err(format!(
                "trace log of {len} entries (start {}, pushed {}) does not fit {retention:?}",
                self.start, self.pushed
            ));
        }
        self.recording = !matches!(retention, TraceRetention::Off | TraceRetention::KeepLast(0));
        self.full = full;
        Ok(())
    }
}

impl<T: Clone> TraceLog<T> {
    /// A copy of the retained entries, oldest first.
    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(retention: TraceRetention, pushes: u32, expected: &[u32]) {
        let mut log = TraceLog::new(retention);
        for i in 0..pushes {
            log.push(i);
        }
        assert_eq!(log.to_vec(), expected, "{retention:?}");
        assert_eq!(log.pushed(), u64::from(pushes));
    }

    #[test]
    fn retention_bounds_the_log() {
        check(TraceRetention::KeepAll, 4, &[0, 1, 2, 3]);
        check(TraceRetention::KeepLast(2), 5, &[3, 4]);
        check(TraceRetention::KeepLast(3), 7, &[4, 5, 6]);
        check(TraceRetention::KeepLast(3), 2, &[0, 1]);
        check(TraceRetention::KeepLast(0), 5, &[]);
        check(TraceRetention::Off, 5, &[]);
    }

    #[test]
    fn draining_moves_the_entries_out_oldest_first() {
        let mut ring = TraceLog::new(TraceRetention::KeepLast(3));
        for i in 0..5u32 {
            ring.push(i);
        }
        let mut out = vec![9];
        ring.drain_into(&mut out);
        assert_eq!(out, [9, 2, 3, 4]);
        assert!(ring.is_empty());
        ring.push(5);
        ring.drain_into(&mut out);
        assert_eq!(out, [9, 2, 3, 4, 5]);
        assert_eq!(ring.pushed(), 6);
        let mut all = TraceLog::new(TraceRetention::KeepAll);
        all.push(1u32);
        all.drain_into(&mut out);
        all.push(2);
        all.drain_into(&mut out);
        assert_eq!(out[5..], [1, 2]);
        let mut fresh = Vec::new();
        all.push(3);
        all.push(4);
        all.drain_into(&mut fresh);
        assert_eq!(fresh, [3, 4]);
        all.push(5);
        let mut next = Vec::new();
        all.drain_into(&mut next);
        assert_eq!(next, [5]);
        assert!(all.is_empty());
        assert_eq!(all.pushed(), 5);
    }
}
