//! Writing a scaffold: all or nothing.
//!
//! Files are first written into a temporary folder beside the output
//! folder, then moved into place; a failure before the moves leaves the
//! output folder untouched. Generated files that already exist are an
//! error unless forced; the user's own files (written once) are kept.

use crate::error::ScaffoldError;
use crate::{Owner, Scaffold};
use std::fs;
use std::path::{Path, PathBuf};

/// What [`Scaffold::write`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files written, relative to the output folder.
    pub written: Vec<PathBuf>,
    /// The user's files that existed and were kept.
    pub kept: Vec<PathBuf>,
}

impl Scaffold {
    /// Writes the scaffold into `out` (created if missing). Existing
    /// generated files are an error unless `force`; existing files of the
    /// user's are kept. On error nothing in `out` has changed.
    pub fn write(&self, out: &Path, force: bool) -> Result<WriteReport, ScaffoldError> {
        let mut report = WriteReport::default();
        let mut clashes = Vec::new();
        for file in &self.files {
            if out.join(&file.path).exists() {
                match file.owner {
                    Owner::User => report.kept.push(file.path.clone()),
                    Owner::Generated if !force => clashes.push(file.path.clone()),
                    Owner::Generated => {}
                }
            }
        }
        if !clashes.is_empty() {
            return Err(ScaffoldError::Exists {
                out: out.to_path_buf(),
                files: clashes,
            });
        }
        let staging = staging_dir(out)?;
        let result = self.stage_and_move(out, &staging, &report.kept, &mut report.written);
        let _ = fs::remove_dir_all(&staging);
        result.map(|()| report)
    }

    fn stage_and_move(
        &self,
        out: &Path,
        staging: &Path,
        kept: &[PathBuf],
        written: &mut Vec<PathBuf>,
    ) -> Result<(), ScaffoldError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ScaffoldError::Write { path, source }
        };
        let to_write: Vec<_> = self
            .files
            .iter()
            .filter(|f| !kept.contains(&f.path))
            .collect();
        for file in &to_write {
            let path = staging.join(&file.path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(io(parent))?;
            }
            fs::write(&path, &file.contents).map_err(io(&path))?;
        }
        for file in &to_write {
            let target = out.join(&file.path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(io(parent))?;
            }
            fs::rename(staging.join(&file.path), &target).map_err(io(&target))?;
            written.push(file.path.clone());
        }
        Ok(())
    }
}

/// A fresh folder beside `out` (same file system, so moves are renames).
fn staging_dir(out: &Path) -> Result<PathBuf, ScaffoldError> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|source| ScaffoldError::Write {
        path: parent.clone(),
        source,
    })?;
    let name = out
        .file_name()
        .map_or_else(|| "scaffold".into(), |n| n.to_string_lossy().into_owned());
    for attempt in 0..100 {
        let dir = parent.join(format!(".{name}.scaffold-{}-{attempt}", std::process::id()));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(ScaffoldError::Write { path: dir, source }),
        }
    }
    Err(ScaffoldError::Write {
        path: parent,
        source: std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "no free name for a staging folder (remove old `.*.scaffold-*` folders)",
        ),
    })
}
