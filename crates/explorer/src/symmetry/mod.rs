//! Symmetry reduction for role families: member permutations verified to
//! be automorphisms of the compiled protocol, and the canonical
//! fingerprint of a state over them (docs/explorer.md, "Symmetry").
//!
//! A family `W[N]` lowers to roles `W0`, ..., `W{N-1}`. For each family
//! the generators of the full symmetric group (the adjacent transpositions)
//! are checked first, then the rotation `Wi -> W(i+1 mod N)` (a ring); a
//! family that has neither alone is tried jointly with every other family
//! of its size that has neither (`C[3]` and `S[3]` in pairs `Ci`, `Si`
//! swap together). A permutation is accepted only when renaming every role
//! by it maps every role's program and monitor table to exactly those of
//! the role it becomes, so the transition system is closed under it.

mod automorphism;
mod canonical;

use automorphism::Compiled;
use std::collections::BTreeMap;
use telltale_compiler::{CodeImage, RoleId};

/// At most this many group elements are tried per state; a larger group
/// contributes a subset of its elements (still sound: a state is then
/// stored under the fingerprint of a member of its orbit that another
/// member may not share, so some symmetric states are not merged).
pub const MAX_GROUP_ELEMENTS: usize = 720;

/// The largest full-symmetric family enumerated whole (6! = 720); larger
/// ones contribute their rotations.
const MAX_FULL_ENUMERATED: usize = 6;

/// What kind of group a family (or set of families permuted together)
/// has, for reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymmetryKind {
    /// Every member permutation (the adjacent transpositions are automorphisms).
    Full,
    /// The rotations `i -> i + k mod N` (the rotation by one is one).
    Cyclic,
}

/// One factor of the group: families of one size whose members are
/// permuted together, by the same index permutation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymmetryComponent {
    /// Full or cyclic.
    pub kind: SymmetryKind,
    /// The families' names (`Participants`).
    pub families: Vec<String>,
    /// `blocks[i]`: member `i` of each family (role ids), moved as one.
    pub blocks: Vec<Vec<RoleId>>,
    /// Whether some member's program talks to a member of another block
    /// (a ring does; client-server pairs do not). Without such links two
    /// blocks with equal keys hold equal states, so their order need not
    /// be tried both ways.
    pub linked: bool,
}

/// A verified symmetry group of a code image: its components and the
/// elements tried per state (as role permutations, the identity first).
#[derive(Clone, Debug)]
pub struct SymmetryGroup {
    components: Vec<SymmetryComponent>,
    elements: Vec<Vec<RoleId>>,
    order: u128,
}

/// Whether symmetry reduction applies to a model, and why not.
#[derive(Clone, Debug)]
pub enum SymmetryStatus {
    /// It applies, with this group.
    Applied(std::sync::Arc<SymmetryGroup>),
    /// It does not apply, for this reason (for the summary).
    NotApplicable(String),
    /// It was turned off (`with_symmetry(false)`, `--no-symmetry`).
    Off,
}

/// A family found in the role names: its name and members in index order.
struct Family {
    name: String,
    members: Vec<RoleId>,
}

/// The families of `image`: role names `Name0`, `Name1`, ..., with every
/// index from 0 to N - 1 present and N >= 2. Roles declared one by one
/// with such names count too: the automorphism check decides anyway.
fn families(image: &CodeImage) -> Vec<Family> {
    let mut by_name: BTreeMap<String, BTreeMap<usize, RoleId>> = BTreeMap::new();
    for (id, role) in image.symbols.roles.iter().enumerate() {
        let name = role.as_str();
        let prefix = name.trim_end_matches(|c: char| c.is_ascii_digit());
        let digits = &name[prefix.len()..];
        if prefix.is_empty() || digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            continue;
        }
        if let (Ok(index), Ok(id)) = (digits.parse::<usize>(), RoleId::try_from(id)) {
            by_name
                .entry(prefix.to_string())
                .or_default()
                .insert(index, id);
        }
    }
    by_name
        .into_iter()
        .filter(|(_, members)| members.len() >= 2 && members.keys().copied().eq(0..members.len()))
        .map(|(name, members)| Family {
            name,
            members: members.into_values().collect(),
        })
        .collect()
}

/// Every element of `elements` followed by each block permutation of
/// `sigmas` (at most `MAX_GROUP_ELEMENTS` of them).
pub(super) fn compose(
    elements: &[Vec<RoleId>],
    sigmas: &[Vec<usize>],
    width: usize,
    blocks: &[Vec<RoleId>],
) -> Vec<Vec<RoleId>> {
    let mut next = Vec::new();
    'product: for base in elements {
        for sigma in sigmas {
            if next.len() >= MAX_GROUP_ELEMENTS {
                break 'product;
            }
            let g = role_perm(width, blocks, sigma);
            next.push(base.iter().map(|&r| g[usize::from(r)]).collect());
        }
    }
    next
}

/// The role permutation moving block `i` to block `sigma[i]`.
pub(super) fn role_perm(width: usize, blocks: &[Vec<RoleId>], sigma: &[usize]) -> Vec<RoleId> {
    let mut perm: Vec<RoleId> = (0..width)
        .map(|r| RoleId::try_from(r).unwrap_or(RoleId::MAX))
        .collect();
    for (i, block) in blocks.iter().enumerate() {
        for (j, &role) in block.iter().enumerate() {
            if let Some(&target) = sigma.get(i).and_then(|&t| blocks.get(t)?.get(j)) {
                perm[usize::from(role)] = target;
            }
        }
    }
    perm
}

fn swap(n: usize, i: usize) -> Vec<usize> {
    let mut sigma: Vec<usize> = (0..n).collect();
    sigma.swap(i, i + 1);
    sigma
}

pub(super) fn rotation(n: usize, by: usize) -> Vec<usize> {
    (0..n).map(|i| (i + by) % n).collect()
}

impl SymmetryGroup {
    /// The symmetry group of `image` verified as described in the module
    /// documentation, or why there is none.
    pub fn of(image: &CodeImage) -> Result<SymmetryGroup, String> {
        let families = families(image);
        if families.is_empty() {
            return Err("no role family (roles named W0, W1, ...)".to_string());
        }
        let compiled = Compiled::new(image)
            .ok_or_else(|| "the local types do not compile to monitor tables".to_string())?;
        let width = image.symbols.roles.len();
        let mut components = Vec::new();
        let mut reasons = Vec::new();
        let mut left: Vec<&Family> = Vec::new();
        for family in &families {
            let blocks: Vec<Vec<RoleId>> = family.members.iter().map(|&m| vec![m]).collect();
            match verify(&compiled, width, &blocks) {
                Ok(kind) => components.push(SymmetryComponent {
                    kind,
                    families: vec![family.name.clone()],
                    linked: linked(image, &blocks),
                    blocks,
                }),
                Err(mismatch) => {
                    reasons.push(reason(&compiled, family, mismatch));
                    left.push(family);
                }
            }
        }
        // Families of one size that fail alone, moved together.
        let mut sizes: BTreeMap<usize, Vec<&Family>> = BTreeMap::new();
        for family in left {
            sizes.entry(family.members.len()).or_default().push(family);
        }
        for (n, together) in sizes.into_iter().filter(|(_, f)| f.len() >= 2) {
            let blocks: Vec<Vec<RoleId>> = (0..n)
                .map(|i| together.iter().map(|f| f.members[i]).collect())
                .collect();
            if let Ok(kind) = verify(&compiled, width, &blocks) {
                components.push(SymmetryComponent {
                    kind,
                    families: together.iter().map(|f| f.name.clone()).collect(),
                    linked: linked(image, &blocks),
                    blocks,
                });
            }
        }
        if components.is_empty() {
            return Err(reasons.join("; "));
        }
        Ok(SymmetryGroup::from_components(width, components))
    }

    fn from_components(width: usize, components: Vec<SymmetryComponent>) -> Self {
        let mut elements: Vec<Vec<RoleId>> = vec![role_perm(width, &[], &[])];
        let mut order: u128 = 1;
        for component in &components {
            let n = component.blocks.len();
            let sigmas: Vec<Vec<usize>> = match component.kind {
                SymmetryKind::Full if n <= MAX_FULL_ENUMERATED => permutations(n),
                _ => (0..n).map(|by| rotation(n, by)).collect(),
            };
            order = order.saturating_mul(match component.kind {
                SymmetryKind::Full => (1..=n as u128).fold(1u128, |a, k| a.saturating_mul(k)),
                SymmetryKind::Cyclic => n as u128,
            });
            elements = compose(&elements, &sigmas, width, &component.blocks);
        }
        SymmetryGroup {
            components,
            elements,
            order,
        }
    }

    /// The group's factors.
    pub fn components(&self) -> &[SymmetryComponent] {
        &self.components
    }

    /// The elements tried per state, as role permutations (identity first).
    pub fn elements(&self) -> &[Vec<RoleId>] {
        &self.elements
    }

    /// The group's order (saturating).
    pub fn order(&self) -> u128 {
        self.order
    }

    /// Whether every element of the group is tried: then a state's
    /// fingerprint is the least over its whole orbit (a canonical form),
    /// and orbit sizes are exact.
    pub fn is_complete(&self) -> bool {
        self.elements.len() as u128 == self.order
    }

    /// A summary: `rotations of Node0..Node3 (group of 4)`, with the
    /// number of elements enumerated for orbit sizes when not all are.
    pub fn describe(&self, image: &CodeImage) -> String {
        let parts: Vec<String> = self
            .components
            .iter()
            .map(|c| {
                let kind = match c.kind {
                    SymmetryKind::Full => "all permutations",
                    SymmetryKind::Cyclic => "rotations",
                };
                let first = c
                    .blocks
                    .first()
                    .map(|b| names(image, b))
                    .unwrap_or_default();
                let last = c.blocks.last().map(|b| names(image, b)).unwrap_or_default();
                format!("{kind} of {first}..{last}")
            })
            .collect();
        let tried = if self.is_complete() {
            String::new()
        } else {
            format!(", {} elements enumerated", self.elements.len())
        };
        format!("{} (group of {}{tried})", parts.join(" and "), self.order)
    }
}

/// Whether a program of a block's member names a member of another block
/// (as a communication partner, in an open specification or in its
/// monitor table: any role operand at all).
fn linked(image: &CodeImage, blocks: &[Vec<RoleId>]) -> bool {
    let mut block_of = vec![None; image.symbols.roles.len()];
    for (b, block) in blocks.iter().enumerate() {
        for &r in block {
            if let Some(slot) = block_of.get_mut(usize::from(r)) {
                *slot = Some(b);
            }
        }
    }
    let of = |r: RoleId| block_of.get(usize::from(r)).copied().flatten();
    image.roles.iter().any(|entry| {
        let Some(mine) = of(entry.role) else {
            return false;
        };
        let other = |r: RoleId| of(r).is_some_and(|b| b != mine);
        let program = &entry.program;
        program.code.iter().filter_map(|i| i.channel()).any(other)
            || program.open_specs.iter().any(|spec| {
                spec.roles
                    .iter()
                    .chain(&spec.local_types)
                    .copied()
                    .any(other)
            })
    })
}

fn names(image: &CodeImage, block: &[RoleId]) -> String {
    let names: Vec<String> = block.iter().map(|&r| image.symbols.role_name(r)).collect();
    match names.len() {
        1 => names.concat(),
        _ => format!("({})", names.join(", ")),
    }
}

/// Every permutation of `0..n`, the identity first (lexicographic order).
pub(super) fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut current: Vec<usize> = (0..n).collect();
    let mut all = vec![current.clone()];
    loop {
        let Some(i) = (1..n).rev().find(|&i| current[i - 1] < current[i]) else {
            return all;
        };
        let pivot = i - 1;
        let Some(j) = (i..n).rev().find(|&j| current[j] > current[pivot]) else {
            return all;
        };
        current.swap(pivot, j);
        current[i..].reverse();
        all.push(current.clone());
    }
}

/// The group generated on `blocks`: full when every adjacent
/// transposition is an automorphism, cyclic when the rotation by one is;
/// otherwise the first role whose program does not map (under the
/// transposition of blocks 0 and 1).
fn verify(
    compiled: &Compiled<'_>,
    width: usize,
    blocks: &[Vec<RoleId>],
) -> Result<SymmetryKind, RoleId> {
    let n = blocks.len();
    let mut first = None;
    let mut full = true;
    for i in 0..n.saturating_sub(1) {
        if let Some(r) = compiled.first_mismatch(&role_perm(width, blocks, &swap(n, i))) {
            first.get_or_insert(r);
            full = false;
            break;
        }
    }
    if full {
        return Ok(SymmetryKind::Full);
    }
    if n > 2
        && compiled
            .first_mismatch(&role_perm(width, blocks, &rotation(n, 1)))
            .is_none()
    {
        return Ok(SymmetryKind::Cyclic);
    }
    Err(first.unwrap_or(0))
}

/// Why `family`'s members are not interchangeable, from the first role
/// whose program does not map.
fn reason(compiled: &Compiled<'_>, family: &Family, mismatch: RoleId) -> String {
    let name = &family.name;
    if family.members.contains(&mismatch) {
        format!(
            "the members of {name} do not run the same program up to renaming \
             ({} renamed is not its neighbour's)",
            compiled.name(mismatch)
        )
    } else {
        format!(
            "{}'s program addresses the members of {name} in a fixed order",
            compiled.name(mismatch)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_all_there_identity_first() {
        let all = permutations(4);
        assert_eq!(all.len(), 24);
        assert_eq!(all[0], vec![0, 1, 2, 3]);
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 24);
    }

    #[test]
    fn blocks_move_together() {
        let blocks = vec![vec![1, 4], vec![2, 5]];
        assert_eq!(role_perm(6, &blocks, &[1, 0]), vec![0, 2, 1, 3, 5, 4]);
    }
}
