//! Checking a bundle against its own `SHA256SUMS` and `manifest.json`: every listed file is
//! re-hashed, every file on disk must be listed, and the manifest's file list must agree with
//! the checksums.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use super::manifest::{self, FORMAT, MANIFEST, Manifest, SUMS};

/// What a check of a bundle found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Files listed in `SHA256SUMS`.
    pub listed: usize,
    /// Every difference, sorted by path.
    pub problems: Vec<Problem>,
}

/// One difference between a bundle and its checksums.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    /// The file's bytes are not those hashed.
    Changed(String),
    /// A listed file is gone.
    Missing(String),
    /// A listed file cannot be read (permissions, not a file).
    Unreadable { path: String, error: String },
    /// A file in the bundle is not listed.
    Extra(String),
    /// `manifest.json` disagrees with `SHA256SUMS` or cannot be read.
    Manifest(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Changed(path) => write!(f, "changed: {path}"),
            Problem::Missing(path) => write!(f, "missing: {path}"),
            Problem::Unreadable { path, error } => write!(f, "unreadable: {path}: {error}"),
            Problem::Extra(path) => write!(f, "extra: {path}"),
            Problem::Manifest(message) => write!(f, "manifest: {message}"),
        }
    }
}

/// The bundle or its checksum list cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read {}: {error}", path.display())]
    Read { path: PathBuf, error: String },
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Check the bundle in `dir`.
pub fn verify(dir: &Path) -> Result<Verification, VerifyError> {
    let read_error = |path: &Path, error: &dyn fmt::Display| VerifyError::Read {
        path: path.to_path_buf(),
        error: error.to_string(),
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(read_error(dir, &"not a directory")),
        Err(err) => return Err(read_error(dir, &err)),
    }
    let sums_path = dir.join(SUMS);
    let bytes = std::fs::read(&sums_path).map_err(|err| read_error(&sums_path, &err))?;
    let text = String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        let line = err.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        VerifyError::Malformed {
            path: sums_path.clone(),
            line,
            message: "not UTF-8 text".into(),
        }
    })?;
    let listed = manifest::parse_sums(&text).map_err(|err| VerifyError::Malformed {
        path: sums_path.clone(),
        line: err.line,
        message: err.message,
    })?;

    let mut problems = Vec::new();
    let mut sizes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut manifest_bytes = None;
    for (path, hash) in &listed {
        let full = dir.join(path);
        match std::fs::read(&full) {
            Ok(bytes) => {
                if manifest::sha256_hex(&bytes) != *hash {
                    problems.push(Problem::Changed(path.clone()));
                }
                sizes.insert(path, bytes.len() as u64);
                if path == MANIFEST {
                    manifest_bytes = Some(bytes);
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                problems.push(Problem::Missing(path.clone()));
            }
            Err(err) => problems.push(Problem::Unreadable {
                path: path.clone(),
                error: err.to_string(),
            }),
        }
    }

    let names: BTreeSet<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
    let mut on_disk = Vec::new();
    walk(dir, "", &mut on_disk).map_err(|err| read_error(dir, &err))?;
    for path in on_disk {
        if path != SUMS && !names.contains(path.as_str()) {
            problems.push(Problem::Extra(path));
        }
    }

    if !names.contains(MANIFEST) {
        problems.push(Problem::Manifest(format!(
            "{MANIFEST} is not listed in {SUMS}"
        )));
    }
    if let Some(bytes) = manifest_bytes {
        match serde_json::from_slice::<Manifest>(&bytes) {
            Err(err) => problems.push(Problem::Manifest(format!("cannot read {MANIFEST}: {err}"))),
            Ok(m) => check_manifest(&m, &listed, &sizes, &mut problems),
        }
    }
    problems.sort();
    problems.dedup();
    Ok(Verification {
        listed: listed.len(),
        problems,
    })
}

fn check_manifest(
    m: &Manifest,
    listed: &[(String, String)],
    sizes: &BTreeMap<&str, u64>,
    problems: &mut Vec<Problem>,
) {
    if m.format != FORMAT {
        problems.push(Problem::Manifest(format!(
            "format is {:?}, expected {FORMAT:?}",
            m.format
        )));
    }
    let sums: BTreeMap<&str, &str> = listed
        .iter()
        .filter(|(p, _)| p != MANIFEST && p != SUMS)
        .map(|(p, h)| (p.as_str(), h.as_str()))
        .collect();
    let mut in_manifest = BTreeSet::new();
    for entry in &m.files {
        in_manifest.insert(entry.path.as_str());
        match sums.get(entry.path.as_str()) {
            None => problems.push(Problem::Manifest(format!(
                "{} is in {MANIFEST} but not in {SUMS}",
                entry.path
            ))),
            Some(hash) if *hash != entry.sha256.to_ascii_lowercase() => {
                problems.push(Problem::Manifest(format!(
                    "{} has another hash in {MANIFEST} than in {SUMS}",
                    entry.path
                )))
            }
            Some(_) => {}
        }
        if let Some(&size) = sizes.get(entry.path.as_str())
            && size != entry.size
        {
            problems.push(Problem::Manifest(format!(
                "{} is {size} bytes, {MANIFEST} says {}",
                entry.path, entry.size
            )));
        }
    }
    for path in sums.keys() {
        if !in_manifest.contains(path) {
            problems.push(Problem::Manifest(format!(
                "{path} is in {SUMS} but not in {MANIFEST}"
            )));
        }
    }
}

/// Every non-directory entry under `dir`, as `/`-separated relative paths.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &rel, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}
