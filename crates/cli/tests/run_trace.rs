//! `tell run` as a person reads it: the text trace in words (snapshots),
//! the JSON trace unchanged, every bundled loop shown running at least once
//! under the defaults, and nonsensical counts refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell, workspace_root};

use std::path::PathBuf;

#[test]
fn the_text_trace_reads_as_words() {
    for file in ["ping_pong", "three_buyer"] {
        let out = tell(&["run", &format!("examples/{file}.tell")]);
        assert!(out.status.success(), "{}", stderr(&out));
        insta::assert_snapshot!(format!("text_{file}"), stdout(&out));
    }
}

#[test]
fn the_json_trace_keeps_the_machine_names() {
    let out = tell(&["run", "examples/ping_pong.tell", "--trace", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("json_ping_pong", stdout(&out));
}

/// For every bundled example with a loop: a line that shows the loop
/// continuing, and a line that shows the run back at the loop after one
/// full iteration (the decision to leave, or for the endless ring the token
/// passed on again), with how often it must appear.
const LOOPS: &[(&str, &str, &str, usize)] = &[
    (
        "auction",
        "Auctioneer selects CallForBids",
        "Auctioneer selects Done",
        1,
    ),
    (
        "consensus",
        "Leader selects StartRound",
        "Leader selects Done",
        1,
    ),
    (
        "heartbeat",
        "Monitor selects Alive",
        "Monitor selects Dead",
        1,
    ),
    ("ping_pong", "Pinger selects Ping", "Pinger selects Bye", 1),
    (
        "token_ring",
        "Node3 -> Node0 : Token",
        "Node0 -> Node1 : Token",
        2,
    ),
];

#[test]
fn every_bundled_loop_runs_at_least_once_by_default() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tell"))
        .collect();
    files.sort();
    let mut looping = 0;
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let file = format!("examples/{name}.tell");
        // Any construct that loops (`rec`, `loop`, `heartbeat`, ...)
        // projects to a `rec`.
        let projected = tell(&["project", &file, "--param", "N=3"]);
        assert!(projected.status.success(), "{}", stderr(&projected));
        let has_loop = stdout(&projected).contains("rec ");
        let Some(&(_, continuing, decision, times)) = LOOPS.iter().find(|(n, ..)| *n == name)
        else {
            assert!(!has_loop, "{name} has a loop: add it to LOOPS");
            continue;
        };
        assert!(has_loop, "{name} is listed in LOOPS but has no loop");
        looping += 1;
        let endless = name == "token_ring";
        let mut args = vec!["run", &file, "--param", "N=3"];
        if endless {
            args.extend(["--max-steps", "40"]);
        }
        let out = tell(&args);
        assert_eq!(out.status.success(), !endless, "{name}: {}", stderr(&out));
        let text = stdout(&out);
        let first = text.find(continuing);
        let last = text.rfind(decision);
        assert!(
            first.is_some() && first < last,
            "{name}: `{continuing}` then `{decision}`:\n{text}"
        );
        assert!(
            text.matches(decision).count() >= times,
            "{name}: `{decision}` fewer than {times} times:\n{text}"
        );
    }
    assert_eq!(looping, LOOPS.len(), "every listed example exists");
}

#[test]
fn free_iterations_set_how_often_a_loop_continues() {
    let rounds = |free: &str| {
        let out = tell(&["run", "examples/ping_pong.tell", "--free-iterations", free]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).matches("Pinger selects Ping").count()
    };
    assert_eq!(rounds("0"), 0);
    assert_eq!(rounds("1"), 1);
    assert_eq!(rounds("4"), 4);
}

#[test]
fn nonsensical_counts_are_refused_with_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--sessions", "0"], "--sessions"),
        (&["--threads", "0"], "--threads"),
        (&["--max-steps", "0"], "--max-steps"),
        (&["--free-iterations", "1000000000000"], "--free-iterations"),
        (
            &["--checkpoint-every", "0", "--checkpoint-dir", "unused"],
            "--checkpoint-every",
        ),
    ];
    for (extra, flag) in cases {
        let args = [&["run", "examples/ping_pong.tell"], *extra].concat();
        let out = tell(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?} ran anyway");
    }
    let serve: &[&[&str]] = &[
        &["--timeout", "0"],
        &["--max-steps", "0"],
        &["--free-iterations", "1000000000000"],
    ];
    for extra in serve {
        let args = [
            &[
                "serve",
                "examples/ping_pong.tell",
                "--role",
                "Pinger",
                "--roster",
                "unused.toml",
            ],
            *extra,
        ]
        .concat();
        let out = tell(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let bench: &[(&[&str], &str)] = &[
        (&["--workload", "ring", "--roles", "1"], "at least 2 roles"),
        (&["--workload", "pingpong", "--messages", "0"], "--messages"),
        (&["--workload", "sessions", "--sessions", "0"], "--sessions"),
        (
            &["--workload", "threaded-sessions", "--threads", "0"],
            "--threads",
        ),
        (
            &["--workload", "threaded-sessions", "--wave-rounds", "0"],
            "--wave-rounds",
        ),
    ];
    for (extra, message) in bench {
        let args = [&["bench"], *extra].concat();
        let out = tell(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn nested_loops_end_with_no_free_iterations() {
    let selected = |free: &str| {
        let out = tell(&[
            "run",
            "crates/cli/tests/fixtures/nested_loops.tell",
            "--free-iterations",
            free,
            "--max-steps",
            "200",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .filter_map(|l| l.split_once("A selects ").map(|(_, r)| r.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(selected("0"), ["Finish for B", "Quit for B"]);
    assert_eq!(
        selected("1"),
        ["Again for B", "Finish for B", "Next for B", "Quit for B"]
    );
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tell"))
        .args(["run", "examples/token_ring.tell", "--max-steps", "200000"])
        .current_dir(workspace_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tell binary runs");
    // Close our end of the pipe before reading anything, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("tell ends");
    let err = stderr(&out);
    assert!(!err.contains("internal error"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}
