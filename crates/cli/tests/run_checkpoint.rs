//! `tell run --checkpoint-every K --checkpoint-dir D` and `--resume FILE`:
//! a run resumed from any of its checkpoints prints the same (whole) trace
//! as the uninterrupted run; bad checkpoints are clear errors, exit 2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell};

use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tell-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn checkpoints(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Runs `case` whole, then with `--checkpoint-every every`, then resumed
/// from each checkpoint file: all print the same output, and every file is
/// named `<prefix>…<extension>`.
fn resumes_equal_the_whole_run(
    tag: &str,
    case: &[&str],
    every: &str,
    (prefix, extension): (&str, &str),
) {
    let dir = temp_dir(tag);
    let whole = tell(&[&["run"], case].concat());
    assert!(whole.status.success(), "{}", stderr(&whole));
    let dir_arg = dir.to_str().unwrap();
    let with = tell(
        &[
            &["run"],
            case,
            &["--checkpoint-every", every, "--checkpoint-dir", dir_arg],
        ]
        .concat(),
    );
    assert!(with.status.success(), "{}", stderr(&with));
    assert_eq!(
        stdout(&with),
        stdout(&whole),
        "checkpointing changes nothing"
    );
    let files = checkpoints(&dir);
    assert!(files.len() >= 2, "{case:?}: {files:?}");
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(prefix) && name.ends_with(extension),
            "{name}"
        );
        let resumed = tell(&[&["run"], case, &["--resume", file.to_str().unwrap()]].concat());
        assert!(resumed.status.success(), "{}", stderr(&resumed));
        assert_eq!(stdout(&resumed), stdout(&whole), "{case:?} from {file:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_resumed_from_any_checkpoint_prints_the_uninterrupted_trace() {
    let cases: [&[&str]; 3] = [
        &["examples/three_buyer.tell", "--seed", "5"],
        &[
            "examples/two_phase_commit.tell",
            "--param",
            "N=3",
            "--seed",
            "3",
            "--policy",
            "cooperative",
            "--auth",
            "ed25519",
            "--replay-mode",
            "sequence",
        ],
        &[
            "examples/ping_pong.tell",
            "--seed",
            "9",
            "--policy",
            "progress-aware",
        ],
    ];
    for (i, case) in cases.iter().enumerate() {
        resumes_equal_the_whole_run(&format!("ckpt-{i}"), case, "3", ("step-", ".ttck"));
    }
}

#[test]
fn bad_checkpoints_are_clear_errors() {
    let dir = temp_dir("ckpt-bad");
    let dir_arg = dir.to_str().unwrap();
    let out = tell(&[
        "run",
        "examples/three_buyer.tell",
        "--checkpoint-every",
        "4",
        "--checkpoint-dir",
        dir_arg,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(checkpoints(&dir).remove(0)).unwrap();
    let good = dir.join("good.ttck");
    std::fs::write(&good, &bytes).unwrap();
    let corrupt = dir.join("corrupt.ttck");
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    std::fs::write(&corrupt, &flipped).unwrap();
    let truncated = dir.join("truncated.ttck");
    std::fs::write(&truncated, &bytes[..20]).unwrap();
    let cases = [
        ("corrupt", vec!["examples/three_buyer.tell"], &corrupt),
        ("truncated", vec!["examples/three_buyer.tell"], &truncated),
        ("other protocol", vec!["examples/ping_pong.tell"], &good),
        (
            "other options",
            vec!["examples/three_buyer.tell", "--seed", "1"],
            &good,
        ),
        (
            "other free iterations",
            vec!["examples/three_buyer.tell", "--free-iterations", "2"],
            &good,
        ),
    ];
    let mut report = String::new();
    for (what, args, file) in cases {
        let out = tell(&[&["run"], &args[..], &["--resume", file.to_str().unwrap()]].concat());
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{what}");
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{what}: {err}");
        report.push_str(&format!("{what}: {}", err.replace(dir_arg, "DIR")));
    }
    insta::assert_snapshot!(report);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_checkpoint_directory_is_a_clear_error() {
    let file = temp_dir("ckpt-file");
    std::fs::write(&file, "not a directory").unwrap();
    let out = tell(&[
        "run",
        "examples/three_buyer.tell",
        "--checkpoint-every",
        "2",
        "--checkpoint-dir",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot create checkpoint directory"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_sharded_run_resumed_from_any_checkpoint_prints_the_uninterrupted_output() {
    let cases: [&[&str]; 3] = [
        &[
            "examples/three_buyer.tell",
            "--seed",
            "5",
            "--threads",
            "2",
            "--sessions",
            "3",
        ],
        &[
            "examples/two_phase_commit.tell",
            "--param",
            "N=3",
            "--seed",
            "3",
            "--policy",
            "cooperative",
            "--auth",
            "ed25519",
            "--replay-mode",
            "sequence",
            "--threads",
            "3",
            "--sessions",
            "5",
        ],
        &[
            "examples/ping_pong.tell",
            "--seed",
            "9",
            "--threads",
            "1",
            "--sessions",
            "4",
            "--trace",
            "json",
        ],
    ];
    for (i, case) in cases.iter().enumerate() {
        resumes_equal_the_whole_run(&format!("rckpt-{i}"), case, "2", ("round-", ".ttrc"));
    }
}

#[test]
fn sharded_and_single_checkpoints_are_not_mixed_up() {
    let dir = temp_dir("rckpt-mix");
    let sharded_dir = dir.join("sharded");
    let single_dir = dir.join("single");
    let sharded = [
        "run",
        "examples/three_buyer.tell",
        "--threads",
        "2",
        "--sessions",
        "3",
    ];
    let out = tell(
        &[
            &sharded[..],
            &[
                "--checkpoint-every",
                "4",
                "--checkpoint-dir",
                sharded_dir.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = tell(&[
        "run",
        "examples/three_buyer.tell",
        "--checkpoint-every",
        "4",
        "--checkpoint-dir",
        single_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let runner_file = checkpoints(&sharded_dir).remove(0);
    let runner_file = runner_file.to_str().unwrap();
    let machine_file = checkpoints(&single_dir).remove(0);
    let machine_file = machine_file.to_str().unwrap();
    let mut corrupt = std::fs::read(runner_file).unwrap();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x40;
    let corrupt_file = dir.join("corrupt.ttrc");
    std::fs::write(&corrupt_file, &corrupt).unwrap();
    let corrupt_file = corrupt_file.to_str().unwrap();
    let tb = "examples/three_buyer.tell";
    let cases: [(&str, Vec<&str>); 6] = [
        ("of a sharded run", vec!["run", tb, "--resume", runner_file]),
        (
            "of a single-machine run",
            [&sharded[..], &["--resume", machine_file]].concat(),
        ),
        (
            "--threads 2 --sessions 3, not --threads 3 --sessions 3",
            vec![
                "run",
                tb,
                "--threads",
                "3",
                "--sessions",
                "3",
                "--resume",
                runner_file,
            ],
        ),
        (
            "--threads 2 --sessions 3, not --threads 2 --sessions 4",
            vec![
                "run",
                tb,
                "--threads",
                "2",
                "--sessions",
                "4",
                "--resume",
                runner_file,
            ],
        ),
        (
            "other run options",
            [&sharded[..], &["--seed", "1", "--resume", runner_file]].concat(),
        ),
        (
            "digest mismatch",
            [&sharded[..], &["--resume", corrupt_file]].concat(),
        ),
    ];
    for (expected, args) in cases {
        let out = tell(&args);
        assert_eq!(out.status.code(), Some(2), "{expected}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{expected}");
        assert!(
            stderr(&out).contains(expected),
            "{expected}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads a postcard varint at `*at`.
fn varint(bytes: &[u8], at: &mut usize) -> usize {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte < 0x80 {
            return value;
        }
    }
}

fn push_varint(out: &mut Vec<u8>, mut value: usize) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A checkpoint whose machine state has its first fabricated string
/// payload (`"s123"`, postcard tag 5) replaced by a tuple nested 60,000
/// deep, with the envelope's length and SHA-256 digest recomputed.
fn forge_deep_value(checkpoint: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let body = &checkpoint[48..];
    let mut at = 0;
    let mut fields = Vec::new();
    for _ in 0..3 {
        let len = varint(body, &mut at);
        fields.push(body[at..at + len].to_vec());
        at += len;
    }
    assert_eq!(at, body.len(), "a checkpoint body is three byte strings");
    let machine = &fields[2];
    let is_payload = |w: &[u8]| {
        let len = usize::from(w[1]);
        w[0] == 5
            && (2..=5).contains(&len)
            && w[2] == b's'
            && w[3..2 + len].iter().all(u8::is_ascii_digit)
    };
    let at = (0..machine.len() - 7)
        .find(|&i| is_payload(&machine[i..i + 7]))
        .expect("a string payload in the machine state");
    let len = 2 + usize::from(machine[at + 1]);
    let mut deep = machine[..at].to_vec();
    deep.extend([7u8, 1].repeat(60_000));
    deep.push(0);
    deep.extend(&machine[at + len..]);
    fields[2] = deep;
    let mut new_body = Vec::new();
    for field in &fields {
        push_varint(&mut new_body, field.len());
        new_body.extend(field);
    }
    let mut out = checkpoint[..8].to_vec();
    out.extend((new_body.len() as u64).to_le_bytes());
    out.extend(Sha256::digest(&new_body));
    out.extend(new_body);
    out
}

#[test]
fn a_checkpoint_with_a_value_nested_60000_deep_is_one_clear_error() {
    let dir = temp_dir("ckpt-deep");
    let dir_arg = dir.to_str().unwrap();
    let out = tell(&[
        "run",
        "examples/three_buyer.tell",
        "--checkpoint-every",
        "4",
        "--checkpoint-dir",
        dir_arg,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(checkpoints(&dir).remove(0)).unwrap();
    let forged = dir.join("deep.ttck");
    std::fs::write(&forged, forge_deep_value(&bytes)).unwrap();
    assert!(std::fs::metadata(&forged).unwrap().len() > 120_000);
    let out = tell(&[
        "run",
        "examples/three_buyer.tell",
        "--resume",
        forged.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("a payload value is nested deeper than 64 levels"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("overflow"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
