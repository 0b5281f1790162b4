//! One module per `tell` subcommand.

pub mod api;
pub mod bench;
pub mod bench_explore;
pub mod check;
pub mod compile;
pub mod explain;
pub mod explore;
pub mod explore_hosts;
pub mod fmt;
pub mod graph;
pub mod keygen;
pub mod project;
pub mod run;
pub mod run_checkpoint;
pub mod run_sharded;
pub mod serve;
pub mod sim;
pub mod sim_schedule;
pub mod subtype;
