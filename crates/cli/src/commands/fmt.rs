//! `tell fmt FILE... [--check]`: the canonical layout of `.tell` files.

use crate::protocol_file::ProtocolFile;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_lang::format_module;

/// Arguments of `tell fmt`.
#[derive(Args)]
pub struct FmtArgs {
    /// `.tell` files to format in place.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1.
    #[arg(long)]
    pub check: bool,
}

/// Runs the command.
pub fn run(args: &FmtArgs) -> Result<ExitCode> {
    let mut unformatted = Vec::new();
    for path in &args.files {
        if !path.extension().is_some_and(|e| e == "tell") {
            bail!(
                "`{}` is not a .tell file; only .tell files are formatted",
                path.display()
            );
        }
        let file = ProtocolFile::parse(path)?;
        let formatted = format_module(&file.module);
        if formatted == file.source.text {
            continue;
        }
        if args.check {
            println!("{}", path.display());
            unformatted.push(path);
        } else {
            std::fs::write(path, formatted)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
        }
    }
    if unformatted.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: {} file(s) need formatting (run `tell fmt`)",
            unformatted.len()
        );
        Ok(ExitCode::FAILURE)
    }
}
