//! Restore-time checks of a decoded machine: everything the run loop
//! indexes without a bounds check must be in range, and the counters it
//! decrements must agree with the state they count.

use crate::checkpoint::CheckpointError;
use crate::config::{CommunicationReplayMode, MessageAuth};
use crate::machine::ProtocolMachine;
use crate::scheduler::QueueKind;
use crate::session::{SessionStatus, NO_SLOT};
use std::collections::BTreeSet;

/// `Err(InvalidState(..))` unless `ok`.
fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), CheckpointError> {
    if ok {
        Ok(())
    } else {
        Err(CheckpointError::InvalidState(what()))
    }
}

impl ProtocolMachine {
    /// Validates a machine decoded from a checkpoint and rebuilds what a
    /// checkpoint does not carry: derived tables, id indices, signing keys
    /// and cached trace flags.
    pub(crate) fn finish_restore(&mut self) -> Result<(), CheckpointError> {
        self.image
            .validate_structure()
            .map_err(|e| CheckpointError::InvalidState(format!("code image: {e}")))?;
        self.build_derived_tables()
            .map_err(|e| CheckpointError::InvalidState(e.to_string()))?;
        self.obs
            .check_restored(self.config.trace_retention)
            .map_err(|e| CheckpointError::InvalidState(format!("observable {e}")))?;
        self.effects
            .check_restored(self.config.effect_trace_retention)
            .map_err(|e| CheckpointError::InvalidState(format!("effect {e}")))?;
        ensure(
            self.ready.kind == QueueKind::of(&self.config.scheduler),
            || "ready queue does not match the scheduler policy".into(),
        )?;
        ensure(
            !self.handler_symbols.is_empty()
                && self.handler_symbols.len() <= usize::from(u16::MAX) + 1,
            || "handler symbol table is empty or too large".into(),
        )?;
        self.check_sessions()?;
        self.check_coroutines()?;
        self.rebuild_indices();
        Ok(())
    }

    fn check_sessions(&self) -> Result<(), CheckpointError> {
        let width = self.image.symbols.roles.len();
        let n_coros = self.coroutines.len();
        let n_handlers = self.handler_symbols.len();
        let store = &self.sessions;
        let mut ids = BTreeSet::new();
        let mut active = 0;
        for s in store.slots.iter().flatten() {
            let id = s.id;
            ensure(ids.insert(id) && id < store.next_id, || {
                format!("session id {id} is duplicated or not yet allocated")
            })?;
            ensure(
                s.width == width && s.edges.pairs() == width * width && s.coro_slots.len() == width,
                || format!("session {id}: tables do not match the image's {width} roles"),
            )?;
            ensure(s.roles.iter().all(|r| usize::from(*r) < width), || {
                format!("session {id}: role out of range")
            })?;
            let slot_ok = |c: &u32| *c == NO_SLOT || (*c as usize) < n_coros;
            ensure(
                s.coro_slots.iter().all(slot_ok)
                    && s.spawned.iter().all(|c| (*c as usize) < n_coros)
                    && s.opener.map_or(true, |c| (c as usize) < n_coros),
                || format!("session {id}: coroutine slot out of range"),
            )?;
            ensure(
                s.edges.iter().all(|e| usize::from(e.handler) < n_handlers),
                || format!("session {id}: edge bound to an unknown handler"),
            )?;
            let auth_ok = match (&self.config.message_auth, &s.auth) {
                (MessageAuth::Ed25519, Some(a)) => {
                    a.width == width
                        && a.send_heads.len() == width * width
                        && a.recv_heads.len() == width * width
                }
                (MessageAuth::None, None) => true,
                _ => false,
            };
            ensure(auth_ok, || {
                format!("session {id}: authentication state does not match the configuration")
            })?;
            let strict = self.config.communication_replay_mode != CommunicationReplayMode::Off;
            let replay_ok = match &s.replay {
                Some(r) => strict && r.edges.len() == width * width,
                None => !strict || s.status != SessionStatus::Active,
            };
            ensure(replay_ok, || {
                format!("session {id}: replay-consumption state does not match the configuration")
            })?;
            if matches!(s.status, SessionStatus::Active | SessionStatus::Draining) {
                active += 1;
            }
        }
        ensure(active == store.active, || {
            format!(
                "{} active sessions recorded, {active} present",
                store.active
            )
        })?;
        let finished_ok = store.finished.iter().all(|id| {
            store.slots.iter().flatten().any(|s| {
                s.id == *id && !matches!(s.status, SessionStatus::Active | SessionStatus::Draining)
            })
        });
        ensure(finished_ok, || {
            "finished-session list names an unknown or active session".into()
        })?;
        check_free_list(&store.free, store.slots.len(), |i| store.slots[i].is_none())
            .map_err(|e| CheckpointError::InvalidState(format!("session {e}")))
    }

    fn check_coroutines(&self) -> Result<(), CheckpointError> {
        let width = self.image.symbols.roles.len();
        let n_coros = self.coroutines.len();
        let mut ids = BTreeSet::new();
        let mut live = 0;
        for c in self.coroutines.iter().flatten() {
            let id = c.id;
            ensure(ids.insert(id), || {
                format!("coroutine id {id} is duplicated")
            })?;
            let entry = usize::from(c.entry);
            let states = self.monitors.get(entry).map(|m| m.states.len());
            ensure(
                states.is_some_and(|n| (c.monitor_state as usize) < n),
                || format!("coroutine {id}: program entry or monitor state out of range"),
            )?;
            let scopes_ok = c.ext.as_ref().map_or(true, |x| {
                x.scopes.iter().all(|scope| {
                    states.is_some_and(|n| (scope.monitor_state as usize) < n)
                        && scope.facts <= x.facts.len()
                })
            });
            ensure(scopes_ok, || {
                format!("coroutine {id}: a speculation scope is out of range")
            })?;
            ensure(usize::from(c.role) < width, || {
                format!("coroutine {id}: role out of range")
            })?;
            let session_ok = self
                .sessions
                .by_slot(c.session_slot)
                .is_some_and(|s| s.id == c.session);
            ensure(session_ok, || {
                format!("coroutine {id}: its session {} is not resident", c.session)
            })?;
            if !c.status.is_terminal() {
                live += 1;
            }
        }
        ensure(live == self.live, || {
            format!("{} running coroutines recorded, {live} present", self.live)
        })?;
        check_free_list(&self.coro_free, n_coros, |i| self.coroutines[i].is_none())
            .map_err(|e| CheckpointError::InvalidState(format!("coroutine {e}")))?;
        let in_range = |s: &u32| (*s as usize) < n_coros;
        ensure(
            self.ready.slots().all(|s| in_range(&s))
                && self.wake_senders.iter().all(in_range)
                && self.wake_receivers.iter().all(in_range)
                && self.orphaned_guards.iter().all(in_range),
            || "ready or wake list names a slot out of range".into(),
        )
    }

    /// Rebuilds the id indices and the signing keys.
    fn rebuild_indices(&mut self) {
        let index = std::sync::Arc::make_mut(&mut self.coro_index);
        index.clear();
        for (slot, c) in self.coroutines.iter().enumerate() {
            if let Some(c) = c {
                index.insert(c.id, slot as u32);
            }
        }
        let store = &mut self.sessions;
        store.index.clear();
        for (slot, s) in store.slots.iter_mut().enumerate() {
            if let Some(s) = s {
                store.index.insert(s.id, slot as u32);
            }
        }
        self.rekey_sessions();
    }

    /// Sets every open session's signing keys from the seed or the real
    /// keys the machine was given.
    pub(crate) fn rekey_sessions(&mut self) {
        let seed = self.config.auth_seed;
        let keys = self.role_keys.clone();
        for s in self.sessions.slots.iter_mut().flatten() {
            if let Some(auth) = s.auth.as_deref_mut() {
                auth.rekey(seed, s.id, &s.roles, keys.as_deref());
            }
        }
    }
}

/// A free list must name distinct, empty slots in range.
fn check_free_list(
    free: &[u32],
    len: usize,
    is_empty: impl Fn(usize) -> bool,
) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for &slot in free {
        let i = slot as usize;
        if i >= len || !seen.insert(slot) || !is_empty(i) {
            return Err(format!(
                "free list names slot {slot}, which is not a free slot"
            ));
        }
    }
    Ok(())
}
