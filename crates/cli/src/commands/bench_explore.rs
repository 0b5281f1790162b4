//! `tell bench --workload explore`: exhaustive exploration of two-phase
//! commit with `--participants` participants, four ways in one call —
//! depth-first on one thread without reduction first (so the process's
//! peak memory growth is the depth-first search's: bytes per visited
//! state), depth-first and breadth-first on `--threads` threads without
//! reduction (unique states per second), and breadth-first with
//! partial-order reduction (the states it saves).

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use telltale_compiler::CodeImage;
use telltale_explorer::{Checker, OpenChoiceHost, ProtocolModel, Verdict};
use telltale_lang::{load, lower_all, LowerOptions, SourceFile};
use telltale_transport::bench::peak_rss_kib;

/// The bundled two-phase commit.
const TWO_PHASE_COMMIT: &str = include_str!("../../../../examples/two_phase_commit.tell");

/// What the workload measured.
#[derive(Serialize)]
pub struct ExploreBenchReport {
    /// `explore`.
    workload: &'static str,
    /// Participants of two-phase commit.
    participants: u64,
    /// Unique states without reduction.
    unique_states: usize,
    /// Transitions without reduction.
    transitions: usize,
    /// Breadth-first, no reduction: threads, seconds, unique states/s.
    bfs_threads: usize,
    bfs_seconds: f64,
    bfs_states_per_sec: f64,
    /// Depth-first, one thread, no reduction: seconds, states/s, and the
    /// growth of the process's peak memory over the search per state.
    dfs_seconds: f64,
    dfs_states_per_sec: f64,
    dfs_peak_rss_growth_kib: u64,
    dfs_bytes_per_state: f64,
    /// Depth-first on `bfs_threads` threads, no reduction: seconds,
    /// unique states/s.
    dfs_parallel_seconds: f64,
    dfs_parallel_states_per_sec: f64,
    /// Breadth-first with partial-order reduction: unique states, seconds,
    /// and how many times fewer states than without.
    por_unique_states: usize,
    por_seconds: f64,
    por_reduction: f64,
}

fn model(participants: u64) -> Result<ProtocolModel<OpenChoiceHost>> {
    let file = SourceFile::new("two_phase_commit.tell", TWO_PHASE_COMMIT);
    let (module, diagnostics) = load(&file);
    if !diagnostics.is_empty() {
        return Err(anyhow!("the bundled two-phase commit does not load"));
    }
    let protocol = lower_all(&module, &LowerOptions::with_params([("N", participants)]))
        .map_err(|d| anyhow!("lowering two-phase commit: {d:?}"))?
        .remove(0);
    let locals: Vec<_> = telltale_theory::projection::project_all(&protocol.global)
        .context("projecting two-phase commit")?
        .into_iter()
        .collect();
    let image = CodeImage::build_with_effects(Some(&protocol.global), &locals, &protocol.effects)
        .context("compiling two-phase commit")?;
    Ok(ProtocolModel::new(image, OpenChoiceHost, 2)?)
}

/// Runs the workload.
pub fn explore(participants: u64, threads: usize) -> Result<ExploreBenchReport> {
    if !(1..=8).contains(&participants) {
        return Err(anyhow!(
            "--participants must be 1 to 8 (two-phase commit grows fast)"
        ));
    }
    let model = model(participants)?;
    let per_sec = |n: usize, s: f64| n as f64 / s.max(1e-9);
    let before = peak_rss_kib();
    let dfs = Checker::new(&model)
        .threads(1)
        .partial_order_reduction(false)
        .dfs();
    let growth = peak_rss_kib().saturating_sub(before);
    let dfs_parallel = Checker::new(&model)
        .threads(threads)
        .partial_order_reduction(false)
        .dfs();
    let bfs = Checker::new(&model)
        .threads(threads)
        .partial_order_reduction(false)
        .bfs();
    let por = Checker::new(&model).threads(threads).bfs();
    for r in [dfs.verdict, dfs_parallel.verdict, bfs.verdict, por.verdict] {
        if r != Verdict::Holds {
            return Err(anyhow!("two-phase commit did not verify: {r:?}"));
        }
    }
    let dfs_s = dfs.elapsed.as_secs_f64();
    let bfs_s = bfs.elapsed.as_secs_f64();
    let dfs_parallel_s = dfs_parallel.elapsed.as_secs_f64();
    Ok(ExploreBenchReport {
        workload: "explore",
        participants,
        unique_states: bfs.unique_states,
        transitions: bfs.transitions,
        bfs_threads: threads,
        bfs_seconds: bfs_s,
        bfs_states_per_sec: per_sec(bfs.unique_states, bfs_s),
        dfs_seconds: dfs_s,
        dfs_states_per_sec: per_sec(dfs.unique_states, dfs_s),
        dfs_peak_rss_growth_kib: growth,
        dfs_bytes_per_state: (growth * 1024) as f64 / dfs.unique_states.max(1) as f64,
        dfs_parallel_seconds: dfs_parallel_s,
        dfs_parallel_states_per_sec: per_sec(dfs_parallel.unique_states, dfs_parallel_s),
        por_unique_states: por.unique_states,
        por_seconds: por.elapsed.as_secs_f64(),
        por_reduction: bfs.unique_states as f64 / por.unique_states.max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn small_two_phase_commit_verifies_and_reduction_saves_states() {
        let r = super::explore(3, 2).unwrap();
        assert!(r.unique_states > r.por_unique_states, "{}", r.unique_states);
        assert!(super::explore(9, 2).is_err());
    }
}
