//! The scenario's protocol: a `.tell`, `.nuscr`/`.scr` file (lowered with
//! the scenario's `params`) or a Lean-schema JSON global type, projected
//! and compiled to a code image.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use telltale_compiler::CodeImage;
use telltale_lang::{
    load, lower_all, render_all, require_protocol, resolve_imports, LowerOptions, ModuleLoadError,
    ModuleLoader, SourceFile,
};
use telltale_types::{effects::EffectTable, GlobalType};
use thiserror::Error;

/// Why the protocol could not be loaded.
#[derive(Debug, Error)]
pub enum ProtocolError {
    /// The file cannot be read.
    #[error("cannot read the protocol `{path}`: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The language front-end refused the file (its rendered diagnostics).
    #[error("the protocol `{path}` has errors:\n{rendered}")]
    Diagnostics {
        /// The path.
        path: PathBuf,
        /// The diagnostics as the CLI prints them.
        rendered: String,
    },
    /// The file declares no protocol or several.
    #[error("the protocol file `{path}` must declare exactly one protocol (found: {})", found.join(", "))]
    NotOne {
        /// The path.
        path: PathBuf,
        /// The protocols it declares.
        found: Vec<String>,
    },
    /// The JSON global type cannot be read.
    #[error("the protocol `{path}` is not a Lean-schema global type: {reason}")]
    Json {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Projection failed.
    #[error("the protocol `{path}` does not project: {reason}")]
    Projection {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Compilation failed.
    #[error("the protocol `{path}` does not compile: {reason}")]
    Compile {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Scenarios load Scribble files on their own: imports are refused with a
/// clear error (`tell` resolves them; a scenario names one file).
struct NoImports;

impl ModuleLoader for NoImports {
    fn load_module(&self, module: &str, _importer: &str) -> Result<SourceFile, ModuleLoadError> {
        Err(ModuleLoadError::NotFound {
            module: module.to_string(),
            tried: vec!["(scenario protocols cannot import modules)".to_string()],
        })
    }
}

/// Reads, lowers, projects and compiles the protocol at `path`.
pub fn load_protocol(
    path: &Path,
    params: &BTreeMap<String, u64>,
) -> Result<CodeImage, ProtocolError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProtocolError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let (global, effects) = if is_json {
        let global =
            telltale_types::json::global_from_json(&text).map_err(|e| ProtocolError::Json {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        (global, EffectTable::default())
    } else {
        lower_file(path, text, params)?
    };
    let locals: Vec<_> = telltale_theory::project_all(&global)
        .map_err(|e| ProtocolError::Projection {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .into_iter()
        .collect();
    CodeImage::build_with_effects(Some(&global), &locals, &effects).map_err(|e| {
        ProtocolError::Compile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })
}

fn lower_file(
    path: &Path,
    text: String,
    params: &BTreeMap<String, u64>,
) -> Result<(GlobalType, EffectTable), ProtocolError> {
    let source = SourceFile::new(path.display().to_string(), text);
    let refused = |rendered: String| ProtocolError::Diagnostics {
        path: path.to_path_buf(),
        rendered,
    };
    let (mut module, mut diagnostics) = load(&source);
    if diagnostics.is_empty() {
        let problems = resolve_imports(&source, &mut module, &NoImports);
        if !problems.is_empty() {
            let rendered: String = problems
                .iter()
                .map(|p| render_all(&p.diagnostics, &p.file))
                .collect();
            return Err(refused(rendered));
        }
        diagnostics.extend(require_protocol(&source, &module));
    }
    if !diagnostics.is_empty() {
        return Err(refused(render_all(&diagnostics, &source)));
    }
    let options = LowerOptions {
        params: params.clone(),
    };
    let mut protocols =
        lower_all(&module, &options).map_err(|d| refused(render_all(&d, &source)))?;
    if protocols.len() != 1 {
        return Err(ProtocolError::NotOne {
            path: path.to_path_buf(),
            found: protocols.iter().map(|p| p.name.clone()).collect(),
        });
    }
    let p = protocols.swap_remove(0);
    Ok((p.global.clone(), p.effects.clone()))
}
