//! Every Scribble/nuscr example of the shared corpus parses and lowers.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};

/// The nuscr corpus, or `None` (skip) outside CI when absent.
fn corpus() -> Option<PathBuf> {
    telltale_test_support::shared_path("examples/nuscr", "the nuscr corpus")
}

fn nuscr_files(dir: &PathBuf, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            nuscr_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nuscr" || e == "scr") {
            out.push(path);
        }
    }
}

#[test]
fn every_nuscr_example_parses_and_lowers() {
    let Some(dir) = corpus() else { return };
    let mut files = Vec::new();
    nuscr_files(&dir, &mut files);
    assert!(!files.is_empty(), "no .nuscr files under {}", dir.display());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = SourceFile::new(path.display().to_string(), text);
        let (module, diags) = load(&file);
        let rendered: Vec<String> = diags.iter().map(|d| d.render(&file)).collect();
        assert!(diags.is_empty(), "{}", rendered.join("\n"));
        let lowered = lower_all(&module, &LowerOptions::default()).unwrap_or_else(|ds| {
            let r: Vec<String> = ds.iter().map(|d| d.render(&file)).collect();
            panic!("{}", r.join("\n"))
        });
        assert!(!lowered.is_empty(), "{}", path.display());
        for p in &lowered {
            assert!(p.global.message_count() > 0, "{} is empty", p.name);
            if let Err(e) = telltale_theory::check_global(&p.global) {
                panic!("{} is not well formed: {e}", p.name);
            }
        }
    }
}
