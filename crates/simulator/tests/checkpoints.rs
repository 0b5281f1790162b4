//! Checkpoints and `--resume` through the library: a run resumed from any
//! of its checkpoints reaches the same trace, digest and report as the
//! uninterrupted run (and as the run without checkpoints), for scenarios
//! with loss and duplication, delays, a partition, a crash and a forging
//! byzantine role; checkpoint bytes are the same on every run; a damaged or
//! foreign checkpoint is a typed error.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use telltale_simulator::checkpoint::{Checkpointing, SimCheckpoint};
use telltale_simulator::{load_scenario, HostRegistry, Outcome, SimError};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-ckpt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the example scenario `name` and its protocol into `dir` (the
/// protocol beside it, so the scenario's text does not depend on where
/// the test runs) with `checkpoint_interval = interval`.
fn fixture(dir: &Path, name: &str, interval: u64) -> PathBuf {
    let text = std::fs::read_to_string(examples().join("scenarios").join(name)).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("protocol = \"../") {
            let file = rest.trim_end_matches('"');
            std::fs::copy(examples().join(file), dir.join(file)).unwrap();
            out.push_str(&format!("protocol = \"{file}\"\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
        if line.starts_with("steps = ") {
            out.push_str(&format!("checkpoint_interval = {interval}\n"));
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

/// Runs `scenario` (checkpoints under `base`, resuming from `resume`);
/// returns the outcome and the checkpoints written.
fn run(
    scenario: &Path,
    base: &Path,
    resume: Option<&Path>,
    seed: Option<u64>,
) -> Result<(Outcome, Vec<PathBuf>), SimError> {
    let text = std::fs::read_to_string(scenario).unwrap();
    let (mut plan, image) = load_scenario(&text, scenario)?;
    let seed = seed.unwrap_or(plan.seed);
    Checkpointing::attach(&mut plan, &image, seed, base, resume)?;
    let outcome = HostRegistry::new().run_plan(&plan, &image, seed)?;
    let written = plan
        .checkpoints
        .as_ref()
        .map(|c| c.written())
        .unwrap_or_default();
    Ok((outcome, written))
}

fn same_run(a: &Outcome, b: &Outcome, what: &str) {
    assert_eq!(a.trace.lines(), b.trace.lines(), "{what}: traces");
    assert_eq!(a.report.trace_digest, b.report.trace_digest, "{what}");
    assert_eq!(
        serde_json::to_value(&a.report).unwrap(),
        serde_json::to_value(&b.report).unwrap(),
        "{what}: reports"
    );
}

/// Runs `scenario` whole, then resumed from each of its checkpoints, and
/// checks every resumed run is the whole one; returns the whole run.
fn resumes_to_the_same_run(name: &str, scenario: &Path, dir: &Path) -> Outcome {
    let base = dir.join("artifacts");
    let (whole, written) = run(scenario, &base, None, None).unwrap();
    assert!(!written.is_empty(), "{name}: {written:?}");
    let folder = base.join(&whole.report.scenario);
    assert!(written.iter().all(|p| p.starts_with(&folder)), "{name}");
    // Every checkpoint resumes to the same run, and writes the same
    // checkpoints again (from its own round on), byte for byte.
    let bytes: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();
    for (i, checkpoint) in written.iter().enumerate() {
        let (resumed, again) = run(scenario, &base, Some(checkpoint), None).unwrap();
        same_run(
            &whole,
            &resumed,
            &format!("{name} from {}", checkpoint.display()),
        );
        assert!(again.ends_with(&written[i..]), "{name}: {again:?}");
        let now: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();
        assert_eq!(now, bytes, "{name}: checkpoint bytes after resume {i}");
    }
    whole
}

#[test]
fn resuming_from_any_checkpoint_gives_the_uninterrupted_run() {
    for (name, interval) in [
        ("token_ring_loss_duplication.toml", 25),
        ("three_buyer_delays.toml", 40),
        ("three_buyer_forgery.toml", 3),
        ("token_ring_partition.toml", 50),
        ("lease_crash.toml", 4),
        ("ping_pong_corruption.toml", 10),
    ] {
        let dir = scratch(&format!("resume-{name}"));
        let scenario = fixture(&dir, name, interval);
        let whole = resumes_to_the_same_run(name, &scenario, &dir);
        // Checkpoints change nothing: the original example, without them.
        let plain = telltale_simulator::run_scenario_file(
            &examples().join("scenarios").join(name),
            &telltale_simulator::RunOptions::default(),
        )
        .unwrap();
        same_run(&whole, &plain, &format!("{name} without checkpoints"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A scenario over the example protocol `protocol`, with `rest` after the
/// top-level keys.
fn custom(dir: &Path, name: &str, protocol: &str, interval: u64, rest: &str) -> PathBuf {
    std::fs::copy(examples().join(protocol), dir.join(protocol)).unwrap();
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        "name = \"{name}\"\nprotocol = \"{protocol}\"\nsteps = 300\nseed = 3\n\
         checkpoint_interval = {interval}\n{rest}"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn lying_roles_scripted_effects_and_pauses_resume_too() {
    let lies = "[network]\nbase_latency_ticks = 2\nloss_probability = \"0.05\"\n\
                [[events]]\ntrigger = { at_tick = 20 }\n\
                action = { type = \"node_pause\", role = \"Monitor\", duration_ticks = 15 }\n\
                [[byzantine]]\nrole = \"Worker\"\nstrategy = \"STRATEGY\"\n\
                [properties]\ninvariants = [\"type_monotonicity\", \"deadlock_free\"]\n";
    for strategy in [
        "random_payload",
        "random_choice",
        "equivocate",
        "silent",
        "replay",
    ] {
        let dir = scratch(&format!("lies-{strategy}"));
        let rest = lies.replace("STRATEGY", strategy);
        let scenario = custom(&dir, strategy, "heartbeat.tell", 6, &rest);
        let whole = resumes_to_the_same_run(strategy, &scenario, &dir);
        assert_eq!(whole.report.byzantine[0].strategy, strategy);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let dir = scratch("scripted");
    let scenario = custom(
        &dir,
        "scripted",
        "ledger_effects.tell",
        1,
        "[handler]\nkind = \"scripted\"\n\
         script = { \"Ledger.append\" = [\"Err(Full)\"], \"Ledger.head\" = [\"Nothing\"] }\n\
         [network]\nbase_latency_ticks = 3\n",
    );
    let whole = resumes_to_the_same_run("scripted", &scenario, &dir);
    assert!(whole.trace.lines().iter().any(|l| l.contains("Rejected")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checkpoint_files_hold_the_run_and_its_round() {
    let dir = scratch("contents");
    let scenario = fixture(&dir, "token_ring_partition.toml", 100);
    let (whole, written) = run(&scenario, &dir.join("ck"), None, Some(3)).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: Vec<String> = (1..=whole.report.rounds / 100)
        .map(|k| format!("seed-3-round-{}.ttsc", k * 100))
        .collect();
    assert_eq!(names, expected);
    let last = SimCheckpoint::from_bytes(&std::fs::read(written.last().unwrap()).unwrap()).unwrap();
    assert_eq!(last.run.scenario, "token_ring_partition");
    assert_eq!(last.run.seed, 3);
    assert_eq!(last.interval, Some(100));
    // The built-in handler's runs hold the whole world.
    assert_eq!(last.resume, telltale_simulator::checkpoint::SNAPSHOT);
    assert!(last.world.is_some());
    assert_eq!(last.state.round, expected.len() as u64 * 100);
    // No temporary file is left behind.
    let folder = written[0].parent().unwrap();
    let left: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".ttsc"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The error of resuming `scenario` from `checkpoint`, with the folder
/// made readable.
fn refusal(scenario: &Path, checkpoint: &Path, seed: Option<u64>, dir: &Path) -> String {
    let e = run(scenario, &dir.join("again"), Some(checkpoint), seed).unwrap_err();
    assert!(matches!(e, SimError::Checkpoint { .. }), "{e:?}");
    redact(&e.to_string().replace(&dir.display().to_string(), "<dir>"))
}

/// The message without what changes when the crates do: digests and the
/// simulator's version.
fn redact(message: &str) -> String {
    let message = message.replace(env!("CARGO_PKG_VERSION"), "<version>");
    let mut out = String::new();
    let mut run = String::new();
    for c in message.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() >= 16 && !run.bytes().all(|b| b == b'0') {
            out.push_str("<hash>");
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Writes `checkpoint` with its body edited (and its digest recomputed).
fn forged(dir: &Path, from: &Path, edit: impl Fn(&mut SimCheckpoint)) -> PathBuf {
    let mut checkpoint = SimCheckpoint::from_bytes(&std::fs::read(from).unwrap()).unwrap();
    edit(&mut checkpoint);
    let path = dir.join("forged.ttsc");
    std::fs::write(&path, checkpoint.to_bytes().unwrap()).unwrap();
    path
}

#[test]
fn damaged_and_foreign_checkpoints_are_typed_errors() {
    let dir = scratch("refusals");
    let scenario = fixture(&dir, "token_ring_loss_duplication.toml", 50);
    let other = fixture(&dir, "token_ring_partition.toml", 50);
    let (whole, written) = run(&scenario, &dir.join("artifacts"), None, None).unwrap();
    let good = written[1].clone();
    let bytes = std::fs::read(&good).unwrap();
    let mut messages = Vec::new();
    let mut case = |title: &str, message: String| {
        messages.push(format!("{title}:\n  {message}"));
    };

    let truncated = dir.join("truncated.ttsc");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let message = refusal(&scenario, &truncated, None, &dir);
    let mut sizes = String::new();
    for c in message.chars() {
        if !c.is_ascii_digit() {
            sizes.push(c);
        } else if !sizes.ends_with("<n>") {
            sizes.push_str("<n>");
        }
    }
    case("truncated", sizes);
    let header_only = dir.join("header.ttsc");
    std::fs::write(&header_only, &bytes[..10]).unwrap();
    case(
        "a short header",
        refusal(&scenario, &header_only, None, &dir),
    );
    let corrupt = dir.join("corrupt.ttsc");
    let mut flipped = bytes.clone();
    let at = flipped.len() - 20;
    flipped[at] ^= 0x20;
    std::fs::write(&corrupt, &flipped).unwrap();
    case("corrupt", refusal(&scenario, &corrupt, None, &dir));
    let text = dir.join("report.json");
    std::fs::write(&text, "{\"scenario\":\"x\"}").unwrap();
    case("not a checkpoint", refusal(&scenario, &text, None, &dir));
    let missing = dir.join("missing.ttsc");
    let message = refusal(&scenario, &missing, None, &dir);
    assert!(message.contains("cannot read it"), "{message}");
    let mut version = bytes.clone();
    version[4] = 2;
    let newer = dir.join("newer.ttsc");
    std::fs::write(&newer, &version).unwrap();
    case("another format", refusal(&scenario, &newer, None, &dir));
    case("another scenario", refusal(&other, &good, None, &dir));
    case("another seed", refusal(&scenario, &good, Some(6), &dir));
    let older = forged(&dir, &good, |c| c.run.simulator_version = "0.0.1".into());
    case(
        "another simulator version",
        refusal(&scenario, &older, None, &dir),
    );
    let edited = forged(&dir, &good, |c| c.run.scenario_sha256 = "0".repeat(64));
    case(
        "an edited scenario",
        refusal(&scenario, &edited, None, &dir),
    );
    let diverged = forged(&dir, &good, |c| c.state.trace_lines += 1);
    case(
        "a world unlike its fingerprints",
        refusal(&scenario, &diverged, None, &dir),
    );
    let machine = forged(&dir, &good, |c| c.state.machine_sha256 = "0".repeat(64));
    case(
        "another machine state",
        refusal(&scenario, &machine, None, &dir),
    );
    let garbage = forged(&dir, &good, |c| c.world = Some(vec![7; 40]));
    case("a damaged world", refusal(&scenario, &garbage, None, &dir));
    let moved = forged(&dir, &good, |c| c.state.round += 1);
    case(
        "a world of another round",
        refusal(&scenario, &moved, None, &dir),
    );
    // Without the world, a resume runs again and verifies.
    let without = |c: &mut SimCheckpoint| {
        c.resume = telltale_simulator::checkpoint::RE_EXECUTE.into();
        c.world = None;
    };
    let again = forged(&dir, &good, without);
    let (rerun, _) = run(&scenario, &dir.join("again"), Some(&again), None).unwrap();
    same_run(&whole, &rerun, "re-executed");
    let diverged = forged(&dir, &good, |c| {
        without(c);
        c.state.trace_lines += 1;
    });
    case(
        "a re-run that diverges",
        refusal(&scenario, &diverged, None, &dir),
    );
    let late = forged(&dir, &good, |c| {
        without(c);
        c.state.round = whole.report.rounds + 7;
    });
    case(
        "a round the run never reaches",
        refusal(&scenario, &late, None, &dir),
    );

    // Another protocol under the same scenario text.
    let protocol = dir.join("token_ring.tell");
    let source = std::fs::read_to_string(&protocol).unwrap();
    std::fs::write(&protocol, source.replace(": Token", ": Baton")).unwrap();
    case("another protocol", refusal(&scenario, &good, None, &dir));

    insta::assert_snapshot!(messages.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_checkpoint_folder_is_an_error_not_a_panic() {
    let dir = scratch("unwritable");
    let scenario = fixture(&dir, "token_ring_partition.toml", 10);
    let blocker = dir.join("file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let e = run(&scenario, &blocker, None, None).unwrap_err();
    assert!(e.to_string().contains("cannot write it"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Over random seeds and intervals: a resume from a random checkpoint
    /// is the uninterrupted run.
    #[test]
    fn a_resume_is_the_uninterrupted_run_for_any_seed(
        seed in 0u64..10_000,
        interval in 1u64..60,
        pick in any::<prop::sample::Index>(),
    ) {
        let dir = scratch(&format!("prop-{seed}-{interval}"));
        let scenario = fixture(&dir, "token_ring_loss_duplication.toml", interval);
        let base = dir.join("artifacts");
        let (whole, written) = run(&scenario, &base, None, Some(seed)).unwrap();
        if !written.is_empty() {
            let checkpoint = pick.get(&written);
            let (resumed, _) = run(&scenario, &base, Some(checkpoint), Some(seed)).unwrap();
            prop_assert_eq!(whole.trace.lines(), resumed.trace.lines());
            prop_assert_eq!(
                serde_json::to_value(&whole.report).unwrap(),
                serde_json::to_value(&resumed.report).unwrap()
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
