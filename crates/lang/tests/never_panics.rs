//! Property tests: no input makes the parsers, the lowering or the formatter panic.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use telltale_lang::{
    format_module, lower_all, parse_module, parse_nuscr, LowerOptions, SourceFile,
};

/// Words of both surface syntaxes, so random soups reach deep into the grammar.
const VOCABULARY: &[&str] = &[
    "protocol",
    "P",
    "Q",
    "=",
    "roles",
    "A",
    "B",
    "C",
    "W",
    "N",
    ",",
    "->",
    "->*",
    ":",
    "M",
    "\n",
    "\n  ",
    "\n    ",
    "  ",
    "choice",
    "at",
    "|",
    "=>",
    "rec",
    "L",
    "continue",
    "loop",
    "forever",
    "repeat",
    "3",
    "0",
    "decide",
    "by",
    "while",
    "\"c\"",
    "par",
    "call",
    "timeout",
    "5s",
    "100ms",
    "on",
    "heartbeat",
    "every",
    "on_missing",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "*",
    "..",
    "body",
    "let",
    "x",
    "check",
    "E",
    ".",
    "op",
    "case",
    "of",
    "Ok",
    "Err",
    "_",
    "where",
    "effect",
    "type",
    "alias",
    "uses",
    "--",
    "{-",
    "-}",
    ";",
    "module",
    "import",
    "exposing",
    "when",
    ">",
    "+",
    "-",
    "global",
    "role",
    "from",
    "to",
    "or",
    "do",
    "(*",
    "*)",
    "//",
    "(*#",
    "#*)",
    "and",
    "Result",
    "Int",
    "when",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((0..VOCABULARY.len(), prop::bool::ANY), 0..80).prop_map(|words| {
        let mut s = String::new();
        for (i, space) in words {
            s.push_str(VOCABULARY[i]);
            if space {
                s.push(' ');
            }
        }
        s
    })
}

/// Runs every stage on `text`; the test fails only by panicking.
fn run_everything(text: &str) {
    let opts = LowerOptions::with_params([("N", 2), ("W", 2)]);
    for file in [
        SourceFile::new("soup.tell", text),
        SourceFile::new("soup.nuscr", text),
    ] {
        let (module, diags) = if file.name.ends_with(".tell") {
            parse_module(&file)
        } else {
            parse_nuscr(&file)
        };
        for d in &diags {
            let _ = d.render(&file);
        }
        if let Err(ds) = lower_all(&module, &opts) {
            for d in &ds {
                let _ = d.render(&file);
            }
        }
        let formatted = format_module(&module);
        let (again, again_diags) = parse_module(&SourceFile::new("fmt.tell", formatted.as_str()));
        let relowered = lower_all(&again, &opts);
        // A module that parsed cleanly formats to one that means the same.
        if diags.is_empty() {
            assert!(
                again_diags.is_empty(),
                "{text:?} formatted to {formatted:?}: {again_diags:?}"
            );
            let meaning = |r: &Result<Vec<telltale_lang::LoweredProtocol>, _>| match r {
                Ok(ps) => Some(
                    ps.iter()
                        .map(|p| (p.name.clone(), p.roles.clone(), p.global.to_string()))
                        .collect::<Vec<_>>(),
                ),
                Err(_) => None,
            };
            if file.name.ends_with(".tell") {
                assert_eq!(
                    meaning(&lower_all(&module, &opts)),
                    meaning(&relowered),
                    "{text:?} formatted to {formatted:?}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        run_everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_soups_never_panic(text in soup()) {
        run_everything(&text);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let mut text = String::from("protocol P =\n  roles A, B\n  ");
    for _ in 0..5000 {
        text.push_str("rec L { ");
    }
    text.push_str("A -> B : m");
    let (module, diags) = parse_module(&SourceFile::new("deep.tell", text));
    assert!(!diags.is_empty());
    let _ = lower_all(&module, &LowerOptions::default());
    let mut braces = String::from("global protocol P(role A, role B) {");
    for _ in 0..5000 {
        braces.push_str("rec L {");
    }
    let (_, diags) = parse_nuscr(&SourceFile::new("deep.nuscr", braces));
    assert!(!diags.is_empty());
}

#[test]
fn exponential_expansion_is_bounded() {
    let mut text = String::from("protocol P =\n  roles A, B\n");
    let mut indent = String::from("  ");
    for _ in 0..6 {
        text.push_str(&format!("{indent}loop repeat 90000\n"));
        indent.push_str("  ");
    }
    text.push_str(&format!("{indent}A -> B : m\n"));
    let (module, diags) = parse_module(&SourceFile::new("big.tell", text));
    assert!(diags.is_empty());
    assert!(lower_all(&module, &LowerOptions::default()).is_err());
}
