//! `serve_machine_role`: one role of a protocol on the protocol machine,
//! as a process. The machine runs the role's compiled program with the
//! user's `EffectHandler`; its network extension point sends every
//! outgoing message through the role's TCP connections (the whole
//! envelope, so the receiving machine's monitor, signatures and replay
//! modes apply exactly as in one process), and each frame a peer sends
//! enters the receiving buffer with `ProtocolMachine::deliver`.
//!
//! The driver runs the machine until it cannot go on, sends what it sent,
//! and waits on the one peer the role's receive waits for (other peers'
//! frames stay queued in their connections, in order). A peer that
//! disconnects or stays silent past `TcpConfig::recv_timeout` times the
//! session out: a receive that has a `timeout` branch takes it, any other
//! receive fails as `Disconnected` (or `Timeout`).
//!
//! With `message_auth = Ed25519` and a key in the TCP configuration, the
//! machine signs with the role's own key and verifies with the roster's
//! public keys (`ProtocolMachine::use_role_keys`), not with keys derived
//! from a seed.

use crate::config::TcpConfig;
use crate::tcp_handler::TcpHandler;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::Arc;
use telltale_choreography::{ChoreoError, ChoreoHandler, Message};
use telltale_compiler::{CodeImage, LabelId, RoleId};
use telltale_types::{Role, Value};
use telltale_vm::{
    AcquireDecision, AcquireInput, BlockReason, ChooseInput, Config, CoroStatus, Delivery,
    EffectHandler, Envelope, InFlight, InvokeInput, JoinInput, MessageAuth, OutputConditionHint,
    OutputHintInput, ProtocolMachine, ProtocolMachineError, RecvInput, ReleaseInput, RoleKeys,
    RunStatus, SendDecision, SendDecisionInput, SessionId, TopologyEvent, TopologyInput, TraceText,
};
use thiserror::Error;
use tokio::net::TcpListener;

/// Machine rounds run between two looks at the network.
const ROUNDS_PER_TURN: usize = 10_000;

/// Why a machine role stopped before its program finished.
#[derive(Debug, Error)]
pub enum MachineRoleError {
    /// The role is not in the code image.
    #[error("no role `{role}` in the code image (roles: {known})")]
    UnknownRole {
        /// The role asked for.
        role: String,
        /// The image's roles.
        known: String,
    },
    /// The machine refused the image or faulted the role's coroutine (a
    /// monitor violation, a refused signature or replay, a host error).
    #[error("role {role}: {source}")]
    Machine {
        /// The role.
        role: String,
        /// The machine's error.
        source: Box<ProtocolMachineError>,
    },
    /// The role's coroutine faulted.
    #[error("role {role} faulted: {fault}")]
    Faulted {
        /// The role.
        role: String,
        /// The fault, as the machine words it.
        fault: String,
    },
    /// Connecting, sending or receiving failed (a peer that disconnected
    /// while the role waited on it without a `timeout` branch, ...).
    #[error("role {role}: {source}")]
    Transport {
        /// The role.
        role: String,
        /// The transport's error.
        source: Box<ChoreoError>,
    },
    /// A peer sent a frame that is not a machine envelope of this
    /// protocol.
    #[error("role {role}: the frame from {peer} is not a message of this protocol: {reason}")]
    BadFrame {
        /// The role.
        role: String,
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
}

/// What a machine role did, once its program finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineRoleSummary {
    /// Instructions the machine executed.
    pub steps: u64,
    /// Messages sent to peers.
    pub sent: u64,
    /// Messages received from peers.
    pub received: u64,
    /// Whether the role took a `timeout` branch, or missed a message,
    /// because a peer went away.
    pub timed_out: bool,
    /// Messages for peers that had gone (said goodbye, or stayed away past
    /// the resume grace period): they cannot be delivered, and the role
    /// went on (a later receive from such a peer times out).
    pub undeliverable: u64,
}

/// The user's handler, with session timeouts the driver raises when a
/// peer goes away.
struct TimeoutRaiser<'h> {
    host: &'h dyn EffectHandler,
    pending: RefCell<Vec<TopologyEvent>>,
}

impl EffectHandler for TimeoutRaiser<'_> {
    fn handler_identity(&self) -> &str {
        self.host.handler_identity()
    }
    fn send_decision_fast_path(
        &self,
        input: &SendDecisionInput<'_>,
    ) -> Option<Result<SendDecision, String>> {
        self.host.send_decision_fast_path(input)
    }
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.host.send_decision(input)
    }
    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        self.host.handle_send(input, label)
    }
    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        self.host.handle_recv(input)
    }
    fn handle_choose(&self, input: &ChooseInput<'_>) -> Result<LabelId, String> {
        self.host.handle_choose(input)
    }
    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        self.host.step(input)
    }
    fn handle_acquire(&self, input: &AcquireInput) -> Result<AcquireDecision, String> {
        self.host.handle_acquire(input)
    }
    fn handle_release(&self, input: &ReleaseInput<'_>) -> Result<(), String> {
        self.host.handle_release(input)
    }
    fn handle_join(&self, input: &JoinInput) -> Result<bool, String> {
        self.host.handle_join(input)
    }
    fn topology_events(&self, input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        let mut events = if self.host.polls_topology() {
            self.host.topology_events(input)?
        } else {
            Vec::new()
        };
        events.append(&mut self.pending.borrow_mut());
        Ok(events)
    }
    fn gives_output_hints(&self) -> bool {
        self.host.gives_output_hints()
    }
    fn output_condition_hint(&self, input: &OutputHintInput) -> Option<OutputConditionHint> {
        self.host.output_condition_hint(input)
    }
}

/// Connects to every peer of `config`, runs `role`'s program from `image`
/// on a protocol machine with `handler` and `machine_config`, and shuts the
/// connections down gracefully (also when the role failed).
pub async fn serve_machine_role(
    listener: TcpListener,
    config: TcpConfig,
    image: CodeImage,
    role: &str,
    handler: &dyn EffectHandler,
    machine_config: Config,
) -> Result<MachineRoleSummary, MachineRoleError> {
    serve_machine_role_traced(
        listener,
        config,
        image,
        role,
        handler,
        machine_config,
        &mut |_| {},
    )
    .await
}

/// [`serve_machine_role`], handing each line of the machine's trace (as
/// `tell run` prints it) to `on_line` as the role runs.
pub async fn serve_machine_role_traced(
    listener: TcpListener,
    config: TcpConfig,
    image: CodeImage,
    role: &str,
    handler: &dyn EffectHandler,
    machine_config: Config,
    on_line: &mut dyn FnMut(&str),
) -> Result<MachineRoleSummary, MachineRoleError> {
    let signed = machine_config.message_auth == MessageAuth::Ed25519;
    let mut driver = Driver::new(image, role, handler, machine_config)?;
    if let (true, Some(identity)) = (signed, &config.identity) {
        // The machine signs with the role's own key and believes the
        // roster's keys: the same key files as the secure channel.
        let mut keys = RoleKeys::default();
        keys.private.insert(role.to_string(), identity.clone());
        keys.public
            .insert(role.to_string(), identity.verifying_key());
        for (peer, key) in &config.peer_keys {
            keys.public.insert(peer.to_string(), *key);
        }
        driver
            .machine
            .use_role_keys(&keys)
            .map_err(|source| MachineRoleError::Machine {
                role: role.to_string(),
                source: Box::new(source),
            })?;
    }
    let mut tcp = TcpHandler::establish(listener, config)
        .await
        .map_err(|e| driver.transport(e.into()))?;
    // The driver receives or ends after it sends: coalescing is safe.
    tcp.coalesce_writes(true);
    let result = driver.run(&mut tcp, on_line).await;
    let closed = tcp.shutdown().await;
    let summary = result?;
    match closed {
        // Frames a peer that is gone never acknowledged: the role already
        // went on without it (its messages counted undeliverable).
        Err(ChoreoError::Transport { peer, .. }) if driver.gone.contains(&peer) => Ok(summary),
        Err(e) => Err(driver.transport(e)),
        Ok(()) => Ok(summary),
    }
}

/// One role's machine and what it has done.
struct Driver<'h> {
    machine: ProtocolMachine,
    session: SessionId,
    me: RoleId,
    name: String,
    handler: TimeoutRaiser<'h>,
    summary: MachineRoleSummary,
    /// Trace events already handed out.
    events_read: usize,
    /// Peers found gone (a send or receive was `Disconnected`).
    gone: BTreeSet<Role>,
}

impl<'h> Driver<'h> {
    fn new(
        image: CodeImage,
        role: &str,
        host: &'h dyn EffectHandler,
        machine_config: Config,
    ) -> Result<Self, MachineRoleError> {
        let Some(me) = image
            .symbols
            .role_id(role)
            .filter(|id| image.roles.iter().any(|r| r.role == *id))
        else {
            let known: Vec<String> = image
                .roles
                .iter()
                .map(|r| image.symbols.role_name(r.role))
                .collect();
            return Err(MachineRoleError::UnknownRole {
                role: role.to_string(),
                known: known.join(", "),
            });
        };
        let machine_error = |source| MachineRoleError::Machine {
            role: role.to_string(),
            source: Box::new(source),
        };
        let mut machine = ProtocolMachine::new(image, machine_config).map_err(machine_error)?;
        machine.install_network();
        let session = machine.open_hosting(role).map_err(machine_error)?;
        Ok(Driver {
            machine,
            session,
            me,
            name: role.to_string(),
            handler: TimeoutRaiser {
                host,
                pending: RefCell::new(Vec::new()),
            },
            summary: MachineRoleSummary {
                steps: 0,
                sent: 0,
                received: 0,
                timed_out: false,
                undeliverable: 0,
            },
            events_read: 0,
            gone: BTreeSet::new(),
        })
    }

    fn transport(&self, source: ChoreoError) -> MachineRoleError {
        MachineRoleError::Transport {
            role: self.name.clone(),
            source: Box::new(source),
        }
    }

    fn peer_name(&self, id: RoleId) -> Role {
        Role::new(self.machine.symbols().role_name(id))
    }

    /// The role's coroutine's status.
    fn status(&self) -> Option<CoroStatus> {
        let coro = *self.machine.coroutines_of(self.session).first()?;
        self.machine.coroutine(coro).map(|c| c.status)
    }

    /// Hands the trace lines since the last call to `on_line`.
    fn trace(&mut self, on_line: &mut dyn FnMut(&str)) {
        let text = TraceText::of_machine(&self.machine);
        let mut read = 0;
        for event in self.machine.trace_iter().skip(self.events_read) {
            on_line(&text.line(event));
            read += 1;
        }
        self.events_read += read;
    }

    async fn run(
        &mut self,
        tcp: &mut TcpHandler,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<MachineRoleSummary, MachineRoleError> {
        loop {
            let status = self.machine.run(&self.handler, ROUNDS_PER_TURN);
            self.summary.steps = self.machine.scheduler_step_count();
            self.trace(on_line);
            // What was sent before a failure still goes out.
            self.flush(tcp).await?;
            let status = status.map_err(|source| MachineRoleError::Machine {
                role: self.name.clone(),
                source: Box::new(source),
            })?;
            match self.status() {
                Some(CoroStatus::Faulted(fault)) => {
                    return Err(MachineRoleError::Faulted {
                        role: self.name.clone(),
                        fault: fault.to_string(),
                    })
                }
                Some(CoroStatus::Blocked(BlockReason::Recv { from }))
                    if status != RunStatus::BudgetExhausted =>
                {
                    self.receive(tcp, from).await?;
                }
                _ if status == RunStatus::AllDone || self.machine.all_done() => {
                    return Ok(self.summary.clone());
                }
                _ => {}
            }
        }
    }

    /// Sends every message the machine sent since the last call.
    async fn flush(&mut self, tcp: &mut TcpHandler) -> Result<(), MachineRoleError> {
        let mut out = Vec::new();
        self.machine.drain_outbox(&mut out);
        for m in out {
            let to = self.peer_name(m.to);
            let label = self.machine.symbols().label_name(m.envelope.label);
            let bytes = postcard::to_allocvec(&m.envelope).map_err(|e| {
                self.transport(ChoreoError::Codec {
                    context: format!("encoding a message for {to}"),
                    message: e.to_string(),
                })
            })?;
            let message = Message::new(label, Value::Bytes(Arc::from(bytes)));
            match tcp.send(&mut (), &to, message).await {
                Ok(()) => self.summary.sent += 1,
                Err(ChoreoError::Disconnected { peer }) => {
                    self.summary.undeliverable += 1;
                    self.gone.insert(peer);
                }
                Err(e) => return Err(self.transport(e)),
            }
        }
        Ok(())
    }

    /// Waits for `from`'s next message and delivers it; a peer that went
    /// away times the session out instead.
    async fn receive(
        &mut self,
        tcp: &mut TcpHandler,
        from: RoleId,
    ) -> Result<(), MachineRoleError> {
        let peer = self.peer_name(from);
        let message = match tcp.recv(&mut (), &peer).await {
            Ok(message) => message,
            Err(e @ (ChoreoError::Disconnected { .. } | ChoreoError::Timeout { .. })) => {
                if let ChoreoError::Disconnected { peer } = &e {
                    self.gone.insert(peer.clone());
                }
                return self.time_out(e);
            }
            Err(e) => return Err(self.transport(e)),
        };
        let bad = |reason: String| MachineRoleError::BadFrame {
            role: self.name.clone(),
            peer: peer.to_string(),
            reason,
        };
        let Value::Bytes(bytes) = &message.value else {
            return Err(bad("its payload is not an encoded envelope".into()));
        };
        let envelope: Envelope =
            postcard::from_bytes(bytes).map_err(|e| bad(format!("undecodable envelope: {e}")))?;
        let label = self.machine.symbols().label_name(envelope.label);
        if label != *message.label {
            return Err(bad(format!(
                "its label `{}` does not match the envelope's `{label}`",
                message.label
            )));
        }
        let delivery = self.machine.deliver(InFlight {
            session: self.session,
            from,
            to: self.me,
            envelope,
        });
        match delivery {
            Delivery::Queued | Delivery::Overwrote | Delivery::Dropped => {
                self.summary.received += 1;
                Ok(())
            }
            Delivery::Full(_) | Delivery::Refused(_) => Err(bad(
                "the role's buffer cannot take it (full, or the session is over)".into(),
            )),
        }
    }

    /// Times the session out after `cause`: the role takes its receive's
    /// `timeout` branch on the next run, or the cause is the error.
    fn time_out(&mut self, cause: ChoreoError) -> Result<(), MachineRoleError> {
        self.handler
            .pending
            .borrow_mut()
            .push(TopologyEvent::Timeout {
                session: self.session,
                after_ticks: 0,
            });
        // One round applies it: a receive without a `timeout` branch
        // faults, and the cause is the error.
        self.machine
            .step(&self.handler)
            .map_err(|source| MachineRoleError::Machine {
                role: self.name.clone(),
                source: Box::new(source),
            })?;
        match self.status() {
            Some(CoroStatus::Faulted(_)) => Err(self.transport(cause)),
            _ => {
                self.summary.timed_out = true;
                Ok(())
            }
        }
    }
}
