//! The example protocols: each parses and lowers with `N=4`, and the
//! formatter is a fixed point that preserves their meaning.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use telltale_lang::{format_module, load, lower_all, LowerOptions, LoweredProtocol, SourceFile};

const EXPECTED: &[&str] = &[
    "auction.tell",
    "consensus.tell",
    "heartbeat.tell",
    "lease.tell",
    "ledger_effects.tell",
    "map_reduce.tell",
    "parallel.tell",
    "ping_pong.tell",
    "request_response.tell",
    "three_buyer.tell",
    "timeout.tell",
    "token_ring.tell",
    "two_phase_commit.tell",
];

fn examples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tell"))
        .collect();
    files.sort();
    files
}

/// The meaning of a lowered protocol: everything but its source span.
fn meaning(lowered: &[LoweredProtocol]) -> Vec<(String, Vec<String>, String)> {
    lowered
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.roles.iter().map(|r| r.to_string()).collect(),
                p.global.to_string(),
            )
        })
        .collect()
}

fn lower_text(name: &str, text: &str) -> Vec<LoweredProtocol> {
    let file = SourceFile::new(name, text);
    let (module, diags) = load(&file);
    let rendered: Vec<String> = diags.iter().map(|d| d.render(&file)).collect();
    assert!(diags.is_empty(), "{}", rendered.join("\n"));
    lower_all(&module, &LowerOptions::with_params([("N", 4)])).unwrap_or_else(|ds| {
        let r: Vec<String> = ds.iter().map(|d| d.render(&file)).collect();
        panic!("{}", r.join("\n"))
    })
}

#[test]
fn every_expected_example_exists_and_explains_itself() {
    let files = examples();
    for name in EXPECTED {
        let path = files.iter().find(|p| p.ends_with(name));
        let path = path.unwrap_or_else(|| panic!("missing example {name}"));
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            text.starts_with("-- "),
            "{name} must start with a `--` comment"
        );
    }
}

#[test]
fn every_example_parses_and_lowers_with_n_4() {
    for path in examples() {
        let text = std::fs::read_to_string(&path).unwrap();
        let lowered = lower_text(&path.display().to_string(), &text);
        assert!(!lowered.is_empty(), "{}", path.display());
        for p in &lowered {
            assert!(p.global.message_count() > 0, "{}", p.name);
            assert!(p.global.content_id().is_ok(), "{} is not closed", p.name);
        }
    }
}

#[test]
fn formatting_is_a_fixed_point_and_preserves_meaning() {
    for path in examples() {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let (module, _) = load(&SourceFile::new(name.as_str(), text.as_str()));
        let once = format_module(&module);
        let (module_once, diags) = load(&SourceFile::new(name.as_str(), once.as_str()));
        assert!(diags.is_empty(), "formatted {name} does not parse:\n{once}");
        let twice = format_module(&module_once);
        assert_eq!(once, twice, "formatting {name} is not a fixed point");
        assert_eq!(
            meaning(&lower_text(&name, &text)),
            meaning(&lower_text(&name, &once)),
            "formatting {name} changed its meaning"
        );
    }
}

#[test]
fn explain_shows_the_desugared_protocol() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/heartbeat.tell");
    let text = std::fs::read_to_string(path).unwrap();
    let (module, _) = load(&SourceFile::new("heartbeat.tell", text));
    let explained = telltale_lang::explain(&module, "Watched", &LowerOptions::default()).unwrap();
    // The content id is the types crate's business; keep the snapshot about lowering.
    let stable: Vec<&str> = explained
        .lines()
        .filter(|l| !l.starts_with("content-id "))
        .collect();
    assert!(explained.contains("content-id "));
    insta::assert_snapshot!("explain_heartbeat", stable.join("\n"));
}

#[test]
fn nuscr_formats_as_tell() {
    let text = "(* adder *)\nglobal protocol Adder(role C, role S) {\n  lhs(x: int) from C to S; // left\n  choice at S { ok() from S to C; } or { no(string) from S to C; }\n}\n";
    let (module, diags) = load(&SourceFile::new("adder.nuscr", text));
    assert!(diags.is_empty());
    insta::assert_snapshot!("nuscr_as_tell", format_module(&module));
}

#[test]
fn every_example_is_well_formed_and_projects_for_every_role() {
    for path in examples() {
        let text = std::fs::read_to_string(&path).unwrap();
        for p in lower_text(&path.display().to_string(), &text) {
            if let Err(e) = telltale_theory::check_global(&p.global) {
                panic!("{} ({}) is not well formed: {e}", p.name, path.display());
            }
            for role in &p.roles {
                if let Err(e) = telltale_theory::project(&p.global, role) {
                    panic!("{} does not project onto {role}: {e}", p.name);
                }
            }
        }
    }
}

#[test]
fn consensus_round_follows_the_state_flow() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/consensus.tell");
    let text = std::fs::read_to_string(path).unwrap();
    let lowered = lower_text("consensus.tell", &text);
    let g = lowered[0].global.to_string();
    let order = [
        "StartRound",
        "Collected",
        "LivenessCheck",
        "Alive",
        "Proposal",
        "Vote",
        "Finalized",
        "Confirm",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|label| {
            g.find(&format!("{label}("))
                .unwrap_or_else(|| panic!("{label} missing"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{g}");
    let roles: Vec<String> = lowered[0].roles.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        roles,
        ["Leader", "Provers0", "Provers1", "Provers2", "Provers3"]
    );
}
