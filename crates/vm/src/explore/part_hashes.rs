//! The fingerprint of a machine state as a sum of hashes of its parts, so
//! that a successor's fingerprint costs only the parts its step wrote.
//!
//! The parts: a header (everything the canonical encoding holds besides
//! coroutine states and edges, followed by the caller's extra bytes),
//! each resident coroutine (its slot, identity and state), and each edge
//! with something on it (its session slot, index and contents). Each is
//! hashed with XXH3 under a seed of its own kind, and the fingerprint is
//! their sum modulo 2⁶⁴ (Zobrist hashing): two different states share a
//! fingerprint only if their part hashes happen to sum alike, which for
//! well-mixed 64-bit hashes is as unlikely as any other collision. An
//! empty edge or a vacant coroutine slot counts as 0, so a state's
//! fingerprint does not depend on edges it never used.
//!
//! A successor written over a copy of its parent (`Clone::clone_from`)
//! knows which coroutines and edges its step wrote (`TrackedVec`
//! records it): its fingerprint is the parent's, minus the hashes of the
//! parent's header and of those parts, plus the successor's. The result
//! is the same number as hashing the successor whole; the explorer checks
//! that on every transition in its debug-build tests.

use super::fingerprint::{
    edge_flags, put_coroutine_identity, put_coroutine_state, put_edge, put_header, put_u64,
    StateEncoder,
};
use crate::coroutine::{CoroStatus, Coroutine};
use crate::machine::ProtocolMachine;
use crate::session::Edge;
use crate::tracked_vec::set_bits;
use telltale_types::Value;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The seeds that keep the kinds of part apart.
const HEADER: u64 = 0x6865_6164;
const COROUTINE: u64 = 0x636f_726f;
const EDGE: u64 = 0x6564_6765;
/// Coroutines hashed as words (`scalar_coroutine_hash`).
const COROUTINE_WORDS: u64 = 0x636f_7277;

/// Registers a coroutine may have to be hashed as words.
const WORD_REGISTERS: usize = 12;

/// The hash of a coroutine whose registers all hold scalars (the common
/// case: numbers, booleans, endpoints), without a guard state or a fault,
/// written as fixed-width words rather than through the byte encoding:
/// the identity, pc, monitor state, status, and a tag and a payload word
/// per register. `None` for any other coroutine (hashed from its
/// encoding, under another seed, so the two forms never meet).
fn scalar_coroutine_hash(slot: usize, c: &Coroutine) -> Option<u64> {
    if c.ext.is_some() || c.registers.len() > WORD_REGISTERS {
        return None;
    }
    let status = match c.status {
        CoroStatus::Ready | CoroStatus::Blocked(_) => 0,
        CoroStatus::Done => 1,
        CoroStatus::Cancelled => 2,
        CoroStatus::Faulted(_) => return None,
    };
    let mut bytes = [0u8; 8 * (6 + 2 * WORD_REGISTERS)];
    let mut used = 0;
    let mut put = |word: u64| {
        if let Some(chunk) = bytes.get_mut(used..used + 8) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        used += 8;
    };
    put(slot as u64);
    put(u64::from(c.id));
    put(c.session);
    put(u64::from(c.role) | u64::from(c.entry) << 16 | status << 32);
    put(u64::from(c.pc) | u64::from(c.monitor_state) << 32);
    put(c.registers.len() as u64);
    for value in c.registers.iter() {
        let (tag, payload) = match value {
            Value::Unit => (0, 0),
            Value::Bool(b) => (1, u64::from(*b)),
            Value::Nat(n) => (2, *n),
            Value::Int(n) => (3, *n as u64),
            Value::Real(r) => (4, r.to_bits()),
            Value::Endpoint(e) => (5 | u64::from(e.role) << 8, e.session),
            _ => return None,
        };
        put(tag);
        put(payload);
    }
    Some(xxh3_64_with_seed(&bytes[..used], COROUTINE_WORDS))
}

impl StateEncoder {
    /// The 64-bit fingerprint of `machine`'s state (the sum of its part
    /// hashes), the same across runs, builds and threads.
    pub fn fingerprint(&mut self, machine: &ProtocolMachine) -> u64 {
        self.fingerprint_then(machine, |_| {})
    }

    /// The fingerprint of `machine` with `extra` bytes (a host's state, a
    /// fault budget) in its header, so they are hashed as one state.
    pub fn fingerprint_with(&mut self, machine: &ProtocolMachine, extra: &[u8]) -> u64 {
        self.fingerprint_then(machine, |out| out.extend_from_slice(extra))
    }

    /// The fingerprint of `machine` with what `extra` writes in its header
    /// (into the encoder's own buffer, so nothing is allocated per state).
    pub fn fingerprint_then(
        &mut self,
        machine: &ProtocolMachine,
        extra: impl FnOnce(&mut Vec<u8>),
    ) -> u64 {
        let mut sum = self.header_hash(machine, extra);
        for (slot, c) in machine.coroutines.iter().enumerate() {
            sum = sum.wrapping_add(self.coroutine_hash(slot, c.as_ref()));
        }
        for (slot, s) in machine.sessions.slots.iter().enumerate() {
            let Some(s) = s else { continue };
            for (index, e) in s.edges.written_elements() {
                sum = sum.wrapping_add(self.edge_hash(slot, index, e));
            }
        }
        sum
    }

    /// The fingerprint of `next` (with `next_extra`), given that `next`
    /// was written over a copy of `parent` (with `parent_extra`, whose
    /// fingerprint is `parent_fp`) and then stepped: rehashes only the
    /// headers and the coroutines and edges written since the copy.
    /// `None` when `next` is not known to be such a copy, or its step
    /// added or removed a coroutine or session: then hash it whole.
    pub fn successor_fingerprint_then(
        &mut self,
        parent: &ProtocolMachine,
        parent_fp: u64,
        parent_extra: impl FnOnce(&mut Vec<u8>),
        next: &ProtocolMachine,
        next_extra: impl FnOnce(&mut Vec<u8>),
    ) -> Option<u64> {
        let mut sum = parent_fp;
        let touched = next.coroutines.touched_since_copy_of(&parent.coroutines)?;
        for slot in set_bits(touched.iter().copied()) {
            let (was, is) = (parent.coroutines.get(slot)?, next.coroutines.get(slot)?);
            sum = sum
                .wrapping_sub(self.coroutine_hash(slot, was.as_ref()))
                .wrapping_add(self.coroutine_hash(slot, is.as_ref()));
        }
        if parent.sessions.slots.len() != next.sessions.slots.len() {
            return None;
        }
        for (slot, pair) in parent
            .sessions
            .slots
            .iter()
            .zip(&next.sessions.slots)
            .enumerate()
        {
            let (was, is) = match pair {
                (None, None) => continue,
                (Some(was), Some(is)) => (was, is),
                _ => return None,
            };
            for (index, before, after) in is.edges.touched_since_copy_of(&was.edges)? {
                sum = sum
                    .wrapping_sub(self.edge_hash(slot, index, before))
                    .wrapping_add(self.edge_hash(slot, index, after));
            }
        }
        let address = parent as *const ProtocolMachine as usize;
        let parent_header = match self.parent_header {
            Some((at, fp, hash)) if at == address && fp == parent_fp => hash,
            _ => {
                let hash = self.header_hash(parent, parent_extra);
                self.parent_header = Some((address, parent_fp, hash));
                hash
            }
        };
        let next_header = self.header_hash(next, next_extra);
        Some(sum.wrapping_sub(parent_header).wrapping_add(next_header))
    }

    fn header_hash(&mut self, m: &ProtocolMachine, extra: impl FnOnce(&mut Vec<u8>)) -> u64 {
        self.bytes.clear();
        put_header(m, &mut self.bytes);
        extra(&mut self.bytes);
        xxh3_64_with_seed(&self.bytes, HEADER)
    }

    fn coroutine_hash(&mut self, slot: usize, c: Option<&Coroutine>) -> u64 {
        let Some(c) = c else { return 0 };
        if let Some(hash) = scalar_coroutine_hash(slot, c) {
            return hash;
        }
        let out = &mut self.bytes;
        out.clear();
        put_u64(out, slot as u64);
        put_coroutine_identity(out, c);
        put_coroutine_state(out, c, None);
        xxh3_64_with_seed(out, COROUTINE)
    }

    fn edge_hash(&mut self, slot: usize, index: usize, e: &Edge) -> u64 {
        if edge_flags(e) == 0 {
            return 0;
        }
        let out = &mut self.bytes;
        out.clear();
        put_u64(out, slot as u64);
        put_edge(out, index, e, None);
        xxh3_64_with_seed(out, EDGE)
    }
}
