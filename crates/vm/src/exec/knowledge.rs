//! Knowledge instructions: `Tag{fact,dst}` and `Check{knowledge,target,dst}`.
//!
//! `Tag` adds the value of register `fact` to the coroutine's knowledge base
//! (an append-only list without duplicates) and writes its tag, the fact's
//! index as `Value::Nat`, into `dst` (tagging a known fact returns its
//! existing tag). `Check` reads a fact from register `knowledge` and a role
//! from register `target` (a role name `Value::String` or id `Value::Nat`; an
//! unknown role is `UnknownRole`, another kind `BadOperand`). If
//! `Config::flow_policy` permits revealing the fact (by its
//! [`fact_key`](crate::knowledge::fact_key)) to that role, `dst` gets
//! `Value::Bool(known)`; otherwise the coroutine faults with
//! `FlowPolicyViolation` — whether or not the fact is known, so a forbidden
//! check reveals nothing. Neither calls the handler. Both are local and
//! allowed inside speculation scopes (`Abort` forgets facts tagged inside).

use crate::event::ObsEvent;
use crate::exec::{register, register_mut, Exec, Trap};
use crate::fault::Fault;
use crate::knowledge::fact_key;
use crate::machine::ProtocolMachine;
use telltale_compiler::{Reg, RoleId, Value};

impl ProtocolMachine {
    /// Executes `Tag{fact,dst}`.
    #[cold]
    pub(crate) fn exec_tag(&mut self, slot: u32, fact: Reg, dst: Reg) -> Result<Exec, Trap> {
        let tick = self.clock;
        let c = self.coro_mut(slot);
        let value = register(&c.registers, fact)?.clone();
        register(&c.registers, dst)?;
        let facts = &mut c.ext.get_or_insert_with(Box::default).facts;
        let index = match facts.iter().position(|f| *f == value) {
            Some(i) => i,
            None => {
                facts.push(value);
                facts.len() - 1
            }
        } as u64;
        *register_mut(&mut c.registers, dst)? = Value::Nat(index);
        c.pc += 1;
        let coro = c.id;
        self.obs.push(ObsEvent::Tagged { tick, coro, index });
        Ok(Exec::Continue)
    }

    /// Executes `Check{knowledge,target,dst}`.
    #[cold]
    pub(crate) fn exec_check(
        &mut self,
        slot: u32,
        knowledge: Reg,
        target: Reg,
        dst: Reg,
    ) -> Result<Exec, Trap> {
        let c = self.coro(slot);
        let fact = register(&c.registers, knowledge)?;
        let role = self.role_operand(target, register(&c.registers, target)?)?;
        register(&c.registers, dst)?;
        let role_name = self.image.symbols.role_name(role);
        let key = fact_key(fact);
        if !self.config.flow_policy.permits(&key, &role_name) {
            return Err(Fault::FlowPolicyViolation {
                fact: key,
                role: role_name,
            }
            .into());
        }
        let known = c
            .ext
            .as_ref()
            .is_some_and(|e| e.facts.iter().any(|f| f == fact));
        let tick = self.clock;
        let c = self.coro_mut(slot);
        *register_mut(&mut c.registers, dst)? = Value::Bool(known);
        c.pc += 1;
        let coro = c.id;
        self.obs.push(ObsEvent::Checked {
            tick,
            coro,
            role,
            known,
        });
        Ok(Exec::Continue)
    }

    /// A role named by a register: a name or an id of the image.
    fn role_operand(&self, reg: Reg, value: &Value) -> Result<RoleId, Trap> {
        let symbols = &self.image.symbols;
        match value {
            Value::String(name) => symbols.role_id(name).ok_or_else(|| {
                Fault::UnknownRole {
                    role: name.to_string(),
                }
                .into()
            }),
            Value::Nat(n) => RoleId::try_from(*n)
                .ok()
                .filter(|id| symbols.role(*id).is_some())
                .ok_or_else(|| {
                    Fault::UnknownRole {
                        role: format!("#{n}"),
                    }
                    .into()
                }),
            other => Err(Fault::BadOperand {
                reg,
                expected: "a role name (str) or role id (nat)".into(),
                found: other.kind().to_string(),
            }
            .into()),
        }
    }

    /// The knowledge facts a coroutine has tagged, in tag order.
    pub fn knowledge(&self, coro: crate::ids::CoroId) -> Vec<Value> {
        self.coro_ext(coro)
            .map(|e| e.facts.clone())
            .unwrap_or_default()
    }
}
