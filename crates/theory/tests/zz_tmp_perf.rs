#![allow(missing_docs, clippy::unwrap_used)]
use std::time::Instant;
use telltale_theory::project;
use telltale_types::{GlobalType, Label, Role};
#[test]
fn perf() {
    for n in [1000usize, 2000, 4000, 8000, 16000, 32000] {
        let mut g = GlobalType::End;
        for i in (0..n).rev() {
            g = GlobalType::send(format!("R{}", i % 10), format!("R{}", (i + 1) % 10), Label::unit("m"), g);
        }
        let r = Role::new("R3");
        let t = Instant::now();
        let l = project(&g, &r).unwrap();
        let a = t.elapsed();
        let t = Instant::now();
        drop(l);
        let b = t.elapsed();
        let t = Instant::now();
        let c2 = g.clone();
        let c = t.elapsed();
        let t = Instant::now();
        let _ = telltale_theory::is_closed(&c2);
        let d = t.elapsed();
        eprintln!("n={n} project={a:?} drop={b:?} clone={c:?} freevars={d:?}");
    }
}
