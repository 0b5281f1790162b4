//! The page of a small synthetic run: what is drawn, how often, escaped,
//! and the cap.

use super::*;
use crate::report::timeline::{Handling, MarkKind};
use crate::report::{
    ByzantineReport, ContractReport, NetworkStats, PropertyReport, RoleReport, Violation,
};

/// A run of two roles (one named with markup): a delivered message, a
/// duplicated one (both copies delivered), a lost one, a corrupted one, a
/// withheld one, one still in flight, a rejection, a crash, a partition
/// and its heal, and an effect call.
fn timeline() -> Timeline {
    let mut t = Timeline::new(vec!["Alice".into(), "<Bob&Co>".into()]);
    let plain = Handling::default();
    t.sent(1, (0, 1, 0), "Ping", plain);
    t.arrived((0, 1, 0), Fate::Delivered { tick: 3 });
    let dup = Handling {
        duplicated: true,
        ..plain
    };
    t.sent(4, (1, 0, 0), "Pong\"<i>", dup);
    t.arrived((1, 0, 0), Fate::Delivered { tick: 6 });
    t.arrived((1, 0, 0), Fate::Delivered { tick: 7 });
    let lost = Handling {
        lost: true,
        ..plain
    };
    t.sent(8, (0, 1, 1), "Ping", lost);
    let corrupt = Handling {
        corrupted: true,
        ..plain
    };
    t.sent(9, (0, 1, 2), "Ping", corrupt);
    t.arrived((0, 1, 2), Fate::Delivered { tick: 10 });
    t.withheld(11, (1, 0, 1), "Pong");
    t.sent(12, (0, 1, 3), "Ping", plain);
    t.mark(
        10,
        MarkKind::Rejected,
        Some(1),
        "signature <invalid>".into(),
    );
    t.mark(13, MarkKind::Crash, Some(1), "<Bob&Co> crashes".into());
    t.mark(5, MarkKind::Partition, None, "partition".into());
    t.mark(6, MarkKind::Heal, None, "heal".into());
    t.effects.push(crate::report::timeline::EffectCall {
        tick: 2,
        role: 0,
        op: "Ledger.append(entry)".into(),
        outcome: "Ok".into(),
    });
    t
}

fn report() -> Report {
    Report {
        scenario: "demo <script>".into(),
        seed: 7,
        status: "stuck".into(),
        rounds: 14,
        ticks: 14,
        steps: 30,
        roles: vec![
            RoleReport {
                role: "Alice".into(),
                status: "done".into(),
                progress_events: 4,
                last_progress_tick: Some(12),
                crashed: false,
            },
            RoleReport {
                role: "<Bob&Co>".into(),
                status: "faulted: <bad>".into(),
                progress_events: 2,
                last_progress_tick: None,
                crashed: true,
            },
        ],
        network: NetworkStats {
            sent: 6,
            delivered: 4,
            lost: 1,
            duplicated: 1,
            corrupted: 1,
            withheld: 1,
            ..NetworkStats::default()
        },
        faults: Vec::new(),
        nested: Vec::new(),
        byzantine: vec![ByzantineReport {
            role: "<Bob&Co>".into(),
            strategy: "silent".into(),
            lies: 0,
            injections: None,
        }],
        warnings: vec!["fault #0 (heal) was scheduled but never fired".into()],
        properties: vec![
            PropertyReport {
                property: "no_faults".into(),
                holds: false,
            },
            PropertyReport {
                property: "deadlock_free".into(),
                holds: true,
            },
        ],
        violations: vec![
            Violation {
                property: "no_faults".into(),
                tick: 10,
                role: Some("<Bob&Co>".into()),
                event: "signature <invalid>".into(),
            },
            Violation {
                property: "no_faults".into(),
                tick: 13,
                role: None,
                event: "again".into(),
            },
        ],
        machine_error: None,
        contracts: vec![ContractReport {
            contract: "replay_coherence".into(),
            holds: true,
            detail: None,
        }],
        passed: false,
        trace_digest: "ab12".into(),
        trace_events: 40,
        wall_time_ms: Some(123_456),
    }
}

const SCENARIO: &str = "name = \"demo <script>\"\n# a & b\n";

fn count(page: &str, needle: &str) -> usize {
    page.matches(needle).count()
}

#[test]
fn every_message_and_mark_is_drawn_once_with_its_class() {
    let page = render(&report(), &timeline(), SCENARIO, &HtmlOptions::default());
    // Arrows: the delivered, both copies of the duplicated, the corrupted.
    assert_eq!(count(&page, "<g class=\"msg"), 4);
    assert_eq!(count(&page, "<g class=\"msg dup\""), 1);
    assert_eq!(count(&page, "<g class=\"msg corrupted\""), 1);
    assert_eq!(count(&page, "<g class=\"pending\""), 1);
    assert_eq!(count(&page, "<g class=\"fault-mark\""), 8);
    for kind in [
        "drop",
        "duplicate",
        "corrupt",
        "withheld",
        "rejected",
        "crash",
        "partition",
        "heal",
    ] {
        let mark = format!("<g class=\"fault-mark\" data-kind=\"{kind}\"");
        assert_eq!(count(&page, &mark), 1, "{kind}");
    }
    assert_eq!(count(&page, "<g class=\"effect\""), 1);
    assert_eq!(count(&page, "<g class=\"violation\""), 2);
    // The partition (to its heal) and the crash (to the end) as bands.
    assert_eq!(count(&page, "<rect class=\"span partition-span\""), 1);
    assert_eq!(count(&page, "<rect class=\"span crash-span\""), 1);
    assert!(page.contains("data-events-total=\"14\" data-events-drawn=\"14\""));
    assert!(page.contains("All 14 events drawn."));
    assert!(!page.contains("class=\"cap-note\""));
}

#[test]
fn text_from_the_run_and_the_scenario_is_escaped() {
    let page = render(&report(), &timeline(), SCENARIO, &HtmlOptions::default());
    assert!(!page.contains("<Bob&Co>"));
    assert!(!page.contains("<script>alert"));
    assert!(page.contains("&lt;Bob&amp;Co&gt;"));
    assert!(page.contains("data-label=\"Pong&quot;&lt;i&gt;\""));
    assert!(page.contains("name = &quot;demo &lt;script&gt;&quot;\n# a &amp; b"));
    assert!(page.contains("faulted: &lt;bad&gt;"));
    // The only script element is the page's own.
    assert_eq!(count(&page, "<script>"), 1);
}

#[test]
fn the_cap_draws_the_first_events_in_tick_order_and_says_so() {
    let options = HtmlOptions { max_events: 5 };
    let page = render(&report(), &timeline(), SCENARIO, &options);
    assert!(page.contains("Showing the first 5 of 14 events"));
    assert!(page.contains("data-events-total=\"14\" data-events-drawn=\"5\""));
    // Ticks 1 (Ping), 2 (effect), 4 (Pong and its duplicate mark), 4 (the
    // copy); the partition at 5 is cut.
    assert_eq!(count(&page, "<g class=\"msg"), 3);
    assert_eq!(count(&page, "<g class=\"effect\""), 1);
    assert_eq!(count(&page, "<g class=\"fault-mark\""), 1);
    let one = HtmlOptions { max_events: 1 };
    let page = render(&report(), &timeline(), SCENARIO, &one);
    assert!(page.contains("Showing the first 1 of 2 violations"));
    assert_eq!(count(&page, "<g class=\"violation\""), 1);
}

#[test]
fn the_page_is_self_contained_and_leaves_out_wall_time() {
    let page = render(&report(), &timeline(), SCENARIO, &HtmlOptions::default());
    assert!(!page.contains("123456"));
    // The only URL is the SVG namespace (a name, never fetched).
    let namespace = "xmlns=\"http://www.w3.org/2000/svg\"";
    assert_eq!(count(&page, "http://"), count(&page, namespace));
    assert!(!page.contains("https://"));
    assert!(!page.contains("src="));
    assert!(page.contains("<p class=\"verdict failed\" id=\"verdict\">FAILED</p>"));
    let again = render(&report(), &timeline(), SCENARIO, &HtmlOptions::default());
    assert_eq!(page, again);
}

#[test]
fn per_role_statistics_count_the_timeline() {
    let page = render(&report(), &timeline(), SCENARIO, &HtmlOptions::default());
    // Alice sent 4 (one lost, one in flight), received both Pong copies,
    // called one effect.
    assert!(page.contains(
        "<tr data-role=\"Alice\"><td>Alice</td><td>done</td><td>4</td><td>2</td><td>1</td>\
         <td>1</td><td>4</td><td>12</td><td>no</td><td></td></tr>"
    ));
    assert!(page.contains("<td>silent (0 lies)</td>"));
}

#[test]
fn a_tiny_diagram_does_not_drift() {
    let mut t = Timeline::new(vec!["A".into(), "B".into()]);
    t.sent(1, (0, 1, 0), "Ping", Handling::default());
    t.arrived((0, 1, 0), Fate::Delivered { tick: 2 });
    let lost = Handling {
        lost: true,
        ..Handling::default()
    };
    t.sent(3, (1, 0, 0), "Pong", lost);
    let diagram = sequence::diagram(&t, 3, DEFAULT_MAX_EVENTS);
    insta::assert_snapshot!(diagram.svg);
}
