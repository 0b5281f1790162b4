//! Parse, lower and project a generated 10,000-statement protocol.
// The criterion macros generate public functions without doc comments.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use telltale_lang::{lower_all, parse_module, LowerOptions, SourceFile};

/// A protocol of `n` statements over five roles and a family, mixing
/// sends, typed payloads, family sends and a closing choice.
fn generated_protocol(n: usize) -> String {
    let roles = ["A", "B", "C", "D", "E"];
    let mut text = String::from("protocol Big =\n  roles A, B, C, D, E, W[N]\n");
    for i in 0..n.saturating_sub(1) {
        let from = roles[i % roles.len()];
        let to = roles[(i + 1) % roles.len()];
        let line = match i % 4 {
            0 => format!("  {from} -> {to} : M{i}\n"),
            1 => format!("  {from} -> {to} : M{i} of shop.Order\n"),
            2 => format!("  {from} -> {to} : M{i} {{ item : String, qty : Int }}\n"),
            _ => format!("  {from} -> W[{}] : M{i}\n", i % 4),
        };
        text.push_str(&line);
    }
    text.push_str("  choice A at\n    | Yes => A -> B : Yes\n    | No => A -> B : No\n");
    text
}

fn pipeline(c: &mut Criterion) {
    let text = generated_protocol(10_000);
    let file = SourceFile::new("big.tell", text);
    let opts = LowerOptions::with_params([("N", 4)]);
    c.bench_function("parse 10k statements", |b| {
        b.iter(|| parse_module(&file));
    });
    let (module, diags) = parse_module(&file);
    assert!(diags.is_empty());
    c.bench_function("lower 10k statements", |b| {
        b.iter(|| lower_all(&module, &opts));
    });
    c.bench_function("parse and lower 10k statements", |b| {
        b.iter(|| {
            let (module, _) = parse_module(&file);
            lower_all(&module, &opts)
        });
    });
    // The whole front half of `tell check`, text to every role's local
    // type, at two sizes to show it is linear.
    for size in [1_000, 10_000] {
        let file = SourceFile::new("big.tell", generated_protocol(size));
        c.bench_function(
            &format!("parse, lower and project all roles, {size} statements"),
            |b| {
                b.iter(|| {
                    let (module, _) = parse_module(&file);
                    let protocols =
                        lower_all(&module, &opts).expect("the generated protocol lowers");
                    for protocol in &protocols {
                        telltale_theory::project_all(&protocol.global).expect("it projects");
                    }
                });
            },
        );
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
