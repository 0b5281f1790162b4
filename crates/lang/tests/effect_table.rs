//! Lowering records each checked `case` beside the global type: the
//! operation (argument and outcome sorts), the performer, the partner it
//! tells, and the label each branch starts with.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_types::EffectTable;

fn effects_of(text: &str) -> EffectTable {
    let (module, diagnostics) = load(&SourceFile::new("t.tell", text));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    lower_all(&module, &LowerOptions::default())
        .unwrap()
        .remove(0)
        .effects
}

fn show(effects: &EffectTable) -> String {
    let mut out = String::new();
    for (id, op) in effects.operations.iter().enumerate() {
        let outcomes: Vec<String> = op
            .outcomes
            .iter()
            .map(|o| format!("{}({})", o.constructor, o.payload))
            .collect();
        out += &format!(
            "op {id}: {}.{} : {} -> {}\n",
            op.effect,
            op.name,
            op.input,
            outcomes.join(" | ")
        );
    }
    for site in &effects.sites {
        let branches: Vec<String> = site
            .branches
            .iter()
            .map(|(c, l)| format!("{c} => {l}"))
            .collect();
        out += &format!(
            "site: op {} by {} to {} ({}) [{}]\n",
            site.operation,
            site.performer,
            site.partner,
            site.arguments.join(", "),
            branches.join(", ")
        );
    }
    out
}

#[test]
fn direct_choices_map_constructors_to_their_first_messages() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ledger_effects.tell"),
    )
    .unwrap();
    assert_eq!(
        show(&effects_of(&text)),
        "op 0: Ledger.append : ledger.Entry -> Ok(ledger.Receipt) | Err(LedgerError)\n\
         op 1: Ledger.head : unit -> Just(ledger.Digest) | Nothing(unit)\n\
         site: op 0 by Bank to Client (entry) [Ok => Receipt, Err => Rejected]\n\
         site: op 1 by Bank to Client () [Just => Head, Nothing => Empty]\n"
    );
}

#[test]
fn announced_choices_map_constructors_to_branch_names() {
    let text = "effect Store\n  get : Key -> Maybe Nat\n\nprotocol Lookup uses Store =\n  roles Leader, Reader, Writer\n  let v = check Store.get(k) at Leader\n  case v of\n    | Just(x) => Reader -> Writer : Go\n    | _ => Writer -> Reader : Stop\n";
    assert_eq!(
        show(&effects_of(text)),
        "op 0: Store.get : Key -> Just(nat) | Nothing(unit)\n\
         site: op 0 by Leader to Reader (k) [Just => Just, _ => Otherwise]\n"
    );
}

#[test]
fn a_protocol_without_checks_has_an_empty_table() {
    let text = "protocol P =\n  roles A, B\n  A -> B : Ping\n";
    assert!(effects_of(text).is_empty());
}
