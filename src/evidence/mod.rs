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
use sha2::{Digest, Sha256};
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

/// A bundle written: how many files, and its manifest.
#[derive(Debug, Clone)]
pub struct Written {
    pub files: usize,
    pub manifest: Manifest,
}

/// Write the bundle of `request` to `dir`, creating it. A directory that exists must be
/// empty or hold a bundle, which is replaced. Every file is streamed to a staging directory
/// beside `dir`, hashed as it is written (no file is held in memory whole), and the staging
/// directory is renamed into place once all are written, so a failure leaves `dir` as it was.
pub fn write(request: &Request, dir: &Path) -> io::Result<Written> {
    let parent = check_target(dir)?;
    let staging = Staging::new(&parent)?;
    let report = request.report;
    let estate = request.estate;
    let mut entries = report_files(request, &staging)?;
    let run = Run::of(request, &entries);
    let context = oscal::Context {
        estate,
        report,
        run_id: run.id,
        started: &run.started,
        finished: &run.finished,
        files: &entries,
    };
    let oscal = staging.stream("oscal/assessment-results.json", |out| {
        oscal::document(&context, out)
    })?;
    entries.push(oscal);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = manifest(request, run, &entries);
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    manifest_bytes.push(b'\n');
    entries.push(staging.bytes(MANIFEST, &manifest_bytes)?);
    let sums = render_sums(&entries);
    entries.push(staging.bytes(SUMS, &sums)?);
    staging.commit(dir, &parent)?;
    Ok(Written {
        files: entries.len(),
        manifest,
    })
}

/// One or more files of a bundle, staged by one job.
type Job<'a> = Box<dyn Fn() -> io::Result<Vec<FileEntry>> + Sync + 'a>;

/// The snapshot, the reports, the tables, the control mappings and the DORA register, each
/// written to the staging directory (several at once, one per core), their entries sorted by
/// path: every file the OSCAL document lists.
fn report_files(request: &Request, staging: &Staging) -> io::Result<Vec<FileEntry>> {
    let report = request.report;
    let mut jobs: Vec<Job> = vec![Box::new(|| {
        Ok(vec![staging.stream("snapshot.json", |out| {
            serde_json::to_writer_pretty(&mut *out, &request.estate.snapshot)?;
            out.write_all(b"\n")
        })?])
    })];
    for (path, format) in [
        ("findings.json", Format::Json),
        ("findings.csv", Format::Csv),
        ("reports/summary.md", Format::Markdown),
        ("reports/summary.html", Format::Html),
        ("ci/results.sarif", Format::Sarif),
        ("ci/junit.xml", Format::Junit),
    ] {
        jobs.push(Box::new(move || {
            Ok(vec![staging.stream(path, |out| {
                report.write(format, out).map_err(|err| {
                    io::Error::new(err.kind(), format!("cannot render {path}: {err}"))
                })
            })?])
        }));
    }
    jobs.push(Box::new(|| {
        Ok(vec![
            staging.bytes("scores.csv", &tables::scores(report)?)?,
            staging.bytes("concentration.csv", &tables::concentration(report)?)?,
            staging.bytes("mappings/controls.csv", &controls::controls(report)?)?,
        ])
    }));
    jobs.push(Box::new(|| {
        dora::register(request.estate, report)?
            .iter()
            .map(|(path, bytes)| staging.bytes(path, bytes))
            .collect()
    }));
    let mut entries = Vec::new();
    for staged in crate::parallel::map(&jobs, |job| job()) {
        entries.extend(staged?);
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: io::Write> io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The staging directory a bundle is written to before it is renamed into place.
struct Staging {
    dir: tempfile::TempDir,
}

impl Staging {
    fn new(parent: &Path) -> io::Result<Staging> {
        let dir = tempfile::Builder::new()
            .prefix(".linchpin-evidence-")
            .tempdir_in(parent)
            .map_err(|e| at(parent, e))?;
        Ok(Staging { dir })
    }

    /// Write the file at `path` (relative, `/`-separated) through `write`, hashing it.
    fn stream(
        &self,
        path: &str,
        write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> io::Result<FileEntry> {
        let started = std::time::Instant::now();
        let full = self.dir.path().join(path);
        if let Some(sub) = full.parent() {
            std::fs::create_dir_all(sub).map_err(|e| at(sub, e))?;
        }
        let file = std::fs::File::create(&full).map_err(|e| at(&full, e))?;
        // The buffer comes first, so the hash and the file take 64 KiB at a time rather than
        // each small piece a writer hands over.
        let mut out = io::BufWriter::with_capacity(
            1 << 16,
            Hashing {
                inner: file,
                hasher: Sha256::new(),
                size: 0,
            },
        );
        write(&mut out)
            .and_then(|()| io::Write::flush(&mut out))
            .map_err(|e| at(&full, e))?;
        let Hashing {
            inner,
            hasher,
            size,
        } = out
            .into_inner()
            .map_err(|err| at(&full, err.into_error()))?;
        inner.sync_all().map_err(|e| at(&full, e))?;
        tracing::debug!(
            file = path,
            bytes = size,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "staged"
        );
        Ok(FileEntry {
            path: path.to_string(),
            sha256: manifest::hex(&hasher.finalize()),
            size,
        })
    }

    fn bytes(&self, path: &str, bytes: &[u8]) -> io::Result<FileEntry> {
        self.stream(path, |out| out.write_all(bytes))
    }

    /// Put the staged bundle in place of `dir` (in `parent`).
    fn commit(self, dir: &Path, parent: &Path) -> io::Result<()> {
        let staging = self.dir;
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
                .tempdir_in(parent)
                .map_err(|e| at(parent, e))?;
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
    fn of(request: &Request, files: &[FileEntry]) -> Self {
        let started = request.started;
        let finished = match request.time_source {
            TimeSource::Clock => Utc::now(),
            _ => started,
        };
        let (started, finished) = (format_time(started), format_time(finished));
        let snapshot_sha256 = files
            .iter()
            .find(|f| f.path == "snapshot.json")
            .map(|f| f.sha256.clone())
            .unwrap_or_default();
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
fn manifest(request: &Request, run: Run, files: &[FileEntry]) -> Manifest {
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
        files: files.to_vec(),
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

/// Check that `dir` may receive a bundle (absent, empty, or holding a bundle, and no
/// symbolic link), and return its parent, created.
fn check_target(dir: &Path) -> io::Result<std::path::PathBuf> {
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
    Ok(parent)
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
