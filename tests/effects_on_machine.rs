//! Effects on the protocol machine, end to end: a `check` compiles to an
//! `Invoke` of its operation, a host handler implements the operation, the
//! outcome steers the performer's choice, bad outcomes fault only the
//! performer, and record/replay covers the outcomes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;
use telltale_compiler::LabelId;
use telltale_compiler::{CodeImage, Instr};
use telltale_lang::{load, lower_all, LowerOptions, LoweredProtocol, SourceFile};
use telltale_theory::projection::project_all;
use telltale_types::effects::{outcome, outcome_parts};
use telltale_types::Value;
use telltale_vm::{
    load_image_all_roles, EffectErrorCategory, EffectHandler, Fault, InvokeInput,
    ProtocolMachineError, RecordingEffectHandler, RecvInput, ReplayEffectHandler,
    SendDecisionInput, TraceText,
};
use telltale_vm::{Config, DefaultHandler};

fn lower(name: &str, text: &str) -> Vec<LoweredProtocol> {
    let file = SourceFile::new(name.to_string(), text.to_string());
    let (module, diagnostics) = load(&file);
    assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
    lower_all(&module, &LowerOptions::default()).unwrap()
}

fn image_of(protocol: &LoweredProtocol) -> CodeImage {
    let locals: Vec<_> = project_all(&protocol.global).unwrap().into_iter().collect();
    CodeImage::build_with_effects(Some(&protocol.global), &locals, &protocol.effects).unwrap()
}

fn ledger_text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/ledger_effects.tell");
    std::fs::read_to_string(path).unwrap()
}

fn ledger() -> CodeImage {
    image_of(&lower("ledger_effects.tell", &ledger_text())[0])
}

/// A host that implements `Ledger` for real: a bounded list of entries.
struct Ledger {
    capacity: usize,
    entries: RefCell<Vec<Value>>,
}

impl EffectHandler for Ledger {
    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let call = input.call.ok_or("ledger: not an effect call")?;
        assert_eq!(call.operation.effect, "Ledger");
        let mut entries = self.entries.borrow_mut();
        Ok(match call.operation.name.as_str() {
            "append" if entries.len() < self.capacity => {
                entries.push(call.argument.clone());
                outcome("Ok", Value::Nat(entries.len() as u64))
            }
            "append" => outcome("Err", Value::string("Full")),
            // The digest of a non-empty ledger: its length.
            "head" if entries.is_empty() => outcome("Nothing", Value::Unit),
            "head" => outcome("Just", Value::Nat(entries.len() as u64)),
            other => return Err(format!("ledger: unknown operation {other}")),
        })
    }
}

/// Runs an image to its end; the fault that stopped it, if any, with the
/// role of the faulted coroutine, and the text trace.
fn run_to_fault(
    image: CodeImage,
    handler: &dyn EffectHandler,
) -> (Option<(String, Fault)>, Vec<String>) {
    let mut machine = load_image_all_roles(image, Config::default()).unwrap();
    let fault = match machine.run(handler, 10_000) {
        Ok(_) => None,
        Err(ProtocolMachineError::Fault { coro, fault, .. }) => {
            let role = machine.coroutine(coro).unwrap().role;
            Some((machine.symbols().role_name(role), fault))
        }
        Err(other) => panic!("machine error {other}"),
    };
    let text = TraceText::of_machine(&machine);
    let lines = machine.trace_iter().map(|e| text.line(e)).collect();
    (fault, lines)
}

/// Runs an image that must end without a fault.
fn run(image: CodeImage, handler: &dyn EffectHandler) -> Vec<String> {
    let (fault, lines) = run_to_fault(image, handler);
    assert!(fault.is_none(), "{fault:?}\n{lines:#?}");
    lines
}

fn labels_sent(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.contains("Bank -> Client") || l.contains("Bank selects"))
        .cloned()
        .collect()
}

#[test]
fn only_the_performer_invokes_and_the_global_type_is_untouched() {
    let image = ledger();
    let invokes = |role: &str| {
        image
            .role(role)
            .unwrap()
            .program
            .code
            .iter()
            .filter(|i| matches!(i, Instr::Invoke { .. }))
            .count()
    };
    // `head` follows the `case` of `append`, so each branch performs it.
    assert_eq!(invokes("Bank"), 3);
    assert_eq!(invokes("Client"), 0);
    let ops: Vec<String> = image
        .effects
        .operations
        .iter()
        .map(|o| format!("{}.{}", o.effect, o.name))
        .collect();
    assert_eq!(ops, ["Ledger.append", "Ledger.head"]);
    // Changing an effect signature changes the effect table, not the type.
    let changed = ledger_text().replace(
        "head : Unit -> Maybe ledger.Digest",
        "head : Unit -> Maybe Nat",
    );
    let other = &lower("changed.tell", &changed)[0];
    let original = &lower("ledger_effects.tell", &ledger_text())[0];
    assert_eq!(
        other.global.content_id().unwrap(),
        original.global.content_id().unwrap()
    );
    assert_eq!(
        telltale_types::json::global_to_json(&other.global).unwrap(),
        telltale_types::json::global_to_json(&original.global).unwrap()
    );
    assert_ne!(other.effects, original.effects);
}

#[test]
fn a_host_ledger_decides_the_branches() {
    let roomy = Ledger {
        capacity: 4,
        entries: RefCell::new(Vec::new()),
    };
    let lines = run(ledger(), &roomy);
    let sent = labels_sent(&lines).join("\n");
    assert!(sent.contains("Receipt"), "{sent}");
    assert!(sent.contains("Head"), "{sent}");
    assert!(
        !sent.contains("Rejected") && !sent.contains("Empty"),
        "{sent}"
    );
    assert_eq!(roomy.entries.borrow().len(), 1);

    let full = Ledger {
        capacity: 0,
        entries: RefCell::new(Vec::new()),
    };
    let lines = run(ledger(), &full);
    let sent = labels_sent(&lines).join("\n");
    assert!(sent.contains("Rejected"), "{sent}");
    assert!(sent.contains("Empty"), "{sent}");
    assert!(!sent.contains("Receipt"), "{sent}");
}

/// A ledger host that sends, in each branch, the value the branch's pattern
/// binds (`Ok(receipt)` => the `Receipt` carries `receipt`), and records
/// what the client receives.
struct BindingLedger {
    ledger: Ledger,
    received: RefCell<Vec<(String, Value)>>,
}

impl EffectHandler for BindingLedger {
    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        self.ledger.step(input)
    }

    fn handle_send(&self, input: &SendDecisionInput<'_>, _label: LabelId) -> Result<Value, String> {
        let bound = input.outcome.and_then(outcome_parts).map(|(_, v)| v);
        Ok(bound.cloned().unwrap_or(Value::Unit))
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        if input.role_name(input.ctx.role) == "Client" {
            let label = input.label_name(input.label).to_string();
            self.received
                .borrow_mut()
                .push((label, input.payload.clone()));
        }
        Ok(())
    }
}

#[test]
fn a_branch_sends_the_value_its_pattern_binds() {
    let host = BindingLedger {
        ledger: Ledger {
            capacity: 4,
            entries: RefCell::new(Vec::new()),
        },
        received: RefCell::new(Vec::new()),
    };
    run(ledger(), &host);
    // `append` answered `Ok(1)` (the receipt), then `head` `Just(1)`.
    assert_eq!(
        *host.received.borrow(),
        [
            ("Receipt".to_string(), Value::Nat(1)),
            ("Head".to_string(), Value::Nat(1))
        ]
    );
}

#[test]
fn the_default_handler_sends_the_bound_value_when_its_sort_fits() {
    let image = ledger();
    let script =
        telltale_vm::EffectScript::parse(&["Ledger.append=Ok(r7)", "Ledger.head=Just(d9)"])
            .unwrap();
    let handler = DefaultHandler::new(3).with_effect_script(script);
    let mut machine = load_image_all_roles(image, Config::default()).unwrap();
    machine.run(&handler, 10_000).unwrap();
    let payloads: Vec<String> = machine
        .trace_iter()
        .filter_map(|e| match e {
            telltale_vm::ObsEvent::Offered(m) => Some(m.payload.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(payloads, ["\"r7\"", "\"d9\""]);
}

/// A ledger host whose client sends `Transfer {entry: 42, memo: "rent"}`.
struct FieldSender(Ledger);

impl EffectHandler for FieldSender {
    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        self.0.step(input)
    }

    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        Ok(match input.label_name(label) {
            "Transfer" => Value::record([
                ("entry".to_string(), Value::Nat(42)),
                ("memo".to_string(), Value::string("rent")),
            ]),
            _ => Value::Unit,
        })
    }
}

#[test]
fn the_argument_is_the_received_field_the_call_names() {
    let with_fields = ledger_text().replace(
        "Transfer of ledger.Entry",
        "Transfer { entry : ledger.Entry, memo : String }",
    );
    let run_with = |text: &str| {
        let host = FieldSender(Ledger {
            capacity: 4,
            entries: RefCell::new(Vec::new()),
        });
        run(image_of(&lower("fields.tell", text)[0]), &host);
        host.0.entries.into_inner()
    };
    // `check Ledger.append(entry)` names the field `entry` of `Transfer`.
    assert_eq!(run_with(&with_fields), [Value::Nat(42)]);
    // A name no receive binds gets the payload received last.
    let unnamed = with_fields.replace("append(entry)", "append(item)");
    let whole = run_with(&unnamed);
    assert_eq!(whole.len(), 1);
    assert!(matches!(whole[0], Value::Record(_)), "{whole:?}");
}

#[test]
fn an_effect_signature_changes_the_protocol_id_not_the_content_id() {
    let changed = ledger_text().replace(
        "append : ledger.Entry -> Result LedgerError ledger.Receipt",
        "append : ledger.Entry -> Result LedgerError Nat",
    );
    let other = &lower("changed.tell", &changed)[0];
    let original = &lower("ledger_effects.tell", &ledger_text())[0];
    assert_eq!(
        other.global.content_id().unwrap(),
        original.global.content_id().unwrap()
    );
    assert_ne!(
        other.protocol_id().unwrap(),
        original.protocol_id().unwrap()
    );
    assert_ne!(
        original.protocol_id().unwrap(),
        original.global.content_id().unwrap()
    );
    // A protocol that performs no effect keeps its content id.
    let plain = &lower(
        "plain.tell",
        "protocol P =\n  roles A, B\n  A -> B : Ping\n",
    )[0];
    assert_eq!(
        plain.protocol_id().unwrap(),
        plain.global.content_id().unwrap()
    );
}

/// Answers every effect call with a fixed value (or error).
struct Fixed(Result<Value, String>);

impl EffectHandler for Fixed {
    fn step(&self, _input: &InvokeInput<'_>) -> Result<Value, String> {
        self.0.clone()
    }
}

fn contract_fault_of_bank(handler: &dyn EffectHandler, image: CodeImage, words: &str) {
    let (fault, lines) = run_to_fault(image, handler);
    let (role, fault) = fault.expect("a fault");
    assert_eq!(role, "Bank");
    match &fault {
        Fault::Handler {
            callback, error, ..
        } => {
            assert_eq!(callback, "step");
            assert_eq!(error.category, EffectErrorCategory::Contract, "{error}");
            assert!(error.message.contains(words), "{error}");
        }
        other => panic!("unexpected fault {other}"),
    }
    // No branch was taken on the bad outcome.
    let sent = labels_sent(&lines).join("\n");
    assert!(
        !sent.contains("Receipt") && !sent.contains("Rejected"),
        "{sent}"
    );
}

#[test]
fn an_undeclared_constructor_faults_the_performer_not_a_branch() {
    contract_fault_of_bank(
        &Fixed(Ok(outcome("Just", Value::Unit))),
        ledger(),
        "`Just` is not one of its outcomes",
    );
    contract_fault_of_bank(&Fixed(Ok(Value::Nat(1))), ledger(), "is not an outcome");
}

#[test]
fn a_payload_of_the_wrong_sort_faults_the_performer() {
    let text = "effect Counter\n  next : Unit -> Maybe Nat\n\nprotocol Count uses Counter =\n  roles Client, Bank\n  Client -> Bank : Ask\n  let n = check Counter.next() at Bank\n  case n of\n    | Just(v) =>\n      Bank -> Client : Receipt\n    | Nothing =>\n      Bank -> Client : Rejected\n";
    let image = image_of(&lower("count.tell", text)[0]);
    contract_fault_of_bank(
        &Fixed(Ok(outcome("Just", Value::string("seven")))),
        image.clone(),
        "payload of `Just`",
    );
    let lines = run(image, &Fixed(Ok(outcome("Just", Value::Nat(7)))));
    assert!(labels_sent(&lines).join("\n").contains("Receipt"));
}

#[test]
fn an_error_from_step_faults_only_the_performer() {
    let (fault, _) = run_to_fault(ledger(), &Fixed(Err("disk on fire".into())));
    let (role, fault) = fault.expect("a fault");
    assert_eq!(role, "Bank");
    assert!(fault.to_string().contains("disk on fire"), "{fault}");
}

#[test]
fn a_recorded_run_replays_identically_with_a_handler_that_answers_otherwise() {
    let roomy = Ledger {
        capacity: 4,
        entries: RefCell::new(Vec::new()),
    };
    let recorder = RecordingEffectHandler::new(&roomy);
    let recorded = run(ledger(), &recorder);
    let trace: Arc<[_]> = Arc::from(recorder.into_trace());
    // This handler would reject the append and report an empty ledger.
    let full = Ledger {
        capacity: 0,
        entries: RefCell::new(Vec::new()),
    };
    let replay = ReplayEffectHandler::with_fallback(trace, &full);
    let replayed = run(ledger(), &replay);
    assert_eq!(recorded, replayed);
    assert!(replay.is_exhausted());
    assert!(labels_sent(&replayed).join("\n").contains("Receipt"));
    assert!(full.entries.borrow().is_empty());
}

#[test]
fn the_default_handler_answers_effect_calls_with_seeded_declared_outcomes() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..16 {
        let lines = run(ledger(), &DefaultHandler::new(seed));
        let again = run(ledger(), &DefaultHandler::new(seed));
        assert_eq!(lines, again, "seed {seed}");
        seen.insert(labels_sent(&lines).join("|"));
    }
    assert!(
        seen.len() > 1,
        "every seed took the same branches: {seen:?}"
    );
}

#[test]
fn the_text_trace_shows_effect_calls_with_their_outcomes() {
    let ledger_host = Ledger {
        capacity: 1,
        entries: RefCell::new(Vec::new()),
    };
    let lines = run(ledger(), &ledger_host);
    let checks: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains(" checks "))
        .map(|l| l.split_once(' ').unwrap().1)
        .collect();
    assert_eq!(
        checks,
        [
            "Bank checks Ledger.append(entry) -> Ok(1)",
            "Bank checks Ledger.head() -> Just(1)",
        ],
        "{lines:#?}"
    );
}

/// Two checks with the same outcomes in sequence, announced by branch name
/// (the branches do not start with the performer's message), and a `case`
/// with a wildcard.
const SEQUENCE: &str = "type Verdict = | Yes | No | Unsure

effect Store
  put : Unit -> Result Nat Nat
  take : Unit -> Result Nat Nat
  vote : Unit -> Verdict

protocol Twice uses Store =
  roles A, B, C
  A -> B : Go
  let first = check Store.put() at B
  case first of
    | Ok(n) =>
      B -> C : Stored
      C -> A : Ack
    | Err(e) =>
      C -> A : Nack
  let second = check Store.take() at B
  case second of
    | Ok(n) =>
      B -> C : Taken
      C -> A : Ack2
    | Err(e) =>
      C -> A : Nack2
  let v = check Store.vote() at B
  case v of
    | Yes => B -> A : Agree
    | _ => B -> A : Disagree
";

/// Answers each operation from a fixed table and logs the calls.
struct Table {
    answers: Vec<(&'static str, Value)>,
    calls: RefCell<Vec<String>>,
}

impl EffectHandler for Table {
    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let call = input.call.ok_or("not an effect call")?;
        let name = format!("{}.{}", call.operation.effect, call.operation.name);
        self.calls.borrow_mut().push(name.clone());
        let (_, answer) = self
            .answers
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or("unanswered")?;
        Ok(answer.clone())
    }
}

#[test]
fn checks_with_the_same_outcomes_in_sequence_are_told_apart() {
    let image = image_of(&lower("twice.tell", SEQUENCE)[0]);
    let host = Table {
        answers: vec![
            ("Store.put", outcome("Ok", Value::Nat(1))),
            ("Store.take", outcome("Err", Value::Nat(2))),
            ("Store.vote", outcome("Unsure", Value::Unit)),
        ],
        calls: RefCell::new(Vec::new()),
    };
    let lines = run(image, &host).join("\n");
    assert_eq!(
        *host.calls.borrow(),
        ["Store.put", "Store.take", "Store.vote"]
    );
    for expected in [
        "B checks Store.put() -> Ok(1)",
        "B selects Ok for A",
        "C -> A : Ack\n",
        "B checks Store.take() -> Err(2)",
        "B selects Err for A",
        "C -> A : Nack2",
        "B checks Store.vote() -> Unsure",
        "B selects Disagree for A",
    ] {
        assert!(lines.contains(expected), "no `{expected}` in\n{lines}");
    }
}

#[test]
fn an_image_whose_effects_were_edited_is_refused() {
    let image = ledger();
    assert!(image.validate().is_ok());
    let mut dropped = image.clone();
    dropped.effects = Default::default();
    assert!(dropped.validate().is_err(), "effects removed");
    let mut swapped = image.clone();
    swapped.effects.sites.swap(0, 1);
    assert!(swapped.validate().is_err(), "sites swapped");
    let bytes = image.to_bytes().unwrap();
    assert_eq!(CodeImage::from_bytes(&bytes).unwrap(), image);
}

/// A prover host that fails every proof; payloads and other choices come
/// from the built-in handler.
struct FailingProver {
    calls: RefCell<u64>,
    inner: DefaultHandler,
}

impl EffectHandler for FailingProver {
    fn send_decision(
        &self,
        input: &telltale_vm::SendDecisionInput<'_>,
    ) -> Result<telltale_vm::SendDecision, String> {
        self.inner.send_decision(input)
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let call = input.call.ok_or("not an effect call")?;
        assert_eq!(
            (call.operation.effect.as_str(), call.operation.name.as_str()),
            ("Prover", "prove")
        );
        *self.calls.borrow_mut() += 1;
        Ok(outcome("Err", Value::string("no witness")))
    }
}

#[test]
fn the_consensus_leader_reports_a_failed_proof_to_every_prover() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/consensus.tell");
    let file = SourceFile::new("consensus.tell", std::fs::read_to_string(path).unwrap());
    let (module, diagnostics) = load(&file);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let protocol = lower_all(&module, &LowerOptions::with_params([("N", 3)]))
        .unwrap()
        .remove(0);
    let host = FailingProver {
        calls: RefCell::new(0),
        inner: DefaultHandler::new(0),
    };
    let lines = run(image_of(&protocol), &host).join("\n");
    assert!(*host.calls.borrow() >= 1);
    assert!(
        lines.contains("Leader checks Prover.prove(collected) -> Err"),
        "{lines}"
    );
    for prover in ["Provers0", "Provers1", "Provers2"] {
        assert!(
            lines.contains(&format!("{prover} follows ProofFailed")),
            "{prover}: {lines}"
        );
    }
    assert!(!lines.contains("Proposal"), "{lines}");
}
