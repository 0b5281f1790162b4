//! Table-driven tests of both subtyping checks.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::notation::parse_local_notation;
use telltale_types::Label;

fn binary(text: &str) -> LocalType {
    parse_local_notation(text).unwrap()
}

fn check_both(sub: &LocalType, sup: &LocalType, sync: bool, verdict: Verdict) {
    assert_eq!(
        sync_subtype(sub, sup).unwrap(),
        sync,
        "sync: {sub} <= {sup}"
    );
    let config = AsyncSubtypeConfig::default();
    assert_eq!(
        async_subtype(sub, sup, &config).unwrap(),
        verdict,
        "async: {sub} <= {sup}"
    );
}

fn check(sub: &str, sup: &str, sync: bool, verdict: Verdict) {
    check_both(&binary(sub), &binary(sup), sync, verdict);
}

#[test]
fn binary_cases() {
    use Verdict::*;
    let table = [
        // Select fewer labels, offer more labels.
        ("!a;end", "+{!a;end, !b;end}", true, Subtype),
        ("+{!a;end, !b;end}", "!a;end", false, NotSubtype),
        ("&{?a;end, ?b;end}", "?a;end", true, Subtype),
        ("?a;end", "&{?a;end, ?b;end}", false, NotSubtype),
        ("end", "end", true, Subtype),
        ("end", "!a;end", false, NotSubtype),
        ("!a;end", "end", false, NotSubtype),
        ("?a;end", "!a;end", false, NotSubtype),
        // Payload sorts of matched labels must be equal.
        ("!a(int);end", "!a(bool);end", false, NotSubtype),
        ("?a(int);end", "?a(int);end", true, Subtype),
        (
            "&{?a(int);end, ?b;end}",
            "?a(string);end",
            false,
            NotSubtype,
        ),
        // Recursion, compared up to unfolding.
        ("rec X . !a;!a;X", "rec Y . !a;Y", true, Subtype),
        (
            "rec X . +{!a;X, !b;end}",
            "rec Y . +{!a;Y, !b;end, !c;end}",
            true,
            Subtype,
        ),
        ("rec X . !a;X", "rec Y . !a;!b;Y", false, NotSubtype),
        // The classic anticipation cases.
        ("!a;?b;end", "?b;!a;end", false, Subtype),
        ("?b;!a;end", "!a;?b;end", false, NotSubtype),
        ("rec X . !a;?b;X", "rec Y . ?b;!a;Y", false, Subtype),
        (
            "!a;&{?b;end, ?c;end}",
            "&{?b;!a;end, ?c;!a;end}",
            false,
            Subtype,
        ),
        ("!a;?b;end", "&{?b;!a;end, ?c;!a;end}", false, NotSubtype),
        ("!a;?b;end", "?b;?c;!a;end", false, NotSubtype),
        // Orphan messages: the subtype never reads what the supertype expects to.
        ("rec X . !a;X", "rec Y . ?b;!a;Y", false, NotSubtype),
        ("!a;end", "?b;!a;end", false, NotSubtype),
        // The supertype never reaches the output the subtype anticipates.
        ("!a;end", "rec Y . ?b;Y", false, NotSubtype),
    ];
    for (sub, sup, sync, verdict) in table {
        check(sub, sup, sync, verdict);
    }
}

#[test]
fn owed_actions_discharged_on_every_cycle_are_trusted() {
    // Anticipating two outputs forever: the context never empties, but its root is consumed.
    check(
        "!a; rec X . !a;?b;X",
        "rec Y . ?b;!a;Y",
        false,
        Verdict::Subtype,
    );
    check(
        "!a;!a; rec X . !a;?b;X",
        "rec Y . ?b;!a;Y",
        false,
        Verdict::Subtype,
    );
    // The same with a choice in the anticipated input.
    check(
        "!a; rec X . !a;&{?b;X, ?c;X}",
        "rec Y . &{?b;!a;Y, ?c;!a;Y}",
        false,
        Verdict::Subtype,
    );
}

#[test]
fn growing_contexts_answer_unknown_rather_than_guess() {
    // Two outputs per input: the context of owed inputs grows without bound.
    let config = AsyncSubtypeConfig {
        max_context_size: 16,
        ..AsyncSubtypeConfig::default()
    };
    let verdict = async_subtype(
        &binary("rec X . !a;!a;?b;X"),
        &binary("rec Y . ?b;!a;Y"),
        &config,
    );
    assert_eq!(verdict.unwrap(), Verdict::Unknown);
}

#[test]
fn budgets_turn_into_unknown() {
    let sub = binary("rec X . !a;?b;X");
    let sup = binary("rec Y . ?b;!a;Y");
    let tiny = AsyncSubtypeConfig {
        max_steps: 1,
        ..AsyncSubtypeConfig::default()
    };
    assert_eq!(async_subtype(&sub, &sup, &tiny).unwrap(), Verdict::Unknown);
    let narrow = AsyncSubtypeConfig {
        max_context_size: 0,
        ..AsyncSubtypeConfig::default()
    };
    assert_eq!(
        async_subtype(&binary("!a;?b;end"), &binary("?b;!a;end"), &narrow).unwrap(),
        Verdict::Unknown
    );
}

fn send(partner: &str, label: &str, t: LocalType) -> LocalType {
    LocalType::send(partner, Label::unit(label), t)
}

fn recv(partner: &str, label: &str, t: LocalType) -> LocalType {
    LocalType::recv(partner, Label::unit(label), t)
}

fn end() -> LocalType {
    LocalType::End
}

#[test]
fn multiparty_cases() {
    use Verdict::*;
    let var = LocalType::var;
    let table = [
        // An output to p anticipated over an input from q.
        (
            send("p", "a", recv("q", "b", end())),
            recv("q", "b", send("p", "a", end())),
            Subtype,
        ),
        // An output to p anticipated over an output to q.
        (
            send("p", "a", send("q", "b", end())),
            send("q", "b", send("p", "a", end())),
            Subtype,
        ),
        // An input from p anticipated over an input from q.
        (
            recv("p", "a", recv("q", "b", end())),
            recv("q", "b", recv("p", "a", end())),
            Subtype,
        ),
        // Delaying an output is never allowed.
        (
            recv("p", "a", send("q", "b", end())),
            send("q", "b", recv("p", "a", end())),
            NotSubtype,
        ),
        // Outputs to the same partner keep their order.
        (
            send("p", "a", send("p", "b", end())),
            send("p", "b", send("p", "a", end())),
            NotSubtype,
        ),
        // Inputs from the same partner keep their order.
        (
            recv("p", "a", recv("p", "b", end())),
            recv("p", "b", recv("p", "a", end())),
            NotSubtype,
        ),
        // The subtype never sends to q what the supertype owes to q.
        (
            LocalType::rec("X", send("p", "a", var("X"))),
            send("q", "c", LocalType::rec("Y", send("p", "a", var("Y")))),
            NotSubtype,
        ),
        // Different partners at the same point.
        (send("p", "a", end()), send("q", "a", end()), NotSubtype),
    ];
    for (sub, sup, verdict) in table {
        let sync = sub == sup;
        check_both(&sub, &sup, sync, verdict);
    }
}

/// `s!ready . s?copy . t?ready . t!copy . then`, the double-buffering kernel's loop body.
fn kernel_body(then: LocalType) -> LocalType {
    send(
        "s",
        "ready",
        recv("s", "copy", recv("t", "ready", send("t", "copy", then))),
    )
}

#[test]
fn double_buffering_kernel() {
    // The optimised kernel signals `ready` ahead; its context holds `t!copy`,
    // an output to another partner than the anticipated one.
    let expected = LocalType::rec("X", kernel_body(LocalType::var("X")));
    for unroll in [1, 2, 5] {
        let mut body = LocalType::var("X");
        for _ in 0..unroll {
            body = kernel_body(body);
        }
        let optimised = send("s", "ready", LocalType::rec("X", body));
        check_both(&optimised, &expected, false, Verdict::Subtype);
        check_both(&expected, &optimised, false, Verdict::NotSubtype);
    }
    // Anticipating two `ready`s needs a buffer of two: still a subtype.
    let twice = send(
        "s",
        "ready",
        send(
            "s",
            "ready",
            LocalType::rec("X", kernel_body(LocalType::var("X"))),
        ),
    );
    check_both(&twice, &expected, false, Verdict::Subtype);
}

#[test]
fn owing_forever_on_a_loop_is_not_trusted() {
    // Always choosing `a`, the subtype never sends `c` to q: not a subtype in
    // the precise (orphan-free) sense, and the check must not say it is.
    let sub = LocalType::rec(
        "X",
        LocalType::select(
            "p",
            [
                (Label::unit("a"), LocalType::var("X")),
                (Label::unit("b"), send("q", "c", end())),
            ],
        ),
    );
    let sup = send(
        "q",
        "c",
        LocalType::rec(
            "Y",
            LocalType::select(
                "p",
                [
                    (Label::unit("a"), LocalType::var("Y")),
                    (Label::unit("b"), end()),
                ],
            ),
        ),
    );
    let verdict = async_subtype(&sub, &sup, &AsyncSubtypeConfig::default()).unwrap();
    assert_eq!(verdict, Verdict::Unknown);
}

#[test]
fn holes_with_different_labels_answer_unknown() {
    let sup = LocalType::branch(
        "q",
        [
            (Label::unit("c"), send("p", "x", recv("r", "a", end()))),
            (
                Label::unit("d"),
                send(
                    "p",
                    "x",
                    LocalType::branch("r", [(Label::unit("a"), end()), (Label::unit("b"), end())]),
                ),
            ),
        ],
    );
    let after = LocalType::branch("q", [(Label::unit("c"), end()), (Label::unit("d"), end())]);
    let sub = send(
        "p",
        "x",
        LocalType::branch(
            "r",
            [(Label::unit("a"), after.clone()), (Label::unit("b"), after)],
        ),
    );
    let verdict = async_subtype(&sub, &sup, &AsyncSubtypeConfig::default()).unwrap();
    assert_eq!(verdict, Verdict::Unknown);
}

#[test]
fn invalid_types_are_errors() {
    let ok = binary("end");
    let open = binary("!a;X");
    let unguarded = binary("rec X . X");
    let config = AsyncSubtypeConfig::default();
    assert_eq!(
        sync_subtype(&open, &ok).unwrap_err(),
        SubtypeError::Open {
            side: Side::Subtype,
            var: "X".into()
        }
    );
    assert_eq!(
        async_subtype(&ok, &unguarded, &config).unwrap_err(),
        SubtypeError::Unguarded {
            side: Side::Supertype,
            var: "X".into()
        }
    );
    let duplicate = LocalType::select("p", [(Label::unit("a"), end()), (Label::unit("a"), end())]);
    let err = sync_subtype(&ok, &duplicate).unwrap_err();
    assert!(
        matches!(
            err,
            SubtypeError::Malformed {
                side: Side::Supertype,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "the supertype is not a valid local type: state 0 has two transitions labelled `a`"
    );
}

#[test]
fn mixed_machines_are_errors() {
    let text = "digraph k { 0 -> 1 [label=\"s!a()\"]; 0 -> 2 [label=\"t!b()\"]; }";
    let mixed = crate::dot::parse_dot(text).unwrap();
    let fine = Fsm::from_local(&Role::new("k"), &end()).unwrap();
    let err = sync_subtype_fsm(&mixed, &fine).unwrap_err();
    assert!(
        matches!(
            err,
            SubtypeError::Malformed {
                side: Side::Subtype,
                ..
            }
        ),
        "{err}"
    );
    let err = async_subtype_fsm(&fine, &mixed, &AsyncSubtypeConfig::default()).unwrap_err();
    assert!(
        matches!(
            err,
            SubtypeError::Malformed {
                side: Side::Supertype,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn verdicts_print_for_the_cli() {
    assert_eq!(Verdict::Subtype.to_string(), "subtype");
    assert_eq!(Verdict::NotSubtype.to_string(), "not-subtype");
    assert_eq!(Verdict::Unknown.to_string(), "unknown");
    assert_eq!(Side::Subtype.to_string(), "subtype");
}
