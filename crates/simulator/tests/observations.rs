//! Observation properties over a host handler's `observe(key, value)`.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use telltale_compiler::Value;
use telltale_simulator::protocol::load_protocol;
use telltale_simulator::{simulate_with_host, ObservationLog, Plan, Report, SimError};
use telltale_vm::{DefaultHandler, EffectHandler, RecvInput, SendDecision, SendDecisionInput};

/// A host that sends what the built-in handler sends and observes, at
/// every receive, `key` = what `value` says.
struct Observer {
    sends: DefaultHandler,
    log: ObservationLog,
    key: &'static str,
    value: fn(&RecvInput<'_>) -> Value,
}

impl EffectHandler for Observer {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        self.sends.send_decision(input)
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        self.log.observe(&input.ctx, self.key, &(self.value)(input));
        Ok(())
    }
}

/// Runs three-buyer with the observer and these properties.
fn run(key: &'static str, value: fn(&RecvInput<'_>) -> Value, extra: &str) -> Report {
    try_run(key, value, extra).unwrap()
}

fn try_run(
    key: &'static str,
    value: fn(&RecvInput<'_>) -> Value,
    extra: &str,
) -> Result<Report, SimError> {
    let text = format!("name = \"obs\"\nprotocol = \"three_buyer.tell\"\nseed = 3\n{extra}");
    let plan = Plan::parse("obs.toml", &text).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let image = load_protocol(&examples.join("three_buyer.tell"), &plan.params).unwrap();
    let log = ObservationLog::new();
    let host = Observer {
        sends: DefaultHandler::new(5),
        log: log.clone(),
        key,
        value,
    };
    let outcome = simulate_with_host(&plan, image, plan.seed, &host, Some(&log))?;
    assert!(!log.is_empty());
    assert!(outcome
        .trace
        .lines()
        .iter()
        .any(|l| l.contains("\"observe\"")));
    Ok(outcome.report)
}

fn same(_: &RecvInput<'_>) -> Value {
    Value::Int(1)
}

fn label(input: &RecvInput<'_>) -> Value {
    Value::String(input.label_name(input.label).into())
}

#[test]
fn agreement_holds_when_every_role_observes_the_same_value() {
    let r = run(
        "seen",
        same,
        "[properties]\ninvariants = [\"agreement(seen)\"]\n",
    );
    assert!(r.passed, "{:#?}", r.violations);
}

#[test]
fn agreement_fails_at_the_first_different_value_with_its_role_and_tick() {
    let r = run(
        "label",
        label,
        "[properties]\ninvariants = [\"agreement(label)\"]\n",
    );
    assert!(!r.passed);
    let v = &r.violations[0];
    assert!(v.event.contains("but Seller observed \"Title\""), "{v:?}");
    assert_ne!(v.role.as_deref(), Some("Seller"));
    assert!(v.tick > 0);
}

fn own_name(input: &RecvInput<'_>) -> Value {
    Value::String(input.role_name(input.ctx.role).into())
}

#[test]
fn honest_roles_limit_whose_observations_count() {
    // Each role observes its own name: all roles disagree, one agrees with
    // itself.
    let all = run(
        "me",
        own_name,
        "[properties]\ninvariants = [\"agreement(me)\"]\n",
    );
    assert!(!all.passed);
    let alice = run(
        "me",
        own_name,
        "[properties]\ninvariants = [\"agreement(me)\"]\nhonest = [\"Alice\"]\n",
    );
    assert!(alice.passed, "{:#?}", alice.violations);
}

#[test]
fn validity_never_and_eventually_judge_each_observation() {
    let r = run(
        "label",
        label,
        "[properties]\ninvariants = [\"validity(label, [\\\"Title\\\", \\\"Quote\\\", \\\"Share\\\"])\", \"never(label)\", \"eventually(label, 1000)\", \"eventually(other, 5)\"]\n",
    );
    let holds: Vec<(String, bool)> = r
        .properties
        .iter()
        .map(|p| (p.property.clone(), p.holds))
        .collect();
    // Three-buyer goes on past Share (Accept or Decline, ...).
    assert!(!holds[0].1, "{holds:?}");
    assert!(!holds[1].1, "{holds:?}");
    assert!(holds[2].1, "{holds:?}");
    assert!(!holds[3].1, "{holds:?}");
    let late = r
        .violations
        .iter()
        .find(|v| v.property == "eventually(other, 5)")
        .unwrap();
    assert_eq!(late.tick, 5);
    assert!(late.event.contains("within 5 ticks"));
    let first_never = r
        .violations
        .iter()
        .find(|v| v.property == "never(label)")
        .unwrap();
    assert!(
        first_never.event.contains("observed label ="),
        "{first_never:?}"
    );
}

#[test]
fn a_host_run_refuses_a_built_in_handler_choice() {
    let e = try_run("seen", same, "[handler]\nkind = \"scripted\"\n").unwrap_err();
    assert!(e.to_string().contains("host's own handler"), "{e}");
}

#[test]
fn host_predicates_in_rust_are_checked_each_round_and_reported_once() {
    use telltale_simulator::host_predicate::{HostPredicate, PredicateViolation};
    use telltale_simulator::simulate_with_host_checked;
    let plan = Plan::parse(
        "obs.toml",
        "name = \"obs\"\nprotocol = \"three_buyer.tell\"\nseed = 3\n",
    )
    .unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let image = load_protocol(&examples.join("three_buyer.tell"), &plan.params).unwrap();
    let run = |predicates: &[HostPredicate]| {
        let log = ObservationLog::new();
        let host = Observer {
            sends: DefaultHandler::new(5),
            log: log.clone(),
            key: "heard",
            value: label,
        };
        simulate_with_host_checked(&plan, image.clone(), 3, &host, Some(&log), predicates)
            .unwrap()
            .report
    };
    let predicates = [
        // Holds: every observation names a label.
        HostPredicate::new("labels_only", |view| {
            match view.observations.iter().find(|o| o.value.is_empty()) {
                Some(o) => Err(PredicateViolation::by(o.role, "empty")),
                None => Ok(()),
            }
        }),
        // Breaks at the second receive, and is reported once.
        HostPredicate::new("at_most_one_receive", |view| {
            match view.observations.get(1) {
                Some(o) => Err(PredicateViolation::by(
                    o.role,
                    format!("{} heard {}", view.roles[usize::from(o.role)], o.value),
                )),
                None => Ok(()),
            }
        }),
    ];
    let report = run(&predicates);
    let holds = |name: &str| {
        report
            .properties
            .iter()
            .find(|p| p.property == name)
            .unwrap()
            .holds
    };
    assert!(holds("labels_only"));
    assert!(!holds("at_most_one_receive"));
    assert_eq!(report.violations.len(), 1, "{:?}", report.violations);
    let v = &report.violations[0];
    assert_eq!(v.property, "at_most_one_receive");
    assert!(
        v.role.is_some() && v.tick > 0 && v.event.contains("heard"),
        "{v:?}"
    );
    assert!(!report.passed);
    // Without predicates the same run passes.
    assert!(run(&[]).passed);
}
