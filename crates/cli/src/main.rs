//! `tell`: the Telltale command-line tool.
//!
//! Every subcommand reads its inputs, calls the library crates, and renders
//! results or diagnostics. Errors are printed as one clear message, never as
//! a Rust backtrace.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod commands;
mod exit_code;
mod graph;
mod input;
mod protocol_file;
mod serve_decider;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc: exploration and simulation allocate and free many small,
/// short-lived machine states, where it is several times faster than the
/// system allocator (docs/performance.md, "Explorer").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Choreographic programming with multiparty session types.
#[derive(Parser)]
#[command(name = "tell", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands of `tell`.
#[derive(Subcommand)]
enum Command {
    /// Parse, validate and project every protocol of the given files.
    ///
    /// Prints one summary line per protocol (name, roles, message count,
    /// content id) and exits 0, or prints diagnostics and exits 1.
    Check(commands::check::CheckArgs),
    /// Project a global protocol onto its roles' local types.
    Project(commands::project::ProjectArgs),
    /// Decide whether one local type is a subtype of another.
    ///
    /// Prints exactly one of `subtype`, `not-subtype`, `unknown` and exits
    /// with 0, 1 or 3 respectively; exit code 2 means bad input.
    Subtype(commands::subtype::SubtypeArgs),
    /// Draw the global protocol as a Mermaid sequence diagram or a DOT graph.
    Graph(commands::graph::GraphArgs),
    /// Format `.tell` files in place (or check that they are formatted).
    Fmt(commands::fmt::FmtArgs),
    /// Show the desugared protocol and its lowered global type.
    Explain(commands::explain::ExplainArgs),
    /// Make a role's key: the private half into a new file (mode 0600),
    /// the public half printed as its roster line.
    Keygen(commands::keygen::KeygenArgs),
    /// Run one role of a protocol as a process over TCP, printing every
    /// message it sends and receives.
    Serve(commands::serve::ServeArgs),
    /// Compile a protocol's local types to protocol-machine bytecode.
    Compile(commands::compile::CompileArgs),
    /// Run every role of a protocol in one protocol machine and print the trace.
    ///
    /// A built-in deterministic handler fabricates payloads from each label's
    /// sort and picks branches by a seeded rule that lets every loop end.
    Run(commands::run::RunArgs),
    /// Explore every run of a protocol within bounds and check it for
    /// faults, deadlocks and orphan messages.
    ///
    /// Exits 0 when every check holds, 2 with a (shortest, breadth-first)
    /// counterexample, 3 when a bound stopped the search first, 1 on bad input.
    Explore(commands::explore::ExploreArgs),
    /// Measure protocol-machine throughput; prints one JSON line.
    Bench(commands::bench::BenchArgs),
    /// Print the typed API `choreography!` generates for a protocol: the
    /// module, message types and each role's entry point and steps.
    Api(commands::api::ApiArgs),
    /// Generate a host crate from a file's `effect` declarations: host
    /// traits and the adapter that runs them on the machine, a scripted
    /// host, smoke tests, a manifest and a README (exit 0, or 1 with
    /// nothing written).
    Scaffold(telltale_effect_scaffold::ScaffoldArgs),
    /// Run a simulation scenario (TOML): the protocol on the machine under
    /// a network model, scheduled faults and properties; prints a JSON
    /// report.
    ///
    /// Exit codes as `sim-run`: 0 every property held, 2 a property failed
    /// (or `--strict` and a scheduled fault never fired), 1 bad input.
    Sim(commands::sim::SimArgs),
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => exit_on_usage_error(&err),
    };
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Project(args) => commands::project::run(&args),
        Command::Subtype(args) => commands::subtype::run(&args),
        Command::Graph(args) => commands::graph::run(&args),
        Command::Fmt(args) => commands::fmt::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Keygen(args) => commands::keygen::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Compile(args) => commands::compile::run(&args),
        Command::Run(args) => commands::run::run(&args),
        Command::Explore(args) => commands::explore::run(&args),
        Command::Bench(args) => commands::bench::run(&args),
        Command::Api(args) => commands::api::run(&args),
        Command::Scaffold(args) => Ok(telltale_effect_scaffold::run_command(&args)),
        Command::Sim(args) => commands::sim::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => ExitCode::from(exit_code::report(&err)),
    }
}

/// Prints a usage error (or `--help`, `--version`) and exits: 2 as for
/// every bad usage, except `tell explore`, whose 2 means a counterexample
/// and whose bad input is 1.
fn exit_on_usage_error(err: &clap::Error) -> ! {
    let explore = std::env::args().nth(1).as_deref() == Some("explore");
    if explore && err.use_stderr() {
        let _ = err.print();
        std::process::exit(i32::from(commands::explore::BAD_INPUT));
    }
    err.exit()
}

/// Whether a panic is `println!` failing because standard output was
/// closed by its reader.
fn is_closed_stdout(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    message.starts_with("failed printing to stdout") && message.contains("Broken pipe")
}

/// Replaces Rust's panic report with a short message: users never see a
/// backtrace, only that an internal error happened and where to report it.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if is_closed_stdout(info.payload()) {
            // The reader of our output went away (`tell run | head`): what
            // it did not read is not wanted, so stop quietly, as `cat` does.
            std::process::exit(0);
        }
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        eprintln!("error: internal error in tell{location}: {message}\nThis is a bug; please report it with the input that caused it.");
    }));
}
