//! Data-driven lowering tests: one source per construct and the global type it lowers to.
#![allow(clippy::unwrap_used)]

use telltale_lang::{load, lower_all, LowerOptions, SourceFile};

/// Lowers the only protocol of `body` (with roles `roles`) and compares its
/// printed global type with `expected`.
fn check(roles: &str, body: &str, expected: &str) {
    check_params(roles, body, &[("N", 3)], expected);
}

fn check_params(roles: &str, body: &str, params: &[(&str, u64)], expected: &str) {
    let text = format!("protocol P =\n  roles {roles}\n{body}");
    let file = SourceFile::new("t.tell", text.as_str());
    let (module, diags) = load(&file);
    let rendered: Vec<String> = diags.iter().map(|d| d.render(&file)).collect();
    assert!(diags.is_empty(), "{}", rendered.join("\n"));
    let opts = LowerOptions::with_params(params.iter().map(|(k, v)| (*k, *v)));
    let lowered = match lower_all(&module, &opts) {
        Ok(l) => l,
        Err(ds) => {
            let r: Vec<String> = ds.iter().map(|d| d.render(&file)).collect();
            panic!("{}", r.join("\n"));
        }
    };
    assert_eq!(lowered[0].global.to_string(), expected, "source:\n{text}");
}

#[test]
fn plain_send() {
    check("A, B", "  A -> B : Ping\n", "A -> B : { Ping(unit) . end }");
}

#[test]
fn typed_payloads() {
    check(
        "A, B",
        "  A -> B : M1 of shop.Order\n  A -> B : M2 { item : String, qty : Int }\n  A -> B : M3(x : Int, ok : Bool)\n  A -> B : M4(Int, Bool)\n",
        "A -> B : { M1(shop.Order) . A -> B : { M2({ item: string, qty: int }) . A -> B : { M3({ x: int, ok: bool }) . A -> B : { M4((int, bool)) . end } } } }",
    );
}

#[test]
fn sender_annotations_are_metadata() {
    check(
        "A, B",
        "  A { priority = high, runtime_timeout = 5s } -> B : Ping\n",
        "A -> B : { Ping(unit) . end }",
    );
}

#[test]
fn broadcast_in_declaration_order() {
    check(
        "B, A, C",
        "  A ->* : Hello\n",
        "A -> B : { Hello(unit) . A -> C : { Hello(unit) . end } }",
    );
}

#[test]
fn choice_with_guard() {
    check(
        "A, B",
        "  choice A at\n    | Buy when (balance > price) =>\n      A -> B : Buy\n      B -> A : Ok\n    | Quit => A -> B : Quit\n",
        "A -> B : { Buy(unit) . B -> A : { Ok(unit) . end }, Quit(unit) . end }",
    );
}

#[test]
fn choice_continuation_is_shared() {
    check(
        "A, B",
        "  choice A at\n  | X => A -> B : X\n  | Y => A -> B : Y\n  B -> A : After\n",
        "A -> B : { X(unit) . B -> A : { After(unit) . end }, Y(unit) . B -> A : { After(unit) . end } }",
    );
}

#[test]
fn rec_and_continue() {
    check(
        "A, B",
        "  rec L\n    A -> B : Tick\n    continue L\n",
        "rec L . A -> B : { Tick(unit) . L }",
    );
}

#[test]
fn explicit_braces() {
    check(
        "A, B",
        "  rec L { A -> B : Tick; continue L }\n",
        "rec L . A -> B : { Tick(unit) . L }",
    );
}

#[test]
fn loop_forever() {
    check(
        "A, B",
        "  loop forever\n    A -> B : Tick\n",
        "rec Loop2 . A -> B : { Tick(unit) . Loop2 }",
    );
}

#[test]
fn loop_repeat_unrolls() {
    check(
        "A, B",
        "  loop repeat 2\n    A -> B : Tick\n  B -> A : Done\n",
        "A -> B : { Tick(unit) . A -> B : { Tick(unit) . B -> A : { Done(unit) . end } } }",
    );
}

#[test]
fn loop_decide_by() {
    check(
        "A, B, C",
        "  loop decide by A\n    A -> B : More\n    B -> C : Relay\n  A -> B : Bye\n",
        "rec Loop2 . A -> B : { More(unit) . B -> C : { Relay(unit) . Loop2 }, Done(unit) . A -> C : { Done(unit) . A -> B : { Bye(unit) . end } } }",
    );
}

#[test]
fn loop_while_is_decided_by_the_first_sender() {
    check(
        "A, B",
        "  loop while \"queue.size > 0\"\n    A -> B : Item\n",
        "rec Loop2 . A -> B : { Item(unit) . Loop2, Done(unit) . end }",
    );
}

#[test]
fn par_is_sequential_composition() {
    check(
        "A, B, C, D",
        "  par\n    | A -> B : X\n    | C -> D : Y\n  B -> C : Z\n",
        "A -> B : { X(unit) . C -> D : { Y(unit) . B -> C : { Z(unit) . end } } }",
    );
}

#[test]
fn call_inlines_the_where_protocol() {
    let text = "protocol P =\n  roles A, B\n  call Hello\n  B -> A : Done\nwhere\n  protocol Hello =\n    A -> B : Hi\n";
    let file = SourceFile::new("t.tell", text);
    let (module, diags) = load(&file);
    assert!(diags.is_empty());
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    assert_eq!(lowered.len(), 1);
    assert_eq!(
        lowered[0].global.to_string(),
        "A -> B : { Hi(unit) . B -> A : { Done(unit) . end } }"
    );
}

#[test]
fn call_with_role_arguments_renames() {
    let text =
        "protocol P =\n  roles X, Y\n  call Greet(Y, X)\n\nprotocol Greet(A, B) =\n  A -> B : Hi\n";
    let file = SourceFile::new("t.tell", text);
    let (module, _) = load(&file);
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    assert_eq!(lowered[0].global.to_string(), "Y -> X : { Hi(unit) . end }");
    assert_eq!(lowered[1].global.to_string(), "A -> B : { Hi(unit) . end }");
}

#[test]
fn timeout_is_a_choice_by_the_waiting_role() {
    check(
        "C, S",
        "  timeout 5s C at\n    S -> C : Reply\n  on timeout =>\n    C -> S : Cancel\n",
        "C -> S : { Proceed(unit) . S -> C : { Reply(unit) . end }, Timeout(unit) . C -> S : { Cancel(unit) . end } }",
    );
}

#[test]
fn timeout_uses_direct_messages_when_possible() {
    check(
        "C, S",
        "  timeout 100ms C at\n    C -> S : Poll\n  on timeout =>\n    C -> S : Cancel\n",
        "C -> S : { Poll(unit) . end, Cancel(unit) . end }",
    );
}

#[test]
fn heartbeat() {
    check(
        "W, M",
        "  heartbeat W -> M every 1s on_missing(3) {\n    M -> W : Bye\n  } body {\n    W -> M : Work\n  }\n",
        "rec Heartbeat2 . W -> M : { Heartbeat(unit) . M -> W : { Alive(unit) . W -> M : { Work(unit) . Heartbeat2 }, Dead(unit) . M -> W : { Bye(unit) . end } } }",
    );
}

#[test]
fn families_expand_with_parameters() {
    check_params(
        "Boss, W[N]",
        "  Boss -> W[*] : Task\n  W[0..2] -> Boss : Result\n  Boss -> W[N-1] : Last\n",
        &[("N", 3)],
        "Boss -> W0 : { Task(unit) . Boss -> W1 : { Task(unit) . Boss -> W2 : { Task(unit) . W0 -> Boss : { Result(unit) . W1 -> Boss : { Result(unit) . Boss -> W2 : { Last(unit) . end } } } } } }",
    );
}

#[test]
fn fixed_and_any_families() {
    check_params(
        "R[2], S[*]",
        "  R[0] -> S[*] : Go\n",
        &[("S", 2)],
        "R0 -> S0 : { Go(unit) . R0 -> S1 : { Go(unit) . end } }",
    );
}

#[test]
fn check_and_case_with_direct_messages() {
    let text = "effect Ledger\n  append : Entry -> Result Error Receipt\n\nprotocol P uses Ledger =\n  roles A, B\n  A -> B : Entry\n  let r = check Ledger.append(e)\n  case r of\n    | Ok(x) => B -> A : Done\n    | Err(e) => B -> A : Failed\n";
    let file = SourceFile::new("t.tell", text);
    let (module, diags) = load(&file);
    assert!(diags.is_empty());
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    assert_eq!(
        lowered[0].global.to_string(),
        "A -> B : { Entry(unit) . B -> A : { Done(unit) . end, Failed(unit) . end } }"
    );
}

#[test]
fn check_and_case_announced_when_branches_are_silent() {
    let text = "effect Store\n  get : Key -> Maybe Value\n\nprotocol P uses Store =\n  roles A, B, C\n  let v = check Store.get(k) at A\n  case v of\n    | Just(x) => B -> C : Go\n    | _ => C -> B : Stop\n";
    let file = SourceFile::new("t.tell", text);
    let (module, diags) = load(&file);
    assert!(diags.is_empty());
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    assert_eq!(
        lowered[0].global.to_string(),
        "A -> B : { Just(unit) . A -> C : { Just(unit) . B -> C : { Go(unit) . end } }, Otherwise(unit) . A -> C : { Otherwise(unit) . C -> B : { Stop(unit) . end } } }"
    );
}

#[test]
fn roles_are_inferred_when_not_declared() {
    let text = "protocol P =\n  B -> A : Hi\n";
    let file = SourceFile::new("t.tell", text);
    let (module, _) = load(&file);
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    let roles: Vec<&str> = lowered[0].roles.iter().map(|r| r.as_str()).collect();
    assert_eq!(roles, ["B", "A"]);
}

#[test]
fn roles_keep_declaration_order_with_families() {
    let text = "protocol P =\n  roles Z, W[2], A\n  Z -> A : Hi\n";
    let file = SourceFile::new("t.tell", text);
    let (module, _) = load(&file);
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    let roles: Vec<&str> = lowered[0].roles.iter().map(|r| r.as_str()).collect();
    assert_eq!(roles, ["Z", "W0", "W1", "A"]);
}

#[test]
fn nuscr_do_cycle_becomes_recursion() {
    let text = "global protocol P(role A, role B) {\n  m(int) from A to B;\n  choice at B { more() from B to A; do P(A, B); } or { stop() from B to A; }\n}\n";
    let file = SourceFile::new("t.nuscr", text);
    let (module, diags) = load(&file);
    assert!(diags.is_empty(), "{diags:?}");
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    assert_eq!(
        lowered[0].global.to_string(),
        "rec P1 . A -> B : { m(int) . B -> A : { more(unit) . P1, stop(unit) . end } }"
    );
}

#[test]
fn nuscr_payload_forms_and_refinements() {
    let text = "(*# RefinementTypes #*)\n// a comment\nglobal protocol P(role A, role B) {\n  a() from A to B;\n  b(int) from A to B;\n  c(x: int{x > 0}, y: string) from B to A;\n}\n";
    let file = SourceFile::new("t.scr", text);
    let (module, diags) = load(&file);
    assert!(diags.is_empty(), "{diags:?}");
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    assert_eq!(
        lowered[0].global.to_string(),
        "A -> B : { a(unit) . A -> B : { b(int) . B -> A : { c({ x: int, y: string }) . end } } }"
    );
}

#[test]
fn nuscr_indirect_and_role_swapping_recursion() {
    let text = "global protocol P(role A, role B) {\n  ping() from A to B;\n  do Q(A, B);\n}\nglobal protocol Q(role C, role D) {\n  pong() from D to C;\n  do P(D, C);\n}\n";
    let file = SourceFile::new("t.nuscr", text);
    let (module, diags) = load(&file);
    assert!(diags.is_empty(), "{diags:?}");
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    assert_eq!(
        lowered[0].global.to_string(),
        "rec P1 . A -> B : { ping(unit) . B -> A : { pong(unit) . B -> A : { ping(unit) . A -> B : { pong(unit) . P1 } } } }"
    );
}

#[test]
fn inlined_recursion_does_not_capture_the_callers_label() {
    let text = "protocol P =\n  roles A, B\n  rec L\n    call Q\n    A -> B : X\n    continue L\n\nprotocol Q =\n  roles A, B\n  rec L\n    choice A at\n      | More => A -> B : M\n        continue L\n      | Stop => A -> B : S\n";
    let file = SourceFile::new("t.tell", text);
    let (module, diags) = load(&file);
    assert!(diags.is_empty(), "{diags:?}");
    let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
    assert_eq!(
        lowered[0].global.to_string(),
        "rec L . rec L3 . A -> B : { M(unit) . L3, S(unit) . A -> B : { X(unit) . L } }"
    );
}
