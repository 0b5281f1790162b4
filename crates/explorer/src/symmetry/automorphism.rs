//! Whether a role permutation is an automorphism of a compiled protocol:
//! renaming every role id by it maps each role's program, monitor table
//! and missable messages to exactly those of the role it becomes.

use telltale_compiler::{CodeImage, Instr, MonitorTable, Program, RoleId, StateKind};

/// A code image with its monitor tables and the entry of each role, for
/// checking many permutations.
pub(super) struct Compiled<'i> {
    image: &'i CodeImage,
    monitors: Vec<MonitorTable>,
    /// `entry_of[r]`: the index in `image.roles` of role `r` (`None`: none).
    entry_of: Vec<Option<usize>>,
}

impl<'i> Compiled<'i> {
    /// The image's monitor tables and role entries; `None` when its local
    /// types do not compile to tables (the machine would refuse it too).
    pub(super) fn new(image: &'i CodeImage) -> Option<Self> {
        let monitors = image.monitors().ok()?;
        let mut entry_of = vec![None; image.symbols.roles.len()];
        for (i, entry) in image.roles.iter().enumerate() {
            *entry_of.get_mut(usize::from(entry.role))? = Some(i);
        }
        Some(Compiled {
            image,
            monitors,
            entry_of,
        })
    }

    /// The role's name.
    pub(super) fn name(&self, role: RoleId) -> String {
        self.image.symbols.role_name(role)
    }

    /// The first role whose program or monitor table, renamed by `perm`,
    /// is not that of `perm[role]`; `None` when `perm` is an automorphism.
    pub(super) fn first_mismatch(&self, perm: &[RoleId]) -> Option<RoleId> {
        (0..self.entry_of.len())
            .filter_map(|r| RoleId::try_from(r).ok())
            .find(|&r| !self.maps(perm, r))
    }

    /// Whether role `r`'s program and table renamed are `perm[r]`'s.
    fn maps(&self, perm: &[RoleId], r: RoleId) -> bool {
        let Some(&to) = perm.get(usize::from(r)) else {
            return false;
        };
        let entry = |role: RoleId| self.entry_of.get(usize::from(role)).copied().flatten();
        match (entry(r), entry(to)) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                let (pa, pb) = (&self.image.roles[a].program, &self.image.roles[b].program);
                programs_map(self.image, perm, pa, pb)
                    && tables_map(perm, &self.monitors[a], &self.monitors[b])
                    && self.missable_map(perm, r)
            }
            _ => false,
        }
    }

    /// Whether every message `r` may miss (`or missed`), renamed by
    /// `perm`, is one `perm[r]` may miss (a bijection mapping every
    /// receiver's set into the table maps the table onto itself).
    fn missable_map(&self, perm: &[RoleId], r: RoleId) -> bool {
        let effects = &self.image.effects;
        if effects.missable.is_empty() {
            return true;
        }
        let symbols = &self.image.symbols;
        let to = symbols.role_name(r);
        effects
            .missable
            .iter()
            .filter(|m| m.to.as_str() == to)
            .all(|m| {
                let renamed = symbols
                    .role_id(m.from.as_str())
                    .and_then(|from| Some((rename(perm, from)?, rename(perm, r)?)));
                renamed.is_some_and(|(from, to)| {
                    effects.is_missable(&symbols.role_name(from), &symbols.role_name(to), &m.label)
                })
            })
    }
}

fn rename(perm: &[RoleId], role: RoleId) -> Option<RoleId> {
    perm.get(usize::from(role)).copied()
}

/// Whether `a` with every role operand renamed by `perm` is `b`; effect
/// calls must perform sites that differ only in the renamed roles.
fn programs_map(image: &CodeImage, perm: &[RoleId], a: &Program, b: &Program) -> bool {
    let same_shape = a.code.len() == b.code.len()
        && a.tables == b.tables
        && a.consts == b.consts
        && a.register_count == b.register_count
        && a.open_specs.len() == b.open_specs.len()
        && a.invocations.len() == b.invocations.len();
    if !same_shape {
        return false;
    }
    let code = a.code.iter().zip(&b.code).all(|(x, y)| {
        let renamed = match *x {
            Instr::Send { chan, val } => rename(perm, chan).map(|chan| Instr::Send { chan, val }),
            Instr::Receive { chan, dst } => {
                rename(perm, chan).map(|chan| Instr::Receive { chan, dst })
            }
            Instr::Offer { chan, table } => {
                rename(perm, chan).map(|chan| Instr::Offer { chan, table })
            }
            Instr::Choose { chan, table } => {
                rename(perm, chan).map(|chan| Instr::Choose { chan, table })
            }
            other => Some(other),
        };
        renamed.as_ref() == Some(y)
    });
    let opens = a.open_specs.iter().zip(&b.open_specs).all(|(x, y)| {
        let roles = |v: &[RoleId]| v.iter().map(|&r| rename(perm, r)).collect::<Vec<_>>();
        let ours = |v: &[RoleId]| v.iter().map(|&r| Some(r)).collect::<Vec<_>>();
        roles(&x.roles) == ours(&y.roles)
            && roles(&x.local_types) == ours(&y.local_types)
            && x.dsts == y.dsts
            && x.handlers.len() == y.handlers.len()
            && x.handlers.iter().zip(&y.handlers).all(|(h, k)| {
                rename(perm, h.0) == Some(k.0) && rename(perm, h.1) == Some(k.1) && h.2 == k.2
            })
    });
    let calls = a.invocations.iter().zip(&b.invocations).all(|(x, y)| {
        x.labels == y.labels && x.argument == y.argument && sites_map(image, perm, x.site, y.site)
    });
    code && opens && calls
}

/// Whether effect site `a` with its roles renamed is site `b`.
fn sites_map(image: &CodeImage, perm: &[RoleId], a: u16, b: u16) -> bool {
    let sites = &image.effects.sites;
    let (Some(x), Some(y)) = (sites.get(usize::from(a)), sites.get(usize::from(b))) else {
        return a == b;
    };
    let id = |role: &telltale_types::Role| image.symbols.role_id(role.as_str());
    let renamed = |from: &telltale_types::Role, to: &telltale_types::Role| matches!((id(from), id(to)), (Some(f), Some(t)) if rename(perm, f) == Some(t));
    x.operation == y.operation
        && x.arguments == y.arguments
        && x.branches == y.branches
        && x.binders == y.binders
        && renamed(&x.performer, &y.performer)
        && renamed(&x.partner, &y.partner)
}

/// Whether monitor table `a` with its partners renamed is `b` (the
/// partner of an `end` state means nothing and is not compared).
fn tables_map(perm: &[RoleId], a: &MonitorTable, b: &MonitorTable) -> bool {
    a.initial == b.initial
        && a.transitions == b.transitions
        && a.states.len() == b.states.len()
        && a.states.iter().zip(&b.states).all(|(x, y)| {
            let partner = x.kind == StateKind::End || rename(perm, x.partner) == Some(y.partner);
            partner
                && x.kind == y.kind
                && x.first == y.first
                && x.len == y.len
                && x.distance_to_end == y.distance_to_end
                && x.exit_label == y.exit_label
        })
}
