//! Build automation: `cargo xtask ci` runs every check CI runs, in order.

use std::process::{Command, ExitCode};

/// One CI step: a description and the cargo arguments it runs.
struct Step {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const CI_STEPS: &[Step] = &[
    Step {
        name: "fmt",
        args: &["fmt", "--all", "--check"],
        env: &[],
    },
    Step {
        name: "lint",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "test",
        args: &["test", "--workspace"],
        env: &[],
    },
    Step {
        name: "doc",
        args: &["doc", "--workspace", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

fn run(step: &Step) -> bool {
    eprintln!("==> {}: cargo {}", step.name, step.args.join(" "));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command.args(step.args);
    for (key, value) in step.env {
        command.env(key, value);
    }
    match command.status() {
        Ok(status) if status.success() => true,
        Ok(status) => {
            eprintln!("==> {} failed ({status})", step.name);
            false
        }
        Err(err) => {
            eprintln!("==> {} could not start cargo: {err}", step.name);
            false
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: cargo xtask <ci|fmt|lint|test|doc>");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let Some(task) = std::env::args().nth(1) else {
        return usage();
    };
    let steps: Vec<&Step> = match task.as_str() {
        "ci" => CI_STEPS.iter().collect(),
        name => match CI_STEPS.iter().find(|s| s.name == name) {
            Some(step) => vec![step],
            None => return usage(),
        },
    };
    for step in steps {
        if !run(step) {
            return ExitCode::FAILURE;
        }
    }
    eprintln!("==> all checks passed");
    ExitCode::SUCCESS
}
