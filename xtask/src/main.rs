//! Build automation: `cargo xtask ci` runs every check CI runs, in order.
//!
//! This is the one definition of CI: `.ci/run` only prints the toolchain,
//! installs what a fresh machine lacks and calls `cargo xtask ci`. Single
//! steps run as `cargo xtask <step>`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

/// The proptest seed CI pins unless `PROPTEST_RNG_SEED` is exported, so a
/// landing is decided by the code, not by the draw.
const CI_PROPTEST_SEED: &str = "20261121";

/// The variable that points the tests at the shared reference directory
/// (`telltale_test_support::SHARED_DIR_VAR`).
const SHARED_DIR_VAR: &str = "TELLTALE_SHARED_DIR";

/// The warning a test prints when it skips for want of shared material
/// (`telltale_test_support::shared_path`).
const SHARED_SKIP_WARNING: &str = "shared reference material not found";

/// The panic message of a test that lacks shared material under `CI`.
const SHARED_CI_FAILURE: &str = "CI is set, so this is a failure";

/// Test targets that read `../shared`, for the shared-absent step.
const SHARED_TESTS: &[&str] = &["golden_lean", "fsm_dot"];

/// Where and with what the steps run.
struct Context {
    /// The workspace root.
    root: PathBuf,
    /// The cargo that runs the steps.
    cargo: String,
    /// `PROPTEST_RNG_SEED` for the test steps.
    proptest_seed: String,
}

impl Context {
    fn new() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Context {
            root,
            cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()),
            proptest_seed: std::env::var("PROPTEST_RNG_SEED")
                .unwrap_or_else(|_| CI_PROPTEST_SEED.to_string()),
        }
    }

    /// `cargo ARGS` at the workspace root.
    fn cargo(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.cargo);
        command.args(args).current_dir(&self.root);
        command
    }

    /// `tell ARGS`, built and run by cargo (as the README shows it).
    fn tell(&self, args: &[&str]) -> Command {
        let mut command = self.cargo(&[
            "run",
            "--quiet",
            "-p",
            "telltale-cli",
            "--bin",
            "tell",
            "--",
        ]);
        command.args(args);
        command
    }
}

/// One CI check.
struct Step {
    /// Its name on the command line and in the log.
    name: &'static str,
    /// What it checks, for the log.
    what: &'static str,
    /// Runs it; the error says what failed.
    run: fn(&Context) -> Result<(), String>,
}

/// Every CI check, in the order CI runs them.
const CI_STEPS: &[Step] = &[
    Step {
        name: "fmt",
        what: "cargo fmt --all --check",
        run: fmt,
    },
    Step {
        name: "lint",
        what: "cargo clippy --workspace --all-targets -- -D warnings",
        run: lint,
    },
    Step {
        name: "test",
        what: "cargo test --workspace (the README's test command), proptest seed pinned",
        run: test,
    },
    Step {
        name: "shared-absent",
        what: "tests that need ../shared skip loudly without it, and fail without it under CI",
        run: shared_absent,
    },
    Step {
        name: "doc",
        what: "cargo doc --workspace --no-deps with warnings denied",
        run: doc,
    },
    Step {
        name: "readme",
        what: "the README's example command: tell project examples/three_buyer.tell",
        run: readme,
    },
    Step {
        name: "examples",
        what: "every bundled example passes tell check and is formatted",
        run: examples,
    },
    Step {
        name: "scaffold",
        what: "`just effect-scaffold` on the bundled examples with effects; each generated crate's cargo test, offline",
        run: scaffold,
    },
];

/// Checks too long for default CI, run on demand (`cargo xtask sweeps`).
const OPT_IN_STEPS: &[Step] = &[Step {
    name: "sweeps",
    what: "the flagship's scenarios over many seeds in release (10,000; 1,000 for N = 16; 200 for the negative controls, which must fail)",
    run: sweeps,
}];

/// Every consensus scenario over its seeds: a scenario whose header
/// expects exit 0 must pass every seed, one that expects 2 must fail.
fn sweeps(ctx: &Context) -> Result<(), String> {
    status(ctx.cargo(&["build", "--release", "-p", "telltale-cli", "--bin", "tell"]))?;
    let tell = ctx.root.join("target/release/tell");
    let dir = ctx.root.join("examples/consensus/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let expected = text
            .lines()
            .find_map(|l| l.strip_prefix("# Expected exit code: "))
            .and_then(|c| c.trim_end_matches('.').trim().parse::<i32>().ok())
            .ok_or_else(|| format!("{}: no `# Expected exit code: N` line", file.display()))?;
        let name = file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().to_string());
        let seeds = match (expected, name.contains("n16")) {
            (2, _) => 200,
            (_, true) => 1_000,
            _ => 10_000,
        };
        let range = format!("1..{}", seeds + 1);
        eprintln!("    {name}: {seeds} seeds, expecting exit {expected}");
        let started = std::time::Instant::now();
        let mut command = Command::new(&tell);
        command
            .args(["sim"])
            .arg(&file)
            .args(["--seeds", &range])
            .stdout(std::process::Stdio::null())
            .current_dir(&ctx.root);
        let code = command
            .status()
            .map_err(|e| format!("could not start {command:?}: {e}"))?
            .code();
        eprintln!(
            "    {name}: exit {code:?} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        if code != Some(expected) {
            return Err(format!("{name}: exit {code:?}, expected {expected}"));
        }
    }
    Ok(())
}

/// Bundled examples whose effect scaffold CI generates and tests.
const SCAFFOLDED: &[&str] = &["ledger_effects", "consensus"];

/// Runs `command`, its output going straight to ours.
fn status(mut command: Command) -> Result<(), String> {
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{command:?} failed ({status})")),
        Err(err) => Err(format!("could not start {command:?}: {err}")),
    }
}

/// Runs `command` and keeps its output.
fn output(mut command: Command) -> Result<Output, String> {
    command
        .output()
        .map_err(|err| format!("could not start {command:?}: {err}"))
}

fn fmt(ctx: &Context) -> Result<(), String> {
    status(ctx.cargo(&["fmt", "--all", "--check"]))
}

fn lint(ctx: &Context) -> Result<(), String> {
    status(ctx.cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test(ctx: &Context) -> Result<(), String> {
    eprintln!("PROPTEST_RNG_SEED={}", ctx.proptest_seed);
    let mut command = ctx.cargo(&["test", "--workspace"]);
    command.env("PROPTEST_RNG_SEED", &ctx.proptest_seed);
    status(command)
}

/// Runs the shared-material tests with the shared directory pointed at a
/// path that does not exist: without `CI` they must pass and say loudly
/// that they skipped; with `CI` set they must fail. (`--workspace` keeps
/// the feature set of the test step, so nothing is rebuilt.)
fn shared_absent(ctx: &Context) -> Result<(), String> {
    let missing = ctx.root.join("target/xtask-no-shared-dir");
    if missing.exists() {
        return Err(format!("{} must not exist", missing.display()));
    }
    let run = |ci: bool| {
        let mut args = vec!["test", "--workspace"];
        for name in SHARED_TESTS {
            args.extend(["--test", name]);
        }
        args.extend(["--", "--nocapture"]);
        let mut command = ctx.cargo(&args);
        command
            .env(SHARED_DIR_VAR, &missing)
            .env("PROPTEST_RNG_SEED", &ctx.proptest_seed);
        if ci {
            command.env("CI", "true");
        } else {
            command.env_remove("CI");
        }
        output(command)
    };
    let skipped = run(false)?;
    let stderr = String::from_utf8_lossy(&skipped.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains(SHARED_SKIP_WARNING))
        .collect();
    if !skipped.status.success() || warnings.is_empty() {
        eprintln!("{stderr}{}", String::from_utf8_lossy(&skipped.stdout));
        return Err(format!(
            "without CI and without the shared directory, the tests must pass and warn \
             (passed: {}, warnings: {})",
            skipped.status.success(),
            warnings.len()
        ));
    }
    for line in &warnings {
        eprintln!("    {line}");
    }
    eprintln!("    without CI: passed, {} loud skips", warnings.len());
    let under_ci = run(true)?;
    let failed_for_want_of_shared = String::from_utf8_lossy(&under_ci.stderr)
        .lines()
        .any(|line| line.contains(SHARED_CI_FAILURE));
    if under_ci.status.success() || !failed_for_want_of_shared {
        return Err(format!(
            "with CI set and no shared directory, the tests must fail for that reason \
             (passed: {}, failed for want of shared material: {failed_for_want_of_shared})",
            under_ci.status.success()
        ));
    }
    eprintln!("    with CI set: failed, as it must");
    Ok(())
}

fn doc(ctx: &Context) -> Result<(), String> {
    let mut command = ctx.cargo(&["doc", "--workspace", "--no-deps"]);
    command.env("RUSTDOCFLAGS", "-D warnings");
    status(command)
}

fn readme(ctx: &Context) -> Result<(), String> {
    status(ctx.tell(&["project", "examples/three_buyer.tell"]))
}

fn examples(ctx: &Context) -> Result<(), String> {
    let dir = ctx.root.join("examples");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".tell") {
            files.push(format!("examples/{name}"));
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("no .tell files in {}", dir.display()));
    }
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    status(ctx.tell(&[&["check", "--param", "N=4"], files.as_slice()].concat()))?;
    status(ctx.tell(&[&["fmt", "--check"], files.as_slice()].concat()))
}

/// Generates the effect scaffold of each [`SCAFFOLDED`] example with the
/// `just` recipe (as users run it) into `target/scaffold-ci/`, then runs the
/// generated crate's tests offline, sharing the workspace's target folder
/// and lock file so nothing is fetched or built twice.
fn scaffold(ctx: &Context) -> Result<(), String> {
    let base = ctx.root.join("target/scaffold-ci");
    let _ = std::fs::remove_dir_all(&base);
    for name in SCAFFOLDED {
        let out = base.join(name);
        let mut just = Command::new("just");
        just.current_dir(&ctx.root).args([
            "effect-scaffold",
            &format!("examples/{name}.tell"),
            &out.display().to_string(),
        ]);
        status(just).map_err(|e| {
            format!("{e}\n(`just` is installed by .ci/run; elsewhere `pip install rust-just` or `cargo install just`)")
        })?;
        if let Some(example) = docs_example(ctx, name)? {
            let path = out.join("tests/docs_example.rs");
            std::fs::write(&path, example).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        let lock = out.join("Cargo.lock");
        std::fs::copy(ctx.root.join("Cargo.lock"), &lock)
            .map_err(|e| format!("{}: {e}", lock.display()))?;
        let mut test = Command::new(&ctx.cargo);
        test.current_dir(&out)
            .args(["test", "--offline"])
            .env("CARGO_TARGET_DIR", ctx.root.join("target"));
        status(test)?;
    }
    Ok(())
}

/// The Rust block docs/effects.md marks `<!-- scaffold-example: NAME -->`:
/// its worked example, compiled and run as a test of the generated crate.
fn docs_example(ctx: &Context, name: &str) -> Result<Option<String>, String> {
    let path = ctx.root.join("docs/effects.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let marker = format!("<!-- scaffold-example: {name} -->");
    let Some(start) = text.find(&marker) else {
        return Ok(None);
    };
    let block = text[start..]
        .split_once("```rust,ignore\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map(|(code, _)| format!("//! The worked example of docs/effects.md.\n\n{code}\n"));
    block
        .map(Some)
        .ok_or_else(|| format!("{}: no rust block after {marker}", path.display()))
}

fn usage() -> ExitCode {
    let names: Vec<&str> = CI_STEPS.iter().map(|s| s.name).collect();
    let opt_in: Vec<&str> = OPT_IN_STEPS.iter().map(|s| s.name).collect();
    eprintln!(
        "usage: cargo xtask <ci|{}>  (opt-in, not part of ci: {})",
        names.join("|"),
        opt_in.join("|")
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let Some(task) = std::env::args().nth(1) else {
        return usage();
    };
    let steps: Vec<&Step> = match task.as_str() {
        "ci" => CI_STEPS.iter().collect(),
        name => match CI_STEPS.iter().chain(OPT_IN_STEPS).find(|s| s.name == name) {
            Some(step) => vec![step],
            None => return usage(),
        },
    };
    let ctx = Context::new();
    for step in steps {
        eprintln!("==> {}: {}", step.name, step.what);
        if let Err(err) = (step.run)(&ctx) {
            eprintln!("==> {} failed: {err}", step.name);
            return ExitCode::FAILURE;
        }
    }
    eprintln!("==> all checks passed");
    ExitCode::SUCCESS
}
