//! The replay-proof log: one entry per message consumed in a strict replay
//! mode, carrying the roots of the receiving edge's accumulator before and
//! after the message's nullifier was added, and a verifier of the chaining.
//!
//! Each directed edge of a session keeps an accumulator root over the
//! nullifiers it has consumed, starting at 32 zero bytes:
//! `root' = SHA-256(ACCUMULATOR_TAG || root || nullifier)`.

use crate::effect::trace::EffectTraceEntry;
use crate::ids::{SessionId, Tick};
use crate::machine::ProtocolMachine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use telltale_compiler::RoleId;
use thiserror::Error;

/// Domain tag of the per-edge consumed-identity accumulator.
pub const ACCUMULATOR_TAG: &[u8] = b"telltale.comm.accumulator.v1";

/// One accumulator step.
pub fn accumulate(root: &[u8; 32], nullifier: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(ACCUMULATOR_TAG);
    h.update(root);
    h.update(nullifier);
    h.finalize().into()
}

/// One consumed message: the receiving edge's accumulator roots around it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayProofEntry {
    /// Tick of the receive.
    pub tick: Tick,
    /// Session.
    pub session: SessionId,
    /// Sender.
    pub from: RoleId,
    /// Receiver.
    pub to: RoleId,
    /// The message's sequence number on the edge.
    pub seq: u64,
    /// The message's nullifier (canonical identity digest).
    pub nullifier: [u8; 32],
    /// Edge accumulator root before the message.
    pub pre_root: [u8; 32],
    /// Edge accumulator root after the message.
    pub post_root: [u8; 32],
}

/// Why a replay-proof log does not verify.
#[derive(Clone, Debug, Error, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplayProofError {
    /// An entry's post-root is not the accumulation of its pre-root and
    /// nullifier.
    #[error("entry {index} (session {session}, seq {seq}): post-root is not the accumulation of its pre-root and nullifier")]
    BadStep {
        /// Index in the log.
        index: usize,
        /// Session.
        session: SessionId,
        /// Sequence number.
        seq: u64,
    },
    /// An entry's pre-root is not its edge's previous post-root.
    #[error("entry {index} (session {session}, seq {seq}): pre-root does not continue the edge's previous post-root")]
    Unchained {
        /// Index in the log.
        index: usize,
        /// Session.
        session: SessionId,
        /// Sequence number.
        seq: u64,
    },
}

/// Checks a replay-proof log: every entry's post-root accumulates its
/// nullifier onto its pre-root, and each entry's pre-root equals the
/// previous post-root of the same (session, from, to) edge. The first entry
/// of an edge in the slice is its anchor (a log truncated by retention
/// starts mid-history); use [`verify_replay_proof_from_genesis`] to also
/// demand that every edge starts from the empty root.
pub fn verify_replay_proof(entries: &[ReplayProofEntry]) -> Result<(), ReplayProofError> {
    verify(entries, false)
}

/// [`verify_replay_proof`], with every edge's first entry required to start
/// from the empty (all-zero) root.
pub fn verify_replay_proof_from_genesis(
    entries: &[ReplayProofEntry],
) -> Result<(), ReplayProofError> {
    verify(entries, true)
}

fn verify(entries: &[ReplayProofEntry], genesis: bool) -> Result<(), ReplayProofError> {
    let mut heads: BTreeMap<(SessionId, RoleId, RoleId), [u8; 32]> = BTreeMap::new();
    for (index, e) in entries.iter().enumerate() {
        if accumulate(&e.pre_root, &e.nullifier) != e.post_root {
            return Err(ReplayProofError::BadStep {
                index,
                session: e.session,
                seq: e.seq,
            });
        }
        let expected = heads
            .get(&(e.session, e.from, e.to))
            .copied()
            .or(genesis.then_some([0; 32]));
        if expected.is_some_and(|h| h != e.pre_root) {
            return Err(ReplayProofError::Unchained {
                index,
                session: e.session,
                seq: e.seq,
            });
        }
        heads.insert((e.session, e.from, e.to), e.post_root);
    }
    Ok(())
}

/// What a host exports to replay and audit a run: the effect trace (what
/// replay feeds back) and the replay-proof log, both as retained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayFragment {
    /// The retained effect trace, oldest first.
    pub effect_trace: Vec<EffectTraceEntry>,
    /// The retained replay-proof log, oldest first (empty when
    /// `communication_replay_mode` is `Off`).
    pub replay_proofs: Vec<ReplayProofEntry>,
}

impl ProtocolMachine {
    /// The retained replay-proof log, oldest first (bounded by
    /// `Config::effect_trace_retention`; empty when the replay mode is
    /// `Off`).
    pub fn replay_proof_log(&self) -> Vec<ReplayProofEntry> {
        self.replay_proofs.to_vec()
    }

    /// The replay fragment of the run so far: effect trace and proof log.
    pub fn replay_fragment(&self) -> ReplayFragment {
        ReplayFragment {
            effect_trace: self.effect_trace(),
            replay_proofs: self.replay_proof_log(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(edges: &[(SessionId, u8)]) -> Vec<ReplayProofEntry> {
        let mut roots: BTreeMap<SessionId, [u8; 32]> = BTreeMap::new();
        let mut seqs: BTreeMap<SessionId, u64> = BTreeMap::new();
        edges
            .iter()
            .map(|&(session, n)| {
                let pre = roots.get(&session).copied().unwrap_or([0; 32]);
                let nullifier = [n; 32];
                let post = accumulate(&pre, &nullifier);
                roots.insert(session, post);
                let seq = seqs.entry(session).or_insert(0);
                *seq += 1;
                ReplayProofEntry {
                    tick: u64::from(n),
                    session,
                    from: 0,
                    to: 1,
                    seq: *seq - 1,
                    nullifier,
                    pre_root: pre,
                    post_root: post,
                }
            })
            .collect()
    }

    #[test]
    fn interleaved_edges_verify_and_breaks_are_named() {
        let good = log(&[(0, 1), (1, 2), (0, 3), (1, 4), (0, 5)]);
        assert_eq!(verify_replay_proof(&good), Ok(()));
        assert_eq!(verify_replay_proof_from_genesis(&good), Ok(()));
        // A truncated log anchors at its first entry per edge.
        assert_eq!(verify_replay_proof(&good[2..]), Ok(()));
        assert!(matches!(
            verify_replay_proof_from_genesis(&good[2..]),
            Err(ReplayProofError::Unchained { index: 0, .. })
        ));
        let mut dropped = good.clone();
        dropped.remove(2);
        assert_eq!(
            verify_replay_proof(&dropped),
            Err(ReplayProofError::Unchained {
                index: 3,
                session: 0,
                seq: 2
            })
        );
        let mut forged = good.clone();
        forged[1].nullifier[0] ^= 1;
        assert!(matches!(
            verify_replay_proof(&forged),
            Err(ReplayProofError::BadStep { index: 1, .. })
        ));
        assert_eq!(verify_replay_proof(&[]), Ok(()));
    }
}
