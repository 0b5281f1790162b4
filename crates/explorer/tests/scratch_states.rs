//! The checkers write successors into a scratch state (`clone_from`
//! reusing its storage, the machine skipping edges never written) and copy
//! out only the new ones, sharing those copies between workers. On random
//! small protocols, with message loss and a lying role, that explores
//! exactly the graph that a fresh copy per transition explores.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/protocol_gen.rs"]
mod protocol_gen;

use proptest::prelude::*;
use telltale_compiler::CodeImage;
use telltale_explorer::{
    ByzantineHost, Checker, FabricatedLies, Model, OpenChoiceHost, Property, ProtocolModel, Report,
};
use telltale_theory::projection::project_all;
use telltale_types::GlobalType;

/// A state whose `clone_from` is the default: a fresh copy.
struct Fresh<S>(S);

impl<S: Clone> Clone for Fresh<S> {
    fn clone(&self) -> Self {
        Fresh(self.0.clone())
    }
}

/// `M` with every state copied afresh (no storage reused anywhere); no
/// properties.
struct FreshCopies<'m, M>(&'m M);

impl<M: Model> Model for FreshCopies<'_, M> {
    type State = Fresh<M::State>;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.0.init_states().into_iter().map(Fresh).collect()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.0.actions(&state.0, actions);
    }

    fn next_state(&self, state: &Self::State, action: &Self::Action) -> Self::State {
        Fresh(self.0.next_state(&state.0, action))
    }

    fn fingerprint(&self, state: &Self::State) -> u64 {
        self.0.fingerprint(&state.0)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        Vec::new()
    }

    fn is_final(&self, state: &Self::State) -> bool {
        self.0.is_final(&state.0)
    }

    fn fullest_buffer(&self, state: &Self::State) -> usize {
        self.0.fullest_buffer(&state.0)
    }
}

/// `M` as the checkers see it, but with no properties either (so both
/// searches run to the end).
struct ScratchCopies<'m, M>(&'m M);

impl<M: Model> Model for ScratchCopies<'_, M> {
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.0.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        self.0.actions(state, actions);
    }

    fn next_state(&self, state: &Self::State, action: &Self::Action) -> Self::State {
        self.0.next_state(state, action)
    }

    fn next_state_into(&self, state: &Self::State, action: &Self::Action, into: &mut Self::State) {
        self.0.next_state_into(state, action, into);
    }

    fn fingerprint(&self, state: &Self::State) -> u64 {
        self.0.fingerprint(state)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        Vec::new()
    }

    fn is_final(&self, state: &Self::State) -> bool {
        self.0.is_final(state)
    }

    fn fullest_buffer(&self, state: &Self::State) -> usize {
        self.0.fullest_buffer(state)
    }
}

fn shape_of<A>(report: &Report<A>) -> (usize, usize, usize, usize, Vec<u64>) {
    let mut terminals = report.terminal_states.clone();
    terminals.sort_unstable();
    (
        report.unique_states,
        report.transitions,
        report.max_depth,
        report.fullest_buffer,
        terminals,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn scratch_states_explore_the_same_graph_as_fresh_copies(
        shapes in protocol_gen::shape(2),
        roles in 2usize..=3,
        looping in any::<bool>(),
        drops in 0u32..=1,
        liar in any::<bool>(),
        k in 1usize..=2,
    ) {
        let global = if looping {
            protocol_gen::looping(&shapes, roles)
        } else {
            protocol_gen::build(&shapes, roles, GlobalType::End, &mut 0)
        };
        let Ok(locals) = project_all(&global) else {
            return Ok(());
        };
        let locals: Vec<_> = locals.into_iter().collect();
        let Ok(image) = CodeImage::build(Some(&global), &locals) else {
            return Ok(());
        };
        let liar = liar.then_some(0);
        let host = ByzantineHost::new(OpenChoiceHost, liar, FabricatedLies { count: 1 });
        let model = ProtocolModel::new(image, host, k).unwrap().with_drop_budget(drops);
        let fresh = FreshCopies(&model);
        let scratch = ScratchCopies(&model);
        let bound = 20_000;
        let reference = Checker::new(&fresh).threads(1).max_states(bound).record_terminal_states().bfs();
        prop_assume!(!reference.state_bound_hit);
        for threads in [1, 2] {
            let bfs = Checker::new(&scratch)
                .threads(threads)
                .max_states(bound)
                .record_terminal_states()
                .bfs();
            prop_assert_eq!(shape_of(&bfs), shape_of(&reference));
        }
        let dfs = Checker::new(&scratch).max_states(bound).dfs();
        prop_assert_eq!(dfs.unique_states, reference.unique_states);
    }
}
