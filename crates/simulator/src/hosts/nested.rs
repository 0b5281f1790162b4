//! Nested simulation: an outer protocol whose roles are sites, each site
//! running an inner protocol of its own (`[[nested]] role, effect,
//! scenario`). When a site's role performs the named effect, its host runs
//! the inner scenario — a whole simulation, seeded from the outer seed,
//! the tick and the site — and answers the outer call once as many outer
//! ticks have passed as the inner run took rounds (the performer waits,
//! `blocked`, meanwhile): `Ok`/`Just` (the first declared outcome) when
//! every inner property and contract held, `Err`/`Nothing` (the last)
//! otherwise. The outer protocol's messages couple the sites; everything
//! stays deterministic, and a replay of the outer run takes the answers
//! from its recording without running the inner ones again.

use crate::plan::Plan;
use crate::report::NestedReport;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use telltale_compiler::{CodeImage, RoleId, Value};
use telltale_types::random::SeededRng;
use telltale_vm::{fabricate_outcome, CoroId, EffectError, InvokeInput};

/// One site: a role, the operation its inner run answers, the inner
/// scenario.
#[derive(Clone)]
pub(crate) struct Site {
    pub(crate) role: RoleId,
    pub(crate) operation: u16,
    pub(crate) inner: Arc<(Plan, CodeImage)>,
}

/// An inner run whose answer is not due yet.
struct Pending {
    due: u64,
    passed: bool,
}

/// The sites of a run and their inner runs.
pub(crate) struct Sites {
    sites: Vec<Site>,
    seed: u64,
    pending: RefCell<BTreeMap<CoroId, Pending>>,
    reports: RefCell<Vec<NestedReport>>,
}

impl Sites {
    /// The sites of a run seeded with `seed`.
    pub(crate) fn new(sites: Vec<Site>, seed: u64) -> Sites {
        Sites {
            sites,
            seed,
            pending: RefCell::new(BTreeMap::new()),
            reports: RefCell::new(Vec::new()),
        }
    }

    /// The inner runs so far, in the order they started.
    pub(crate) fn reports(&self) -> Vec<NestedReport> {
        self.reports.borrow().clone()
    }

    /// Answers `input` if it is a site's call (`None` otherwise): runs the
    /// inner scenario at the first call, then waits for its rounds.
    pub(crate) fn step(&self, input: &InvokeInput<'_>) -> Option<Result<Value, String>> {
        let call = input.call.as_ref()?;
        let site = self
            .sites
            .iter()
            .find(|s| s.role == input.ctx.role && s.operation == call.operation_id)?;
        let tick = input.ctx.tick;
        let coro = input.ctx.coro;
        if !self.pending.borrow().contains_key(&coro) {
            let (plan, image) = &*site.inner;
            let mut rng = SeededRng::new(self.seed ^ tick.rotate_left(17) ^ u64::from(site.role));
            let seed = rng.next_u64();
            let (passed, rounds, digest, detail) = match crate::run_plan(plan, image, seed) {
                Ok(outcome) => (
                    outcome.report.passed,
                    outcome.report.rounds,
                    outcome.report.trace_digest,
                    outcome
                        .report
                        .violations
                        .first()
                        .map(|v| format!("{} violated: {}", v.property, v.event)),
                ),
                Err(e) => (false, 0, String::new(), Some(e.to_string())),
            };
            self.reports.borrow_mut().push(NestedReport {
                role: input.symbols.role_name(site.role),
                tick,
                scenario: plan.name.clone(),
                seed,
                passed,
                rounds,
                trace_digest: digest,
                failure: detail,
            });
            self.pending.borrow_mut().insert(
                coro,
                Pending {
                    due: tick + rounds,
                    passed,
                },
            );
        }
        let due = self.pending.borrow().get(&coro).map_or(tick, |p| p.due);
        if tick < due {
            return Some(Err(EffectError::blocked(&format!(
                "the site's inner run of `{}` ends at tick {due}",
                site.inner.0.name
            ))));
        }
        let passed = self
            .pending
            .borrow_mut()
            .remove(&coro)
            .is_some_and(|p| p.passed);
        let count = call.operation.outcomes.len().max(1);
        let pick = if passed { 0 } else { count - 1 };
        Some(Ok(fabricate_outcome(call.operation, pick as u64)))
    }
}
