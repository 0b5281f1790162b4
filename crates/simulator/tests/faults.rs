//! Each fault verb, trigger and budget, observed through the report.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use telltale_simulator::{run_scenario_text, Report, RunOptions};

/// A scenario path beside the bundled examples (the file need not exist:
/// only its directory anchors the protocol path).
fn beside_examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/test.toml")
}

fn run(text: &str) -> Report {
    run_scenario_text(text, &beside_examples(), &RunOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
        .report
}

/// A scenario over a protocol written for the test: `A` sends `B` three
/// integers.
fn run_burst(body: &str) -> (Report, Vec<String>) {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sim-faults-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("burst.tell"),
        "protocol Burst =\n  roles A, B\n  A -> B : M1 of Int\n  A -> B : M2 of Int\n  A -> B : M3 of Int\n",
    )
    .unwrap();
    let text = format!("name = \"burst\"\nprotocol = \"burst.tell\"\nsteps = 200\n{body}");
    let outcome = run_scenario_text(&text, &dir.join("s.toml"), &RunOptions::default());
    std::fs::remove_dir_all(&dir).unwrap();
    let outcome = outcome.unwrap();
    (outcome.report, outcome.trace.lines().to_vec())
}

#[test]
fn latency_holds_each_message_for_its_ticks() {
    let (r, trace) = run_burst("[network]\nbase_latency_ticks = 5\n");
    assert_eq!(r.status, "all_done");
    assert_eq!(r.network.delivered, 3);
    let first = trace.iter().find(|l| l.contains("\"deliver\"")).unwrap();
    assert!(first.starts_with("{\"tick\":6,"), "{first}");
}

#[test]
fn a_reordered_message_overtakes_and_the_receiver_notices() {
    let (r, trace) = run_burst(
        "[network]\nbase_latency_ticks = 5\n\
         [[events]]\ntrigger = { on_event = \"send:A\" }\n\
         action = { type = \"message_reorder\", from = \"A\", to = \"B\" }\n\
         [properties]\ninvariants = [\"no_faults\"]\n",
    );
    assert_eq!(r.network.reordered, 1);
    let delivered: Vec<&String> = trace.iter().filter(|l| l.contains("\"deliver\"")).collect();
    assert!(delivered[0].contains("M2 (seq 1)"), "{delivered:#?}");
    assert_eq!(r.violations.len(), 1, "{:#?}", r.violations);
    assert_eq!(r.violations[0].role.as_deref(), Some("B"));
}

#[test]
fn a_duplicated_message_arrives_twice() {
    let (r, _) = run_burst(
        "[[events]]\ntrigger = { immediate = true }\naction = { type = \"message_duplicate\" }\n",
    );
    assert_eq!(r.network.duplicated, 1);
    assert_eq!(r.network.sent, 3);
    // The copy of M1 is queued after B has finished or is refused by its
    // monitor; either way it was delivered or discarded, never lost.
    assert_eq!(
        r.network.delivered + r.network.discarded,
        4,
        "{:?}",
        r.network
    );
}

#[test]
fn a_drop_budget_bounds_how_many_messages_are_lost() {
    let (r, _) = run_burst(
        "[[events]]\ntrigger = { immediate = true }\naction = { type = \"message_drop\", to = \"B\" }\n\
         budget = { total = 2 }\n[properties]\ninvariants = [\"no_faults\", \"send_recv_liveness\"]\n",
    );
    assert_eq!(r.network.lost, 2);
    assert_eq!(r.faults[0].fired_at.len(), 2);
    // B gets M3 where it expects M1: its monitor refuses it.
    let b = r.roles.iter().find(|x| x.role == "B").unwrap();
    assert!(b.status.starts_with("faulted"), "{b:?}");
    let broken: Vec<&str> = r.violations.iter().map(|v| v.property.as_str()).collect();
    assert_eq!(broken[0], "no_faults", "{:#?}", r.violations);
    assert_eq!(
        broken
            .iter()
            .filter(|p| **p == "send_recv_liveness")
            .count(),
        3,
        "{:#?}",
        r.violations
    );
}

#[test]
fn a_delay_fault_adds_its_ticks() {
    let (r, trace) = run_burst(
        "[[events]]\ntrigger = { after_step = 1 }\naction = { type = \"message_delay\", ticks = 40 }\n",
    );
    assert_eq!(r.network.delayed, 1);
    assert!(r.ticks > 40, "{}", r.ticks);
    assert!(trace.iter().any(|l| l.contains("\"delay\"")));
}

#[test]
fn a_one_way_partition_holds_one_direction_only() {
    let r = run(
        "name = \"p\"\nprotocol = \"../ping_pong.tell\"\nsteps = 300\n\
         [[events]]\ntrigger = { immediate = true }\n\
         action = { type = \"network_partition\", a = [\"Ponger\"], b = [\"Pinger\"], one_way = true, duration_ticks = 50 }\n",
    );
    assert!(r.network.held > 0);
    assert_eq!(r.status, "all_done");
    let pinger = r.roles.iter().find(|x| x.role == "Pinger").unwrap();
    assert!(pinger.last_progress_tick.unwrap() > 50, "{pinger:?}");
}

#[test]
fn a_paused_role_resumes_after_its_duration() {
    let r = run(
        "name = \"p\"\nprotocol = \"../token_ring.tell\"\nsteps = 120\n\
         [[events]]\ntrigger = { at_tick = 10 }\n\
         action = { type = \"node_pause\", role = \"Node2\", duration_ticks = 50 }\n\
         [properties]\ninvariants = [\"liveness(20)\", \"deadlock_free\"]\n",
    );
    assert!(r.passed, "{:#?}", r.violations);
    let node2 = r.roles.iter().find(|x| x.role == "Node2").unwrap();
    assert!(node2.last_progress_tick.unwrap() > 60, "{node2:?}");
}

#[test]
fn liveness_fails_when_a_role_stops_for_good() {
    let r = run(
        "name = \"p\"\nprotocol = \"../token_ring.tell\"\nsteps = 200\n\
         [[events]]\ntrigger = { at_tick = 10 }\n\
         action = { type = \"network_partition\", a = [\"Node0\"], b = [\"Node1\"] }\n\
         [[events]]\ntrigger = { at_tick = 20 }\naction = { type = \"node_crash\", role = \"Node3\" }\n\
         [properties]\ninvariants = [\"liveness(30)\"]\n",
    );
    // The partition never heals, so liveness is not judged; the crash
    // stops the ring but the partition keeps faults "on".
    assert!(r.passed, "{:#?}", r.violations);
    let r = run(
        "name = \"p\"\nprotocol = \"../token_ring.tell\"\nsteps = 200\n\
         [[events]]\ntrigger = { at_tick = 20 }\naction = { type = \"node_crash\", role = \"Node3\" }\n\
         [properties]\ninvariants = [\"liveness(30)\"]\n",
    );
    assert!(!r.passed);
    // The ring is stuck at once: the survivors will never progress.
    assert_eq!(r.status, "stuck");
    assert_eq!(r.violations.len(), 3, "{:#?}", r.violations);
    assert!(
        r.violations
            .iter()
            .all(|v| v.event.contains("will never progress")),
        "{:#?}",
        r.violations
    );
    assert!(r
        .violations
        .iter()
        .all(|v| v.role.as_deref() != Some("Node3")));
    let node0 = r.roles.iter().find(|x| x.role == "Node0").unwrap();
    assert_eq!(node0.status, "blocked: waiting for Node3 (crashed)");
}

#[test]
fn a_fault_that_never_fires_is_a_warning() {
    let r = run(
        "name = \"p\"\nprotocol = \"../ping_pong.tell\"\nsteps = 100\n\
         [[events]]\ntrigger = { at_tick = 5000 }\naction = { type = \"heal\" }\n",
    );
    assert!(r.passed);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(!r.faults[0].fired);
}

#[test]
fn a_random_trigger_respects_its_window_budget() {
    let r = run(
        "name = \"p\"\nprotocol = \"../token_ring.tell\"\nsteps = 100\n\
         [[events]]\ntrigger = { random = \"1\" }\naction = { type = \"heal\" }\n\
         budget = { per_window = 2, window_ticks = 25 }\n",
    );
    let fired = &r.faults[0].fired_at;
    assert_eq!(fired, &[1, 2, 25, 26, 50, 51, 75, 76, 100]);
}

#[test]
fn a_link_override_applies_only_in_its_window() {
    let r = run(
        "name = \"p\"\nprotocol = \"../token_ring.tell\"\nsteps = 300\n\
         [[network.links]]\nfrom = \"Node1\"\nto = \"Node2\"\nloss_probability = \"1\"\n\
         active = { from_tick = 1000, to_tick = 2000 }\n",
    );
    assert_eq!(r.network.lost, 0);
    let r = run(
        "name = \"p\"\nprotocol = \"../token_ring.tell\"\nsteps = 300\n\
         [[network.links]]\nfrom = \"Node1\"\nto = \"Node2\"\nloss_probability = \"1\"\n\
         active = { from_tick = 0, to_tick = 2000 }\n",
    );
    assert_eq!(r.network.lost, 1);
    assert_eq!(r.status, "stuck");
}
