//! `tell graph FILE`: a picture of the global protocol.

use crate::graph::{dot, mermaid};
use crate::protocol_file::{ProtocolChoice, ProtocolFile};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tell graph`.
#[derive(Args)]
pub struct GraphArgs {
    /// The protocol file.
    pub file: PathBuf,
    /// Picture format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// Which protocol, and its role-family sizes.
    #[command(flatten)]
    pub choice: ProtocolChoice,
}

/// The picture formats.
#[derive(Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid `sequenceDiagram` (choices as `alt`, recursion as `loop`).
    Mermaid,
    /// A Graphviz DOT state graph of the global protocol.
    Dot,
}

/// Runs the command.
pub fn run(args: &GraphArgs) -> Result<ExitCode> {
    let file = ProtocolFile::load(&args.file)?;
    // Lowering first validates the protocol, so only sound protocols are drawn.
    let protocol = file.lower_one(args.choice.protocol.as_deref(), &args.choice.sizes.map())?;
    let text = match args.format {
        GraphFormat::Mermaid => {
            let source = file
                .module
                .protocols()
                .into_iter()
                .find(|p| p.name.text == protocol.name)
                .with_context(|| format!("protocol `{}` has no source", protocol.name))?;
            mermaid(source, &file.source)
        }
        GraphFormat::Dot => dot(&protocol.global, &protocol.name),
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
