//! Placing effect calls: which choice of a role's local type performs which
//! operation of the image's [`EffectTable`].
//!
//! A `case` over a checked binding is a choice of its performer in the
//! global type; projected, it is a send (an `Offer` when it has several
//! labels) from the performer to the site's partner whose labels are the
//! site's branch labels. Such a send compiles to an `Invoke` of the site's
//! operation followed by the send, steered by the outcome.
//!
//! Sites are matched on performer, partner and label set. When several
//! sites fit one send, the first one at or after the path's cursor (the
//! site after the last one placed on the way here, sites being in source
//! order) is taken, so two checks in sequence with the same outcomes are
//! told apart.

use crate::instr::LabelId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use telltale_types::{EffectSite, EffectTable, LocalBranch, Role};

/// One compiled effect call: the site it performs and its branch labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// Index of the site in the image's [`EffectTable::sites`].
    pub site: u16,
    /// Outcome constructor (`_` for a wildcard) to the interned label of
    /// its branch, so the machine steers the following choice by integers.
    pub labels: Vec<(String, LabelId)>,
}

impl Invocation {
    /// The label an outcome constructor selects, if the `case` covers it.
    pub fn label_for(&self, constructor: &str) -> Option<LabelId> {
        self.labels
            .iter()
            .find(|(c, _)| c == constructor)
            .or_else(|| self.labels.iter().find(|(c, _)| c == "_"))
            .map(|(_, l)| *l)
    }
}

/// The sites one role performs, with a cursor along the compiled path.
pub(crate) struct SitePlacer<'e> {
    /// `(index in the table, site)` for the role's own sites.
    sites: Vec<(usize, &'e EffectSite)>,
    /// The table index at or after which the next site is looked for.
    pub(crate) cursor: usize,
}

impl<'e> SitePlacer<'e> {
    /// The sites of `role` in `effects`.
    pub(crate) fn new(effects: &'e EffectTable, role: Option<&Role>) -> Self {
        let sites = match role {
            Some(role) => effects
                .sites
                .iter()
                .enumerate()
                .filter(|(_, s)| &s.performer == role)
                .collect(),
            None => Vec::new(),
        };
        SitePlacer { sites, cursor: 0 }
    }

    /// The site a send to `partner` with these branches performs, if any;
    /// moves the cursor past it.
    pub(crate) fn place(
        &mut self,
        partner: &Role,
        branches: &[LocalBranch],
    ) -> Option<(usize, &'e EffectSite)> {
        if self.sites.is_empty() {
            return None;
        }
        let labels: BTreeSet<&str> = branches.iter().map(|b| b.label.name()).collect();
        let fits = |(_, s): &&(usize, &EffectSite)| {
            &s.partner == partner
                && s.branches
                    .iter()
                    .map(|(_, l)| l.as_str())
                    .collect::<BTreeSet<_>>()
                    == labels
        };
        let found = self
            .sites
            .iter()
            .filter(fits)
            .find(|(i, _)| *i >= self.cursor)
            .or_else(|| self.sites.iter().find(fits))
            .copied()?;
        self.cursor = found.0 + 1;
        Some(found)
    }
}
