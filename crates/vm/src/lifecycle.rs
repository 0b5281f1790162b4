//! Session lifecycle: open (admission checks, buffers, one coroutine per
//! role), close, cancel, and reaping of finished sessions.

use crate::coroutine::{CoroStatus, Coroutine};
use crate::effect::DEFAULT_HANDLER_ID;
use crate::event::ObsEvent;
use crate::fault::{LifecycleError, ProtocolMachineError};
use crate::ids::{CoroId, HandlerId, SessionId};
use crate::machine::{ProtocolMachine, NO_ENTRY};
use crate::session::{ClosedSessionSummary, EdgeLayout, SessionStatus};
use std::sync::Arc;
use telltale_compiler::{CodeImage, Endpoint, RoleId, StateKind, Value, ENDPOINT_REGISTER_INDEX};
use telltale_types::Role;

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

impl ProtocolMachine {
    fn intern_handler(&mut self, name: &str) -> HandlerId {
        if let Some(i) = self.handler_symbols.iter().position(|h| h == name) {
            return i as HandlerId;
        }
        Arc::make_mut(&mut self.handler_symbols).push(name.to_string());
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

    /// Signs and verifies messages with real keys from now on (for
    /// `message_auth = Ed25519`) instead of the ones derived from
    /// `Config::auth_seed`: each role's public key, and the private keys of
    /// the roles this machine runs. Sessions already open are rekeyed. The
    /// keys are never checkpointed: give them again after a restore. A
    /// role name the image does not have is an error.
    pub fn use_role_keys(
        &mut self,
        keys: &crate::auth::RoleKeys,
    ) -> Result<(), ProtocolMachineError> {
        let width = self.image.symbols.roles.len();
        let mut table = crate::auth::KeyTable {
            signing: vec![None; width],
            verifying: vec![None; width],
        };
        let id = |name: &str| -> Result<usize, ProtocolMachineError> {
            self.image
                .symbols
                .role_id(name)
                .map(usize::from)
                .ok_or_else(|| {
                    LifecycleError::UnknownRole {
                        role: name.to_string(),
                    }
                    .into()
                })
        };
        for (name, key) in &keys.public {
            table.verifying[id(name)?] = Some(*key);
        }
        for (name, key) in &keys.private {
            table.signing[id(name)?] = Some(key.clone());
        }
        self.role_keys = Some(Arc::new(table));
        self.rekey_sessions();
        Ok(())
    }

    /// Opens a session of every role of the image in which only `role`
    /// runs here: the other roles run in other processes. Their messages
    /// enter through [`ProtocolMachine::deliver`], and this role's leave
    /// through the outbox (install the network first). Every edge is bound
    /// to the default handler.
    pub fn open_hosting(&mut self, role: &str) -> Result<SessionId, ProtocolMachineError> {
        let hosted = self
            .image
            .symbols
            .role_id(role)
            .filter(|id| self.entry_of_role[usize::from(*id)] != NO_ENTRY)
            .ok_or_else(|| LifecycleError::UnknownRole {
                role: role.to_string(),
            })?;
        let ids: Vec<RoleId> = self.image.roles.iter().map(|r| r.role).collect();
        let entries: Vec<u16> = (0..self.image.roles.len() as u16).collect();
        let width = self.image.symbols.roles.len();
        let bound = vec![Some(0); width * width];
        Ok(self.open_members(ids, &entries, &bound, None, Some(hosted))?)
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
        self.open_members(ids, entries, bound, opener, None)
    }

    /// [`ProtocolMachine::open_with_ids`], starting a coroutine only for
    /// `hosted` when it is given (the other members run elsewhere).
    fn open_members(
        &mut self,
        ids: Vec<RoleId>,
        entries: &[u16],
        bound: &[Option<HandlerId>],
        opener: Option<u32>,
        hosted: Option<RoleId>,
    ) -> Result<SessionId, LifecycleError> {
        let width = self.image.symbols.roles.len();
        let symbols = &self.image.symbols;
        let mut pairs = Vec::new();
        for (role, entry) in ids.iter().zip(entries) {
            for &(kind, partner) in &self.entry_edges[usize::from(*entry)] {
                let (from, to) = if kind == StateKind::Send {
                    (*role, partner)
                } else {
                    (partner, *role)
                };
                let pair = usize::from(from) * width + usize::from(to);
                let covered = usize::from(from) < width
                    && usize::from(to) < width
                    && ids.contains(&from)
                    && ids.contains(&to)
                    && bound.get(pair).copied().flatten().is_some();
                if !covered {
                    return Err(LifecycleError::UncoveredEdge {
                        from: symbols.role_name(from),
                        to: symbols.role_name(to),
                    });
                }
                pairs.push(pair as u32);
            }
        }
        let layout = EdgeLayout::new(width * width, pairs);
        let handlers: Vec<HandlerId> = bound.iter().map(|h| h.unwrap_or(0)).collect();
        let (sid, session_slot) = self.sessions.allocate(
            ids.clone(),
            width,
            Arc::new(layout),
            &self.config.buffer,
            &handlers,
        );
        if self.config.message_auth == crate::config::MessageAuth::Ed25519 {
            let auth = crate::auth::SessionAuth::new(
                self.config.auth_seed,
                sid,
                &ids,
                width,
                self.role_keys.as_deref(),
            );
            if let Some(s) = self.sessions.by_slot_mut(session_slot) {
                s.auth = Some(Box::new(auth));
            }
        }
        if self.config.communication_replay_mode != crate::config::CommunicationReplayMode::Off {
            if let Some(s) = self.sessions.by_slot_mut(session_slot) {
                s.replay = Some(Box::new(crate::replay::consumption::SessionReplay::new(
                    width * width,
                )));
            }
        }
        for (&role, &entry) in ids.iter().zip(entries) {
            if hosted.is_some_and(|h| h != role) {
                continue;
            }
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
            Arc::make_mut(&mut self.coro_index).insert(id, slot);
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
                    Arc::make_mut(&mut self.coro_index).remove(&c.id);
                    self.coro_free.push(slot);
                }
            }
            self.timeouts.retain(|(_, s)| s != sid);
        }
        self.sessions.reap(&eligible)
    }
}
