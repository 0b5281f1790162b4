//! `tell bench`: throughput of the protocol machine, one JSON line per run.

use anyhow::Result;
use clap::{Args, ValueEnum};
use std::process::ExitCode;
use telltale_vm::bench;

/// Arguments of `tell bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(long, value_enum)]
    pub workload: Workload,
    /// Messages to deliver (pingpong, ring).
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: u64,
    /// Two-message sessions to open, run, close and reap (sessions).
    #[arg(long, default_value_t = 10_000)]
    pub sessions: u64,
    /// Roles in the ring (ring).
    #[arg(long, default_value_t = 8)]
    pub roles: usize,
}

/// The benchmark workloads.
#[derive(Clone, Copy, ValueEnum)]
pub enum Workload {
    /// Two roles bouncing one message back and forth.
    Pingpong,
    /// Many short sessions in one machine.
    Sessions,
    /// A token passed around a ring of roles.
    Ring,
}

/// Runs the command. Build with `--release` for meaningful numbers.
pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    let report = match args.workload {
        Workload::Pingpong => bench::pingpong(args.messages)?,
        Workload::Sessions => bench::sessions(args.sessions)?,
        Workload::Ring => bench::ring(args.roles, args.messages)?,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}
