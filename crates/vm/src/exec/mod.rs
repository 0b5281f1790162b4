//! The dispatch loop: one `match` over the instruction set, with control,
//! register and lifecycle instructions; communication lives in `comm`,
//! effect calls in `effect`, guards in `guard`, speculation in
//! `speculation`, delegation in `transfer`, knowledge in `knowledge`.

mod comm;
mod effect;
mod guard;
#[cfg(test)]
mod guard_tests;
mod knowledge;
#[cfg(test)]
mod knowledge_tests;
mod recv;
pub(crate) mod speculation;
#[cfg(test)]
mod speculation_tests;
#[cfg(test)]
pub(crate) mod test_support;
mod transfer;
#[cfg(test)]
mod transfer_tests;

use crate::config::EffectTraceCaptureMode;
use crate::coroutine::BlockReason;
use crate::effect::trace::EffectTraceEntry;
use crate::effect::EffectHandler;
use crate::fault::{Fault, LifecycleError};
use crate::ids::HandlerId;
use crate::machine::ProtocolMachine;
use telltale_compiler::{Endpoint, Instr, Reg, StateKind, Value};

/// A fault on its way out of the dispatch loop, boxed so that the `Ok`
/// path of every instruction stays small (the error path is cold).
#[derive(Debug)]
pub(crate) struct Trap(pub(crate) Box<Fault>);

impl From<Fault> for Trap {
    #[cold]
    fn from(fault: Fault) -> Self {
        Trap(Box::new(fault))
    }
}

impl From<LifecycleError> for Trap {
    #[cold]
    fn from(error: LifecycleError) -> Self {
        Trap(Box::new(Fault::Lifecycle(error)))
    }
}

/// What executing one instruction did to its coroutine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exec {
    /// It can run again.
    Continue,
    /// It gave way; it is runnable but goes to the back of the queue.
    Yielded,
    /// It waits.
    Blocked(BlockReason),
    /// It finished.
    Halted,
}

impl ProtocolMachine {
    /// Executes the instruction at the coroutine's pc.
    pub(crate) fn exec_instr(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
    ) -> Result<Exec, Trap> {
        let c = self.coro(slot);
        let pc = c.pc;
        let Some(&instr) = self.image.roles[usize::from(c.entry)]
            .program
            .code
            .get(pc as usize)
        else {
            return Err(Fault::PcOutOfRange { pc }.into());
        };
        match instr {
            Instr::Send { chan, val } => self.exec_send(slot, handler, chan, val, None),
            Instr::Offer { chan, table } => self.exec_send(slot, handler, chan, None, Some(table)),
            Instr::Receive { chan, dst } => self.exec_recv(slot, handler, chan, dst, None),
            Instr::Choose { chan, table } => {
                let entry = usize::from(c.entry);
                let dst = self.image.roles[entry].program.tables[usize::from(table)].dst;
                self.exec_recv(slot, handler, chan, dst, Some(table))
            }
            Instr::Jump { target } => {
                self.coro_mut(slot).pc = target;
                Ok(Exec::Continue)
            }
            Instr::Set { dst, val } => {
                let entry = usize::from(c.entry);
                let value = self.image.roles[entry].program.consts[usize::from(val)].clone();
                let c = self.coro_mut(slot);
                *register_mut(&mut c.registers, dst)? = value;
                c.pc += 1;
                Ok(Exec::Continue)
            }
            Instr::Move { dst, src } => {
                let c = self.coro_mut(slot);
                let value = register(&c.registers, src)?.clone();
                *register_mut(&mut c.registers, dst)? = value;
                c.pc += 1;
                Ok(Exec::Continue)
            }
            Instr::Yield => {
                self.coro_mut(slot).pc += 1;
                Ok(Exec::Yielded)
            }
            Instr::Halt => {
                let state = self.monitors[usize::from(c.entry)].state(c.monitor_state);
                if state.kind != StateKind::End || c.ext.is_some() {
                    return self.halt_slow(slot, state.kind);
                }
                Ok(Exec::Halted)
            }
            Instr::Invoke { action, dst } => self.exec_invoke(slot, handler, action, dst),
            Instr::Open { spec } => self.exec_open(slot, spec),
            Instr::Close { session } => self.exec_close(slot, session),
            Instr::Spawn { target, args } => self.exec_spawn(slot, target, args),
            Instr::Acquire { .. }
            | Instr::Release { .. }
            | Instr::Fork { .. }
            | Instr::Join
            | Instr::Abort
            | Instr::Transfer { .. }
            | Instr::Tag { .. }
            | Instr::Check { .. } => self.exec_extended(slot, handler, instr),
        }
    }

    /// The coroutine in `slot`, which the scheduler picked (so it is
    /// resident).
    #[inline]
    pub(crate) fn coro(&self, slot: u32) -> &crate::coroutine::Coroutine {
        self.coroutines[slot as usize]
            .as_ref()
            .expect("a picked coroutine is resident")
    }

    #[inline]
    pub(crate) fn coro_mut(&mut self, slot: u32) -> &mut crate::coroutine::Coroutine {
        self.coroutines[slot as usize]
            .as_mut()
            .expect("a picked coroutine is resident")
    }

    /// Whether the effect trace records calls, and how much.
    #[inline]
    pub(crate) fn effect_capture(&self) -> Option<EffectTraceCaptureMode> {
        capture_mode(&self.config, &self.effects)
    }

    /// `Halt` of a coroutine not at `end` or with extended state (open
    /// speculation scope, guards held): out of line.
    #[cold]
    #[inline(never)]
    fn halt_slow(&self, slot: u32, kind: StateKind) -> Result<Exec, Trap> {
        self.check_halt_ext(slot)?;
        if kind != StateKind::End {
            return Err(self.violation(slot, "halt".to_string()));
        }
        Ok(Exec::Halted)
    }

    /// A protocol violation by the coroutine in `slot`: what its local type
    /// allows versus what it did.
    #[cold]
    pub(crate) fn violation(&self, slot: u32, actual: String) -> Trap {
        if let Some(trap) = self.displaced_endpoint_fault(slot, &actual) {
            return trap;
        }
        let c = self.coro(slot);
        let monitor = &self.monitors[usize::from(c.entry)];
        let state = monitor.state(c.monitor_state);
        let symbols = &self.image.symbols;
        let labels: Vec<String> = monitor
            .transitions_of(state)
            .iter()
            .map(|t| symbols.label_name(t.label))
            .collect();
        let expected = match state.kind {
            StateKind::End => "halt (the local type is at end)".to_string(),
            StateKind::Send => format!(
                "send to {} one of {{{}}}",
                symbols.role_name(state.partner),
                labels.join(", ")
            ),
            StateKind::Recv => format!(
                "receive from {} one of {{{}}}",
                symbols.role_name(state.partner),
                labels.join(", ")
            ),
        };
        Fault::ProtocolViolation {
            session: c.session,
            role: symbols.role_name(c.role),
            expected,
            actual,
        }
        .into()
    }

    // Out of line: lifecycle instructions stay out of the dispatch loop.
    #[inline(never)]
    fn exec_open(&mut self, slot: u32, spec: u16) -> Result<Exec, Trap> {
        self.refuse_in_scope(slot, "open")?;
        let c = self.coro(slot);
        let spec =
            self.image.roles[usize::from(c.entry)].program.open_specs[usize::from(spec)].clone();
        if spec.roles.len() != spec.local_types.len() || spec.roles.len() != spec.dsts.len() {
            return Err(LifecycleError::Arity {
                roles: spec.roles.len(),
                local_types: spec.local_types.len(),
                dsts: spec.dsts.len(),
            }
            .into());
        }
        for dst in &spec.dsts {
            register(&c.registers, *dst)?;
        }
        let mut entries = Vec::with_capacity(spec.roles.len());
        for (i, role) in spec.roles.iter().enumerate() {
            if spec.roles[..i].contains(role) {
                return Err(LifecycleError::DuplicateRole {
                    role: self.image.symbols.role_name(*role),
                }
                .into());
            }
            let entry = self.entry_of_role[usize::from(spec.local_types[i])];
            if entry == u16::MAX {
                return Err(LifecycleError::UnknownRole {
                    role: self.image.symbols.role_name(spec.local_types[i]),
                }
                .into());
            }
            entries.push(entry);
        }
        let width = self.image.symbols.roles.len();
        let mut bound: Vec<Option<HandlerId>> = vec![None; width * width];
        for (from, to, h) in &spec.handlers {
            bound[usize::from(*from) * width + usize::from(*to)] = Some(*h);
        }
        let sid = self.open_with_ids(spec.roles.clone(), &entries, &bound, Some(slot))?;
        let c = self.coro_mut(slot);
        for (role, dst) in spec.roles.iter().zip(&spec.dsts) {
            *register_mut(&mut c.registers, *dst)? = Value::Endpoint(Endpoint {
                session: sid,
                role: *role,
            });
        }
        c.pc += 1;
        Ok(Exec::Continue)
    }

    // Out of line: lifecycle instructions stay out of the dispatch loop.
    #[inline(never)]
    fn exec_close(&mut self, slot: u32, reg: Reg) -> Result<Exec, Trap> {
        self.refuse_in_scope(slot, "close")?;
        let c = self.coro(slot);
        let endpoint = match register(&c.registers, reg)? {
            Value::Endpoint(e) => *e,
            other => {
                return Err(Fault::NotAnEndpoint {
                    reg,
                    found: other.kind().to_string(),
                }
                .into())
            }
        };
        let id = c.id;
        self.close_by_slot(endpoint.session, Some(slot), id)?;
        self.coro_mut(slot).pc += 1;
        Ok(Exec::Continue)
    }
}

/// Reads a register, bounds-checked.
#[inline]
pub(crate) fn register(registers: &[Value], reg: Reg) -> Result<&Value, Trap> {
    registers
        .get(usize::from(reg))
        .ok_or_else(|| out_of_registers(reg, registers.len()))
}

/// Writes a register, bounds-checked.
#[inline]
pub(crate) fn register_mut(registers: &mut [Value], reg: Reg) -> Result<&mut Value, Trap> {
    let count = registers.len();
    registers
        .get_mut(usize::from(reg))
        .ok_or_else(|| out_of_registers(reg, count))
}

#[cold]
fn out_of_registers(reg: Reg, count: usize) -> Trap {
    Fault::OutOfRegisters {
        reg,
        count: u16::try_from(count).unwrap_or(u16::MAX),
    }
    .into()
}

/// Whether an effect trace with this configuration records calls, and how much.
#[inline]
pub(crate) fn capture_mode(
    config: &crate::config::Config,
    effects: &crate::trace::TraceLog<EffectTraceEntry>,
) -> Option<EffectTraceCaptureMode> {
    match config.effect_trace_capture_mode {
        EffectTraceCaptureMode::Off => None,
        _ if !effects.is_recording() => None,
        mode => Some(mode),
    }
}
