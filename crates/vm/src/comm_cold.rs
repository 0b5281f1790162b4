//! Out-of-line helpers of the communication instructions: effect-trace
//! records (capture is off on the hot path) and fault construction.

use crate::auth::AuthFailure;
use crate::config::EffectTraceCaptureMode;
use crate::effect::error::classify_effect_error_owned;
use crate::effect::trace::{EffectInputSummary, EffectKind, EffectOutcome, EffectTraceEntry};
use crate::effect::{EffectContext, SendDecision};
use crate::exec::Trap;
use crate::fault::{Fault, LifecycleError};
use crate::trace::TraceLog;
use telltale_compiler::{LabelId, RoleId, Symbols, Value};

/// Records a `send_decision` call in the effect trace (kept out of line:
/// capture is off on the hot path).
#[cold]
#[inline(never)]
pub(crate) fn record_send_effect(
    effects: &mut TraceLog<EffectTraceEntry>,
    mode: EffectTraceCaptureMode,
    ctx: EffectContext,
    chan: RoleId,
    choices: &[LabelId],
    payload: Option<&Value>,
    decision: &Result<SendDecision, String>,
) {
    effects.push(EffectTraceEntry {
        ctx,
        kind: EffectKind::SendDecision,
        input: (mode == EffectTraceCaptureMode::Full).then(|| EffectInputSummary {
            partner: Some(chan),
            labels: choices.to_vec(),
            payload: payload.cloned(),
            action: None,
        }),
        outcome: match decision {
            Ok(d) => EffectOutcome::Send(d.clone()),
            Err(e) => EffectOutcome::Error(e.clone()),
        },
    });
}

/// Records a `handle_recv` call in the effect trace (out of line).
#[cold]
#[inline(never)]
pub(crate) fn record_recv_effect(
    effects: &mut TraceLog<EffectTraceEntry>,
    mode: EffectTraceCaptureMode,
    ctx: EffectContext,
    chan: RoleId,
    label: LabelId,
    payload: &Value,
    result: &Result<(), String>,
) {
    effects.push(EffectTraceEntry {
        ctx,
        kind: EffectKind::HandleRecv,
        input: (mode == EffectTraceCaptureMode::Full).then(|| EffectInputSummary {
            partner: Some(chan),
            labels: vec![label],
            payload: Some(payload.clone()),
            action: None,
        }),
        outcome: match result {
            Ok(()) => EffectOutcome::Ack,
            Err(e) => EffectOutcome::Error(e.clone()),
        },
    });
}

#[cold]
pub(crate) fn handler_fault(
    symbols: &Symbols,
    ctx: EffectContext,
    callback: &str,
    error: String,
) -> Trap {
    Fault::Handler {
        session: ctx.session,
        role: symbols.role_name(ctx.role),
        callback: callback.to_string(),
        error: classify_effect_error_owned(error),
    }
    .into()
}

#[cold]
pub(crate) fn auth_fault(
    symbols: &Symbols,
    failure: AuthFailure,
    session: u64,
    from: RoleId,
    to: RoleId,
    seq: u64,
) -> Trap {
    let (from, to) = (symbols.role_name(from), symbols.role_name(to));
    match failure {
        AuthFailure::Signature => Fault::SignatureInvalid {
            session,
            from,
            to,
            seq,
        },
        AuthFailure::Chain => Fault::AuthChainBroken {
            session,
            from,
            to,
            seq,
        },
    }
    .into()
}

#[cold]
pub(crate) fn inactive(session: u64) -> Trap {
    Fault::Lifecycle(LifecycleError::NotActive { session }).into()
}
