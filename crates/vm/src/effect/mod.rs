//! The synchronous effect-handler boundary between the machine and a host.
//!
//! The machine owns session typing, buffers, scheduling and the atomic
//! commit of each step; the handler owns host decisions (payloads, branch
//! labels) and host effects. Callbacks return `Result<_, String>`; the
//! machine classifies failures with
//! [`classify_effect_error`](crate::effect::error::classify_effect_error) and
//! faults only the affected coroutine. A failing callback must leave no
//! partial host state: the machine commits nothing of a step whose callback
//! failed.

pub mod default_handler;
pub mod error;
pub mod script;
pub mod trace;

use crate::ids::{CoroId, SessionId, Tick};
use crate::topology::TopologyEvent;
use serde::{Deserialize, Serialize};
use telltale_compiler::{LabelId, MonitorTable, RoleId, StateId, Symbols, Value};
use telltale_types::{EffectOperation, EffectSite};

/// The identity reported by handlers that do not override it.
pub const DEFAULT_HANDLER_ID: &str = "telltale.default";

/// Where a callback is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectContext {
    /// Scheduler tick.
    pub tick: Tick,
    /// Session of the calling coroutine.
    pub session: SessionId,
    /// The calling coroutine.
    pub coro: CoroId,
    /// Its role.
    pub role: RoleId,
}

/// Input of `send_decision` (from `Send` and `Offer`).
#[derive(Clone, Copy, Debug)]
pub struct SendDecisionInput<'a> {
    /// Caller.
    pub ctx: EffectContext,
    /// The receiving role.
    pub partner: RoleId,
    /// The labels that may be sent (one for `Send`).
    pub choices: &'a [LabelId],
    /// A payload precomputed by the program, if any.
    pub payload: Option<&'a Value>,
    /// The outcome of the caller's latest effect call (`{Ok: receipt}`),
    /// whose `case` branch this send is in: the value the branch's pattern
    /// binds is its payload (`telltale_types::effects::outcome_parts`).
    /// `None` before the first call and in programs that perform none.
    pub outcome: Option<&'a Value>,
    /// The label whose branch gets closest to `end`, a hint for
    /// terminating loops.
    pub exit_label: Option<LabelId>,
    /// The caller's monitor table, for deciders that weigh every branch.
    pub monitor: &'a MonitorTable,
    /// The caller's monitor state (a choice when `choices` has several
    /// labels): where in its local type the role is. State ids are stable:
    /// the same local type always compiles to the same ids.
    pub state: StateId,
    /// Symbol tables for names and sorts.
    pub symbols: &'a Symbols,
}

/// Names of roles and labels, borrowed from the image's symbol tables
/// without allocating, on every input that carries `symbols`: hosts match
/// on names without building strings on the hot path.
macro_rules! symbol_names {
    ($($input:ident),* $(,)?) => {$(
        impl<'a> $input<'a> {
            /// The name of role `id` (`"?"` for an id not in the image).
            pub fn role_name(&self, id: RoleId) -> &'a str {
                self.symbols.role(id).map_or("?", |r| r.as_str())
            }

            /// The name of label `id` (`"?"` for an id not in the image).
            pub fn label_name(&self, id: LabelId) -> &'a str {
                self.symbols.label(id).map_or("?", |l| l.name())
            }
        }
    )*};
}

symbol_names!(SendDecisionInput, RecvInput, ChooseInput, InvokeInput);

/// The labels the monitor allows in `state`, in table order (none for a
/// state not in the table).
fn labels_at(monitor: &MonitorTable, state: StateId) -> impl Iterator<Item = LabelId> + '_ {
    let transitions = monitor
        .states
        .get(state as usize)
        .map_or(&[][..], |s| monitor.transitions_of(s));
    transitions.iter().map(|t| t.label)
}

impl<'a> SendDecisionInput<'a> {
    /// The labels the caller's local type allows at `state` (the choices
    /// of an `Offer`, or the one label of a `Send`, are among them).
    pub fn allowed_labels(&self) -> impl Iterator<Item = LabelId> + 'a {
        labels_at(self.monitor, self.state)
    }
}

impl<'a> RecvInput<'a> {
    /// The labels the caller's local type allowed at `state`: every
    /// branch the partner could have chosen, `label` among them.
    pub fn allowed_labels(&self) -> impl Iterator<Item = LabelId> + 'a {
        labels_at(self.monitor, self.state)
    }
}

/// What to send, or to wait.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SendDecision {
    /// Send `label` with `payload`.
    Deliver {
        /// One of the input's choices.
        label: LabelId,
        /// The payload.
        payload: Value,
    },
    /// Not now: the coroutine yields and retries later.
    Block,
}

/// Input of `handle_recv` (from `Receive` and `Choose`).
#[derive(Clone, Copy, Debug)]
pub struct RecvInput<'a> {
    /// Caller.
    pub ctx: EffectContext,
    /// The sending role.
    pub partner: RoleId,
    /// The received label.
    pub label: LabelId,
    /// The received payload.
    pub payload: &'a Value,
    /// The caller's monitor table (its local type, compiled).
    pub monitor: &'a MonitorTable,
    /// The monitor state the message was received in (before the step):
    /// where in its local type the role is.
    pub state: StateId,
    /// Symbol tables.
    pub symbols: &'a Symbols,
}

/// Input of `handle_choose` (no canonical call site; for custom runners).
#[derive(Clone, Copy, Debug)]
pub struct ChooseInput<'a> {
    /// Caller.
    pub ctx: EffectContext,
    /// The partner.
    pub partner: RoleId,
    /// Labels on offer.
    pub choices: &'a [LabelId],
    /// Symbol tables.
    pub symbols: &'a Symbols,
}

/// Input of `step` (from `Invoke`).
#[derive(Clone, Copy, Debug)]
pub struct InvokeInput<'a> {
    /// Caller: tick, session, coroutine and performing role.
    pub ctx: EffectContext,
    /// The action number (an index into the program's effect calls when
    /// `call` is set, host-defined otherwise).
    pub action: u16,
    /// The effect operation performed, when the `Invoke` was compiled from
    /// a `check`; `None` for a host-defined step.
    pub call: Option<EffectCall<'a>>,
    /// Symbol tables.
    pub symbols: &'a Symbols,
}

/// An effect operation performed by `Invoke`, so a host can implement it:
/// `step` answers with an outcome value (`{Ok: v}`, `{Err: e}`, `{Just: v}`,
/// `{Nothing: ()}`, ... built with `telltale_types::effects::outcome`).
#[derive(Clone, Copy, Debug)]
pub struct EffectCall<'a> {
    /// The operation's stable id: its index in the image's effect table.
    pub operation_id: u16,
    /// The declared operation: effect and operation names, argument sort
    /// and the outcomes it may return.
    pub operation: &'a EffectOperation,
    /// Where it is performed: performer, partner, argument names and the
    /// `case` branches.
    pub site: &'a EffectSite,
    /// The argument value: the payload the performer received last, or
    /// unit when the operation takes none.
    pub argument: &'a Value,
}

/// Input of `handle_acquire`.
#[derive(Clone, Copy, Debug)]
pub struct AcquireInput {
    /// Caller.
    pub ctx: EffectContext,
    /// Guard layer.
    pub layer: u16,
}

/// Outcome of `handle_acquire`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AcquireDecision {
    /// Granted, with evidence to release later.
    Grant {
        /// Evidence.
        evidence: Value,
    },
    /// Not now.
    Block,
}

/// Input of `handle_release`.
#[derive(Clone, Copy, Debug)]
pub struct ReleaseInput<'a> {
    /// Caller.
    pub ctx: EffectContext,
    /// Guard layer.
    pub layer: u16,
    /// Evidence from the acquire.
    pub evidence: &'a Value,
}

/// Input of `handle_join` (from `Join`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinInput {
    /// Caller.
    pub ctx: EffectContext,
    /// The ghost number of the scope being joined.
    pub ghost: u16,
}

/// Input of `topology_events`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopologyInput {
    /// The round's tick.
    pub tick: Tick,
}

/// Input of `output_condition_hint`.
#[derive(Clone, Copy, Debug)]
pub struct OutputHintInput {
    /// Caller.
    pub ctx: EffectContext,
    /// Number of observable events the step emitted.
    pub events: usize,
}

/// Optional commit metadata from `output_condition_hint`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputConditionHint {
    /// Host-defined tag.
    pub tag: String,
}

/// The host side of the machine. Every callback has a default, so a host
/// implements only what it needs.
pub trait EffectHandler {
    /// A stable identity for trace attribution.
    fn handler_identity(&self) -> &str {
        DEFAULT_HANDLER_ID
    }

    /// Optional cache consulted before `send_decision`; `Some` skips it.
    fn send_decision_fast_path(
        &self,
        _input: &SendDecisionInput<'_>,
    ) -> Option<Result<SendDecision, String>> {
        None
    }

    /// Picks the label and payload of a `Send` or `Offer`. The default takes
    /// the first choice and the precomputed payload, or asks `handle_send`.
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let label = *input
            .choices
            .first()
            .ok_or_else(|| "send_decision: no label to choose from".to_string())?;
        let payload = match input.payload {
            Some(p) => p.clone(),
            None => self.handle_send(input, label)?,
        };
        Ok(SendDecision::Deliver { label, payload })
    }

    /// Computes a payload for `label` when none was precomputed.
    fn handle_send(
        &self,
        _input: &SendDecisionInput<'_>,
        _label: LabelId,
    ) -> Result<Value, String> {
        Ok(Value::Unit)
    }

    /// Observes a received message (after dequeue, before commit).
    fn handle_recv(&self, _input: &RecvInput<'_>) -> Result<(), String> {
        Ok(())
    }

    /// Compatibility hook with no canonical call site.
    fn handle_choose(&self, input: &ChooseInput<'_>) -> Result<LabelId, String> {
        input
            .choices
            .first()
            .copied()
            .ok_or_else(|| "handle_choose: no label to choose from".to_string())
    }

    /// Runs a host integration step for `Invoke`; for an effect call
    /// (`input.call`), returns the operation's outcome. An `Err` faults only
    /// the calling coroutine, as does an outcome the operation does not
    /// declare. Default: unit (which no effect call accepts).
    fn step(&self, _input: &InvokeInput<'_>) -> Result<Value, String> {
        Ok(Value::Unit)
    }

    /// Grants or blocks a guard acquire.
    fn handle_acquire(&self, _input: &AcquireInput) -> Result<AcquireDecision, String> {
        Ok(AcquireDecision::Grant {
            evidence: Value::Unit,
        })
    }

    /// Validates a guard release.
    fn handle_release(&self, _input: &ReleaseInput<'_>) -> Result<(), String> {
        Ok(())
    }

    /// Reconciles a speculation scope at `Join`: `true` commits it,
    /// `false` rolls it back like `Abort`. Default: commit.
    fn handle_join(&self, _input: &JoinInput) -> Result<bool, String> {
        Ok(true)
    }

    /// Topology events for this round (called once per round, first).
    fn topology_events(&self, _input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        Ok(Vec::new())
    }

    /// Whether `topology_events` may ever return events. A handler that
    /// answers `false` is not polled each round (the machine asks once per
    /// `run`/`step_round` call). Default: `true`.
    fn polls_topology(&self) -> bool {
        true
    }

    /// Whether `output_condition_hint` may ever return `Some`. A handler
    /// that answers `false` is not asked after each event (the machine asks
    /// once per `run`/`step_round` call). Default: `true`.
    fn gives_output_hints(&self) -> bool {
        true
    }

    /// Optional commit metadata for steps that emitted events.
    fn output_condition_hint(&self, _input: &OutputHintInput) -> Option<OutputConditionHint> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_types::{Label, LocalType, Role};

    #[test]
    fn inputs_name_roles_and_labels_and_list_the_labels_allowed_at_their_state() {
        let offer = LocalType::select(
            "B",
            [
                (Label::unit("yes"), LocalType::End),
                (Label::unit("no"), LocalType::End),
            ],
        );
        let image = telltale_compiler::CodeImage::build(
            None,
            [
                (Role::new("A"), offer),
                (
                    Role::new("B"),
                    LocalType::branch(
                        "A",
                        [
                            (Label::unit("yes"), LocalType::End),
                            (Label::unit("no"), LocalType::End),
                        ],
                    ),
                ),
            ],
        )
        .unwrap();
        let monitors = image.monitors().unwrap();
        let monitor = &monitors[0];
        let input = SendDecisionInput {
            ctx: EffectContext {
                tick: 0,
                session: 0,
                coro: 0,
                role: 0,
            },
            partner: 1,
            choices: &[0, 1],
            payload: None,
            outcome: None,
            exit_label: None,
            monitor,
            state: monitor.initial,
            symbols: &image.symbols,
        };
        assert_eq!(input.role_name(input.ctx.role), "A");
        assert_eq!(input.role_name(input.partner), "B");
        let names: Vec<&str> = input
            .allowed_labels()
            .map(|l| input.label_name(l))
            .collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"yes") && names.contains(&"no"), "{names:?}");
        assert_eq!(input.role_name(9), "?");
        assert_eq!(input.label_name(9), "?");
        let lost = SendDecisionInput {
            state: 999,
            ..input
        };
        assert_eq!(lost.allowed_labels().count(), 0);
        let finished = SendDecisionInput {
            state: telltale_compiler::END_STATE,
            ..input
        };
        assert_eq!(finished.allowed_labels().count(), 0);
    }
}
