//! The fault schedule: each scheduled fault's trigger, budget, and the
//! ticks it fired at. The world asks it once per tick which faults fire.

use crate::plan::{Budget, FaultPlan, Trigger};
use std::collections::BTreeSet;
use telltale_types::random::SeededRng;

/// One fault and its history.
#[derive(Clone, Debug)]
pub struct ScheduledFault {
    /// The plan.
    pub plan: FaultPlan,
    /// Ticks it activated at.
    pub fired: Vec<u64>,
    /// A message fault waiting for its next matching message.
    pub armed: bool,
}

/// Every scheduled fault, in scenario order.
#[derive(Clone, Debug)]
pub struct FaultSchedule {
    /// The faults.
    pub faults: Vec<ScheduledFault>,
}

/// What the world has seen so far, for `on_event` and `after_step`.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Instructions executed.
    pub steps: u64,
    /// `kind` and `kind:Role` of every event that happened.
    pub events: BTreeSet<String>,
}

impl FaultSchedule {
    /// A schedule of these faults, none fired.
    pub fn new(plans: Vec<FaultPlan>) -> FaultSchedule {
        FaultSchedule {
            faults: plans
                .into_iter()
                .map(|plan| ScheduledFault {
                    plan,
                    fired: Vec::new(),
                    armed: false,
                })
                .collect(),
        }
    }

    /// The faults that activate at `tick`, in scenario order. A message
    /// fault that is still armed does not activate again until its message
    /// came. Random triggers draw from `rng` in scenario order.
    pub fn due(&mut self, tick: u64, seen: &Seen, rng: &mut SeededRng) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, f) in self.faults.iter_mut().enumerate() {
            if f.armed || !within_budget(&f.plan.budget, &f.fired, tick) {
                continue;
            }
            let holds = match &f.plan.trigger {
                Trigger::Immediate => true,
                Trigger::AtTick(t) => tick >= *t,
                Trigger::AfterStep(s) => seen.steps >= *s,
                Trigger::Random(p) => p.sample(rng),
                Trigger::OnEvent { kind, role } => seen.events.contains(&match role {
                    Some(r) => format!("{kind}:{}", r.name),
                    None => kind.clone(),
                }),
            };
            if holds {
                out.push(i);
            }
        }
        out
    }

    /// Records that fault `i` activated at `tick`.
    pub fn fire(&mut self, i: usize, tick: u64) {
        if let Some(f) = self.faults.get_mut(i) {
            f.fired.push(tick);
        }
    }

    /// The last tick any fault activated at.
    pub fn last_fired(&self) -> Option<u64> {
        self.faults
            .iter()
            .filter_map(|f| f.fired.last().copied())
            .max()
    }
}

/// Whether another activation at `tick` stays within the budget.
fn within_budget(budget: &Budget, fired: &[u64], tick: u64) -> bool {
    match *budget {
        Budget::Total(k) => (fired.len() as u64) < k,
        Budget::PerWindow {
            per_window,
            window_ticks,
        } => {
            let window = tick / window_ticks;
            // `fired` grows with the run in tick order: count back from
            // its end, so a long run's check stays constant-time.
            let in_window = fired
                .iter()
                .rev()
                .take_while(|t| **t / window_ticks == window)
                .count();
            (in_window as u64) < per_window
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Action;

    fn schedule(trigger: Trigger, budget: Budget) -> FaultSchedule {
        FaultSchedule::new(vec![FaultPlan {
            trigger,
            action: Action::Heal,
            budget,
        }])
    }

    /// Runs `ticks` ticks, firing whatever is due; returns the fire ticks.
    fn fire_ticks(mut s: FaultSchedule, ticks: u64, seen: &Seen) -> Vec<u64> {
        let mut rng = SeededRng::new(1);
        for tick in 1..=ticks {
            for i in s.due(tick, seen, &mut rng) {
                s.fire(i, tick);
            }
        }
        s.faults[0].fired.clone()
    }

    #[test]
    fn budgets_bound_activations_in_total_and_per_window() {
        let seen = Seen::default();
        assert_eq!(
            fire_ticks(schedule(Trigger::AtTick(3), Budget::Total(2)), 10, &seen),
            [3, 4]
        );
        let windowed = Budget::PerWindow {
            per_window: 1,
            window_ticks: 5,
        };
        assert_eq!(
            fire_ticks(schedule(Trigger::Immediate, windowed), 12, &seen),
            [1, 5, 10]
        );
    }

    #[test]
    fn event_and_step_triggers_wait_for_what_they_name() {
        let mut seen = Seen::default();
        let on_crash = Trigger::OnEvent {
            kind: "crash".into(),
            role: None,
        };
        assert!(fire_ticks(schedule(on_crash.clone(), Budget::Total(1)), 5, &seen).is_empty());
        assert!(fire_ticks(schedule(Trigger::AfterStep(4), Budget::Total(1)), 5, &seen).is_empty());
        seen.events.insert("crash".into());
        seen.steps = 4;
        assert_eq!(
            fire_ticks(schedule(on_crash, Budget::Total(1)), 5, &seen),
            [1]
        );
        assert_eq!(
            fire_ticks(schedule(Trigger::AfterStep(4), Budget::Total(1)), 5, &seen),
            [1]
        );
    }
}
