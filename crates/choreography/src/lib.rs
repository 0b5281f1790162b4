//! Async choreography runtime of Telltale.
//!
//! A role of a multiparty protocol runs directly in an async Rust program
//! through a [`ChoreoHandler`]: `send`, `recv`, `choose`, `offer` and
//! `with_timeout`. Handlers move [`Message`]s (a label and a dynamic
//! [`Value`]); middleware wraps any handler.
//!
//! There are two ways to run a role:
//!
//! * as data: a [`Program`] (built with [`Program::builder`] or obtained
//!   from a projected local type with [`program_from_local`]) run by
//!   [`interpret()`], which checks every received message against the
//!   protocol and asks a [`Decider`] for choices and payloads;
//! * as code: typed session states that call the handler directly. Each
//!   state consumes itself and returns the next, so the protocol order is
//!   checked by the compiler; the calls are static, so the layer costs
//!   nothing at run time. This is the shape generated code takes:
//!
//! ```
//! use telltale_choreography::{ChoreoHandler, ChoreoResult, InMemoryHandler, Message, Value};
//! use telltale_types::Role;
//!
//! /// `Bob!ping(nat) . Bob?pong(nat) . end` for Alice, as typestates.
//! struct SendPing<'h, H: ChoreoHandler>(&'h mut H, H::Endpoint);
//! struct RecvPong<'h, H: ChoreoHandler>(&'h mut H, H::Endpoint);
//!
//! impl<'h, H: ChoreoHandler> SendPing<'h, H> {
//!     async fn ping(mut self, n: u64) -> ChoreoResult<RecvPong<'h, H>> {
//!         let bob = Role::new("Bob");
//!         self.0.send(&mut self.1, &bob, Message::new("ping", Value::Nat(n))).await?;
//!         Ok(RecvPong(self.0, self.1))
//!     }
//! }
//!
//! impl<'h, H: ChoreoHandler> RecvPong<'h, H> {
//!     async fn pong(mut self) -> ChoreoResult<u64> {
//!         let message = self.0.recv(&mut self.1, &Role::new("Bob")).await?;
//!         match message.value {
//!             Value::Nat(n) if message.label() == "pong" => Ok(n),
//!             _ => Err(telltale_choreography::ChoreoError::ProtocolViolation {
//!                 role: Role::new("Alice"),
//!                 peer: Role::new("Bob"),
//!                 expected: "pong(nat)".into(),
//!                 got: message.to_string(),
//!             }),
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mut network = InMemoryHandler::network(["Alice", "Bob"]);
//! let mut alice = network.remove(&Role::new("Alice")).unwrap();
//! let mut bob = network.remove(&Role::new("Bob")).unwrap();
//! let alice_role = Role::new("Alice");
//! let bob_side = async {
//!     let ping = bob.recv(&mut (), &alice_role).await?;
//!     bob.send(&mut (), &alice_role, Message::new("pong", ping.value)).await
//! };
//! let alice_side = async { SendPing(&mut alice, ()).ping(7).await?.pong().await };
//! let (answer, bob_done) = tokio::join!(alice_side, bob_side);
//! assert_eq!(answer.unwrap(), 7);
//! bob_done.unwrap();
//! # });
//! ```

pub mod builder;
pub mod decider;
pub mod error;
pub mod from_local;
pub mod handler;
pub mod handlers;
pub mod interpret;
pub mod message;
pub mod middleware;
pub mod program;

pub use builder::ProgramBuilder;
pub use decider::{Decider, FirstBranchDecider, ScriptedDecider};
pub use error::{ChoreoError, ChoreoResult};
pub use from_local::program_from_local;
pub use handler::{ChoreoHandler, TimedBody};
pub use handlers::in_memory::InMemoryHandler;
pub use handlers::no_op::NoOpHandler;
pub use handlers::recording::{RecordedOperation, Recording, RecordingHandler};
pub use interpret::{interpret, interpret_with, InterpretConfig, RunSummary};
pub use message::Message;
#[cfg(feature = "test-utils")]
pub use middleware::fault_injection::{FaultConfig, FaultInjection};
pub use middleware::metrics::{Metrics, MetricsCounters, MetricsSnapshot};
pub use middleware::retry::{Retry, RetryPolicy};
pub use middleware::trace::Trace;
pub use program::{Program, ProgramBranch};
/// Payload values live in `telltale-types`, shared with the protocol machine.
pub use telltale_types::value::{Value, MAX_VALUE_DEPTH};

/// The user guide of the async runtime (`docs/runtime.md`), compiled here
/// so its example is tested.
#[doc = include_str!("../../../docs/runtime.md")]
pub mod guide {}
