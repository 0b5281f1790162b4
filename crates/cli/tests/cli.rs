//! End-to-end tests of the `tell` binary: outputs, exit codes, and errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell, workspace_root};

#[test]
fn project_prints_one_local_type_per_role() {
    let out = tell(&["project", "--input-json", "examples/ping_pong.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn project_one_role_as_json_round_trips() {
    let out = tell(&[
        "project",
        "--input-json",
        "examples/ping_pong.json",
        "--role",
        "Server",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let local = telltale_types::json::local_from_json(&stdout(&out)).expect("valid local JSON");
    assert!(
        local.to_string().starts_with("rec rally . Client?"),
        "{local}"
    );
}

#[test]
fn project_unknown_role_is_a_clear_error() {
    let out = tell(&[
        "project",
        "--input-json",
        "examples/ping_pong.json",
        "--role",
        "Nobody",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "error: no role `Nobody` in this protocol (roles: Client, Server)"
    );
}

#[test]
fn project_missing_file_names_it() {
    let out = tell(&["project", "--input-json", "no/such/file.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: cannot read `no/such/file.json`"),
        "{err}"
    );
    assert!(!err.contains("backtrace"), "{err}");
}

#[test]
fn subtype_exit_codes_carry_the_verdict() {
    let cases: &[(&[&str], &str, i32)] = &[
        (&["subtype", "!a;?b;end", "?b;!a;end"], "subtype", 0),
        (&["subtype", "?b;!a;end", "!a;?b;end"], "not-subtype", 1),
        (
            &["subtype", "!a;?b;end", "?b;!a;end", "--mode", "sync"],
            "not-subtype",
            1,
        ),
        (
            &[
                "subtype",
                "+{!a;end}",
                "+{!a;end, !b;end}",
                "--mode",
                "sync",
            ],
            "subtype",
            0,
        ),
        (
            &[
                "subtype",
                "rec X . !a; X",
                "rec Y . ?b; !a; Y",
                "--bound",
                "3",
            ],
            "",
            -1,
        ),
        // Anticipating two outputs per input owes ever more outputs: no
        // closed simulation exists within any bound, so the answer is
        // `unknown` (never a guess), exit 3.
        (
            &["subtype", "rec X . !a; !a; ?b; X", "rec Y . ?b; !a; Y"],
            "unknown",
            3,
        ),
        (
            &[
                "subtype",
                "rec X . !a; !a; ?b; X",
                "rec Y . ?b; !a; Y",
                "--bound",
                "3",
            ],
            "unknown",
            3,
        ),
    ];
    for (args, expected, code) in cases {
        let out = tell(args);
        if *code >= 0 {
            assert_eq!(stdout(&out).trim(), *expected, "{args:?}: {}", stderr(&out));
            assert_eq!(out.status.code(), Some(*code), "{args:?}");
        } else {
            // A tiny budget on an infinite anticipation: never a wrong `subtype`.
            assert_ne!(stdout(&out).trim(), "subtype", "{args:?}");
        }
    }
}

#[test]
fn subtype_reads_nuscr_dot_files() {
    let Some(shared) = telltale_test_support::shared_path(
        "examples/nuscr/double-buffering",
        "the double-buffering kernel",
    ) else {
        return;
    };
    let optimised = shared.join("k_optimised.dot");
    let expected = shared.join("k_expected.dot");
    let out = tell(&[
        "subtype",
        optimised.to_str().unwrap(),
        expected.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&out).trim(), "subtype", "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn subtype_bad_input_exits_2_with_a_located_message() {
    let out = tell(&["subtype", "!a;", "end"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&out));
}

#[test]
fn check_accepts_every_bundled_example() {
    let mut args = vec!["check", "--param", "N=4"];
    let examples: Vec<String> = std::fs::read_dir(workspace_root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tell"))
        .map(|p| {
            p.strip_prefix(workspace_root())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert!(examples.len() >= 12, "{examples:?}");
    args.extend(examples.iter().map(String::as_str));
    let out = tell(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), examples.len());
}

#[test]
fn bundled_examples_are_formatted() {
    let out = tell(&[
        "fmt",
        "--check",
        "examples/ping_pong.tell",
        "examples/ledger_effects.tell",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn check_reports_diagnostics_with_exit_1() {
    let dir = std::env::temp_dir().join(format!("tell-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.tell");
    std::fs::write(&bad, "protocol Bad =\n  roles A, B\n  A -> C : Hello\n").unwrap();
    let out = tell(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out).replace(bad.to_str().unwrap(), "bad.tell");
    insta::assert_snapshot!(err);
}

#[test]
fn check_prints_a_protocol_id_that_covers_effect_signatures() {
    let dir = std::env::temp_dir().join(format!("tell-cli-effid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger =
        std::fs::read_to_string(workspace_root().join("examples/ledger_effects.tell")).unwrap();
    let changed = dir.join("changed.tell");
    std::fs::write(
        &changed,
        ledger.replace(
            "head : Unit -> Maybe ledger.Digest",
            "head : Unit -> Maybe Nat",
        ),
    )
    .unwrap();
    let ids = |path: &str| {
        let out = tell(&["check", path]);
        assert!(out.status.success(), "{}", stderr(&out));
        let line = stdout(&out);
        let id_after = |key: &str| {
            let rest = line.split(key).nth(1).unwrap_or_else(|| panic!("{line}"));
            rest.split(|c: char| !c.is_ascii_hexdigit())
                .next()
                .unwrap()
                .to_string()
        };
        (id_after("content id "), id_after("protocol id "))
    };
    let (content, protocol) = ids("examples/ledger_effects.tell");
    let (same_content, other_protocol) = ids(changed.to_str().unwrap());
    assert_eq!(content.len(), 64);
    assert_eq!(content, same_content);
    assert_ne!(protocol, other_protocol);
    assert_ne!(protocol, content);
    // Without effects, the content id is the protocol id and is printed once.
    let plain = stdout(&tell(&["check", "examples/ping_pong.tell"]));
    assert!(!plain.contains("protocol id"), "{plain}");
}

/// `or missed` checks, formats and explains; it changes the protocol id
/// but not the content id.
#[test]
fn check_accepts_missable_messages() {
    const MISSABLE: &str = "crates/cli/tests/fixtures/missable.tell";
    let ids = |path: &str| {
        let out = tell(&["check", "--param", "Peers=3", path]);
        assert!(out.status.success(), "{}", stderr(&out));
        let line = stdout(&out);
        let id_after = |key: &str| {
            line.split(key).nth(1).map(|rest| {
                rest.split(|c: char| !c.is_ascii_hexdigit())
                    .next()
                    .unwrap()
                    .to_string()
            })
        };
        (id_after("content id "), id_after("protocol id "))
    };
    let (content, protocol) = ids(MISSABLE);
    assert!(protocol.is_some_and(|p| Some(p) != content));
    let dir = std::env::temp_dir().join(format!("tell-cli-missable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("plain.tell");
    let text = std::fs::read_to_string(workspace_root().join(MISSABLE)).unwrap();
    std::fs::write(&plain, text.replace(" or missed", "")).unwrap();
    assert_eq!(ids(plain.to_str().unwrap()), (content, None));
    let out = tell(&["fmt", "--check", MISSABLE]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = tell(&["explain", "--param", "Peers=3", MISSABLE]);
    assert!(out.status.success(), "{}", stderr(&out));
    let explained = stdout(&out);
    let missable: Vec<&str> = explained
        .lines()
        .filter(|l| l.starts_with("missable "))
        .collect();
    assert_eq!(
        missable,
        [
            "missable Peers0 -> Leader : Ack",
            "missable Peers0 -> Leader : Vote",
            "missable Peers1 -> Leader : Vote",
            "missable Peers2 -> Leader : Vote",
        ]
    );
}

#[test]
fn graph_draws_a_mermaid_sequence_diagram() {
    let out = tell(&["graph", "examples/ping_pong.tell"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

/// Our projections of the nuscr examples are the FSMs nuscr produced, up to
/// renumbering of states and the spelling of payload types.
#[test]
fn nuscr_projections_match_the_expected_fsms() {
    use telltale_theory::dot::parse_dot;
    use telltale_theory::fsm::{Fsm, Transition};
    use telltale_types::Label;

    fn erase_sorts(fsm: &Fsm) -> Fsm {
        let transitions: Vec<Transition> = fsm
            .transitions()
            .iter()
            .map(|t| {
                let mut t = t.clone();
                t.action.label = Label::unit(t.action.label.name());
                t
            })
            .collect();
        Fsm::new(
            fsm.role().clone(),
            fsm.states().to_vec(),
            fsm.initial(),
            transitions,
        )
        .unwrap()
    }

    let Some(root) = telltale_test_support::shared_path("examples/nuscr", "nuscr FSMs") else {
        return;
    };
    let mut compared = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let Some(protocol) = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "nuscr"))
        else {
            continue;
        };
        let out = tell(&["project", protocol.to_str().unwrap(), "--format", "dot"]);
        assert!(
            out.status.success(),
            "{}: {}",
            protocol.display(),
            stderr(&out)
        );
        let text = stdout(&out);
        for chunk in text.split("digraph ").filter(|c| !c.trim().is_empty()) {
            let ours = parse_dot(&format!("digraph {chunk}")).unwrap();
            let expected_path = dir.join(format!("{}_expected.dot", ours.role()));
            let expected = parse_dot(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
            assert!(
                erase_sorts(&ours).isomorphic(&erase_sorts(&expected)),
                "{}: role {} differs from nuscr\nours:\ndigraph {chunk}",
                protocol.display(),
                ours.role()
            );
            compared += 1;
        }
    }
    assert!(compared >= 10, "compared only {compared} role FSMs");
}

#[test]
fn run_prints_a_deterministic_trace() {
    let first = tell(&["run", "examples/three_buyer.tell", "--seed", "5"]);
    let second = tell(&["run", "examples/three_buyer.tell", "--seed", "5"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(stdout(&first), stdout(&second));
    assert!(stdout(&first).contains(" done"));
    let json = tell(&["run", "examples/ping_pong.tell", "--trace", "json"]);
    for line in stdout(&json).lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("one JSON object per line");
    }
}

#[test]
fn run_shards_sessions_over_threads() {
    let plain = tell(&["run", "examples/three_buyer.tell", "--seed", "5"]);
    let one = tell(&[
        "run",
        "examples/three_buyer.tell",
        "--seed",
        "5",
        "--threads",
        "1",
        "--sessions",
        "1",
    ]);
    assert_eq!(stdout(&plain), stdout(&one));
    let args = [
        "run",
        "examples/three_buyer.tell",
        "--seed",
        "5",
        "--threads",
        "2",
        "--sessions",
        "3",
    ];
    let first = tell(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(stdout(&first), stdout(&tell(&args)));
    let out = stdout(&first);
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("session ")).collect();
    assert_eq!(headers, ["session 0:", "session 1:", "session 2:"]);
    let json = tell(&[
        "run",
        "examples/ping_pong.tell",
        "--trace",
        "json",
        "--threads",
        "2",
        "--sessions",
        "2",
    ]);
    for line in stdout(&json).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v.get("session").is_some() && v.get("event").is_some(),
            "{line}"
        );
    }
    let zero = tell(&["run", "examples/ping_pong.tell", "--threads", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(stderr(&zero).contains("--threads"), "{}", stderr(&zero));
    let dir = std::env::temp_dir().join(format!("tell-threads-ckpt-{}", std::process::id()));
    let dir_arg = dir.to_string_lossy();
    let sharded = [
        "run",
        "examples/ping_pong.tell",
        "--threads",
        "2",
        "--sessions",
        "2",
    ];
    let sharded_checkpoints = tell(
        &[
            &sharded[..],
            &["--checkpoint-every", "5", "--checkpoint-dir", &dir_arg],
        ]
        .concat(),
    );
    assert!(
        sharded_checkpoints.status.success(),
        "{}",
        stderr(&sharded_checkpoints)
    );
    assert_eq!(stdout(&sharded_checkpoints), stdout(&tell(&sharded)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_that_cannot_finish_exits_1() {
    let out = tell(&["run", "examples/token_ring.tell", "--max-steps", "50"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not finished after 50 steps"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bench_prints_one_json_line() {
    for args in [
        &["bench", "--workload", "pingpong", "--messages", "1000"][..],
        &["bench", "--workload", "sessions", "--sessions", "100"][..],
        &[
            "bench",
            "--workload",
            "ring",
            "--roles",
            "4",
            "--messages",
            "1000",
        ][..],
        &["bench", "--workload", "effects", "--messages", "1000"][..],
    ] {
        let out = tell(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        for field in [
            "workload",
            "messages",
            "seconds",
            "msgs_per_sec",
            "peak_rss_kib",
        ] {
            assert!(
                line.get(field).is_some(),
                "{args:?}: no `{field}` in {line}"
            );
        }
        if args[2] == "effects" {
            assert_eq!(line["effect_calls"], 500, "{line}");
        }
    }
}

#[test]
fn bench_compares_threaded_sessions_with_one_thread() {
    let out = tell(&[
        "bench",
        "--workload",
        "threaded-sessions",
        "--sessions",
        "200",
        "--threads",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    for field in ["msgs_per_sec_1", "msgs_per_sec_n", "speedup", "threads"] {
        assert!(line.get(field).is_some(), "no `{field}` in {line}");
    }
}

#[test]
fn subtype_compares_a_projection_with_notation() {
    let dir = std::env::temp_dir().join(format!("tell-subtype-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("pinger.json");
    let out = tell(&[
        "project",
        "examples/ping_pong.tell",
        "--role",
        "Pinger",
        "--format",
        "json",
    ]);
    std::fs::write(&json, stdout(&out)).unwrap();
    let out = tell(&[
        "subtype",
        json.to_str().unwrap(),
        "rec X . +{!Ping; ?Pong; X, !Bye; end}",
    ]);
    assert_eq!(stdout(&out).trim(), "subtype", "{}", stderr(&out));
}

#[test]
fn run_with_signed_messages_and_replay_checks() {
    let plain = tell(&["run", "examples/three_buyer.tell", "--seed", "2"]);
    let hardened = tell(&[
        "run",
        "examples/three_buyer.tell",
        "--seed",
        "2",
        "--auth",
        "ed25519",
        "--replay-mode",
        "sequence",
    ]);
    assert!(hardened.status.success(), "{}", stderr(&hardened));
    // Hardening checks messages; it does not change what the protocol does.
    assert_eq!(stdout(&plain), stdout(&hardened));
    for auth in ["none", "ed25519"] {
        let nullifier = tell(&[
            "run",
            "examples/three_buyer.tell",
            "--seed",
            "2",
            "--auth",
            auth,
            "--replay-mode",
            "nullifier",
        ]);
        assert!(nullifier.status.success(), "{}", stderr(&nullifier));
        assert_eq!(stdout(&plain), stdout(&nullifier));
    }
}

/// The README shows the output of its main-job command; keep them equal.
#[test]
fn readme_shows_the_real_output_of_the_main_job() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let after = readme
        .split_once("The first prints one local type per role:")
        .expect("the README introduces the main job's output")
        .1;
    let block = after
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a text block follows")
        .0;
    let out = tell(&["project", "examples/three_buyer.tell"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), block);
}

#[test]
fn check_reports_an_unprojectable_protocol() {
    let dir = std::env::temp_dir().join(format!("tell-cli-unproj-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("unprojectable.tell");
    std::fs::write(
        &file,
        "protocol Y =\n  roles A, B, C\n  choice A at\n    | One =>\n      A -> B : M\n      C -> A : X\n    | Two =>\n      A -> B : N\n      C -> A : Y\n",
    )
    .unwrap();
    let out = tell(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out).replace(file.to_str().unwrap(), "unprojectable.tell"));
}
