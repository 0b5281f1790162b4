//! Projection rules on whole protocols: recursion a role takes no part
//! in, jumps back to enclosing loops, and very long protocols.
#![allow(clippy::unwrap_used)]

use telltale_theory::{project, project_all};
use telltale_types::{GlobalType, Label, LocalType, Role};

fn msg(from: &str, to: &str, label: &str, then: GlobalType) -> GlobalType {
    GlobalType::send(from, to, Label::unit(label), then)
}

fn check(global: &GlobalType, role: &str, expected: &LocalType) {
    assert_eq!(
        &project(global, &Role::new(role)).unwrap(),
        expected,
        "{role}"
    );
}

#[test]
fn recursion_without_the_role_ends() {
    let g = msg(
        "C",
        "A",
        "start",
        GlobalType::rec("t", msg("A", "B", "m", GlobalType::var("t"))),
    );
    check(
        &g,
        "C",
        &LocalType::send("A", Label::unit("start"), LocalType::End),
    );
    check(
        &g,
        "B",
        &LocalType::rec(
            "t",
            LocalType::recv("A", Label::unit("m"), LocalType::var("t")),
        ),
    );
    let nested = GlobalType::rec(
        "x",
        GlobalType::rec("y", msg("A", "B", "m", GlobalType::var("x"))),
    );
    check(&nested, "C", &LocalType::End);
}

#[test]
fn an_inner_loop_the_role_ignores_keeps_the_jump_back() {
    let g = GlobalType::rec(
        "outer",
        msg(
            "C",
            "A",
            "go",
            GlobalType::rec("inner", msg("A", "B", "m", GlobalType::var("outer"))),
        ),
    );
    check(
        &g,
        "C",
        &LocalType::rec(
            "outer",
            LocalType::send("A", Label::unit("go"), LocalType::var("outer")),
        ),
    );
}

#[test]
fn long_protocols_do_not_overflow() {
    let roles = ["A", "B", "C"];
    let mut g = GlobalType::End;
    for i in 0..100_000 {
        g = msg(roles[i % 3], roles[(i + 1) % 3], "m", g);
    }
    let all = project_all(&g).unwrap();
    assert_eq!(all.len(), 3);
}

#[test]
fn errors_deep_in_long_protocols_are_located() {
    let roles = ["A", "B", "C"];
    let mut g = GlobalType::choice("B", "C", []);
    for i in 0..50_000 {
        g = msg(roles[i % 3], roles[(i + 1) % 3], "m", g);
    }
    let err = project(&g, &Role::new("A")).unwrap_err();
    assert_eq!(err.path().steps().len(), 50_000);
    assert!(telltale_theory::check_global(&g).is_err());
}

#[test]
fn long_protocols_are_well_formed_and_merge_deeply() {
    let mut tail = GlobalType::End;
    for i in 0..20_000 {
        let (s, r) = if i % 2 == 0 { ("C", "D") } else { ("D", "C") };
        tail = msg(s, r, "m", tail);
    }
    let g = GlobalType::choice(
        "A",
        "B",
        [(Label::unit("x"), tail.clone()), (Label::unit("y"), tail)],
    );
    assert_eq!(telltale_theory::check_global(&g), Ok(()));
    let all = project_all(&g).unwrap();
    assert_eq!(all.len(), 4);
}

#[test]
fn project_all_reports_the_first_failing_role() {
    // C cannot merge `A!hi` with `end`; D merges its two receives from A.
    let g = GlobalType::choice(
        "A",
        "B",
        [
            (
                Label::unit("x"),
                msg("C", "A", "hi", msg("A", "D", "x", GlobalType::End)),
            ),
            (Label::unit("y"), msg("A", "D", "y", GlobalType::End)),
        ],
    );
    let all = project_all(&g).unwrap_err();
    let one = project(&g, &Role::new("C")).unwrap_err();
    assert_eq!(all, one);
    assert_eq!(all.role(), &Role::new("C"));
    assert!(project(&g, &Role::new("D")).is_ok());
}
