//! Bundled hosts: `[handler] kind = "host"` runs a registered factory's
//! host (observations and all), replays it with a fresh one, gives its
//! other story to `equivocate` roles, and refuses what it cannot run.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use telltale_compiler::{LabelId, Value};
use telltale_simulator::equivocator::Equivocator;
use telltale_simulator::protocol::load_protocol;
use telltale_simulator::{BundledHost, HostRegistry, HostRequest, ObservationLog, Plan};
use telltale_vm::{DefaultHandler, EffectHandler, RecvInput, SendDecision, SendDecisionInput};

/// Sends what the built-in handler sends, observes every receipt's
/// payload under `got`, and tells odd peers 4242.
struct Echo {
    sends: DefaultHandler,
    log: ObservationLog,
}

impl EffectHandler for Echo {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.sends.send_decision(input)
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        self.log.observe(&input.ctx, "got", input.payload);
        Ok(())
    }
}

impl Equivocator for Echo {
    fn other_story(&self, _: &SendDecisionInput<'_>, _: LabelId, _: &Value) -> Option<Value> {
        Some(Value::Int(4242))
    }
}

impl BundledHost for Echo {
    fn handler(&self) -> &dyn EffectHandler {
        self
    }
    fn observations(&self) -> Option<&ObservationLog> {
        Some(&self.log)
    }
    fn equivocator(&self) -> Option<&dyn Equivocator> {
        Some(self)
    }
}

fn echo(request: &HostRequest<'_>) -> Result<Box<dyn BundledHost>, String> {
    if let Some(bad) = request.options.keys().find(|k| *k != "seed") {
        return Err(format!("unknown option `{bad}`"));
    }
    Ok(Box::new(Echo {
        sends: DefaultHandler::new(request.seed),
        log: ObservationLog::new(),
    }))
}

fn registry() -> HostRegistry {
    let mut hosts = HostRegistry::new();
    hosts.register("echo", echo);
    hosts
}

fn plan(extra: &str) -> Result<Plan, String> {
    let text = format!("name = \"echo\"\nprotocol = \"three_buyer.tell\"\nseed = 3\n{extra}");
    Plan::parse("echo.toml", &text).map_err(|e| e.to_string())
}

fn image() -> telltale_compiler::CodeImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/three_buyer.tell");
    load_protocol(&path, &Default::default()).unwrap()
}

#[test]
fn a_bundled_host_runs_observes_and_replays() {
    let plan = plan(
        "[handler]\nkind = \"host\"\nname = \"echo\"\n\
         [properties]\ninvariants = [\"no_faults\", \"eventually(got, 1000)\"]\n",
    )
    .unwrap();
    let outcome = registry().run_plan(&plan, &image(), 3).unwrap();
    assert!(outcome.report.passed, "{:?}", outcome.report);
    assert!(outcome
        .trace
        .lines()
        .iter()
        .any(|l| l.contains("observed got")));
    assert_eq!(outcome.report.contracts[0].contract, "replay_coherence");
    assert!(outcome.report.contracts[0].holds);
}

#[test]
fn an_equivocating_role_tells_the_hosts_other_story() {
    let plan = plan(
        "[handler]\nkind = \"host\"\nname = \"echo\"\n\
         [[byzantine]]\nrole = \"Seller\"\nstrategy = \"equivocate\"\n",
    )
    .unwrap();
    let outcome = registry().run_plan(&plan, &image(), 3).unwrap();
    assert!(
        outcome
            .trace
            .lines()
            .iter()
            .any(|l| l.contains("Bob observed got = 4242")),
        "{:#?}",
        outcome.trace.lines()
    );
    assert!(
        outcome.report.contracts[0].holds,
        "{:?}",
        outcome.report.contracts
    );
}

#[test]
fn host_scenarios_are_refused_where_they_cannot_run() {
    let needs_name = plan("[handler]\nkind = \"host\"\n").unwrap_err();
    assert!(needs_name.contains("handler.name"), "{needs_name}");
    let name_without_kind = plan("[handler]\nname = \"echo\"\n").unwrap_err();
    assert!(
        name_without_kind.contains("needs `kind = \"host\"`"),
        "{name_without_kind}"
    );
    let options_without_host = plan("[handler]\noptions = { a = \"1\" }\n").unwrap_err();
    assert!(
        options_without_host.contains("handler.options"),
        "{options_without_host}"
    );

    let unknown = plan("[handler]\nkind = \"host\"\nname = \"nope\"\n").unwrap();
    let err = registry()
        .run_plan(&unknown, &image(), 0)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("no bundled host `nope` (known: echo)"),
        "{err}"
    );
    let err = HostRegistry::new()
        .run_plan(&unknown, &image(), 0)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("tell sim"), "{err}");
    let bad_option =
        plan("[handler]\nkind = \"host\"\nname = \"echo\"\noptions = { color = \"red\" }\n")
            .unwrap();
    let err = registry()
        .run_plan(&bad_option, &image(), 0)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("unknown option `color`"), "{err}");
}
