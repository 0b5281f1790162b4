//! The exit-code table of docs/cli.md, row by row, for every command that
//! reads protocol files: 0 success, 1 an input that was read but is wrong
//! (including a file that declares no protocol), 2 bad usage or an input
//! that cannot be read (missing, not UTF-8), 3 `subtype`'s `unknown`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::tell;

use std::path::{Path, PathBuf};

/// Runs `tell args` and checks its exit code and that stderr contains
/// `message`.
fn expect(args: &[&str], code: i32, message: &str) {
    let out = tell(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(message), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

/// Input files for every row of the table, in a fresh directory.
struct Fixtures {
    dir: PathBuf,
}

impl Fixtures {
    fn new(name: &str) -> Fixtures {
        let dir = std::env::temp_dir().join(format!("tell-exit-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files: [(&str, &[u8]); 6] = [
            ("empty.tell", b""),
            ("comments.tell", b"-- nothing but a comment\n"),
            ("comments.nuscr", b"// nothing but a comment\n"),
            ("syntax.tell", b"protocol P =\n  roles A, B\n  A -> B Msg\n"),
            (
                "unprojectable.tell",
                b"protocol Y =\n  roles A, B, C\n  choice A at\n    | One =>\n      A -> B : M\n      C -> A : X\n    | Two =>\n      A -> B : N\n",
            ),
            ("latin1.tell", b"protocol P =\n  roles A, B\n  A -> B : Caf\xe9\n"),
        ];
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        Fixtures { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const GOOD: &str = "examples/ping_pong.tell";
const NOT_UTF8: &str = "is not UTF-8: invalid byte at offset 40";

#[test]
fn every_protocol_command_follows_the_table() {
    let f = Fixtures::new("protocol");
    let missing = f.path("missing.tell");
    for command in ["check", "project", "graph", "compile", "run", "explain"] {
        // 0: success.
        expect(&[command, GOOD], 0, "");
        // 1: the file was read but is wrong.
        for empty in ["empty.tell", "comments.tell", "comments.nuscr"] {
            let path = f.path(empty);
            let message = format!("error[E037]: no protocol declared in `{path}`");
            expect(&[command, &path], 1, &message);
        }
        expect(&[command, &f.path("syntax.tell")], 1, "error[E001]");
        // 2: the file cannot be read.
        expect(&[command, &missing], 2, "cannot read `");
        expect(&[command, &f.path("latin1.tell")], 2, NOT_UTF8);
    }
    // 1: a protocol without a projection, for the commands that project.
    let unprojectable = f.path("unprojectable.tell");
    expect(&["check", &unprojectable], 1, "error[E034]");
    for command in ["project", "compile", "run"] {
        expect(&[command, &unprojectable], 1, "projection failed");
    }
    // 2: bad usage.
    for command in ["project", "graph", "compile", "run", "explain"] {
        expect(&[command, GOOD, "--protocol", "Nope"], 2, "Nope");
    }
}

#[test]
fn check_exits_with_the_worst_code_of_its_files() {
    let f = Fixtures::new("check");
    let empty = f.path("empty.tell");
    let missing = f.path("missing.tell");
    expect(&["check", GOOD, &empty], 1, "E037");
    expect(&["check", &empty, GOOD, &missing], 2, "E037");
    expect(&["check", &missing, &empty], 2, "cannot read");
}

#[test]
fn fmt_follows_the_table() {
    let f = Fixtures::new("fmt");
    let unformatted = f.path("unformatted.tell");
    std::fs::write(&unformatted, "protocol P =\n roles A,B\n A->B:M\n").unwrap();
    expect(&["fmt", "--check", GOOD], 0, "");
    expect(&["fmt", "--check", &unformatted], 1, "need formatting");
    expect(&["fmt", "--check", &f.path("syntax.tell")], 1, "E001");
    expect(
        &["fmt", "--check", &f.path("missing.tell")],
        2,
        "cannot read",
    );
    expect(&["fmt", "--check", &f.path("latin1.tell")], 2, NOT_UTF8);
    expect(
        &["fmt", "--check", &f.path("comments.nuscr")],
        2,
        "not a .tell file",
    );
}

#[test]
fn subtype_follows_the_table() {
    expect(&["subtype", "!a;?b;end", "?b;!a;end"], 0, "");
    expect(&["subtype", "?b;!a;end", "!a;?b;end"], 1, "");
    expect(&["subtype", "!a;", "end"], 2, "cannot read inline type");
    let f = Fixtures::new("subtype");
    let latin1 = Path::new(&f.path("latin1.tell")).to_path_buf();
    expect(&["subtype", latin1.to_str().unwrap(), "end"], 2, NOT_UTF8);
    let out = tell(&[
        "subtype",
        "rec X . !a;?b;X",
        "rec Y . ?b;!a;Y",
        "--bound",
        "1",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "unknown");
    assert_eq!(out.status.code(), Some(3));
}
