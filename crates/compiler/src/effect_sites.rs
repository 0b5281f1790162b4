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
//!
//! An argument is passed by name when the language binds it: a call with
//! one argument `x` whose performer received, earlier on the path, a record
//! payload with a field `x` gets that field. The payload is copied, right
//! after the receive, into a register kept for `x` (one per such name,
//! after `OUTCOME_REGISTER`), and the [`Invocation`] names the register and
//! field. A name bound by a `case` pattern (`Ok(receipt)`) is passed the
//! same way: at the start of that branch the outcome `{Ok: receipt}` is
//! copied into the name's register, and the field is the constructor. Any
//! other call gets the payload received last.

use crate::compile::OUTCOME_REGISTER;
use crate::instr::{LabelId, Reg};
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
    /// Where the argument named in the call is, when a receive bound it.
    pub argument: Option<BoundArgument>,
}

/// An argument bound by a receive: field `field` of the record payload
/// copied into `register`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundArgument {
    /// The register holding the received payload.
    pub register: Reg,
    /// The payload's field the call names.
    pub field: String,
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
    /// The names single-argument calls pass, sorted: name `i` is kept in
    /// register `OUTCOME_REGISTER + 1 + i` once a receive binds it.
    names: Vec<String>,
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
        let names: BTreeSet<&String> = sites
            .iter()
            .filter_map(|(_, s)| match s.arguments.as_slice() {
                [name] => Some(name),
                _ => None,
            })
            .collect();
        SitePlacer {
            sites,
            cursor: 0,
            names: names.into_iter().cloned().collect(),
        }
    }

    /// Site `index` of the image's table, if it is one of the role's.
    pub(crate) fn site(&self, index: usize) -> Option<&'e EffectSite> {
        self.sites
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, s)| *s)
    }

    /// The register kept for argument name `name`, if a call passes it.
    pub(crate) fn register_of(&self, name: &str) -> Option<Reg> {
        let i = self.names.iter().position(|n| n == name)?;
        Reg::try_from(i).ok()?.checked_add(OUTCOME_REGISTER + 1)
    }

    /// The registers the argument names need beyond `OUTCOME_REGISTER`.
    pub(crate) fn name_count(&self) -> usize {
        self.names.len()
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

#[cfg(test)]
mod tests {
    use crate::compile::{compile_with_effects, PAYLOAD_REGISTER};
    use crate::{BoundArgument, Instr, Interner};
    use telltale_types::{
        EffectOperation, EffectSite, EffectTable, Label, LocalType, OutcomeDecl, PayloadSort, Role,
    };

    /// `B` receives `t {entry: Nat}` from `A`, then checks `E.op(name)` and
    /// tells `A` `yes` or `no`.
    fn compiled(name: &str) -> crate::Program {
        let effects = EffectTable {
            operations: vec![EffectOperation {
                effect: "E".into(),
                name: "op".into(),
                input: PayloadSort::Nat,
                outcomes: vec![
                    OutcomeDecl {
                        constructor: "Ok".into(),
                        payload: PayloadSort::Unit,
                    },
                    OutcomeDecl {
                        constructor: "Err".into(),
                        payload: PayloadSort::Unit,
                    },
                ],
            }],
            sites: vec![EffectSite {
                operation: 0,
                performer: Role::new("B"),
                partner: Role::new("A"),
                arguments: vec![name.into()],
                branches: vec![("Ok".into(), "yes".into()), ("Err".into(), "no".into())],
                binders: vec![],
            }],
            missable: Vec::new(),
        };
        let record = PayloadSort::Record(vec![("entry".into(), PayloadSort::Nat)]);
        let local = LocalType::recv(
            "A",
            Label::new("t", record),
            LocalType::select(
                "A",
                [
                    (Label::unit("yes"), LocalType::End),
                    (Label::unit("no"), LocalType::End),
                ],
            ),
        );
        compile_with_effects(
            &local,
            &mut Interner::new(),
            Some(&Role::new("B")),
            &effects,
        )
        .unwrap()
    }

    #[test]
    fn a_received_field_the_call_names_is_kept_and_passed() {
        let program = compiled("entry");
        assert!(program.code.contains(&Instr::Move {
            dst: 3,
            src: PAYLOAD_REGISTER
        }));
        assert_eq!(program.register_count, 4);
        assert_eq!(
            program.invocations[0].argument,
            Some(BoundArgument {
                register: 3,
                field: "entry".into()
            })
        );
    }

    #[test]
    fn a_name_no_receive_binds_is_the_last_payload() {
        let program = compiled("other");
        assert!(!program.code.iter().any(|i| matches!(i, Instr::Move { .. })));
        assert_eq!(program.invocations[0].argument, None);
    }
}
