//! `or missed`: parsed into the syntax tree, lowered into the side table
//! (`EffectTable::missable`) with families expanded and calls inlined,
//! printed by `tell explain`, and invisible to protocols that do not use it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use telltale_lang::ast::{Item, StmtKind};
use telltale_lang::{
    explain, load, lower_all, parse_module, LowerOptions, LoweredProtocol, SourceFile,
};

fn lowered(text: &str, params: &[(&str, u64)]) -> Vec<LoweredProtocol> {
    let (module, diagnostics) = load(&SourceFile::new("t.tell", text));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    lower_all(&module, &LowerOptions::with_params(params.iter().copied()))
        .unwrap_or_else(|d| panic!("{d:#?}"))
}

/// The missable messages of the first protocol, one `A -> B : L` each.
fn table(text: &str, params: &[(&str, u64)]) -> Vec<String> {
    lowered(text, params)[0]
        .effects
        .missable
        .iter()
        .map(|m| format!("{} -> {} : {}", m.from, m.to, m.label))
        .collect()
}

#[test]
fn the_syntax_tree_says_which_messages_are_missable() {
    let text = "protocol P =\n  roles A, B\n  A -> B : Vote of Bool or missed\n  A -> B : Ping or missed\n  A -> B : Item { n : Int } or missed\n  A -> B : Pair(Int, Bool) or missed\n  A ->* : Bye or missed\n  B -> A : Done\n  A -> B : or\n";
    let (module, diagnostics) = parse_module(&SourceFile::new("t.tell", text));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let Some(Item::Protocol(p)) = module.items.first() else {
        panic!("a protocol");
    };
    let marks: Vec<(String, bool)> = p
        .body
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Send {
                label, missable, ..
            } => Some((label.text.clone(), *missable)),
            _ => None,
        })
        .collect();
    let expected = [
        ("Vote", true),
        ("Ping", true),
        ("Item", true),
        ("Pair", true),
        ("Bye", true),
        ("Done", false),
        ("or", false),
    ];
    let expected: Vec<(String, bool)> = expected.iter().map(|(l, m)| (l.to_string(), *m)).collect();
    assert_eq!(marks, expected);
}

#[test]
fn or_must_be_followed_by_missed() {
    let text = "protocol P =\n  roles A, B\n  A -> B : Vote or later\n";
    let (_, diagnostics) = parse_module(&SourceFile::new("t.tell", text));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].message, "expected `missed`, found `later`");
}

#[test]
fn or_and_missed_stay_usable_as_names() {
    let text = "protocol P =\n  roles or, missed\n  or -> missed : missed of or\n  missed -> or : or or missed\n";
    assert_eq!(table(text, &[]), ["missed -> or : or"]);
}

#[test]
fn a_family_to_itself_lists_every_ordered_pair_of_distinct_members() {
    let text = "protocol Round =\n  roles Leader, Provers[*]\n  Leader -> Provers[*] : Propose of Int\n  Provers[*] -> Provers[*] : Vote of consensus.Vote or missed\n  Provers[0] -> Leader : Done\n";
    assert_eq!(
        table(text, &[("Provers", 3)]),
        [
            "Provers0 -> Provers1 : Vote",
            "Provers0 -> Provers2 : Vote",
            "Provers1 -> Provers0 : Vote",
            "Provers1 -> Provers2 : Vote",
            "Provers2 -> Provers0 : Vote",
            "Provers2 -> Provers1 : Vote",
        ]
    );
}

#[test]
fn broadcasts_repeats_and_loops_are_listed_once_and_sorted() {
    let text = "protocol P =\n  roles C, B, A\n  loop repeat 3\n    C ->* : Beat or missed\n  rec L\n    choice A at\n      | More =>\n        A -> B : More\n        B -> A : Ack or missed\n        continue L\n      | Stop => A -> B : Stop\n";
    assert_eq!(
        table(text, &[]),
        ["B -> A : Ack", "C -> A : Beat", "C -> B : Beat"]
    );
}

#[test]
fn called_protocols_contribute_their_renamed_messages() {
    let text = "protocol Main =\n  roles X, Y, Z\n  call Ask(X, Y)\n  call Ask(Y, Z)\n\nprotocol Ask(Q, R) =\n  Q -> R : Question\n  R -> Q : Answer or missed\n";
    let protocols = lowered(text, &[]);
    let show = |p: &LoweredProtocol| -> Vec<String> {
        p.effects
            .missable
            .iter()
            .map(|m| format!("{} -> {} : {}", m.from, m.to, m.label))
            .collect()
    };
    assert_eq!(show(&protocols[0]), ["Y -> X : Answer", "Z -> Y : Answer"]);
    assert_eq!(show(&protocols[1]), ["R -> Q : Answer"]);
}

#[test]
fn without_or_missed_the_table_is_empty_and_the_ids_do_not_change() {
    let plain = "protocol P =\n  roles A, B\n  A -> B : Vote of Bool\n  B -> A : Ack\n";
    let marked = "protocol P =\n  roles A, B\n  A -> B : Vote of Bool or missed\n  B -> A : Ack\n";
    let plain = lowered(plain, &[]).remove(0);
    let marked = lowered(marked, &[]).remove(0);
    assert!(plain.effects.missable.is_empty());
    assert!(plain.effects.operations.is_empty() && plain.effects.sites.is_empty());
    let content = plain.global.content_id().unwrap();
    assert_eq!(plain.protocol_id().unwrap(), content);
    // The global type is the same; only the protocol id tells them apart.
    assert_eq!(marked.global, plain.global);
    assert_eq!(marked.global.content_id().unwrap(), content);
    assert_ne!(marked.protocol_id().unwrap(), content);
}

#[test]
fn explain_lists_the_missable_messages_before_the_global_type() {
    let text = "protocol P =\n  roles A, B\n  A -> B : Vote of Bool or missed\n  B -> A : Ack\n";
    let (module, _) = load(&SourceFile::new("t.tell", text));
    let out = explain(&module, "P", &LowerOptions::default()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[4], "missable A -> B : Vote");
    assert_eq!(lines[5], "global:");
    let plain = "protocol P =\n  roles A, B\n  A -> B : Vote of Bool\n";
    let (module, _) = load(&SourceFile::new("t.tell", plain));
    let out = explain(&module, "P", &LowerOptions::default()).unwrap();
    assert!(!out.contains("missable"), "{out}");
}

#[test]
fn a_message_after_a_choice_or_inside_a_branch_may_be_missable() {
    let text = "protocol P =\n  roles A, B, C\n  choice A at\n    | Yes =>\n      A -> B : Yes\n      B -> C : Note or missed\n    | No =>\n      A -> B : No\n      B -> C : Note or missed\n  timeout 5s C at\n    B -> C : Reply or missed\n  on timeout =>\n    C -> B : Cancel\n";
    assert_eq!(table(text, &[]), ["B -> C : Note", "B -> C : Reply"]);
}
