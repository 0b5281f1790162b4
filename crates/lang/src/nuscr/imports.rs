//! Scribble imports: `import a.b.C;` brings in the protocols and payload
//! declarations of another module, read through a [`ModuleLoader`] the
//! caller provides (this crate reads no files).
//!
//! An imported module is parsed, its own imports are resolved, and each of
//! its protocols is checked by lowering it on its own, so its problems are
//! reported against its own file. Its protocols are then merged into the
//! importing module under their qualified names (`a.b.C.P`), as auxiliary
//! protocols: callable with `do a.b.C.P(...)` (or `do M.P(...)` after
//! `import a.b.C as M;`) but not entry points. Its payload `type`/`sig`
//! declarations are merged under their own names.

use super::parse_nuscr;
use super::qualify::CallNames;
use crate::ast::{Dialect, Import, Item, Module};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::lower::{lower_named, LowerOptions};
use crate::source::SourceFile;
use std::collections::{BTreeMap, BTreeSet};
use telltale_types::stack::with_headroom;

/// Where the sources of imported modules come from: the CLI reads them from
/// files beside the importing file, tests from memory.
pub trait ModuleLoader {
    /// The source of the module named `module` (dotted, as written after
    /// `import`), imported by the file named `importer`.
    fn load_module(&self, module: &str, importer: &str) -> Result<SourceFile, ModuleLoadError>;
}

/// Why a module could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModuleLoadError {
    /// No source holds the module.
    #[error("module `{module}` not found")]
    NotFound {
        /// The module asked for.
        module: String,
        /// Where it was looked for, in order.
        tried: Vec<String>,
    },
    /// A source for the module exists but cannot be read as text.
    #[error("module `{module}` cannot be read from `{path}`: {reason}")]
    Unreadable {
        /// The module asked for.
        module: String,
        /// Where it is.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// Diagnostics about one file (an import can fail in a file other than the
/// one being checked), to be rendered against that file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiagnostics {
    /// The file the spans point into.
    pub file: SourceFile,
    /// Its problems.
    pub diagnostics: Vec<Diagnostic>,
}

/// Resolves the imports of a Scribble module parsed from `file`, merging
/// the imported protocols and payload declarations into `module`, and
/// rewrites every `do` target to the protocol it names (`do m.P` in module
/// `m` is `P`); returns the problems found, per file (empty when all is
/// well). `.tell` modules are left as they are: their imports are recorded
/// only.
pub fn resolve_imports(
    file: &SourceFile,
    module: &mut Module,
    loader: &dyn ModuleLoader,
) -> Vec<FileDiagnostics> {
    if module.dialect != Dialect::Nuscr {
        return Vec::new();
    }
    let root = match &module.header {
        Some(h) => dotted(h.path.iter().map(|n| n.text.as_str())),
        None => file.name.clone(),
    };
    let mut resolver = Resolver {
        loader,
        done: BTreeMap::new(),
        problems: Vec::new(),
    };
    resolver.resolve(file, module, None, &mut vec![root]);
    resolver.problems
}

/// The state of one resolution.
struct Resolver<'l> {
    loader: &'l dyn ModuleLoader,
    /// Modules already loaded: their mergeable items, or `None` if they failed.
    done: BTreeMap<String, Option<Vec<Item>>>,
    problems: Vec<FileDiagnostics>,
}

impl Resolver<'_> {
    /// Loads the imports of `module` and merges them into it; its own
    /// protocols are renamed `qualifier.P` when it is itself imported.
    fn resolve(
        &mut self,
        file: &SourceFile,
        module: &mut Module,
        qualifier: Option<&str>,
        chain: &mut Vec<String>,
    ) {
        with_headroom(|| {
            let mut imported: Vec<Item> = Vec::new();
            for import in module.imports.clone() {
                let name = dotted(import.path.iter().map(|n| n.text.as_str()));
                if let Some(pos) = chain.iter().position(|c| *c == name) {
                    let cycle: Vec<&str> = chain[pos..]
                        .iter()
                        .map(String::as_str)
                        .chain(std::iter::once(name.as_str()))
                        .collect();
                    self.problem(file, cycle_diagnostic(&import, &cycle));
                    continue;
                }
                if !self.done.contains_key(&name) {
                    let items = self.load(file, &import, &name, chain);
                    self.done.insert(name.clone(), items);
                }
                if let Some(Some(items)) = self.done.get(&name) {
                    imported.extend(items.iter().cloned());
                }
            }
            let names = CallNames::new(module, qualifier);
            for item in &mut module.items {
                if let Item::Protocol(p) = item {
                    names.rewrite(&mut p.body);
                    if let Some(merged) = names.own(&p.name.text) {
                        p.name.text = merged.to_string();
                    }
                }
            }
            merge(module, imported);
        })
    }

    /// Loads, parses, resolves and checks one imported module; its
    /// mergeable items, or `None` after reporting why it cannot be used.
    fn load(
        &mut self,
        importer: &SourceFile,
        import: &Import,
        name: &str,
        chain: &mut Vec<String>,
    ) -> Option<Vec<Item>> {
        let source = match self.loader.load_module(name, &importer.name) {
            Ok(source) => source,
            Err(e) => {
                self.problem(importer, missing_diagnostic(import, &e));
                return None;
            }
        };
        let (mut module, diagnostics) = parse_nuscr(&source);
        if !diagnostics.is_empty() {
            self.problems.push(FileDiagnostics {
                file: source,
                diagnostics,
            });
            return None;
        }
        let own: Vec<String> = module
            .top_level_protocols()
            .map(|p| format!("{name}.{}", p.name.text))
            .collect();
        chain.push(name.to_string());
        self.resolve(&source, &mut module, Some(name), chain);
        chain.pop();
        let mut diagnostics = Vec::new();
        for protocol in &own {
            if let Err(mut d) = lower_named(&module, protocol, &LowerOptions::default()) {
                diagnostics.append(&mut d);
            }
        }
        if !diagnostics.is_empty() {
            self.problems.push(FileDiagnostics {
                file: source,
                diagnostics,
            });
            return None;
        }
        let items = module
            .items
            .into_iter()
            .filter_map(|item| match item {
                Item::Protocol(mut p) => {
                    p.aux = true;
                    Some(Item::Protocol(p))
                }
                Item::PayloadType(t) => Some(Item::PayloadType(t)),
                _ => None,
            })
            .collect();
        Some(items)
    }

    /// Records a problem found in `file`.
    fn problem(&mut self, file: &SourceFile, diagnostic: Diagnostic) {
        match self.problems.iter_mut().find(|p| p.file.name == file.name) {
            Some(p) => p.diagnostics.push(diagnostic),
            None => self.problems.push(FileDiagnostics {
                file: file.clone(),
                diagnostics: vec![diagnostic],
            }),
        }
    }
}

/// Adds imported protocols and payload declarations to `module`, once each
/// (a module imported along two paths is merged once; the module's own
/// declarations win over imported ones of the same name).
fn merge(module: &mut Module, imported: Vec<Item>) {
    let mut protocols: BTreeSet<String> = module
        .top_level_protocols()
        .map(|p| p.name.text.clone())
        .collect();
    let mut payloads: BTreeSet<String> = module
        .payload_types()
        .map(|t| t.name.text.clone())
        .collect();
    for item in imported {
        let fresh = match &item {
            Item::Protocol(p) => protocols.insert(p.name.text.clone()),
            Item::PayloadType(t) => payloads.insert(t.name.text.clone()),
            _ => false,
        };
        if fresh {
            module.items.push(item);
        }
    }
}

/// A dotted name from its segments.
fn dotted<'a>(segments: impl Iterator<Item = &'a str>) -> String {
    segments.collect::<Vec<_>>().join(".")
}

/// E041 for an import whose module cannot be loaded.
fn missing_diagnostic(import: &Import, error: &ModuleLoadError) -> Diagnostic {
    let d = Diagnostic::new(
        DiagnosticKind::MissingModule,
        error.to_string(),
        import.span,
        "imported here",
    );
    match error {
        ModuleLoadError::NotFound { tried, .. } if !tried.is_empty() => d.with_help(format!(
            "looked for {}; create one of these files or fix the module name",
            tried.join(", ")
        )),
        ModuleLoadError::NotFound { .. } => d.with_help("no module loader knows this module"),
        ModuleLoadError::Unreadable { .. } => {
            d.with_help("check the file's permissions and encoding")
        }
    }
}

/// E042 for an import that closes a cycle.
fn cycle_diagnostic(import: &Import, cycle: &[&str]) -> Diagnostic {
    Diagnostic::new(
        DiagnosticKind::ImportCycle,
        format!("import cycle: {}", cycle.join(" -> ")),
        import.span,
        "this import closes the cycle",
    )
    .with_help(
        "modules cannot import each other in a cycle; move what they share into a third module",
    )
}
