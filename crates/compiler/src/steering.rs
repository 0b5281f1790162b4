//! The branch rule of the built-in deciders (`tell run`'s default handler
//! and `tell serve`'s decider): one rule, on monitor tables, so both make
//! the same choices and both let every loop end.
//!
//! At a choice, each offered label leads to a monitor state whose distance
//! to `end` is known ([`crate::MonitorState::distance_to_end`], fewest
//! communications). The labels of least distance are the *exit* branches;
//! the others *continue* (a branch that loops back can never be shortest,
//! since a shortest path never revisits the loop head; a `continue` to an
//! inner loop is measured like any other path). The `visit`-th time a
//! decider stands at the same choice, it takes a continuing branch while
//! `visit < free_iterations` (so every loop runs at least that many times),
//! and an exit branch afterwards (so every loop that can end does). Among
//! the branches of the chosen kind the seed picks.

use crate::instr::LabelId;
use crate::monitor::{MonitorTable, StateId};
use telltale_types::random::{splitmix64, SeededRng};

/// Iterations every loop takes before the built-in deciders steer it to its
/// exit, unless told otherwise.
pub const DEFAULT_FREE_ITERATIONS: u64 = 1;

/// The seeded exit-distance rule shared by the built-in deciders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitSteering {
    /// Seed of the picks among equally good branches.
    pub seed: u64,
    /// How many times each choice takes a continuing branch before it
    /// takes an exit branch.
    pub free_iterations: u64,
}

impl ExitSteering {
    /// The rule for `seed`, continuing each loop `free_iterations` times.
    pub fn new(seed: u64, free_iterations: u64) -> Self {
        ExitSteering {
            seed,
            free_iterations,
        }
    }

    /// The label to send at `state` of `monitor` among `choices`, the
    /// `visit`-th time (from 0) session `session` stands at this choice;
    /// `None` only if `choices` is empty.
    pub fn pick(
        &self,
        monitor: &MonitorTable,
        state: StateId,
        choices: &[LabelId],
        session: u64,
        visit: u64,
    ) -> Option<LabelId> {
        let distance = |label: LabelId| {
            monitor
                .step(state, label)
                .map_or(u32::MAX, |next| monitor.state(next).distance_to_end)
        };
        let shortest = choices.iter().map(|&l| distance(l)).min()?;
        let continuing = visit < self.free_iterations;
        let wanted: Vec<LabelId> = choices
            .iter()
            .copied()
            .filter(|&l| (distance(l) > shortest) == continuing)
            .collect();
        // At a choice where every branch is equally short there is no loop
        // to continue: all branches are exits.
        let pool = if wanted.is_empty() { choices } else { &wanted };
        let key = splitmix64(session) ^ splitmix64(u64::from(state).wrapping_add(visit << 32));
        let mut rng = SeededRng::new(self.seed ^ key);
        pool.get(rng.index(pool.len())).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbols::Interner;
    use telltale_types::{Label, LocalType};

    fn id(interner: &Interner, name: &str) -> LabelId {
        interner
            .symbols()
            .labels
            .iter()
            .position(|l| l.name() == name)
            .unwrap() as LabelId
    }

    /// Follows the rule from the initial state, as a decider would, and
    /// returns the labels this role sends (receives take their only label).
    fn walk(local: &LocalType, free: u64, seed: u64, limit: usize) -> Vec<String> {
        let mut interner = Interner::new();
        let table = MonitorTable::build(local, &mut interner).unwrap();
        let rule = ExitSteering::new(seed, free);
        let mut visits = std::collections::BTreeMap::new();
        let mut state = table.initial;
        let mut sent = Vec::new();
        while state != crate::END_STATE && sent.len() < limit {
            let s = *table.state(state);
            let labels: Vec<LabelId> = table.transitions_of(&s).iter().map(|t| t.label).collect();
            let visit = visits.entry(state).or_insert(0u64);
            let label = rule.pick(&table, state, &labels, 0, *visit).unwrap();
            *visit += 1;
            sent.push(
                interner.symbols().labels[usize::from(label)]
                    .name()
                    .to_string(),
            );
            state = table.step(state, label).unwrap();
        }
        sent
    }

    /// `rec outer. { Again: B!more. rec inner. { Next: inner, Quit: end }, Stop: ... }`
    /// where the exit branch of the outer loop contains an inner loop.
    fn nested() -> LocalType {
        LocalType::rec(
            "outer",
            LocalType::select(
                "B",
                [
                    (Label::unit("Again"), LocalType::var("outer")),
                    (
                        Label::unit("Finish"),
                        LocalType::rec(
                            "inner",
                            LocalType::select(
                                "B",
                                [
                                    (Label::unit("Next"), LocalType::var("inner")),
                                    (Label::unit("Quit"), LocalType::End),
                                ],
                            ),
                        ),
                    ),
                ],
            ),
        )
    }

    #[test]
    fn with_no_free_iterations_nested_loops_leave_at_once() {
        for seed in 0..20 {
            assert_eq!(
                walk(&nested(), 0, seed, 100),
                ["Finish", "Quit"],
                "seed {seed}"
            );
        }
    }

    #[test]
    fn every_loop_continues_its_free_iterations_then_ends() {
        for seed in 0..20 {
            assert_eq!(
                walk(&nested(), 1, seed, 100),
                ["Again", "Finish", "Next", "Quit"],
                "seed {seed}"
            );
            assert_eq!(
                walk(&nested(), 2, seed, 100),
                ["Again", "Again", "Finish", "Next", "Next", "Quit"],
                "seed {seed}"
            );
        }
    }

    #[test]
    fn equally_short_branches_are_picked_by_the_seed() {
        let local = LocalType::select(
            "B",
            [
                (Label::unit("Yes"), LocalType::End),
                (Label::unit("No"), LocalType::End),
            ],
        );
        let picks: std::collections::BTreeSet<Vec<String>> =
            (0..32).map(|seed| walk(&local, 1, seed, 10)).collect();
        assert_eq!(picks.len(), 2, "{picks:?}");
        let mut interner = Interner::new();
        let table = MonitorTable::build(&local, &mut interner).unwrap();
        let rule = ExitSteering::new(3, 1);
        assert_eq!(rule.pick(&table, table.initial, &[], 0, 0), None);
        let yes = id(&interner, "Yes");
        assert_eq!(rule.pick(&table, table.initial, &[yes], 0, 0), Some(yes));
    }
}
