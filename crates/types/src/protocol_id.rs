//! The protocol id: what peers compare at the handshake, covering the
//! global type *and* the effects its roles perform.
//!
//! Effects are carried beside the global type (see [`crate::effects`]), so
//! two files that differ only in an effect signature share a global content
//! id and Lean-bridge JSON. Peers must still not talk across them: the
//! protocol id is SHA-256 of a domain tag, the global content id and the
//! postcard encoding of the [`EffectTable`] (operations in id order, sites
//! in source order). A protocol that performs no effect keeps its global
//! content id as its protocol id, so effect-free peers are unaffected.

use crate::content::{digest, ContentId};
use crate::effects::EffectTable;
use crate::error::TypesError;
use crate::global::GlobalType;
use crate::stack::with_headroom;

/// Domain tag of protocol ids with effects.
const PROTOCOL_TAG: &[u8] = b"telltale.protocol.v1";

/// The protocol id of `global` performing `effects`: its content id when
/// `effects` has no operation, else the hash of both.
pub fn protocol_id(global: &GlobalType, effects: &EffectTable) -> Result<ContentId, TypesError> {
    let content = global.content_id()?;
    if effects.operations.is_empty() && effects.sites.is_empty() && effects.missable.is_empty() {
        return Ok(content);
    }
    // Operations and sites as before missable messages existed (so ids of
    // protocols without them do not change), then those, when any.
    let mut table = encoded(&(&effects.operations, &effects.sites))?;
    if !effects.missable.is_empty() {
        table.extend(encoded(&effects.missable)?);
    }
    let mut body = content.as_bytes().to_vec();
    body.extend_from_slice(&table);
    Ok(digest(PROTOCOL_TAG, &[], &body))
}

/// The postcard encoding of `value`.
fn encoded<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, TypesError> {
    with_headroom(|| postcard::to_allocvec(value)).map_err(|e| TypesError::Encoding(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::{EffectOperation, EffectSite, OutcomeDecl};
    use crate::{Label, PayloadSort, Role};

    fn global() -> GlobalType {
        GlobalType::send("A", "B", Label::unit("m"), GlobalType::End)
    }

    fn table(result: PayloadSort) -> EffectTable {
        EffectTable {
            operations: vec![EffectOperation {
                effect: "Ledger".into(),
                name: "head".into(),
                input: PayloadSort::Unit,
                outcomes: vec![OutcomeDecl {
                    constructor: "Just".into(),
                    payload: result,
                }],
            }],
            sites: vec![EffectSite {
                operation: 0,
                performer: Role::new("A"),
                partner: Role::new("B"),
                arguments: vec![],
                branches: vec![("Just".into(), "m".into())],
                binders: vec![],
            }],
            missable: Vec::new(),
        }
    }

    #[test]
    fn without_effects_the_protocol_id_is_the_content_id() {
        let g = global();
        assert_eq!(
            protocol_id(&g, &EffectTable::default()).unwrap(),
            g.content_id().unwrap()
        );
    }

    #[test]
    fn an_effect_signature_changes_the_protocol_id_not_the_content_id() {
        let g = global();
        let nat = protocol_id(&g, &table(PayloadSort::Nat)).unwrap();
        let string = protocol_id(&g, &table(PayloadSort::String)).unwrap();
        assert_ne!(nat, g.content_id().unwrap());
        assert_ne!(nat, string);
        assert_eq!(nat, protocol_id(&g, &table(PayloadSort::Nat)).unwrap());
    }
}
