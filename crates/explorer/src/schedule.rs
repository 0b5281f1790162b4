//! Schedule files: a counterexample as data — where it comes from (the
//! protocol file, family sizes, the exploration's options) and the exact
//! actions, by role name — so that `tell sim --schedule cex.json` replays
//! the run step for step and shows the same violation.
//!
//! A step is named by its coroutine and the host's alternative, a lost
//! message by its edge; replaying checks at every action that it is
//! enabled, so a schedule that no longer fits the protocol (the file
//! changed, other sizes) is refused at the first action that does not fit,
//! never replayed into another run.

use crate::checker::Counterexample;
use crate::host::ExplorableHost;
use crate::model::Model;
use crate::protocol::{Action, ProtocolModel, ProtocolState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format tag of a schedule file.
pub const SCHEDULE_FORMAT: &str = "telltale-schedule/1";

/// A counterexample that can be replayed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// [`SCHEDULE_FORMAT`].
    pub format: String,
    /// What was explored.
    pub origin: ScheduleOrigin,
    /// The property the run breaks (`deadlock`, `no_faults`, `progress`, ...).
    pub property: String,
    /// For a lasso (`progress`): the index of the action where the cycle
    /// starts; the actions from there on repeat forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_start: Option<usize>,
    /// The actions from the initial state, in order.
    pub actions: Vec<ScheduledAction>,
}

/// What a schedule was explored from: enough to build the same model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleOrigin {
    /// The protocol file, as given to `tell explore`.
    pub file: String,
    /// Which protocol of the file (`None`: the only one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Role-family sizes.
    #[serde(default)]
    pub params: BTreeMap<String, u64>,
    /// The protocol's content id (hex), checked before replaying.
    pub content_id: String,
    /// Messages queued per edge at most.
    pub buffer_bound: usize,
    /// Messages the world may lose.
    #[serde(default)]
    pub drops: u32,
    /// The effect alternatives (`Op=Ok,Err(Full)`), as given.
    #[serde(default)]
    pub effects: Vec<String>,
    /// Whether receive timeouts were explored (`--no-timeouts`: false).
    #[serde(default = "explored")]
    pub timeouts: bool,
    /// The byzantine roles (`--byzantine`), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byzantine: Vec<String>,
    /// Lies per send of a byzantine role (`--lies`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lies: usize,
    /// The host explored with (`--host`; `None`: the built-in one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The host's options (`--host-option KEY=VALUE`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub host_options: BTreeMap<String, String>,
    /// Keys checked with `agreement` (`--agreement`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreement: Vec<String>,
    /// Keys checked with `never` (`--never`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub never: Vec<String>,
    /// `validity` checks, as `KEY=VALUE,VALUE` (`--validity`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validity: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn explored() -> bool {
    true
}

impl Default for ScheduleOrigin {
    fn default() -> Self {
        ScheduleOrigin {
            file: String::new(),
            protocol: None,
            params: BTreeMap::new(),
            content_id: String::new(),
            buffer_bound: 2,
            drops: 0,
            effects: Vec::new(),
            timeouts: true,
            byzantine: Vec::new(),
            lies: 0,
            host: None,
            host_options: BTreeMap::new(),
            agreement: Vec::new(),
            never: Vec::new(),
            validity: Vec::new(),
        }
    }
}

/// One action of a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduledAction {
    /// A coroutine of `role` executes its next instruction, the host
    /// taking its `alternative`-th open choice.
    Step {
        /// The coroutine's role.
        role: String,
        /// The coroutine.
        coroutine: u32,
        /// The host's alternative.
        alternative: usize,
    },
    /// The oldest message queued from `from` to `to` is lost.
    Drop {
        /// The sender.
        from: String,
        /// The receiver.
        to: String,
    },
    /// A coroutine of `role` waiting for `from`, with a `timeout` branch,
    /// times out.
    Timeout {
        /// The coroutine's role.
        role: String,
        /// The coroutine.
        coroutine: u32,
        /// The role it waits on.
        from: String,
    },
}

impl std::fmt::Display for ScheduledAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScheduledAction::Step {
                role,
                coroutine,
                alternative,
            } => write!(
                f,
                "{role} (coroutine {coroutine}) steps, alternative {alternative}"
            ),
            ScheduledAction::Drop { from, to } => write!(f, "a message {from} -> {to} is lost"),
            ScheduledAction::Timeout {
                role,
                coroutine,
                from,
            } => write!(
                f,
                "{role} (coroutine {coroutine}) times out waiting for {from}"
            ),
        }
    }
}

/// Why a schedule cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// Not a schedule file of this version.
    #[error("not a schedule of format {SCHEDULE_FORMAT} (found `{found}`)")]
    Format {
        /// The format tag found.
        found: String,
    },
    /// An action that is not enabled where the schedule puts it.
    #[error("action {index} ({action}) is not enabled at that point of the run; enabled there: {}", if enabled.is_empty() { "nothing".to_string() } else { enabled.join("; ") })]
    NotEnabled {
        /// Its index in the schedule.
        index: usize,
        /// The action.
        action: String,
        /// What was enabled instead.
        enabled: Vec<String>,
    },
    /// The protocol machine refused the protocol.
    #[error(transparent)]
    Load(#[from] crate::protocol::ProtocolModelError),
    /// A loop start past the end of the actions.
    #[error("the cycle starts at action {loop_start}, but the schedule has {len} actions")]
    LoopStart {
        /// The loop start.
        loop_start: usize,
        /// The number of actions.
        len: usize,
    },
}

/// A replayed schedule.
pub struct ScheduleReplay<H> {
    /// The state the actions lead to.
    pub state: ProtocolState<H>,
    /// The actions, resolved.
    pub actions: Vec<Action>,
    /// The properties the final state breaks, in the model's order.
    pub broken: Vec<&'static str>,
    /// For a lasso: whether the cycle comes back to the state it started
    /// from (so it repeats forever).
    pub cycle_closes: Option<bool>,
}

impl ScheduledAction {
    /// The scheduled form of `action` in `state`.
    fn of<H>(state: &ProtocolState<H>, action: &Action) -> ScheduledAction {
        let symbols = state.machine.symbols();
        match action {
            Action::Step { step, alternative } => ScheduledAction::Step {
                role: symbols.role_name(step.role),
                coroutine: step.coro,
                alternative: *alternative,
            },
            Action::Drop { from, to, .. } => ScheduledAction::Drop {
                from: symbols.role_name(*from),
                to: symbols.role_name(*to),
            },
            Action::Timeout { step } => ScheduledAction::Timeout {
                role: symbols.role_name(step.role),
                coroutine: step.coro,
                from: symbols.role_name(step.from),
            },
        }
    }
}

impl<H: ExplorableHost> ProtocolModel<H> {
    /// The schedule of a counterexample found on this model.
    pub fn schedule_of(&self, cex: &Counterexample<Action>, origin: ScheduleOrigin) -> Schedule {
        let mut state = self.init_states().remove(0);
        let mut actions = Vec::with_capacity(cex.actions.len());
        for action in &cex.actions {
            actions.push(ScheduledAction::of(&state, action));
            state = self.next_state(&state, action);
        }
        Schedule {
            format: SCHEDULE_FORMAT.to_string(),
            origin,
            property: cex.property.to_string(),
            loop_start: cex.loop_start,
            actions,
        }
    }

    /// Replays `schedule` action by action, each checked to be enabled
    /// where it stands, and evaluates the properties on the state reached.
    pub fn replay_schedule(&self, schedule: &Schedule) -> Result<ScheduleReplay<H>, ScheduleError> {
        if schedule.format != SCHEDULE_FORMAT {
            return Err(ScheduleError::Format {
                found: schedule.format.clone(),
            });
        }
        if let Some(loop_start) = schedule.loop_start {
            if loop_start > schedule.actions.len() {
                return Err(ScheduleError::LoopStart {
                    loop_start,
                    len: schedule.actions.len(),
                });
            }
        }
        let mut state = self.traced_initial()?;
        let mut resolved = Vec::with_capacity(schedule.actions.len());
        let mut loop_fingerprint = None;
        let mut enabled = Vec::new();
        for (index, wanted) in schedule.actions.iter().enumerate() {
            if schedule.loop_start == Some(index) {
                loop_fingerprint = Some(self.fingerprint(&state));
            }
            enabled.clear();
            self.actions(&state, &mut enabled);
            let found = enabled
                .iter()
                .find(|a| ScheduledAction::of(&state, a) == *wanted)
                .cloned();
            let Some(action) = found else {
                return Err(ScheduleError::NotEnabled {
                    index,
                    action: wanted.to_string(),
                    enabled: enabled
                        .iter()
                        .map(|a| ScheduledAction::of(&state, a).to_string())
                        .collect(),
                });
            };
            state = self.next_state(&state, &action);
            resolved.push(action);
        }
        let broken = self
            .properties()
            .iter()
            .filter(|p| !(p.holds)(self, &state))
            .map(|p| p.name)
            .collect();
        // `loop_fingerprint` is set only when the cycle has actions.
        let cycle_closes = schedule
            .loop_start
            .map(|_| loop_fingerprint == Some(self.fingerprint(&state)));
        Ok(ScheduleReplay {
            state,
            actions: resolved,
            broken,
            cycle_closes,
        })
    }
}
