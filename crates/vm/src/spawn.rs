//! `Spawn{target,args}`: starting a coroutine inside the spawner's session.
//!
//! The child runs the spawner's program (same session, same role, same
//! code image entry) from `target`. Its register file has the program's
//! register count, all `Unit`, except the endpoint register (r0, copied
//! from the parent) and the argument register `args` (copied from the
//! parent into the same register index). The child inherits the parent's
//! priority.
//!
//! Linearity: the session endpoint's protocol stays with the parent. The
//! child's monitor starts at `end`, so it may do local work (`Set`, `Move`,
//! `Jump`, `Invoke`, `Open`/`Close` of sessions, further `Spawn`s) and must
//! finish with `Halt`; any `Send`/`Receive`/`Offer`/`Choose` it attempts on
//! the shared endpoint is a protocol violation (the local type would
//! otherwise be played twice). The child belongs to the session: closing or
//! cancelling the session cancels it, and the session is reaped only once
//! the child is terminal too.
//!
//! The spawner then yields (like the reference kernel's `Spawn` block
//! reason), so the child gets a turn before the parent runs again under
//! round-robin policies.

use crate::coroutine::{CoroStatus, Coroutine};
use crate::event::ObsEvent;
use crate::exec::{register, Exec, Trap};
use crate::fault::Fault;
use crate::machine::ProtocolMachine;
use telltale_compiler::{Pc, Reg, Value, END_STATE};

/// Index of the endpoint register every program starts with.
const ENDPOINT_REGISTER: usize = 0;

impl ProtocolMachine {
    /// Executes `Spawn{target,args}` for the coroutine in `slot` (out of
    /// line: it stays out of the dispatch loop).
    #[inline(never)]
    pub(crate) fn exec_spawn(&mut self, slot: u32, target: Pc, args: Reg) -> Result<Exec, Trap> {
        self.refuse_in_scope(slot, "spawn")?;
        let parent = self.coroutines[slot as usize]
            .as_ref()
            .expect("a picked coroutine is resident");
        let program = &self.image.roles[usize::from(parent.entry)].program;
        if target as usize >= program.code.len() {
            return Err(Fault::PcOutOfRange { pc: target }.into());
        }
        let argument = register(&parent.registers, args)?.clone();
        let mut registers = vec![Value::Unit; parent.registers.len()].into_boxed_slice();
        if let (Some(dst), Some(src)) = (
            registers.get_mut(ENDPOINT_REGISTER),
            parent.registers.get(ENDPOINT_REGISTER),
        ) {
            *dst = src.clone();
        }
        registers[usize::from(args)] = argument;
        let id = self.next_coro;
        self.next_coro = self.next_coro.wrapping_add(1);
        let parent_id = parent.id;
        let session_slot = parent.session_slot;
        let child = Coroutine {
            id,
            session: parent.session,
            session_slot,
            role: parent.role,
            entry: parent.entry,
            pc: target,
            registers,
            status: CoroStatus::Ready,
            monitor_state: END_STATE,
            priority: parent.priority,
            progress_tokens: 0,
            queued: false,
            ext: None,
        };
        let child_slot = match self.coro_free.pop() {
            Some(free) => {
                self.coroutines[free as usize] = Some(child);
                free
            }
            None => {
                self.coroutines.push(Some(child));
                u32::try_from(self.coroutines.len() - 1).unwrap_or(u32::MAX)
            }
        };
        std::sync::Arc::make_mut(&mut self.coro_index).insert(id, child_slot);
        if let Some(session) = self.sessions.by_slot_mut(session_slot) {
            session.spawned.push(child_slot);
        }
        self.live += 1;
        self.enqueue(child_slot);
        self.coro_mut(slot).pc += 1;
        let tick = self.clock;
        self.obs.push(ObsEvent::Spawned {
            tick,
            parent: parent_id,
            child: id,
            pc: target,
        });
        Ok(Exec::Yielded)
    }
}
