//! Payload sorts far deeper than any stack (built in memory; the readers
//! refuse them) go through projection, merging, duality and subtyping,
//! which compare and copy sorts, without overflowing the stack. (100,000
//! levels: a sort 25,000 deep used to overflow; these operations copy
//! labels many times, each copy linear in the depth.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use telltale_theory::subtyping::{async_subtype, sync_subtype, AsyncSubtypeConfig, Verdict};
use telltale_theory::{are_dual, dual, project_all};
use telltale_types::{GlobalType, Label, LocalType, PayloadSort, Role};

/// A product nested `depth` deep around `inner`.
fn deep(depth: usize, inner: PayloadSort) -> PayloadSort {
    let mut sort = inner;
    for _ in 0..depth {
        sort = PayloadSort::Product(vec![sort]);
    }
    sort
}

#[test]
fn theory_operations_handle_a_sort_a_hundred_thousand_deep() {
    let depth = 100_000;
    let sort = deep(depth, PayloadSort::Int);
    // A choice whose branches both end with the deep message, so
    // projecting onto C merges two copies of it.
    let tail = GlobalType::send("A", "C", Label::new("m", sort.clone()), GlobalType::End);
    let g = GlobalType::choice(
        "A",
        "B",
        [(Label::unit("x"), tail.clone()), (Label::unit("y"), tail)],
    );
    let locals = project_all(&g).expect("projects");
    let c = &locals[&Role::new("C")];
    assert_eq!(
        c,
        &LocalType::recv("A", Label::new("m", sort.clone()), LocalType::End)
    );
    assert!(are_dual(&dual(c), c));

    let send = LocalType::send("B", Label::new("m", sort.clone()), LocalType::End);
    assert!(sync_subtype(&send, &send).unwrap());
    let other = LocalType::send(
        "B",
        Label::new("m", deep(depth, PayloadSort::Nat)),
        LocalType::End,
    );
    assert!(!sync_subtype(&send, &other).unwrap());
    let verdict = async_subtype(&send, &send, &AsyncSubtypeConfig::default()).unwrap();
    assert_eq!(verdict, Verdict::Subtype);
}
