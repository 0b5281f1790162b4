//! Every bundled example, end to end: parse, lower, project, compile, run on
//! the protocol machine to completion, and pass the record/replay
//! conformance check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use telltale_compiler::CodeImage;
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_theory::projection::project_all;
use telltale_types::GlobalType;
use telltale_vm::{
    load_image_all_roles, run_record_replay_conformance, Config, DefaultHandler, RunStatus,
};

/// Whether some path of the protocol reaches `end` (a `loop forever` does not).
fn can_end(global: &GlobalType) -> bool {
    match global {
        GlobalType::End => true,
        GlobalType::Var(_) => false,
        GlobalType::Rec { body, .. } => can_end(body),
        GlobalType::Comm { branches, .. } => branches.iter().any(|b| can_end(&b.continuation)),
    }
}

/// Every example protocol's name, code image, and whether it can end.
fn example_images() -> Vec<(String, CodeImage, bool)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut images = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tell"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file = SourceFile::new(name.clone(), std::fs::read_to_string(&path).unwrap());
        let (module, diagnostics) = load(&file);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
        let options = LowerOptions::with_params([("N", 3)]);
        for protocol in lower_all(&module, &options).unwrap() {
            let locals: Vec<_> = project_all(&protocol.global).unwrap().into_iter().collect();
            let image =
                CodeImage::build_with_effects(Some(&protocol.global), &locals, &protocol.effects)
                    .unwrap();
            let ends = can_end(&protocol.global);
            images.push((format!("{name}/{}", protocol.name), image, ends));
        }
    }
    assert!(
        images.len() >= 12,
        "found {} example protocols",
        images.len()
    );
    images
}

/// Terminating protocols finish; `loop forever` ones run until the budget,
/// never stuck and never faulted.
#[test]
fn every_example_runs_to_completion_under_every_seed() {
    for (name, image, ends) in example_images() {
        let expected = if ends {
            RunStatus::AllDone
        } else {
            RunStatus::BudgetExhausted
        };
        for seed in 0..4 {
            let mut machine = load_image_all_roles(image.clone(), Config::default()).unwrap();
            let status = machine.run(&DefaultHandler::new(seed), 100_000);
            assert_eq!(status.unwrap(), expected, "{name} (seed {seed})");
        }
    }
}

#[test]
fn every_example_replays_its_recording_exactly() {
    for (name, image, _) in example_images() {
        let make = || load_image_all_roles(image.clone(), Config::default());
        let report = run_record_replay_conformance(&make, &DefaultHandler::new(7), 100_000)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.events > 0, "{name}");
    }
}

#[test]
fn code_images_survive_both_encodings() {
    for (name, image, _) in example_images() {
        let bytes = image.to_bytes().unwrap();
        assert_eq!(CodeImage::from_bytes(&bytes).unwrap(), image, "{name}");
        let json = image.to_json().unwrap();
        assert_eq!(CodeImage::from_json(&json).unwrap(), image, "{name}");
    }
}
