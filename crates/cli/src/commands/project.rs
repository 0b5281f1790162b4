//! `tell project`: local types of every (or one) role.

use crate::exit_code::Rejected;
use crate::input::read_global_json;
use crate::protocol_file::ProtocolChoice;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_theory::dot::fsm_to_dot;
use telltale_theory::fsm::Fsm;
use telltale_theory::projection::project_all;
use telltale_types::{json, GlobalType, LocalType, Role};

/// Arguments of `tell project`.
#[derive(Args)]
pub struct ProjectArgs {
    /// The protocol file (`.tell`, or Scribble `.nuscr` / `.scr`).
    #[arg(required_unless_present = "input_json", conflicts_with = "input_json")]
    pub file: Option<PathBuf>,
    /// Project a global type given in the Lean-bridge JSON schema instead.
    #[arg(long, value_name = "G.json")]
    pub input_json: Option<PathBuf>,
    /// Only this role.
    #[arg(long)]
    pub role: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Which protocol, and its role-family sizes.
    #[command(flatten)]
    pub choice: ProtocolChoice,
}

/// How local types are printed.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// `Role: B!ping . B?pong . end`, one line per role.
    Text,
    /// Lean-bridge JSON (one object; a map from role to type for all roles).
    Json,
    /// nuscr-style DOT FSMs, one digraph per role.
    Dot,
}

/// Runs the command.
pub fn run(args: &ProjectArgs) -> Result<ExitCode> {
    let global = match (&args.file, &args.input_json) {
        (_, Some(json)) => read_global_json(json)?,
        (Some(path), None) => args.choice.lower(path)?.global,
        (None, None) => bail!("nothing to project: give a protocol file or `--input-json G.json`"),
    };
    let projections = project_roles(&global, args.role.as_deref())?;
    print!("{}", render(&projections, args.format)?);
    Ok(ExitCode::SUCCESS)
}

/// Projects every role, or only `role` when given.
pub fn project_roles(global: &GlobalType, role: Option<&str>) -> Result<BTreeMap<Role, LocalType>> {
    let mut all = project_all(global)
        .map_err(Rejected::new)
        .context("projection failed")?;
    if let Some(role) = role {
        let role = Role::new(role);
        let Some(local) = all.remove(&role) else {
            let known: Vec<String> = all.keys().map(|r| r.to_string()).collect();
            bail!(
                "no role `{role}` in this protocol (roles: {})",
                known.join(", ")
            );
        };
        return Ok(BTreeMap::from([(role, local)]));
    }
    Ok(all)
}

/// Renders projections in the requested format.
pub fn render(projections: &BTreeMap<Role, LocalType>, format: Format) -> Result<String> {
    let mut out = String::new();
    match format {
        Format::Text => {
            for (role, local) in projections {
                out.push_str(&format!("{role}: {local}\n"));
            }
        }
        Format::Json => {
            let text = match projections.iter().next() {
                Some((_, local)) if projections.len() == 1 => json::local_to_json_pretty(local)?,
                _ => json::to_json_pretty(projections)?,
            };
            out.push_str(&text);
            out.push('\n');
        }
        Format::Dot => {
            for (role, local) in projections {
                let fsm = Fsm::from_local(role, local)
                    .with_context(|| format!("cannot build the FSM of role `{role}`"))?;
                out.push_str(&fsm_to_dot(&fsm));
            }
        }
    }
    Ok(out)
}
