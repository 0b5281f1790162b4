//! Partial-order reduction for protocol models: which protocols it
//! applies to, and the persistent set of a state (docs/explorer.md,
//! "Partial-order reduction").

use super::{Action, ProtocolModel};
use crate::host::ExplorableHost;
use telltale_compiler::CodeImage;
use telltale_vm::explore::is_local_instr;

impl<H: ExplorableHost> ProtocolModel<H> {
    /// The steps of the first coroutine (in slot order) that can move:
    /// persistent, because steps of different coroutines commute and
    /// never disable each other when every step is local (each directed
    /// edge has one sender and one receiver, buffers are FIFO and block
    /// a full sender, the host keeps each role's state apart). See
    /// docs/explorer.md.
    pub(super) fn persistent_steps(&self, actions: &[Action]) -> Option<Vec<usize>> {
        if !self.is_reducible() || self.drop_budget > 0 {
            return None;
        }
        let Action::Step { step: first, .. } = actions.first()? else {
            return None;
        };
        let subset: Vec<usize> = actions
            .iter()
            .enumerate()
            .filter(|(_, a)| matches!(a, Action::Step { step, .. } if step.slot == first.slot))
            .map(|(i, _)| i)
            .collect();
        let all_local = subset
            .iter()
            .all(|&i| matches!(&actions[i], Action::Step { step, .. } if step.local));
        all_local.then_some(subset)
    }
}

/// Whether every instruction of `image` is one that touches only its own
/// coroutine, at most one edge as its sole sender or sole receiver, and
/// the host: communication, register moves, jumps, yields, halts and
/// effect calls. Sessions opened or closed, guards, speculation, transfers
/// and spawns make a protocol irreducible (every state is fully expanded).
pub fn reducible(image: &CodeImage) -> bool {
    image
        .roles
        .iter()
        .all(|role| role.program.code.iter().all(is_local_instr))
}
