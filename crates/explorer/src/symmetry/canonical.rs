//! The fingerprint a state is stored under with a symmetry group: the
//! least fingerprint of its renamed images, over the group elements that
//! can bring it to a canonical member order.
//!
//! For a cyclic factor every rotation is tried. For a full factor the
//! blocks are sorted by their keys (`StateEncoder::block_keys`, which do
//! not depend on which block is which), and only the orders of blocks
//! with equal keys are tried: every state of an orbit then yields the same
//! set of images, so the least fingerprint is the orbit's (a canonical
//! form) at the cost of one encoding per tie order instead of N!. When no
//! member talks to another block and nothing was observed, blocks with
//! equal keys hold equal states and one order is enough.

use super::{
    compose, permutations, role_perm, rotation, SymmetryGroup, SymmetryKind, MAX_GROUP_ELEMENTS,
};
use crate::host::ExplorableHost;
use crate::observation::Observations;
use crate::protocol::{ProtocolModel, ProtocolState};
use std::cell::RefCell;
use telltale_compiler::RoleId;
use telltale_vm::explore::StateEncoder;
use telltale_vm::ProtocolMachine;

thread_local! {
    static ENCODER: RefCell<StateEncoder> = RefCell::new(StateEncoder::new());
}

/// The block orders worth trying for a full factor in a state with
/// block keys `keys`: `sigma[i]` is where block `i` goes. Blocks sorted
/// by key; within a run of equal keys every order (at most `cap`).
fn sorted_orders(keys: &[u64], cap: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| (keys[i], i));
    // Runs of equal keys, as (start, len) in `order`.
    let mut runs = Vec::new();
    let mut start = 0;
    for t in 1..=order.len() {
        if t == order.len() || keys[order[t]] != keys[order[start]] {
            if t - start > 1 {
                runs.push((start, t - start));
            }
            start = t;
        }
    }
    let mut orders = vec![order];
    for (start, len) in runs {
        let within = permutations(len);
        let mut next = Vec::new();
        'all: for base in &orders {
            for perm in &within {
                if next.len() >= cap {
                    break 'all;
                }
                let mut o = base.clone();
                for (k, &p) in perm.iter().enumerate() {
                    o[start + k] = base[start + p];
                }
                next.push(o);
            }
        }
        orders = next;
    }
    orders
        .into_iter()
        .map(|order| {
            let mut sigma = vec![0; order.len()];
            for (t, &i) in order.iter().enumerate() {
                sigma[i] = t;
            }
            sigma
        })
        .collect()
}

impl SymmetryGroup {
    /// The group elements tried for a state on `machine`, as role
    /// permutations (`None` when block keys cannot be computed). With
    /// `observed` (the state has observations, which name roles and are
    /// not in the keys) every order of equal keys is tried.
    fn candidates(
        &self,
        encoder: &mut StateEncoder,
        machine: &ProtocolMachine,
        observed: bool,
    ) -> Option<Vec<Vec<RoleId>>> {
        let width = machine.symbols().roles.len();
        let mut elements: Vec<Vec<RoleId>> = vec![role_perm(width, &[], &[])];
        for component in &self.components {
            let n = component.blocks.len();
            let sigmas = match component.kind {
                SymmetryKind::Full => {
                    let keys = encoder.block_keys(machine, &component.blocks)?;
                    // Unlinked blocks with equal keys hold equal states:
                    // their order changes nothing, one order will do.
                    let ties = if component.linked || observed {
                        MAX_GROUP_ELEMENTS
                    } else {
                        1
                    };
                    sorted_orders(&keys, ties)
                }
                SymmetryKind::Cyclic => (0..n).map(|by| rotation(n, by)).collect(),
            };
            elements = compose(&elements, &sigmas, width, &component.blocks);
        }
        Some(elements)
    }

    /// The fingerprint of each image of `state` under `elements` (`None`
    /// when the state has a shape the encoder does not rename, or a
    /// machine error).
    fn image_fingerprints<H: ExplorableHost>(
        encoder: &mut StateEncoder,
        elements: &[Vec<RoleId>],
        model: &ProtocolModel<H>,
        state: &ProtocolState<H>,
    ) -> Option<Vec<u64>> {
        if state.error.is_some() {
            return None;
        }
        let mut host = Vec::new();
        state.host.encode(&mut host);
        let mut extra = Vec::new();
        elements
            .iter()
            .map(|perm| {
                extra.clear();
                extra.extend_from_slice(&host);
                if !state.observations.is_empty() {
                    let mut renamed = Observations::new();
                    for o in state.observations.iter() {
                        let role = perm.get(usize::from(o.role)).copied().unwrap_or(o.role);
                        renamed.observe(role, &o.key, &o.value);
                    }
                    renamed.encode(&mut extra);
                }
                if model.drop_budget() > 0 {
                    extra.extend_from_slice(&state.drops.to_le_bytes());
                }
                encoder.fingerprint_permuted(&state.machine, perm, &extra)
            })
            .collect()
    }

    /// The least fingerprint over the candidate images of `state`: equal
    /// for two states only if they are in one orbit (up to hash
    /// collisions), and the same for a whole orbit when the group is
    /// complete and no tie order was cut.
    pub(crate) fn canonical_fingerprint<H: ExplorableHost>(
        &self,
        model: &ProtocolModel<H>,
        state: &ProtocolState<H>,
    ) -> Option<u64> {
        ENCODER.with(|encoder| {
            let mut encoder = encoder.borrow_mut();
            let observed = !state.observations.is_empty();
            let elements = self.candidates(&mut encoder, &state.machine, observed)?;
            Self::image_fingerprints(&mut encoder, &elements, model, state)?
                .into_iter()
                .min()
        })
    }

    /// How many distinct states the images of `state` under every
    /// enumerated element are: its orbit's size when the group is
    /// complete, a lower bound otherwise. For one full factor of unlinked
    /// blocks and no observations it is counted from the keys instead:
    /// N! / (k1! k2! ...) for runs of k1, k2, ... equal keys (blocks with
    /// equal keys hold equal states, and only those).
    pub(crate) fn orbit_size<H: ExplorableHost>(
        &self,
        model: &ProtocolModel<H>,
        state: &ProtocolState<H>,
    ) -> usize {
        if let [component] = self.components.as_slice() {
            if component.kind == SymmetryKind::Full
                && !component.linked
                && state.observations.is_empty()
                && state.error.is_none()
            {
                let keys = ENCODER.with(|encoder| {
                    encoder
                        .borrow_mut()
                        .block_keys(&state.machine, &component.blocks)
                });
                if let Some(mut keys) = keys {
                    keys.sort_unstable();
                    let factorial = |k: usize| (1..=k as u128).fold(1u128, u128::saturating_mul);
                    let mut orbit = factorial(keys.len());
                    for run in keys.chunk_by(|a, b| a == b) {
                        orbit /= factorial(run.len());
                    }
                    return usize::try_from(orbit).unwrap_or(usize::MAX);
                }
            }
        }
        let fps = ENCODER.with(|encoder| {
            Self::image_fingerprints(&mut encoder.borrow_mut(), &self.elements, model, state)
        });
        match fps {
            Some(mut fps) => {
                fps.sort_unstable();
                fps.dedup();
                fps.len()
            }
            None => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_sorted_by_key_and_ties_tried_both_ways() {
        // Block 0 has the largest key, blocks 1 and 2 tie.
        let orders = sorted_orders(&[9, 4, 4], 720);
        assert_eq!(orders, vec![vec![2, 0, 1], vec![2, 1, 0]]);
        assert_eq!(sorted_orders(&[1, 2, 3], 720), vec![vec![0, 1, 2]]);
        assert_eq!(sorted_orders(&[5; 4], 720).len(), 24);
        assert_eq!(sorted_orders(&[5; 4], 10).len(), 10);
    }
}
