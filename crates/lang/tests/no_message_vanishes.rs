//! The law behind E036 and E040: a message the user wrote never vanishes.
//! For generated protocols with loops (some with an exit branch, some
//! without) followed by more messages, in `.tell` and in Scribble, either
//! lowering reports a problem or every written label is in the global type.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use telltale_lang::{load, lower_all, DiagnosticKind, LowerOptions, SourceFile};

const ROLES: [&str; 3] = ["A", "B", "C"];

/// A generated statement; labels and recursion names are assigned while rendering.
#[derive(Clone, Debug)]
enum Gen {
    /// A message from `ROLES[f]` to the role `t` places after it.
    Send(usize, usize),
    /// A choice by `ROLES[d]`, each branch opened by a message to the role
    /// `t` places after it; a branch flagged `true` ends with `continue`.
    Choice(usize, usize, Vec<(Vec<Gen>, bool)>),
    /// A `rec`; flagged `true`, its body ends with `continue`.
    Rec(Vec<Gen>, bool),
}

fn gen_stmt() -> impl Strategy<Value = Gen> {
    let leaf = (0..3usize, 1..3usize).prop_map(|(f, t)| Gen::Send(f, t));
    leaf.prop_recursive(3, 24, 3, |inner| {
        let block = prop::collection::vec(inner, 0..3);
        prop_oneof![
            (
                0..3usize,
                1..3usize,
                prop::collection::vec((block.clone(), any::<bool>()), 2..4)
            )
                .prop_map(|(d, t, bs)| Gen::Choice(d, t, bs)),
            (block, any::<bool>()).prop_map(|(b, c)| Gen::Rec(b, c)),
        ]
    })
}

/// Renders generated statements as `.tell` or Scribble, numbering labels.
struct Renderer {
    scribble: bool,
    out: String,
    labels: usize,
    recs: usize,
}

impl Renderer {
    fn label(&mut self) -> String {
        self.labels += 1;
        format!("M{}", self.labels)
    }

    fn line(&mut self, depth: usize, text: &str) {
        self.out.push_str(&"  ".repeat(depth));
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn send(&mut self, depth: usize, from: usize, offset: usize) {
        let (from, to) = (ROLES[from], ROLES[(from + offset) % 3]);
        let label = self.label();
        let text = if self.scribble {
            format!("{label}() from {from} to {to};")
        } else {
            format!("{from} -> {to} : {label}")
        };
        self.line(depth, &text);
    }

    fn continue_to(&mut self, depth: usize, rec: Option<&str>) {
        if let Some(name) = rec {
            let semi = if self.scribble { ";" } else { "" };
            self.line(depth, &format!("continue {name}{semi}"));
        }
    }

    fn block(&mut self, depth: usize, stmts: &[Gen], rec: Option<&str>) {
        for stmt in stmts {
            match stmt {
                Gen::Send(f, t) => self.send(depth, *f, *t),
                Gen::Choice(d, t, branches) => {
                    let decider = ROLES[*d];
                    if self.scribble {
                        self.line(depth, &format!("choice at {decider} {{"));
                    } else {
                        self.line(depth, &format!("choice {decider} at"));
                    }
                    for (i, (body, loops)) in branches.iter().enumerate() {
                        let inner = if self.scribble {
                            if i > 0 {
                                self.line(depth, "} or {");
                            }
                            depth + 1
                        } else {
                            self.line(depth + 1, &format!("| B{} =>", self.labels + 1));
                            depth + 2
                        };
                        self.send(inner, *d, *t);
                        self.block(inner, body, rec);
                        if *loops {
                            self.continue_to(inner, rec);
                        }
                    }
                    if self.scribble {
                        self.line(depth, "}");
                    }
                }
                Gen::Rec(body, loops) => {
                    self.recs += 1;
                    let name = format!("L{}", self.recs);
                    let open = if self.scribble { " {" } else { "" };
                    self.line(depth, &format!("rec {name}{open}"));
                    self.block(depth + 1, body, Some(&name));
                    if *loops {
                        self.continue_to(depth + 1, Some(&name));
                    }
                    if self.scribble {
                        self.line(depth, "}");
                    }
                }
            }
        }
    }
}

/// The file text and the number of labels written.
fn render(stmts: &[Gen], scribble: bool) -> (String, usize) {
    let mut r = Renderer {
        scribble,
        out: String::new(),
        labels: 0,
        recs: 0,
    };
    if scribble {
        r.line(0, "global protocol P(role A, role B, role C) {");
        r.block(1, stmts, None);
        r.line(0, "}");
    } else {
        r.line(0, "protocol P =");
        r.line(1, "roles A, B, C");
        r.block(1, stmts, None);
    }
    (r.out, r.labels)
}

/// Either the problems lowering reports, or the lowered global type.
fn lowered(name: &str, text: &str) -> Result<String, Vec<DiagnosticKind>> {
    let file = SourceFile::new(name, text);
    let (module, diags) = load(&file);
    if !diags.is_empty() {
        return Err(diags.iter().map(|d| d.kind).collect());
    }
    match lower_all(&module, &LowerOptions::default()) {
        Ok(protocols) => Ok(protocols[0].global.to_string()),
        Err(diags) => Err(diags.iter().map(|d| d.kind).collect()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_written_message_is_lowered_or_reported(
        stmts in prop::collection::vec(gen_stmt(), 1..4),
    ) {
        for (scribble, name) in [(false, "p.tell"), (true, "p.nuscr")] {
            let (text, labels) = render(&stmts, scribble);
            if let Ok(global) = lowered(name, &text) {
                for k in 1..=labels {
                    prop_assert!(
                        global.contains(&format!("M{k}(")),
                        "M{k} vanished from\n{text}\nlowered to {global}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_generator_writes_a_loop_that_never_ends_before_a_message() {
    let stmts = [Gen::Rec(vec![Gen::Send(0, 1)], true), Gen::Send(1, 1)];
    for (scribble, name) in [(false, "p.tell"), (true, "p.nuscr")] {
        let (text, _) = render(&stmts, scribble);
        assert_eq!(
            lowered(name, &text),
            Err(vec![DiagnosticKind::UnreachableAfterEndlessLoop]),
            "{text}"
        );
    }
}
