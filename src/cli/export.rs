//! `linchpin export evidence`: a self-verifying evidence bundle of an audit.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use linchpin::evidence::{self, TimeSource};

use super::exit::Exit;
use super::{EstateArgs, RuleArgs};

/// Export audit results for others: compliance evidence.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    what: ExportWhat,
}

#[derive(Debug, Subcommand)]
enum ExportWhat {
    Evidence(EvidenceArgs),
}

const EVIDENCE_HELP: &str = "\
The bundle (DIR):
  manifest.json            format, tool, run id, times, scope, input hashes, every file's
                           hash and size, known limitations, coverage gaps
  SHA256SUMS               every file's SHA-256 (`sha256sum -c SHA256SUMS` checks it;
                           so does `linchpin verify DIR`)
  snapshot.json            the inventory audited
  findings.json, .csv      the audit report
  scores.csv, concentration.csv
  reports/summary.md, reports/summary.html
  mappings/controls.csv    rule × DORA / ISO/IEC 27001:2022 / SOC 2 / NIST SP 800-53 control
  ci/results.sarif, ci/junit.xml
  oscal/assessment-results.json   OSCAL 1.0.6 assessment results
  dora/                    pre-fill of DORA register templates B_02.02, B_05.01, B_05.02,
                           B_06.01, B_07.01, and gaps.csv: the cells a person must fill

The same inputs with the same --timestamp (or SOURCE_DATE_EPOCH) give byte-identical files.
";

/// `export evidence --help` after the options: the bundle's files, then the exit codes.
fn evidence_help() -> String {
    format!("{EVIDENCE_HELP}\n{}", super::exit::EXPORT.render())
}

/// Write an evidence bundle of an audit to DIR: inventory, findings, scores, control mappings,
/// OSCAL assessment results and a DORA register pre-fill, each file hashed in manifest.json
/// and SHA256SUMS.
#[derive(Debug, Args)]
#[command(after_help = evidence_help())]
pub struct EvidenceArgs {
    /// Write the bundle to DIR, creating it. DIR must be new, empty, or hold an earlier
    /// bundle (which is replaced whole).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The time the bundle states (RFC 3339, e.g. 2025-04-15T02:00:00Z): its start and end
    /// time, and the day suppressions expire against. Defaults to SOURCE_DATE_EPOCH when set,
    /// else the clock.
    #[arg(long, value_name = "RFC3339")]
    timestamp: Option<String>,
    #[command(flatten)]
    estate: EstateArgs,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: &ExportArgs) -> anyhow::Result<Exit> {
    match &args.what {
        ExportWhat::Evidence(args) => evidence(args),
    }
}

fn evidence(args: &EvidenceArgs) -> anyhow::Result<Exit> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let fixed = evidence::fixed_time(args.timestamp.as_deref(), epoch.as_deref())
        .map_err(anyhow::Error::msg)?;
    let (started, time_source) = fixed.unwrap_or_else(|| (chrono::Utc::now(), TimeSource::Clock));
    let (pack, config) = args.rules.load()?;
    let estate = args.estate.load(&config)?;
    let today = match time_source {
        TimeSource::Clock => linchpin::judge::config::today(),
        _ => started.date_naive(),
    };
    let mut report = linchpin::judge::audit::run(&estate, &pack, &config, &args.rules.rules, today);
    report.estate.input = args.estate.input();
    let bundle = evidence::write(
        &evidence::Request {
            estate: &estate,
            report: &report,
            config_text: config.path.as_ref().map(|_| config.text.as_str()),
            started,
            time_source,
        },
        &args.out,
    )
    .with_context(|| format!("cannot write the evidence bundle to {}", args.out.display()))?;
    eprintln!(
        "linchpin: wrote {} files to {} (run {})",
        bundle.files,
        args.out.display(),
        bundle.manifest.run_id
    );
    if !report.rule_errors.is_empty() {
        tracing::warn!(
            "{} rule error(s): some rules could not be evaluated (listed in findings.json)",
            report.rule_errors.len()
        );
    }
    let complete = estate.snapshot.coverage_complete();
    super::leave((report, estate));
    if !complete {
        eprintln!(
            "linchpin: the inventory is incomplete (see coverage_gaps in manifest.json); exit code 3"
        );
        return Ok(Exit::Partial);
    }
    Ok(Exit::Clean)
}
