//! `effects_manifest.json`: the effect family as data, for tools.

use crate::model::Model;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use telltale_lang::LoweredProtocol;

/// The manifest's text (pretty JSON, keys sorted, newline at the end).
pub(crate) fn emit(
    model: &Model,
    protocols: &[LoweredProtocol],
    sizes: &BTreeMap<String, u64>,
) -> Result<String, serde_json::Error> {
    // (effect, operation) -> protocol -> performing roles.
    let mut performed: BTreeMap<(String, String), BTreeMap<String, BTreeSet<String>>> =
        BTreeMap::new();
    let mut sorts: BTreeMap<(String, String), Json> = BTreeMap::new();
    for p in protocols {
        for site in &p.effects.sites {
            let Some(op) = p.effects.operation_of(site) else {
                continue;
            };
            let key = (op.effect.clone(), op.name.clone());
            performed
                .entry(key.clone())
                .or_default()
                .entry(p.name.clone())
                .or_default()
                .insert(site.performer.as_str().to_string());
            sorts.entry(key).or_insert_with(|| {
                json!({
                    "argument": op.input.to_string(),
                    "outcomes": op.outcomes.iter().map(|o| json!({
                        "constructor": o.constructor,
                        "payload": o.payload.to_string(),
                    })).collect::<Vec<_>>(),
                })
            });
        }
    }
    let effects: Vec<Json> = model
        .effects
        .iter()
        .map(|e| {
            json!({
                "name": e.name,
                "host_trait": format!("{}Host", e.name),
                "operations": e.operations.iter().map(|op| {
                    let key = (e.name.clone(), op.name.clone());
                    let by: Vec<Json> = performed.get(&key).map(|ps| ps.iter().map(|(p, roles)| json!({
                        "protocol": p,
                        "roles": roles.iter().collect::<Vec<_>>(),
                    })).collect()).unwrap_or_default();
                    json!({
                        "name": op.name,
                        "signature": op.signature,
                        "argument": op.input_text,
                        "result": op.output_text,
                        "outcomes": super::constructors(model, &op.output).iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(),
                        "sorts": sorts.get(&key).cloned().unwrap_or(Json::Null),
                        "performed_by": by,
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    let protocols: Vec<Json> = protocols
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "roles": p.roles.iter().map(|r| r.as_str().to_string()).collect::<Vec<_>>(),
                "protocol_id": p.protocol_id().map(|id| id.to_string()).unwrap_or_default(),
                "image": format!("images/{}.json", p.name),
            })
        })
        .collect();
    let manifest = json!({
        "source": model.file_name,
        "generator": concat!("telltale-effect-scaffold ", env!("CARGO_PKG_VERSION")),
        "family_sizes": sizes,
        "effects": effects,
        "protocols": protocols,
    });
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    Ok(text)
}
