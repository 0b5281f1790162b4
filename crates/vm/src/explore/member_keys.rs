//! Per-member summaries of a state for the explorer's symmetry
//! reduction: hashes of what each block of interchangeable members holds,
//! written so that they do not depend on which block is which. Sorting
//! blocks by them finds the renaming that brings a state to a canonical
//! member order in one step instead of trying every permutation.
//!
//! The keys only choose which renamed images of a state are fingerprinted;
//! the fingerprints themselves come from the renamed encoding. So a key
//! that failed to be renaming-invariant would only merge fewer states,
//! never merge states of different orbits.

use super::fingerprint::{put_serde, put_u64};
use super::permuted::Renaming;
use super::StateEncoder;
use crate::coroutine::CoroStatus;
use crate::machine::ProtocolMachine;
use crate::session::Session;
use telltale_compiler::{RoleId, Value};

impl StateEncoder {
    /// For each block of `blocks` (block `i` holds member `i` of each
    /// family moved together, in family order), a hash of the block's own
    /// state: each member's pc, monitor state, status and registers (an
    /// endpoint of a member written as "this block or another, at which
    /// position"), the queues on its edges to roles outside the blocks and
    /// inside its block, and the multiset of its queues to other blocks.
    /// Two blocks that a renaming within `blocks` exchanges get the same
    /// key. `None` for states the renamed encoding does not cover either.
    pub fn block_keys(&mut self, m: &ProtocolMachine, blocks: &[Vec<RoleId>]) -> Option<Vec<u64>> {
        let width = m.image.symbols.roles.len();
        let identity = (0..width)
            .map(|r| RoleId::try_from(r).ok())
            .collect::<Option<Vec<RoleId>>>()?;
        let renaming = Renaming::new(m, &identity)?;
        let mut place: Vec<Option<(usize, usize)>> = vec![None; width];
        for (b, block) in blocks.iter().enumerate() {
            for (p, &r) in block.iter().enumerate() {
                *place.get_mut(usize::from(r))? = Some((b, p));
            }
        }
        let session = m.sessions.slots.iter().flatten().next();
        let mut keys = Vec::with_capacity(blocks.len());
        let mut others: Vec<u64> = Vec::new();
        let mut scratch = Vec::new();
        for (b, block) in blocks.iter().enumerate() {
            self.bytes.clear();
            let out = &mut self.bytes;
            for &r in block {
                let coroutine = renaming
                    .source_slot(r)
                    .and_then(|slot| m.coroutines.get(slot))
                    .and_then(Option::as_ref);
                let Some(c) = coroutine else {
                    out.push(0);
                    continue;
                };
                out.push(1);
                put_u64(out, u64::from(c.pc));
                put_u64(out, u64::from(c.monitor_state));
                out.push(match c.status {
                    CoroStatus::Ready | CoroStatus::Blocked(_) => 0,
                    CoroStatus::Done => 1,
                    CoroStatus::Cancelled => 2,
                    CoroStatus::Faulted(_) => 3,
                });
                for value in c.registers.iter() {
                    put_value(out, value, &place, b);
                }
            }
            others.clear();
            if let Some(s) = session {
                for (p, &r) in block.iter().enumerate() {
                    for x in 0..width {
                        let x_id = RoleId::try_from(x).ok()?;
                        for (direction, from, to) in [(0u8, r, x_id), (1u8, x_id, r)] {
                            scratch.clear();
                            if !put_queue(&mut scratch, s, from, to, &place, b) {
                                continue;
                            }
                            match place[x] {
                                Some((bb, q)) if bb != b => {
                                    let mut tagged = vec![direction];
                                    put_u64(&mut tagged, p as u64);
                                    put_u64(&mut tagged, q as u64);
                                    tagged.extend_from_slice(&scratch);
                                    others.push(xxhash_rust::xxh3::xxh3_64(&tagged));
                                }
                                Some((_, q)) => {
                                    out.extend_from_slice(&[2, direction]);
                                    put_u64(out, p as u64);
                                    put_u64(out, q as u64);
                                    out.extend_from_slice(&scratch);
                                }
                                None => {
                                    out.extend_from_slice(&[3, direction]);
                                    put_u64(out, p as u64);
                                    put_u64(out, x as u64);
                                    out.extend_from_slice(&scratch);
                                }
                            }
                        }
                    }
                }
            }
            others.sort_unstable();
            out.push(4);
            for h in &others {
                put_u64(out, *h);
            }
            keys.push(xxhash_rust::xxh3::xxh3_64(out));
        }
        Some(keys)
    }
}

/// Writes a value, an endpoint of a member as its place relative to
/// block `b`.
fn put_value(out: &mut Vec<u8>, value: &Value, place: &[Option<(usize, usize)>], b: usize) {
    match value {
        Value::Endpoint(e) => {
            out.push(0xfe);
            put_u64(out, e.session);
            match place.get(usize::from(e.role)).copied().flatten() {
                Some((bb, p)) => {
                    out.push(u8::from(bb == b));
                    put_u64(out, p as u64);
                }
                None => {
                    out.push(2);
                    put_u64(out, u64::from(e.role));
                }
            }
        }
        other => put_serde(out, other),
    }
}

/// Writes the queue from `from` to `to` (partition flag, labels,
/// payloads); false, writing nothing, when it is empty and not
/// partitioned.
fn put_queue(
    out: &mut Vec<u8>,
    s: &Session,
    from: RoleId,
    to: RoleId,
    place: &[Option<(usize, usize)>],
    b: usize,
) -> bool {
    let Some(e) = s.checked_edge_index(from, to).and_then(|i| s.edges.get(i)) else {
        return false;
    };
    if e.buffer.is_empty() && !e.partitioned {
        return false;
    }
    out.push(u8::from(e.partitioned));
    put_u64(out, e.buffer.len() as u64);
    for env in e.buffer.iter() {
        put_u64(out, u64::from(env.label));
        put_value(out, &env.payload, place, b);
    }
    true
}
