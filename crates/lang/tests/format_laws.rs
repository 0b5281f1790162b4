//! Laws of the formatter on generated protocols: formatting is a fixed
//! point and does not change what a protocol lowers to.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use telltale_lang::{format_module, lower_all, parse_module, LowerOptions, SourceFile};

const ROLES: [&str; 4] = ["A", "B", "C", "D"];

/// A generated statement (labels are assigned while rendering, all distinct).
#[derive(Clone, Debug)]
enum Gen {
    /// From, receiver offset, payload, and whether it is `or missed`.
    Send(usize, usize, usize, bool),
    Choice(usize, usize, Vec<Vec<Gen>>),
    Rec(Vec<Gen>),
    Repeat(Vec<Gen>),
    Decide(usize, usize, Vec<Gen>),
}

fn gen_stmt() -> impl Strategy<Value = Gen> {
    let leaf = (0..4usize, 1..4usize, 0..4usize, any::<bool>())
        .prop_map(|(f, t, p, m)| Gen::Send(f, t, p, m));
    leaf.prop_recursive(3, 24, 3, |inner| {
        let block = prop::collection::vec(inner, 0..3);
        prop_oneof![
            (
                0..4usize,
                1..4usize,
                prop::collection::vec(block.clone(), 2..4)
            )
                .prop_map(|(d, t, bs)| Gen::Choice(d, t, bs)),
            block.clone().prop_map(Gen::Rec),
            block.clone().prop_map(Gen::Repeat),
            (0..4usize, 1..4usize, block).prop_map(|(d, t, b)| Gen::Decide(d, t, b)),
        ]
    })
}

struct Renderer {
    out: String,
    next_label: usize,
    next_rec: usize,
}

impl Renderer {
    fn label(&mut self) -> String {
        self.next_label += 1;
        format!("M{}", self.next_label)
    }

    fn send(&mut self, from: usize, to_offset: usize, payload: usize, missed: bool) -> String {
        let from_role = ROLES[from];
        let to_role = ROLES[(from + to_offset) % 4];
        let label = self.label();
        let payload = match payload {
            0 => "",
            1 => " of shop.Order",
            2 => " { item : String, qty : Int }",
            _ => "(x : Int, ok : Bool)",
        };
        let missed = if missed { " or missed" } else { "" };
        format!("{from_role} -> {to_role} : {label}{payload}{missed}")
    }

    fn line(&mut self, indent: usize, text: &str) {
        self.out.push_str(&" ".repeat(indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn block(&mut self, stmts: &[Gen], indent: usize) {
        for s in stmts {
            self.stmt(s, indent);
        }
    }

    fn stmt(&mut self, s: &Gen, indent: usize) {
        match s {
            Gen::Send(f, t, p, m) => {
                // Labels are distinct and a leaf never starts a choice, so
                // marking it is always allowed.
                let text = self.send(*f, *t, *p, *m);
                self.line(indent, &text);
            }
            Gen::Choice(d, t, branches) => {
                self.line(indent, &format!("choice {} at", ROLES[*d]));
                for (i, b) in branches.iter().enumerate() {
                    let first = self.send(*d, *t, 0, false);
                    if i % 2 == 0 {
                        let prefix = format!("| B{i} => ");
                        self.line(indent + 2, &format!("{prefix}{first}"));
                        self.block(b, indent + 2 + prefix.len());
                    } else {
                        self.line(indent + 2, &format!("| B{i} =>"));
                        self.line(indent + 4, &first);
                        self.block(b, indent + 4);
                    }
                }
            }
            Gen::Rec(body) => {
                self.next_rec += 1;
                let label = format!("R{}", self.next_rec);
                self.line(indent, &format!("rec {label}"));
                let first = self.send(0, 1, 0, false);
                self.line(indent + 2, &first);
                self.block(body, indent + 2);
                self.line(indent + 2, &format!("continue {label}"));
            }
            Gen::Repeat(body) => {
                if body.is_empty() {
                    self.line(indent, "loop repeat 2 {}");
                } else {
                    self.line(indent, "loop repeat 2");
                    self.block(body, indent + 2);
                }
            }
            Gen::Decide(d, t, body) => {
                self.line(indent, &format!("loop decide by {}", ROLES[*d]));
                let first = self.send(*d, *t, 1, false);
                self.line(indent + 2, &first);
                self.block(body, indent + 2);
            }
        }
    }
}

fn render(stmts: &[Gen]) -> String {
    let mut r = Renderer {
        out: String::from("-- generated\nprotocol G =\n  roles A, B, C, D\n"),
        next_label: 0,
        next_rec: 0,
    };
    r.block(stmts, 2);
    r.line(2, "A -> B : Last");
    r.out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn formatting_is_a_meaning_preserving_fixed_point(stmts in prop::collection::vec(gen_stmt(), 0..5)) {
        let text = render(&stmts);
        let opts = LowerOptions::default();
        let (module, diags) = parse_module(&SourceFile::new("g.tell", text.as_str()));
        prop_assert!(diags.is_empty(), "{text}\n{diags:#?}");
        let once = format_module(&module);
        let (module_once, diags) = parse_module(&SourceFile::new("g.tell", once.as_str()));
        prop_assert!(diags.is_empty(), "{once}\n{diags:#?}");
        prop_assert_eq!(&format_module(&module_once), &once);
        let lowered = |m| {
            lower_all(m, &opts).map(|ps| (ps[0].global.to_string(), ps[0].effects.missable.clone()))
        };
        let before = lowered(&module);
        let after = lowered(&module_once);
        prop_assert_eq!(before.is_ok(), after.is_ok());
        if let (Ok(b), Ok(a)) = (before, after) {
            prop_assert_eq!(b, a);
        }
    }
}
