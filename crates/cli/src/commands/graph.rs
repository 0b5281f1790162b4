//! `tell graph FILE`: a picture of the global protocol.

use crate::graph::{dot, mermaid};
use crate::protocol_file::{parse_param, ProtocolFile};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tell graph`.
#[derive(Args)]
pub struct GraphArgs {
    /// The protocol file.
    pub file: PathBuf,
    /// Which protocol (default: the only one in the file).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Picture format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// A role-family size, e.g. `--param N=4` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, u64)>,
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
    let params: BTreeMap<String, u64> = args.params.iter().cloned().collect();
    let file = ProtocolFile::load(&args.file)?;
    // Lowering first validates the protocol, so only sound protocols are drawn.
    let protocol = file.lower_one(args.protocol.as_deref(), &params)?;
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
