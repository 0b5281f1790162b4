//! Every way a simulation can fail to run (as opposed to a property
//! failing, which the report records).

use crate::protocol::ProtocolError;
use crate::scenario_error::ScenarioError;
use std::path::PathBuf;
use thiserror::Error;

/// Why a scenario could not be run.
#[derive(Debug, Error)]
pub enum SimError {
    /// The scenario file cannot be read.
    #[error("cannot read the scenario `{path}`: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The scenario is malformed.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The protocol cannot be loaded.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The harness's local types do not compile.
    #[error("the protocol does not compile: {0}")]
    Image(#[from] telltale_compiler::ImageError),
    /// The handler's effect script is malformed or names unknown effects.
    #[error("[handler] script: {0}")]
    Script(#[from] telltale_vm::EffectScriptError),
    /// The machine refused the protocol or configuration.
    #[error("cannot start the protocol machine: {0}")]
    Machine(#[from] telltale_vm::ProtocolMachineError),
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// A checkpoint cannot be written, read, or resumed from.
    #[error("checkpoint `{path}`: {source}")]
    Checkpoint {
        /// The checkpoint file (or the folder checkpoints go to).
        path: PathBuf,
        /// Why.
        source: crate::checkpoint::CheckpointError,
    },
    /// An output file cannot be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
