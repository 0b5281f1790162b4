//! The canonical encoding of exactly the machine state that determines the
//! future (its fingerprint, a sum of hashes of its parts, is in
//! `part_hashes.rs`).
//!
//! Encoded, in a fixed order: every resident coroutine in slot order (id,
//! session, role, program entry, pc, monitor state, whether it still runs
//! or how it ended, registers, guard/speculation state), every resident
//! session in slot order (id, status, epoch, each edge's partition flag,
//! messages owed to it by missed receives, and
//! queued messages: label, payload and sending session), the counters
//! that name future coroutines and sessions, the free-slot lists, orphaned
//! guards and finished sessions awaiting reaping. Not encoded: the clock, step
//! counts, traces, the ready queue and wake lists, `Ready` versus `Blocked`
//! (the explorer decides enabledness from pcs and buffers), sequence
//! numbers and authentication material (exploration runs without message
//! authentication or replay checks), progress tokens and priorities (they
//! only order the scheduler, which exploration replaces), and pending
//! timeouts (set only by topology events, which exploration does not poll).
//! Messages held by a network extension (the outbox) are encoded after the
//! sessions, in send order, when one is installed.

use super::permuted::{shallow_endpoints, Renaming};
use crate::coroutine::{CoroStatus, Coroutine};
use crate::machine::ProtocolMachine;
use crate::session::{Edge, Session, SessionStatus};
use serde::Serialize;
use telltale_compiler::RoleId;
use telltale_types::Value;

/// Writes the canonical encoding of machine states into a reusable buffer
/// and hashes it: one per worker thread, so encoding allocates only when a
/// state is larger than any before.
#[derive(Debug, Default)]
pub struct StateEncoder {
    pub(super) bytes: Vec<u8>,
    /// The last parent state whose header hash a successor's fingerprint
    /// needed: its address, its fingerprint and that hash (a parent's
    /// successors are fingerprinted one after another).
    pub(super) parent_header: Option<(usize, u64, u64)>,
}

impl StateEncoder {
    /// An empty encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The canonical encoding of `machine`'s future-determining state
    /// (valid until the next call).
    pub fn encode(&mut self, machine: &ProtocolMachine) -> &[u8] {
        self.bytes.clear();
        encode_machine(machine, None, &mut self.bytes);
        &self.bytes
    }

    /// The encoding of the state `machine` would be in if every role `r`
    /// were role `perm[r]` (its coroutine's pc, monitor state, status and
    /// registers moved to the coroutine of `perm[r]`, each edge `(a, b)`'s
    /// messages to `(perm[a], perm[b])`, endpoints renamed): byte for
    /// byte what [`StateEncoder::encode`] writes for that state, so the
    /// identity gives the plain encoding. `None` when the state has a
    /// shape that is not renamed (see `permuted.rs`: extension state,
    /// faults, several sessions, a network outbox, nested endpoints).
    pub fn encode_permuted(&mut self, machine: &ProtocolMachine, perm: &[RoleId]) -> Option<&[u8]> {
        let renaming = Renaming::new(machine, perm)?;
        self.bytes.clear();
        encode_machine(machine, Some(&renaming), &mut self.bytes).then_some(&self.bytes[..])
    }

    /// The fingerprint of [`StateEncoder::encode_permuted`] followed by
    /// `extra` (already renamed by the caller): the explorer's symmetry
    /// reduction takes the least of these over a verified symmetry group.
    pub fn fingerprint_permuted(
        &mut self,
        machine: &ProtocolMachine,
        perm: &[RoleId],
        extra: &[u8],
    ) -> Option<u64> {
        self.encode_permuted(machine, perm)?;
        self.bytes.extend_from_slice(extra);
        Some(xxhash_rust::xxh3::xxh3_64(&self.bytes))
    }
}

#[inline]
pub(super) fn put_u64(out: &mut Vec<u8>, n: u64) {
    // LEB128-style varint: short and unambiguous.
    let mut n = n;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub(super) fn put_serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Values are depth-bounded by every reader, and postcard writes into
    // a Vec cannot fail; an error would only drop bytes, never panic, so
    // mark it with a byte that no successful encoding starts with there.
    let start = out.len();
    if postcard::to_io(value, &mut *out).is_err() {
        out.truncate(start);
        out.push(0xff);
    }
}

/// Writes a value: scalars and endpoints directly (registers and payloads
/// are mostly those), anything else through its serde form,
/// each behind its own tag byte so that no two values share an encoding.
#[inline]
fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Unit => out.push(0),
        Value::Bool(b) => out.push(1 + u8::from(*b)),
        Value::Nat(n) => {
            out.push(3);
            put_u64(out, *n);
        }
        Value::Int(i) => {
            out.push(4);
            // Zigzag, so small negative numbers stay short.
            put_u64(out, ((*i << 1) ^ (*i >> 63)) as u64);
        }
        Value::Endpoint(e) => {
            out.push(5);
            put_u64(out, e.session);
            put_u64(out, u64::from(e.role));
        }
        other => {
            out.push(6);
            put_serde(out, other);
        }
    }
}

/// Writes the counters that name future coroutines and sessions, the
/// free-slot lists, orphaned guards and finished sessions awaiting reaping.
fn put_counters(m: &ProtocolMachine, out: &mut Vec<u8>) {
    put_u64(out, u64::from(m.next_coro));
    put_u64(out, m.sessions.next_id);
    put_u64(out, m.live as u64);
    // Free-slot lists decide where the next coroutine or session goes;
    // finished sessions are what the next reap removes.
    for list in [&m.orphaned_guards, &m.coro_free, &m.sessions.free] {
        put_u64(out, list.len() as u64);
        for slot in list.iter() {
            put_u64(out, u64::from(*slot));
        }
    }
    put_u64(out, m.sessions.finished.len() as u64);
    for id in &m.sessions.finished {
        put_u64(out, *id);
    }
}

/// Writes a session's own fields (not its edges).
fn put_session_head(out: &mut Vec<u8>, s: &Session) {
    put_u64(out, s.id);
    out.push(match s.status {
        SessionStatus::Active => 0,
        SessionStatus::Draining => 1,
        SessionStatus::Closed => 2,
        SessionStatus::Cancelled => 3,
        SessionStatus::Faulted => 4,
    });
    put_u64(out, s.epoch);
    put_u64(out, s.edges.pairs() as u64);
}

/// Writes the messages a network extension holds, in send order.
fn put_outbox(m: &ProtocolMachine, out: &mut Vec<u8>) {
    match &m.outbox {
        None => out.push(0),
        Some(held) => {
            out.push(1);
            put_u64(out, held.len() as u64);
            for msg in held {
                put_u64(out, msg.session);
                put_u64(out, u64::from(msg.from));
                put_u64(out, u64::from(msg.to));
                put_u64(out, u64::from(msg.envelope.label));
                put_value(out, &msg.envelope.payload);
            }
        }
    }
}

/// Writes everything of a machine but its coroutines' states and its
/// edges: the part of a [`StateEncoder::fingerprint`] hashed whole.
pub(super) fn put_header(m: &ProtocolMachine, out: &mut Vec<u8>) {
    put_counters(m, out);
    put_u64(out, m.coroutines.len() as u64);
    put_u64(out, m.sessions.slots.len() as u64);
    for s in &m.sessions.slots {
        match s {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                put_session_head(out, s);
            }
        }
    }
    put_outbox(m, out);
}

/// Writes a coroutine's identity (id, session, role, program entry).
pub(super) fn put_coroutine_identity(out: &mut Vec<u8>, c: &Coroutine) {
    put_u64(out, u64::from(c.id));
    put_u64(out, c.session);
    put_u64(out, u64::from(c.role));
    put_u64(out, u64::from(c.entry));
}

/// Writes a coroutine's state: pc, monitor state, whether it still runs
/// or how it ended, registers (renamed when given), guard/speculation
/// state.
pub(super) fn put_coroutine_state(
    out: &mut Vec<u8>,
    c: &Coroutine,
    renaming: Option<&Renaming<'_>>,
) {
    put_u64(out, u64::from(c.pc));
    put_u64(out, u64::from(c.monitor_state));
    match &c.status {
        CoroStatus::Ready | CoroStatus::Blocked(_) => out.push(0),
        CoroStatus::Done => out.push(1),
        CoroStatus::Cancelled => out.push(2),
        CoroStatus::Faulted(fault) => {
            out.push(3);
            put_serde(out, fault.as_ref());
        }
    }
    put_u64(out, c.registers.len() as u64);
    for value in c.registers.iter() {
        match renaming {
            None => put_value(out, value),
            Some(r) => put_value(out, r.value(value).as_ref()),
        }
    }
    match &c.ext {
        None => out.push(0),
        Some(ext) => {
            out.push(1);
            put_serde(out, ext.as_ref());
        }
    }
}

/// Whether an edge has anything on it (queued, owed or partitioned), as
/// the flag byte of its encoding: 0 for an edge that is not written.
pub(super) fn edge_flags(e: &Edge) -> u8 {
    u8::from(e.partitioned)
        | u8::from(!e.late_owed.is_empty()) << 1
        | u8::from(!e.buffer.is_empty()) << 2
}

/// Writes edge `index` if it has anything on it (index + 1, flags, owed
/// labels, queued messages: label, sending session, payload renamed when
/// given); false when a payload cannot be renamed.
pub(super) fn put_edge(
    out: &mut Vec<u8>,
    index: usize,
    e: &Edge,
    renaming: Option<&Renaming<'_>>,
) -> bool {
    let flags = edge_flags(e);
    if flags == 0 {
        return true;
    }
    put_u64(out, index as u64 + 1);
    out.push(flags);
    if !e.late_owed.is_empty() {
        put_u64(out, e.late_owed.len() as u64);
        for label in &e.late_owed {
            put_u64(out, u64::from(*label));
        }
    }
    if e.buffer.is_empty() {
        return true;
    }
    put_u64(out, e.buffer.len() as u64);
    for env in e.buffer.iter() {
        put_u64(out, u64::from(env.label));
        put_u64(out, env.session);
        match renaming {
            None => put_value(out, &env.payload),
            Some(_) if !shallow_endpoints(&env.payload) => return false,
            Some(r) => put_value(out, r.value(&env.payload).as_ref()),
        }
    }
    true
}

/// Writes `m`'s encoding, renamed by `renaming` when given; false when a
/// renamed part cannot be written (the bytes are then meaningless).
fn encode_machine(m: &ProtocolMachine, renaming: Option<&Renaming<'_>>, out: &mut Vec<u8>) -> bool {
    put_counters(m, out);
    put_u64(out, m.coroutines.len() as u64);
    for c in &m.coroutines {
        let Some(c) = c else {
            out.push(0);
            continue;
        };
        out.push(1);
        put_coroutine_identity(out, c);
        // Renamed, the slot keeps its identity (id, session, role, entry)
        // and takes the state of the coroutine whose role becomes its own.
        let state = match renaming {
            None => c,
            Some(r) => match r
                .source_slot(c.role)
                .and_then(|slot| m.coroutines.get(slot))
                .and_then(Option::as_ref)
            {
                Some(source) => source,
                None => return false,
            },
        };
        put_coroutine_state(out, state, renaming);
    }
    put_u64(out, m.sessions.slots.len() as u64);
    for s in &m.sessions.slots {
        let Some(s) = s else {
            out.push(0);
            continue;
        };
        out.push(1);
        put_session_head(out, s);
        // Edges with something on them, by index (1-based, then 0 to
        // end): an edge with nothing queued, owed or partitioned is not
        // written, so a state's encoding does not grow with the roles².
        match renaming {
            None => {
                for (index, e) in s.edges.written_elements() {
                    put_edge(out, index, e, None);
                }
            }
            Some(r) => {
                for index in 0..s.edges.pairs() {
                    let Some(source) = r.source_edge(index, s.width) else {
                        return false;
                    };
                    // A pair with no edge holds nothing, like an empty edge.
                    let Some(e) = s.edges.get(source) else {
                        continue;
                    };
                    if !put_edge(out, index, e, Some(r)) {
                        return false;
                    }
                }
            }
        }
        out.push(0);
    }
    if renaming.is_some() && m.outbox.is_some() {
        return false;
    }
    put_outbox(m, out);
    true
}
