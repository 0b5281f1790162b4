//! The host of `examples/consensus/consensus.tell`: the seed's BFT
//! providers (`Synchronizer`, `Liveness`, `Leader`, `Voting`) written
//! against the traits `tell scaffold` generated, one handler for every
//! prover of a round, and the simulator's bundled host `consensus`.
//!
//! `generated_effects.rs` is generated (`tell scaffold ... --force`, see
//! the README); the rest is this host's.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bundle;
pub mod config;
pub mod crypto;
pub mod error;
pub mod explorable;
#[allow(missing_docs, unused_variables, clippy::all)]
#[rustfmt::skip]
pub mod generated_effects;
pub mod handler;
pub mod host_types;
pub mod over_tcp;
pub mod prover;

pub use config::{QuorumRule, RoundConfig};
pub use error::HostError;
pub use generated_effects::*;
pub use handler::ConsensusHost;
pub use host_types::*;
