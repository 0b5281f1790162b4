//! `Clone` for the machine and the parts of it that own storage, with a
//! `clone_from` that reuses the destination's allocations: the explorer
//! writes every successor it only fingerprints into one scratch machine,
//! so most transitions copy a state without allocating or freeing.
//!
//! `clone` names every field in a struct literal, so a field added later
//! fails to compile until it is listed here; `clone_from` lists the same
//! fields.

use crate::buffer::{BoundedBuffer, Envelope};
use crate::coroutine::Coroutine;
use crate::machine::ProtocolMachine;
use crate::scheduler::ReadyQueue;
use crate::session::{Edge, Session, SessionStore};
use std::collections::VecDeque;
use std::sync::Arc;

/// `Clone` for a struct whose every field is cloned with `clone_from`
/// (the `Vec`s listed after `;` with [`copy_vec`]).
macro_rules! clone_reusing {
    ($ty:ident { $($field:ident),* $(,)? $(; $($list:ident),* $(,)?)? }) => {
        impl Clone for $ty {
            fn clone(&self) -> Self {
                $ty {
                    $($field: self.$field.clone(),)*
                    $($($list: self.$list.clone(),)*)?
                }
            }

            fn clone_from(&mut self, source: &Self) {
                $(self.$field.clone_from(&source.$field);)*
                $($(copy_vec(&mut self.$list, &source.$list);)*)?
            }
        }
    };
}

clone_reusing!(BoundedBuffer { queue, capacity });

clone_reusing!(Envelope {
    label,
    payload,
    seq,
    session,
    seal,
});

impl Clone for ReadyQueue {
    fn clone(&self) -> Self {
        ReadyQueue {
            kind: self.kind,
            front: self.front,
            fifo: self.fifo.clone(),
            boosted: self.boosted.clone(),
            heap: self.heap.clone(),
            seq: self.seq,
        }
    }

    fn clone_from(&mut self, source: &Self) {
        let ReadyQueue {
            kind,
            front,
            fifo,
            boosted,
            heap,
            seq,
        } = self;
        *kind = source.kind;
        *front = source.front;
        copy_deque(fifo, &source.fifo);
        copy_deque(boosted, &source.boosted);
        if !(heap.is_empty() && source.heap.is_empty()) {
            heap.clone_from(&source.heap);
        }
        *seq = source.seq;
    }
}

/// `to.clone_from(from)`, skipped when both are empty: most lists of an
/// explored state are, and the copy's calls cost more than the check.
#[inline(always)]
pub(crate) fn copy_vec<T: Clone>(to: &mut Vec<T>, from: &Vec<T>) {
    if !(to.is_empty() && from.is_empty()) {
        to.clone_from(from);
    }
}

/// Writes `from` over `to`: element by element when they are as long (the
/// common case in explored states: both empty, or one message each),
/// keeping what the elements share; else as `VecDeque::clone_from` does.
#[inline]
fn copy_deque<T: Clone>(to: &mut VecDeque<T>, from: &VecDeque<T>) {
    if to.len() == from.len() {
        for (to, from) in to.iter_mut().zip(from) {
            to.clone_from(from);
        }
    } else {
        to.clone_from(from);
    }
}

impl Clone for Edge {
    fn clone(&self) -> Self {
        Edge {
            buffer: self.buffer.clone(),
            handler: self.handler,
            next_send_seq: self.next_send_seq,
            next_recv_seq: self.next_recv_seq,
            recv_waiting: self.recv_waiting,
            send_waiting: self.send_waiting,
            partitioned: self.partitioned,
            late_owed: self.late_owed.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        let Edge {
            buffer,
            handler,
            next_send_seq,
            next_recv_seq,
            recv_waiting,
            send_waiting,
            partitioned,
            late_owed,
        } = self;
        copy_deque(&mut buffer.queue, &source.buffer.queue);
        buffer.capacity = source.buffer.capacity;
        *handler = source.handler;
        *next_send_seq = source.next_send_seq;
        *next_recv_seq = source.next_recv_seq;
        *recv_waiting = source.recv_waiting;
        *send_waiting = source.send_waiting;
        *partitioned = source.partitioned;
        if !(late_owed.is_empty() && source.late_owed.is_empty()) {
            late_owed.clone_from(&source.late_owed);
        }
    }
}

clone_reusing!(Session {
    id,
    status,
    epoch,
    width,
    edges,
    opener,
    auth,
    replay;
    roles,
    coro_slots,
    spawned,
});

clone_reusing!(SessionStore {
    slots,
    index,
    next_id,
    id_stride,
    active;
    free,
    finished,
});

impl Clone for Coroutine {
    fn clone(&self) -> Self {
        Coroutine {
            id: self.id,
            session: self.session,
            session_slot: self.session_slot,
            role: self.role,
            entry: self.entry,
            pc: self.pc,
            registers: self.registers.clone(),
            status: self.status.clone(),
            monitor_state: self.monitor_state,
            priority: self.priority,
            progress_tokens: self.progress_tokens,
            queued: self.queued,
            ext: self.ext.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        let Coroutine {
            id,
            session,
            session_slot,
            role,
            entry,
            pc,
            registers,
            status,
            monitor_state,
            priority,
            progress_tokens,
            queued,
            ext,
        } = self;
        *id = source.id;
        *session = source.session;
        *session_slot = source.session_slot;
        *role = source.role;
        *entry = source.entry;
        *pc = source.pc;
        if registers.len() == source.registers.len() {
            registers.clone_from_slice(&source.registers);
        } else {
            *registers = source.registers.clone();
        }
        status.clone_from(&source.status);
        *monitor_state = source.monitor_state;
        *priority = source.priority;
        *progress_tokens = source.progress_tokens;
        *queued = source.queued;
        ext.clone_from(&source.ext);
    }
}

/// Points `to` at `from`'s value, touching the shared count only when
/// they differ (clones of one machine share them, and worker threads
/// copying states would otherwise contend on the count): for the
/// `clone_from` of anything explored that holds an `Arc`.
pub fn share<T: ?Sized>(to: &mut Arc<T>, from: &Arc<T>) {
    if !Arc::ptr_eq(to, from) {
        *to = Arc::clone(from);
    }
}

impl Clone for ProtocolMachine {
    fn clone(&self) -> Self {
        ProtocolMachine {
            config: Arc::clone(&self.config),
            image: Arc::clone(&self.image),
            monitors: Arc::clone(&self.monitors),
            entry_of_role: Arc::clone(&self.entry_of_role),
            role_priority: Arc::clone(&self.role_priority),
            entry_edges: Arc::clone(&self.entry_edges),
            sessions: self.sessions.clone(),
            coroutines: self.coroutines.clone(),
            coro_free: self.coro_free.clone(),
            coro_index: self.coro_index.clone(),
            next_coro: self.next_coro,
            ready: self.ready.clone(),
            wake_senders: self.wake_senders.clone(),
            wake_receivers: self.wake_receivers.clone(),
            orphaned_guards: self.orphaned_guards.clone(),
            live: self.live,
            clock: self.clock,
            steps: self.steps,
            obs: self.obs.clone(),
            effects: self.effects.clone(),
            replay_proofs: self.replay_proofs.clone(),
            handler_symbols: self.handler_symbols.clone(),
            timeouts: self.timeouts.clone(),
            handler_identity: self.handler_identity.clone(),
            last_output_hint: self.last_output_hint.clone(),
            poll_topology: self.poll_topology,
            poll_hints: self.poll_hints,
            outbox: self.outbox.clone(),
            role_keys: self.role_keys.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        let ProtocolMachine {
            config,
            image,
            monitors,
            entry_of_role,
            role_priority,
            entry_edges,
            sessions,
            coroutines,
            coro_free,
            coro_index,
            next_coro,
            ready,
            wake_senders,
            wake_receivers,
            orphaned_guards,
            live,
            clock,
            steps,
            obs,
            effects,
            replay_proofs,
            handler_symbols,
            timeouts,
            handler_identity,
            last_output_hint,
            poll_topology,
            poll_hints,
            outbox,
            role_keys,
        } = self;
        share(config, &source.config);
        share(image, &source.image);
        share(monitors, &source.monitors);
        share(entry_of_role, &source.entry_of_role);
        share(role_priority, &source.role_priority);
        share(entry_edges, &source.entry_edges);
        sessions.clone_from(&source.sessions);
        coroutines.clone_from(&source.coroutines);
        copy_vec(coro_free, &source.coro_free);
        share(coro_index, &source.coro_index);
        *next_coro = source.next_coro;
        ready.clone_from(&source.ready);
        copy_vec(wake_senders, &source.wake_senders);
        copy_vec(wake_receivers, &source.wake_receivers);
        copy_vec(orphaned_guards, &source.orphaned_guards);
        *live = source.live;
        *clock = source.clock;
        *steps = source.steps;
        obs.clone_from(&source.obs);
        effects.clone_from(&source.effects);
        replay_proofs.clone_from(&source.replay_proofs);
        share(handler_symbols, &source.handler_symbols);
        timeouts.clone_from(&source.timeouts);
        handler_identity.clone_from(&source.handler_identity);
        last_output_hint.clone_from(&source.last_output_hint);
        *poll_topology = source.poll_topology;
        *poll_hints = source.poll_hints;
        outbox.clone_from(&source.outbox);
        match (role_keys.as_mut(), source.role_keys.as_ref()) {
            (Some(to), Some(from)) => share(to, from),
            _ => role_keys.clone_from(&source.role_keys),
        }
    }
}
