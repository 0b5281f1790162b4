//! The effect scaffold end to end: golden files, determinism, the errors a
//! user meets, and all-or-nothing writing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use telltale_effect_scaffold::{generate, generate_file, Options, Scaffold, ScaffoldError};
use telltale_lang::SourceFile;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// Options whose output does not depend on where the checkout is.
fn options() -> Options {
    Options {
        telltale_path: "../..".into(),
        ..Options::default()
    }
}

fn scaffold_of(text: &str) -> Result<Scaffold, ScaffoldError> {
    generate(&SourceFile::new("demo.tell", text), &options())
}

fn error_of(text: &str) -> String {
    scaffold_of(text).expect_err("an error").to_string()
}

#[test]
fn the_ledger_scaffold_matches_its_golden_files() {
    let scaffold = generate_file(&example("ledger_effects.tell"), &options()).unwrap();
    let paths: Vec<String> = scaffold
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    insta::assert_snapshot!("ledger_files", paths.join("\n"));
    for file in &scaffold.files {
        if file.path.starts_with("images") {
            continue;
        }
        let name = format!("ledger_{}", file.path.display()).replace(['/', '.'], "_");
        insta::assert_snapshot!(name, file.contents);
    }
}

#[test]
fn generating_twice_gives_the_same_bytes() {
    for name in ["ledger_effects.tell", "consensus.tell"] {
        let a = generate_file(&example(name), &options()).unwrap();
        let b = generate_file(&example(name), &options()).unwrap();
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn family_sizes_default_to_three_and_can_be_given() {
    let default = generate_file(&example("consensus.tell"), &options()).unwrap();
    let manifest = &default.file("effects_manifest.json").unwrap().contents;
    assert!(manifest.contains("\"N\": 3"), "{manifest}");
    assert!(manifest.contains("Provers2") && !manifest.contains("Provers3"));
    let four = Options {
        params: [("N".to_string(), 4)].into(),
        ..options()
    };
    let four = generate_file(&example("consensus.tell"), &four).unwrap();
    let manifest = &four.file("effects_manifest.json").unwrap().contents;
    assert!(manifest.contains("\"N\": 4") && manifest.contains("Provers3"));
}

#[test]
fn without_the_simulator_no_scripted_host_is_written() {
    let scaffold = generate_file(
        &example("ledger_effects.tell"),
        &Options {
            simulator: false,
            ..options()
        },
    )
    .unwrap();
    assert!(scaffold.file("src/generated_simulator.rs").is_none());
    let lib = &scaffold.file("src/lib.rs").unwrap().contents;
    assert!(!lib.contains("generated_simulator"), "{lib}");
    let smoke = &scaffold.file("tests/vm_smoke.rs").unwrap().contents;
    assert!(!smoke.contains("ScriptedHost::new"), "{smoke}");
}

#[test]
fn declared_records_tuples_and_variants_with_payloads_become_rust_types() {
    let scaffold = scaffold_of(
        "type Reason = | Busy | Quota of Int | Moved of (String, Nat)
type alias Slot = { shelf : Int, tag : String }

effect Store
  put : Slot -> Result Reason Int
  probe : (Int, Bool) -> Bool
  kind : Unit -> Reason

protocol P uses Store =
  roles A, B
  A -> B : Go of Slot
  let r = check Store.put(go)
  case r of
    | Ok(n) => B -> A : Done
    | Err(e) => B -> A : Failed
",
    )
    .unwrap();
    let effects = &scaffold.file("src/generated_effects.rs").unwrap().contents;
    for expected in [
        "pub enum Reason {",
        "    Quota(i64),",
        "    Moved((String, u64)),",
        "pub struct Slot {",
        "    pub shelf: i64,",
        "fn put(&mut self, slot: Slot) -> StorePutOutcome;",
        "fn probe(&mut self, arguments: (i64, bool)) -> StoreProbeOutcome;",
        "pub type StoreKindOutcome = Reason;",
        "pub type StoreProbeOutcome = bool;",
    ] {
        assert!(
            effects.contains(expected),
            "missing {expected:?} in\n{effects}"
        );
    }
}

#[test]
fn a_file_without_effects_is_refused() {
    let message = error_of("protocol P =\n  roles A, B\n  A -> B : Ping\n");
    insta::assert_snapshot!(message);
}

#[test]
fn names_rust_cannot_take_are_refused_with_a_suggestion() {
    let keyword = error_of(
        "effect Store\n  ref : Int -> Bool\n\nprotocol P uses Store =\n  roles A, B\n  A -> B : Ping\n",
    );
    insta::assert_snapshot!("keyword_operation", keyword);
    let field = error_of(
        "type alias Slot = { fn : Int }\n\neffect Store\n  put : Slot -> Bool\n\nprotocol P uses Store =\n  roles A, B\n  A -> B : Ping\n",
    );
    assert!(field.contains("field `fn` is a Rust keyword"), "{field}");
    assert!(field.contains("rename it to `fn_`"), "{field}");
    let prelude = error_of(
        "type Vec = | A | B\n\neffect Store\n  put : Vec -> Bool\n\nprotocol P uses Store =\n  roles A, B\n  A -> B : Ping\n",
    );
    assert!(prelude.contains("`VecType`"), "{prelude}");
}

#[test]
fn types_the_scaffold_cannot_express_are_refused_with_what_to_do() {
    let inline = error_of(
        "effect Store\n  put : { shelf : Int } -> Bool\n\nprotocol P uses Store =\n  roles A, B\n  A -> B : Ping\n",
    );
    assert!(inline.contains("demo.tell:2:9"), "{inline}");
    assert!(
        inline.contains("type alias Name = { shelf : Int }"),
        "{inline}"
    );
    let no_case = error_of(
        "effect Clock\n  now : Unit -> Int\n\nprotocol P uses Clock =\n  roles A, B\n  A -> B : Ping\n",
    );
    insta::assert_snapshot!("result_without_outcomes", no_case);
}

#[test]
fn unreadable_and_invalid_files_are_refused() {
    let missing = generate_file(Path::new("/no/such/file.tell"), &options()).expect_err("missing");
    assert!(
        missing
            .to_string()
            .starts_with("cannot read `/no/such/file.tell`"),
        "{missing}"
    );
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("bad.tell");
    fs::write(&binary, b"effect \xff").unwrap();
    let not_text = generate_file(&binary, &options()).expect_err("not text");
    assert!(not_text.to_string().contains("offset 7"), "{not_text}");
    let broken = error_of("effect Store\n  put : Int ->\n");
    assert!(broken.contains("error"), "{broken}");
}

/// Every file below `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn writing_refuses_existing_generated_files_and_keeps_the_users() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("host");
    let scaffold = generate_file(&example("ledger_effects.tell"), &options()).unwrap();
    let report = scaffold.write(&out, false).unwrap();
    assert_eq!(report.written.len(), scaffold.files.len());
    let first = listing(&out);

    // The user edits their own file and a generated one.
    fs::write(out.join("src/host_types.rs"), "// mine\n").unwrap();
    fs::write(out.join("README.md"), "edited\n").unwrap();

    // Without --force: an error naming the generated files; nothing changes.
    let refused = scaffold.write(&out, false).expect_err("exists");
    let message = refused.to_string();
    assert!(
        message.contains("README.md") && message.contains("--force"),
        "{message}"
    );
    assert!(!message.contains("host_types.rs"), "{message}");
    assert_eq!(
        fs::read_to_string(out.join("README.md")).unwrap(),
        "edited\n"
    );

    // With --force: generated files are replaced, the user's kept.
    let report = scaffold.write(&out, true).unwrap();
    assert!(report.kept.contains(&PathBuf::from("src/host_types.rs")));
    assert_eq!(
        fs::read_to_string(out.join("src/host_types.rs")).unwrap(),
        "// mine\n"
    );
    assert_ne!(
        fs::read_to_string(out.join("README.md")).unwrap(),
        "edited\n"
    );
    assert_eq!(listing(&out), first);

    // No staging folder is left beside the output.
    let beside: Vec<_> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("host")]);
}

#[test]
fn a_failed_write_leaves_nothing_half_written() {
    let root = tempfile::tempdir().unwrap();
    // The output "folder" is a file: nothing can be written into it.
    let out = root.path().join("host");
    fs::write(&out, "a file").unwrap();
    let scaffold = generate_file(&example("ledger_effects.tell"), &options()).unwrap();
    let error = scaffold.write(&out, false).expect_err("cannot write");
    assert!(matches!(error, ScaffoldError::Write { .. }), "{error}");
    let beside: Vec<_> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("host")]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "a file");
}

#[test]
fn an_effect_whose_operations_take_nothing_generates_no_unused_argument() {
    let scaffold = scaffold_of(
        "effect Clock\n  now : Unit -> Maybe Int\n\nprotocol P uses Clock =\n  roles A, B\n  \
         let t = check Clock.now() at A\n  case t of\n    | Just(x) => A -> B : Time of Int\n    \
         | Nothing => A -> B : NoTime\n",
    )
    .unwrap();
    let effects = scaffold
        .files
        .iter()
        .find(|f| f.path.ends_with("generated_effects.rs"))
        .unwrap();
    assert!(effects.contents.contains("let _ = argument;"));
}
