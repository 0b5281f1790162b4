//! Replay consumption (`Config::communication_replay_mode` is `Sequence` or
//! `Nullifier`): canonical message identities, nullifiers, the per-edge
//! consumed sets and accumulator roots, and the receive-side policy check.
//!
//! Nothing here runs when the mode is `Off`: the send path only stamps the
//! envelope with its session id, and the receive path checks one flag.
//!
//! The canonical identity of a message is SHA-256 over, in order:
//! the domain tag `telltale.comm.identity.v1`, the session id (u64), the
//! sender and receiver role names, the step kind (one byte, see
//! [`StepKind`]), the label name, the payload digest (32 bytes, SHA-256 of
//! the postcard encoding of the payload) and the sequence number (u64).
//! Integers are fixed-width big-endian; strings are prefixed with their byte
//! length as a big-endian u32. That digest is the message's *nullifier*.

use crate::buffer::{BufferMode, Envelope};
use crate::config::CommunicationReplayMode;
use crate::fault::Fault;
use crate::ids::SessionId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use telltale_compiler::{LabelId, RoleId, Symbols, Value};

/// Domain tag of canonical message identities.
pub const IDENTITY_TAG: &[u8] = b"telltale.comm.identity.v1";

/// The kind of communication step a message identity names. A message's
/// identity uses the kind of the step that *sent* it: `Send` for a
/// single-label message, `Offer` for a choice. The receiver derives it from
/// its own instruction (a `Receive` pairs with a `Send`, a `Choose` with an
/// `Offer`), so both ends compute the same identity. `Recv` and `Choose`
/// exist for identities of receive-side steps and are not used by messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum StepKind {
    /// A single-label send (byte 0).
    Send,
    /// A single-label receive (byte 1).
    Recv,
    /// An internal choice (byte 2).
    Offer,
    /// An external choice (byte 3).
    Choose,
}

impl StepKind {
    /// The byte the identity encoding uses.
    pub fn code(self) -> u8 {
        match self {
            StepKind::Send => 0,
            StepKind::Recv => 1,
            StepKind::Offer => 2,
            StepKind::Choose => 3,
        }
    }
}

/// The canonical identity of one message.
#[derive(Clone, Copy, Debug)]
pub struct MessageIdentity<'a> {
    /// Session id.
    pub session: SessionId,
    /// Sender role name.
    pub from: &'a str,
    /// Receiver role name.
    pub to: &'a str,
    /// Step kind of the sending step.
    pub kind: StepKind,
    /// Label name.
    pub label: &'a str,
    /// Payload.
    pub payload: &'a Value,
    /// Sequence number on the session-qualified edge.
    pub seq: u64,
}

/// SHA-256 of the postcard encoding of a payload.
pub fn payload_digest(payload: &Value) -> [u8; 32] {
    let mut h = Sha256::new();
    match postcard::to_allocvec(payload) {
        Ok(bytes) => h.update(&bytes),
        // Unguarded encoding takes values of any depth; a marker keeps the
        // digest defined should it ever fail.
        Err(_) => h.update([0xFF]),
    }
    h.finalize().into()
}

/// A length-prefixed (big-endian u32) byte string.
fn put_str(h: &mut Sha256, s: &[u8]) {
    h.update((s.len() as u32).to_be_bytes());
    h.update(s);
}

/// The nullifier of a message: SHA-256 over its canonical identity.
pub fn nullifier(id: &MessageIdentity<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    put_str(&mut h, IDENTITY_TAG);
    h.update(id.session.to_be_bytes());
    put_str(&mut h, id.from.as_bytes());
    put_str(&mut h, id.to.as_bytes());
    h.update([id.kind.code()]);
    put_str(&mut h, id.label.as_bytes());
    h.update(payload_digest(id.payload));
    h.update(id.seq.to_be_bytes());
    h.finalize().into()
}

/// Why a strict replay mode refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplayRejection {
    /// The message's identity, or its sequence number on this edge, was
    /// already consumed (a duplicate; with signatures on, a message reusing
    /// a consumed number cannot be forged).
    Duplicate,
    /// The message was stamped by another session (lifted from another
    /// session's edge).
    CrossSession {
        /// The session that sent it.
        origin: SessionId,
    },
}

impl std::fmt::Display for ReplayRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayRejection::Duplicate => write!(f, "its identity was already consumed"),
            ReplayRejection::CrossSession { origin } => {
                write!(f, "it was sent in session {origin}")
            }
        }
    }
}

/// Consumed identities of one directed edge.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EdgeReplay {
    /// Every sequence number below this one has been consumed.
    pub(crate) watermark: u64,
    /// Consumed identities at or above the watermark, by sequence number
    /// (only non-empty after out-of-order consumption in `Nullifier` mode).
    pub(crate) above: BTreeMap<u64, [u8; 32]>,
    /// Root of the accumulator over consumed nullifiers.
    pub(crate) root: [u8; 32],
}

/// Replay-consumption state of one session: one [`EdgeReplay`] per
/// directed edge, indexed like the session's edges. Dropped when the
/// session finishes (close, cancel) and released with it by reaping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionReplay {
    pub(crate) edges: Vec<EdgeReplay>,
}

/// What a receive commits once its handler call succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReplayCommit {
    pub(crate) nullifier: [u8; 32],
    pub(crate) pre_root: [u8; 32],
    pub(crate) post_root: [u8; 32],
}

impl SessionReplay {
    /// Empty state for `edges` directed edges.
    pub(crate) fn new(edges: usize) -> Self {
        SessionReplay {
            edges: vec![EdgeReplay::default(); edges],
        }
    }

    /// Number of consumed identities kept above the watermarks.
    #[cfg(test)]
    pub(crate) fn retained(&self) -> usize {
        self.edges.iter().map(|e| e.above.len()).sum()
    }

    /// Records a consumed message of edge `index`.
    pub(crate) fn commit(&mut self, index: usize, seq: u64, c: &ReplayCommit, latest_value: bool) {
        let Some(edge) = self.edges.get_mut(index) else {
            return;
        };
        edge.root = c.post_root;
        if seq == edge.watermark {
            edge.watermark += 1;
            while edge.above.remove(&edge.watermark).is_some() {
                edge.watermark += 1;
            }
        } else if seq > edge.watermark {
            if latest_value {
                // Overwritten messages never arrive: nothing older is owed.
                edge.watermark = seq + 1;
                edge.above.retain(|k, _| *k > seq);
            } else {
                edge.above.insert(seq, c.nullifier);
            }
        }
    }
}

/// Where a receive happens, for [`check`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReceiveSite {
    pub(crate) session: SessionId,
    pub(crate) from: RoleId,
    pub(crate) to: RoleId,
    pub(crate) choice: bool,
    pub(crate) edge_index: usize,
    pub(crate) next_recv_seq: u64,
}

/// The policy check of a receive in a strict mode (run after the signature
/// check, before the monitor step and the handler). Returns what to commit.
#[cold]
#[inline(never)]
pub(crate) fn check(
    mode: CommunicationReplayMode,
    buffer: BufferMode,
    symbols: &Symbols,
    replay: Option<&SessionReplay>,
    site: ReceiveSite,
    envelope: &Envelope,
) -> Result<ReplayCommit, Fault> {
    let reject = |reason| Fault::ReplayDetected {
        session: site.session,
        from: symbols.role_name(site.from),
        to: symbols.role_name(site.to),
        seq: envelope.seq,
        reason,
    };
    if envelope.session != site.session {
        return Err(reject(ReplayRejection::CrossSession {
            origin: envelope.session,
        }));
    }
    if mode == CommunicationReplayMode::Sequence {
        let expected = site.next_recv_seq;
        let ok = match buffer {
            BufferMode::Fifo => envelope.seq == expected,
            BufferMode::LatestValue => envelope.seq >= expected,
        };
        if !ok {
            return Err(Fault::SequenceMismatch {
                session: site.session,
                from: symbols.role_name(site.from),
                to: symbols.role_name(site.to),
                expected,
                actual: envelope.seq,
            });
        }
    }
    let edge = replay.and_then(|r| r.edges.get(site.edge_index));
    if mode == CommunicationReplayMode::Nullifier {
        if let Some(e) = edge {
            if envelope.seq < e.watermark || e.above.contains_key(&envelope.seq) {
                return Err(reject(ReplayRejection::Duplicate));
            }
        }
    }
    let name = |r: RoleId| symbols.role(r).map_or("", |r| r.as_str());
    let label = |l: LabelId| symbols.label(l).map_or("", |l| l.name());
    let nullifier = nullifier(&MessageIdentity {
        session: site.session,
        from: name(site.from),
        to: name(site.to),
        kind: if site.choice {
            StepKind::Offer
        } else {
            StepKind::Send
        },
        label: label(envelope.label),
        payload: &envelope.payload,
        seq: envelope.seq,
    });
    let pre_root = edge.map_or([0; 32], |e| e.root);
    Ok(ReplayCommit {
        nullifier,
        pre_root,
        post_root: crate::replay::proof::accumulate(&pre_root, &nullifier),
    })
}

/// The commit of a receive in a strict mode: the edge's consumed set and
/// root advance, and the proof entry is appended to the log.
#[cold]
#[inline(never)]
pub(crate) fn record(
    replay: Option<&mut SessionReplay>,
    log: &mut crate::trace::TraceLog<crate::replay::proof::ReplayProofEntry>,
    edge_index: usize,
    entry: crate::replay::proof::ReplayProofEntry,
    latest_value: bool,
) {
    if let Some(r) = replay {
        let commit = ReplayCommit {
            nullifier: entry.nullifier,
            pre_root: entry.pre_root,
            post_root: entry.post_root,
        };
        r.commit(edge_index, entry.seq, &commit, latest_value);
    }
    log.push(entry);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(seq: u64, session: SessionId) -> [u8; 32] {
        nullifier(&MessageIdentity {
            session,
            from: "A",
            to: "B",
            kind: StepKind::Send,
            label: "m",
            payload: &Value::Int(1),
            seq,
        })
    }

    #[test]
    fn every_field_changes_the_nullifier() {
        let base = MessageIdentity {
            session: 1,
            from: "A",
            to: "B",
            kind: StepKind::Send,
            label: "m",
            payload: &Value::Int(1),
            seq: 0,
        };
        let n = nullifier(&base);
        assert_eq!(n, nullifier(&base));
        let two = Value::Int(2);
        let variants = [
            MessageIdentity { session: 2, ..base },
            MessageIdentity { from: "C", ..base },
            MessageIdentity { to: "C", ..base },
            MessageIdentity {
                kind: StepKind::Offer,
                ..base
            },
            MessageIdentity { label: "n", ..base },
            MessageIdentity {
                payload: &two,
                ..base
            },
            MessageIdentity { seq: 1, ..base },
            // Length prefixes keep field boundaries apart.
            MessageIdentity {
                from: "AB",
                to: "",
                ..base
            },
        ];
        for v in variants {
            assert_ne!(nullifier(&v), n, "{v:?}");
        }
    }

    #[test]
    fn the_watermark_absorbs_in_order_and_reordered_consumption() {
        let mut r = SessionReplay::new(1);
        let commit = |n| ReplayCommit {
            nullifier: n,
            pre_root: [0; 32],
            post_root: n,
        };
        for seq in [1u64, 3, 0, 2, 4] {
            r.commit(0, seq, &commit(id(seq, 0)), false);
        }
        assert_eq!(r.edges[0].watermark, 5);
        assert_eq!(r.retained(), 0);
        r.commit(0, 9, &commit(id(9, 0)), true);
        assert_eq!(r.edges[0].watermark, 10);
        assert_eq!(r.retained(), 0);
    }

    proptest! {
        /// Nullifier law: whatever order an edge's messages arrive in, each
        /// is accepted exactly once, any second presentation is refused,
        /// and the consumed set collapses back into the watermark.
        #[test]
        fn each_message_is_consumed_exactly_once_in_any_order(
            order in proptest::sample::subsequence((0u64..24).collect::<Vec<_>>(), 24)
                .prop_shuffle(),
            replays in proptest::collection::vec(0usize..24, 0..8),
        ) {
            let symbols = Symbols::default();
            let mut state = SessionReplay::new(1);
            let site = ReceiveSite {
                session: 3,
                from: 0,
                to: 1,
                choice: false,
                edge_index: 0,
                next_recv_seq: 0,
            };
            let envelope = |seq| Envelope {
                label: 0,
                payload: Value::Int(seq as i64),
                seq,
                session: 3,
                seal: None,
            };
            let check = |state: &SessionReplay, seq| {
                check(
                    CommunicationReplayMode::Nullifier,
                    BufferMode::Fifo,
                    &symbols,
                    Some(state),
                    site,
                    &envelope(seq),
                )
            };
            for (i, &seq) in order.iter().enumerate() {
                let commit = check(&state, seq);
                prop_assert!(commit.is_ok(), "seq {} refused", seq);
                if let Ok(c) = commit {
                    state.commit(0, seq, &c, false);
                }
                for &r in &replays {
                    let old = order[r % (i + 1)];
                    prop_assert!(
                        matches!(
                            check(&state, old),
                            Err(Fault::ReplayDetected { reason: ReplayRejection::Duplicate, .. })
                        ),
                        "seq {} accepted twice", old
                    );
                }
            }
            prop_assert_eq!(state.edges[0].watermark, 24);
            prop_assert_eq!(state.retained(), 0);
        }
    }
}
