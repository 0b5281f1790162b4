//! Scribble imports in `choreography!`: modules are read from files, as
//! `tell` reads them (`telltale_lang::FileModuleLoader`), beside the
//! protocol file, or in the crate's folder for an inline protocol.

use crate::error::MacroError;
use crate::input::LoadedSource;
use std::cell::RefCell;
use std::path::PathBuf;
use telltale_lang::{
    render_all, resolve_imports, FileModuleLoader, Module, ModuleLoadError, ModuleLoader,
    SourceFile,
};

/// Resolves the imports of `module`; returns the files read, so the
/// expansion can depend on them, or the problems found as one error.
pub(crate) fn resolve(
    source: &LoadedSource,
    module: &mut Module,
) -> Result<Vec<String>, Vec<MacroError>> {
    let importer = match &source.file {
        Some(path) => path.clone(),
        None => {
            let base = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
            PathBuf::from(base).join("<inline protocol>")
        }
    };
    let importing = SourceFile::new(importer.display().to_string(), source.text.clone());
    let loader = RecordingLoader::default();
    let problems = resolve_imports(&importing, module, &loader);
    if problems.is_empty() {
        return Ok(loader.read.into_inner());
    }
    let message: String = problems
        .iter()
        .map(|p| render_all(&p.diagnostics, &p.file))
        .collect();
    Err(vec![MacroError::Input {
        span: source.literal.span(),
        message,
    }])
}

/// The file loader, remembering the files it read.
#[derive(Default)]
struct RecordingLoader {
    read: RefCell<Vec<String>>,
}

impl ModuleLoader for RecordingLoader {
    fn load_module(&self, module: &str, importer: &str) -> Result<SourceFile, ModuleLoadError> {
        let file = FileModuleLoader.load_module(module, importer)?;
        self.read.borrow_mut().push(file.name.clone());
        Ok(file)
    }
}
