//! The run report: what `sim-run` prints as JSON. Everything in it but
//! `wall_time_ms` is a function of the scenario and seed. The run's
//! structured events for the HTML page are in `timeline.rs`, the page
//! itself in `html/`.

pub mod html;
pub mod timeline;

use serde::Serialize;

/// The whole report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// The seed of the run.
    pub seed: u64,
    /// How the run ended: `all_done`, `stuck`, `budget_exhausted` or
    /// `machine_error`.
    pub status: String,
    /// Scheduler rounds run (one per tick).
    pub rounds: u64,
    /// The last tick.
    pub ticks: u64,
    /// Instructions the machine executed.
    pub steps: u64,
    /// Each role's progress and final status, in role order.
    pub roles: Vec<RoleReport>,
    /// What the network did.
    pub network: NetworkStats,
    /// Every scheduled fault, whether and when it fired.
    pub faults: Vec<FaultReport>,
    /// Each byzantine role, its strategy and how many of its messages
    /// lied (for `silent`: see `network.withheld`).
    pub byzantine: Vec<ByzantineReport>,
    /// The inner runs of `[[nested]]` sites, in the order they started.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nested: Vec<NestedReport>,
    /// Warnings (a scheduled fault that never fired, ...).
    pub warnings: Vec<String>,
    /// Each property and whether it held.
    pub properties: Vec<PropertyReport>,
    /// Every property violation, in the order found.
    pub violations: Vec<Violation>,
    /// A machine error that ended the run early, if any.
    pub machine_error: Option<String>,
    /// Contracts checked after the run (`sim-run`: replay coherence).
    pub contracts: Vec<ContractReport>,
    /// Whether every property and contract held and the machine did not
    /// fail.
    pub passed: bool,
    /// SHA-256 of the JSONL trace.
    pub trace_digest: String,
    /// Lines in the JSONL trace.
    pub trace_events: u64,
    /// Wall-clock time of the run (set by `sim-run`; never in the digest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_time_ms: Option<u64>,
}

/// One inner run of a site (`[[nested]]`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NestedReport {
    /// The outer role (the site).
    pub role: String,
    /// The outer tick its effect call started the run.
    pub tick: u64,
    /// The inner scenario's name.
    pub scenario: String,
    /// The inner run's seed (rerun it with `--seed`).
    pub seed: u64,
    /// Whether every inner property and contract held.
    pub passed: bool,
    /// Rounds the inner run took (outer ticks the site waited).
    pub rounds: u64,
    /// The inner trace's digest.
    pub trace_digest: String,
    /// The first inner violation or error, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// A byzantine role at the end of the run.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ByzantineReport {
    /// The role.
    pub role: String,
    /// Its strategy.
    pub strategy: String,
    /// Messages it sent that differ from what its honest handler decided.
    pub lies: u64,
    /// For `forge` and `replay`: the messages it injected and their fate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injections: Option<InjectionReport>,
}

/// What became of the messages a `forge` or `replay` role injected.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct InjectionReport {
    /// Messages injected into the network.
    pub injected: u64,
    /// Refused by their receivers (signature, hash chain, replay or
    /// monitor check).
    pub rejected: u64,
    /// Consumed as if genuine: each one is an `injections_rejected`
    /// violation.
    pub accepted: u64,
    /// Never read (lost to a finished session, or still queued at the end).
    pub unread: u64,
}

/// One role at the end of the run.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RoleReport {
    /// Its name.
    pub role: String,
    /// `done`, `ready`, `blocked: ...`, `faulted: ...`, `cancelled`, or
    /// `not run`.
    pub status: String,
    /// Messages it sent and received, and its end.
    pub progress_events: u64,
    /// The last tick it made progress at.
    pub last_progress_tick: Option<u64>,
    /// Whether a `node_crash` stopped it.
    pub crashed: bool,
}

/// Counts of what the network did with messages.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct NetworkStats {
    /// Messages the machine sent.
    pub sent: u64,
    /// Messages put into a receiver's buffer.
    pub delivered: u64,
    /// Messages lost (random loss or `message_drop`).
    pub lost: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Payloads damaged.
    pub corrupted: u64,
    /// Messages that overtook their edge.
    pub reordered: u64,
    /// Messages a silent byzantine role sent that never left it.
    pub withheld: u64,
    /// Messages a `message_delay` held longer.
    pub delayed: u64,
    /// Times a message was held back (partition, paused receiver, full
    /// buffer).
    pub held: u64,
    /// Messages discarded at delivery (crashed receiver, finished session,
    /// buffer policy `drop`).
    pub discarded: u64,
    /// Messages still in flight when the run ended.
    pub in_flight_at_end: u64,
}

/// A scheduled fault in the report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FaultReport {
    /// Its position among `[[events]]`, from 0.
    pub index: usize,
    /// The verb.
    pub action: String,
    /// Whether it ever fired.
    pub fired: bool,
    /// The ticks it fired at.
    pub fired_at: Vec<u64>,
}

/// A property in the report.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct PropertyReport {
    /// As written in the scenario.
    pub property: String,
    /// Whether it held for the whole run.
    pub holds: bool,
}

/// One property violation.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Violation {
    /// The property, as written.
    pub property: String,
    /// When.
    pub tick: u64,
    /// The role concerned, if one is.
    pub role: Option<String>,
    /// What happened.
    pub event: String,
}

/// A contract checked after the run.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ContractReport {
    /// Its name (`replay_coherence`).
    pub contract: String,
    /// Whether it held.
    pub holds: bool,
    /// Why not, when it did not.
    pub detail: Option<String>,
}
