//! `Transfer{endpoint,target,bundle}`: delegating an endpoint, with its
//! pending obligations, to another coroutine.
//!
//! Register `endpoint` holds `Value::Endpoint{session, role}` owned by the
//! executing coroutine (its own session and role, and the session's role
//! slot points at it), else `EndpointNotOwned` (`NotAnEndpoint` if it is no
//! endpoint at all). Register `target` holds the id (`Value::Nat`) of the
//! new owner, which must be a live coroutine of the same session running
//! the same program with no obligations of its own (monitor at `end`, no
//! open speculation scope) — typically a coroutine `Spawn`ed by the owner;
//! anything else is `BadTransferTarget` with the reason.
//!
//! On success, atomically: the session's role slot points at the target;
//! the target takes over the monitor state (the remaining local type) and
//! the progress tokens; the endpoint value is written into the target's
//! register `endpoint` and the value of register `bundle` copied into the
//! target's register `bundle`. The old owner's `endpoint` register becomes
//! `Unit`, its monitor is at `end` (so it may `Halt`), and any later
//! communication on the endpoint faults with `EndpointTransferred`. Wake-ups
//! of the role (message arrivals, buffer room, heals) go to the new owner.
//! Both stay members of the session (closing or cancelling it stops both).
//! `Delegated { session, role, from, to }` is recorded. Transfer inside a
//! speculation scope is refused (`SpeculationCommunicates`).

use crate::comm_cold::inactive;
use crate::event::ObsEvent;
use crate::exec::{register, Exec, Trap};
use crate::fault::Fault;
use crate::machine::ProtocolMachine;
use crate::session::SessionStatus;
use telltale_compiler::{Reg, Value, END_STATE};

impl ProtocolMachine {
    /// Executes `Transfer{endpoint,target,bundle}`.
    #[cold]
    pub(crate) fn exec_transfer(
        &mut self,
        slot: u32,
        endpoint: Reg,
        target: Reg,
        bundle: Reg,
    ) -> Result<Exec, Trap> {
        self.refuse_in_scope(slot, "transfer")?;
        let c = self.coro(slot);
        let ep = match register(&c.registers, endpoint)? {
            Value::Endpoint(e) => *e,
            other => {
                return Err(Fault::NotAnEndpoint {
                    reg: endpoint,
                    found: other.kind().to_string(),
                }
                .into())
            }
        };
        let session = self
            .sessions
            .by_slot(c.session_slot)
            .expect("a coroutine's session is resident");
        let owned =
            ep.session == c.session && ep.role == c.role && session.slot_of(ep.role) == Some(slot);
        if !owned {
            return Err(Fault::EndpointNotOwned {
                session: ep.session,
                role: self.image.symbols.role_name(ep.role),
            }
            .into());
        }
        if session.status != SessionStatus::Active {
            return Err(inactive(ep.session));
        }
        let target_id = match register(&c.registers, target)? {
            Value::Nat(n) => *n,
            other => {
                return Err(Fault::BadOperand {
                    reg: target,
                    expected: "a coroutine id (nat)".into(),
                    found: other.kind().to_string(),
                }
                .into())
            }
        };
        let carried = register(&c.registers, bundle)?.clone();
        let bad = |reason: String| -> Trap {
            Fault::BadTransferTarget {
                target: target_id,
                reason,
            }
            .into()
        };
        let Some(tslot) = u32::try_from(target_id)
            .ok()
            .and_then(|id| self.coro_index.get(&id).copied())
        else {
            return Err(bad("no such coroutine".into()));
        };
        if tslot == slot {
            return Err(bad("it is the owner itself".into()));
        }
        let Some(t) = self.coroutines.get(tslot as usize).and_then(Option::as_ref) else {
            return Err(bad("no such coroutine".into()));
        };
        if t.status.is_terminal() {
            return Err(bad("it has stopped".into()));
        }
        if t.session != ep.session {
            return Err(bad(format!("it belongs to session {}", t.session)));
        }
        if t.entry != c.entry {
            return Err(bad("it runs another program".into()));
        }
        if t.monitor_state != END_STATE {
            return Err(bad("it has protocol obligations of its own".into()));
        }
        if t.ext.as_ref().is_some_and(|e| !e.scopes.is_empty()) {
            return Err(bad("it is inside a speculation scope".into()));
        }
        register(&t.registers, endpoint)?;
        register(&t.registers, bundle)?;
        let (from, to) = (c.id, t.id);
        let sslot = c.session_slot;

        // Commit: the owner gives up the endpoint ...
        let owner = self.coro_mut(slot);
        let obligations = owner.monitor_state;
        let tokens = std::mem::take(&mut owner.progress_tokens);
        owner.monitor_state = END_STATE;
        owner.registers[usize::from(endpoint)] = Value::Unit;
        owner
            .ext
            .get_or_insert_with(Box::default)
            .transferred
            .push((ep.session, ep.role));
        owner.pc += 1;
        // ... the target takes it over ...
        let new = self.coro_mut(tslot);
        new.monitor_state = obligations;
        new.progress_tokens = new.progress_tokens.saturating_add(tokens);
        new.registers[usize::from(bundle)] = carried;
        new.registers[usize::from(endpoint)] = Value::Endpoint(ep);
        if let Some(ext) = new.ext.as_mut() {
            ext.transferred.retain(|e| *e != (ep.session, ep.role));
            if ext.is_empty() {
                new.ext = None;
            }
        }
        // ... and the session routes the role to it.
        if let Some(s) = self.sessions.by_slot_mut(sslot) {
            s.coro_slots[usize::from(ep.role)] = tslot;
            match s.spawned.iter_mut().find(|m| **m == tslot) {
                Some(member) => *member = slot,
                None => s.spawned.push(slot),
            }
        }
        self.obs.push(ObsEvent::Delegated {
            tick: self.clock,
            session: ep.session,
            role: ep.role,
            from,
            to,
        });
        Ok(Exec::Continue)
    }
}
