//! Payload types to payload sorts.

use crate::ast::{Payload, TypeExpr};
use telltale_types::stack::with_headroom;
use telltale_types::PayloadSort;

/// The sort a message payload carries.
///
/// `of T` is the sort of `T`; a record payload is a record sort; a tuple
/// payload is a record when every item is named, a single sort when it has
/// one unnamed item, a product otherwise; `()` is unit.
pub(crate) fn payload_sort(payload: &Payload) -> PayloadSort {
    match payload {
        Payload::Unit => PayloadSort::Unit,
        Payload::Of(ty) => type_sort(ty),
        Payload::Record(fields) => PayloadSort::Record(
            fields
                .iter()
                .map(|(name, ty)| (name.text.clone(), type_sort(ty)))
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
                                type_sort(ty),
                            )
                        })
                        .collect(),
                )
            } else if items.len() == 1 {
                type_sort(&items[0].1)
            } else {
                PayloadSort::Product(items.iter().map(|(_, ty)| type_sort(ty)).collect())
            }
        }
    }
}

/// The sort of a type expression: primitives by name, other paths as named
/// sorts (type arguments are dropped), records and tuples structurally.
pub(crate) fn type_sort(ty: &TypeExpr) -> PayloadSort {
    with_headroom(|| match ty {
        TypeExpr::Path { path, .. } => {
            let text = path.join(".");
            PayloadSort::from_name(&text).unwrap_or(PayloadSort::Named(text))
        }
        TypeExpr::Record(fields, _) => PayloadSort::Record(
            fields
                .iter()
                .map(|(name, ty)| (name.text.clone(), type_sort(ty)))
                .collect(),
        ),
        TypeExpr::Tuple(items, _) => match items.len() {
            0 => PayloadSort::Unit,
            1 => type_sort(&items[0]),
            _ => PayloadSort::Product(items.iter().map(type_sort).collect()),
        },
    })
}
