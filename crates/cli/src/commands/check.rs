//! `tell check FILE...`: parse, validate and project every protocol.

use crate::exit_code;
use crate::protocol_file::{FamilySizes, ProtocolFile};
use anyhow::Result;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_codegen::projection_diagnostic;
use telltale_lang::{Diagnostic, DiagnosticKind};
use telltale_theory::projection::project_all;
use telltale_theory::well_formed::check_global;

/// Arguments of `tell check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Protocol files (`.tell`, or Scribble `.nuscr` / `.scr`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Role-family sizes.
    #[command(flatten)]
    pub sizes: FamilySizes,
}

/// Runs the command: one summary line per protocol, diagnostics on stderr.
pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let params = args.sizes.map();
    // Every file is checked; the exit code is the worst of their codes.
    let mut code = 0;
    for path in &args.files {
        match check_file(path, &params) {
            Ok(lines) => {
                for line in lines {
                    println!("{line}");
                }
            }
            Err(err) => code = code.max(exit_code::report(&err)),
        }
    }
    Ok(ExitCode::from(code))
}

/// Checks one file, returning its summary lines.
fn check_file(path: &std::path::Path, params: &BTreeMap<String, u64>) -> Result<Vec<String>> {
    let file = ProtocolFile::load(path)?;
    let protocols = file.lower_all(params)?;
    let mut lines = Vec::new();
    let mut diagnostics = Vec::new();
    for protocol in &protocols {
        if let Err(wf) = check_global(&protocol.global) {
            // A projection failure points at the choice, as `choreography!`
            // does; other problems at the protocol.
            diagnostics.push(match project_all(&protocol.global) {
                Err(e) => projection_diagnostic(protocol, &file.source.text, &e),
                Ok(_) => Diagnostic::new(
                    DiagnosticKind::Unprojectable,
                    format!("protocol `{}` is not well formed: {wf}", protocol.name),
                    protocol.span,
                    "in this protocol",
                ),
            });
            continue;
        }
        let roles: Vec<&str> = protocol.roles.iter().map(|r| r.as_str()).collect();
        let id = protocol
            .global
            .content_id()
            .map(|id| id.to_string())
            .unwrap_or_else(|e| format!("none ({e})"));
        // With effects, peers compare the protocol id, not the content id.
        let protocol_id = match protocol.protocol_id() {
            Ok(pid) if pid.to_string() == id => String::new(),
            Ok(pid) => format!("; protocol id {pid}"),
            Err(e) => format!("; protocol id none ({e})"),
        };
        lines.push(format!(
            "{}: {} ok: roles {}; {} messages; content id {id}{protocol_id}",
            file.source.name,
            protocol.name,
            roles.join(", "),
            protocol.global.message_count(),
        ));
    }
    file.fail_with(diagnostics)?;
    Ok(lines)
}
