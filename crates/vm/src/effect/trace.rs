//! The effect trace: every handler call with its outcome, which replay
//! consumes.

use crate::effect::{AcquireDecision, EffectContext, SendDecision};
use crate::topology::TopologyEvent;
use serde::{Deserialize, Serialize};
use telltale_compiler::{LabelId, RoleId, Value};

/// Which callback an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EffectKind {
    /// `send_decision` (or its fast path).
    SendDecision,
    /// `handle_recv`.
    HandleRecv,
    /// `step`.
    Step,
    /// `topology_events` (recorded only when it returned events).
    Topology,
    /// `handle_acquire` (input `action` = the guard layer).
    Acquire,
    /// `handle_release` (input `action` = the layer, `payload` = evidence).
    Release,
    /// `handle_join` (input `action` = the ghost number).
    Join,
    /// `output_condition_hint` (recorded only when it gave a hint).
    Hint,
}

/// The inputs of a call, kept in `Full` capture mode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffectInputSummary {
    /// The partner role, for communication callbacks.
    pub partner: Option<RoleId>,
    /// Offered labels (send) or the received label (recv).
    pub labels: Vec<LabelId>,
    /// Precomputed or received payload.
    pub payload: Option<Value>,
    /// The action number of a step.
    pub action: Option<u16>,
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EffectOutcome {
    /// A send decision.
    Send(SendDecision),
    /// A successful call without a value.
    Ack,
    /// A value (from `step`).
    Value(Value),
    /// Topology events.
    Topology(Vec<TopologyEvent>),
    /// An acquire decision.
    Acquire(AcquireDecision),
    /// A yes/no answer (from `handle_join`).
    Verdict(bool),
    /// The call failed with this message.
    Error(String),
    /// An output-condition hint's tag.
    Hint(String),
}

/// One handler call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffectTraceEntry {
    /// Where the call was made (for topology: tick only, other fields 0).
    pub ctx: EffectContext,
    /// The callback.
    pub kind: EffectKind,
    /// Inputs, when captured.
    pub input: Option<EffectInputSummary>,
    /// Outcome.
    pub outcome: EffectOutcome,
}
