//! Faults of coroutines and errors of the machine.

use crate::config::ConfigError;
use crate::effect::error::EffectError;
use crate::ids::{CoroId, SessionId};
use serde::{Deserialize, Serialize};
use telltale_compiler::ImageError;
use thiserror::Error;

/// Why a coroutine stopped abnormally. Every fault names enough context
/// (session, role, label) to diagnose it without the trace.
#[derive(Debug, Error, Clone, PartialEq, Serialize, Deserialize)]
pub enum Fault {
    /// A register index beyond the register file.
    #[error("register r{reg} out of {count} registers")]
    OutOfRegisters {
        /// The register.
        reg: u16,
        /// The file size.
        count: u16,
    },
    /// The program counter left the program.
    #[error("pc {pc} is outside the program")]
    PcOutOfRange {
        /// The program counter.
        pc: u32,
    },
    /// The coroutine did something its local type does not allow.
    #[error(
        "session {session}, role {role}: protocol violation: expected {expected}, actual {actual}"
    )]
    ProtocolViolation {
        /// The session.
        session: SessionId,
        /// The role.
        role: String,
        /// What the local type allows.
        expected: String,
        /// What the coroutine did.
        actual: String,
    },
    /// A send met a full buffer under the `Error` policy.
    #[error("session {session}: buffer {from} -> {to} is full")]
    BufferFull {
        /// The session.
        session: SessionId,
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
    },
    /// A payload exceeded `max_payload_bytes`.
    #[error("session {session}, role {role}: payload of `{label}` is {size} bytes, limit {max}")]
    PayloadTooLarge {
        /// The session.
        session: SessionId,
        /// The sending role.
        role: String,
        /// The label.
        label: String,
        /// Encoded size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A payload does not match its label's sort.
    #[error("session {session}, role {role}: payload of `{label}` is invalid: {reason}")]
    PayloadInvalid {
        /// The session.
        session: SessionId,
        /// The sending role.
        role: String,
        /// The label.
        label: String,
        /// What is wrong.
        reason: String,
    },
    /// A received message carries the wrong sequence number.
    #[error(
        "session {session}: message {from} -> {to} has sequence {actual}, expected {expected}"
    )]
    SequenceMismatch {
        /// The session.
        session: SessionId,
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
        /// The next sequence number of the edge.
        expected: u64,
        /// The message's sequence number.
        actual: u64,
    },
    /// A handler callback failed.
    #[error("session {session}, role {role}: handler `{callback}` failed: {error}")]
    Handler {
        /// The session.
        session: SessionId,
        /// The role.
        role: String,
        /// The callback that failed.
        callback: String,
        /// The classified error.
        error: EffectError,
    },
    /// A received message's ed25519 signature does not verify against the
    /// sender's endpoint key (or the message carries no signature).
    #[error("session {session}: message {seq} on {from} -> {to} has an invalid signature")]
    SignatureInvalid {
        /// The session.
        session: SessionId,
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
        /// The message's sequence number.
        seq: u64,
    },
    /// A received message's hash-chain link does not extend the edge's
    /// authenticated history.
    #[error("session {session}: message {seq} on {from} -> {to} breaks the edge's hash chain")]
    AuthChainBroken {
        /// The session.
        session: SessionId,
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
        /// The message's sequence number.
        seq: u64,
    },
    /// An instruction this machine does not implement (no instruction of
    /// the current set; kept for images from newer compilers).
    #[error("instruction `{instr}` is not supported by this machine")]
    Unsupported {
        /// The instruction's mnemonic.
        instr: String,
    },
    /// A register that should hold an endpoint does not.
    #[error("register r{reg} holds {found}, not an endpoint")]
    NotAnEndpoint {
        /// The register.
        reg: u16,
        /// The kind of value found.
        found: String,
    },
    /// A lifecycle operation was refused.
    #[error("session lifecycle: {0}")]
    Lifecycle(#[from] LifecycleError),
    /// A strict replay mode refused a received message (checked after the
    /// signature, before the monitor step and the handler).
    #[error("session {session}: message {seq} on {from} -> {to} rejected as a replay: {reason}")]
    ReplayDetected {
        /// The receiving session.
        session: SessionId,
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
        /// The message's sequence number.
        seq: u64,
        /// Why it was refused.
        reason: crate::replay::consumption::ReplayRejection,
    },
    /// A timeout fired while the coroutine was blocked on a receive whose
    /// choice has no `timeout` branch.
    #[error("session {session}, role {role}: timed out waiting on {waiting_on}")]
    TimedOut {
        /// The session.
        session: SessionId,
        /// The waiting role.
        role: String,
        /// The role it was waiting to receive from.
        waiting_on: String,
    },
    /// A topology event crashed the coroutine's role.
    #[error("session {session}, role {role}: crashed by a topology event")]
    Crashed {
        /// The session.
        session: SessionId,
        /// The role.
        role: String,
    },
    /// A register holds a value of the wrong kind for the instruction.
    #[error("register r{reg} holds {found}, expected {expected}")]
    BadOperand {
        /// The register.
        reg: u16,
        /// What the instruction needs.
        expected: String,
        /// What it found.
        found: String,
    },
    /// A role named by a register is not in the code image.
    #[error("role `{role}` is not in the code image")]
    UnknownRole {
        /// The role as written.
        role: String,
    },
    /// `Acquire` of a guard layer the coroutine already holds.
    #[error("guard layer {layer} is already held")]
    GuardHeld {
        /// The layer.
        layer: u16,
    },
    /// `Release` of a guard layer the coroutine does not hold.
    #[error("guard layer {layer} is not held")]
    GuardNotHeld {
        /// The layer.
        layer: u16,
    },
    /// `Release` with evidence other than what the acquire was granted.
    #[error("evidence for guard layer {layer} does not match the grant")]
    BadEvidence {
        /// The layer.
        layer: u16,
    },
    /// `Halt` while still holding a guard layer.
    #[error("halt while holding guard layer {layer}")]
    GuardLeaked {
        /// The lowest layer still held.
        layer: u16,
    },
    /// An instruction whose effect escapes the coroutine (communication,
    /// transfer, lifecycle, guards, spawn, halt) inside a speculation scope.
    #[error("`{instr}` inside speculation scope (ghost {ghost}) would escape it")]
    SpeculationCommunicates {
        /// The innermost scope's ghost number.
        ghost: u16,
        /// The refused instruction's mnemonic.
        instr: String,
    },
    /// `Join` or `Abort` without an open speculation scope.
    #[error("`{instr}` without an open speculation scope")]
    NoSpeculation {
        /// The instruction's mnemonic.
        instr: String,
    },
    /// `Fork` beyond the nesting limit.
    #[error("speculation scopes nested deeper than {max}")]
    SpeculationTooDeep {
        /// The limit.
        max: usize,
    },
    /// Communication on an endpoint the coroutine transferred away.
    #[error("session {session}, role {role}: endpoint was transferred to another coroutine")]
    EndpointTransferred {
        /// The session.
        session: SessionId,
        /// The role.
        role: String,
    },
    /// `Transfer` of an endpoint the coroutine does not own.
    #[error("session {session}, role {role}: endpoint is not owned by this coroutine")]
    EndpointNotOwned {
        /// The session.
        session: SessionId,
        /// The role.
        role: String,
    },
    /// `Transfer` to a coroutine that cannot take the endpoint.
    #[error("cannot transfer to coroutine {target}: {reason}")]
    BadTransferTarget {
        /// The target as given.
        target: u64,
        /// Why it was refused.
        reason: String,
    },
    /// `Check` of a fact the flow policy forbids revealing to a role.
    #[error("flow policy forbids revealing fact {fact} to role {role}")]
    FlowPolicyViolation {
        /// The fact's policy key.
        fact: String,
        /// The role.
        role: String,
    },
}

/// A refused session lifecycle operation.
#[derive(Debug, Error, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LifecycleError {
    /// A role is named twice.
    #[error("role `{role}` opened twice")]
    DuplicateRole {
        /// The role.
        role: String,
    },
    /// A role has no program in the image.
    #[error("role `{role}` is not in the code image")]
    UnknownRole {
        /// The role.
        role: String,
    },
    /// An edge the local types use has no handler.
    #[error("edge {from} -> {to} has no handler binding")]
    UncoveredEdge {
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
    },
    /// `local_types`, `roles` and `dsts` disagree in length.
    #[error("arity mismatch: {roles} roles, {local_types} local types, {dsts} destinations")]
    Arity {
        /// Number of roles.
        roles: usize,
        /// Number of local types.
        local_types: usize,
        /// Number of destination registers.
        dsts: usize,
    },
    /// No such session (or it was reaped).
    #[error("unknown session {session}")]
    UnknownSession {
        /// The session.
        session: SessionId,
    },
    /// The closing coroutine holds no endpoint of the session.
    #[error("coroutine {coro} does not own an endpoint of session {session}")]
    NotOwner {
        /// The coroutine.
        coro: CoroId,
        /// The session.
        session: SessionId,
    },
    /// The session is not active.
    #[error("session {session} is not active")]
    NotActive {
        /// The session.
        session: SessionId,
    },
}

/// An error returned by the machine's public operations.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ProtocolMachineError {
    /// A coroutine faulted.
    #[error("coroutine {coro} (session {session}) faulted: {fault}")]
    Fault {
        /// The coroutine.
        coro: CoroId,
        /// Its session.
        session: SessionId,
        /// The fault.
        fault: Fault,
    },
    /// `step_round` was asked for zero picks.
    #[error("invalid concurrency {n}: must be at least 1")]
    InvalidConcurrency {
        /// The requested count.
        n: usize,
    },
    /// The code image was refused.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A lifecycle operation was refused.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// The handler broke a host contract (identity or topology ordering);
    /// only checked when `Config::host_contract_assertions` is on.
    #[error("host contract violated: {0}")]
    HostContract(crate::host_contract::HostContractViolation),
    /// A topology callback failed.
    #[error("topology handler failed: {0}")]
    Topology(EffectError),
}
