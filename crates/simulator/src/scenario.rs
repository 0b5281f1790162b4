//! The scenario file (TOML) as it is written: every section and key of
//! `docs/simulator.md`, unknown keys refused. [`crate::plan`]
//! then checks what serde cannot (one trigger condition, the fields each
//! action needs, role names).

use crate::probability::Probability;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The scenario's name (used in reports).
    pub name: String,
    /// The protocol file (`.tell`, `.nuscr`, `.scr`, or a Lean-schema JSON
    /// global type), relative to the scenario file.
    pub protocol: Spanned<String>,
    /// Role-family sizes (`{ N = 4 }`).
    #[serde(default)]
    pub params: BTreeMap<String, u64>,
    /// The roles to run; all roles when absent.
    pub roles: Option<Vec<Spanned<String>>>,
    /// The most scheduler rounds (one round is one tick).
    #[serde(default = "default_steps")]
    pub steps: u64,
    /// Coroutines stepped per round.
    #[serde(default = "default_concurrency")]
    pub concurrency: Spanned<u64>,
    /// The seed of the world's one generator (`--seed` overrides it).
    #[serde(default)]
    pub seed: u64,
    /// Rounds between two checkpoints (`sim-run` writes them; at least 1).
    pub checkpoint_interval: Option<Spanned<u64>>,
    /// Protocol-machine settings.
    #[serde(default)]
    pub machine: MachineSection,
    /// Which host handler drives effects.
    #[serde(default)]
    pub handler: HandlerSection,
    /// The network model.
    #[serde(default)]
    pub network: NetworkSection,
    /// Scheduled faults.
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Byzantine roles and their strategies.
    #[serde(default)]
    pub byzantine: Vec<ByzantineSpec>,
    /// Roles that are sites running an inner simulation of their own.
    #[serde(default)]
    pub nested: Vec<NestedSpec>,
    /// Properties checked each round.
    #[serde(default)]
    pub properties: PropertiesSection,
    /// Report format.
    #[serde(default)]
    pub output: OutputSection,
}

fn default_steps() -> u64 {
    10_000
}

fn default_concurrency() -> Spanned<u64> {
    Spanned::new(0..0, 1)
}

/// `[machine]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSection {
    /// Replay consumption at receives.
    #[serde(default)]
    pub replay_mode: ReplayModeKey,
    /// Message signatures.
    #[serde(default)]
    pub message_auth: MessageAuthKey,
    /// When every coroutine waits and nothing is on its way (the run
    /// would end `stuck`), the session times out this many ticks later
    /// instead: waiting receives of missable messages (`or missed`) miss
    /// them, `timeout` branches are taken, other waits fail. Unset: a
    /// stuck run ends.
    #[serde(default)]
    pub idle_timeout_ticks: Option<u64>,
}

/// `replay_mode` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayModeKey {
    /// No checks.
    #[default]
    Off,
    /// Exactly the next sequence number per edge.
    Sequence,
    /// Consumed message identities are refused.
    Nullifier,
}

/// `message_auth` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageAuthKey {
    /// No signatures.
    #[default]
    None,
    /// ed25519 signatures with per-edge hash chains.
    Ed25519,
}

/// `[handler]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlerSection {
    /// Which built-in handler.
    #[serde(default)]
    pub kind: HandlerKind,
    /// Scripted outcomes per `Effect.operation` (kind `scripted`).
    #[serde(default)]
    pub script: BTreeMap<String, Vec<String>>,
    /// The bundled Rust host to run (kind `host`), by its registered name.
    pub name: Option<String>,
    /// Settings handed to the bundled host (kind `host`), as text.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

/// `[handler] kind` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandlerKind {
    /// The machine's seeded `DefaultHandler`.
    #[default]
    Default,
    /// The `DefaultHandler` with the scripted effect outcomes of `script`.
    Scripted,
    /// A bundled Rust host, by `name`, from the registry of the command
    /// that runs the scenario (`tell sim` registers the bundled ones).
    Host,
}

/// Link behaviour: the defaults of `[network]` and the overrides of
/// `[[network.links]]` share these keys.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// Ticks a message spends in flight.
    #[serde(default)]
    pub base_latency_ticks: u64,
    /// Spread of the latency, as a fraction of `base_latency_ticks`.
    #[serde(default)]
    pub latency_variance: Probability,
    /// Chance a message is lost.
    #[serde(default)]
    pub loss_probability: Probability,
    /// Chance a message is delivered twice.
    #[serde(default)]
    pub duplicate_probability: Probability,
    /// Chance a message overtakes the messages before it on its edge.
    #[serde(default)]
    pub reorder_probability: Probability,
    /// Chance a message's payload is damaged.
    #[serde(default)]
    pub corruption_probability: Probability,
    /// Per-link overrides.
    #[serde(default)]
    pub links: Vec<LinkOverride>,
}

/// `[[network.links]]`: one directed link's behaviour, optionally only in
/// a window of ticks; keys left out keep the `[network]` value.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    /// Sending role.
    pub from: Spanned<String>,
    /// Receiving role.
    pub to: Spanned<String>,
    /// Latency override.
    pub base_latency_ticks: Option<u64>,
    /// Variance override.
    pub latency_variance: Option<Probability>,
    /// Loss override.
    pub loss_probability: Option<Probability>,
    /// Duplication override.
    pub duplicate_probability: Option<Probability>,
    /// Reordering override.
    pub reorder_probability: Option<Probability>,
    /// Corruption override.
    pub corruption_probability: Option<Probability>,
    /// The ticks the override holds in; always when absent.
    pub active: Option<TickWindow>,
}

/// A window of ticks, `from_tick` inclusive, `to_tick` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TickWindow {
    /// First tick in the window.
    pub from_tick: u64,
    /// First tick after the window.
    pub to_tick: u64,
}

impl TickWindow {
    /// Whether `tick` is in the window.
    pub fn contains(&self, tick: u64) -> bool {
        (self.from_tick..self.to_tick).contains(&tick)
    }
}

/// `[[events]]`: a fault with its trigger and budget.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// When it fires.
    pub trigger: Spanned<TriggerSpec>,
    /// What it does.
    pub action: Spanned<ActionSpec>,
    /// How often it may fire; once when absent.
    pub budget: Option<Spanned<BudgetSpec>>,
}

/// A trigger as written: exactly one key must be given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    /// From the first tick on.
    pub immediate: Option<bool>,
    /// From this tick on.
    pub at_tick: Option<u64>,
    /// Once the machine has executed this many instructions.
    pub after_step: Option<u64>,
    /// Each tick with this probability.
    pub random: Option<Probability>,
    /// From the tick after an event of this kind (`kind` or `kind:Role`).
    pub on_event: Option<String>,
}

/// An action as written: `type` and the keys that type uses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// Which fault.
    #[serde(rename = "type")]
    pub kind: ActionKind,
    /// The role (node faults).
    pub role: Option<Spanned<String>>,
    /// The sending role a message fault is limited to.
    pub from: Option<Spanned<String>>,
    /// The receiving role a message fault is limited to.
    pub to: Option<Spanned<String>>,
    /// Extra ticks (`message_delay`).
    pub ticks: Option<u64>,
    /// How long (`node_pause`, and optionally `network_partition`).
    pub duration_ticks: Option<u64>,
    /// One side of a partition.
    pub a: Option<Vec<Spanned<String>>>,
    /// The other side of a partition.
    pub b: Option<Vec<Spanned<String>>>,
    /// A partition that only cuts `a` to `b`.
    #[serde(default)]
    pub one_way: bool,
    /// After a crash, ticks until the session times out (peers blocked
    /// on a receive take their `timeout` branch).
    pub peer_timeout_ticks: Option<u64>,
}

/// The fault verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Lose the next matching message.
    MessageDrop,
    /// Hold the next matching message `ticks` longer.
    MessageDelay,
    /// Deliver the next matching message twice.
    MessageDuplicate,
    /// Let the next matching message overtake its edge's queue.
    MessageReorder,
    /// Damage the next matching message's payload.
    MessageCorruption,
    /// Stop a role's communication for `duration_ticks`.
    NodePause,
    /// Crash-stop a role.
    NodeCrash,
    /// Cut the links between two groups of roles.
    NetworkPartition,
    /// Restore every cut link.
    Heal,
}

impl ActionKind {
    /// The name written in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::MessageDrop => "message_drop",
            ActionKind::MessageDelay => "message_delay",
            ActionKind::MessageDuplicate => "message_duplicate",
            ActionKind::MessageReorder => "message_reorder",
            ActionKind::MessageCorruption => "message_corruption",
            ActionKind::NodePause => "node_pause",
            ActionKind::NodeCrash => "node_crash",
            ActionKind::NetworkPartition => "network_partition",
            ActionKind::Heal => "heal",
        }
    }
}

/// A budget as written: `{ total }` or `{ per_window, window_ticks }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    /// At most this many activations in the run.
    pub total: Option<u64>,
    /// At most this many activations per window.
    pub per_window: Option<u64>,
    /// The window's length in ticks.
    pub window_ticks: Option<u64>,
}

/// `[properties]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertiesSection {
    /// Properties checked each round (`"buffer_bound(16)"`, ...).
    #[serde(default)]
    pub invariants: Vec<Spanned<String>>,
    /// Roles whose behaviour properties judge; all when absent.
    pub honest: Option<Vec<Spanned<String>>>,
}

/// `[output]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// How the report is printed.
    #[serde(default)]
    pub format: OutputFormat,
}

/// `[output] format` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// The report as indented JSON.
    #[default]
    Json,
    /// The report as one line of JSON.
    Jsonl,
}

/// `[[nested]]`: a role that is a site running an inner protocol; its
/// effect call `effect` is answered by a simulation of `scenario`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NestedSpec {
    /// The outer role.
    pub role: Spanned<String>,
    /// The outer operation the inner run answers, `Effect.operation`.
    pub effect: Spanned<String>,
    /// The inner scenario file (relative to this one).
    pub scenario: Spanned<String>,
}

/// `[[byzantine]]`: a role that lies, and how.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByzantineSpec {
    /// The role.
    pub role: Spanned<String>,
    /// `equivocate`, `random_payload`, `random_choice` or `silent`.
    pub strategy: Spanned<String>,
}
