//! Many seeds of one scenario: `sim-run SCENARIO --seeds 1..10000 [--shard
//! i/n]`, run in parallel, summarised, and `sim-run merge` to join the
//! summaries of shards run on other machines.
//!
//! The summary is a function of the scenario and the seeds only: seeds are
//! run in any order on any number of threads, and the results are put back
//! in seed order before anything is counted.

use crate::{HostRegistry, Plan, SimError};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use telltale_compiler::CodeImage;

/// The most failing seeds a summary lists (the smallest first).
pub const MAX_LISTED_FAILURES: usize = 100;

/// A range of seeds, `A..B` (B excluded) or `A..=B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    /// The first seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl std::str::FromStr for SeedRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("expected seeds as A..B or A..=B (e.g. 1..10000), got `{text}`");
        let (a, b, inclusive) = if let Some((a, b)) = text.split_once("..=") {
            (a, b, true)
        } else if let Some((a, b)) = text.split_once("..") {
            (a, b, false)
        } else {
            return Err(bad());
        };
        let start: u64 = a.trim().parse().map_err(|_| bad())?;
        let last: u64 = b.trim().parse().map_err(|_| bad())?;
        let end = if inclusive {
            last.checked_add(1).ok_or_else(bad)?
        } else {
            last
        };
        if end <= start {
            return Err(format!("the seed range `{text}` is empty"));
        }
        Ok(SeedRange { start, end })
    }
}

/// One shard of a sweep: every `count`-th seed, starting with the
/// `index`-th (1-based: `--shard 2/4` is the second of four).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("expected a shard as I/N with 1 <= I <= N (e.g. 2/4), got `{text}`");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl SeedRange {
    /// The seeds of `shard` (all of them without one), ascending.
    pub fn seeds(&self, shard: Option<Shard>) -> Vec<u64> {
        let (skip, step) = shard.map_or((0, 1), |s| (s.index - 1, s.count));
        (self.start..self.end)
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .step_by(usize::try_from(step).unwrap_or(usize::MAX).max(1))
            .collect()
    }
}

/// A seed whose run failed, and how to see it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedSeed {
    /// The seed.
    pub seed: u64,
    /// What failed: the first violation, contract or machine error.
    pub reason: String,
    /// The command that runs exactly this seed.
    pub reproduce: String,
}

/// What a sweep found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSummary {
    /// The scenario's name.
    pub scenario: String,
    /// The shards this summary covers (empty: all seeds of the range).
    pub shards: Vec<Shard>,
    /// Seeds run.
    pub seeds: u64,
    /// Seeds whose every property and contract held.
    pub passed: u64,
    /// Seeds that failed.
    pub failed: u64,
    /// The failing seeds, smallest first (at most [`MAX_LISTED_FAILURES`]).
    pub failing: Vec<FailedSeed>,
    /// Scheduler rounds per run: how many runs took each count.
    pub rounds: BTreeMap<u64, u64>,
    /// The fewest, median and most rounds of a run.
    pub rounds_min: u64,
    /// The median rounds (the lower one for an even count).
    pub rounds_median: u64,
    /// The most rounds.
    pub rounds_max: u64,
}

impl SweepSummary {
    /// Whether every seed passed.
    pub fn all_passed(&self) -> bool {
        self.failed == 0
    }

    /// Joins the summaries of the shards of one sweep.
    pub fn merge(parts: &[SweepSummary]) -> Result<SweepSummary, String> {
        let first = parts.first().ok_or("nothing to merge")?;
        let mut out = SweepSummary {
            scenario: first.scenario.clone(),
            shards: Vec::new(),
            seeds: 0,
            passed: 0,
            failed: 0,
            failing: Vec::new(),
            rounds: BTreeMap::new(),
            rounds_min: 0,
            rounds_median: 0,
            rounds_max: 0,
        };
        for part in parts {
            if part.scenario != out.scenario {
                return Err(format!(
                    "summaries of different scenarios: `{}` and `{}`",
                    out.scenario, part.scenario
                ));
            }
            out.shards.extend(part.shards.iter().copied());
            out.seeds += part.seeds;
            out.passed += part.passed;
            out.failed += part.failed;
            out.failing.extend(part.failing.iter().cloned());
            for (rounds, count) in &part.rounds {
                *out.rounds.entry(*rounds).or_default() += count;
            }
        }
        out.shards.sort_by_key(|s| (s.count, s.index));
        out.shards.dedup();
        out.failing.sort_by_key(|f| f.seed);
        out.failing.dedup_by_key(|f| f.seed);
        out.failing.truncate(MAX_LISTED_FAILURES);
        out.fill_round_statistics();
        Ok(out)
    }

    fn fill_round_statistics(&mut self) {
        let total: u64 = self.rounds.values().sum();
        self.rounds_min = self.rounds.keys().next().copied().unwrap_or(0);
        self.rounds_max = self.rounds.keys().next_back().copied().unwrap_or(0);
        let middle = total.saturating_sub(1) / 2;
        let mut seen = 0;
        for (rounds, count) in &self.rounds {
            seen += count;
            if seen > middle {
                self.rounds_median = *rounds;
                break;
            }
        }
    }
}

/// Runs `seeds` of a loaded scenario on rayon's threads (a progress bar on
/// a terminal, never in the output), and summarises them in seed order.
/// `reproduce` gives the command that reruns one seed.
pub fn sweep(
    plan: &Plan,
    image: &CodeImage,
    seeds: &[u64],
    shard: Option<Shard>,
    reproduce: &(dyn Fn(u64) -> String + Sync),
) -> Result<SweepSummary, SimError> {
    sweep_with_hosts(&HostRegistry::new(), plan, image, seeds, shard, reproduce)
}

/// [`sweep`] with the bundled hosts of `hosts`, for scenarios that name one.
pub fn sweep_with_hosts(
    hosts: &HostRegistry,
    plan: &Plan,
    image: &CodeImage,
    seeds: &[u64],
    shard: Option<Shard>,
    reproduce: &(dyn Fn(u64) -> String + Sync),
) -> Result<SweepSummary, SimError> {
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(seeds.len() as u64);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {pos}/{len} seeds [{elapsed_precise}, {per_sec}, eta {eta}] {msg}",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let results: Vec<Result<(u64, bool, u64, String), SimError>> = seeds
        .par_iter()
        .map(|&seed| {
            let outcome = hosts.run_plan(plan, image, seed)?;
            progress.inc(1);
            let report = &outcome.report;
            Ok((seed, report.passed, report.rounds, first_failure(report)))
        })
        .collect();
    progress.finish_and_clear();
    let mut summary = SweepSummary {
        scenario: plan.name.clone(),
        shards: shard.into_iter().collect(),
        seeds: 0,
        passed: 0,
        failed: 0,
        failing: Vec::new(),
        rounds: BTreeMap::new(),
        rounds_min: 0,
        rounds_median: 0,
        rounds_max: 0,
    };
    for result in results {
        let (seed, passed, rounds, reason) = result?;
        summary.seeds += 1;
        *summary.rounds.entry(rounds).or_default() += 1;
        if passed {
            summary.passed += 1;
        } else {
            summary.failed += 1;
            if summary.failing.len() < MAX_LISTED_FAILURES {
                summary.failing.push(FailedSeed {
                    seed,
                    reason,
                    reproduce: reproduce(seed),
                });
            }
        }
    }
    summary.fill_round_statistics();
    Ok(summary)
}

/// The first thing that failed in a report.
fn first_failure(report: &crate::Report) -> String {
    if let Some(error) = &report.machine_error {
        return format!("machine error: {error}");
    }
    if let Some(v) = report.violations.first() {
        return serde_json::to_string(v).unwrap_or_else(|_| "a property was violated".into());
    }
    if let Some(c) = report.contracts.iter().find(|c| !c.holds) {
        return format!(
            "contract {} failed{}",
            c.contract,
            c.detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_shards_parse_and_partition_the_seeds() {
        let range: SeedRange = "1..11".parse().unwrap();
        assert_eq!(range.seeds(None), (1..11).collect::<Vec<_>>());
        assert_eq!("1..=10".parse::<SeedRange>().unwrap(), range);
        let mut all: Vec<u64> = (1..=3)
            .flat_map(|i| range.seeds(Some(Shard { index: i, count: 3 })))
            .collect();
        all.sort_unstable();
        assert_eq!(all, range.seeds(None));
        assert_eq!(range.seeds(Some("2/3".parse().unwrap())), vec![2, 5, 8]);
        assert!("5..5".parse::<SeedRange>().unwrap_err().contains("empty"));
        assert!("x".parse::<SeedRange>().unwrap_err().contains("A..B"));
        assert!("0/3".parse::<Shard>().is_err() && "4/3".parse::<Shard>().is_err());
    }

    #[test]
    fn merged_shards_count_like_one_sweep() {
        let part = |shard: u64, seeds: &[(u64, bool, u64)]| {
            let mut s = SweepSummary {
                scenario: "s".into(),
                shards: vec![Shard {
                    index: shard,
                    count: 2,
                }],
                seeds: seeds.len() as u64,
                passed: seeds.iter().filter(|x| x.1).count() as u64,
                failed: seeds.iter().filter(|x| !x.1).count() as u64,
                failing: seeds
                    .iter()
                    .filter(|x| !x.1)
                    .map(|x| FailedSeed {
                        seed: x.0,
                        reason: "r".into(),
                        reproduce: "c".into(),
                    })
                    .collect(),
                rounds: BTreeMap::new(),
                rounds_min: 0,
                rounds_median: 0,
                rounds_max: 0,
            };
            for x in seeds {
                *s.rounds.entry(x.2).or_default() += 1;
            }
            s
        };
        let merged = SweepSummary::merge(&[
            part(2, &[(2, false, 10), (4, true, 12)]),
            part(1, &[(1, true, 11), (3, false, 9)]),
        ])
        .unwrap();
        assert_eq!((merged.seeds, merged.passed, merged.failed), (4, 2, 2));
        assert_eq!(
            merged.failing.iter().map(|f| f.seed).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert_eq!(
            (merged.rounds_min, merged.rounds_median, merged.rounds_max),
            (9, 10, 12)
        );
        assert_eq!(merged.shards.len(), 2);
        let other = SweepSummary {
            scenario: "t".into(),
            ..merged.clone()
        };
        assert!(SweepSummary::merge(&[merged, other])
            .unwrap_err()
            .contains("different scenarios"));
    }
}
