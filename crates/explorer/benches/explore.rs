//! Criterion benches of exhaustive exploration: two-phase commit with 4
//! and 5 participants, breadth-first (2 threads) and depth-first, without
//! reduction (throughput in unique states), and with it.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use telltale_compiler::CodeImage;
use telltale_explorer::{Checker, OpenChoiceHost, ProtocolModel};
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_theory::projection::project_all;

fn two_phase_commit(n: u64) -> ProtocolModel<OpenChoiceHost> {
    let source = include_str!("../../../examples/two_phase_commit.tell");
    let (module, _) = load(&SourceFile::new(
        "two_phase_commit.tell",
        source.to_string(),
    ));
    let protocol = lower_all(&module, &LowerOptions::with_params([("N", n)]))
        .unwrap()
        .remove(0);
    let locals: Vec<_> = project_all(&protocol.global).unwrap().into_iter().collect();
    let image =
        CodeImage::build_with_effects(Some(&protocol.global), &locals, &protocol.effects).unwrap();
    ProtocolModel::new(image, OpenChoiceHost, 2).unwrap()
}

fn explore(c: &mut Criterion) {
    let mut group = c.benchmark_group("two_phase_commit");
    group.sample_size(10);
    for n in [4u64, 5] {
        let model = two_phase_commit(n);
        let states = Checker::new(&model)
            .partial_order_reduction(false)
            .bfs()
            .unique_states;
        group.throughput(Throughput::Elements(states as u64));
        group.bench_with_input(BenchmarkId::new("bfs_2_threads", n), &model, |b, m| {
            b.iter(|| {
                Checker::new(m)
                    .threads(2)
                    .partial_order_reduction(false)
                    .bfs()
                    .unique_states
            })
        });
        for threads in [1, 2] {
            let name = format!("dfs_{threads}_thread{}", if threads > 1 { "s" } else { "" });
            group.bench_with_input(BenchmarkId::new(name, n), &model, |b, m| {
                b.iter(|| {
                    Checker::new(m)
                        .threads(threads)
                        .partial_order_reduction(false)
                        .dfs()
                        .unique_states
                })
            });
        }
        group.bench_with_input(BenchmarkId::new("bfs_por", n), &model, |b, m| {
            b.iter(|| Checker::new(m).bfs().unique_states)
        });
    }
    group.finish();
}

criterion_group!(benches, explore);
criterion_main!(benches);
