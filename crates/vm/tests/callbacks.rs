//! Every callback of the `EffectHandler` table has a call site: one run
//! that exercises each, observed by a handler that records which fired.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use telltale_compiler::{CodeImage, Instr, LabelId, Value};
use telltale_types::{Label, LocalType, Role};
use telltale_vm::{
    AcquireDecision, AcquireInput, ChooseInput, Config, EffectHandler, InvokeInput,
    OutputConditionHint, OutputHintInput, ProtocolMachine, RecvInput, ReleaseInput, RunStatus,
    SendDecision, SendDecisionInput, TopologyEvent, TopologyInput,
};

/// Counts the calls of every callback; answers the fast path for label
/// `n` only, so both the cached and the asked path are taken.
#[derive(Default)]
struct Counting {
    calls: RefCell<BTreeMap<&'static str, usize>>,
}

impl Counting {
    fn hit(&self, callback: &'static str) {
        *self.calls.borrow_mut().entry(callback).or_default() += 1;
    }

    fn count(&self, callback: &str) -> usize {
        self.calls.borrow().get(callback).copied().unwrap_or(0)
    }
}

impl EffectHandler for Counting {
    fn handler_identity(&self) -> &str {
        self.hit("handler_identity");
        "counting"
    }

    fn send_decision_fast_path(
        &self,
        input: &SendDecisionInput<'_>,
    ) -> Option<Result<SendDecision, String>> {
        self.hit("send_decision_fast_path");
        let label = input.choices[0];
        (input.label_name(label) == "n").then(|| {
            Ok(SendDecision::Deliver {
                label,
                payload: Value::Unit,
            })
        })
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.hit("send_decision");
        // The default decision: the first choice, its payload from
        // `handle_send` since the program precomputed none.
        let label = input.choices[0];
        let payload = self.handle_send(input, label)?;
        Ok(SendDecision::Deliver { label, payload })
    }

    fn handle_send(
        &self,
        _input: &SendDecisionInput<'_>,
        _label: LabelId,
    ) -> Result<Value, String> {
        self.hit("handle_send");
        Ok(Value::Unit)
    }

    fn handle_recv(&self, _input: &RecvInput<'_>) -> Result<(), String> {
        self.hit("handle_recv");
        Ok(())
    }

    fn handle_choose(&self, _input: &ChooseInput<'_>) -> Result<LabelId, String> {
        self.hit("handle_choose");
        Err("no call site".into())
    }

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {
        self.hit("step");
        Ok(Value::Nat(u64::from(input.action)))
    }

    fn handle_acquire(&self, _input: &AcquireInput) -> Result<AcquireDecision, String> {
        self.hit("handle_acquire");
        Ok(AcquireDecision::Grant {
            evidence: Value::Nat(7),
        })
    }

    fn handle_release(&self, input: &ReleaseInput<'_>) -> Result<(), String> {
        self.hit("handle_release");
        match input.evidence {
            Value::Nat(7) => Ok(()),
            other => Err(format!("unknown evidence {other}")),
        }
    }

    fn topology_events(&self, _input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {
        self.hit("topology_events");
        Ok(Vec::new())
    }

    fn output_condition_hint(&self, _input: &OutputHintInput) -> Option<OutputConditionHint> {
        self.hit("output_condition_hint");
        Some(OutputConditionHint { tag: "seen".into() })
    }
}

/// `A -> B : m . A -> B : n . end`, with A's program opening on an
/// acquire, a release and an invoke.
fn machine() -> ProtocolMachine {
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send(
                "B",
                Label::unit("m"),
                LocalType::send("B", Label::unit("n"), LocalType::End),
            ),
        ),
        (
            Role::new("B"),
            LocalType::recv(
                "A",
                Label::unit("m"),
                LocalType::recv("A", Label::unit("n"), LocalType::End),
            ),
        ),
    ];
    let mut image = CodeImage::build(None, &locals).unwrap();
    let program = &mut image.roles[0].program;
    program.code.splice(
        0..0,
        [
            Instr::Acquire { layer: 1, dst: 1 },
            Instr::Release {
                layer: 1,
                evidence: 1,
            },
            Instr::Invoke { action: 5, dst: 2 },
        ],
    );
    program.register_count = program.register_count.max(3);
    let config = Config {
        host_contract_assertions: true,
        ..Config::default()
    };
    let mut m = ProtocolMachine::with_unverified_programs(image, config).unwrap();
    m.open_all_roles().unwrap();
    m
}

#[test]
fn every_callback_of_the_table_is_called_where_the_table_says() {
    let mut m = machine();
    let handler = Counting::default();
    assert_eq!(m.run(&handler, 1_000).unwrap(), RunStatus::AllDone);
    let a = m.coroutines_of(0)[0];
    assert_eq!(m.coroutine(a).unwrap().registers[2], Value::Nat(5));
    // Two sends: both consult the fast path; `n` is answered there, `m`
    // goes on to `send_decision`, which asks `handle_send` for a payload.
    assert_eq!(handler.count("send_decision_fast_path"), 2);
    assert_eq!(handler.count("send_decision"), 1);
    assert_eq!(handler.count("handle_send"), 1);
    assert_eq!(handler.count("handle_recv"), 2);
    assert_eq!(handler.count("step"), 1);
    assert_eq!(handler.count("handle_acquire"), 1);
    assert_eq!(handler.count("handle_release"), 1);
    // Once per round, and the identity is checked once per round too
    // (under `host_contract_assertions`).
    let rounds = handler.count("topology_events");
    assert!(rounds >= 4, "{rounds}");
    assert!(handler.count("handler_identity") >= 1);
    // Asked after each step that emitted an event.
    assert!(handler.count("output_condition_hint") >= 4);
    // A compatibility hook: the machine never calls it.
    assert_eq!(handler.count("handle_choose"), 0);
    assert_eq!(
        m.last_output_hint(),
        Some(&OutputConditionHint { tag: "seen".into() })
    );
}
