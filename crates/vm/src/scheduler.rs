//! The ready queue and scheduling policies.
//!
//! A policy only changes the order in which ready coroutines are picked,
//! never what an instruction means.

use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// How the scheduler picks among ready coroutines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SchedulerPolicy {
    /// The running coroutine keeps running until it blocks, yields or ends.
    Cooperative,
    /// Each coroutine runs one instruction, then goes to the back.
    RoundRobin,
    /// Highest priority first (FIFO among equals); priorities by role name,
    /// default 0.
    Priority {
        /// `(role name, priority)` pairs.
        priorities: Vec<(String, u8)>,
    },
    /// Coroutines holding progress tokens (messages waiting for them) first,
    /// FIFO otherwise.
    ProgressAware,
}

/// The queue of runnable coroutine slots (`Clone` reuses storage:
/// `explore/clone_into.rs`).
#[derive(Debug, Serialize, Deserialize)]
pub struct ReadyQueue {
    pub(crate) kind: QueueKind,
    /// The coroutine a cooperative reschedule put back at the front (kept
    /// out of the deque: it is popped again at once in the common case).
    pub(crate) front: Option<u32>,
    pub(crate) fifo: VecDeque<u32>,
    pub(crate) boosted: VecDeque<u32>,
    pub(crate) heap: BinaryHeap<(u8, Reverse<u64>, u32)>,
    pub(crate) seq: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum QueueKind {
    Cooperative,
    RoundRobin,
    Priority,
    ProgressAware,
}

impl QueueKind {
    /// The queue a policy uses.
    pub(crate) fn of(policy: &SchedulerPolicy) -> Self {
        match policy {
            SchedulerPolicy::Cooperative => QueueKind::Cooperative,
            SchedulerPolicy::RoundRobin => QueueKind::RoundRobin,
            SchedulerPolicy::Priority { .. } => QueueKind::Priority,
            SchedulerPolicy::ProgressAware => QueueKind::ProgressAware,
        }
    }
}

impl ReadyQueue {
    /// Every queued slot, in no particular order (for checkpoint checks).
    pub(crate) fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.front
            .iter()
            .copied()
            .chain(self.fifo.iter().copied())
            .chain(self.boosted.iter().copied())
            .chain(self.heap.iter().map(|(_, _, slot)| *slot))
    }

    /// An empty queue for a policy.
    pub fn new(policy: &SchedulerPolicy) -> Self {
        ReadyQueue {
            kind: QueueKind::of(policy),
            front: None,
            fifo: VecDeque::new(),
            boosted: VecDeque::new(),
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Adds a newly runnable coroutine.
    #[inline]
    pub fn push(&mut self, slot: u32, priority: u8, has_progress: bool) {
        match self.kind {
            QueueKind::Cooperative | QueueKind::RoundRobin => self.fifo.push_back(slot),
            QueueKind::ProgressAware => {
                if has_progress {
                    self.boosted.push_back(slot);
                } else {
                    self.fifo.push_back(slot);
                }
            }
            QueueKind::Priority => {
                self.seq += 1;
                self.heap.push((priority, Reverse(self.seq), slot));
            }
        }
    }

    /// Puts back a coroutine that ran and can continue.
    #[inline]
    pub fn reschedule(&mut self, slot: u32, priority: u8, has_progress: bool) {
        if self.kind == QueueKind::Cooperative {
            if let Some(previous) = self.front.replace(slot) {
                self.fifo.push_front(previous);
            }
        } else {
            self.push(slot, priority, has_progress);
        }
    }

    /// Takes the next coroutine to run. The cooperative runner that was
    /// just put back is the common case and is tested first.
    #[inline]
    pub fn pop(&mut self) -> Option<u32> {
        if let Some(slot) = self.front.take() {
            return Some(slot);
        }
        self.pop_queued()
    }

    /// Takes the next coroutine from the policy's queues.
    #[inline]
    fn pop_queued(&mut self) -> Option<u32> {
        match self.kind {
            QueueKind::Cooperative | QueueKind::RoundRobin => self.fifo.pop_front(),
            QueueKind::ProgressAware => self.boosted.pop_front().or_else(|| self.fifo.pop_front()),
            QueueKind::Priority => self.heap.pop().map(|(_, _, slot)| slot),
        }
    }

    /// Whether nothing is runnable.
    pub fn is_empty(&self) -> bool {
        self.front.is_none()
            && self.fifo.is_empty()
            && self.boosted.is_empty()
            && self.heap.is_empty()
    }

    /// Number of queued coroutines.
    pub fn len(&self) -> usize {
        usize::from(self.front.is_some()) + self.fifo.len() + self.boosted.len() + self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(policy: SchedulerPolicy, pushes: &[(u32, u8, bool)], expected: &[u32]) {
        let mut q = ReadyQueue::new(&policy);
        for (slot, prio, progress) in pushes {
            q.push(*slot, *prio, *progress);
        }
        let mut got = Vec::new();
        while let Some(s) = q.pop() {
            got.push(s);
        }
        assert_eq!(got, expected, "{policy:?}");
    }

    #[test]
    fn policies_order_picks() {
        let pushes = [(1, 0, false), (2, 5, true), (3, 5, false), (4, 1, true)];
        check(SchedulerPolicy::RoundRobin, &pushes, &[1, 2, 3, 4]);
        check(SchedulerPolicy::Cooperative, &pushes, &[1, 2, 3, 4]);
        check(
            SchedulerPolicy::Priority { priorities: vec![] },
            &pushes,
            &[2, 3, 4, 1],
        );
        check(SchedulerPolicy::ProgressAware, &pushes, &[2, 4, 1, 3]);
    }

    #[test]
    fn cooperative_front_is_popped_first() {
        let mut q = ReadyQueue::new(&SchedulerPolicy::Cooperative);
        q.push(1, 0, false);
        q.reschedule(7, 0, false);
        q.reschedule(8, 0, false);
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop(), Some(8));
        assert_eq!(q.pop(), Some(7));
        assert_eq!(q.pop(), Some(1));
        assert!(q.is_empty());
    }

    #[test]
    fn cooperative_keeps_the_runner() {
        let mut q = ReadyQueue::new(&SchedulerPolicy::Cooperative);
        q.push(1, 0, false);
        q.push(2, 0, false);
        let first = q.pop().unwrap_or(0);
        q.reschedule(first, 0, false);
        assert_eq!(q.pop(), Some(1));
        let mut rr = ReadyQueue::new(&SchedulerPolicy::RoundRobin);
        rr.push(1, 0, false);
        rr.push(2, 0, false);
        let first = rr.pop().unwrap_or(0);
        rr.reschedule(first, 0, false);
        assert_eq!(rr.pop(), Some(2));
    }
}
