//! Communication instructions: `Send` and `Offer` (`Receive` and `Choose`
//! are in `recv.rs`), and what both directions share.
//!
//! Each one is checked against the endpoint's monitor state with an integer
//! lookup, calls the handler before anything is committed, and commits the
//! buffer, registers, monitor state and pc together.

use crate::auth::MessageId;
use crate::buffer::{Admission, Envelope};
use crate::comm_cold::{handler_fault, inactive, record_send_effect};
use crate::coroutine::BlockReason;
use crate::deadline::discard_late;
use crate::effect::trace::{EffectKind, EffectOutcome, EffectTraceEntry};
use crate::effect::{
    EffectContext, EffectHandler, OutputHintInput, SendDecision, SendDecisionInput,
};
use crate::event::{MessageEvent, ObsEvent};
use crate::exec::{register, Exec, Trap};
use crate::fault::Fault;
use crate::machine::ProtocolMachine;
use crate::network::{InFlight, NetworkSend};
use crate::payload::check_payload;
use crate::session::SessionStatus;
use telltale_compiler::{LabelId, Reg, RoleId, StateKind, TableId, Value, OUTCOME_REGISTER};

impl ProtocolMachine {
    /// `Send` (no table) and `Offer` (with a table).
    pub(crate) fn exec_send(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
        chan: RoleId,
        val: Option<Reg>,
        table: Option<TableId>,
    ) -> Result<Exec, Trap> {
        // Borrow only the coroutine table: sessions and traces are updated
        // while `c` is in use.
        let c = self.coroutines[slot as usize]
            .as_ref()
            .expect("a picked coroutine is resident");
        let (entry, ms, role, sslot, pc) = (
            usize::from(c.entry),
            c.monitor_state,
            c.role,
            c.session_slot,
            c.pc,
        );
        let ctx = c.effect_context(self.clock);
        let monitor = &self.monitors[entry];
        let state = *monitor.state(ms);
        if state.kind != StateKind::Send
            || state.partner != chan
            || (table.is_none() && state.len != 1)
        {
            return Err(self.violation(slot, self.describe(chan, table, "send to")));
        }
        let program = &self.image.roles[entry].program;
        let single;
        let choices: &[LabelId] = match table {
            Some(t) => match program.tables[usize::from(t)].steer {
                None => &program.tables[usize::from(t)].labels,
                Some(call) => {
                    single = self.steered_label(slot, program, call)?;
                    std::slice::from_ref(&single)
                }
            },
            None => {
                single = monitor.transitions[state.first as usize].label;
                std::slice::from_ref(&single)
            }
        };
        let edge_index;
        let admission = {
            let session = self
                .sessions
                .by_slot_mut(sslot)
                .expect("a coroutine's session is resident");
            if session.status != SessionStatus::Active {
                return Err(inactive(ctx.session));
            }
            let Some(index) = session.checked_edge_index(role, chan) else {
                return Err(self.violation(slot, self.describe(chan, table, "send to")));
            };
            edge_index = index;
            let edge = &mut session.edges[index];
            if edge.partitioned {
                edge.send_waiting = true;
                return Ok(Exec::Blocked(BlockReason::Partitioned { to: chan }));
            }
            match edge.buffer.admission(&self.config.buffer) {
                Admission::Block => {
                    edge.send_waiting = true;
                    return Ok(Exec::Blocked(BlockReason::Send { to: chan }));
                }
                Admission::Fail => {
                    return Err(Fault::BufferFull {
                        session: ctx.session,
                        from: self.image.symbols.role_name(role),
                        to: self.image.symbols.role_name(chan),
                    }
                    .into())
                }
                other => other,
            }
        };
        let precomputed = match val {
            Some(r) => Some(register(&c.registers, r)?),
            None => None,
        };
        let outcome = if program.invocations.is_empty() {
            None
        } else {
            c.registers
                .get(usize::from(OUTCOME_REGISTER))
                .filter(|v| **v != Value::Unit)
        };
        let input = SendDecisionInput {
            ctx,
            partner: chan,
            choices,
            payload: precomputed,
            outcome,
            exit_label: state.exit_label,
            monitor,
            state: ms,
            symbols: &self.image.symbols,
        };
        let decision = match handler.send_decision_fast_path(&input) {
            Some(d) => d,
            None => handler.send_decision(&input),
        };
        if let Some(mode) = self.effect_capture() {
            record_send_effect(
                &mut self.effects,
                mode,
                ctx,
                chan,
                choices,
                precomputed,
                &decision,
            );
        }
        let (label, payload) = match decision {
            Ok(SendDecision::Deliver { label, payload }) => (label, payload),
            Ok(SendDecision::Block) => return Ok(Exec::Yielded),
            Err(e) => return Err(handler_fault(&self.image.symbols, ctx, "send_decision", e)),
        };
        let in_choices = match choices {
            [only] => *only == label,
            [a, b] => *a == label || *b == label,
            _ => choices.contains(&label),
        };
        let next = match monitor.step(ms, label) {
            Some(next) if in_choices => next,
            _ => {
                let actual = format!(
                    "send to {} label {}",
                    self.image.symbols.role_name(chan),
                    self.image.symbols.label_name(label)
                );
                return Err(self.violation(slot, actual));
            }
        };
        let target = match table {
            Some(t) => program.tables[usize::from(t)]
                .target(label)
                .expect("a chosen label is in its table"),
            None => pc + 1,
        };
        self.check_outgoing(ctx, label, &payload)?;
        let recording = self.obs.is_recording();
        let session = self
            .sessions
            .by_slot_mut(sslot)
            .expect("a coroutine's session is resident");
        let receiver = session.slot_of(chan);
        let seq = session.edges[edge_index].next_send_seq;
        let seal = match session.auth.as_deref_mut() {
            None => None,
            Some(auth) => auth.seal(
                MessageId {
                    session: ctx.session,
                    from: role,
                    to: chan,
                    label,
                    seq,
                    payload: &payload,
                },
                admission != Admission::Drop,
                admission == Admission::Overwrite,
            ),
        };
        let auth = session.auth.as_deref_mut();
        let edge = &mut session.edges[edge_index];
        // The trace gets its own copy of the payload only when it records.
        let traced = if recording {
            Some(payload.clone())
        } else {
            None
        };
        if self.outbox.is_some() {
            let sent = NetworkSend {
                slot,
                next,
                target,
                offered: table.is_some(),
                admission,
                traced,
                message: InFlight {
                    session: ctx.session,
                    from: role,
                    to: chan,
                    envelope: Envelope {
                        label,
                        payload,
                        seq,
                        session: ctx.session,
                        seal,
                    },
                },
            };
            return Ok(self.send_to_network(handler, ctx, sent));
        }
        let envelope = Envelope {
            label,
            payload,
            seq,
            session: ctx.session,
            seal,
        };
        let late = !edge.late_owed.is_empty()
            && admission != Admission::Drop
            && discard_late(edge, auth, ctx.session, role, chan, &envelope);
        if late {
            edge.next_send_seq += 1;
        } else {
            edge.buffer.commit(admission, envelope);
        }
        let delivered = admission != Admission::Drop && !late;
        let mut wake = None;
        if delivered {
            edge.next_send_seq += 1;
            if edge.recv_waiting {
                edge.recv_waiting = false;
                wake = receiver;
            }
        }
        let capacity = edge.buffer.capacity() as u64;
        if let Some(r) = wake {
            self.wake_receivers.push(r);
        }
        if delivered {
            if let Some(r) = receiver.and_then(|r| self.coroutines.get_mut(r as usize)) {
                if let Some(rc) = r.as_mut() {
                    rc.progress_tokens = rc.progress_tokens.saturating_add(1);
                }
            }
        }
        let c = self.coro_mut(slot);
        c.monitor_state = next;
        c.pc = target;
        if let Some(payload) = traced {
            let event = |payload| MessageEvent {
                tick: ctx.tick,
                session: ctx.session,
                from: role,
                to: chan,
                label,
                seq,
                payload,
            };
            if late {
                // Its receiver had missed it: dropped on arrival.
                self.obs.push(ObsEvent::Dropped(event(payload)));
            } else if admission == Admission::Accept {
                self.obs.push(if table.is_some() {
                    ObsEvent::Offered(event(payload))
                } else {
                    ObsEvent::Sent(event(payload))
                });
            } else {
                self.push_admission_events(admission, table.is_some(), event(payload), capacity);
            }
            self.note_output_hint(handler, ctx);
        }
        Ok(Exec::Continue)
    }

    /// The trace events of a send whose admission was not a plain accept.
    #[cold]
    pub(crate) fn push_admission_events(
        &mut self,
        admission: Admission,
        offered: bool,
        event: MessageEvent,
        capacity: u64,
    ) {
        let delivered = admission != Admission::Drop;
        match admission {
            Admission::Drop => self.obs.push(ObsEvent::Dropped(event.clone())),
            Admission::Overwrite => self.obs.push(ObsEvent::Overwritten(event.clone())),
            Admission::Grow(_) => self.obs.push(ObsEvent::BufferResized {
                tick: event.tick,
                session: event.session,
                from: event.from,
                to: event.to,
                capacity,
            }),
            _ => {}
        }
        if delivered {
            self.obs.push(if offered {
                ObsEvent::Offered(event)
            } else {
                ObsEvent::Sent(event)
            });
        }
    }

    /// Asks the handler for an output-condition hint after an event was
    /// recorded (the common `None` over `None` is not rewritten).
    #[inline(always)]
    pub(crate) fn note_output_hint(&mut self, handler: &dyn EffectHandler, ctx: EffectContext) {
        if self.poll_hints {
            self.ask_output_hint(handler, ctx);
        }
    }

    /// The hint call itself, out of line: most handlers give no hints, and
    /// the send/receive path then keeps one branch.
    #[cold]
    #[inline(never)]
    fn ask_output_hint(&mut self, handler: &dyn EffectHandler, ctx: EffectContext) {
        let hint = handler.output_condition_hint(&OutputHintInput { ctx, events: 1 });
        if let Some(hint) = &hint {
            if self.effect_capture().is_some() {
                self.effects.push(EffectTraceEntry {
                    ctx,
                    kind: EffectKind::Hint,
                    input: None,
                    outcome: EffectOutcome::Hint(hint.tag.clone()),
                });
            }
            let tick = self.clock;
            self.obs.push(ObsEvent::Hinted {
                tick,
                coro: ctx.coro,
                tag: hint.tag.clone(),
            });
        }
        if hint.is_some() || self.last_output_hint.is_some() {
            self.last_output_hint = hint;
        }
    }

    /// Size and sort checks of an outgoing payload.
    #[inline]
    fn check_outgoing(
        &self,
        ctx: EffectContext,
        label: LabelId,
        payload: &telltale_compiler::Value,
    ) -> Result<(), Trap> {
        let size = payload.encoded_len();
        if size > self.config.max_payload_bytes {
            return Err(Fault::PayloadTooLarge {
                session: ctx.session,
                role: self.image.symbols.role_name(ctx.role),
                label: self.image.symbols.label_name(label),
                size,
                max: self.config.max_payload_bytes,
            }
            .into());
        }
        if self.config.payload_validation_mode == crate::config::PayloadValidationMode::Off {
            return Ok(());
        }
        let Some(sort) = self.image.symbols.label(label).map(|l| &l.sort) else {
            return Ok(());
        };
        check_payload(payload, sort, self.config.payload_validation_mode).map_err(|reason| {
            Trap::from(Fault::PayloadInvalid {
                session: ctx.session,
                role: self.image.symbols.role_name(ctx.role),
                label: self.image.symbols.label_name(label),
                reason,
            })
        })
    }

    #[cold]
    pub(crate) fn describe(&self, chan: RoleId, table: Option<TableId>, verb: &str) -> String {
        let kind = if table.is_some() {
            "a choice"
        } else {
            "a message"
        };
        format!("{verb} {} ({kind})", self.image.symbols.role_name(chan))
    }
}
