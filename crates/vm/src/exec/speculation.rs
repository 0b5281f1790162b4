//! Speculation instructions: `Fork{ghost}`, `Join`, `Abort`.
//!
//! `Fork` opens a scope and checkpoints the coroutine's session-local
//! state: its register file, its endpoint's monitor state and the size of
//! its knowledge base. Scopes nest (a stack, at most
//! [`MAX_SPECULATION_DEPTH`] deep, `SpeculationTooDeep` beyond).
//!
//! Inside a scope the coroutine may only do local work: `Set`, `Move`,
//! `Jump`, `Yield`, `Invoke`, `Tag`, `Check` and nested `Fork`/`Join`/
//! `Abort`. Anything whose effect escapes the coroutine and cannot be
//! undone — communication (a sent message cannot be unsent, a received one
//! cannot be put back), `Transfer`, `Open`, `Close`, `Spawn`, `Acquire`,
//! `Release`, `Halt` — faults with `SpeculationCommunicates`. (The endpoint
//! is parked at `end` while a scope is open, so the monitor stops any
//! communication attempt without a check on the send/receive path.)
//!
//! `Abort` restores the innermost checkpoint exactly (registers, monitor
//! state, knowledge) and continues after the `Abort`. `Join` asks the host
//! (`handle_join`): `true` commits (drops the checkpoint, keeps the
//! registers, records `Joined`), `false` restores like `Abort` and records
//! `JoinRejected`, an error faults with `Fault::Handler`. `Join`/`Abort`
//! without an open scope fault with `NoSpeculation`.

use crate::comm_cold::handler_fault;
use crate::coro_ext::SpeculationScope;
use crate::effect::trace::{EffectInputSummary, EffectKind, EffectOutcome};
use crate::effect::{EffectHandler, JoinInput};
use crate::event::ObsEvent;
use crate::exec::{Exec, Trap};
use crate::fault::Fault;
use crate::machine::ProtocolMachine;
use telltale_compiler::END_STATE;

/// How deeply speculation scopes may nest.
pub const MAX_SPECULATION_DEPTH: usize = 64;

impl ProtocolMachine {
    /// Executes `Fork{ghost}`.
    #[cold]
    pub(crate) fn exec_fork(&mut self, slot: u32, ghost: u16) -> Result<Exec, Trap> {
        let tick = self.clock;
        let c = self.coro_mut(slot);
        let ext = c.ext.get_or_insert_with(Box::default);
        if ext.scopes.len() >= MAX_SPECULATION_DEPTH {
            return Err(Fault::SpeculationTooDeep {
                max: MAX_SPECULATION_DEPTH,
            }
            .into());
        }
        ext.scopes.push(SpeculationScope {
            ghost,
            registers: c.registers.clone(),
            monitor_state: c.monitor_state,
            facts: ext.facts.len(),
        });
        c.monitor_state = END_STATE;
        c.pc += 1;
        let coro = c.id;
        self.obs.push(ObsEvent::Forked { tick, coro, ghost });
        Ok(Exec::Continue)
    }

    /// Executes `Abort`.
    #[cold]
    pub(crate) fn exec_abort(&mut self, slot: u32) -> Result<Exec, Trap> {
        let ghost = self.restore_scope(slot, "abort")?;
        let tick = self.clock;
        let c = self.coro_mut(slot);
        c.pc += 1;
        let coro = c.id;
        self.obs.push(ObsEvent::Aborted { tick, coro, ghost });
        Ok(Exec::Continue)
    }

    /// Executes `Join`.
    #[cold]
    pub(crate) fn exec_join(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
    ) -> Result<Exec, Trap> {
        let c = self.coro(slot);
        let Some(ghost) = c
            .ext
            .as_ref()
            .and_then(|e| e.scopes.last())
            .map(|s| s.ghost)
        else {
            return Err(no_speculation("join"));
        };
        let ctx = c.effect_context(self.clock);
        let result = handler.handle_join(&JoinInput { ctx, ghost });
        self.push_effect(
            ctx,
            EffectKind::Join,
            || EffectInputSummary {
                partner: None,
                labels: Vec::new(),
                payload: None,
                action: Some(ghost),
            },
            match &result {
                Ok(v) => EffectOutcome::Verdict(*v),
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        let commit = match result {
            Ok(commit) => commit,
            Err(e) => return Err(handler_fault(&self.image.symbols, ctx, "handle_join", e)),
        };
        let event = if commit {
            let c = self.coro_mut(slot);
            if let Some(ext) = c.ext.as_mut() {
                if let Some(scope) = ext.scopes.pop() {
                    c.monitor_state = scope.monitor_state;
                }
                if ext.is_empty() {
                    c.ext = None;
                }
            }
            ObsEvent::Joined {
                tick: ctx.tick,
                coro: ctx.coro,
                ghost,
            }
        } else {
            self.restore_scope(slot, "join")?;
            ObsEvent::JoinRejected {
                tick: ctx.tick,
                coro: ctx.coro,
                ghost,
            }
        };
        self.coro_mut(slot).pc += 1;
        self.obs.push(event);
        Ok(Exec::Continue)
    }

    /// Pops the innermost scope and restores its checkpoint; returns its
    /// ghost number.
    fn restore_scope(&mut self, slot: u32, instr: &str) -> Result<u16, Trap> {
        let c = self.coro_mut(slot);
        let Some(ext) = c.ext.as_mut() else {
            return Err(no_speculation(instr));
        };
        let Some(scope) = ext.scopes.pop() else {
            return Err(no_speculation(instr));
        };
        ext.facts.truncate(scope.facts);
        c.registers = scope.registers;
        c.monitor_state = scope.monitor_state;
        if ext.is_empty() {
            c.ext = None;
        }
        Ok(scope.ghost)
    }

    /// Faults an instruction that would escape an open speculation scope.
    #[inline]
    pub(crate) fn refuse_in_scope(&self, slot: u32, instr: &str) -> Result<(), Trap> {
        match self.coroutines[slot as usize]
            .as_ref()
            .and_then(|c| c.ext.as_deref())
            .and_then(|e| e.scopes.last())
        {
            None => Ok(()),
            Some(scope) => Err(escape(scope.ghost, instr)),
        }
    }

    /// The fault for a communication the monitor refused because the
    /// endpoint is parked (inside a speculation scope) or was transferred
    /// away; `None` for an ordinary protocol violation.
    #[cold]
    #[inline(never)]
    pub(crate) fn displaced_endpoint_fault(&self, slot: u32, actual: &str) -> Option<Trap> {
        let c = self.coroutines[slot as usize].as_ref()?;
        let ext = c.ext.as_deref()?;
        if let Some(scope) = ext.scopes.last() {
            return Some(escape(scope.ghost, actual));
        }
        if ext.transferred.contains(&(c.session, c.role)) {
            return Some(
                Fault::EndpointTransferred {
                    session: c.session,
                    role: self.image.symbols.role_name(c.role),
                }
                .into(),
            );
        }
        None
    }

    /// How many speculation scopes a coroutine has open.
    pub fn speculation_depth(&self, coro: crate::ids::CoroId) -> usize {
        self.coro_ext(coro).map_or(0, |e| e.scopes.len())
    }
}

#[cold]
fn escape(ghost: u16, instr: &str) -> Trap {
    Fault::SpeculationCommunicates {
        ghost,
        instr: instr.to_string(),
    }
    .into()
}

#[cold]
fn no_speculation(instr: &str) -> Trap {
    Fault::NoSpeculation {
        instr: instr.to_string(),
    }
    .into()
}
