//! Guard instructions: `Acquire{layer,dst}` and `Release{layer,evidence}`.
//!
//! `Acquire` asks the handler (`handle_acquire`). A grant writes the
//! evidence into `dst` and the machine remembers `layer -> evidence` for the
//! coroutine; `Block` blocks the coroutine with `BlockReason::Guard` and
//! queues it on the round-start wake list (the one that readies blocked
//! senders), so it is made ready and re-executes the `Acquire` at the start
//! of the next round: a run where only guard waiters remain keeps going and
//! completes once the handler grants. No per-round cost when no coroutine
//! waits on a guard.
//! Acquiring a layer already held faults with `GuardHeld` (handler not
//! called).
//!
//! `Release` checks, before calling the handler, that the layer is held
//! (`GuardNotHeld`) and that the register holds exactly the granted evidence
//! (`BadEvidence`); then `handle_release` validates it and the layer is
//! dropped. `Halt` while holding a layer faults with `GuardLeaked`.
//!
//! Handler errors fault with `Fault::Handler` (callbacks `handle_acquire`,
//! `handle_release`). Every handler call is recorded in the effect trace.

use crate::comm_cold::handler_fault;
use crate::config::EffectTraceCaptureMode;
use crate::coroutine::BlockReason;
use crate::effect::trace::{EffectInputSummary, EffectKind, EffectOutcome, EffectTraceEntry};
use crate::effect::{AcquireDecision, AcquireInput, EffectContext, EffectHandler, ReleaseInput};
use crate::event::ObsEvent;
use crate::exec::{register, register_mut, Exec, Trap};
use crate::fault::Fault;
use crate::machine::ProtocolMachine;
use telltale_compiler::{Reg, Value};

impl ProtocolMachine {
    /// Executes `Acquire{layer,dst}` for the coroutine in `slot`.
    #[cold]
    pub(crate) fn exec_acquire(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
        layer: u16,
        dst: Reg,
    ) -> Result<Exec, Trap> {
        self.refuse_in_scope(slot, "acquire")?;
        let c = self.coro(slot);
        register(&c.registers, dst)?;
        if c.ext.as_ref().is_some_and(|e| e.held.contains_key(&layer)) {
            return Err(Fault::GuardHeld { layer }.into());
        }
        let ctx = c.effect_context(self.clock);
        let result = handler.handle_acquire(&AcquireInput { ctx, layer });
        self.push_effect(
            ctx,
            EffectKind::Acquire,
            || EffectInputSummary {
                partner: None,
                labels: Vec::new(),
                payload: None,
                action: Some(layer),
            },
            match &result {
                Ok(d) => EffectOutcome::Acquire(d.clone()),
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        let evidence = match result {
            Ok(AcquireDecision::Grant { evidence }) => evidence,
            Ok(AcquireDecision::Block) => {
                // Retried at the next round start: the sender wake list
                // readies any non-receive block, a guard block included.
                self.wake_senders.push(slot);
                return Ok(Exec::Blocked(BlockReason::Guard { layer }));
            }
            Err(e) => return Err(handler_fault(&self.image.symbols, ctx, "handle_acquire", e)),
        };
        let c = self.coro_mut(slot);
        *register_mut(&mut c.registers, dst)? = evidence.clone();
        c.ext
            .get_or_insert_with(Box::default)
            .held
            .insert(layer, evidence);
        c.pc += 1;
        self.obs.push(ObsEvent::Acquired {
            tick: ctx.tick,
            coro: ctx.coro,
            layer,
        });
        Ok(Exec::Continue)
    }

    /// Executes `Release{layer,evidence}` for the coroutine in `slot`.
    #[cold]
    pub(crate) fn exec_release(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
        layer: u16,
        evidence: Reg,
    ) -> Result<Exec, Trap> {
        self.refuse_in_scope(slot, "release")?;
        let c = self.coro(slot);
        let given = register(&c.registers, evidence)?;
        let granted = c
            .ext
            .as_ref()
            .and_then(|e| e.held.get(&layer))
            .ok_or(Fault::GuardNotHeld { layer })?;
        if granted != given {
            return Err(Fault::BadEvidence { layer }.into());
        }
        let given = given.clone();
        let ctx = c.effect_context(self.clock);
        if let Err(e) = self.call_release(handler, ctx, layer, &given) {
            return Err(handler_fault(&self.image.symbols, ctx, "handle_release", e));
        }
        let c = self.coro_mut(slot);
        if let Some(ext) = c.ext.as_mut() {
            ext.held.remove(&layer);
        }
        c.pc += 1;
        self.obs.push(ObsEvent::Released {
            tick: ctx.tick,
            coro: ctx.coro,
            layer,
        });
        Ok(Exec::Continue)
    }

    /// The checks `Halt` makes on the extended state: no open speculation
    /// scope, no guard held.
    #[cold]
    #[inline(never)]
    pub(crate) fn check_halt_ext(&self, slot: u32) -> Result<(), Trap> {
        let Some(ext) = self.coroutines[slot as usize]
            .as_ref()
            .and_then(|c| c.ext.as_deref())
        else {
            return Ok(());
        };
        if let Some(scope) = ext.scopes.last() {
            return Err(Fault::SpeculationCommunicates {
                ghost: scope.ghost,
                instr: "halt".into(),
            }
            .into());
        }
        if let Some(&layer) = ext.held.keys().next() {
            return Err(Fault::GuardLeaked { layer }.into());
        }
        Ok(())
    }

    /// Calls `handle_release` and records the call in the effect trace.
    #[cold]
    pub(crate) fn call_release(
        &mut self,
        handler: &dyn EffectHandler,
        ctx: EffectContext,
        layer: u16,
        evidence: &Value,
    ) -> Result<(), String> {
        let result = handler.handle_release(&ReleaseInput {
            ctx,
            layer,
            evidence,
        });
        self.push_effect(
            ctx,
            EffectKind::Release,
            || EffectInputSummary {
                partner: None,
                labels: Vec::new(),
                payload: Some(evidence.clone()),
                action: Some(layer),
            },
            match &result {
                Ok(()) => EffectOutcome::Ack,
                Err(e) => EffectOutcome::Error(e.clone()),
            },
        );
        result
    }

    /// Appends a handler call of the extended instructions to the effect
    /// trace, when it records.
    #[cold]
    pub(crate) fn push_effect(
        &mut self,
        ctx: EffectContext,
        kind: EffectKind,
        input: impl FnOnce() -> EffectInputSummary,
        outcome: EffectOutcome,
    ) {
        if let Some(mode) = self.effect_capture() {
            self.effects.push(EffectTraceEntry {
                ctx,
                kind,
                input: (mode == EffectTraceCaptureMode::Full).then(input),
                outcome,
            });
        }
    }

    /// The guard layers a coroutine holds, with their evidence, by layer.
    pub fn held_guards(&self, coro: crate::ids::CoroId) -> Vec<(u16, Value)> {
        self.coro_ext(coro)
            .map(|e| e.held.iter().map(|(l, v)| (*l, v.clone())).collect())
            .unwrap_or_default()
    }

    /// The extended state of a coroutine, if it has any.
    pub(crate) fn coro_ext(&self, coro: crate::ids::CoroId) -> Option<&crate::coro_ext::CoroExt> {
        let slot = *self.coro_index.get(&coro)?;
        self.coroutines
            .get(slot as usize)
            .and_then(Option::as_ref)
            .and_then(|c| c.ext.as_deref())
    }
}
