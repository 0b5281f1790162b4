//! Exhaustive exploration of Telltale protocols.
//!
//! A [`Model`] is a transition system with safety properties; a
//! [`Checker`] visits every state reachable within its bounds, breadth-
//! or depth-first, keeping 64-bit fingerprints of visited states. The
//! model of a protocol ([`ProtocolModel`]) is the protocol machine itself,
//! driven one coroutine step at a time through `telltale_vm::explore`,
//! with an [`ExplorableHost`] whose open choices are branched over. The
//! user guide is docs/explorer.md.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod byzantine;
pub mod checker;
pub mod counterexample;
pub mod host;
pub mod model;
pub mod observation;
pub mod protocol;
pub mod schedule;
pub mod scripted_answers;
pub mod symmetry;

pub use byzantine::{ByzantineHost, FabricatedLies, LieDomain, SentMessage};
pub use checker::{Checker, Counterexample, Progress, Report, Verdict};
pub use host::{ExplorableHost, OpenChoiceHost, ScriptedChoiceHost};
pub use model::{Model, Property};
pub use observation::{Observation, Observations};
pub use protocol::{Action, ProtocolModel, ProtocolModelError, ProtocolState};
pub use schedule::{Schedule, ScheduleError, ScheduleOrigin, ScheduleReplay, ScheduledAction};
pub use scripted_answers::{ScriptedAnswerHost, ScriptedAnswerHostError};
pub use symmetry::{SymmetryGroup, SymmetryKind, SymmetryStatus};
