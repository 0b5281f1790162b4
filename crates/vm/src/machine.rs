//! The protocol machine: loaded code, sessions, coroutines and traces.

use crate::config::Config;
use crate::coroutine::{CoroStatus, Coroutine, CoroutineView};
use crate::effect::{OutputConditionHint, DEFAULT_HANDLER_ID};
use crate::effect_trace::EffectTraceEntry;
use crate::event::ObsEvent;
use crate::fault::{LifecycleError, ProtocolMachineError};
use crate::ids::{CoroId, HandlerId, IdMap, SessionId, Tick};
use crate::scheduler::{ReadyQueue, SchedulerPolicy};
use crate::session::{ClosedSessionSummary, Session, SessionStatus, SessionStore};
use crate::trace::TraceLog;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use telltale_compiler::{
    CodeImage, Endpoint, MonitorTable, RoleId, StateKind, Symbols, Value, ENDPOINT_REGISTER_INDEX,
};
use telltale_types::Role;

/// Marker for "this role has no program" in the role-to-entry table.
const NO_ENTRY: u16 = u16::MAX;

/// A request to open a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRequest {
    /// The roles to open, each with its program from the image.
    pub roles: Vec<Role>,
    /// Handler bindings per directed edge `(sender, receiver, handler)`.
    pub handlers: Vec<(Role, Role, String)>,
    /// Handler for edges without an explicit binding; `None` requires every
    /// used edge to be bound explicitly.
    pub default_handler: Option<String>,
}

impl SessionRequest {
    /// Every role of the image, all edges bound to the default handler.
    pub fn all_roles(image: &CodeImage) -> Self {
        SessionRequest {
            roles: image
                .roles
                .iter()
                .filter_map(|r| image.symbols.role(r.role).cloned())
                .collect(),
            handlers: Vec::new(),
            default_handler: Some(DEFAULT_HANDLER_ID.to_string()),
        }
    }
}

/// The protocol machine.
///
/// Every field is checkpointed (see [`crate::checkpoint`]) except the
/// tables derived from the image and configuration, which restore rebuilds
/// with the code `load` uses. Decode a machine only through
/// [`ProtocolMachine::restore`]: one deserialised directly lacks those
/// tables and has not been checked.
#[derive(Serialize, Deserialize)]
pub struct ProtocolMachine {
    pub(crate) config: Config,
    pub(crate) image: CodeImage,
    #[serde(skip)]
    pub(crate) monitors: Vec<MonitorTable>,
    #[serde(skip)]
    pub(crate) entry_of_role: Vec<u16>,
    #[serde(skip)]
    pub(crate) role_priority: Vec<u8>,
    #[serde(skip)]
    pub(crate) entry_edges: Vec<Vec<(StateKind, RoleId)>>,
    pub(crate) sessions: SessionStore,
    pub(crate) coroutines: Vec<Option<Coroutine>>,
    pub(crate) coro_free: Vec<u32>,
    /// Rebuilt from `coroutines` on restore.
    #[serde(skip)]
    pub(crate) coro_index: IdMap<CoroId, u32>,
    pub(crate) next_coro: CoroId,
    pub(crate) ready: ReadyQueue,
    pub(crate) wake_senders: Vec<u32>,
    pub(crate) wake_receivers: Vec<u32>,
    /// Slots of coroutines that ended holding guard layers; the next round
    /// releases them through the handler (see `guard_orphans`).
    #[serde(default)]
    pub(crate) orphaned_guards: Vec<u32>,
    pub(crate) live: usize,
    pub(crate) clock: Tick,
    pub(crate) steps: u64,
    pub(crate) obs: TraceLog<ObsEvent>,
    pub(crate) effects: TraceLog<EffectTraceEntry>,
    /// Replay-proof log (strict replay modes only), retained like the
    /// effect trace.
    pub(crate) replay_proofs: TraceLog<crate::replay_proof::ReplayProofEntry>,
    pub(crate) handler_symbols: Vec<String>,
    pub(crate) timeouts: BTreeSet<(Tick, SessionId)>,
    pub(crate) handler_identity: Option<String>,
    pub(crate) last_output_hint: Option<OutputConditionHint>,
    /// Whether the current handler is polled for topology events.
    pub(crate) poll_topology: bool,
    /// Whether the current handler is asked for output-condition hints.
    pub(crate) poll_hints: bool,
}

impl ProtocolMachine {
    /// Loads a fully validated image (programs must be the compilation of
    /// their local types).
    pub fn new(image: CodeImage, config: Config) -> Result<Self, ProtocolMachineError> {
        image.validate()?;
        Self::load(image, config)
    }

    /// Loads an image whose programs may be hand-written: only structure is
    /// validated; the run-time monitor still enforces every local type.
    pub fn with_unverified_programs(
        image: CodeImage,
        config: Config,
    ) -> Result<Self, ProtocolMachineError> {
        image.validate_structure()?;
        Self::load(image, config)
    }

    fn load(image: CodeImage, config: Config) -> Result<Self, ProtocolMachineError> {
        let mut machine = ProtocolMachine {
            ready: ReadyQueue::new(&config.scheduler),
            obs: TraceLog::new(config.trace_retention),
            effects: TraceLog::new(config.effect_trace_retention),
            replay_proofs: TraceLog::new(config.effect_trace_retention),
            config,
            image,
            monitors: Vec::new(),
            entry_of_role: Vec::new(),
            role_priority: Vec::new(),
            entry_edges: Vec::new(),
            sessions: SessionStore::default(),
            coroutines: Vec::new(),
            coro_free: Vec::new(),
            coro_index: IdMap::default(),
            next_coro: 0,
            wake_senders: Vec::new(),
            wake_receivers: Vec::new(),
            orphaned_guards: Vec::new(),
            live: 0,
            clock: 0,
            steps: 0,
            handler_symbols: vec![DEFAULT_HANDLER_ID.to_string()],
            timeouts: BTreeSet::new(),
            handler_identity: None,
            last_output_hint: None,
            poll_topology: true,
            poll_hints: true,
        };
        machine.build_derived_tables()?;
        Ok(machine)
    }

    /// Validates the configuration and builds the tables derived from the
    /// image and configuration (monitors, role entries, priorities, edges):
    /// shared by `load` and checkpoint restore.
    pub(crate) fn build_derived_tables(&mut self) -> Result<(), ProtocolMachineError> {
        self.config.validate()?;
        let image = &self.image;
        let monitors = image.monitors()?;
        let width = image.symbols.roles.len();
        let mut entry_of_role = vec![NO_ENTRY; width];
        let mut entry_edges = Vec::with_capacity(image.roles.len());
        for (i, entry) in image.roles.iter().enumerate() {
            entry_of_role[usize::from(entry.role)] = i as u16;
            let mut edges: Vec<(StateKind, RoleId)> = monitors[i].edges().collect();
            edges.sort_unstable_by_key(|(k, r)| (*k == StateKind::Send, *r));
            edges.dedup();
            entry_edges.push(edges);
        }
        let mut role_priority = vec![0u8; width];
        if let SchedulerPolicy::Priority { priorities } = &self.config.scheduler {
            for (name, p) in priorities {
                if let Some(id) = image.symbols.role_id(name) {
                    role_priority[usize::from(id)] = *p;
                }
            }
        }
        self.monitors = monitors;
        self.entry_of_role = entry_of_role;
        self.role_priority = role_priority;
        self.entry_edges = entry_edges;
        Ok(())
    }

    fn intern_handler(&mut self, name: &str) -> HandlerId {
        if let Some(i) = self.handler_symbols.iter().position(|h| h == name) {
            return i as HandlerId;
        }
        self.handler_symbols.push(name.to_string());
        (self.handler_symbols.len() - 1) as HandlerId
    }

    /// Opens a session: checks role uniqueness and handler coverage of every
    /// edge the roles' local types use, allocates buffers, spawns one
    /// coroutine per role and records `Opened`.
    pub fn open_session(
        &mut self,
        request: &SessionRequest,
    ) -> Result<SessionId, ProtocolMachineError> {
        let mut ids = Vec::with_capacity(request.roles.len());
        for role in &request.roles {
            let id = self
                .image
                .symbols
                .role_id(role.as_str())
                .filter(|id| self.entry_of_role[usize::from(*id)] != NO_ENTRY)
                .ok_or_else(|| LifecycleError::UnknownRole {
                    role: role.to_string(),
                })?;
            if ids.contains(&id) {
                return Err(LifecycleError::DuplicateRole {
                    role: role.to_string(),
                }
                .into());
            }
            ids.push(id);
        }
        let width = self.image.symbols.roles.len();
        let default = request
            .default_handler
            .as_deref()
            .map(|h| self.intern_handler(h));
        let mut bound: Vec<Option<HandlerId>> = vec![default; width * width];
        for (from, to, handler) in &request.handlers {
            let f = self.image.symbols.role_id(from.as_str());
            let t = self.image.symbols.role_id(to.as_str());
            if let (Some(f), Some(t)) = (f, t) {
                let h = self.intern_handler(handler);
                bound[usize::from(f) * width + usize::from(t)] = Some(h);
            }
        }
        let entries: Vec<u16> = ids
            .iter()
            .map(|id| self.entry_of_role[usize::from(*id)])
            .collect();
        Ok(self.open_with_ids(ids, &entries, &bound, None)?)
    }

    /// Opens a session with every role of the image, every edge bound to
    /// the default handler (the same as `open_session` with
    /// [`SessionRequest::all_roles`], without building the request).
    pub fn open_all_roles(&mut self) -> Result<SessionId, ProtocolMachineError> {
        let ids: Vec<RoleId> = self.image.roles.iter().map(|r| r.role).collect();
        let entries: Vec<u16> = (0..self.image.roles.len() as u16).collect();
        let width = self.image.symbols.roles.len();
        let bound = vec![Some(0); width * width];
        Ok(self.open_with_ids(ids, &entries, &bound, None)?)
    }

    /// Opens a session of image roles `ids`, role `ids[i]` running image
    /// entry `entries[i]`, with per-edge handler bindings `bound`.
    pub(crate) fn open_with_ids(
        &mut self,
        ids: Vec<RoleId>,
        entries: &[u16],
        bound: &[Option<HandlerId>],
        opener: Option<u32>,
    ) -> Result<SessionId, LifecycleError> {
        let width = self.image.symbols.roles.len();
        let symbols = &self.image.symbols;
        for (role, entry) in ids.iter().zip(entries) {
            for &(kind, partner) in &self.entry_edges[usize::from(*entry)] {
                let (from, to) = if kind == StateKind::Send {
                    (*role, partner)
                } else {
                    (partner, *role)
                };
                let covered = ids.contains(&from)
                    && ids.contains(&to)
                    && bound
                        .get(usize::from(from) * width + usize::from(to))
                        .copied()
                        .flatten()
                        .is_some();
                if !covered {
                    return Err(LifecycleError::UncoveredEdge {
                        from: symbols.role_name(from),
                        to: symbols.role_name(to),
                    });
                }
            }
        }
        let handlers: Vec<HandlerId> = bound.iter().map(|h| h.unwrap_or(0)).collect();
        let (sid, session_slot) =
            self.sessions
                .allocate(ids.clone(), width, &self.config.buffer, &handlers);
        if self.config.message_auth == crate::config::MessageAuth::Ed25519 {
            let auth = crate::auth::SessionAuth::new(self.config.auth_seed, sid, &ids, width);
            if let Some(s) = self.sessions.by_slot_mut(session_slot) {
                s.auth = Some(Box::new(auth));
            }
        }
        if self.config.communication_replay_mode != crate::config::CommunicationReplayMode::Off {
            if let Some(s) = self.sessions.by_slot_mut(session_slot) {
                s.replay = Some(Box::new(crate::replay_consumption::SessionReplay::new(
                    width * width,
                )));
            }
        }
        for (&role, &entry) in ids.iter().zip(entries) {
            let program = &self.image.roles[usize::from(entry)].program;
            let mut registers = vec![Value::Unit; usize::from(program.register_count)];
            if let Some(r) = registers.get_mut(ENDPOINT_REGISTER_INDEX) {
                *r = Value::Endpoint(Endpoint { session: sid, role });
            }
            let id = self.next_coro;
            self.next_coro = self.next_coro.wrapping_add(1);
            let coro = Coroutine {
                id,
                session: sid,
                session_slot,
                role,
                entry,
                pc: 0,
                registers: registers.into_boxed_slice(),
                status: CoroStatus::Ready,
                monitor_state: self.monitors[usize::from(entry)].initial,
                priority: self.role_priority[usize::from(role)],
                progress_tokens: 0,
                queued: false,
                ext: None,
            };
            let slot = match self.coro_free.pop() {
                Some(slot) => {
                    self.coroutines[slot as usize] = Some(coro);
                    slot
                }
                None => {
                    self.coroutines.push(Some(coro));
                    (self.coroutines.len() - 1) as u32
                }
            };
            self.coro_index.insert(id, slot);
            if let Some(s) = self.sessions.by_slot_mut(session_slot) {
                s.coro_slots[usize::from(role)] = slot;
                s.opener = opener;
            }
            self.live += 1;
            self.enqueue(slot);
        }
        if self.obs.is_recording() {
            self.obs.push(ObsEvent::Opened {
                tick: self.clock,
                session: sid,
                roles: Arc::from(ids),
            });
        }
        Ok(sid)
    }

    /// Puts a ready coroutine in the ready queue (once).
    #[inline]
    pub(crate) fn enqueue(&mut self, slot: u32) {
        if let Some(c) = self
            .coroutines
            .get_mut(slot as usize)
            .and_then(Option::as_mut)
        {
            if !c.queued {
                c.queued = true;
                self.ready.push(slot, c.priority, c.progress_tokens > 0);
            }
        }
    }

    /// Closes a session on behalf of coroutine `by`, which must own one of
    /// its endpoints: sets `Closed`, clears buffers, advances the epoch and
    /// records `Closed` then `EpochAdvanced`. Coroutines of the session that
    /// are still running (other than `by`) are cancelled.
    pub fn close_session(
        &mut self,
        session: SessionId,
        by: CoroId,
    ) -> Result<u64, ProtocolMachineError> {
        let by_slot = self.coro_index.get(&by).copied();
        self.close_by_slot(session, by_slot, by)
            .map_err(ProtocolMachineError::from)
    }

    pub(crate) fn close_by_slot(
        &mut self,
        session: SessionId,
        by_slot: Option<u32>,
        by: CoroId,
    ) -> Result<u64, LifecycleError> {
        let slot = self
            .sessions
            .slot(session)
            .ok_or(LifecycleError::UnknownSession { session })?;
        let owns = by_slot.is_some_and(|b| {
            let member = self
                .coroutines
                .get(b as usize)
                .and_then(Option::as_ref)
                .is_some_and(|c| c.session == session);
            let opener = self
                .sessions
                .by_slot(slot)
                .is_some_and(|s| s.opener == Some(b));
            member || opener
        });
        if !owns {
            return Err(LifecycleError::NotOwner { coro: by, session });
        }
        let epoch = self
            .sessions
            .finish(slot, SessionStatus::Closed)
            .ok_or(LifecycleError::NotActive { session })?;
        self.cancel_coroutines_of(slot, by_slot);
        let tick = self.clock;
        self.obs.push(ObsEvent::Closed { tick, session });
        self.obs.push(ObsEvent::EpochAdvanced {
            tick,
            session,
            epoch,
        });
        Ok(epoch)
    }

    /// Cancels a session: its running coroutines stop and `Cancelled` is
    /// recorded.
    pub fn cancel_session(&mut self, session: SessionId) -> Result<(), ProtocolMachineError> {
        let slot = self
            .sessions
            .slot(session)
            .ok_or(LifecycleError::UnknownSession { session })?;
        self.sessions
            .finish(slot, SessionStatus::Cancelled)
            .ok_or(LifecycleError::NotActive { session })?;
        self.cancel_coroutines_of(slot, None);
        self.obs.push(ObsEvent::Cancelled {
            tick: self.clock,
            session,
        });
        Ok(())
    }

    fn cancel_coroutines_of(&mut self, session_slot: u32, except: Option<u32>) {
        let slots: Vec<u32> = self
            .sessions
            .by_slot(session_slot)
            .map(|s| s.member_slots().collect())
            .unwrap_or_default();
        for slot in slots {
            if Some(slot) == except {
                continue;
            }
            if let Some(c) = self
                .coroutines
                .get_mut(slot as usize)
                .and_then(Option::as_mut)
            {
                if !c.status.is_terminal() {
                    c.status = CoroStatus::Cancelled;
                    self.live -= 1;
                }
            }
            self.orphan_guards(slot);
        }
    }

    /// Releases every finished (closed, cancelled) session whose coroutines
    /// are all terminal, with their coroutines and monitor state.
    pub fn reap_closed_sessions(&mut self) -> Vec<ClosedSessionSummary> {
        let mut eligible = Vec::new();
        for &sid in self.sessions.finished_ids() {
            let Some(session) = self.sessions.get(sid) else {
                continue;
            };
            let all_terminal = session.member_slots().all(|c| {
                self.coroutines
                    .get(c as usize)
                    .and_then(Option::as_ref)
                    .map_or(true, |co| {
                        co.status.is_terminal()
                            && co.ext.as_ref().map_or(true, |e| e.held.is_empty())
                    })
            });
            if all_terminal {
                eligible.push(sid);
            }
        }
        for sid in &eligible {
            let slots: Vec<u32> = self
                .sessions
                .get(*sid)
                .map(|s| s.member_slots().collect())
                .unwrap_or_default();
            for slot in slots {
                if let Some(c) = self
                    .coroutines
                    .get_mut(slot as usize)
                    .and_then(Option::take)
                {
                    self.coro_index.remove(&c.id);
                    self.coro_free.push(slot);
                }
            }
            self.timeouts.retain(|(_, s)| s != sid);
        }
        self.sessions.reap(&eligible)
    }

    /// The retained observable trace, oldest first.
    pub fn trace(&self) -> Vec<ObsEvent> {
        self.obs.to_vec()
    }

    /// The retained observable trace as an iterator.
    pub fn trace_iter(&self) -> impl Iterator<Item = &ObsEvent> {
        self.obs.iter()
    }

    /// The retained effect trace, oldest first (what replay consumes).
    pub fn effect_trace(&self) -> Vec<EffectTraceEntry> {
        self.effects.to_vec()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The loaded image.
    pub fn image(&self) -> &CodeImage {
        &self.image
    }

    /// The interned role and label tables.
    pub fn symbols(&self) -> &Symbols {
        &self.image.symbols
    }

    /// The current scheduler tick.
    pub fn clock(&self) -> Tick {
        self.clock
    }

    /// Number of active sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.active_count()
    }

    /// Number of resident sessions, including finished ones not yet reaped.
    pub fn live_session_count(&self) -> usize {
        self.sessions.live_count()
    }

    /// Number of resident coroutines (terminal ones included until reaped).
    pub fn coroutine_count(&self) -> usize {
        self.coro_index.len()
    }

    /// Number of coroutines that have not finished.
    pub fn running_coroutine_count(&self) -> usize {
        self.live
    }

    /// Number of instructions the scheduler has dispatched.
    pub fn scheduler_step_count(&self) -> u64 {
        self.steps
    }

    /// Number of interned handler identities.
    pub fn handler_symbol_count(&self) -> usize {
        self.handler_symbols.len()
    }

    /// The latest hint returned by `output_condition_hint`.
    pub fn last_output_hint(&self) -> Option<&OutputConditionHint> {
        self.last_output_hint.as_ref()
    }

    /// A session by id.
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(id)
    }

    /// Ids of resident sessions, sorted.
    pub fn session_ids(&self) -> Vec<SessionId> {
        self.sessions.ids()
    }

    /// A coroutine's summary.
    pub fn coroutine(&self, id: CoroId) -> Option<CoroutineView> {
        let slot = self.coro_index.get(&id)?;
        self.coroutines
            .get(*slot as usize)
            .and_then(Option::as_ref)
            .map(Coroutine::view)
    }

    /// Ids of a session's coroutines, in role order, then the spawned ones
    /// in spawn order.
    pub fn coroutines_of(&self, session: SessionId) -> Vec<CoroId> {
        let Some(s) = self.sessions.get(session) else {
            return Vec::new();
        };
        s.member_slots()
            .filter_map(|slot| self.coroutines.get(slot as usize).and_then(Option::as_ref))
            .map(|c| c.id)
            .collect()
    }

    /// Whether every coroutine has finished.
    pub fn all_done(&self) -> bool {
        self.live == 0
    }
}
