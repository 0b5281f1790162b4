//! Payload types to payload sorts.

use crate::ast::{Module, Payload, PayloadTypeKind, TypeExpr};
use std::collections::BTreeSet;
use telltale_types::stack::with_headroom;
use telltale_types::PayloadSort;

/// The names a module's Scribble payload declarations give meaning to.
#[derive(Clone, Debug, Default)]
pub(crate) struct PayloadNames {
    /// `type ... as T;`: `T` is the named sort `T`, even if it reads like a primitive.
    types: BTreeSet<String>,
    /// `sig ... as S;`: the message `S from A to B;` carries the named sort `S`.
    sigs: BTreeSet<String>,
}

impl PayloadNames {
    /// The payload declarations of `module`.
    pub(crate) fn of(module: &Module) -> Self {
        let mut names = PayloadNames::default();
        for decl in module.payload_types() {
            let set = match decl.kind {
                PayloadTypeKind::Type => &mut names.types,
                PayloadTypeKind::Sig => &mut names.sigs,
            };
            set.insert(decl.name.text.clone());
        }
        names
    }

    /// The sort a message labelled `label` carries.
    ///
    /// `of T` is the sort of `T`; a record payload is a record sort; a tuple
    /// payload is a record when every item is named, a single sort when it
    /// has one unnamed item, a product otherwise; `()` is unit, except for
    /// a message named after a `sig`, which carries that signature.
    pub(crate) fn payload_sort(&self, label: &str, payload: &Payload) -> PayloadSort {
        match payload {
            Payload::Unit | Payload::Tuple(_) if self.sigs.contains(label) && is_empty(payload) => {
                PayloadSort::Named(label.to_string())
            }
            Payload::Unit => PayloadSort::Unit,
            Payload::Of(ty) => self.type_sort(ty),
            Payload::Record(fields) => PayloadSort::Record(
                fields
                    .iter()
                    .map(|(name, ty)| (name.text.clone(), self.type_sort(ty)))
                    .collect(),
            ),
            Payload::Tuple(items) => {
                if items.is_empty() {
                    PayloadSort::Unit
                } else if items.iter().all(|(name, _)| name.is_some()) {
                    PayloadSort::Record(
                        items
                            .iter()
                            .map(|(name, ty)| {
                                (
                                    name.as_ref().map(|n| n.text.clone()).unwrap_or_default(),
                                    self.type_sort(ty),
                                )
                            })
                            .collect(),
                    )
                } else if items.len() == 1 {
                    self.type_sort(&items[0].1)
                } else {
                    PayloadSort::Product(items.iter().map(|(_, ty)| self.type_sort(ty)).collect())
                }
            }
        }
    }

    /// The sort of a type expression: declared payload types as named
    /// sorts, primitives by name, other paths as named sorts (type
    /// arguments are dropped), records and tuples structurally.
    pub(crate) fn type_sort(&self, ty: &TypeExpr) -> PayloadSort {
        with_headroom(|| match ty {
            TypeExpr::Path { path, .. } => {
                let text = path.join(".");
                if self.types.contains(&text) {
                    return PayloadSort::Named(text);
                }
                PayloadSort::from_name(&text).unwrap_or(PayloadSort::Named(text))
            }
            TypeExpr::Record(fields, _) => PayloadSort::Record(
                fields
                    .iter()
                    .map(|(name, ty)| (name.text.clone(), self.type_sort(ty)))
                    .collect(),
            ),
            TypeExpr::Tuple(items, _) => match items.len() {
                0 => PayloadSort::Unit,
                1 => self.type_sort(&items[0]),
                _ => PayloadSort::Product(items.iter().map(|t| self.type_sort(t)).collect()),
            },
        })
    }
}

/// Whether a payload carries nothing (`m` or `m()`).
fn is_empty(payload: &Payload) -> bool {
    match payload {
        Payload::Unit => true,
        Payload::Tuple(items) => items.is_empty(),
        _ => false,
    }
}
