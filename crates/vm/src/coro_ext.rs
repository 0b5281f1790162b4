//! Per-coroutine state of the guard, speculation, ownership and knowledge
//! instructions, and their out-of-line dispatch.
//!
//! Most coroutines never execute these instructions, so the state lives
//! behind one `Option<Box<_>>` on the coroutine: the send/receive hot path
//! never touches it, and a coroutine that does not use them pays one null
//! pointer.

use crate::effect::EffectHandler;
use crate::exec::{Exec, Trap};
use crate::ids::SessionId;
use crate::machine::ProtocolMachine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use telltale_compiler::{Instr, RoleId, StateId, Value};

/// The extended state of one coroutine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CoroExt {
    /// Guard layers held, with the evidence the handler granted.
    pub held: BTreeMap<u16, Value>,
    /// Open speculation scopes, innermost last.
    pub scopes: Vec<SpeculationScope>,
    /// Knowledge facts tagged so far, in tag order (a fact's index is its
    /// tag). Append-only, without duplicates.
    pub facts: Vec<Value>,
    /// Endpoints this coroutine transferred away (session, role).
    pub transferred: Vec<(SessionId, RoleId)>,
}

/// The checkpoint `Fork` takes of a coroutine's session-local state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeculationScope {
    /// The ghost number of the `Fork`.
    pub ghost: u16,
    /// The register file at the fork.
    pub registers: Box<[Value]>,
    /// The endpoint's monitor state at the fork (parked at `end` inside
    /// the scope).
    pub monitor_state: StateId,
    /// Number of knowledge facts at the fork (facts are append-only, so
    /// restoring truncates).
    pub facts: usize,
}

impl CoroExt {
    /// Whether the state is empty and can be dropped.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
            && self.scopes.is_empty()
            && self.facts.is_empty()
            && self.transferred.is_empty()
    }
}

impl ProtocolMachine {
    /// Dispatches the guard, speculation, delegation and knowledge
    /// instructions, out of line so that the dispatch loop of the common
    /// instructions stays as small as before.
    #[cold]
    #[inline(never)]
    pub(crate) fn exec_extended(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
        instr: Instr,
    ) -> Result<Exec, Trap> {
        match instr {
            Instr::Acquire { layer, dst } => self.exec_acquire(slot, handler, layer, dst),
            Instr::Release { layer, evidence } => self.exec_release(slot, handler, layer, evidence),
            Instr::Fork { ghost } => self.exec_fork(slot, ghost),
            Instr::Join => self.exec_join(slot, handler),
            Instr::Abort => self.exec_abort(slot),
            Instr::Transfer {
                endpoint,
                target,
                bundle,
            } => self.exec_transfer(slot, endpoint, target, bundle),
            Instr::Tag { fact, dst } => self.exec_tag(slot, fact, dst),
            Instr::Check {
                knowledge,
                target,
                dst,
            } => self.exec_check(slot, knowledge, target, dst),
            other => Err(crate::fault::Fault::Unsupported {
                instr: other.mnemonic().to_string(),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_state_round_trips_through_serde() {
        let mut ext = CoroExt::default();
        assert!(ext.is_empty());
        ext.held.insert(2, Value::Nat(7));
        ext.facts.push(Value::String("f".into()));
        ext.transferred.push((3, 1));
        ext.scopes.push(SpeculationScope {
            ghost: 4,
            registers: vec![Value::Int(-1), Value::Unit].into_boxed_slice(),
            monitor_state: 5,
            facts: 0,
        });
        let json = serde_json::to_string(&ext).unwrap();
        assert_eq!(serde_json::from_str::<CoroExt>(&json).unwrap(), ext);
        let bytes = postcard::to_allocvec(&ext).unwrap();
        assert_eq!(postcard::from_bytes::<CoroExt>(&bytes).unwrap(), ext);
    }
}
