//! The HTML report in a real browser. `sim-run --html` writes the page of
//! a bundled scenario run under loss and duplication; headless Chromium
//! (Debian's `chromium`) takes a screenshot of it and dumps the DOM after
//! the page's script ran. The screenshot must show the page (decoded:
//! many colours, the legend's among them), and
//! the DOM must hold exactly one message arrow per delivered message and
//! one fault mark per fault of the same run, counted from its timeline.
//! Opened at `#focus=Node3`, the script dims exactly the arrows Node3
//! neither sent nor received; a capped page draws exactly its first events.
//!
//! Without a `chromium` on the PATH (or at `/usr/bin/chromium`) the test
//! says loudly that it skipped and passes, unless `TELLTALE_BROWSER_TESTS=1`
//! (set by `.ci/run`, which installs Chromium): then it fails.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use telltale_simulator::report::timeline::{Fate, Timeline};
use telltale_simulator::{load_scenario, run_plan_with};

/// The variable that makes a missing browser a failure.
const REQUIRED: &str = "TELLTALE_BROWSER_TESTS";
/// The scenario and a seed whose run loses one message and duplicates
/// another (and whose receiver then refuses the copy).
const SCENARIO: &str = "token_ring_loss_duplication.toml";
const SEED: u64 = 18;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file());
    found.or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
}

/// The browser, or `None` after a loud skip (a failure when required).
fn browser_or_skip() -> Option<PathBuf> {
    if let Some(path) = chromium() {
        return Some(path);
    }
    let required = std::env::var(REQUIRED).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{REQUIRED}=1 but no `chromium` is installed (apt-get install -y chromium)"
    );
    // Straight to stderr, past the test harness's capture: a skip must
    // be seen.
    let _ = writeln!(
        std::io::stderr(),
        "\n******************************************************************\n\
         SKIPPED: the HTML report's browser test needs `chromium` (Debian:\n\
         apt-get install -y chromium); set {REQUIRED}=1 to make this a failure.\n\
         ******************************************************************\n"
    );
    None
}

/// Runs headless Chromium on the page at `url` with `extra` arguments, its
/// standard output into `out`; kills it after two minutes.
fn headless(browser: &Path, dir: &Path, url: &str, extra: &[String], out: &Path) {
    let profile = dir.join(format!("profile-{}", extra.len()));
    let _ = std::fs::remove_dir_all(&profile);
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1400,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium {extra:?} exited with {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {extra:?} did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The attributes of every `<g ...>` start tag of a serialized DOM.
fn groups(dom: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    for piece in dom.split("<g ").skip(1) {
        let tag = piece.split('>').next().unwrap_or("");
        let mut attrs = BTreeMap::new();
        let mut rest = tag;
        while let Some(eq) = rest.find("=\"") {
            let name = rest[..eq].trim().to_string();
            let after = &rest[eq + 2..];
            let end = after.find('"').unwrap_or(after.len());
            attrs.insert(name, after[..end].to_string());
            rest = &after[(end + 1).min(after.len())..];
        }
        out.push(attrs);
    }
    out
}

/// What the page must draw for a run: arrows, and marks by kind.
fn expected(t: &Timeline) -> (usize, BTreeMap<String, usize>) {
    let mut marks: BTreeMap<String, usize> = BTreeMap::new();
    let mut add = |kind: &str| *marks.entry(kind.to_string()).or_default() += 1;
    let mut arrows = 0;
    for m in &t.messages {
        if m.duplicate {
            add("duplicate");
        } else if m.corrupted {
            add("corrupt");
        }
        match m.fate {
            Fate::Delivered { .. } => arrows += 1,
            Fate::Lost { .. } => add("drop"),
            Fate::Withheld { .. } => add("withheld"),
            Fate::Discarded { .. } => add("discard"),
            Fate::InFlight => {}
        }
    }
    for m in &t.marks {
        add(m.kind.name());
    }
    (arrows, marks)
}

fn counted(dom: &str) -> (usize, BTreeMap<String, usize>) {
    let mut marks: BTreeMap<String, usize> = BTreeMap::new();
    let mut arrows = 0;
    for g in groups(dom) {
        let class = g.get("class").map(String::as_str).unwrap_or("");
        if class.split_whitespace().next() == Some("msg") {
            arrows += 1;
        }
        if class == "fault-mark" {
            let kind = g.get("data-kind").cloned().unwrap_or_default();
            *marks.entry(kind).or_default() += 1;
        }
    }
    (arrows, marks)
}

/// Checks a PNG screenshot: the window's size, and a rendered page (many
/// colours, among them the legend's).
fn check_screenshot(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > 10_000, "a {}-byte screenshot", bytes.len());
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1400, 1000));
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let colours: BTreeSet<[u8; 3]> = pixels[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    assert!(colours.len() > 50, "{} colours", colours.len());
    // Filled shapes of the legend (lines and crosses are anti-aliased).
    for (name, rgb) in [
        ("duplicate", [0xff, 0x7f, 0x0e]),
        ("rejected", [0x8c, 0x56, 0x4b]),
        ("pause", [0x17, 0xbe, 0xcf]),
    ] {
        assert!(colours.contains(&rgb), "no {name} colour on the screenshot");
    }
}

#[test]
fn the_report_renders_in_chromium_with_every_arrow_and_mark() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/scenarios")
        .join(SCENARIO);
    let dir = std::env::temp_dir().join(format!("sim-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let status = Command::new(env!("CARGO_BIN_EXE_sim-run"))
        .arg(&scenario)
        .args(["--seed", &SEED.to_string(), "--html"])
        .arg(&page)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2), "the scenario is a failing example");

    // The same run through the library gives the counts to expect.
    let text = std::fs::read_to_string(&scenario).unwrap();
    let (plan, image) = load_scenario(&text, &scenario).unwrap();
    let outcome = run_plan_with(&plan, &image, SEED, true).unwrap();
    let (arrows, marks) = expected(outcome.timeline.as_ref().unwrap());
    let network = &outcome.report.network;
    assert_eq!(arrows as u64, network.delivered);
    assert_eq!(marks.get("drop").copied().unwrap_or(0) as u64, network.lost);
    assert_eq!(
        marks.get("duplicate").copied().unwrap_or(0) as u64,
        network.duplicated
    );
    assert!(network.lost > 0 && network.duplicated > 0, "{network:?}");

    let shot = dir.join("shot.png");
    let log = dir.join("screenshot.log");
    let url = format!("file://{}", page.display());
    headless(
        &browser,
        &dir,
        &url,
        &[format!("--screenshot={}", shot.display())],
        &log,
    );
    check_screenshot(&shot);

    let dom_file = dir.join("dom.html");
    let dump = [
        "--dump-dom".to_string(),
        "--virtual-time-budget=2000".to_string(),
    ];
    headless(&browser, &dir, &url, &dump, &dom_file);
    let dom = std::fs::read_to_string(&dom_file).unwrap();
    assert!(
        dom.contains("<body data-script=\"ready\">"),
        "the page's script did not run: {}",
        &dom[..dom.len().min(400)]
    );
    assert_eq!(counted(&dom), (arrows, marks));

    // The script's focus (`#focus=ROLE`, as a click on the role's name)
    // dims exactly the arrows the role neither sent nor received.
    let t = outcome.timeline.as_ref().unwrap();
    let role = "Node3";
    let others = t
        .messages
        .iter()
        .filter(|m| matches!(m.fate, Fate::Delivered { .. }))
        .filter(|m| t.role_name(m.from) != role && t.role_name(m.to) != role)
        .count();
    assert!(others > 0 && others < arrows);
    let focused = dir.join("focused.html");
    headless(
        &browser,
        &dir,
        &format!("{url}#focus={role}"),
        &dump,
        &focused,
    );
    let dom = std::fs::read_to_string(&focused).unwrap();
    let dimmed = groups(&dom)
        .iter()
        .filter(|g| g.get("class").is_some_and(|c| c.starts_with("msg")))
        .filter(|g| g.get("style").is_some_and(|s| s.contains("opacity: 0.15")))
        .count();
    assert_eq!(dimmed, others);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_capped_report_draws_the_first_events_in_chromium() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/scenarios")
        .join(SCENARIO);
    let dir = std::env::temp_dir().join(format!("sim-browser-cap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let status = Command::new(env!("CARGO_BIN_EXE_sim-run"))
        .arg(&scenario)
        .args([
            "--seed",
            &SEED.to_string(),
            "--html-max-events",
            "20",
            "--html",
        ])
        .arg(&page)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    let dom_file = dir.join("dom.html");
    let url = format!("file://{}", page.display());
    headless(&browser, &dir, &url, &["--dump-dom".to_string()], &dom_file);
    let dom = std::fs::read_to_string(&dom_file).unwrap();
    let (arrows, marks) = counted(&dom);
    assert_eq!(arrows + marks.values().sum::<usize>(), 20, "{marks:?}");
    assert!(dom.contains("Showing the first 20 of "), "no cap note");
    let _ = std::fs::remove_dir_all(&dir);
}
