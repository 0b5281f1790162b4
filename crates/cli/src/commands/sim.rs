//! `tell sim SCENARIO.toml`: the simulator's `sim-run`, under `tell`
//! (same arguments, report and exit codes: 0 every property held, 2 one
//! failed or `--strict` found a fault that never fired, 1 bad input).

use anyhow::Result;
use std::process::ExitCode;
pub use telltale_simulator::cli::SimArgs;
use telltale_simulator::HostRegistry;

/// The bundled Rust hosts a scenario can name (`[handler] kind = "host"`):
/// the simulator cannot depend on the example crates that hold them, `tell`
/// can.
pub fn bundled_hosts() -> HostRegistry {
    let mut hosts = HostRegistry::new();
    hosts.register(
        telltale_consensus_host::bundle::NAME,
        telltale_consensus_host::bundle::factory,
    );
    hosts
}

/// Runs the command.
pub fn run(args: &SimArgs) -> Result<ExitCode> {
    if let Some(schedule) = &args.schedule {
        return crate::commands::sim_schedule::run(schedule, args);
    }
    Ok(telltale_simulator::cli::run_with_hosts(
        args,
        &bundled_hosts(),
    ))
}
