//! `tell scaffold`: a host crate from a file's effects, all or nothing,
//! exit 0 when written and 1 (nothing written) on any error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell};

#[test]
fn scaffold_writes_a_host_crate_then_refuses_to_overwrite_it_without_force() {
    let dir = std::env::temp_dir().join(format!("tell-scaffold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("host");
    let out_text = out.to_str().unwrap();
    let first = tell(&[
        "scaffold",
        "examples/ledger_effects.tell",
        "--out",
        out_text,
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let printed = stdout(&first);
    assert!(printed.contains("wrote 9 files"), "{printed}");
    assert!(printed.contains("src/generated_effects.rs"), "{printed}");
    assert!(printed.contains("cargo test"), "{printed}");
    let cargo = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains("path = \"../../"),
        "a relative path: {cargo}"
    );

    let again = tell(&[
        "scaffold",
        "examples/ledger_effects.tell",
        "--out",
        out_text,
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("pass --force"),
        "{}",
        stderr(&again)
    );

    let forced = tell(&[
        "scaffold",
        "examples/ledger_effects.tell",
        "--out",
        out_text,
        "--force",
    ]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(stdout(&forced).contains("kept your own files"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scaffold_errors_exit_1_and_write_nothing() {
    let dir = std::env::temp_dir().join(format!("tell-scaffold-err-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("host");
    let out_text = out.to_str().unwrap();
    for (file, message) in [
        ("examples/ping_pong.tell", "declares no `effect`"),
        (
            "examples/no_such_file.tell",
            "cannot read `examples/no_such_file.tell`",
        ),
    ] {
        let run = tell(&["scaffold", file, "--out", out_text]);
        assert_eq!(run.status.code(), Some(1), "{file}");
        assert!(stderr(&run).contains(message), "{file}: {}", stderr(&run));
        assert!(!stderr(&run).contains("panicked"));
        assert!(!out.exists(), "{file}: nothing is written");
    }
}
