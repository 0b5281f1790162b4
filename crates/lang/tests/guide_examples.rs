//! Every example of the language guide (`docs/language.md`) is checked, so
//! the guide cannot drift from the implementation.
//!
//! Code blocks are recognised by their fence:
//!
//! - ```` ```tell ```` / ```` ```nuscr ````: a whole file that must parse and
//!   lower (every top-level protocol) without any diagnostic, and whose
//!   protocols must be well formed and project onto every role;
//! - ```` ```tell-error ```` / ```` ```nuscr-error ````: a file that must
//!   produce at least one diagnostic when parsed and lowered; when the block
//!   mentions codes such as `E010`, each of them must be among the produced
//!   diagnostics;
//! - ```` ```lowered ````: what the preceding `tell`/`nuscr` block lowers
//!   to, written as `tell explain` prints its first top-level protocol: the
//!   `roles` line, then the global type (the other header lines are left out).
//!
//! Blocks are lowered with the parameters listed in [`PARAMS`], which the
//! guide documents. Failures name the block's line in the guide.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use telltale_lang::{
    explain, lower_all, parse_module, parse_nuscr, Diagnostic, LowerOptions, Module, SourceFile,
};

/// The parameters every example is lowered with (stated in the guide).
const PARAMS: &[(&str, u64)] = &[("N", 4), ("Peers", 3), ("i", 1)];

/// One fenced code block of the guide.
struct Block {
    /// The word after the opening fence.
    fence: String,
    /// The 1-based line of the opening fence.
    line: usize,
    /// The block's content, with the fence's indentation removed.
    text: String,
}

fn guide_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/language.md")
}

/// The fenced code blocks of a markdown text, in order.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(Block, usize)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match open.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let block = Block {
                        fence: info.trim().to_string(),
                        line: i + 1,
                        text: String::new(),
                    };
                    open = Some((block, indent));
                }
            }
            Some((block, _)) if trimmed.starts_with("```") => out.push(block),
            Some((mut block, indent)) => {
                let content = if line.len() >= indent && line[..indent].trim().is_empty() {
                    &line[indent..]
                } else {
                    trimmed
                };
                block.text.push_str(content);
                block.text.push('\n');
                open = Some((block, indent));
            }
        }
    }
    assert!(open.is_none(), "the guide ends inside a code block");
    out
}

/// Parses a block with the front-end its fence names.
fn parse(block: &Block, name: &str) -> (SourceFile, Module, Vec<Diagnostic>) {
    let file = SourceFile::new(name, block.text.as_str());
    let (module, diags) = if block.fence.starts_with("nuscr") {
        parse_nuscr(&file)
    } else {
        parse_module(&file)
    };
    (file, module, diags)
}

/// Parses and lowers a block, returning every diagnostic produced.
fn diagnose(block: &Block, name: &str) -> (SourceFile, Module, Vec<Diagnostic>) {
    let (file, module, mut diags) = parse(block, name);
    if diags.is_empty() {
        if let Err(more) = lower_all(&module, &options()) {
            diags = more;
        }
    }
    (file, module, diags)
}

fn options() -> LowerOptions {
    LowerOptions::with_params(PARAMS.iter().copied())
}

/// The `roles` line and the global type of the first top-level protocol,
/// as `tell explain` prints them.
fn explained(module: &Module) -> String {
    let first = module
        .top_level_protocols()
        .next()
        .expect("a block followed by `lowered` declares a protocol");
    let text = explain(module, &first.name.text, &options()).expect("the block lowers");
    let mut out = Vec::new();
    let mut in_global = false;
    for line in text.lines() {
        if in_global {
            out.push(line.strip_prefix("  ").unwrap_or(line).to_string());
        } else if line.starts_with("roles ") {
            out.push(line.to_string());
        } else if line == "global:" {
            in_global = true;
        }
    }
    out.join("\n")
}

/// Why the lowered protocols of a block are not well formed or do not
/// project onto one of their roles: the guide only teaches good protocols.
fn projection_problems(module: &Module, line: usize) -> Vec<String> {
    let lowered = lower_all(module, &options()).expect("the block lowers");
    let mut out = Vec::new();
    for p in &lowered {
        if let Err(e) = telltale_theory::check_global(&p.global) {
            out.push(format!(
                "block at line {line}: `{}` is not well formed: {e}",
                p.name
            ));
            continue;
        }
        for role in &p.roles {
            if let Err(e) = telltale_theory::project(&p.global, role) {
                out.push(format!(
                    "block at line {line}: `{}` does not project onto {role}: {e}",
                    p.name
                ));
            }
        }
    }
    out
}

/// The error codes (`E` and three digits) a text mentions.
fn codes_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for i in 0..bytes.len().saturating_sub(3) {
        let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let word_end = !matches!(bytes.get(i + 4), Some(b) if b.is_ascii_alphanumeric());
        if word_start
            && word_end
            && bytes[i] == b'E'
            && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
        {
            out.push(text[i..i + 4].to_string());
        }
    }
    out
}

#[test]
fn every_guide_example_behaves_as_documented() {
    let path = guide_path();
    let markdown = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let all = blocks(&markdown);
    let mut failures = Vec::new();
    let mut checked = 0;
    // The last parsed `tell`/`nuscr` block, for a following `lowered` block.
    let mut previous: Option<(usize, Module)> = None;
    for block in &all {
        let name = format!("guide-block-at-line-{}", block.line);
        match block.fence.as_str() {
            "tell" | "nuscr" => {
                checked += 1;
                let (file, module, diags) = diagnose(block, &name);
                if diags.is_empty() {
                    failures.extend(projection_problems(&module, block.line));
                    previous = Some((block.line, module));
                } else {
                    previous = None;
                    let rendered: Vec<String> = diags.iter().map(|d| d.render(&file)).collect();
                    failures.push(format!(
                        "block at line {} does not lower:\n{}",
                        block.line,
                        rendered.join("\n")
                    ));
                }
            }
            "tell-error" | "nuscr-error" => {
                checked += 1;
                previous = None;
                let (_, _, diags) = diagnose(block, &name);
                let produced: Vec<&str> = diags.iter().map(|d| d.kind.code()).collect();
                if diags.is_empty() {
                    failures.push(format!(
                        "error block at line {} produces no diagnostic",
                        block.line
                    ));
                }
                for code in codes_in(&block.text) {
                    if !produced.contains(&code.as_str()) {
                        failures.push(format!(
                            "error block at line {} mentions {code} but produces {produced:?}",
                            block.line
                        ));
                    }
                }
            }
            "lowered" => {
                checked += 1;
                match previous.take() {
                    None => failures.push(format!(
                        "`lowered` block at line {} does not follow a lowering `tell` block",
                        block.line
                    )),
                    Some((line, module)) => {
                        let actual = explained(&module);
                        if actual.trim_end() != block.text.trim_end() {
                            failures.push(format!(
                                "block at line {line} lowers to\n{actual}\nbut the guide (line {}) says\n{}",
                                block.line,
                                block.text.trim_end()
                            ));
                        }
                    }
                }
            }
            other => {
                previous = None;
                if other.starts_with("tell") || other.starts_with("nuscr") {
                    failures.push(format!(
                        "block at line {} has the unknown fence `{other}`",
                        block.line
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 40,
        "only {checked} checked blocks found in {}",
        path.display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_error_code_is_in_the_guide_table() {
    let markdown = std::fs::read_to_string(guide_path()).unwrap();
    let table = markdown
        .lines()
        .filter(|l| l.starts_with("| E0"))
        .collect::<Vec<_>>()
        .join("\n");
    for code in [
        "E001", "E002", "E010", "E011", "E012", "E013", "E014", "E015", "E016", "E017", "E018",
        "E019", "E020", "E021", "E022", "E023", "E024", "E025", "E026", "E027", "E028", "E029",
        "E030", "E031", "E032", "E033", "E044", "E045",
    ] {
        assert!(
            table.contains(&format!("| {code} |")),
            "{code} is missing from the error table of the guide"
        );
    }
}

#[test]
fn block_extraction_keeps_line_numbers_and_strips_indentation() {
    let md = "text\n```tell\nprotocol P =\n  A -> B : M\n```\n- item\n  ```lowered\n  roles A, B\n  ```\n";
    let found = blocks(md);
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].fence.as_str(), found[0].line), ("tell", 2));
    assert_eq!(found[0].text, "protocol P =\n  A -> B : M\n");
    assert_eq!((found[1].fence.as_str(), found[1].line), ("lowered", 7));
    assert_eq!(found[1].text, "roles A, B\n");
    assert_eq!(
        codes_in("-- E010 and E2 and XE011, (E033)"),
        ["E010", "E033"]
    );
}
