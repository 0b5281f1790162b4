//! Guards of coroutines that ended without releasing them.
//!
//! A coroutine cancelled (its session closed or cancelled), crashed or
//! faulted while holding guard layers cannot run its `Release`. The
//! machine queues it when it ends and, at the start of the next round,
//! releases each layer through `handle_release` (recorded in the effect
//! trace and as `Released`), so a host lock is never held forever by a
//! coroutine that is gone. A session is not reaped while a member still
//! holds a guard. A failing release is returned as that coroutine's typed
//! handler fault; the layer is forgotten either way (its coroutine has
//! ended, nothing could release it later).

use crate::comm_cold::handler_fault;
use crate::effect::EffectHandler;
use crate::event::ObsEvent;
use crate::fault::ProtocolMachineError;
use crate::machine::ProtocolMachine;

impl ProtocolMachine {
    /// Queues the coroutine in `slot` if it ended holding guard layers.
    pub(crate) fn orphan_guards(&mut self, slot: u32) {
        let holds = self
            .coroutines
            .get(slot as usize)
            .and_then(Option::as_ref)
            .and_then(|c| c.ext.as_ref())
            .is_some_and(|e| !e.held.is_empty());
        if holds {
            self.orphaned_guards.push(slot);
        }
    }

    /// Releases every queued coroutine's guard layers, in queue then layer
    /// order.
    #[cold]
    pub(crate) fn release_orphaned_guards(
        &mut self,
        handler: &dyn EffectHandler,
    ) -> Result<(), ProtocolMachineError> {
        let mut first_error = None;
        for slot in std::mem::take(&mut self.orphaned_guards) {
            let Some(c) = self
                .coroutines
                .get_mut(slot as usize)
                .and_then(Option::as_mut)
            else {
                continue;
            };
            let held = c
                .ext
                .as_mut()
                .map(|e| std::mem::take(&mut e.held))
                .unwrap_or_default();
            let ctx = c.effect_context(self.clock);
            for (layer, evidence) in held {
                match self.call_release(handler, ctx, layer, &evidence) {
                    Ok(()) => self.obs.push(ObsEvent::Released {
                        tick: ctx.tick,
                        coro: ctx.coro,
                        layer,
                    }),
                    Err(e) if first_error.is_none() => {
                        let fault = handler_fault(&self.image.symbols, ctx, "handle_release", e);
                        first_error = Some(ProtocolMachineError::Fault {
                            coro: ctx.coro,
                            session: ctx.session,
                            fault: *fault.0,
                        });
                    }
                    Err(_) => {}
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
