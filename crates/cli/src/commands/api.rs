//! `tell api FILE [--role R]`: the typed API `choreography!` generates for a
//! protocol, described per role, so it can be read without expanding the
//! macro.

use crate::protocol_file::{ProtocolFile, Reported};
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_codegen::MacroError;

/// Arguments of `tell api`.
#[derive(Args)]
pub struct ApiArgs {
    /// The protocol file (`.tell`, or Scribble `.nuscr` / `.scr`).
    pub file: PathBuf,
    /// Only this role's entry point and steps.
    #[arg(long)]
    pub role: Option<String>,
    /// Which protocol of the file (default: every one).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Role-family sizes, as the macro's `params(...)` gives them.
    #[command(flatten)]
    pub sizes: crate::protocol_file::FamilySizes,
}

/// Runs the command: prints the outline of every chosen protocol.
pub fn run(args: &ApiArgs) -> Result<ExitCode> {
    let file = ProtocolFile::load(&args.file)?;
    let params = args.sizes.map();
    let protocols = match &args.protocol {
        Some(name) => vec![file.lower_one(Some(name), &params)?],
        None => file.lower_all(&params)?,
    };
    if protocols.is_empty() {
        bail!("`{}` defines no protocol", file.source.name);
    }
    let outlines = match telltale_codegen::outlines(&file.source, &file.module, &protocols) {
        Ok(outlines) => outlines,
        Err(errors) => {
            for error in &errors {
                match error {
                    // Already `file:line:col: error[E...]: ...` with its excerpt.
                    MacroError::Language { .. } => eprintln!("{error}"),
                    _ => eprintln!("error: {error}"),
                }
            }
            return Err(Reported {
                count: errors.len(),
                file: file.source.name.clone(),
            }
            .into());
        }
    };
    if let Some(role) = &args.role {
        if !outlines.iter().any(|o| o.has_role(role)) {
            let roles: Vec<&str> = protocols
                .iter()
                .flat_map(|p| p.roles.iter().map(|r| r.as_str()))
                .collect();
            bail!("no role `{role}` (roles: {})", roles.join(", "));
        }
    }
    let texts: Vec<String> = outlines
        .iter()
        .filter(|o| args.role.as_deref().map_or(true, |role| o.has_role(role)))
        .map(|o| o.render(args.role.as_deref()))
        .collect();
    print!("{}", texts.join("\n"));
    Ok(ExitCode::SUCCESS)
}
