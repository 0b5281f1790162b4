//! Asynchronous subtyping on the double-buffering kernel (Rumpsteak's
//! running example): the optimised kernel, which sends its first `ready`
//! ahead, against the kernel nuscr projects, with the optimised loop body
//! unrolled 1, 10 and 100 times.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use telltale_theory::{async_subtype, AsyncSubtypeConfig, Verdict};
use telltale_types::{Label, LocalType};

/// `s!ready . s?copy . t?ready . t!copy . then`.
fn kernel_body(then: LocalType) -> LocalType {
    LocalType::send(
        "s",
        Label::unit("ready"),
        LocalType::recv(
            "s",
            Label::unit("copy"),
            LocalType::recv(
                "t",
                Label::unit("ready"),
                LocalType::send("t", Label::unit("copy"), then),
            ),
        ),
    )
}

/// The kernel as projected: `rec X . body . X`.
fn expected_kernel() -> LocalType {
    LocalType::rec("X", kernel_body(LocalType::var("X")))
}

/// The optimised kernel, `s!ready . rec X . body^n . X`.
fn optimised_kernel(unroll: usize) -> LocalType {
    let mut body = LocalType::var("X");
    for _ in 0..unroll {
        body = kernel_body(body);
    }
    LocalType::send("s", Label::unit("ready"), LocalType::rec("X", body))
}

fn double_buffering(c: &mut Criterion) {
    let config = AsyncSubtypeConfig::default();
    let expected = expected_kernel();
    let mut group = c.benchmark_group("async_subtype/double_buffering");
    for unroll in [1usize, 10, 100] {
        let optimised = optimised_kernel(unroll);
        let verdict = async_subtype(&optimised, &expected, &config);
        assert_eq!(verdict, Ok(Verdict::Subtype), "unroll {unroll}");
        group.bench_with_input(BenchmarkId::from_parameter(unroll), &optimised, |b, t| {
            b.iter(|| async_subtype(black_box(t), black_box(&expected), &config))
        });
    }
    group.finish();
}

/// Two outputs per input: the owed context grows until the default bound
/// stops the search with `unknown`, the worst case of the default budget.
fn exhausted_budget(c: &mut Criterion) {
    let config = AsyncSubtypeConfig::default();
    let a = || Label::unit("a");
    let b = || Label::unit("b");
    let sub = LocalType::rec(
        "X",
        LocalType::send(
            "p",
            a(),
            LocalType::send("p", a(), LocalType::recv("p", b(), LocalType::var("X"))),
        ),
    );
    let sup = LocalType::rec(
        "Y",
        LocalType::recv("p", b(), LocalType::send("p", a(), LocalType::var("Y"))),
    );
    assert_eq!(async_subtype(&sub, &sup, &config), Ok(Verdict::Unknown));
    c.bench_function("async_subtype/growing_context_unknown", |bench| {
        bench.iter(|| async_subtype(black_box(&sub), black_box(&sup), &config))
    });
}

criterion_group!(benches, double_buffering, exhausted_budget);
criterion_main!(benches);
