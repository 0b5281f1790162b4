//! `tell serve FILE --role R --roster roster.toml`: one role of a protocol
//! as a process over TCP.

use crate::commands::compile::build_image;
use crate::commands::run::MAX_FREE_ITERATIONS;
use crate::exit_code::Rejected;
use crate::input::read_file;
use crate::protocol_file::ProtocolChoice;
use crate::serve_decider::SeededDecider;
use anyhow::{anyhow, Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use telltale_choreography::{program_from_local, InterpretConfig};
use telltale_compiler::DEFAULT_FREE_ITERATIONS;
use telltale_theory::projection::project;
use telltale_transport::{read_key_file, serve, serve_machine_role_traced, Roster, TcpConfig};
use telltale_types::Role;
use telltale_vm::{Config, DefaultHandler, EffectScript};

/// Arguments of `tell serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The protocol file.
    pub file: PathBuf,
    /// The role this process plays.
    #[arg(long)]
    pub role: String,
    /// The roster: every role's address (and optional public key), in TOML.
    #[arg(long)]
    pub roster: PathBuf,
    /// This role's private key (from `tell keygen`): required when the
    /// roster pins public keys, and it must match the roster's.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Send plaintext frames (a roster without keys): for local
    /// experiments only; anyone on the path can read and alter them.
    #[arg(long)]
    pub insecure: bool,
    /// Seed of the built-in decider (branch choices and payloads).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How many times the decider takes a continuing branch at each choice
    /// before it steers the loop to its exit (the rule of `tell run`).
    #[arg(long, visible_alias = "free-choices", value_name = "N",
          default_value_t = DEFAULT_FREE_ITERATIONS,
          value_parser = clap::value_parser!(u64).range(..=MAX_FREE_ITERATIONS))]
    pub free_iterations: u64,
    /// Seconds allowed for connecting and for each send or receive.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Milliseconds a broken connection may take to come back: within it,
    /// the connection is re-established and resumes where it stopped
    /// (nothing lost or repeated); past it, the peer is disconnected. 0
    /// never resumes.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub resume_grace: u64,
    /// Stop with an error after this many communications (interpreter
    /// engine only).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_steps: Option<u64>,
    /// What runs the role: the async interpreter of its local type, or
    /// the protocol machine (compiled program, monitor, effect calls).
    #[arg(long, value_enum, default_value_t = Engine::Interpreter)]
    pub engine: Engine,
    /// Script the built-in handler's effect outcomes, as in `tell run`
    /// (machine engine only): `--effect 'Ledger.append=Ok,Err(Full)'`.
    #[arg(long = "effect", value_name = "OP=OUTCOMES")]
    pub effects: Vec<String>,
    /// Which protocol, and its role-family sizes.
    #[command(flatten)]
    pub choice: ProtocolChoice,
}

/// What runs a served role.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The async interpreter of the role's local type.
    Interpreter,
    /// The protocol machine, with the built-in effect handler.
    Machine,
}

/// Runs the command: exit 0 when the role finishes its protocol, 1 when the
/// run fails (a peer disconnects, times out, or breaks the protocol).
pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    let protocol = args.choice.lower(&args.file)?;
    let role = Role::new(&args.role);
    if !protocol.roles.contains(&role) {
        let known: Vec<&str> = protocol.roles.iter().map(|r| r.as_str()).collect();
        anyhow::bail!(
            "no role `{role}` in protocol `{}` (roles: {})",
            protocol.name,
            known.join(", ")
        );
    }
    let local = project(&protocol.global, &role).context("projection failed")?;
    let program = program_from_local(&local).map_err(|e| anyhow!("{e}"))?;
    let protocol_id = protocol.protocol_id()?;
    let roster_text = read_file(&args.roster)?;
    let roster = Roster::from_toml_str(&roster_text)
        .with_context(|| format!("invalid roster `{}`", args.roster.display()))?;
    let identity = match &args.key {
        Some(path) => {
            let loaded = read_key_file(path)?;
            if let Some(warning) = &loaded.warning {
                eprintln!("warning: {warning}");
            }
            Some(loaded.key)
        }
        None => None,
    };
    let (mut config, address) =
        TcpConfig::from_roster(role.clone(), protocol_id, &roster, identity)?;
    if args.insecure {
        config = config.insecure();
    }
    // A configuration that cannot work (no keys and no --insecure, ...) is
    // bad usage, refused before anything connects.
    config.validate()?;
    let timeout = Duration::from_secs(args.timeout);
    config.connect_deadline = timeout;
    config.send_timeout = timeout;
    config.recv_timeout = timeout;
    config.resume_grace = Duration::from_millis(args.resume_grace);
    if args.engine == Engine::Machine {
        return serve_on_machine(args, config, address, &role);
    }
    if !args.effects.is_empty() {
        anyhow::bail!("--effect needs --engine machine (the interpreter makes no effect calls)");
    }
    let mut decider = SeededDecider::new(&local, args.seed, args.free_iterations)
        .context("the role's local type does not compile")?;
    let limits = InterpretConfig {
        max_steps: args.max_steps,
    };
    listen_and_run(address, &role, |listener| async {
        let summary = serve(listener, config, &program, &mut decider, limits)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        Ok(format!(
            "{role} finished after {} communications",
            summary.steps
        ))
    })
}

/// Listens on `address` and runs `role` on a one-thread runtime: exit 0
/// with the line `run` returns, or exit 1 with its error.
fn listen_and_run<F, Fut>(address: std::net::SocketAddr, role: &Role, run: F) -> Result<ExitCode>
where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: std::future::Future<Output = Result<String>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        run(listener).await
    });
    match outcome {
        Ok(line) => {
            println!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("error: role {role} failed: {err:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `tell serve --engine machine`: the role's compiled program on the
/// protocol machine, with the built-in handler (seeded, `--effect` scripts).
fn serve_on_machine(
    args: &ServeArgs,
    config: TcpConfig,
    address: std::net::SocketAddr,
    role: &Role,
) -> Result<ExitCode> {
    if args.max_steps.is_some() {
        anyhow::bail!("--max-steps applies to the interpreter engine only");
    }
    let image = build_image(&args.file, &args.choice)?;
    let script = EffectScript::parse(&args.effects).map_err(Rejected::new)?;
    script.check(&image.effects).map_err(Rejected::new)?;
    let handler = DefaultHandler::with_free_iterations(args.seed, args.free_iterations)
        .with_effect_script(script);
    listen_and_run(address, role, |listener| async {
        let mut print = |line: &str| println!("{line}");
        let summary = serve_machine_role_traced(
            listener,
            config,
            image,
            role.as_str(),
            &handler,
            Config::default(),
            &mut print,
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
        Ok(format!(
            "{role} finished on the protocol machine after {} steps ({} messages sent, {} received{})",
            summary.steps,
            summary.sent,
            summary.received,
            if summary.timed_out {
                "; took a timeout branch after a peer went away"
            } else {
                ""
            }
        ))
    })
}
