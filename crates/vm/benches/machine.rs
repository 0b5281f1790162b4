//! Criterion benches of the throughput workloads: ping-pong at several
//! lengths (per-message cost should be flat), rings of 8 and 32 roles,
//! signed ping-pong (ed25519), ping-pong with replay consumption
//! (sequence, nullifier), ping-pong with one effect call per round
//! (effects) and session churn.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use telltale_vm::bench::{self, Hardening};
use telltale_vm::MessageAuth;

fn pingpong(c: &mut Criterion) {
    let mut group = c.benchmark_group("pingpong");
    group.sample_size(10);
    for messages in [1_000u64, 100_000, 1_000_000] {
        group.throughput(Throughput::Elements(messages));
        group.bench_with_input(BenchmarkId::from_parameter(messages), &messages, |b, &m| {
            b.iter(|| bench::pingpong(m).map(|r| r.messages))
        });
    }
    group.finish();
}

fn ring(c: &mut Criterion) {
    let mut group = c.benchmark_group("ring");
    group.sample_size(10);
    let messages = 320_000u64;
    for roles in [8usize, 32] {
        group.throughput(Throughput::Elements(messages));
        group.bench_with_input(BenchmarkId::from_parameter(roles), &roles, |b, &n| {
            b.iter(|| bench::ring(n, messages).map(|r| r.messages))
        });
    }
    group.finish();
}

fn signed(c: &mut Criterion) {
    let mut group = c.benchmark_group("pingpong-ed25519");
    group.sample_size(10);
    let messages = 2_000u64;
    group.throughput(Throughput::Elements(messages));
    group.bench_function(BenchmarkId::from_parameter(messages), |b| {
        b.iter(|| {
            bench::pingpong_hardened(
                messages,
                Hardening {
                    message_auth: MessageAuth::Ed25519,
                    ..Hardening::default()
                },
            )
            .map(|r| r.messages)
        })
    });
    group.finish();
}

fn replay(c: &mut Criterion) {
    use telltale_vm::CommunicationReplayMode as Mode;
    let mut group = c.benchmark_group("pingpong-replay");
    group.sample_size(10);
    let messages = 100_000u64;
    group.throughput(Throughput::Elements(messages));
    for (name, mode) in [("sequence", Mode::Sequence), ("nullifier", Mode::Nullifier)] {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                bench::pingpong_hardened(
                    messages,
                    Hardening {
                        replay: mode,
                        ..Hardening::default()
                    },
                )
                .map(|r| r.messages)
            })
        });
    }
    group.finish();
}

fn effects(c: &mut Criterion) {
    let mut group = c.benchmark_group("effects");
    group.sample_size(10);
    let messages = 100_000u64;
    group.throughput(Throughput::Elements(messages));
    group.bench_function(BenchmarkId::from_parameter(messages), |b| {
        b.iter(|| bench::effects(messages).map(|r| r.effect_calls))
    });
    group.finish();
}

fn sessions(c: &mut Criterion) {
    let mut group = c.benchmark_group("sessions");
    group.sample_size(10);
    for count in [1_000u64, 10_000, 100_000] {
        group.throughput(Throughput::Elements(count));
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, &n| {
            b.iter(|| bench::sessions(n).map(|r| r.sessions))
        });
    }
    group.finish();
}

criterion_group!(benches, pingpong, ring, signed, replay, effects, sessions);
criterion_main!(benches);
