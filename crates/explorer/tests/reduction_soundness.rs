//! Partial-order reduction is sound on random small protocols: the
//! verdict, and the set of reachable terminal states, are the same with
//! and without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/protocol_gen.rs"]
mod protocol_gen;

use proptest::prelude::*;
use telltale_compiler::CodeImage;
use telltale_explorer::{Checker, OpenChoiceHost, ProtocolModel, Verdict};
use telltale_theory::projection::project_all;
use telltale_types::GlobalType;

fn model(global: &GlobalType, k: usize) -> Option<ProtocolModel<OpenChoiceHost>> {
    let locals: Vec<_> = project_all(global).ok()?.into_iter().collect();
    let image = CodeImage::build(Some(global), &locals).ok()?;
    Some(ProtocolModel::new(image, OpenChoiceHost, k).unwrap())
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
        prop_assert!(model.is_reducible());
        let run = |reduce| {
            Checker::new(&model)
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
            prop_assert!(!full.terminal_states.is_empty() || looping);
            prop_assert!(reduced.unique_states <= full.unique_states);
        }
    }
}
