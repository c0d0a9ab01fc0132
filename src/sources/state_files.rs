//! Terraform files from disk as one estate: each file read (a state, or `terraform show -json`
//! of a state or of a plan), all of them imported together so that references from one file
//! to another resolve, and — when a file is a plan — the estate as it was before the plan (the
//! plans' `prior_state`, the other files as they are), so that an audit can tell what the plan
//! introduces from what was already there.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::diag::line_column;
use crate::model::{Resource, Snapshot};
use crate::snapshot::{SnapshotError, validate};
use crate::sources::Source;
use crate::sources::terraform::{self, Document, DocumentKind, File, ReadError};

/// Terraform state or plan files, read as one estate (`-` reads standard input).
#[derive(Debug, Clone, Default)]
pub struct TerraformFiles {
    pub paths: Vec<PathBuf>,
}

/// What a set of Terraform files describes.
#[derive(Debug, Clone)]
pub struct TerraformEstate {
    /// The estate the files describe; for a plan, the planned estate.
    pub snapshot: Snapshot,
    /// When some file is a plan: the estate before it (the plans' prior states and the other
    /// files as they are). `None` when no file is a plan.
    pub prior: Option<Snapshot>,
    /// Each file as read: its name (as resources' `tf_state` give it) and what it held.
    pub files: Vec<(String, DocumentKind)>,
}

impl TerraformEstate {
    /// The names of the plans among the files.
    pub fn plans(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|(_, kind)| *kind == DocumentKind::Plan)
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// Why Terraform files could not be turned into an estate.
#[derive(Debug, thiserror::Error)]
pub enum TerraformError {
    /// The file could not be read at all.
    #[error("{origin}: cannot read the file: {error}")]
    Io {
        origin: String,
        error: std::io::Error,
    },
    /// The file is not text.
    #[error("{origin}:{line}:{column}: the file is not valid UTF-8")]
    NotText {
        origin: String,
        line: usize,
        column: usize,
    },
    /// The file is not a Terraform document linchpin reads (with where, when known).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The same file was given twice (its resources would be counted twice).
    #[error("{0}: given twice; give each Terraform file once")]
    Repeated(String),
    /// The import produced a snapshot that does not validate: a bug, reported as such rather
    /// than analysed wrongly.
    #[error("{0}")]
    Invalid(SnapshotError),
}

impl Source for TerraformFiles {
    type Error = TerraformError;

    /// The estate the files describe (for a plan, the planned one).
    fn read(&self) -> Result<Snapshot, Self::Error> {
        read_files(&self.paths).map(|estate| estate.snapshot)
    }
}

/// The origin a path is named by: its display form, `<stdin>` for `-`.
pub fn origin_of(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Read every file, then import them together (and, when a file is a plan, the prior estate).
/// Every file is read before anything is imported, so a bad file fails the whole set.
pub fn read_files(paths: &[PathBuf]) -> Result<TerraformEstate, TerraformError> {
    import_documents(&read_documents(paths)?, &[])
}

/// Read every file into its document, without importing: a bad file fails the whole set
/// before anything else (a crawl) runs.
pub fn read_documents(paths: &[PathBuf]) -> Result<Vec<(String, Document)>, TerraformError> {
    let mut seen = HashSet::new();
    let mut documents: Vec<(String, Document)> = Vec::with_capacity(paths.len());
    for path in paths {
        let origin = origin_of(path);
        let identity = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if !seen.insert(identity) {
            return Err(TerraformError::Repeated(origin));
        }
        let text = read_text(path, &origin)?;
        let started = std::time::Instant::now();
        let document = terraform::read_str(&text, &origin)?;
        tracing::info!(
            file = %origin,
            instances = document.instances.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "terraform file read"
        );
        documents.push((origin, document));
    }
    Ok(documents)
}

/// Import documents already read: the estate they describe and, for plans, the one before.
/// References to the ids of `beside` (the resources of a crawl the estate will be merged
/// with) resolve to them rather than dangle.
pub fn import_documents(
    documents: &[(String, Document)],
    beside: &[Resource],
) -> Result<TerraformEstate, TerraformError> {
    let files = planned(documents);
    let mut snapshot = terraform::import_beside(&files, beside);
    let any_plan = documents
        .iter()
        .any(|(_, doc)| doc.kind == DocumentKind::Plan);
    let prior = if any_plan {
        let before: Vec<File<'_>> = documents
            .iter()
            .map(|(origin, doc)| File {
                origin,
                instances: match doc.kind {
                    DocumentKind::Plan => &doc.prior,
                    _ => &doc.instances,
                },
            })
            .collect();
        let prior = terraform::import_beside(&before, beside);
        keep_prior_ids(&mut snapshot, &prior);
        if beside.is_empty() {
            check(&prior, "the prior state of the plan")?;
        }
        Some(prior)
    } else {
        None
    };
    // Beside a crawl, references may name crawled resources: the merged estate is checked.
    if beside.is_empty() {
        check(&snapshot, "the imported Terraform estate")?;
    }
    Ok(TerraformEstate {
        snapshot,
        prior,
        files: documents
            .iter()
            .map(|(origin, doc)| (origin.clone(), doc.kind))
            .collect(),
    })
}

/// The estate documents describe (for plans, the planned one) as snapshots for `linchpin
/// merge` to join: the files imported together (references resolve across them and to the
/// ids of `beside`), every resource naming its file in `sources`, and a resource a second
/// file also holds kept in a second snapshot rather than folded, so that the merge joins the
/// files' versions and notes where they disagree.
pub fn import_documents_apart(
    documents: &[(String, Document)],
    beside: &[Resource],
) -> Result<Vec<Snapshot>, TerraformError> {
    let files = planned(documents);
    let (snapshot, others) = terraform::import_apart(&files, beside);
    if beside.is_empty() {
        check(&snapshot, "the imported Terraform estate")?;
    }
    let mut snapshots = vec![snapshot];
    if !others.is_empty() {
        snapshots.push(Snapshot::of_resources(others));
    }
    Ok(snapshots)
}

/// The files of the estate the documents describe (for a plan, the planned one).
fn planned(documents: &[(String, Document)]) -> Vec<File<'_>> {
    documents
        .iter()
        .map(|(origin, doc)| File {
            origin,
            instances: &doc.instances,
        })
        .collect()
}

fn read_text(path: &Path, origin: &str) -> Result<String, TerraformError> {
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    }
    .map_err(|error| TerraformError::Io {
        origin: origin.to_string(),
        error,
    })?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let (line, column) = line_column(&String::from_utf8_lossy(err.as_bytes()), valid);
        TerraformError::NotText {
            origin: origin.to_string(),
            line,
            column,
        }
    })
}

/// Refuse a snapshot that does not validate (every problem listed).
fn check(snapshot: &Snapshot, what: &str) -> Result<(), TerraformError> {
    let problems = validate(snapshot);
    if problems.is_empty() {
        return Ok(());
    }
    Err(TerraformError::Invalid(SnapshotError {
        origin: what.to_string(),
        problems,
    }))
}

/// A resource the plan creates has no cloud id yet, so its id is its Terraform address. When
/// the prior state holds the same address (the plan replaces the resource), the planned
/// resource keeps the prior id: it is the same resource of the configuration, and findings
/// about it keep their fingerprints instead of reappearing as new. References to it are
/// rewritten too. Resources the prior state lacks (created) keep their address.
fn keep_prior_ids(planned: &mut Snapshot, prior: &Snapshot) {
    let prior_ids: HashMap<(&str, &str), &str> = prior
        .resources
        .iter()
        .filter_map(|r| {
            let (file, address) = terraform_origin(r)?;
            (r.id != address).then_some(((file, address), r.id.as_str()))
        })
        .collect();
    let taken: HashSet<String> = planned
        .resources
        .iter()
        .map(|r| r.id.to_lowercase())
        .collect();
    let mut renamed: HashMap<String, String> = HashMap::new();
    for resource in &planned.resources {
        let Some((file, address)) = terraform_origin(resource) else {
            continue;
        };
        if resource.id != address {
            continue;
        }
        if let Some(&id) = prior_ids.get(&(file, address))
            && !taken.contains(&id.to_lowercase())
        {
            renamed.insert(resource.id.clone(), id.to_string());
        }
    }
    if renamed.is_empty() {
        return;
    }
    for resource in &mut planned.resources {
        if let Some(id) = renamed.get(&resource.id) {
            resource.id = id.clone();
        }
        for group in &mut resource.requirements {
            if let Some(one) = &mut group.requires
                && let Some(id) = renamed.get(one.as_str())
            {
                *one = id.clone();
            }
            for member in group.any_of.iter_mut().flatten() {
                if let Some(id) = renamed.get(member.as_str()) {
                    *member = id.clone();
                }
            }
        }
    }
}

/// The state file and Terraform address a resource was imported from.
fn terraform_origin(resource: &crate::model::Resource) -> Option<(&str, &str)> {
    let file = resource.attributes.get("tf_state")?.as_str()?;
    let address = resource.attributes.get("tf_address")?.as_str()?;
    Some((file, address))
}
