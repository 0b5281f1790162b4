//! Scribble imports read from the file system: `import a.b.C;` in a file
//! `dir/Main.scr` is looked for at `dir/a/b/C.scr`, `dir/a/b/C.nuscr`, then
//! beside the importing file as `dir/C.scr`, `dir/C.nuscr`.

use super::imports::{ModuleLoadError, ModuleLoader};
use crate::source::SourceFile;
use std::path::{Path, PathBuf};

/// The file extensions a Scribble module may have, in the order tried.
const EXTENSIONS: &[&str] = &["scr", "nuscr"];

/// Loads imported Scribble modules from files beside the importing file.
pub struct FileModuleLoader;

impl FileModuleLoader {
    /// The files that may hold `module`, imported by the file `importer`, in
    /// the order they are tried.
    fn candidates(module: &str, importer: &str) -> Vec<PathBuf> {
        let dir = Path::new(importer).parent().unwrap_or(Path::new(""));
        let segments: Vec<&str> = module.split('.').collect();
        let mut nested = dir.to_path_buf();
        for segment in &segments {
            nested.push(segment);
        }
        let last = segments.last().copied().unwrap_or(module);
        let beside = dir.join(last);
        let mut out = Vec::new();
        for base in [nested, beside] {
            for ext in EXTENSIONS {
                let path = base.with_extension(ext);
                if !out.contains(&path) {
                    out.push(path);
                }
            }
        }
        out
    }
}

impl ModuleLoader for FileModuleLoader {
    fn load_module(&self, module: &str, importer: &str) -> Result<SourceFile, ModuleLoadError> {
        let candidates = Self::candidates(module, importer);
        for path in &candidates {
            if !path.is_file() {
                continue;
            }
            return match std::fs::read_to_string(path) {
                Ok(text) => Ok(SourceFile::new(path.display().to_string(), text)),
                Err(e) => Err(ModuleLoadError::Unreadable {
                    module: module.to_string(),
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }),
            };
        }
        Err(ModuleLoadError::NotFound {
            module: module.to_string(),
            tried: candidates
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_is_looked_for_under_its_path_then_beside_the_importer() {
        let tried: Vec<String> = FileModuleLoader::candidates("a.b.C", "dir/Main.scr")
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            tried,
            [
                "dir/a/b/C.scr",
                "dir/a/b/C.nuscr",
                "dir/C.scr",
                "dir/C.nuscr"
            ]
        );
    }
}
