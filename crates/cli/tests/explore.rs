//! `tell explore`: verdicts, bounds and exit codes end to end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell};

/// `tell explore args` as parsed JSON, with its exit code.
fn explore_json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut all = vec!["explore", "--json"];
    all.extend_from_slice(args);
    let out = tell(&all);
    let json = serde_json::from_str(stdout(&out).trim())
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), json)
}

#[test]
fn two_phase_commit_holds_for_two_to_four_participants() {
    for n in ["N=2", "N=3", "N=4"] {
        let out = tell(&["explore", "examples/two_phase_commit.tell", "--param", n]);
        assert_eq!(out.status.code(), Some(0), "{n}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("verdict: every check holds"), "{text}");
        assert!(text.contains("never reached (fullest buffer 1)"), "{text}");
    }
}

#[test]
fn json_counts_do_not_depend_on_threads_and_reduction_saves_states() {
    let file = "examples/two_phase_commit.tell";
    let (code, one) = explore_json(&[file, "--param", "N=3", "--no-por", "--threads", "1"]);
    assert_eq!(code, Some(0));
    let (_, two) = explore_json(&[file, "--param", "N=3", "--no-por", "--threads", "2"]);
    assert_eq!(one["verdict"], "holds");
    assert_eq!(one["unique_states"], two["unique_states"]);
    assert_eq!(one["transitions"], two["transitions"]);
    assert_eq!(one["unique_states"], 349);
    let (_, reduced) = explore_json(&[file, "--param", "N=3"]);
    assert_eq!(reduced["por"], true);
    assert_eq!(reduced["verdict"], "holds");
    assert!(reduced["unique_states"].as_u64() < one["unique_states"].as_u64());
    let (_, dfs) = explore_json(&[file, "--param", "N=3", "--dfs", "--no-por"]);
    assert_eq!(dfs["unique_states"], 349);
    assert_eq!(dfs["counterexample"], serde_json::Value::Null);
}

#[test]
fn bounds_that_cut_the_search_exit_3() {
    let (code, json) = explore_json(&[
        "examples/two_phase_commit.tell",
        "--param",
        "N=2",
        "--max-depth",
        "3",
    ]);
    assert_eq!(code, Some(3));
    assert_eq!(json["verdict"], "incomplete");
    assert_eq!(json["depth_bound_hit"], true);
}

#[test]
fn a_reached_buffer_bound_exits_3_and_suggests_a_larger_one() {
    let path = std::env::temp_dir().join(format!("tell-explore-burst-{}.tell", std::process::id()));
    std::fs::write(
        &path,
        "protocol Burst =\n  roles A, B\n  A -> B : One\n  A -> B : Two\n  A -> B : Three\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let out = tell(&["explore", file, "--buffer-bound", "2"]);
    // Three messages fill a bound of 3: only a bound never reached is
    // k-exhaustive.
    let full = tell(&["explore", file, "--buffer-bound", "3"]);
    let roomy = tell(&["explore", file, "--buffer-bound", "4"]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("try --buffer-bound 3"),
        "{}",
        stdout(&out)
    );
    assert_eq!(full.status.code(), Some(3), "{}", stdout(&full));
    assert_eq!(roomy.status.code(), Some(0), "{}", stdout(&roomy));
}

#[test]
fn a_byzantine_role_multiplies_the_states_by_its_lies() {
    let file = "examples/two_phase_commit.tell";
    let (code, honest) = explore_json(&[file, "--param", "N=2"]);
    assert_eq!(code, Some(0));
    let (code, lying) = explore_json(&[file, "--param", "N=2", "--byzantine", "Participants0"]);
    assert_eq!(code, Some(0), "{lying}");
    let (honest, lying) = (&honest["unique_states"], &lying["unique_states"]);
    assert!(lying.as_u64() > honest.as_u64(), "{lying} vs {honest}");
    let out = tell(&["explore", file, "--param", "N=2", "--host", "nowhere"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no such host"), "{}", stderr(&out));
    let out = tell(&["explore", file, "--param", "N=2", "--byzantine", "Nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no role `Nobody`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_input_exits_1() {
    let out = tell(&["explore", "no/such/file.tell"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no/such/file.tell"),
        "{}",
        stderr(&out)
    );
    let out = tell(&[
        "explore",
        "examples/two_phase_commit.tell",
        "--buffer-bound",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("must be at least 1"),
        "{}",
        stderr(&out)
    );
    let out = tell(&[
        "explore",
        "examples/two_phase_commit.tell",
        "--bfs",
        "--dfs",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = tell(&["explore", "--help"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_ring_that_never_ends_fails_progress_with_a_lasso() {
    let (code, json) = explore_json(&["examples/token_ring.tell"]);
    assert_eq!(code, Some(0), "no deadlock: {json}");
    let out = tell(&["explore", "examples/token_ring.tell", "--progress"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("verdict: violated: progress: after 0 steps, a cycle of 8 steps"),
        "{text}"
    );
    assert!(
        text.contains("-- the cycle starts here and repeats forever --"),
        "{text}"
    );
    let out = tell(&[
        "explore",
        "examples/two_phase_commit.tell",
        "--param",
        "N=3",
        "--progress",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("orphan_messages, progress)"),
        "{}",
        stdout(&out)
    );
}

/// The printed lasso of the token ring, after the timing line (which
/// varies): the bound line, the verdict, the trace and the diagram.
#[test]
fn the_lasso_of_a_ring_reads_well() {
    let out = tell(&["explore", "examples/token_ring.tell", "--progress"]);
    let text = stdout(&out);
    let rest: Vec<&str> = text.lines().skip(1).collect();
    insta::assert_snapshot!(rest.join("\n"));
}

#[test]
fn one_lost_message_deadlocks_two_phase_commit() {
    let (code, report) = explore_json(&[
        "examples/two_phase_commit.tell",
        "--param",
        "N=2",
        "--drops",
        "1",
    ]);
    assert_eq!(code, Some(2));
    assert_eq!(report["drop_budget"], 1);
    assert_eq!(report["por"], false);
    assert_eq!(report["counterexample"]["property"], "deadlock");
}

#[test]
fn effect_answers_can_be_listed_and_a_wrong_one_is_bad_input() {
    let (code, all) = explore_json(&["examples/ledger_effects.tell", "--buffer-bound", "3"]);
    assert_eq!(code, Some(0));
    let (code, some) = explore_json(&[
        "examples/ledger_effects.tell",
        "--buffer-bound",
        "3",
        "--effect",
        "Ledger.append=Ok",
    ]);
    assert_eq!(code, Some(0));
    assert!(some["unique_states"].as_u64() < all["unique_states"].as_u64());
    let out = tell(&[
        "explore",
        "examples/ledger_effects.tell",
        "--effect",
        "Ledger.nope=Ok",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("performs no `Ledger.nope`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn receive_timeouts_are_explored_unless_turned_off() {
    let (code, report) = explore_json(&["examples/timeout.tell"]);
    assert_eq!(code, Some(2), "a premature timeout: {report}");
    assert_eq!(report["counterexample"]["property"], "no_faults");
    assert_eq!(report["por"], false);
    let (code, report) = explore_json(&[
        "examples/timeout.tell",
        "--no-timeouts",
        "--buffer-bound",
        "5",
    ]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["por"], true);
}

/// Client i asks server i in parallel: the members move in pairs, and
/// every permutation of the pairs is a symmetry.
const PAIRS: &str = "protocol Pairs =
  roles C[3], S[3]
  par
    | C[0] -> S[0] : Req
      S[0] -> C[0] : Resp
    | C[1] -> S[1] : Req
      S[1] -> C[1] : Resp
    | C[2] -> S[2] : Req
      S[2] -> C[2] : Resp
";

#[test]
fn symmetry_is_reported_and_can_be_turned_off() {
    let dir = std::env::temp_dir().join(format!("tell-explore-sym-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pairs.tell");
    std::fs::write(&file, PAIRS).unwrap();
    let file = file.to_str().unwrap();
    let (code, sym) = explore_json(&[file, "--no-por"]);
    assert_eq!(code, Some(0));
    let (_, plain) = explore_json(&[file, "--no-por", "--no-symmetry"]);
    assert_eq!(sym["verdict"], plain["verdict"]);
    assert_eq!(plain["unique_states"], 729);
    assert_eq!(sym["unique_states"], 165);
    assert_eq!(sym["symmetry"]["applied"], true);
    assert_eq!(sym["symmetry"]["represented_states"], 729);
    assert_eq!(sym["symmetry"]["complete"], true);
    assert_eq!(plain["symmetry"]["applied"], false);
    let out = tell(&["explore", file, "--no-por"]);
    let text = stdout(&out);
    assert!(
        text.contains("symmetry: all permutations of (C0, S0)..(C2, S2) (group of 6); 165 unique states stand for 729 (factor 4.42)"),
        "{text}"
    );
    let (_, tpc) = explore_json(&["examples/two_phase_commit.tell", "--param", "N=2"]);
    assert_eq!(tpc["symmetry"]["applied"], false);
    assert_eq!(
        tpc["symmetry"]["reason"],
        "Coordinator's program addresses the members of Participants in a fixed order"
    );
    std::fs::remove_dir_all(&dir).ok();
}
