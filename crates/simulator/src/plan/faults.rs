//! The faults of a plan: when each fires (`Trigger`), what it does
//! (`Action`), how often (`Budget`), read from the scenario's `[[events]]`.

use super::RoleRef;
use crate::probability::Probability;
use crate::scenario::{ActionKind, ActionSpec, BudgetSpec, TriggerSpec};
use crate::scenario_error::{closest, Location, ScenarioError};
use std::ops::Range;
use toml::Spanned;

/// When a fault fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// From the first tick on.
    Immediate,
    /// From this tick on.
    AtTick(u64),
    /// Once the machine has executed this many instructions.
    AfterStep(u64),
    /// Each tick with this probability.
    Random(Probability),
    /// From the tick after the first event of this kind (and role).
    OnEvent {
        /// `send`, `receive`, `drop`, `crash`, `pause`, `partition`, `heal`, `done`.
        kind: String,
        /// The role the event must concern, if given.
        role: Option<RoleRef>,
    },
}

/// The event kinds `on_event` may name.
pub const EVENT_KINDS: &[&str] = &[
    "send",
    "receive",
    "drop",
    "crash",
    "pause",
    "partition",
    "heal",
    "done",
];

/// How often a fault may fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// At most this many activations.
    Total(u64),
    /// At most `per_window` activations in each window of `window_ticks`
    /// ticks (windows start at tick 0).
    PerWindow {
        /// Activations per window.
        per_window: u64,
        /// Window length.
        window_ticks: u64,
    },
}

/// The messages a message fault applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EdgeFilter {
    /// Only messages from this role.
    pub from: Option<RoleRef>,
    /// Only messages to this role.
    pub to: Option<RoleRef>,
}

/// A fault verb with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Lose the next matching message.
    MessageDrop(EdgeFilter),
    /// Hold the next matching message `ticks` longer.
    MessageDelay(EdgeFilter, u64),
    /// Deliver the next matching message twice.
    MessageDuplicate(EdgeFilter),
    /// Let the next matching message overtake its edge.
    MessageReorder(EdgeFilter),
    /// Damage the next matching message's payload.
    MessageCorruption(EdgeFilter),
    /// Stop a role's communication for a while.
    NodePause {
        /// The role.
        role: RoleRef,
        /// For how long.
        duration_ticks: u64,
    },
    /// Crash-stop a role.
    NodeCrash {
        /// The role.
        role: RoleRef,
        /// Ticks after which the session times out, if given.
        peer_timeout_ticks: Option<u64>,
    },
    /// Cut the links from `a` to `b` (and back unless `one_way`).
    NetworkPartition {
        /// One side.
        a: Vec<RoleRef>,
        /// The other side.
        b: Vec<RoleRef>,
        /// Only `a` to `b`.
        one_way: bool,
        /// Heal by itself after this many ticks, if given.
        duration_ticks: Option<u64>,
    },
    /// Restore every cut link.
    Heal,
}

impl Action {
    /// The verb's name.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::MessageDrop(_) => ActionKind::MessageDrop,
            Action::MessageDelay(..) => ActionKind::MessageDelay,
            Action::MessageDuplicate(_) => ActionKind::MessageDuplicate,
            Action::MessageReorder(_) => ActionKind::MessageReorder,
            Action::MessageCorruption(_) => ActionKind::MessageCorruption,
            Action::NodePause { .. } => ActionKind::NodePause,
            Action::NodeCrash { .. } => ActionKind::NodeCrash,
            Action::NetworkPartition { .. } => ActionKind::NetworkPartition,
            Action::Heal => ActionKind::Heal,
        }
    }

    /// The filter of a message fault.
    pub fn edge_filter(&self) -> Option<&EdgeFilter> {
        match self {
            Action::MessageDrop(f)
            | Action::MessageDelay(f, _)
            | Action::MessageDuplicate(f)
            | Action::MessageReorder(f)
            | Action::MessageCorruption(f) => Some(f),
            _ => None,
        }
    }
}

/// One scheduled fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultPlan {
    /// When.
    pub trigger: Trigger,
    /// What.
    pub action: Action,
    /// How often.
    pub budget: Budget,
}

pub(super) fn trigger(
    spec: &TriggerSpec,
    span: Range<usize>,
    at: Location,
) -> Result<Trigger, ScenarioError> {
    let mut found = Vec::new();
    let mut out = None;
    if let Some(flag) = spec.immediate {
        found.push("immediate".to_string());
        if !flag {
            return Err(ScenarioError::BadValue {
                at,
                key: "immediate".into(),
                reason: "write `immediate = true` or leave the key out".into(),
            });
        }
        out = Some(Trigger::Immediate);
    }
    if let Some(t) = spec.at_tick {
        found.push("at_tick".to_string());
        out = Some(Trigger::AtTick(t));
    }
    if let Some(s) = spec.after_step {
        found.push("after_step".to_string());
        out = Some(Trigger::AfterStep(s));
    }
    if let Some(p) = spec.random {
        found.push("random".to_string());
        out = Some(Trigger::Random(p));
    }
    if let Some(e) = &spec.on_event {
        found.push("on_event".to_string());
        let (kind, role) = match e.split_once(':') {
            Some((k, r)) => (k, Some(r)),
            None => (e.as_str(), None),
        };
        if !EVENT_KINDS.contains(&kind) {
            return Err(ScenarioError::BadValue {
                at,
                key: "on_event".into(),
                reason: format!(
                    "no event kind `{kind}`{} (kinds: {}; optionally `kind:Role`)",
                    closest(kind, EVENT_KINDS.iter().copied())
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default(),
                    EVENT_KINDS.join(", ")
                ),
            });
        }
        out = Some(Trigger::OnEvent {
            kind: kind.to_string(),
            role: role.map(|r| RoleRef {
                name: r.to_string(),
                span: span.clone(),
            }),
        });
    }
    match (out, found.len()) {
        (Some(t), 1) => Ok(t),
        _ => Err(ScenarioError::Trigger { at, found }),
    }
}

pub(super) fn action(spec: &ActionSpec, at: Location) -> Result<Action, ScenarioError> {
    let kind = spec.kind;
    let need = |key: &str| ScenarioError::ActionKey {
        at: at.clone(),
        action: kind.name().to_string(),
        key: key.to_string(),
    };
    let filter = || EdgeFilter {
        from: spec.from.as_ref().map(RoleRef::of),
        to: spec.to.as_ref().map(RoleRef::of),
    };
    let role = || {
        spec.role
            .as_ref()
            .map(RoleRef::of)
            .ok_or_else(|| need("role"))
    };
    let roles = |side: &Option<Vec<Spanned<String>>>, key: &str| match side {
        Some(list) if !list.is_empty() => Ok(list.iter().map(RoleRef::of).collect::<Vec<_>>()),
        _ => Err(need(key)),
    };
    Ok(match kind {
        ActionKind::MessageDrop => Action::MessageDrop(filter()),
        ActionKind::MessageDelay => {
            Action::MessageDelay(filter(), spec.ticks.ok_or_else(|| need("ticks"))?)
        }
        ActionKind::MessageDuplicate => Action::MessageDuplicate(filter()),
        ActionKind::MessageReorder => Action::MessageReorder(filter()),
        ActionKind::MessageCorruption => Action::MessageCorruption(filter()),
        ActionKind::NodePause => Action::NodePause {
            role: role()?,
            duration_ticks: spec.duration_ticks.ok_or_else(|| need("duration_ticks"))?,
        },
        ActionKind::NodeCrash => Action::NodeCrash {
            role: role()?,
            peer_timeout_ticks: spec.peer_timeout_ticks,
        },
        ActionKind::NetworkPartition => Action::NetworkPartition {
            a: roles(&spec.a, "a")?,
            b: roles(&spec.b, "b")?,
            one_way: spec.one_way,
            duration_ticks: spec.duration_ticks,
        },
        ActionKind::Heal => Action::Heal,
    })
}

pub(super) fn budget(
    spec: Option<&Spanned<BudgetSpec>>,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Result<Budget, ScenarioError> {
    let Some(spec) = spec else {
        return Ok(Budget::Total(1));
    };
    let bad = |reason: &str| ScenarioError::BadValue {
        at: at(spec.span()),
        key: "budget".into(),
        reason: reason.into(),
    };
    let b = spec.get_ref();
    match (b.total, b.per_window, b.window_ticks) {
        (Some(0), None, None) => Err(bad("a total of 0 never fires; remove the event instead")),
        (Some(total), None, None) => Ok(Budget::Total(total)),
        (None, Some(per_window), Some(window_ticks)) if per_window > 0 && window_ticks > 0 => {
            Ok(Budget::PerWindow {
                per_window,
                window_ticks,
            })
        }
        (None, Some(_), Some(_)) => Err(bad("`per_window` and `window_ticks` must be at least 1")),
        _ => Err(bad(
            "write `{ total = K }` or `{ per_window = K, window_ticks = W }`",
        )),
    }
}
