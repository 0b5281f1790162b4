//! The HTML report end to end: recording the timeline changes neither the
//! trace nor the report; the timeline agrees with the report's counts for
//! every example scenario; the page draws one arrow per delivered message
//! and one mark per fault; `sim-run --html` writes the same bytes twice.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use telltale_simulator::report::html::{render, HtmlOptions};
use telltale_simulator::report::timeline::{Fate, MarkKind, Timeline};
use telltale_simulator::{load_scenario, run_plan, run_plan_with, Outcome};

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.sort();
    out
}

fn recorded(path: &Path, seed: Option<u64>) -> (Outcome, Outcome, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let (plan, image) = load_scenario(&text, path).unwrap();
    let seed = seed.unwrap_or(plan.seed);
    let plain = run_plan(&plan, &image, seed).unwrap();
    let with = run_plan_with(&plan, &image, seed, true).unwrap();
    (plain, with, text)
}

fn fates(t: &Timeline, f: impl Fn(&Fate) -> bool) -> u64 {
    t.messages.iter().filter(|m| f(&m.fate)).count() as u64
}

fn count(page: &str, needle: &str) -> usize {
    page.matches(needle).count()
}

#[test]
fn the_timeline_changes_nothing_and_agrees_with_the_report() {
    let all = scenarios();
    assert!(all.len() >= 4);
    for path in all {
        let (plain, with, text) = recorded(&path, None);
        let name = path.display();
        assert!(plain.timeline.is_none(), "{name}");
        assert_eq!(plain.trace.lines(), with.trace.lines(), "{name}");
        assert_eq!(plain.report, with.report, "{name}");
        let t = with.timeline.as_ref().unwrap();
        let n = &with.report.network;
        let delivered = fates(t, |f| matches!(f, Fate::Delivered { .. }));
        assert_eq!(delivered, n.delivered, "{name}");
        assert_eq!(
            fates(t, |f| matches!(f, Fate::Lost { .. })),
            n.lost,
            "{name}"
        );
        let withheld = fates(t, |f| matches!(f, Fate::Withheld { .. }));
        assert_eq!(withheld, n.withheld, "{name}");
        let discarded = fates(t, |f| matches!(f, Fate::Discarded { .. }));
        assert_eq!(discarded, n.discarded, "{name}");
        assert_eq!(
            fates(t, |f| *f == Fate::InFlight),
            n.in_flight_at_end,
            "{name}"
        );
        let copies = t.messages.iter().filter(|m| m.duplicate).count() as u64;
        assert_eq!(copies, n.duplicated, "{name}");
        let corrupted = t
            .messages
            .iter()
            .filter(|m| m.corrupted && !m.duplicate)
            .count() as u64;
        assert_eq!(corrupted, n.corrupted, "{name}");
        let injected = t.messages.iter().filter(|m| m.injected.is_some()).count() as u64;
        assert_eq!(
            t.messages.len() as u64 - copies - injected,
            n.sent,
            "{name}"
        );
        let reported: u64 = with
            .report
            .byzantine
            .iter()
            .filter_map(|b| b.injections.map(|i| i.injected))
            .sum();
        assert_eq!(injected, reported, "{name}");
        let crashes = t.marks.iter().filter(|m| m.kind == MarkKind::Crash).count();
        let crashed = with.report.roles.iter().filter(|r| r.crashed).count();
        assert_eq!(crashes, crashed, "{name}");
        // The page draws every one of them once.
        let page = render(&with.report, t, &text, &HtmlOptions::default());
        assert_eq!(count(&page, "<g class=\"msg"), delivered as usize, "{name}");
        let drops = count(&page, "<g class=\"fault-mark\" data-kind=\"drop\"");
        assert_eq!(drops as u64, n.lost, "{name}");
        let dups = count(&page, "<g class=\"fault-mark\" data-kind=\"duplicate\"");
        assert_eq!(dups as u64, n.duplicated, "{name}");
        let violations = count(&page, "<g class=\"violation\"");
        assert_eq!(violations, with.report.violations.len(), "{name}");
    }
}

#[test]
fn marks_follow_the_faults_of_the_examples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios");
    let kinds = |name: &str| -> Vec<MarkKind> {
        let (_, with, _) = recorded(&dir.join(name), None);
        with.timeline
            .unwrap()
            .marks
            .iter()
            .map(|m| m.kind)
            .collect()
    };
    let lease = kinds("lease_crash.toml");
    assert!(lease.contains(&MarkKind::Crash), "{lease:?}");
    assert!(lease.contains(&MarkKind::Timeout), "{lease:?}");
    let ring = kinds("token_ring_partition.toml");
    assert!(ring.contains(&MarkKind::Partition), "{ring:?}");
    assert!(ring.contains(&MarkKind::Heal), "{ring:?}");
    let ping = kinds("ping_pong_corruption.toml");
    assert!(ping.contains(&MarkKind::Pause), "{ping:?}");
    assert!(ping.contains(&MarkKind::Resume), "{ping:?}");
    assert!(ping.contains(&MarkKind::Rejected), "{ping:?}");
    let dup = kinds("token_ring_loss_duplication.toml");
    assert_eq!(dup, [MarkKind::Rejected]);
    // Each refusal names the message refused: the corrupted one, and the
    // duplicate copy delivered after its original.
    for (name, duplicate) in [
        ("ping_pong_corruption.toml", false),
        ("token_ring_loss_duplication.toml", true),
    ] {
        let (_, with, _) = recorded(&dir.join(name), None);
        let t = with.timeline.unwrap();
        let refused: Vec<_> = t.messages.iter().filter(|m| m.rejected.is_some()).collect();
        assert_eq!(refused.len(), 1, "{name}");
        let rejection = t
            .marks
            .iter()
            .find(|m| m.kind == MarkKind::Rejected)
            .unwrap();
        assert_eq!(refused[0].rejected, Some(rejection.tick), "{name}");
        let m = refused[0];
        assert_eq!(
            (m.duplicate, m.corrupted),
            (duplicate, !duplicate),
            "{name}"
        );
    }
}

#[test]
fn sim_run_writes_the_same_page_twice_and_a_sweep_its_first_failing_seed() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/scenarios/token_ring_loss_duplication.toml");
    let dir = std::env::temp_dir().join(format!("sim-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |html: &Path, out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_sim-run"))
            .arg(&scenario)
            .args(["--seed", "18", "--html"])
            .arg(html)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let (a, b) = (dir.join("a.html"), dir.join("b.html"));
    let first = run(&a, &dir.join("a.json"));
    assert_eq!(first.status.code(), Some(2));
    let second = run(&b, &dir.join("b.json"));
    assert_eq!(second.status.code(), Some(2));
    let (pa, pb) = (
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap(),
    );
    assert_eq!(pa, pb);
    assert!(pa.starts_with("<!DOCTYPE html>"));
    assert!(pa.contains("token_ring_loss_duplication (seed 18)"));
    // The report beside it is the one without --html (but wall time).
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("a.json")).unwrap()).unwrap();
    assert!(pa.contains(report["trace_digest"].as_str().unwrap()));
    // With --seeds: the smallest failing seed's page.
    let sweep = dir.join("sweep.html");
    let out = Command::new(env!("CARGO_BIN_EXE_sim-run"))
        .arg(&scenario)
        .args(["--seeds", "1..4", "--html"])
        .arg(&sweep)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first_failing = summary["failing"][0]["seed"].as_u64().unwrap();
    let page = std::fs::read_to_string(&sweep).unwrap();
    assert!(page.contains(&format!("(seed {first_failing})")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn effect_calls_are_notes_on_their_performers_lane() {
    let anchor =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/effects.toml");
    let text = "name = \"ledger\"\nprotocol = \"../ledger_effects.tell\"\n\n[handler]\n\
                kind = \"scripted\"\nscript = { \"Ledger.append\" = [\"Err(Full)\"] }\n\n\
                [properties]\ninvariants = [\"no_faults\"]\n";
    let (plan, image) = load_scenario(text, &anchor).unwrap();
    let run = run_plan_with(&plan, &image, 0, true).unwrap();
    let t = run.timeline.as_ref().unwrap();
    let calls: Vec<(&str, &str, &str)> = t
        .effects
        .iter()
        .map(|e| (t.role_name(e.role), e.op.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("Bank", "Ledger.append(entry)", "Err(\"Full\")"),
            ("Bank", "Ledger.head()", "Just")
        ]
    );
    let page = render(&run.report, t, text, &HtmlOptions::default());
    assert_eq!(count(&page, "<g class=\"effect\" data-role=\"Bank\""), 2);
    assert!(page.contains("Ledger.append(entry) → Err(&quot;Full&quot;)"));
}

#[test]
fn every_byzantine_lie_is_marked_on_its_message() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/liar.toml");
    let text = "name = \"liar\"\nprotocol = \"../three_buyer.tell\"\nsteps = 500\n\n\
                [[byzantine]]\nrole = \"Seller\"\nstrategy = \"random_payload\"\n";
    let (plan, image) = load_scenario(text, &path).unwrap();
    let mut lies = 0;
    for seed in 0..6 {
        let plain = run_plan(&plan, &image, seed).unwrap();
        let with = run_plan_with(&plan, &image, seed, true).unwrap();
        assert_eq!(
            plain.trace.lines(),
            with.trace.lines(),
            "recording lies changes nothing"
        );
        let t = with.timeline.as_ref().unwrap();
        let told = with.report.byzantine[0].lies;
        let marked = t.messages.iter().filter(|m| m.lied).count() as u64;
        assert_eq!(marked, told, "seed {seed}");
        let page = render(&with.report, t, text, &HtmlOptions::default());
        let drawn = count(&page, "<g class=\"fault-mark\" data-kind=\"lie\"");
        assert_eq!(drawn as u64, told, "seed {seed}");
        lies += told;
    }
    assert!(lies > 0);
}
