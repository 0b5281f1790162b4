//! The protocol machine: loaded code, sessions, coroutines and traces.

use crate::config::Config;
use crate::coroutine::{Coroutine, CoroutineView};
use crate::effect::trace::EffectTraceEntry;
use crate::effect::{OutputConditionHint, DEFAULT_HANDLER_ID};
use crate::event::ObsEvent;
use crate::fault::ProtocolMachineError;
use crate::ids::{CoroId, IdMap, SessionId, Tick};
use crate::scheduler::{ReadyQueue, SchedulerPolicy};
use crate::session::{Session, SessionStore};
use crate::trace::TraceLog;
use crate::tracked_vec::TrackedVec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use telltale_compiler::{CodeImage, MonitorTable, RoleId, StateKind, Symbols};

/// Marker for "this role has no program" in the role-to-entry table.
pub(crate) const NO_ENTRY: u16 = u16::MAX;

/// The protocol machine.
///
/// Every field is checkpointed (see [`crate::checkpoint`]) except the
/// tables derived from the image and configuration, which restore rebuilds
/// with the code `load` uses. Decode a machine only through
/// [`ProtocolMachine::restore`]: one deserialised directly lacks those
/// tables and has not been checked. A clone is an independent machine in the
/// same state (the explorer keeps states this way; `clone_from` reuses the
/// destination's storage: `explore/clone_into.rs`).
#[derive(Serialize, Deserialize)]
pub struct ProtocolMachine {
    pub(crate) config: Arc<Config>,
    /// Shared by clones: the image and the tables derived from it never
    /// change after load, so a clone (an explored state) only counts a
    /// reference.
    pub(crate) image: Arc<CodeImage>,
    #[serde(skip)]
    pub(crate) monitors: Arc<[MonitorTable]>,
    #[serde(skip)]
    pub(crate) entry_of_role: Arc<[u16]>,
    #[serde(skip)]
    pub(crate) role_priority: Arc<[u8]>,
    #[serde(skip)]
    pub(crate) entry_edges: Arc<[Vec<(StateKind, RoleId)>]>,
    pub(crate) sessions: SessionStore,
    pub(crate) coroutines: TrackedVec<Option<Coroutine>>,
    pub(crate) coro_free: Vec<u32>,
    /// Rebuilt from `coroutines` on restore. Behind an `Arc` that copies
    /// share until one writes (`Arc::make_mut`): it changes only when a
    /// coroutine starts or is reaped, and explored states copy it often.
    #[serde(skip)]
    pub(crate) coro_index: Arc<IdMap<CoroId, u32>>,
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
    pub(crate) replay_proofs: TraceLog<crate::replay::proof::ReplayProofEntry>,
    /// Shared by copies like `coro_index`: it changes only when a handler
    /// is registered.
    pub(crate) handler_symbols: Arc<Vec<String>>,
    pub(crate) timeouts: BTreeSet<(Tick, SessionId)>,
    pub(crate) handler_identity: Option<String>,
    pub(crate) last_output_hint: Option<OutputConditionHint>,
    /// Whether the current handler is polled for topology events.
    pub(crate) poll_topology: bool,
    /// Whether the current handler is asked for output-condition hints.
    pub(crate) poll_hints: bool,
    /// Sent messages waiting for the host's network model (`None`: sends
    /// enqueue directly; see `network`).
    #[serde(default)]
    pub(crate) outbox: Option<Vec<crate::network::InFlight>>,
    /// Real signing keys ([`ProtocolMachine::use_role_keys`]); never
    /// checkpointed.
    #[serde(skip)]
    pub(crate) role_keys: Option<Arc<crate::auth::KeyTable>>,
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
            config: Arc::new(config),
            image: Arc::new(image),
            monitors: Arc::from(Vec::new()),
            entry_of_role: Arc::from(Vec::new()),
            role_priority: Arc::from(Vec::new()),
            entry_edges: Arc::from(Vec::new()),
            sessions: SessionStore::default(),
            coroutines: TrackedVec::default(),
            coro_free: Vec::new(),
            coro_index: Arc::default(),
            next_coro: 0,
            wake_senders: Vec::new(),
            wake_receivers: Vec::new(),
            orphaned_guards: Vec::new(),
            live: 0,
            clock: 0,
            steps: 0,
            handler_symbols: Arc::new(vec![DEFAULT_HANDLER_ID.to_string()]),
            timeouts: BTreeSet::new(),
            handler_identity: None,
            last_output_hint: None,
            poll_topology: true,
            poll_hints: true,
            outbox: None,
            role_keys: None,
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
        self.monitors = Arc::from(monitors);
        self.entry_of_role = Arc::from(entry_of_role);
        self.role_priority = Arc::from(role_priority);
        self.entry_edges = Arc::from(entry_edges);
        Ok(())
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

    /// The retained observable trace, oldest first.
    pub fn trace(&self) -> Vec<ObsEvent> {
        self.obs.to_vec()
    }

    /// The retained observable trace as an iterator.
    pub fn trace_iter(&self) -> impl Iterator<Item = &ObsEvent> {
        self.obs.iter()
    }

    /// Moves the retained observable trace, oldest first, onto the end of
    /// `into` and empties it: a driver that reads every event once (the
    /// simulator, each round) takes them without copying or rescanning.
    pub fn drain_trace(&mut self, into: &mut Vec<ObsEvent>) {
        self.obs.drain_into(into);
    }

    /// Moves the retained effect trace, oldest first, onto the end of
    /// `into` and empties it: a driver done with the machine keeps the
    /// recording without copying it.
    pub fn drain_effect_trace(&mut self, into: &mut Vec<EffectTraceEntry>) {
        self.effects.drain_into(into);
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
