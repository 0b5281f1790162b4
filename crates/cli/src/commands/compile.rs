//! `tell compile FILE`: local types to protocol-machine bytecode.

use crate::exit_code::Rejected;
use crate::protocol_file::ProtocolChoice;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_compiler::CodeImage;
use telltale_theory::projection::project_all;

/// Arguments of `tell compile`.
#[derive(Args)]
pub struct CompileArgs {
    /// The protocol file.
    pub file: PathBuf,
    /// Only this role (for `--disasm`).
    #[arg(long)]
    pub role: Option<String>,
    /// Print the bytecode of each role.
    #[arg(long)]
    pub disasm: bool,
    /// Write the code image here: JSON when the name ends in `.json`,
    /// postcard bytes otherwise.
    #[arg(short, long, value_name = "IMAGE")]
    pub output: Option<PathBuf>,
    /// Which protocol, and its role-family sizes.
    #[command(flatten)]
    pub choice: ProtocolChoice,
}

/// Builds the code image of a protocol file (every role), with the effect
/// calls its `check`s perform.
pub fn build_image(file: &std::path::Path, choice: &ProtocolChoice) -> Result<CodeImage> {
    let lowered = choice.lower(file)?;
    let locals: Vec<_> = project_all(&lowered.global)
        .map_err(Rejected::new)
        .context("projection failed")?
        .into_iter()
        .collect();
    CodeImage::build_with_effects(Some(&lowered.global), &locals, &lowered.effects)
        .map_err(Rejected::new)
        .context("compilation failed")
}

/// Runs the command.
pub fn run(args: &CompileArgs) -> Result<ExitCode> {
    let image = build_image(&args.file, &args.choice)?;
    if let Some(role) = &args.role {
        if image.role(role).is_none() {
            let known: Vec<String> = image
                .roles
                .iter()
                .map(|r| image.symbols.role_name(r.role))
                .collect();
            bail!(
                "no role `{role}` in this protocol (roles: {})",
                known.join(", ")
            );
        }
    }
    for role in &image.roles {
        let name = image.symbols.role_name(role.role);
        if args.role.as_deref().is_some_and(|wanted| wanted != name) {
            continue;
        }
        if args.disasm {
            println!("role {name}:");
            print!("{}", role.program.disassemble(&image.symbols));
            println!();
        } else {
            println!("{name}: {} instructions", role.program.code.len());
        }
    }
    if let Some(path) = &args.output {
        let bytes = if path.extension().is_some_and(|e| e == "json") {
            image.to_json_compact()?.into_bytes()
        } else {
            image.to_bytes()?
        };
        std::fs::write(path, &bytes)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(ExitCode::SUCCESS)
}
