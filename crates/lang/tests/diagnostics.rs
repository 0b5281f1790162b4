//! Snapshot tests of the rendered diagnostic for every error kind.
#![allow(clippy::unwrap_used)]

use telltale_lang::{load, lower_all, lower_protocol, DiagnosticKind, LowerOptions, SourceFile};

/// Parses and lowers `text`, returning the kinds and the rendered diagnostics.
fn diagnose(file_name: &str, text: &str) -> (Vec<DiagnosticKind>, String) {
    let file = SourceFile::new(file_name, text);
    let (module, mut diags) = load(&file);
    if diags.is_empty() {
        if let Err(more) = lower_all(&module, &LowerOptions::with_params([("N", 3)])) {
            diags = more;
        }
    }
    let kinds = diags.iter().map(|d| d.kind).collect();
    let rendered = diags
        .iter()
        .map(|d| d.render(&file))
        .collect::<Vec<_>>()
        .join("\n");
    (kinds, rendered)
}

/// Checks that `text` produces a diagnostic of `kind` and snapshots the rendering.
fn check(snapshot: &str, text: &str, kind: DiagnosticKind) {
    check_file(snapshot, "example.tell", text, kind);
}

fn check_file(snapshot: &str, file_name: &str, text: &str, kind: DiagnosticKind) {
    let (kinds, rendered) = diagnose(file_name, text);
    assert!(
        kinds.contains(&kind),
        "expected {kind:?}, got {kinds:?}\n{rendered}"
    );
    insta::assert_snapshot!(snapshot, rendered);
}

#[test]
fn syntax_error_names_the_expected_tokens() {
    check(
        "syntax",
        "protocol P =\n  roles A, B\n  A -> B Msg\n",
        DiagnosticKind::Syntax,
    );
}

#[test]
fn lexical_error() {
    check(
        "lexical",
        "protocol P =\n  roles A, B\n  A -> B : Msg § \n",
        DiagnosticKind::Lexical,
    );
}

#[test]
fn undeclared_role() {
    check(
        "undeclared_role",
        "protocol P =\n  roles Alice, Bob\n  Alice -> Carol : Hi\n",
        DiagnosticKind::UndeclaredRole,
    );
}

#[test]
fn duplicate_role() {
    check(
        "duplicate_role",
        "protocol P =\n  roles A, B, A\n  A -> B : Hi\n",
        DiagnosticKind::DuplicateRole,
    );
}

#[test]
fn duplicate_label() {
    check(
        "duplicate_label",
        "protocol P =\n  roles A, B\n  choice A at\n    | Yes => A -> B : Answer\n    | No => A -> B : Answer\n",
        DiagnosticKind::DuplicateLabel,
    );
}

#[test]
fn branch_not_starting_with_decider() {
    check(
        "branch_not_starting_with_decider",
        "protocol P =\n  roles A, B\n  choice A at\n    | Yes => A -> B : Yes\n    | No => B -> A : No\n",
        DiagnosticKind::BranchNotStartingWithDecider,
    );
}

#[test]
fn choice_receivers_differ() {
    check(
        "choice_receivers_differ",
        "protocol P =\n  roles A, B, C\n  choice A at\n    | Left => A -> B : Go\n    | Right => A -> C : Go\n",
        DiagnosticKind::ChoiceReceiversDiffer,
    );
}

#[test]
fn unknown_recursion_label() {
    check(
        "unknown_recursion_label",
        "protocol P =\n  roles A, B\n  rec Loop\n    A -> B : Tick\n    continue Lop\n",
        DiagnosticKind::UnknownRecursionLabel,
    );
}

#[test]
fn unguarded_recursion() {
    check(
        "unguarded_recursion",
        "protocol P =\n  roles A, B\n  rec Spin\n    continue Spin\n",
        DiagnosticKind::UnguardedRecursion,
    );
}

#[test]
fn unknown_protocol() {
    check(
        "unknown_protocol",
        "protocol P =\n  roles A, B\n  call Handshake\n",
        DiagnosticKind::UnknownProtocol,
    );
}

#[test]
fn recursive_call_cycle() {
    check(
        "recursive_call",
        "protocol P =\n  roles A, B\n  call Q\nwhere\n  protocol Q =\n    A -> B : Hi\n    call P\n",
        DiagnosticKind::RecursiveCall,
    );
}

#[test]
fn par_with_one_branch() {
    check(
        "par_single_branch",
        "protocol P =\n  roles A, B\n  par\n    | A -> B : Hi\n",
        DiagnosticKind::ParSingleBranch,
    );
}

#[test]
fn par_with_overlapping_roles() {
    check(
        "par_overlapping_roles",
        "protocol P =\n  roles A, B, C\n  par\n    | A -> B : Hi\n    | C -> A : Yo\n",
        DiagnosticKind::ParOverlappingRoles,
    );
}

#[test]
fn undeclared_effect() {
    check(
        "undeclared_effect",
        "protocol P =\n  roles A, B\n  let r = check Vault.open(key)\n  A -> B : Hi\n",
        DiagnosticKind::UndeclaredEffect,
    );
}

#[test]
fn undeclared_operation() {
    check(
        "undeclared_operation",
        "effect Ledger\n  append : Entry -> Result Error Receipt\n\nprotocol P uses Ledger =\n  roles A, B\n  let r = check Ledger.apend(e)\n  A -> B : Hi\n",
        DiagnosticKind::UndeclaredOperation,
    );
}

#[test]
fn non_exhaustive_case() {
    check(
        "non_exhaustive_case",
        "effect Ledger\n  append : Entry -> Result Error Receipt\n\nprotocol P uses Ledger =\n  roles A, B\n  let r = check Ledger.append(e) at A\n  case r of\n    | Ok(x) => A -> B : Done\n",
        DiagnosticKind::NonExhaustiveCase,
    );
}

#[test]
fn unknown_binding() {
    check(
        "unknown_binding",
        "protocol P =\n  roles A, B\n  case r of\n    | Ok(x) => A -> B : Done\n    | Err(e) => A -> B : Failed\n",
        DiagnosticKind::UnknownBinding,
    );
}

#[test]
fn unknown_constructor() {
    check(
        "unknown_constructor",
        "effect Store\n  get : Key -> Maybe Value\n\nprotocol P uses Store =\n  roles A, B\n  let v = check Store.get(k) at A\n  case v of\n    | Just(x) => A -> B : Found\n    | None => A -> B : Missing\n",
        DiagnosticKind::UnknownConstructor,
    );
}

#[test]
fn missing_family_parameter() {
    check(
        "missing_parameter",
        "protocol P =\n  roles Boss, Workers[M]\n  Boss -> Workers[*] : Task\n",
        DiagnosticKind::MissingParameter,
    );
}

#[test]
fn index_out_of_range() {
    check(
        "index_out_of_range",
        "protocol P =\n  roles Boss, Workers[2]\n  Boss -> Workers[2] : Task\n",
        DiagnosticKind::IndexOutOfRange,
    );
}

#[test]
fn self_communication() {
    check(
        "self_communication",
        "protocol P =\n  roles A, B\n  A -> A : Echo\n",
        DiagnosticKind::SelfCommunication,
    );
}

#[test]
fn statements_after_continue() {
    check(
        "unreachable_after_continue",
        "protocol Loop =\n  roles A, B\n  rec L\n    choice A at\n      | More =>\n        A -> B : Ping\n        continue L\n        B -> A : Lost\n      | Done =>\n        A -> B : Bye\n",
        DiagnosticKind::UnreachableAfterContinue,
    );
}

#[test]
fn a_block_lowered_many_times_reports_once() {
    let text = "protocol P =\n  roles A, B\n  rec L\n    loop repeat 3\n      A -> B : Ping\n      continue L\n      B -> A : Lost\n";
    let (kinds, rendered) = diagnose("example.tell", text);
    let n = kinds
        .iter()
        .filter(|k| **k == DiagnosticKind::UnreachableAfterContinue)
        .count();
    assert_eq!(n, 1, "{rendered}");
}

#[test]
fn statements_after_a_loop_that_never_ends() {
    check(
        "unreachable_after_endless_loop",
        "protocol P =\n  roles A, B\n  rec Y\n    B -> A : L2\n    continue Y\n  B -> A : L3\n",
        DiagnosticKind::UnreachableAfterEndlessLoop,
    );
}

#[test]
fn statements_after_a_loop_that_never_ends_in_scribble() {
    check_file(
        "nuscr_unreachable_after_endless_loop",
        "example.nuscr",
        "global protocol P(role A, role B) {\n  rec Y {\n    L2() from B to A;\n    continue Y;\n  }\n  L3() from B to A;\n}\n",
        DiagnosticKind::UnreachableAfterEndlessLoop,
    );
}

#[test]
fn statements_after_a_choice_whose_every_branch_loops() {
    check(
        "unreachable_after_looping_choice",
        "protocol P =\n  roles A, B\n  rec Y\n    choice A at\n      | More =>\n        A -> B : More\n        continue Y\n      | Again =>\n        A -> B : Again\n        continue Y\n    B -> A : Lost\n",
        DiagnosticKind::UnreachableAfterEndlessLoop,
    );
}

#[test]
fn statements_after_loop_forever_are_reported() {
    let text = "protocol P =\n  roles A, B\n  loop forever\n    A -> B : Tick\n  B -> A : Lost\n";
    let (kinds, rendered) = diagnose("example.tell", text);
    assert_eq!(
        kinds,
        vec![DiagnosticKind::UnreachableAfterEndlessLoop],
        "{rendered}"
    );
}

#[test]
fn statements_after_a_loop_with_an_exit_continue_its_exits() {
    for (name, text) in [
        (
            "example.tell",
            "protocol P =\n  roles A, B\n  rec Y\n    choice B at\n      | L2 =>\n        B -> A : L2\n        continue Y\n      | Stop =>\n        B -> A : Stop\n  B -> A : L3\n",
        ),
        (
            "example.nuscr",
            "global protocol P(role A, role B) {\n  rec Y {\n    choice at B {\n      L2() from B to A;\n      continue Y;\n    } or {\n      Stop() from B to A;\n    }\n  }\n  L3() from B to A;\n}\n",
        ),
    ] {
        let (kinds, rendered) = diagnose(name, text);
        assert!(kinds.is_empty(), "{name}: {rendered}");
        let file = SourceFile::new(name, text);
        let (module, _) = load(&file);
        let global = lower_protocol(&module, "P", &LowerOptions::default()).unwrap();
        assert!(global.to_string().contains("L3"), "{name}: {global}");
    }
}

#[test]
fn duplicate_protocol() {
    check(
        "duplicate_protocol",
        "protocol Greet =\n  roles A, B\n  A -> B : Hi\n\nprotocol Greet =\n  roles A, B\n  B -> A : Hello\n",
        DiagnosticKind::DuplicateProtocol,
    );
}

#[test]
fn expansion_limit() {
    check(
        "expansion_limit",
        "protocol P =\n  roles A, B\n  loop repeat 1000000\n    A -> B : Tick\n",
        DiagnosticKind::ExpansionLimit,
    );
}

#[test]
fn unknown_pragma_in_nuscr() {
    check_file(
        "unknown_pragma",
        "example.nuscr",
        "(*# RefinementTypes, TimeTravel #*)\nglobal protocol P(role A, role B) {\n  m() from A to B;\n}\n",
        DiagnosticKind::UnknownPragma,
    );
}

#[test]
fn nuscr_syntax_error() {
    check_file(
        "nuscr_syntax",
        "example.nuscr",
        "global protocol P(role A, role B) {\n  m() from A B;\n}\n",
        DiagnosticKind::Syntax,
    );
}

#[test]
fn unknown_entry_protocol() {
    let file = SourceFile::new(
        "example.tell",
        "protocol P =\n  roles A, B\n  A -> B : Hi\n",
    );
    let (module, diags) = load(&file);
    assert!(diags.is_empty());
    let err = lower_protocol(&module, "Q", &LowerOptions::default()).unwrap_err();
    assert_eq!(err[0].kind, DiagnosticKind::UnknownEntryProtocol);
    insta::assert_snapshot!("unknown_entry_protocol", err[0].render(&file));
}

#[test]
fn invalid_predicate() {
    check(
        "invalid_predicate",
        "protocol P =\n  roles A, B\n  loop while \"retries + 1\"\n    A -> B : Try\n",
        DiagnosticKind::InvalidPredicate,
    );
}

#[test]
fn statements_after_a_do_that_repeats_are_reported() {
    check_file(
        "nuscr_unreachable_after_reentry",
        "example.nuscr",
        "global protocol P(role A, role B) {\n  m() from A to B;\n  do P(A, B);\n  n() from A to B;\n}\n",
        DiagnosticKind::UnreachableAfterEndlessLoop,
    );
    // A `do` that re-enters as the last statement of a branch is a loop, not an error.
    let (kinds, rendered) = diagnose(
        "example.nuscr",
        "global protocol P(role A, role B) {\n  choice at A {\n    m() from A to B;\n    do P(A, B);\n  } or {\n    q() from A to B;\n  }\n  n() from B to A;\n}\n",
    );
    assert!(kinds.is_empty(), "{rendered}");
}

#[test]
fn no_protocol_declared() {
    use telltale_lang::require_protocol;
    let mut rendered = Vec::new();
    for (name, text) in [
        ("empty.tell", ""),
        ("comments.tell", "-- a comment, and nothing else\n"),
        ("comments.nuscr", "// a comment, and nothing else\n"),
    ] {
        let file = SourceFile::new(name, text);
        let (module, diags) = load(&file);
        assert!(diags.is_empty(), "{name}: {diags:?}");
        let d = require_protocol(&file, &module).unwrap();
        assert_eq!(d.kind, DiagnosticKind::NoProtocol);
        rendered.push(d.render(&file));
    }
    insta::assert_snapshot!("no_protocol", rendered.join("\n"));
}

#[test]
fn a_missable_message_cannot_decide_a_choice() {
    check(
        "missable_choice",
        "protocol P =\n  roles A, B\n  choice A at\n    | Yes => A -> B : Yes or missed\n    | No => A -> B : No\n",
        DiagnosticKind::MissableChoice,
    );
}

#[test]
fn a_missable_message_cannot_be_a_loop_decision_or_an_announcement() {
    for text in [
        "protocol P =\n  roles A, B\n  loop decide by A\n    A -> B : Round or missed\n    B -> A : Ack\n",
        "protocol P =\n  roles A, B\n  timeout 5s A at\n    B -> A : Reply\n  on timeout =>\n    B -> A : Late\n  A -> B : Proceed or missed\n",
    ] {
        let (kinds, rendered) = diagnose("example.tell", text);
        assert_eq!(kinds, [DiagnosticKind::MissableChoice], "{rendered}");
    }
}

#[test]
fn a_message_is_missable_everywhere_or_nowhere() {
    check(
        "missable_inconsistent",
        "protocol P =\n  roles A, W[N]\n  W[*] -> A : Vote of Bool or missed\n  W[1] -> A : Vote of Bool\n",
        DiagnosticKind::MissableInconsistent,
    );
}
