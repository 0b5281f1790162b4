//! `tell explain FILE`: the desugared protocol and its lowered global type.

use crate::protocol_file::{FamilySizes, ProtocolFile};
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_lang::{explain, LowerOptions};

/// Arguments of `tell explain`.
#[derive(Args)]
pub struct ExplainArgs {
    /// The protocol file.
    pub file: PathBuf,
    /// Which protocol (default: the only one in the file; all when omitted
    /// and the file has several).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Role-family sizes.
    #[command(flatten)]
    pub sizes: FamilySizes,
}

/// Runs the command.
pub fn run(args: &ExplainArgs) -> Result<ExitCode> {
    let params = args.sizes.map();
    let file = ProtocolFile::load(&args.file)?;
    let names: Vec<String> = match &args.protocol {
        Some(name) => {
            let declared: Vec<&str> = file
                .module
                .protocols()
                .into_iter()
                .map(|p| p.name.text.as_str())
                .collect();
            if !declared.contains(&name.as_str()) {
                // A wrong argument is bad usage (exit 2), not a wrong file.
                bail!(
                    "no protocol `{name}` in `{}` (protocols: {})",
                    file.source.name,
                    declared.join(", ")
                );
            }
            vec![name.clone()]
        }
        None => file
            .lower_all(&params)?
            .into_iter()
            .map(|p| p.name)
            .collect(),
    };
    let options = LowerOptions { params };
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            println!();
        }
        match explain(&file.module, name, &options) {
            Ok(text) => print!("{text}"),
            Err(diagnostics) => file.fail_with(diagnostics)?,
        }
    }
    Ok(ExitCode::SUCCESS)
}
