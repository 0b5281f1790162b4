//! `tell keygen --out FILE [--role R --address HOST:PORT]`: a role's
//! ed25519 key: the private half into a new file only its owner can read,
//! the public half printed as the roster line that pins it.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use telltale_transport::{generate_key, public_key_hex, write_key_file};

/// Arguments of `tell keygen`.
#[derive(Args)]
pub struct KeygenArgs {
    /// The private key file to create (mode 0600; never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print a whole roster entry for this role.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// The role's address in that entry.
    #[arg(long, value_name = "HOST:PORT", requires = "role")]
    pub address: Option<String>,
}

/// Runs the command.
pub fn run(args: &KeygenArgs) -> Result<ExitCode> {
    let key = generate_key()?;
    write_key_file(&args.out, &key)?;
    let public = public_key_hex(&key.verifying_key());
    eprintln!(
        "wrote the private key to {} (keep it secret; `tell serve --key {}`)",
        args.out.display(),
        args.out.display()
    );
    match &args.role {
        Some(role) => {
            println!("[roles.{role}]");
            if let Some(address) = &args.address {
                println!("address = \"{address}\"");
            }
            println!("public_key = \"{public}\"");
        }
        None => println!("public_key = \"{public}\""),
    }
    Ok(ExitCode::SUCCESS)
}
