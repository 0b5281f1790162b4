//! Loading protocol files (`.tell`, `.nuscr`, `.scr`) and reporting their
//! diagnostics.

use crate::input::read_file;
use anyhow::Result;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use telltale_lang::{
    load, lower_all, parse_param, render_all, require_protocol, resolve_imports, Diagnostic,
    FileModuleLoader, LowerOptions, LoweredProtocol, Module, SourceFile,
};

/// Diagnostics were already printed; the command fails with exit code 1.
#[derive(Debug)]
pub struct Reported {
    /// How many errors were printed.
    pub count: usize,
    /// The file they are about.
    pub file: String,
}

impl fmt::Display for Reported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.count == 1 { "" } else { "s" };
        write!(f, "`{}` has {} error{plural}", self.file, self.count)
    }
}

impl std::error::Error for Reported {}

/// A parsed protocol file.
pub struct ProtocolFile {
    /// The file's name and text, for rendering diagnostics.
    pub source: SourceFile,
    /// What the parser built.
    pub module: Module,
}

impl ProtocolFile {
    /// Reads and parses a file that must declare a protocol; syntax errors
    /// (or E037 for a file with no protocol) are printed and reported.
    pub fn load(path: &Path) -> Result<ProtocolFile> {
        let file = ProtocolFile::parse(path)?;
        if let Some(missing) = require_protocol(&file.source, &file.module) {
            file.fail_with(vec![missing])?;
        }
        Ok(file)
    }

    /// Reads and parses a file, which may declare no protocol (for the
    /// formatter); syntax errors are printed and reported.
    pub fn parse(path: &Path) -> Result<ProtocolFile> {
        let text = read_file(path)?;
        let source = SourceFile::new(path.display().to_string(), text);
        let (mut module, diagnostics) = load(&source);
        if diagnostics.is_empty() {
            // Scribble imports are read from files beside this one; each
            // problem is shown against the file it is in.
            let problems = resolve_imports(&source, &mut module, &FileModuleLoader);
            let count: usize = problems.iter().map(|p| p.diagnostics.len()).sum();
            for problem in &problems {
                eprint!("{}", render_all(&problem.diagnostics, &problem.file));
            }
            if count > 0 {
                return Err(Reported {
                    count,
                    file: source.name,
                }
                .into());
            }
        }
        let file = ProtocolFile { source, module };
        file.fail_with(diagnostics)?;
        Ok(file)
    }

    /// Prints `diagnostics` (if any, the first [`telltale_lang::render::MAX_RENDERED`]
    /// of them) and turns them into a [`Reported`] error.
    pub fn fail_with(&self, diagnostics: Vec<Diagnostic>) -> Result<()> {
        if diagnostics.is_empty() {
            return Ok(());
        }
        eprint!("{}", render_all(&diagnostics, &self.source));
        Err(Reported {
            count: diagnostics.len(),
            file: self.source.name.clone(),
        }
        .into())
    }

    /// Lowers every top-level protocol with the given family sizes.
    pub fn lower_all(&self, params: &BTreeMap<String, u64>) -> Result<Vec<LoweredProtocol>> {
        let options = LowerOptions {
            params: params.clone(),
        };
        match lower_all(&self.module, &options) {
            Ok(protocols) => Ok(protocols),
            Err(diagnostics) => {
                self.fail_with(diagnostics)?;
                Ok(Vec::new())
            }
        }
    }

    /// Lowers one protocol: the named one, or the only one in the file.
    pub fn lower_one(
        &self,
        name: Option<&str>,
        params: &BTreeMap<String, u64>,
    ) -> Result<LoweredProtocol> {
        let mut protocols = self.lower_all(params)?;
        let names: Vec<String> = protocols.iter().map(|p| p.name.clone()).collect();
        match name {
            Some(name) => match protocols.iter().position(|p| p.name == name) {
                Some(i) => Ok(protocols.swap_remove(i)),
                None => anyhow::bail!(
                    "no protocol `{name}` in `{}` (protocols: {})",
                    self.source.name,
                    names.join(", ")
                ),
            },
            None if protocols.len() == 1 => Ok(protocols.swap_remove(0)),
            None if protocols.is_empty() => {
                anyhow::bail!("`{}` defines no protocol", self.source.name)
            }
            None => anyhow::bail!(
                "`{}` defines several protocols ({}); choose one with --protocol",
                self.source.name,
                names.join(", ")
            ),
        }
    }
}

/// The sizes of role families given on the command line (`--param N=4`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct FamilySizes {
    /// A role-family size, e.g. `--param N=4` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, u64)>,
}

impl FamilySizes {
    /// The sizes by parameter name, as lowering takes them.
    pub fn map(&self) -> BTreeMap<String, u64> {
        self.params.iter().cloned().collect()
    }
}

/// Which protocol of a file a command works on, and its family sizes.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ProtocolChoice {
    /// Which protocol of the file (default: the only one).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Role-family sizes.
    #[command(flatten)]
    pub sizes: FamilySizes,
}

impl ProtocolChoice {
    /// Loads `path` and lowers the chosen protocol.
    pub fn lower(&self, path: &Path) -> Result<LoweredProtocol> {
        ProtocolFile::load(path)?.lower_one(self.protocol.as_deref(), &self.sizes.map())
    }
}
