//! The effect scaffold: from the `effect` declarations of a `.tell` file,
//! a host crate — typed host traits and the adapter that runs them on the
//! protocol machine, a scripted host for tests and simulation, smoke tests
//! that run every protocol once per outcome path and check record/replay,
//! a manifest of the effect family, and a README.
//!
//! Output is deterministic: the same file and options give byte-identical
//! files. Files the user owns after generation (`Cargo.toml`,
//! `src/lib.rs`, `src/host_types.rs`) are written only when missing.
//!
//! ```no_run
//! use std::path::Path;
//! use telltale_effect_scaffold::{generate_file, Options};
//!
//! let scaffold = generate_file(Path::new("examples/ledger_effects.tell"), &Options::default())?;
//! let report = scaffold.write(Path::new("work/effect_handler_scaffold"), false)?;
//! println!("wrote {} files", report.written.len());
//! # Ok::<(), telltale_effect_scaffold::ScaffoldError>(())
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod command;
mod emit;
mod error;
mod model;
mod rust_check;
mod rust_type;
mod write;

pub use command::{run_command, ScaffoldArgs, DEFAULT_OUT};
pub use error::ScaffoldError;
pub use model::DEFAULT_FAMILY_SIZE;
pub use write::WriteReport;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use telltale_compiler::CodeImage;
use telltale_lang::{load, lower_all, render_all, LowerOptions, SourceFile};
use telltale_theory::projection::project_all;

/// How to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Whether to write `generated_simulator.rs` (the scripted host).
    pub simulator: bool,
    /// Role-family sizes for compiling the protocols (others default to
    /// [`DEFAULT_FAMILY_SIZE`]).
    pub params: BTreeMap<String, u64>,
    /// The Telltale workspace as `Cargo.toml` should name it, relative to
    /// the output folder (or absolute).
    pub telltale_path: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            simulator: true,
            params: BTreeMap::new(),
            telltale_path: workspace_root().display().to_string(),
        }
    }
}

/// The Telltale workspace this generator was built from.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Who owns a file once it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Generated: replaced when generating again with `force`.
    Generated,
    /// The user's: written only when missing.
    User,
}

/// One file of a scaffold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Its path, relative to the output folder.
    pub path: PathBuf,
    /// Its text.
    pub contents: String,
    /// Who owns it.
    pub owner: Owner,
}

/// A generated scaffold, in memory until [`Scaffold::write`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scaffold {
    /// The files, in a fixed order.
    pub files: Vec<GeneratedFile>,
}

impl Scaffold {
    /// The file at `path` (relative), if the scaffold has one.
    pub fn file(&self, path: &str) -> Option<&GeneratedFile> {
        self.files.iter().find(|f| f.path == Path::new(path))
    }
}

/// Reads a `.tell` file and generates its scaffold.
pub fn generate_file(path: &Path, options: &Options) -> Result<Scaffold, ScaffoldError> {
    let bytes = std::fs::read(path).map_err(|source| ScaffoldError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ScaffoldError::NotText {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    generate(&SourceFile::new(path.display().to_string(), text), options)
}

/// Generates the scaffold of a `.tell` source.
pub fn generate(source: &SourceFile, options: &Options) -> Result<Scaffold, ScaffoldError> {
    let invalid = |diagnostics: Vec<telltale_lang::Diagnostic>| ScaffoldError::Invalid {
        file: source.name.clone(),
        count: diagnostics.len(),
        rendered: render_all(&diagnostics, source),
    };
    let (module, diagnostics) = load(source);
    if !diagnostics.is_empty() {
        return Err(invalid(diagnostics));
    }
    let model = model::build(source, &module)?;
    let sizes = model::family_sizes(&module, &options.params);
    let lowered = lower_all(
        &module,
        &LowerOptions {
            params: sizes.clone(),
        },
    )
    .map_err(invalid)?;
    let mut images = Vec::new();
    for p in &lowered {
        let compile = |reason: String| ScaffoldError::Compile {
            protocol: p.name.clone(),
            reason,
        };
        let locals: Vec<_> = project_all(&p.global)
            .map_err(|e| compile(e.to_string()))?
            .into_iter()
            .collect();
        let image = CodeImage::build_with_effects(Some(&p.global), &locals, &p.effects)
            .map_err(|e| compile(e.to_string()))?;
        let mut json = image.to_json().map_err(|e| compile(e.to_string()))?;
        json.push('\n');
        images.push((p.name.clone(), json));
    }
    let sizes_text = if sizes.is_empty() {
        "as declared".to_string()
    } else {
        sizes
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let manifest =
        emit::manifest::emit(&model, &lowered, &sizes).map_err(|e| ScaffoldError::Compile {
            protocol: "(manifest)".into(),
            reason: e.to_string(),
        })?;
    let generated = |path: &str, contents: String| GeneratedFile {
        path: PathBuf::from(path),
        contents,
        owner: Owner::Generated,
    };
    let users = |path: &str, contents: String| GeneratedFile {
        path: PathBuf::from(path),
        contents,
        owner: Owner::User,
    };
    let mut files = vec![
        users(
            "Cargo.toml",
            emit::crate_files::cargo_toml(&model, &options.telltale_path),
        ),
        generated(
            "README.md",
            emit::crate_files::readme(&model, options.simulator, &sizes_text),
        ),
        generated("effects_manifest.json", manifest),
        users(
            "src/lib.rs",
            emit::crate_files::lib_rs(&model, options.simulator),
        ),
        users("src/host_types.rs", emit::crate_files::host_types(&model)),
        generated(
            "src/generated_effects.rs",
            emit::effects::emit(&model, &images),
        ),
    ];
    if options.simulator {
        files.push(generated(
            "src/generated_simulator.rs",
            emit::simulator::emit(&model),
        ));
    }
    files.push(generated(
        "tests/vm_smoke.rs",
        emit::smoke::emit(&model, options.simulator),
    ));
    for file in &mut files {
        if file.path.extension().is_some_and(|e| e == "rs") {
            rust_check::check_rust(&file.path.display().to_string(), &file.contents)?;
        }
    }
    for (name, json) in images {
        files.push(generated(&format!("images/{name}.json"), json));
    }
    Ok(Scaffold { files })
}
