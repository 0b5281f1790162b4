//! Receiving: `Receive` (no table) and `Choose` (with a table), checked
//! against the endpoint's monitor state, the handler called before the
//! message is taken off its buffer, then registers, monitor state and pc
//! committed together.

use crate::auth::MessageId;
use crate::buffer::BufferMode;
use crate::comm_cold::{auth_fault, handler_fault, inactive, record_recv_effect};
use crate::config::CommunicationReplayMode;
use crate::coroutine::BlockReason;
use crate::effect::{EffectHandler, RecvInput};
use crate::event::{MessageEvent, ObsEvent};
use crate::exec::{capture_mode, register, register_mut, Exec, Trap};
use crate::machine::ProtocolMachine;
use crate::replay::consumption::{self as replay_consumption, ReceiveSite};
use crate::replay::proof::ReplayProofEntry;
use crate::session::SessionStatus;
use telltale_compiler::{Reg, RoleId, StateKind, TableId};

impl ProtocolMachine {
    /// `Receive` (no table) and `Choose` (with a table). The checks and
    /// the common "nothing queued yet: block" outcome are inlined into the
    /// dispatch loop; delivering a queued message is out of line.
    #[inline(always)]
    pub(crate) fn exec_recv(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
        chan: RoleId,
        dst: Reg,
        table: Option<TableId>,
    ) -> Result<Exec, Trap> {
        let c = self.coro(slot);
        let (role, sslot) = (c.role, c.session_slot);
        let state = *self.monitors[usize::from(c.entry)].state(c.monitor_state);
        if state.kind != StateKind::Recv
            || state.partner != chan
            || (table.is_none() && state.len != 1)
        {
            return Err(self.violation(slot, self.describe(chan, table, "receive from")));
        }
        register(&c.registers, dst)?;
        let session_id = c.session;
        let session = self
            .sessions
            .by_slot_mut(sslot)
            .expect("a coroutine's session is resident");
        if session.status != SessionStatus::Active {
            return Err(inactive(session_id));
        }
        let Some(edge_index) = session.checked_edge_index(chan, role) else {
            return Err(self.violation(slot, self.describe(chan, table, "receive from")));
        };
        let edge = &mut session.edges[edge_index];
        if edge.buffer.is_empty() {
            edge.recv_waiting = true;
            return Ok(Exec::Blocked(BlockReason::Recv { from: chan }));
        }
        self.recv_queued(slot, handler, chan, dst, table, edge_index)
    }

    /// The rest of a receive whose edge has a queued message (the checks
    /// of [`ProtocolMachine::exec_recv`] have passed).
    #[inline(never)]
    fn recv_queued(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
        chan: RoleId,
        dst: Reg,
        table: Option<TableId>,
        edge_index: usize,
    ) -> Result<Exec, Trap> {
        let c = self.coro(slot);
        let (entry, ms, role, sslot, pc) = (
            usize::from(c.entry),
            c.monitor_state,
            c.role,
            c.session_slot,
            c.pc,
        );
        let ctx = c.effect_context(self.clock);
        let monitor = &self.monitors[entry];
        let program = &self.image.roles[entry].program;
        let session = self
            .sessions
            .by_slot_mut(sslot)
            .expect("a coroutine's session is resident");
        let sender = session.slot_of(chan);
        let mut auth = session.auth.as_deref_mut();
        let replay = session.replay.as_deref_mut();
        let edge = &mut session.edges[edge_index];
        let Some(envelope) = edge.buffer.peek() else {
            edge.recv_waiting = true;
            return Ok(Exec::Blocked(BlockReason::Recv { from: chan }));
        };
        let label = envelope.label;
        let chain_head = match auth.as_deref_mut() {
            None => None,
            Some(a) => {
                let id = MessageId {
                    session: ctx.session,
                    from: chan,
                    to: role,
                    label,
                    seq: envelope.seq,
                    payload: &envelope.payload,
                };
                match a.check(id, envelope.seal.as_deref()) {
                    Ok(head) => Some(head),
                    Err(failure) => {
                        return Err(auth_fault(
                            &self.image.symbols,
                            failure,
                            ctx.session,
                            chan,
                            role,
                            envelope.seq,
                        ))
                    }
                }
            }
        };
        let replay_commit = if self.config.communication_replay_mode == CommunicationReplayMode::Off
        {
            None
        } else {
            let site = ReceiveSite {
                session: ctx.session,
                from: chan,
                to: role,
                choice: table.is_some(),
                edge_index,
                next_recv_seq: edge.next_recv_seq,
            };
            match replay_consumption::check(
                self.config.communication_replay_mode,
                self.config.buffer.mode,
                &self.image.symbols,
                replay.as_deref(),
                site,
                envelope,
            ) {
                Ok(commit) => Some(commit),
                Err(fault) => return Err(fault.into()),
            }
        };
        let next = monitor.step(ms, label);
        let target = match table {
            Some(t) => program.tables[usize::from(t)].target(label),
            None => Some(pc + 1),
        };
        let (Some(next), Some(target)) = (next, target) else {
            if table.is_none() {
                if let Some(exec) = self.miss_lost(slot, chan) {
                    return Ok(exec);
                }
            }
            let actual = format!(
                "receive from {} label {}",
                self.image.symbols.role_name(chan),
                self.image.symbols.label_name(label)
            );
            return Err(self.violation(slot, actual));
        };
        let result = handler.handle_recv(&RecvInput {
            ctx,
            partner: chan,
            label,
            payload: &envelope.payload,
            monitor,
            state: ms,
            symbols: &self.image.symbols,
        });
        if let Some(mode) = capture_mode(&self.config, &self.effects) {
            record_recv_effect(
                &mut self.effects,
                mode,
                ctx,
                chan,
                label,
                &envelope.payload,
                &result,
            );
        }
        if let Err(e) = result {
            return Err(handler_fault(&self.image.symbols, ctx, "handle_recv", e));
        }
        let envelope = edge
            .buffer
            .pop()
            .expect("the peeked message is still queued");
        edge.next_recv_seq = envelope.seq + 1;
        if let (Some(a), Some(head)) = (auth, chain_head) {
            a.commit_recv(chan, role, head);
        }
        if let Some(commit) = replay_commit {
            let entry = ReplayProofEntry {
                tick: ctx.tick,
                session: ctx.session,
                from: chan,
                to: role,
                seq: envelope.seq,
                nullifier: commit.nullifier,
                pre_root: commit.pre_root,
                post_root: commit.post_root,
            };
            let latest = self.config.buffer.mode == BufferMode::LatestValue;
            replay_consumption::record(replay, &mut self.replay_proofs, edge_index, entry, latest);
        }
        if edge.send_waiting {
            edge.send_waiting = false;
            if let Some(s) = sender {
                self.wake_senders.push(s);
            }
        }
        let recording = self.obs.is_recording();
        let c = self.coro_mut(slot);
        let reg = register_mut(&mut c.registers, dst)?;
        *reg = envelope.payload;
        let traced = if recording { Some(reg.clone()) } else { None };
        c.monitor_state = next;
        c.pc = target;
        c.progress_tokens = c.progress_tokens.saturating_sub(1);
        if let Some(payload) = traced {
            let event = MessageEvent {
                tick: ctx.tick,
                session: ctx.session,
                from: chan,
                to: role,
                label,
                seq: envelope.seq,
                payload,
            };
            self.obs.push(if table.is_some() {
                ObsEvent::Chose(event)
            } else {
                ObsEvent::Received(event)
            });
            self.note_output_hint(handler, ctx);
        }
        Ok(Exec::Continue)
    }
}
