//! The visited sets and parent maps of the checkers, keyed by state
//! fingerprints.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use telltale_vm::IdHasher;

/// Fingerprints are already uniform 64-bit hashes of state encodings:
/// the machine's one-multiply id hasher is all they need (SipHash, the
/// standard maps' default, only costs time on every lookup).
type ByFingerprint = BuildHasherDefault<IdHasher>;

/// A map from fingerprints.
pub(super) type FingerprintMap<V> = HashMap<u64, V, ByFingerprint>;

/// A set of fingerprints.
pub(super) type FingerprintSet = HashSet<u64, ByFingerprint>;

/// Fingerprints claimed by the workers of one breadth-first level: the
/// worker that claims a fingerprint first copies that state out, the
/// others only name it. Sharded by fingerprint so two workers rarely wait
/// for each other.
pub(super) struct ClaimSet {
    shards: Vec<std::sync::Mutex<FingerprintSet>>,
}

impl ClaimSet {
    const SHARDS: usize = 64;

    /// An empty set.
    pub(super) fn new() -> Self {
        ClaimSet {
            shards: (0..Self::SHARDS).map(|_| Default::default()).collect(),
        }
    }

    fn shard(&self, fp: u64) -> std::sync::MutexGuard<'_, FingerprintSet> {
        // A worker that panicked mid-insert leaves a set that is still a
        // set: go on with it.
        let shard = &self.shards[(fp >> 58) as usize % Self::SHARDS];
        shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Claims `fp`: true if no worker had.
    pub(super) fn claim(&self, fp: u64) -> bool {
        self.shard(fp).insert(fp)
    }

    /// Gives up a claim (its copy was dropped).
    pub(super) fn release(&self, fp: u64) {
        self.shard(fp).remove(&fp);
    }

    /// Forgets every claim, for the next level.
    pub(super) fn clear(&mut self) {
        for shard in &mut self.shards {
            shard
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clear();
        }
    }
}
