//! Evidence bundles: one directory that holds an audit's inputs, results and mappings, and
//! proves its own integrity. `manifest.json` says what was audited, when, with which rules and
//! tool, and lists every file with its hash; `SHA256SUMS` hashes every file, the manifest
//! included. Beside the reports sit the control mappings, an OSCAL assessment-results document
//! and a pre-fill of the DORA register of information.
//!
//! Bundles are deterministic: the same snapshot, rules, config and time give the same bytes.
//! Nothing depends on where the bundle is written; the time comes from the caller (a fixed
//! time, or the clock when none is given).

mod controls;
mod dora;
mod manifest;
mod oscal;
mod tables;
mod verify;

use std::io;
use std::path::Path;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graph::Estate;
use crate::report::{AuditReport, Format};

pub use manifest::{
    FORMAT, FileEntry, Inputs, MANIFEST, Manifest, SUMS, Scope, SumsError, parse_sums, render_sums,
    sha256_hex,
};
pub use oscal::OSCAL_VERSION;
pub use verify::{Problem, Verification, VerifyError, verify};

/// Honest statements of what a bundle cannot show; every manifest carries them.
pub const KNOWN_LIMITATIONS: &[&str] = &[
    "The snapshot holds what its sources could read when it was made: resources in accounts, regions or services that were not read, and dependencies that no API, state file or manifest declares, are not in it; the failed reads are listed under coverage_gaps.",
    "Dependencies are taken from configuration (routes, load-balancer targets, replicas, declared requirements), not observed from traffic; an application dependency nobody declared is not seen.",
    "Placement is as the provider reports it: that zones, regions and providers fail independently, and that survivors have the capacity to carry the load, is assumed, not measured.",
    "Findings are the output of the listed rule pack; a control mapping says what the finding is evidence for, not that the control is met or failed as a whole.",
    "Suppressed findings stay in the evidence with their reason and author: a suppression is a recorded decision, not a fix.",
    "The DORA files under dora/ are a pre-fill that needs human review: every cell in dora/gaps.csv must be filled, and provider codes are linchpin provider ids, not LEIs, unless a manifest gives the LEI.",
    "oscal/assessment-results.json cannot carry its own hash; SHA256SUMS holds it.",
    "The snapshot does not record when it was read; started and finished are the times of this run, or the time given with --timestamp or SOURCE_DATE_EPOCH.",
];

/// The namespace of every UUID in a bundle.
pub fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:linchpin:evidence")
}

/// Where a bundle's times come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// `--timestamp`.
    Flag,
    /// The `SOURCE_DATE_EPOCH` environment variable.
    SourceDateEpoch,
    /// The clock at the start and end of the run.
    Clock,
}

impl TimeSource {
    /// As the manifest names it: `given` for either fixed time (so `--timestamp` and the
    /// equivalent `SOURCE_DATE_EPOCH` give the same bundle), else `clock`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Flag | TimeSource::SourceDateEpoch => "given",
            TimeSource::Clock => "clock",
        }
    }
}

/// The fixed time of a run: `--timestamp` (RFC 3339) when given, else `SOURCE_DATE_EPOCH`
/// (seconds since 1970) when set and not empty, else none. Sub-second parts are dropped.
pub fn fixed_time(
    flag: Option<&str>,
    source_date_epoch: Option<&str>,
) -> Result<Option<(DateTime<Utc>, TimeSource)>, String> {
    if let Some(text) = flag {
        let time = DateTime::parse_from_rfc3339(text.trim()).map_err(|err| {
            format!("--timestamp {text:?} is not an RFC 3339 time (2025-04-15T02:00:00Z): {err}")
        })?;
        return Ok(Some((truncate(time.with_timezone(&Utc)), TimeSource::Flag)));
    }
    match source_date_epoch.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            let time = text
                .parse::<i64>()
                .ok()
                .and_then(|secs| DateTime::from_timestamp(secs, 0))
                .ok_or_else(|| {
                    format!("SOURCE_DATE_EPOCH={text:?} is not a number of seconds since 1970")
                })?;
            Ok(Some((time, TimeSource::SourceDateEpoch)))
        }
    }
}

fn truncate(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

/// A time as bundles write it: `2025-04-15T02:00:00Z`.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What a bundle is made from.
pub struct Request<'a> {
    pub estate: &'a Estate,
    /// The audit of `estate`, its `estate.input` set.
    pub report: &'a AuditReport,
    /// The config file's text, when one was read.
    pub config_text: Option<&'a str>,
    /// The start of the run (the fixed time when one is given).
    pub started: DateTime<Utc>,
    pub time_source: TimeSource,
}

/// A bundle in memory: every file by relative path, sorted, `manifest.json` and `SHA256SUMS`
/// included.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub files: Vec<(String, Vec<u8>)>,
    pub manifest: Manifest,
}

fn render(report: &AuditReport, format: Format, path: &str) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    report
        .write(format, &mut out)
        .map_err(|err| io::Error::new(err.kind(), format!("cannot render {path}: {err}")))?;
    Ok(out)
}

/// Build every file of the bundle.
pub fn build(request: &Request) -> io::Result<Bundle> {
    let report = request.report;
    let estate = request.estate;
    let mut files = report_files(request)?;
    let run = Run::of(request, &files);

    let entries: Vec<FileEntry> = files.iter().map(|(p, b)| FileEntry::of(p, b)).collect();
    let oscal_path = "oscal/assessment-results.json";
    let oscal = oscal::document(&oscal::Context {
        estate,
        report,
        run_id: run.id,
        started: &run.started,
        finished: &run.finished,
        files: &entries,
    })?;
    files.push((oscal_path.into(), oscal));
    files.sort_by(|a, b| a.0.cmp(&b.0));

    let manifest = manifest(request, run, &files);
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    manifest_bytes.push(b'\n');
    files.push((MANIFEST.into(), manifest_bytes));
    let all: Vec<FileEntry> = files.iter().map(|(p, b)| FileEntry::of(p, b)).collect();
    files.push((SUMS.into(), render_sums(&all)));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Bundle { files, manifest })
}

/// The snapshot, the reports, the tables, the control mappings and the DORA register, sorted
/// by path: every file the OSCAL document lists.
fn report_files(request: &Request) -> io::Result<Vec<(String, Vec<u8>)>> {
    let report = request.report;
    let mut snapshot = serde_json::to_vec_pretty(&request.estate.snapshot)?;
    snapshot.push(b'\n');
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("snapshot.json".into(), snapshot),
        (
            "findings.json".into(),
            render(report, Format::Json, "findings.json")?,
        ),
        (
            "findings.csv".into(),
            render(report, Format::Csv, "findings.csv")?,
        ),
        ("scores.csv".into(), tables::scores(report)?),
        ("concentration.csv".into(), tables::concentration(report)?),
        (
            "reports/summary.md".into(),
            render(report, Format::Markdown, "reports/summary.md")?,
        ),
        (
            "reports/summary.html".into(),
            render(report, Format::Html, "reports/summary.html")?,
        ),
        ("mappings/controls.csv".into(), controls::controls(report)?),
        (
            "ci/results.sarif".into(),
            render(report, Format::Sarif, "ci/results.sarif")?,
        ),
        (
            "ci/junit.xml".into(),
            render(report, Format::Junit, "ci/junit.xml")?,
        ),
    ];
    files.extend(dora::register(request.estate, report)?);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// What identifies a run: its id, its times as written, and the hashes of its inputs.
struct Run {
    id: Uuid,
    started: String,
    finished: String,
    snapshot_sha256: String,
    config_sha256: Option<String>,
}

impl Run {
    /// The run of `request`, whose snapshot is `snapshot.json` among `files`. The id is a v5
    /// UUID of the snapshot, config and rules hashes and the start time.
    fn of(request: &Request, files: &[(String, Vec<u8>)]) -> Self {
        let started = request.started;
        let finished = match request.time_source {
            TimeSource::Clock => Utc::now(),
            _ => started,
        };
        let (started, finished) = (format_time(started), format_time(finished));
        let snapshot_sha256 = sha256_hex(
            &files[files
                .iter()
                .position(|(p, _)| p == "snapshot.json")
                .unwrap_or(0)]
            .1,
        );
        let config_sha256 = request.config_text.map(|text| sha256_hex(text.as_bytes()));
        let id = Uuid::new_v5(
            &namespace(),
            format!(
                "snapshot={snapshot_sha256}\nconfig={}\nrules={}\nstarted={started}",
                config_sha256.as_deref().unwrap_or("none"),
                request.report.rules.digest
            )
            .as_bytes(),
        );
        Run {
            id,
            started,
            finished,
            snapshot_sha256,
            config_sha256,
        }
    }
}

/// The manifest of `run`, listing `files` (every file but the manifest and `SHA256SUMS`).
fn manifest(request: &Request, run: Run, files: &[(String, Vec<u8>)]) -> Manifest {
    let report = request.report;
    let estate = request.estate;
    Manifest {
        format: FORMAT.into(),
        tool: report.tool.clone(),
        run_id: run.id.to_string(),
        started: run.started,
        finished: run.finished,
        time_source: request.time_source.as_str().into(),
        scope: scope(estate, report),
        inputs: Inputs {
            snapshot_path: report.estate.input.clone(),
            snapshot_sha256: run.snapshot_sha256,
            config_path: report.rules.config.clone(),
            config_sha256: run.config_sha256,
            rules_digest: report.rules.digest.clone(),
            rules_enabled: report.rules.enabled.clone(),
            rule_directories: report.rules.directories.clone(),
        },
        files: files.iter().map(|(p, b)| FileEntry::of(p, b)).collect(),
        known_limitations: KNOWN_LIMITATIONS.iter().map(|s| s.to_string()).collect(),
        coverage_gaps: estate
            .snapshot
            .coverage
            .iter()
            .filter(|c| c.status == crate::model::CoverageStatus::Failed)
            .cloned()
            .collect(),
    }
}

fn scope(estate: &Estate, report: &AuditReport) -> Scope {
    let mut accounts: std::collections::BTreeSet<&str> = estate
        .snapshot
        .resources
        .iter()
        .filter_map(|r| r.account.as_deref())
        .collect();
    accounts.extend(
        estate
            .snapshot
            .sources
            .iter()
            .filter(|s| s.kind == "aws")
            .map(|s| s.name.as_str()),
    );
    Scope {
        providers: report.estate.providers.clone(),
        accounts: accounts.into_iter().map(String::from).collect(),
        regions: report.estate.regions.clone(),
        sources: estate.snapshot.sources.clone(),
    }
}

/// Whether `dir` holds a bundle (its manifest names this format and it has checksums).
pub fn is_bundle(dir: &Path) -> bool {
    dir.join(SUMS).is_file()
        && std::fs::read(dir.join(MANIFEST))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|m| m.get("format").and_then(|f| f.as_str()) == Some(FORMAT))
}

fn at(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

impl Bundle {
    /// Write the bundle to `dir`, creating it. A directory that exists must be empty or hold
    /// a bundle, which is replaced. The files are written to a temporary directory beside
    /// `dir` and renamed into place, so a failure leaves `dir` as it was.
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        match std::fs::symlink_metadata(dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{} is a symbolic link; give the directory itself",
                        dir.display()
                    ),
                ));
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a directory", dir.display()),
                ));
            }
            Ok(_) => {
                let empty = std::fs::read_dir(dir)
                    .map_err(|e| at(dir, e))?
                    .next()
                    .is_none();
                if !empty && !is_bundle(dir) {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "{} is not empty and holds no evidence bundle; give an empty or new directory",
                            dir.display()
                        ),
                    ));
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(at(dir, err)),
        }
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => Path::new(".").to_path_buf(),
        };
        std::fs::create_dir_all(&parent).map_err(|e| at(&parent, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".linchpin-evidence-")
            .tempdir_in(&parent)
            .map_err(|e| at(&parent, e))?;
        for (path, bytes) in &self.files {
            let full = staging.path().join(path);
            if let Some(sub) = full.parent() {
                std::fs::create_dir_all(sub).map_err(|e| at(sub, e))?;
            }
            std::fs::write(&full, bytes).map_err(|e| at(&full, e))?;
            std::fs::File::open(&full)
                .and_then(|f| f.sync_all())
                .map_err(|e| at(&full, e))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))
                .map_err(|e| at(staging.path(), e))?;
        }
        if dir.exists() {
            // Move the old directory aside, put the new one in place, then drop the old.
            let old = tempfile::Builder::new()
                .prefix(".linchpin-evidence-old-")
                .tempdir_in(&parent)
                .map_err(|e| at(&parent, e))?;
            std::fs::rename(dir, old.path()).map_err(|e| at(dir, e))?;
            if let Err(err) = std::fs::rename(staging.path(), dir) {
                let _ = std::fs::rename(old.path(), dir);
                return Err(at(dir, err));
            }
            let _ = staging.keep();
            drop(old);
        } else {
            std::fs::rename(staging.path(), dir).map_err(|e| at(dir, e))?;
            let _ = staging.keep();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_over_source_date_epoch_and_both_agree() {
        let (flag, source) = fixed_time(Some("2025-04-15T02:00:00Z"), Some("1"))
            .unwrap()
            .unwrap();
        assert_eq!(source, TimeSource::Flag);
        let (epoch, source) = fixed_time(None, Some("1744682400")).unwrap().unwrap();
        assert_eq!(source, TimeSource::SourceDateEpoch);
        assert_eq!(flag, epoch);
        assert_eq!(format_time(flag), "2025-04-15T02:00:00Z");
        assert_eq!(
            fixed_time(Some("2025-04-15T11:00:00.75+09:00"), None)
                .unwrap()
                .map(|(t, _)| format_time(t)),
            Some("2025-04-15T02:00:00Z".into())
        );
        assert_eq!(fixed_time(None, Some("")).unwrap(), None);
        assert!(fixed_time(Some("yesterday"), None).is_err());
        assert!(fixed_time(None, Some("soon")).is_err());
    }
}
