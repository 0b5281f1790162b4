//! Loading helpers for hosts and the CLI: from local types to a machine
//! with one session of every role.

use crate::config::Config;
use crate::fault::ProtocolMachineError;
use crate::machine::ProtocolMachine;
use telltale_compiler::{CodeImage, RoleLocalType};
use telltale_types::GlobalType;

/// Compiles every role's local type into one image, loads it, and opens one
/// session with every role (all edges bound to the default handler).
/// `locals` is what `telltale_theory::project_all` returns, or any other
/// list of roles and local types ([`RoleLocalType`]).
pub fn load_all_roles<I>(
    global: Option<&GlobalType>,
    locals: I,
    config: Config,
) -> Result<ProtocolMachine, ProtocolMachineError>
where
    I: IntoIterator,
    I::Item: RoleLocalType,
{
    let image = CodeImage::build(global, locals)?;
    load_image_all_roles(image, config)
}

/// Loads a validated image and opens one session with every role.
pub fn load_image_all_roles(
    image: CodeImage,
    config: Config,
) -> Result<ProtocolMachine, ProtocolMachineError> {
    let mut machine = ProtocolMachine::new(image, config)?;
    machine.open_all_roles()?;
    Ok(machine)
}
