//! The host harness: `SimulationHarness` over a `HostAdapter`, and each
//! contract of `assert_contracts`.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use telltale_compiler::Value;
use telltale_simulator::harness::{
    assert_contracts, ContractCheckConfig, DirectAdapter, HarnessResult, HarnessSpec, HostAdapter,
    SimulationHarness,
};
use telltale_simulator::Plan;
use telltale_types::{GlobalType, LocalType, Role};
use telltale_vm::{DefaultHandler, EffectHandler, RecvInput, SendDecision, SendDecisionInput};

/// The global and local types of an example protocol.
fn protocol(file: &str) -> (GlobalType, Vec<(Role, LocalType)>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let source = telltale_lang::SourceFile::new(file, text);
    let (module, diags) = telltale_lang::load(&source);
    assert!(diags.is_empty());
    let lowered = telltale_lang::lower_all(&module, &Default::default()).unwrap();
    let global = lowered[0].global.clone();
    let locals = telltale_theory::project_all(&global)
        .unwrap()
        .into_iter()
        .collect();
    (global, locals)
}

fn spec(file: &str, scenario: &str) -> HarnessSpec {
    let (global, locals) = protocol(file);
    let text = format!("name = \"h\"\nprotocol = \"(given)\"\n{scenario}");
    HarnessSpec {
        global: Some(global),
        locals,
        scenario: Plan::parse("h.toml", &text).unwrap(),
        initial_states: BTreeMap::new(),
    }
}

#[test]
fn a_faulty_run_replays_to_the_same_trace() {
    let handler = DefaultHandler::new(11);
    let adapter = DirectAdapter::new(&handler);
    let harness = SimulationHarness::new(&adapter);
    let spec = spec(
        "token_ring.tell",
        "steps = 300\nseed = 4\n[network]\nbase_latency_ticks = 2\nlatency_variance = \"0.5\"\n\
         [[events]]\ntrigger = { at_tick = 20 }\n\
         action = { type = \"network_partition\", a = [\"Node0\"], b = [\"Node1\"], duration_ticks = 30 }\n\
         [[events]]\ntrigger = { at_tick = 90 }\naction = { type = \"node_pause\", role = \"Node2\", duration_ticks = 25 }\n\
         [properties]\ninvariants = [\"no_faults\", \"liveness(60)\"]\n",
    );
    let result = harness.run(&spec).unwrap();
    assert_contracts(&result, &ContractCheckConfig::default()).unwrap();
    assert!(result.outcome.report.network.held > 0);
}

#[test]
fn a_crash_with_a_timeout_branch_replays_too() {
    let handler = DefaultHandler::new(2);
    let adapter = DirectAdapter::new(&handler);
    let spec = spec(
        "lease.tell",
        "[network]\nbase_latency_ticks = 3\n[[events]]\ntrigger = { on_event = \"send:Holder\" }\n\
         action = { type = \"node_crash\", role = \"Holder\", peer_timeout_ticks = 10 }\n",
    );
    let result = SimulationHarness::new(&adapter).run(&spec).unwrap();
    let config = ContractCheckConfig {
        expected_roles: vec!["Keeper".into(), "Auditor".into()],
        ..ContractCheckConfig::default()
    };
    assert_contracts(&result, &config).unwrap();
    // The holder made one step before it crashed; a role that never moved
    // would fail coverage.
    let strict = ContractCheckConfig {
        min_rounds: 1_000,
        ..ContractCheckConfig::default()
    };
    let failures = assert_contracts(&result, &strict).unwrap_err();
    assert_eq!(failures.0.len(), 1, "{failures}");
    assert!(failures.0[0].starts_with("minimum rounds"), "{failures}");
}

/// A host that refuses every receive after its `limit`-th: unless
/// `prepare` resets its count, the replay sees different outcomes.
struct Tired {
    sends: DefaultHandler,
    seen: Cell<u32>,
    limit: u32,
    resets: bool,
}

impl EffectHandler for Tired {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.sends.send_decision(input)
    }

    fn handle_recv(&self, _input: &RecvInput<'_>) -> Result<(), String> {
        self.seen.set(self.seen.get() + 1);
        if self.seen.get() > self.limit {
            Err("too tired".into())
        } else {
            Ok(())
        }
    }
}

impl HostAdapter for Tired {
    fn effect_handler(&self) -> &dyn EffectHandler {
        self
    }

    fn prepare(&self, initial: &BTreeMap<String, Value>) {
        if self.resets {
            let start = match initial.get("seen") {
                Some(Value::Nat(n)) => *n as u32,
                _ => 0,
            };
            self.seen.set(start);
        }
    }

    fn validate(&self, result: &HarnessResult) -> Result<(), String> {
        if result.outcome.report.status == "all_done" {
            Ok(())
        } else {
            Err(format!("ended {}", result.outcome.report.status))
        }
    }
}

#[test]
fn replay_coherence_catches_host_state_that_leaks_between_runs() {
    let spec = spec("three_buyer.tell", "seed = 1\n");
    let host = |resets| Tired {
        sends: DefaultHandler::new(3),
        seen: Cell::new(0),
        limit: 7,
        resets,
    };
    let clean = host(true);
    let result = SimulationHarness::new(&clean).run(&spec).unwrap();
    assert_contracts(&result, &ContractCheckConfig::default()).unwrap();
    let leaky = host(false);
    let result = SimulationHarness::new(&leaky).run(&spec).unwrap();
    let failures = assert_contracts(&result, &ContractCheckConfig::default()).unwrap_err();
    assert!(
        failures.0.iter().any(|f| f.starts_with("replay coherence")),
        "{failures}"
    );
}

#[test]
fn property_violations_and_host_validation_are_contract_failures() {
    // The host starts tired: the first receive fails, a fault.
    let spec = HarnessSpec {
        initial_states: BTreeMap::from([("seen".to_string(), Value::Nat(7))]),
        ..spec(
            "three_buyer.tell",
            "[properties]\ninvariants = [\"no_faults\"]\n",
        )
    };
    let host = Tired {
        sends: DefaultHandler::new(3),
        seen: Cell::new(0),
        limit: 7,
        resets: true,
    };
    let result = SimulationHarness::new(&host).run(&spec).unwrap();
    let failures = assert_contracts(&result, &ContractCheckConfig::default()).unwrap_err();
    let text = failures.to_string();
    assert!(
        text.contains("property no_faults violated at tick 3 by Seller"),
        "{text}"
    );
    assert!(
        text.contains("role coverage: Seller made no progress"),
        "{text}"
    );
    assert!(text.contains("host validation: ended stuck"), "{text}");
    let lenient = ContractCheckConfig {
        no_violations: false,
        replay_coherence: false,
        expected_roles: vec!["Alice".into()],
        min_rounds: 0,
    };
    let failures = assert_contracts(&result, &lenient).unwrap_err();
    assert_eq!(failures.0, ["host validation: ended stuck"]);
}
