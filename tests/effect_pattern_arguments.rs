//! A name a `case` pattern binds (`Ok(receipt)`) is the argument of a later
//! call in that branch: the host gets the payload of the outcome.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use telltale_compiler::CodeImage;
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_theory::projection::project_all;
use telltale_types::effects::outcome;
use telltale_types::Value;
use telltale_vm::{
    load_image_all_roles, Config, EffectHandler, InvokeInput, LabelId, RunStatus, SendDecisionInput,
};

const CONFIRMED: &str = "\
type LedgerError = | Full

effect Ledger
  append : Int -> Result LedgerError Int
  confirm : Int -> Bool

protocol Transfer uses Ledger =
  roles Client, Bank
  Client -> Bank : Transfer of Int
  let appended = check Ledger.append(entry)
  case appended of
    | Ok(receipt) =>
      Bank -> Client : Receipt of Int
      let confirmed = check Ledger.confirm(receipt) at Bank
      case confirmed of
        | True =>
          Bank -> Client : Done
        | False =>
          Bank -> Client : Undone
    | Err(e) =>
      Bank -> Client : Rejected
";

/// Appends with receipt 41 and records what `confirm` is asked about.
#[derive(Default)]
struct Ledger {
    confirmed: RefCell<Vec<Value>>,
}

impl EffectHandler for Ledger {
    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        Ok(match input.label_name(label) {
            "Transfer" | "Receipt" => Value::Int(5),
            _ => Value::Unit,
        })
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        let call = input.call.ok_or("not an effect call")?;
        Ok(match call.operation.name.as_str() {
            "append" => outcome("Ok", Value::Int(41)),
            _ => {
                self.confirmed.borrow_mut().push(call.argument.clone());
                outcome("True", Value::Unit)
            }
        })
    }
}

#[test]
fn a_pattern_bound_name_is_the_argument_of_a_later_call() {
    let file = SourceFile::new("confirmed.tell", CONFIRMED);
    let (module, diagnostics) = load(&file);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let protocol = lower_all(&module, &LowerOptions::default())
        .unwrap()
        .remove(0);
    let site = &protocol.effects.sites[0];
    assert_eq!(
        site.binders,
        vec![
            ("Ok".to_string(), "receipt".to_string()),
            ("Err".to_string(), "e".to_string())
        ]
    );
    let locals: Vec<_> = project_all(&protocol.global).unwrap().into_iter().collect();
    let image =
        CodeImage::build_with_effects(Some(&protocol.global), &locals, &protocol.effects).unwrap();
    let mut machine = load_image_all_roles(image, Config::default()).unwrap();
    let ledger = Ledger::default();
    assert_eq!(machine.run(&ledger, 10_000), Ok(RunStatus::AllDone));
    assert_eq!(*ledger.confirmed.borrow(), vec![Value::Int(41)]);
}
