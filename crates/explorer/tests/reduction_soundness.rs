//! Partial-order reduction is sound on random small protocols: the
//! verdict, and the set of reachable terminal states, are the same with
//! and without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/protocol_gen.rs"]
mod protocol_gen;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use telltale_compiler::CodeImage;
use telltale_explorer::{
    ByzantineHost, Checker, ExplorableHost, FabricatedLies, OpenChoiceHost, ProtocolModel, Verdict,
};
use telltale_theory::projection::project_all;
use telltale_types::GlobalType;

fn model(global: &GlobalType, k: usize) -> Option<ProtocolModel<OpenChoiceHost>> {
    let locals: Vec<_> = project_all(global).ok()?.into_iter().collect();
    let image = CodeImage::build(Some(global), &locals).ok()?;
    Some(ProtocolModel::new(image, OpenChoiceHost, k).unwrap())
}

/// Explores `model` with and without reduction and checks that the
/// verdicts, the broken property and (when the checks hold) the terminal
/// states agree; returns the verdict and whether a terminal state was
/// found.
fn same_with_and_without_reduction<H: ExplorableHost>(
    model: &ProtocolModel<H>,
) -> Result<(Verdict, bool), TestCaseError> {
    prop_assert!(model.is_reducible());
    let run = |reduce| {
        Checker::new(model)
            .threads(1)
            .max_states(50_000)
            .partial_order_reduction(reduce)
            .record_terminal_states()
            .bfs()
    };
    let full = run(false);
    let reduced = run(true);
    prop_assume!(full.verdict != Verdict::Incomplete);
    prop_assert_eq!(&full.verdict, &reduced.verdict);
    prop_assert_eq!(
        full.counterexample.as_ref().map(|c| c.property),
        reduced.counterexample.as_ref().map(|c| c.property)
    );
    if full.verdict == Verdict::Holds {
        prop_assert_eq!(&full.terminal_states, &reduced.terminal_states);
        prop_assert!(reduced.unique_states <= full.unique_states);
    }
    Ok((full.verdict, !full.terminal_states.is_empty()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn reduction_keeps_verdicts_and_terminal_states(
        shapes in protocol_gen::shape(2),
        roles in 2usize..=4,
        looping in any::<bool>(),
        k in 1usize..=2,
    ) {
        let global = if looping {
            protocol_gen::looping(&shapes, roles)
        } else {
            protocol_gen::build(&shapes, roles, GlobalType::End, &mut 0)
        };
        let Some(model) = model(&global, k) else {
            return Ok(());
        };
        let (verdict, terminals) = same_with_and_without_reduction(&model)?;
        prop_assert!(verdict != Verdict::Holds || terminals || looping);
    }
}

/// A per-role stateful host: each role counts its own steps and observes
/// every payload it receives (`got`), so `agreement(got)` breaks as soon as
/// two different payloads are received anywhere.
#[derive(Clone, Default)]
struct ReceiptHost {
    steps: Vec<u32>,
}

impl ExplorableHost for ReceiptHost {
    fn alternatives(&self, step: &telltale_vm::explore::EnabledStep) -> usize {
        OpenChoiceHost.alternatives(step)
    }

    fn execute(
        &mut self,
        machine: &mut telltale_vm::ProtocolMachine,
        step: &telltale_vm::explore::EnabledStep,
        alternative: usize,
        observations: &mut telltale_explorer::Observations,
    ) -> Result<(), telltale_vm::ProtocolMachineError> {
        if let Some(edge) = step.edge.filter(|e| !e.send) {
            if let Some((_, payload)) = machine.oldest_message(edge.session, edge.from, edge.to) {
                observations.observe(step.role, "got", &payload.to_string());
            }
        }
        let role = usize::from(step.role);
        if self.steps.len() <= role {
            self.steps.resize(role + 1, 0);
        }
        self.steps[role] += 1;
        OpenChoiceHost.execute(machine, step, alternative, observations)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for n in &self.steps {
            out.extend_from_slice(&n.to_le_bytes());
        }
    }

    fn is_stateless(&self) -> bool {
        false
    }

    fn is_per_role(&self) -> bool {
        true
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With a per-role stateful host, a lying role and an observation
    /// check, reduction still keeps verdicts and terminal states.
    #[test]
    fn reduction_keeps_verdicts_with_per_role_hosts_and_liars(
        shapes in protocol_gen::shape(2),
        roles in 2usize..=3,
        k in 1usize..=2,
    ) {
        let global = protocol_gen::build(&shapes, roles, GlobalType::End, &mut 0);
        let Ok(locals) = project_all(&global) else {
            return Ok(());
        };
        let locals: Vec<_> = locals.into_iter().collect();
        let Ok(image) = CodeImage::build(Some(&global), &locals) else {
            return Ok(());
        };
        let liar: Option<telltale_compiler::RoleId> = (!image.symbols.roles.is_empty()).then_some(0);
        let host = ByzantineHost::new(ReceiptHost::default(), liar, FabricatedLies { count: 1 });
        let model = ProtocolModel::new(image, host, k).unwrap().with_agreement("got");
        same_with_and_without_reduction(&model)?;
    }
}
