//! The run's JSONL trace: one JSON object per line, `tick`, `kind` and a
//! readable `detail`, with its SHA-256 digest. Nothing in it depends on
//! the clock or on addresses, so a scenario and seed give the same bytes.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// One trace line.
#[derive(Serialize)]
struct Line<'a> {
    tick: u64,
    kind: &'a str,
    detail: &'a str,
}

/// The trace being written.
#[derive(Default)]
pub struct SimTrace {
    lines: Vec<String>,
    hasher: Sha256,
}

impl SimTrace {
    /// Appends a line.
    pub fn push(&mut self, tick: u64, kind: &str, detail: &str) {
        let line = serde_json::to_string(&Line { tick, kind, detail })
            .unwrap_or_else(|e| format!("{{\"serialisation_error\":\"{e}\"}}"));
        self.hasher.update(line.as_bytes());
        self.hasher.update(b"\n");
        self.lines.push(line);
    }

    /// The trace continued from `lines` (a checkpoint's), its digest
    /// running over them as if it had written them.
    pub fn resume(lines: Vec<String>) -> SimTrace {
        let mut hasher = Sha256::new();
        for line in &lines {
            hasher.update(line.as_bytes());
            hasher.update(b"\n");
        }
        SimTrace { lines, hasher }
    }

    /// The lines so far.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The hex digest of the lines so far (what [`SimTrace::finish`]
    /// would give now), for checkpoints.
    pub fn digest_so_far(&self) -> String {
        let digest = self.hasher.clone().finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The lines and the hex digest of their bytes (each line ending in a
    /// newline).
    pub fn finish(self) -> (Vec<String>, String) {
        let digest = self.hasher.finalize();
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        (self.lines, hex)
    }
}
