//! The generator's command line, shared by `effect-scaffold` and
//! `tell scaffold`.

use crate::{generate_file, workspace_root, Options};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use telltale_lang::parse_param;

/// Where `effect-scaffold` writes when no `--out` is given.
pub const DEFAULT_OUT: &str = "work/effect_handler_scaffold";

/// Arguments of `effect-scaffold` / `tell scaffold`.
#[derive(clap::Parser, Clone, Debug)]
#[command(
    name = "effect-scaffold",
    about = "Generate a host crate (traits, adapter, scripted host, smoke tests) from a .tell file's effects"
)]
pub struct ScaffoldArgs {
    /// The `.tell` file whose `effect` declarations to scaffold.
    pub file: PathBuf,
    /// Where to write the host crate.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_OUT)]
    pub out: PathBuf,
    /// Do not write the scripted host (`src/generated_simulator.rs`).
    #[arg(long)]
    pub no_simulator: bool,
    /// Replace generated files that exist (your own files are always kept).
    #[arg(long)]
    pub force: bool,
    /// A role-family size for compiling the protocols, e.g. `--param N=4`
    /// (repeatable; unnamed sizes are 3).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, u64)>,
    /// The Telltale checkout the crate depends on (default: the one this
    /// tool was built from).
    #[arg(long, value_name = "DIR")]
    pub telltale: Option<PathBuf>,
}

/// Runs the command: exit 0 when written, 1 on any error (nothing written).
pub fn run_command(args: &ScaffoldArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &ScaffoldArgs) -> Result<(), crate::ScaffoldError> {
    let telltale = args.telltale.clone().unwrap_or_else(workspace_root);
    let options = Options {
        simulator: !args.no_simulator,
        params: args.params.iter().cloned().collect(),
        telltale_path: relative(&absolute(&args.out), &absolute(&telltale))
            .display()
            .to_string(),
    };
    let scaffold = generate_file(&args.file, &options)?;
    let report = scaffold.write(&args.out, args.force)?;
    println!(
        "wrote {} files to {}:",
        report.written.len(),
        args.out.display()
    );
    for path in &report.written {
        println!("  {}", path.display());
    }
    if !report.kept.is_empty() {
        println!("kept your own files:");
        for path in &report.kept {
            println!("  {}", path.display());
        }
    }
    println!(
        "next: `cd {} && cargo test`, then implement the host traits (see its README.md)",
        args.out.display()
    );
    Ok(())
}

/// `path` made absolute against the current folder, `.` and `..` resolved
/// by name (the folder may not exist yet).
fn absolute(path: &Path) -> PathBuf {
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The path from folder `from` to `to` (both absolute and normalised).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.iter().collect();
    }
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_relate_folders() {
        assert_eq!(
            relative(Path::new("/a/b/out"), Path::new("/a/tt")),
            Path::new("../../tt")
        );
        assert_eq!(
            relative(Path::new("/a/tt/work/x"), Path::new("/a/tt")),
            Path::new("../..")
        );
        assert_eq!(relative(Path::new("/a"), Path::new("/a")), Path::new("."));
        assert_eq!(absolute(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
    }

    #[test]
    fn params_parse_or_say_why_not() {
        assert_eq!(parse_param("N=4"), Ok(("N".into(), 4)));
        assert!(parse_param("N").unwrap_err().contains("NAME=VALUE"));
        assert!(parse_param("N=-1")
            .unwrap_err()
            .contains("not a non-negative"));
    }
}
