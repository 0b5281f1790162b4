#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};
use telltale_theory::project_all;
use telltale_types::{GlobalType, Label};
#[test]
fn perf() {
    for n in [1000usize, 10_000, 100_000] {
        let mut g = GlobalType::End;
        for i in (0..n).rev() {
            g = GlobalType::send(format!("R{}", i % 10), format!("R{}", (i + 1) % 10), Label::unit("m"), g);
        }
        let mut best = Duration::MAX;
        let mut best_nodrop = Duration::MAX;
        for _ in 0..15 {
            let t = Instant::now();
            let all = project_all(&g).unwrap();
            best_nodrop = best_nodrop.min(t.elapsed());
            drop(all);
            best = best.min(t.elapsed());
        }
        eprintln!("n={n} min project_all={best:?} (without drop {best_nodrop:?}) per msg-role={:?}", best / (n as u32 * 10));
    }
}
