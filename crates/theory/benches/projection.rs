//! Projection speed: long chains of messages among ten roles (projection
//! must be linear in the size of the type), and a wide choice whose
//! branches a third role must merge.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use telltale_theory::{project, project_all, project_with, MergeMode, ProjectionConfig};
use telltale_types::{GlobalType, Label, Role};

const ROLES: usize = 10;

fn role(i: usize) -> String {
    format!("R{i}")
}

/// `n` messages passed round a ring of ten roles.
fn chain(n: usize) -> GlobalType {
    let mut g = GlobalType::End;
    for i in (0..n).rev() {
        g = GlobalType::send(
            role(i % ROLES),
            role((i + 1) % ROLES),
            Label::unit(format!("m{}", i % 7)),
            g,
        );
    }
    g
}

/// `R0` chooses one of `branches` labels for `R1`; every branch continues
/// with the same `tail` messages among the other roles, which must merge
/// the `branches` identical continuations.
fn wide_choice(branches: usize, tail: usize) -> GlobalType {
    let mut continuation = GlobalType::End;
    for i in (0..tail).rev() {
        continuation = GlobalType::send(
            role(2 + i % (ROLES - 2)),
            role(2 + (i + 1) % (ROLES - 2)),
            Label::unit("m"),
            continuation,
        );
    }
    GlobalType::choice(
        role(0),
        role(1),
        (0..branches).map(|i| (Label::unit(format!("l{i}")), continuation.clone())),
    )
}

fn chains(c: &mut Criterion) {
    let mut group = c.benchmark_group("project_all_chain_10_roles");
    for n in [1_000, 10_000, 100_000] {
        let g = chain(n);
        group.throughput(Throughput::Elements(n as u64));
        if n >= 100_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &g, |b, g| {
            b.iter(|| project_all(black_box(g)).map(|all| all.len()))
        });
    }
    group.finish();
}

fn merges(c: &mut Criterion) {
    let mut group = c.benchmark_group("merge_200_branches");
    let g = wide_choice(200, 100);
    let third = Role::new(role(2));
    group.bench_function("full_merge_one_role", |b| {
        b.iter(|| project(black_box(&g), &third))
    });
    let plain = ProjectionConfig {
        merge: MergeMode::Plain,
    };
    group.bench_function("plain_merge_one_role", |b| {
        b.iter(|| project_with(black_box(&g), &third, &plain))
    });
    group.bench_function("project_all", |b| {
        b.iter(|| project_all(black_box(&g)).map(|all| all.len()))
    });
    // Two branches whose identical continuations are 10,000 messages long:
    // merging them walks one deep chain.
    let deep = wide_choice(2, 10_000);
    group.bench_function("two_branches_10000_deep_one_role", |b| {
        b.iter(|| project(black_box(&deep), &third))
    });
    group.finish();
}

criterion_group!(benches, chains, merges);
criterion_main!(benches);
