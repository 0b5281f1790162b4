//! Reading command-line inputs: files or inline text, in every accepted format.

use crate::exit_code::UnreadableInput;
use anyhow::{Context, Result};
use std::path::Path;
use telltale_theory::dot::parse_dot;
use telltale_theory::fsm::Fsm;
use telltale_theory::notation::parse_local_notation;
use telltale_types::{json, GlobalType, LocalType, Role};

/// Reads a whole file as UTF-8 text, naming it (and the first bad byte of
/// a file that is not text) in the error.
pub fn read_file(path: &Path) -> Result<String> {
    Ok(UnreadableInput::read(path)?)
}

/// Reads a global type from a Lean-bridge JSON file.
pub fn read_global_json(path: &Path) -> Result<GlobalType> {
    let text = read_file(path)?;
    json::global_from_json(&text).with_context(|| {
        format!(
            "`{}` is not a global type in the Lean-bridge JSON schema",
            path.display()
        )
    })
}

/// The formats a local type may be given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalFormat {
    /// Lean-bridge JSON.
    Json,
    /// A nuscr-style DOT FSM.
    Dot,
    /// The binary notation `!a;?b;end`.
    Notation,
}

/// Decides the format of a local type from its first significant characters.
pub fn sniff_local_format(text: &str) -> LocalFormat {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') && trimmed.contains("\"kind\"") {
        LocalFormat::Json
    } else if trimmed.starts_with("digraph") {
        LocalFormat::Dot
    } else {
        LocalFormat::Notation
    }
}

/// Reads a local behaviour given as a file path or as inline text, in any
/// of the accepted formats (JSON, DOT, binary notation), as a state machine.
///
/// DOT inputs stay machines: turning a machine with shared states into a
/// local type can copy states, so comparisons work on machines throughout.
pub fn read_behaviour(arg: &str) -> Result<Fsm> {
    let path = Path::new(arg);
    let (text, origin) = if path.is_file() {
        (read_file(path)?, format!("`{arg}`"))
    } else {
        (arg.to_string(), "inline type".to_string())
    };
    parse_behaviour(&text).with_context(|| format!("cannot read {origin}"))
}

/// Parses a local behaviour in whichever format the text is in.
pub fn parse_behaviour(text: &str) -> Result<Fsm> {
    let local: LocalType = match sniff_local_format(text) {
        LocalFormat::Dot => return Ok(parse_dot(text)?),
        LocalFormat::Json => json::local_from_json(text)?,
        LocalFormat::Notation => parse_local_notation(text)?,
    };
    Ok(Fsm::from_local(&Role::new("self"), &local)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_sniffed() {
        assert_eq!(
            sniff_local_format("  {\"kind\":\"end\"}"),
            LocalFormat::Json
        );
        assert_eq!(sniff_local_format("digraph k { }"), LocalFormat::Dot);
        assert_eq!(sniff_local_format("!a;end"), LocalFormat::Notation);
        assert_eq!(sniff_local_format("&{?a;end}"), LocalFormat::Notation);
    }
}
