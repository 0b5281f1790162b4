//! The Telltale protocol machine.
//!
//! The machine runs compiled local types as bytecode, one coroutine per
//! (session, role), under a deterministic scheduler, and checks every
//! communication against the endpoint's monitor state. Hosts plug in through
//! the synchronous [`EffectHandler`] trait.
//!
//! ```
//! use telltale_types::{GlobalType, Label, LocalType, Role};
//! use telltale_vm::{load_all_roles, Config, DefaultHandler, RunStatus, TraceText};
//!
//! let g = GlobalType::send("A", "B", Label::unit("ping"), GlobalType::End);
//! let locals = vec![
//!     (Role::new("A"), LocalType::send("B", Label::unit("ping"), LocalType::End)),
//!     (Role::new("B"), LocalType::recv("A", Label::unit("ping"), LocalType::End)),
//! ];
//! let mut machine = load_all_roles(Some(&g), &locals, Config::default()).unwrap();
//! let status = machine.run(&DefaultHandler::new(42), 1_000).unwrap();
//! assert_eq!(status, RunStatus::AllDone);
//! let text = TraceText::of_machine(&machine);
//! let lines: Vec<String> = machine.trace_iter().map(|e| text.line(e)).collect();
//! assert!(lines.iter().any(|l| l.ends_with("A -> B : ping")));
//! assert!(lines.iter().any(|l| l.ends_with("B done")));
//! ```
//!
//! Invariants: the hot path never compares strings (roles, labels, edges and
//! handlers are small integers); bounded traces never grow past their bound;
//! two runs with the same image, configuration and effect outcomes produce
//! identical traces.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod auth;
#[cfg(test)]
mod auth_tests;
pub mod bench;
pub mod buffer;
pub mod checkpoint;
mod comm_cold;
pub mod config;
pub mod coro_ext;
pub mod coroutine;
pub mod corruption;
mod deadline;
pub mod effect;
pub mod event;
mod exec;
pub mod explore;
pub mod fault;
mod guard_orphans;
pub mod host;
pub mod host_contract;
pub mod ids;
pub mod kernel;
pub mod knowledge;
mod lifecycle;
pub mod loader;
pub mod machine;
pub mod network;
#[cfg(test)]
mod network_tests;
pub mod payload;
pub mod render;
pub mod replay;
pub mod scheduler;
pub mod session;
mod spawn;
pub mod threaded;
pub mod topology;
#[cfg(test)]
mod topology_tests;
pub mod trace;
mod tracked_vec;

pub use auth::{endpoint_signing_key, MessageSeal, RoleKeys};
pub use buffer::{BackpressurePolicy, BoundedBuffer, BufferConfig, BufferMode, Envelope};
pub use checkpoint::{Checkpoint, CheckpointError, CHECKPOINT_FORMAT_VERSION};
pub use config::{
    CommunicationReplayMode, Config, ConfigError, EffectTraceCaptureMode, MessageAuth,
    PayloadValidationMode,
};
pub use coro_ext::{CoroExt, SpeculationScope};
pub use coroutine::{BlockReason, CoroStatus, CoroutineView};
pub use effect::default_handler::{
    fabricate_outcome, ChoiceVisits, DefaultHandler, DEFAULT_FREE_ITERATIONS,
};
pub use effect::error::{
    classify_effect_error, classify_effect_error_owned, EffectError, EffectErrorCategory,
};
pub use effect::script::{EffectScript, EffectScriptError};
pub use effect::trace::{EffectInputSummary, EffectKind, EffectOutcome, EffectTraceEntry};
pub use effect::{
    AcquireDecision, AcquireInput, ChooseInput, EffectCall, EffectContext, EffectHandler,
    InvokeInput, JoinInput, OutputConditionHint, OutputHintInput, RecvInput, ReleaseInput,
    SendDecision, SendDecisionInput, TopologyInput, DEFAULT_HANDLER_ID,
};
pub use event::{MessageEvent, ObsEvent};
pub use exec::speculation::MAX_SPECULATION_DEPTH;
pub use fault::{Fault, LifecycleError, ProtocolMachineError};
pub use host::{HostFailure, HostValue, ScriptedAnswer, ScriptedHandler};
pub use host_contract::HostContractViolation;
pub use ids::{CoroId, HandlerId, IdHasher, SessionId, Tick};
pub use kernel::{RunStatus, StepResult};
pub use knowledge::{fact_key, FlowPolicy, FlowRule};
pub use lifecycle::SessionRequest;
pub use loader::{load_all_roles, load_image_all_roles};
pub use machine::ProtocolMachine;
pub use network::{Delivery, InFlight};
pub use render::{render_event, TraceText};
pub use replay::consumption::{ReplayRejection, StepKind};
pub use replay::proof::{
    verify_replay_proof, verify_replay_proof_from_genesis, ReplayFragment, ReplayProofEntry,
    ReplayProofError,
};
pub use replay::{
    run_record_replay_conformance, run_record_replay_conformance_with_hosts, ConformanceError,
    ConformanceReport, RecordingEffectHandler, ReplayEffectHandler,
};
pub use scheduler::SchedulerPolicy;
pub use session::{ClosedSessionSummary, SessionStatus};
pub use telltale_compiler::{
    CodeImage, LabelId, MonitorTable, RoleId, RoleLocalType, StateId, Value,
};
pub use threaded::checkpoint::{
    RunnerCheckpoint, RUNNER_CHECKPOINT_FORMAT_VERSION, RUNNER_CHECKPOINT_MAGIC,
};
pub use threaded::{ThreadedError, ThreadedRunner, DEFAULT_WAVE_ROUNDS};
pub use topology::TopologyEvent;
pub use trace::TraceRetention;
