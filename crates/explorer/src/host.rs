//! Hosts the explorer can branch over: the host's state is part of the
//! explored state, and each choice it leaves open is an alternative the
//! explorer tries.

use crate::observation::Observations;
use std::sync::Arc;
use telltale_compiler::LabelId;
use telltale_types::effects::EffectTable;
use telltale_vm::effect::default_handler::fabricate;
use telltale_vm::explore::{share, EnabledStep};
use telltale_vm::{
    EffectError, EffectErrorCategory, EffectHandler, EffectScript, InvokeInput, ProtocolMachine,
    ProtocolMachineError, SendDecision, SendDecisionInput, Value,
};

/// A host handler the explorer can run: cloneable (a state keeps its own
/// copy), encodable (its state is fingerprinted with the machine's) and
/// explicit about the choices it leaves open at each step.
pub trait ExplorableHost: Clone + Send + Sync {
    /// How many alternatives the host leaves open for `step` (at least 1).
    fn alternatives(&self, step: &EnabledStep) -> usize;

    /// Executes `step` on `machine` taking alternative `alternative`
    /// (below [`ExplorableHost::alternatives`]), updating the host's state
    /// and recording what the host observes in `observations` (part of
    /// the explored state: `agreement(key)` and `never(key)` read them).
    fn execute(
        &mut self,
        machine: &mut ProtocolMachine,
        step: &EnabledStep,
        alternative: usize,
        observations: &mut Observations,
    ) -> Result<(), ProtocolMachineError>;

    /// Appends the host's state to a fingerprint's bytes, canonically
    /// (nothing for a stateless host).
    fn encode(&self, out: &mut Vec<u8>);

    /// Whether the host keeps no state that steps read or write.
    fn is_stateless(&self) -> bool;

    /// Whether each role's steps read and write only that role's part of
    /// the host's state and record observations only as that role (a
    /// consensus host whose provers each keep their own state): steps of
    /// different roles then commute, so partial-order reduction may apply
    /// (docs/explorer.md, "Partial-order reduction"). A stateless host is.
    fn is_per_role(&self) -> bool {
        self.is_stateless()
    }

    /// Whether the host treats the members of a family alike: its
    /// alternatives and answers do not depend on which member steps, and
    /// its `encode` and observations name no member (so renaming members
    /// maps its behaviour to itself). This allows symmetry reduction; the
    /// default, `false`, never reduces.
    fn is_symmetric(&self) -> bool {
        false
    }
}

/// The host of `tell explore` without host code: every label an `Offer`
/// allows is an alternative, and so is every outcome constructor an effect
/// call's operation declares (with a fixed payload of its sort), plus
/// giving up (a `timeout` error) where the call's `case` has a `Timeout`
/// branch; payloads are a fixed value of their sort (or the one the program
/// computed). It keeps no state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OpenChoiceHost;

impl ExplorableHost for OpenChoiceHost {
    fn alternatives(&self, step: &EnabledStep) -> usize {
        match step.effect {
            Some(effect) => effect.outcomes + usize::from(effect.handles_timeout),
            None => step.open_labels.len(),
        }
        .max(1)
    }

    fn execute(
        &mut self,
        machine: &mut ProtocolMachine,
        step: &EnabledStep,
        alternative: usize,
        _observations: &mut Observations,
    ) -> Result<(), ProtocolMachineError> {
        ForcedChoice::execute(machine, step, alternative, None)
    }

    fn encode(&self, _out: &mut Vec<u8>) {}

    fn is_stateless(&self) -> bool {
        true
    }

    fn is_symmetric(&self) -> bool {
        // Its answers depend on the step's instruction and table, never
        // on the role.
        true
    }
}

/// [`OpenChoiceHost`] with scripted alternatives: an operation the script
/// names (`Ledger.append=Ok,Err(Full)`, `Prover.prove=Ok,Timeout`) is
/// answered, at each call, with each listed answer in turn as the
/// explorer's alternatives, instead of every declared outcome; the others
/// are left open as [`OpenChoiceHost`] leaves them. Stateless.
#[derive(Debug)]
pub struct ScriptedChoiceHost {
    script: Arc<EffectScript>,
    /// Scripted answers per operation id (`None`: not scripted).
    counts: Arc<[Option<usize>]>,
}

impl Clone for ScriptedChoiceHost {
    fn clone(&self) -> Self {
        ScriptedChoiceHost {
            script: Arc::clone(&self.script),
            counts: Arc::clone(&self.counts),
        }
    }

    /// Touches the shared counts only when they differ (explored states
    /// are copied over each other on several threads).
    fn clone_from(&mut self, source: &Self) {
        share(&mut self.script, &source.script);
        share(&mut self.counts, &source.counts);
    }
}

impl ScriptedChoiceHost {
    /// A host with `script`'s alternatives for the operations of `effects`
    /// (check the script against them first: `EffectScript::check`).
    pub fn new(script: EffectScript, effects: &EffectTable) -> Self {
        let counts = effects
            .operations
            .iter()
            .map(|op| script.len_for(op))
            .collect();
        ScriptedChoiceHost {
            script: Arc::new(script),
            counts,
        }
    }
}

impl ExplorableHost for ScriptedChoiceHost {
    fn alternatives(&self, step: &EnabledStep) -> usize {
        let scripted = step
            .effect
            .and_then(|e| self.counts.get(usize::from(e.operation)).copied().flatten());
        match scripted {
            Some(n) => n.max(1),
            None => OpenChoiceHost.alternatives(step),
        }
    }

    fn execute(
        &mut self,
        machine: &mut ProtocolMachine,
        step: &EnabledStep,
        alternative: usize,
        _observations: &mut Observations,
    ) -> Result<(), ProtocolMachineError> {
        ForcedChoice::execute(machine, step, alternative, Some(&self.script))
    }

    fn encode(&self, _out: &mut Vec<u8>) {}

    fn is_stateless(&self) -> bool {
        true
    }

    fn is_symmetric(&self) -> bool {
        // Its answers depend on the step's instruction and table, never
        // on the role.
        true
    }
}

/// The effect handler of one [`OpenChoiceHost`] step: sends `label` at an
/// open `Offer`, and otherwise behaves the same in every state (no seeds,
/// no clock), so a step's result depends only on the explored state.
#[derive(Debug)]
struct ForcedChoice<'s> {
    label: Option<LabelId>,
    /// For an effect call: the declared outcome to answer, or, one past
    /// the last, a `timeout` error; for a scripted operation, the
    /// scripted answer of that index.
    outcome: usize,
    script: Option<&'s EffectScript>,
}

impl ForcedChoice<'_> {
    /// Executes `step` taking `alternative`: the `alternative`-th open
    /// label of an `Offer`, or the `alternative`-th answer of an effect
    /// call (scripted in `script`, else a declared outcome).
    fn execute(
        machine: &mut ProtocolMachine,
        step: &EnabledStep,
        alternative: usize,
        script: Option<&EffectScript>,
    ) -> Result<(), ProtocolMachineError> {
        let handler = ForcedChoice {
            label: step.open_labels.get(alternative).copied(),
            outcome: alternative,
            script,
        };
        machine.execute_step(step.slot, &handler)
    }
}

impl EffectHandler for ForcedChoice<'_> {
    fn handler_identity(&self) -> &str {
        "telltale.explorer.open-choice"
    }

    fn polls_topology(&self) -> bool {
        false
    }

    fn gives_output_hints(&self) -> bool {
        false
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let label = match self.label {
            Some(label) if input.choices.contains(&label) => label,
            _ => *input
                .choices
                .first()
                .ok_or_else(|| "explorer host: no label to choose from".to_string())?,
        };
        let payload = match input.payload {
            Some(p) => p.clone(),
            None => {
                let sort = input
                    .symbols
                    .label(label)
                    .map(|l| &l.sort)
                    .ok_or_else(|| format!("explorer host: unknown label id {label}"))?;
                fabricate(sort, 0)
            }
        };
        Ok(SendDecision::Deliver { label, payload })
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let Some(call) = input.call else {
            return Ok(Value::Unit);
        };
        if let Some(answer) = self
            .script
            .and_then(|s| s.outcome(call.operation, self.outcome, 0))
        {
            return answer.map_err(|e| e.to_string())?;
        }
        if self.outcome >= call.operation.outcomes.len() && call.site.handles_timeout() {
            return Err(EffectError::tagged(
                EffectErrorCategory::Timeout,
                "the host gave up (explored alternative)",
            ));
        }
        // `fabricate_outcome` picks constructor `bits % count`.
        Ok(telltale_vm::fabricate_outcome(
            call.operation,
            self.outcome as u64,
        ))
    }
}
