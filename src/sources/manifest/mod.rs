//! The manifest: what matters and what the APIs cannot see, declared by people in TOML.
//!
//! ```toml
//! [entity]
//! id = "exchange"
//! lei = "529900T8BM49AURSDO55"
//!
//! [[function]]
//! id = "withdrawals"
//! criticality = "critical"              # critical | important | other (DORA's wording)
//! rto_hours = 1
//! impact_per_hour = { amount = 250000, currency = "USD" }
//! owner = "payments-sre"
//! requires = ["tag:app=withdrawals", "third_party:vaultco/custody"]
//! [[function.any_of]]
//! of = ["name:dns-primary", "third_party:edgeguard"]
//! min = 1
//!
//! [[third_party]]
//! id = "vaultco"                        # a provider and failure domain of its own
//! service_type = "S19"
//! runs_on = ["aws:ap-northeast-1"]      # it fails with that region
//! [[third_party.service]]
//! id = "custody"
//!
//! [[edge]]
//! from = "name:matching-engine-*"
//! requires = ["third_party:marketfeed"]
//!
//! [[egress_free]]
//! select = ["tag:egress=none"]
//!
//! [zones."123456789012"]
//! "ap-northeast-1a" = "apne1-az4"
//! ```
//!
//! Read in two steps like the config: [`parse`] checks every field with its line, then
//! [`apply`] resolves the selectors against the estate and adds the functions, third parties
//! and edges to its snapshot. A selector that matches nothing is an error unless its table
//! says `optional = true`: a typo must never make a function look healthy. Every problem of
//! both steps is reported at once, each with file, line and column.

mod apply;
mod codes;
mod parse;

use std::path::Path;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::model::selector::Selector;
use crate::model::{Entity, Money, ThirdParty};

pub use apply::{apply, apply_with, function_id};
pub use parse::{CONFIG_KEYS, MANIFEST_KEYS, check_across, parse};

/// A validated manifest (one or more files).
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// The files it was read from, as named in diagnostics.
    pub files: Vec<String>,
    pub entity: Option<Entity>,
    pub functions: Vec<Function>,
    pub third_parties: Vec<DeclaredThirdParty>,
    pub edges: Vec<Edge>,
    pub egress_free: Vec<EgressFree>,
    pub zones: Vec<ZoneMap>,
}

impl Manifest {
    /// Whether it declares anything.
    pub fn is_empty(&self) -> bool {
        self.entity.is_none()
            && self.functions.is_empty()
            && self.third_parties.is_empty()
            && self.edges.is_empty()
            && self.egress_free.is_empty()
            && self.zones.is_empty()
    }

    /// Add another file's declarations.
    pub fn extend(&mut self, other: Manifest) {
        self.files.extend(other.files);
        if other.entity.is_some() {
            self.entity = other.entity;
        }
        self.functions.extend(other.functions);
        self.third_parties.extend(other.third_parties);
        self.edges.extend(other.edges);
        self.egress_free.extend(other.egress_free);
        self.zones.extend(other.zones);
    }
}

/// Where something was declared: file, line and column, for the diagnostics of [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At(Diagnostic);

impl At {
    fn of(source: &SourceFile, offset: usize) -> At {
        At(source.diagnostic(offset, ""))
    }

    /// A problem at this place.
    pub fn problem(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            ..self.0.clone()
        }
    }

    /// `file:line`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.0.file, self.0.line)
    }
}

/// What a selector of the manifest names: resources of the estate, or a declared third
/// party's services (`third_party:vaultco`, `third_party:vaultco/custody`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Resources(Selector),
    ThirdParty { id: String, service: Option<String> },
}

/// One selector as written, with where it was written and whether it may match nothing.
#[derive(Debug, Clone)]
pub struct Pick {
    pub text: String,
    pub target: Target,
    pub optional: bool,
    pub at: At,
}

/// Members of which at least `min` must be up.
#[derive(Debug, Clone)]
pub struct AnyOf {
    pub of: Vec<Pick>,
    pub min: Option<u32>,
    /// Where `min` was written.
    pub min_at: Option<At>,
    pub label: Option<String>,
    pub at: At,
}

/// DORA's assessment of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criticality {
    Critical,
    Important,
    Other,
}

impl Criticality {
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Critical => "critical",
            Criticality::Important => "important",
            Criticality::Other => "other",
        }
    }
}

/// A business function: what it is worth, who owns it, and what serves it.
#[derive(Debug, Clone)]
pub struct Function {
    pub id: String,
    pub name: String,
    pub criticality: Option<Criticality>,
    pub rto_hours: Option<f64>,
    pub rpo_hours: Option<f64>,
    pub impact_per_hour: Option<Money>,
    pub owner: Option<String>,
    pub licensed_activity: Option<String>,
    pub reasons: Option<String>,
    pub assessed: Option<String>,
    /// Each resource matched is required (all of them).
    pub requires: Vec<Pick>,
    pub any_of: Vec<AnyOf>,
    pub at: At,
}

/// A third party and the services of it the estate uses.
#[derive(Debug, Clone)]
pub struct DeclaredThirdParty {
    pub record: ThirdParty,
    pub services: Vec<Service>,
    /// Where each `runs_on` entry was written.
    pub runs_on_at: Vec<At>,
    pub at: At,
}

/// A service of a third party: a resource of the estate, `<third party>:<id>`.
#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub at: At,
}

/// A link no API shows: every resource `from` matches needs what the groups name.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: Vec<Pick>,
    pub requires: Vec<Pick>,
    pub any_of: Option<AnyOf>,
    pub label: Option<String>,
    pub at: At,
}

/// Workloads that need no internet egress: their egress edges (through NAT) are dropped.
#[derive(Debug, Clone)]
pub struct EgressFree {
    pub select: Vec<Pick>,
    pub reason: Option<String>,
    pub at: At,
}

/// Zone names (or Azure logical zones) of one account or subscription, mapped to zone IDs.
#[derive(Debug, Clone)]
pub struct ZoneMap {
    pub account: String,
    pub entries: Vec<(String, String, At)>,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {error}")]
    Read { path: String, error: String },
    #[error(transparent)]
    Invalid(#[from] Diagnostics),
}

/// Read and check manifest files, every problem of every file reported together.
pub fn read_files(paths: &[impl AsRef<Path>]) -> Result<Manifest, ManifestError> {
    let (manifest, problems) = load(paths)?;
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(invalid(problems).into())
    }
}

/// Read manifest files: what could be read, and the problems found (give both to
/// [`apply_with`], so that the problems of reading and of applying are reported together).
/// Only a file that cannot be read at all is an error here.
pub fn load(paths: &[impl AsRef<Path>]) -> Result<(Manifest, Vec<Diagnostic>), ManifestError> {
    let mut manifest = Manifest::default();
    let mut problems = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ManifestError::Read {
            path: name.clone(),
            error: e.to_string(),
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ManifestError::Read {
            path: name.clone(),
            error: "not UTF-8 text".into(),
        })?;
        let source = SourceFile::new(name, text);
        manifest.extend(parse(&source, false, &mut problems));
    }
    parse::check_across(&manifest, &mut problems);
    Ok((manifest, problems))
}

/// The error of a list of problems.
pub fn invalid(mut list: Vec<Diagnostic>) -> Diagnostics {
    list.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    list.dedup();
    Diagnostics {
        what: "manifest".into(),
        list,
    }
}
