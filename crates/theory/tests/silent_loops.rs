//! A role that takes no part in a loop: its projection stops before the
//! loop (the standard MPST rule, and nuscr's). Loops whose exit branches
//! leave for `end`, nested loops, loops inside choices and expanded role
//! families; a role that occurs in some branches of a loop is still merged
//! as before, and a loop mixing jumps to itself and to an enclosing loop
//! the role takes part in is still refused.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod support;

use proptest::prelude::*;
use support::global_types;
use telltale_theory::{check_global, project, project_all, Fsm, ProjectionError};
use telltale_types::{GlobalType, Label, LocalType, Role};

fn msg(from: &str, to: &str, label: &str, then: GlobalType) -> GlobalType {
    GlobalType::send(from, to, Label::unit(label), then)
}

fn choice(from: &str, to: &str, branches: Vec<(&str, GlobalType)>) -> GlobalType {
    GlobalType::choice(
        from,
        to,
        branches.into_iter().map(|(l, g)| (Label::unit(l), g)),
    )
}

fn check(global: &GlobalType, role: &str, expected: &LocalType) {
    assert_eq!(
        &project(global, &Role::new(role)).unwrap(),
        expected,
        "{role}"
    );
}

fn conflict(global: &GlobalType, role: &str) -> ProjectionError {
    let err = project(global, &Role::new(role)).unwrap_err();
    assert!(
        matches!(err, ProjectionError::MergeConflict(_)),
        "{role}: {err}"
    );
    assert!(check_global(global).is_err());
    err
}

/// `Client -> Log : Opened` then a loop between Client and Server.
fn audit() -> GlobalType {
    msg(
        "Client",
        "Log",
        "Opened",
        GlobalType::rec(
            "Session",
            choice(
                "Client",
                "Server",
                vec![
                    (
                        "Request",
                        msg("Server", "Client", "Response", GlobalType::var("Session")),
                    ),
                    ("Bye", GlobalType::End),
                ],
            ),
        ),
    )
}

#[test]
fn the_audit_log_stops_before_the_session_loop() {
    let g = audit();
    check(
        &g,
        "Log",
        &LocalType::recv("Client", Label::unit("Opened"), LocalType::End),
    );
    let server_loop = LocalType::rec(
        "Session",
        LocalType::branch(
            "Client",
            [
                (
                    Label::unit("Request"),
                    LocalType::send("Client", Label::unit("Response"), LocalType::var("Session")),
                ),
                (Label::unit("Bye"), LocalType::End),
            ],
        ),
    );
    check(&g, "Server", &server_loop);
    let client_loop = LocalType::rec(
        "Session",
        LocalType::select(
            "Server",
            [
                (
                    Label::unit("Request"),
                    LocalType::recv("Server", Label::unit("Response"), LocalType::var("Session")),
                ),
                (Label::unit("Bye"), LocalType::End),
            ],
        ),
    );
    check(
        &g,
        "Client",
        &LocalType::send("Log", Label::unit("Opened"), client_loop),
    );
    assert_eq!(check_global(&g), Ok(()));
    assert_eq!(project_all(&g).unwrap().len(), 3);
}

#[test]
fn the_audit_log_is_a_two_state_machine() {
    let log = project(&audit(), &Role::new("Log")).unwrap();
    let fsm = Fsm::from_local(&Role::new("Log"), &log).unwrap();
    assert_eq!(fsm.states().len(), 2);
    assert_eq!(fsm.transitions().len(), 1);
    assert_eq!(fsm.transitions()[0].action.partner, Role::new("Client"));
}

#[test]
fn a_role_absent_from_nested_loops_stops_before_both() {
    // rec X . A -> B { more: rec Y . A -> B { again: Y, next: X }, stop: end }
    let g = msg(
        "C",
        "A",
        "hello",
        GlobalType::rec(
            "X",
            choice(
                "A",
                "B",
                vec![
                    (
                        "more",
                        GlobalType::rec(
                            "Y",
                            choice(
                                "A",
                                "B",
                                vec![
                                    ("again", GlobalType::var("Y")),
                                    ("next", GlobalType::var("X")),
                                ],
                            ),
                        ),
                    ),
                    ("stop", GlobalType::End),
                ],
            ),
        ),
    );
    check(
        &g,
        "C",
        &LocalType::send("A", Label::unit("hello"), LocalType::End),
    );
    assert_eq!(check_global(&g), Ok(()));
}

#[test]
fn an_inner_loop_that_returns_to_the_outer_one_is_a_jump_back() {
    // rec X . C -> A : go . rec Y . A -> B { again: Y, back: X }:
    // for C, the loop on Y is silent, but its exit jumps back to X, and its
    // other branch (Y, now `end`) conflicts with that jump: C cannot tell
    // when the next `go` comes. Still refused.
    let mixed = GlobalType::rec(
        "X",
        msg(
            "C",
            "A",
            "go",
            GlobalType::rec(
                "Y",
                choice(
                    "A",
                    "B",
                    vec![
                        ("again", GlobalType::var("Y")),
                        ("back", GlobalType::var("X")),
                    ],
                ),
            ),
        ),
    );
    let err = conflict(&mixed, "C");
    // The conflict shows the silent jump as `end`, not as a jump to `Y`.
    assert!(
        err.to_string()
            .contains("branch \"again\" gives it `end` and branch \"back\" gives it `X`"),
        "{err}"
    );
    // When every branch of the inner loop jumps back, C simply loops on X.
    let always_back = GlobalType::rec(
        "X",
        msg(
            "C",
            "A",
            "go",
            GlobalType::rec("Y", msg("A", "B", "m", GlobalType::var("X"))),
        ),
    );
    check(
        &always_back,
        "C",
        &LocalType::rec(
            "X",
            LocalType::send("A", Label::unit("go"), LocalType::var("X")),
        ),
    );
}

#[test]
fn a_loop_inside_a_choice_branch_is_silent_for_outsiders() {
    // C -> A : hello . A -> B { x: rec L . A -> B { m: L, stop: end }, y: end }
    let g = msg(
        "C",
        "A",
        "hello",
        choice(
            "A",
            "B",
            vec![
                (
                    "x",
                    GlobalType::rec(
                        "L",
                        choice(
                            "A",
                            "B",
                            vec![("m", GlobalType::var("L")), ("stop", GlobalType::End)],
                        ),
                    ),
                ),
                ("y", GlobalType::End),
            ],
        ),
    );
    check(
        &g,
        "C",
        &LocalType::send("A", Label::unit("hello"), LocalType::End),
    );
    assert_eq!(check_global(&g), Ok(()));
    // A role that does take part in the branch's loop still gets it.
    let b = project(&g, &Role::new("B")).unwrap();
    assert!(b.to_string().contains("rec L"), "{b}");
}

#[test]
fn a_role_in_some_branches_of_a_loop_is_still_merged() {
    // rec L . A -> B { again: L, done: A -> C : fin . end }: C occurs in the
    // loop's exit, so the loop is not silent for C, and `L` does not merge
    // with `A?fin`. Unchanged by the rule.
    let exit_only = GlobalType::rec(
        "L",
        choice(
            "A",
            "B",
            vec![
                ("again", GlobalType::var("L")),
                ("done", msg("A", "C", "fin", GlobalType::End)),
            ],
        ),
    );
    conflict(&exit_only, "C");
    // The same with C before the loop too.
    let before_and_after = msg("A", "C", "start", exit_only);
    conflict(&before_and_after, "C");
    // When C learns every round, it keeps the loop (its jump is not `end`).
    let told = GlobalType::rec(
        "L",
        choice(
            "A",
            "B",
            vec![
                ("again", msg("A", "C", "ping", GlobalType::var("L"))),
                ("done", msg("A", "C", "fin", GlobalType::End)),
            ],
        ),
    );
    check(
        &told,
        "C",
        &LocalType::rec(
            "L",
            LocalType::branch(
                "A",
                [
                    (Label::unit("ping"), LocalType::var("L")),
                    (Label::unit("fin"), LocalType::End),
                ],
            ),
        ),
    );
}

#[test]
fn silent_family_members_stop_before_their_loop() {
    // Boss -> W0 : task, Boss -> W1 : task, then a loop between Boss and W0.
    let work = GlobalType::rec(
        "Work",
        choice(
            "Boss",
            "W0",
            vec![
                ("more", msg("W0", "Boss", "result", GlobalType::var("Work"))),
                ("enough", GlobalType::End),
            ],
        ),
    );
    let g = msg("Boss", "W0", "task", msg("Boss", "W1", "task", work));
    check(
        &g,
        "W1",
        &LocalType::recv("Boss", Label::unit("task"), LocalType::End),
    );
    let all = project_all(&g).unwrap();
    assert_eq!(all.len(), 3);
    assert!(all[&Role::new("W0")].to_string().contains("rec Work"));
    assert_eq!(check_global(&g), Ok(()));
}

#[test]
fn deeply_nested_silent_loops_project_quickly() {
    // 50,000 nested loops between A and B, each able to stop; C sends first.
    let mut body = GlobalType::End;
    for i in (0..50_000).rev() {
        let var = format!("L{i}");
        body = GlobalType::rec(
            var.clone(),
            choice(
                "A",
                "B",
                vec![("again", GlobalType::var(var)), ("on", body)],
            ),
        );
    }
    let g = msg("C", "A", "hello", body);
    check(
        &g,
        "C",
        &LocalType::send("A", Label::unit("hello"), LocalType::End),
    );
    assert_eq!(project_all(&g).unwrap().len(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A role that only opens a protocol (`Log -> A : Opened . G`, `Log`
    /// nowhere in `G`) stops after that message, whatever loops `G` has;
    /// every other role's projection is that of `G`.
    #[test]
    fn a_role_that_only_opens_a_protocol_stops_after_it(g in global_types()) {
        let opened = msg("Log", "A", "Opened", g.clone());
        prop_assert_eq!(check_global(&opened), Ok(()), "{}", opened);
        let all = project_all(&opened).unwrap();
        let log = LocalType::send("A", Label::unit("Opened"), LocalType::End);
        prop_assert_eq!(&all[&Role::new("Log")], &log);
        let before = project_all(&g).unwrap();
        for (role, local) in before {
            let expected = if role.as_str() == "A" {
                LocalType::recv("Log", Label::unit("Opened"), local)
            } else {
                local
            };
            prop_assert_eq!(&all[&role], &expected, "{} in {}", role, opened);
        }
    }
}
