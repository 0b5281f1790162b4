//! The hosts a run is driven by and how they reach the world: the
//! handler wrapper that injects faults and lies, the harness for host
//! projects, bundled Rust hosts and their other stories for `equivocate`,
//! and sites running nested simulations.

pub mod equivocator;
pub mod harness;
pub mod host_registry;
pub(crate) mod nested;
pub mod sim_handler;
