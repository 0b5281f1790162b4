//! A built-in deterministic handler, so any projected protocol can run
//! without host code.
//!
//! Branch rule: [`ExitSteering`], shared with `tell serve`'s decider. The
//! handler counts how often each session's role has stood at each choice
//! (its only state); the first `free_iterations` visits take a continuing
//! branch, later ones the branch closest to `end`, so every loop runs and
//! every loop that has an exit takes it. Payloads are fabricated from the
//! label's sort with `splitmix64(seed ^ tick)` ([`splitmix64`] is the
//! workspace's one generator, in `telltale-types`), unless the program
//! precomputed one or the latest effect outcome's payload fits the sort. Effect calls get a seeded outcome the operation
//! declares ([`fabricate_outcome`]), or a scripted one
//! ([`DefaultHandler::with_effect_script`]).

use crate::effect::script::EffectScript;
use crate::effect::{EffectHandler, InvokeInput, SendDecision, SendDecisionInput};
use crate::ids::SessionId;
use crate::payload::check_payload;
use crate::PayloadValidationMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use telltale_compiler::{ExitSteering, LabelId, RoleId, StateId, Value};
use telltale_types::effects::{outcome, outcome_parts};
use telltale_types::random::splitmix64;
use telltale_types::{EffectOperation, PayloadSort};

pub use telltale_compiler::DEFAULT_FREE_ITERATIONS;

/// How often one session's role has made one choice: the handler's state,
/// saved beside a checkpoint to resume a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceVisits {
    /// The session.
    pub session: SessionId,
    /// The deciding role.
    pub role: RoleId,
    /// The choice's monitor state.
    pub state: StateId,
    /// Choices made there so far.
    pub visits: u64,
}

/// A deterministic handler driven by a seed.
#[derive(Debug)]
pub struct DefaultHandler {
    steering: ExitSteering,
    visits: Mutex<BTreeMap<(SessionId, RoleId, StateId), u64>>,
    script: EffectScript,
    /// Effect calls answered so far per operation id, the script's cursor.
    script_calls: Mutex<BTreeMap<u16, usize>>,
}

impl DefaultHandler {
    /// A handler that continues every loop [`DEFAULT_FREE_ITERATIONS`] times.
    pub fn new(seed: u64) -> Self {
        Self::with_free_iterations(seed, DEFAULT_FREE_ITERATIONS)
    }

    /// A handler that takes a continuing branch at each choice
    /// `free_iterations` times before steering it towards `end`.
    pub fn with_free_iterations(seed: u64, free_iterations: u64) -> Self {
        Self::resumed(seed, free_iterations, &[])
    }

    /// A handler in the state of one that has made the `visits` choices,
    /// to continue a run restored from a checkpoint.
    pub fn resumed(seed: u64, free_iterations: u64, visits: &[ChoiceVisits]) -> Self {
        DefaultHandler {
            steering: ExitSteering::new(seed, free_iterations),
            visits: Mutex::new(
                visits
                    .iter()
                    .map(|v| ((v.session, v.role, v.state), v.visits))
                    .collect(),
            ),
            script: EffectScript::default(),
            script_calls: Mutex::new(BTreeMap::new()),
        }
    }

    /// This handler, answering effect calls from `script` first (call by
    /// call, per operation) and with seeded outcomes once it runs out.
    pub fn with_effect_script(mut self, script: EffectScript) -> Self {
        self.script = script;
        self
    }

    /// The script's cursor: effect calls answered so far per operation
    /// id (what a checkpoint of a scripted run saves).
    pub fn script_calls(&self) -> BTreeMap<u16, usize> {
        self.script_calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// This handler with the script's cursor at `calls` (see
    /// [`DefaultHandler::script_calls`]), to continue a restored run.
    pub fn with_script_calls(self, calls: BTreeMap<u16, usize>) -> Self {
        *self
            .script_calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = calls;
        self
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.steering.seed
    }

    /// How many times each choice continues before it is steered to exit.
    pub fn free_iterations(&self) -> u64 {
        self.steering.free_iterations
    }

    /// The choices made so far, in (session, role, state) order.
    pub fn choice_visits(&self) -> Vec<ChoiceVisits> {
        let visits = self.visits.lock().unwrap_or_else(PoisonError::into_inner);
        visits
            .iter()
            .map(|(&(session, role, state), &visits)| ChoiceVisits {
                session,
                role,
                state,
                visits,
            })
            .collect()
    }

    fn pick(&self, input: &SendDecisionInput<'_>) -> Option<LabelId> {
        let choices = input.choices;
        if choices.len() <= 1 {
            return choices.first().copied();
        }
        let visit = {
            let mut visits = self.visits.lock().unwrap_or_else(PoisonError::into_inner);
            let count = visits
                .entry((input.ctx.session, input.ctx.role, input.state))
                .or_insert(0);
            let visit = *count;
            *count += 1;
            visit
        };
        self.steering.pick(
            input.monitor,
            input.state,
            choices,
            input.ctx.session,
            visit,
        )
    }
}

/// Builds a value of `sort` from random bits.
pub fn fabricate(sort: &PayloadSort, bits: u64) -> Value {
    match sort {
        PayloadSort::Unit | PayloadSort::Named(_) => Value::Unit,
        PayloadSort::Bool => Value::Bool(bits & 1 == 1),
        PayloadSort::Nat => Value::Nat(bits % 1000),
        PayloadSort::Int => Value::Int((bits % 2001) as i64 - 1000),
        PayloadSort::Real => Value::Real((bits % 10_000) as f64 / 10.0),
        PayloadSort::String => Value::String(Arc::from(format!("s{}", bits % 1000))),
        PayloadSort::Bytes => Value::Bytes(Arc::from(bits.to_le_bytes().as_slice())),
        PayloadSort::Product(items) => Value::Product(
            items
                .iter()
                .enumerate()
                .map(|(i, s)| fabricate(s, splitmix64(bits.wrapping_add(i as u64))))
                .collect(),
        ),
        PayloadSort::Record(fields) => Value::Record(
            fields
                .iter()
                .enumerate()
                .map(|(i, (name, s))| {
                    let value = fabricate(s, splitmix64(bits.wrapping_add(i as u64)));
                    (name.clone(), value)
                })
                .collect(),
        ),
    }
}

/// A seeded outcome of an effect operation: one of its declared
/// constructors, picked by `bits`, with a payload fabricated for its sort.
pub fn fabricate_outcome(operation: &EffectOperation, bits: u64) -> Value {
    let count = operation.outcomes.len().max(1) as u64;
    match operation.outcomes.get((bits % count) as usize) {
        Some(decl) => outcome(
            &decl.constructor,
            fabricate(&decl.payload, splitmix64(bits)),
        ),
        None => Value::Unit,
    }
}

impl EffectHandler for DefaultHandler {
    /// Answers an effect call with a seeded outcome (see
    /// [`fabricate_outcome`]); a host-defined step with unit.
    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let Some(call) = input.call else {
            return Ok(Value::Unit);
        };
        let bits = splitmix64(self.seed() ^ input.ctx.tick ^ (u64::from(call.operation_id) << 32));
        if !self.script.is_empty() {
            let index = {
                let mut calls = self
                    .script_calls
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let count = calls.entry(call.operation_id).or_insert(0);
                *count += 1;
                *count - 1
            };
            if let Some(scripted) = self.script.outcome(call.operation, index, bits) {
                return scripted.map_err(|e| e.to_string())?;
            }
        }
        Ok(fabricate_outcome(call.operation, bits))
    }

    fn polls_topology(&self) -> bool {
        false
    }

    fn gives_output_hints(&self) -> bool {
        false
    }

    fn handler_identity(&self) -> &str {
        "telltale.default-handler"
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let label = self
            .pick(input)
            .ok_or_else(|| "default handler: no label to choose from".to_string())?;
        let payload = match input.payload {
            Some(p) => p.clone(),
            None => self.handle_send(input, label)?,
        };
        Ok(SendDecision::Deliver { label, payload })
    }

    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        let sort = input
            .symbols
            .label(label)
            .map(|l| &l.sort)
            .ok_or_else(|| format!("default handler: unknown label id {label}"))?;
        if let Some(bound) = bound_payload(input.outcome, sort) {
            return Ok(bound.clone());
        }
        Ok(fabricate(sort, splitmix64(self.seed() ^ input.ctx.tick)))
    }
}

/// The payload an effect outcome binds, when it is a value of `sort` (a
/// unit sort takes nothing from it): what a branch's send carries.
fn bound_payload<'v>(outcome: Option<&'v Value>, sort: &PayloadSort) -> Option<&'v Value> {
    if *sort == PayloadSort::Unit {
        return None;
    }
    let (_, payload) = outcome_parts(outcome?)?;
    check_payload(payload, sort, PayloadValidationMode::StrictSchema)
        .is_ok()
        .then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effect::EffectContext;
    use telltale_compiler::{Interner, MonitorTable, Symbols};
    use telltale_types::{Label, LocalType, Role};

    #[test]
    fn fabricated_values_match_their_sorts() {
        let sorts = [
            PayloadSort::Unit,
            PayloadSort::Bool,
            PayloadSort::Nat,
            PayloadSort::Int,
            PayloadSort::Real,
            PayloadSort::String,
            PayloadSort::Bytes,
            PayloadSort::Named("a.B".into()),
            PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Bool]),
            PayloadSort::Record(vec![("x".into(), PayloadSort::Nat)]),
        ];
        for (i, sort) in sorts.iter().enumerate() {
            let v = fabricate(sort, splitmix64(i as u64));
            assert!(
                check_payload(&v, sort, PayloadValidationMode::StrictSchema).is_ok(),
                "{v} : {sort}"
            );
        }
    }

    /// A loop of role A sending `a` or `b` (continuing) or `c` (the exit)
    /// to B: its symbols (labels 0, 1, 2 with an int, a bool and a string
    /// payload) and monitor table.
    fn looping() -> (Symbols, MonitorTable) {
        let local = LocalType::rec(
            "t",
            LocalType::select(
                "B",
                [
                    (Label::new("a", PayloadSort::Int), LocalType::var("t")),
                    (Label::new("b", PayloadSort::Bool), LocalType::var("t")),
                    (Label::new("c", PayloadSort::String), LocalType::End),
                ],
            ),
        );
        let mut interner = Interner::new();
        interner.role(&Role::new("A")).unwrap();
        let table = MonitorTable::build(&local, &mut interner).unwrap();
        (interner.symbols().clone(), table)
    }

    fn input<'a>(
        (symbols, monitor): &'a (Symbols, MonitorTable),
        choices: &'a [LabelId],
        tick: u64,
    ) -> SendDecisionInput<'a> {
        SendDecisionInput {
            ctx: EffectContext {
                tick,
                session: 0,
                coro: 0,
                role: 0,
            },
            partner: 1,
            choices,
            payload: None,
            outcome: None,
            exit_label: monitor.state(monitor.initial).exit_label,
            monitor,
            state: monitor.initial,
            symbols,
        }
    }

    /// The labels and payloads of `rounds` decisions at the loop's choice.
    fn decisions(handler: &DefaultHandler, rounds: u64) -> Vec<(LabelId, Value)> {
        let fixture = looping();
        (0..rounds)
            .map(
                |tick| match handler.send_decision(&input(&fixture, &[0, 1, 2], tick)) {
                    Ok(SendDecision::Deliver { label, payload }) => (label, payload),
                    other => panic!("tick {tick}: {other:?}"),
                },
            )
            .collect()
    }

    #[test]
    fn a_choice_continues_its_free_iterations_then_takes_the_exit() {
        let free = 6;
        let handler = DefaultHandler::with_free_iterations(11, free);
        let made = decisions(&handler, free + 3);
        for (n, (label, payload)) in made.iter().enumerate() {
            let continuing = (n as u64) < free;
            assert_eq!(*label != 2, continuing, "choice {n}: {label}");
            let sort = &looping().0.labels[usize::from(*label)].sort;
            assert_eq!(
                *payload,
                fabricate(sort, splitmix64(11 ^ n as u64)),
                "choice {n}"
            );
        }
        // While it continues, the seed chooses among the continuing labels.
        for label in 0..2 {
            assert!(
                made[..free as usize].iter().any(|(l, _)| *l == label),
                "{label}"
            );
        }
        assert_eq!(
            handler.choice_visits(),
            [ChoiceVisits {
                session: 0,
                role: 0,
                state: looping().1.initial,
                visits: free + 3
            }]
        );
    }

    #[test]
    fn seeds_differ_and_a_resumed_handler_continues_the_sequence() {
        let whole = decisions(&DefaultHandler::with_free_iterations(5, 20), 24);
        assert_ne!(
            whole,
            decisions(&DefaultHandler::with_free_iterations(6, 20), 24)
        );
        let first = DefaultHandler::with_free_iterations(5, 20);
        let _ = decisions(&first, 7);
        let resumed = DefaultHandler::resumed(5, 20, &first.choice_visits());
        let fixture = looping();
        for (tick, (label, _)) in whole.iter().enumerate().skip(7) {
            let decision = resumed
                .send_decision(&input(&fixture, &[0, 1, 2], tick as u64))
                .unwrap();
            assert!(
                matches!(decision, SendDecision::Deliver { label: l, .. } if l == *label),
                "choice {tick}: {decision:?}"
            );
        }
    }

    #[test]
    fn a_single_label_is_not_a_choice_and_a_precomputed_payload_is_kept() {
        let handler = DefaultHandler::with_free_iterations(1, 0);
        let fixture = looping();
        let kept = Value::Int(42);
        let mut single = input(&fixture, &[1], 3);
        single.payload = Some(&kept);
        assert_eq!(
            handler.send_decision(&single).unwrap(),
            SendDecision::Deliver {
                label: 1,
                payload: Value::Int(42)
            }
        );
        assert!(handler.choice_visits().is_empty());
        let empty = handler.send_decision(&input(&fixture, &[], 3));
        assert!(empty.is_err(), "{empty:?}");
        let unknown = handler.send_decision(&input(&fixture, &[9], 3));
        assert!(unknown.is_err(), "{unknown:?}");
    }
}
