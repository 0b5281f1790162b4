//! Effect calls: `Invoke` (a host step, or an effect operation compiled from
//! a `check`) and the outcome check that steers the performer's choice.
//!
//! An `Invoke` whose action indexes its program's invocation table performs
//! an effect operation: the handler's `step` gets an [`EffectCall`] naming
//! it, and its answer must be an outcome the operation declares (a one-field
//! record `{Constructor: payload}`, see `telltale_types::effects`) whose
//! payload conforms to the declared sort under the configured payload
//! validation. Anything else faults the coroutine with a `Contract` handler
//! error; the outcome lands in `OUTCOME_REGISTER`, and the `Offer` that
//! follows sends the label of the branch it selects.

use crate::config::EffectTraceCaptureMode;
use crate::coroutine::BlockReason;
use crate::effect::error::{
    classify_effect_error, classify_effect_error_owned, EffectError, EffectErrorCategory,
};
use crate::effect::trace::{EffectInputSummary, EffectKind, EffectOutcome, EffectTraceEntry};
use crate::effect::{EffectCall, EffectHandler, InvokeInput};
use crate::event::ObsEvent;
use crate::exec::{register, register_mut, Exec, Trap};
use crate::fault::Fault;
use crate::machine::ProtocolMachine;
use crate::payload::check_payload;
use telltale_compiler::{LabelId, Program, Reg, Value, OUTCOME_REGISTER, PAYLOAD_REGISTER};
use telltale_types::effects::{outcome, outcome_parts, TIMEOUT_OUTCOME};
use telltale_types::{EffectOperation, PayloadSort};

/// The argument of an operation that takes none.
static UNIT: Value = Value::Unit;

impl ProtocolMachine {
    /// `Invoke`: runs the host step (or effect operation) and stores its
    /// result in `dst`.
    pub(crate) fn exec_invoke(
        &mut self,
        slot: u32,
        handler: &dyn EffectHandler,
        action: u16,
        dst: Reg,
    ) -> Result<Exec, Trap> {
        let c = self.coro(slot);
        register(&c.registers, dst)?;
        let ctx = c.effect_context(self.clock);
        let program = &self.image.roles[usize::from(c.entry)].program;
        let call = match program.invocations.get(usize::from(action)) {
            None => None,
            Some(inv) => {
                let effects = &self.image.effects;
                let site = &effects.sites[usize::from(inv.site)];
                let operation = effects
                    .operation_of(site)
                    .expect("a validated image's sites name known operations");
                // `matches!`, not `==`: comparing sorts walks them (and
                // allocates), once per call.
                let argument = if matches!(operation.input, PayloadSort::Unit) {
                    &UNIT
                } else if let Some(bound) = &inv.argument {
                    field_of(register(&c.registers, bound.register)?, &bound.field)
                } else {
                    register(&c.registers, PAYLOAD_REGISTER)?
                };
                Some(EffectCall {
                    operation_id: site.operation,
                    operation,
                    site,
                    argument,
                })
            }
        };
        let site = program
            .invocations
            .get(usize::from(action))
            .map(|inv| inv.site);
        let result = handler.step(&InvokeInput {
            ctx,
            action,
            call,
            symbols: &self.image.symbols,
        });
        let checked = match (&result, call) {
            (Ok(v), Some(call)) => {
                check_outcome(call.operation, v, self.config.payload_validation_mode)
            }
            _ => Ok(()),
        };
        let gave_up = matches!((&result, call), (Err(e), Some(c)) if gives_up(c, e));
        if let Some(mode) = self.effect_capture() {
            self.effects.push(EffectTraceEntry {
                ctx,
                kind: EffectKind::Step,
                input: (mode == EffectTraceCaptureMode::Full).then(|| EffectInputSummary {
                    partner: None,
                    labels: Vec::new(),
                    payload: call.map(|c| c.argument.clone()),
                    action: Some(action),
                }),
                outcome: match &result {
                    Ok(v) => EffectOutcome::Value(v.clone()),
                    Err(e) => EffectOutcome::Error(e.clone()),
                },
            });
        }
        let result = match result {
            Err(e) if EffectError::is_blocked(&e) => {
                // Retried at the start of the next round, like a guard.
                self.wake_senders.push(slot);
                return Ok(Exec::Blocked(BlockReason::Effect { action }));
            }
            // The host gave up and the `case` has a `Timeout` branch.
            Err(_) if gave_up => Ok(outcome(TIMEOUT_OUTCOME, Value::Unit)),
            other => other,
        };
        let role = || self.image.symbols.role_name(ctx.role);
        let value = result.map_err(|e| {
            Trap::from(Fault::Handler {
                session: ctx.session,
                role: role(),
                callback: "step".into(),
                error: classify_effect_error_owned(e),
            })
        })?;
        checked.map_err(|message| {
            Trap::from(Fault::Handler {
                session: ctx.session,
                role: role(),
                callback: "step".into(),
                error: EffectError {
                    category: EffectErrorCategory::Contract,
                    message,
                },
            })
        })?;
        let effect = site.map(|site| (site, value.clone()));
        let c = self.coro_mut(slot);
        *register_mut(&mut c.registers, dst)? = value;
        c.pc += 1;
        let tick = self.clock;
        self.obs.push(ObsEvent::Invoked {
            tick,
            coro: ctx.coro,
            action,
            effect,
        });
        self.note_output_hint(handler, ctx);
        Ok(Exec::Continue)
    }

    /// The label an `Offer` steered by effect call `call` sends: the branch
    /// its outcome (in `OUTCOME_REGISTER`) selects.
    #[cold]
    pub(crate) fn steered_label(
        &self,
        slot: u32,
        program: &Program,
        call: u16,
    ) -> Result<LabelId, Trap> {
        let c = self.coro(slot);
        let outcome = register(&c.registers, OUTCOME_REGISTER)?;
        let label = program
            .invocations
            .get(usize::from(call))
            .zip(outcome_parts(outcome))
            .and_then(|(inv, (constructor, _))| inv.label_for(constructor));
        label.ok_or_else(|| {
            Trap::from(Fault::Handler {
                session: c.session,
                role: self.image.symbols.role_name(c.role),
                callback: "step".into(),
                error: EffectError {
                    category: EffectErrorCategory::Contract,
                    message: format!("outcome {outcome} selects no branch of the `case`"),
                },
            })
        })
    }
}

/// Whether a `step` error is the host giving up on `call` (a `timeout`-
/// category error) at a site whose `case` has a `Timeout` branch to take.
fn gives_up(call: EffectCall<'_>, error: &str) -> bool {
    call.site.handles_timeout() && classify_effect_error(error) == EffectErrorCategory::Timeout
}

/// Field `field` of a record payload (unit when the payload has none: the
/// compiler binds a name only to a record that declares the field).
fn field_of<'v>(payload: &'v Value, field: &str) -> &'v Value {
    match payload {
        Value::Record(fields) => fields
            .iter()
            .find(|(name, _)| name == field)
            .map_or(&UNIT, |(_, v)| v),
        _ => &UNIT,
    }
}

/// Checks a `step` answer against the operation's declaration: a declared
/// constructor, with a payload of its sort (under `mode`).
fn check_outcome(
    operation: &EffectOperation,
    value: &Value,
    mode: crate::config::PayloadValidationMode,
) -> Result<(), String> {
    // Built only for an error: this runs on every effect call.
    let name = || format!("{}.{}", operation.effect, operation.name);
    let expected = || {
        operation
            .outcomes
            .iter()
            .map(|o| o.constructor.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((constructor, payload)) = outcome_parts(value) else {
        return Err(format!(
            "invalid outcome of {}: {value} is not an outcome (a one-field record such as {{Ok: v}}); expected one of {}",
            name(),
            expected()
        ));
    };
    let Some(decl) = operation
        .outcomes
        .iter()
        .find(|o| o.constructor == constructor)
    else {
        return Err(format!(
            "invalid outcome of {}: `{constructor}` is not one of its outcomes ({})",
            name(),
            expected()
        ));
    };
    check_payload(payload, &decl.payload, mode).map_err(|reason| {
        format!(
            "invalid outcome of {}: payload of `{constructor}` is not a {}: {reason}",
            name(),
            decl.payload
        )
    })
}
