//! `linchpin audit`: scores, concentration, cut sets, SPOFs and findings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use linchpin::graph::Estate;
use linchpin::judge::config;
use linchpin::model::{BaselineState, Finding, Severity};
use linchpin::report::{AuditReport, CodeLocation, Format};
use linchpin::sources::declarations::Declarations;

use super::exit::Exit;
use super::formats::AuditFormat;
use super::{EstateArgs, RuleArgs};

/// Audit an estate: per provider and region, the scores, concentration, the single zones,
/// regions, providers and resources that stop critical services, and findings with why and how
/// to fix them.
///
/// A Terraform plan (`terraform show -json plan.out > plan.json`, then `--terraform
/// plan.json`) is audited as its planned estate, and each finding is marked new or unchanged
/// against the plan's prior state automatically, as --baseline does with a report: `--fail-on-new
/// high` then fails a change that introduces a high finding, and passes one that does not.
/// An explicit --baseline takes the place of the prior state.
#[derive(Debug, Args)]
#[command(after_help = super::exit::AUDIT.render())]
pub struct AuditArgs {
    /// Exit 1 when an unsuppressed finding at or above this severity exists: critical, high,
    /// medium, low, info, or never.
    #[arg(long, value_name = "SEVERITY", default_value = "never", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Compare with a previous JSON report (`audit --format json`): each finding is marked new
    /// or unchanged by its fingerprint, and the report lists the fixed ones. A Terraform plan
    /// is compared with its own prior state without it; given with a plan, this report is
    /// compared with instead.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Exit 1 when a new unsuppressed finding at or above this severity exists: critical,
    /// high, medium, low, info, or never. New against --baseline, or, for a Terraform plan
    /// (--terraform plan.json), against the plan's prior state: the findings the plan would
    /// introduce.
    #[arg(long, value_name = "SEVERITY", default_value = "never", value_parser = parse_fail_on)]
    fail_on_new: FailOn,

    /// Print how each score is derived, rule by rule (in the table report; on stderr with
    /// other formats, so machine-readable output stays clean).
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    estate: EstateArgs,
    #[command(flatten)]
    output: AuditOutput,
    #[command(flatten)]
    rules: RuleArgs,
}

/// Where and how to write the audit report.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct AuditOutput {
    /// Output format; repeatable (or comma-separated) with --output-dir to write several at
    /// once.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "table")]
    format: Vec<AuditFormat>,
    /// Write the report to FILE (atomically) instead of stdout; one format only.
    #[arg(long, value_name = "FILE", conflicts_with = "output_dir")]
    output: Option<PathBuf>,
    /// Write each format to DIR/audit.EXT (txt, json, csv, md, html, sarif, junit.xml),
    /// creating DIR. No report is put in place unless all of them were written.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Point SARIF results at the `.tf` file and line that declares each Terraform resource
    /// (found by its address in the `*.tf` files under DIR, local modules followed), so code
    /// scanning annotates the code; a result whose resource is not found keeps its location.
    #[arg(long, value_name = "DIR")]
    tf_dir: Option<PathBuf>,
}

impl AuditOutput {
    /// The formats asked for, each once, in the order given.
    fn formats(&self) -> Vec<Format> {
        let mut formats = Vec::new();
        for &format in &self.format {
            let format = Format::from(format);
            if !formats.contains(&format) {
                formats.push(format);
            }
        }
        formats
    }

    /// Write every format: to DIR/audit.EXT, to the file, or stdout. Each report is streamed
    /// to a temporary file beside its destination (several at once, one per core); they are
    /// renamed into place only when all are written, so a failed run leaves no report of it.
    fn write(
        &self,
        render: impl Fn(Format, &mut dyn std::io::Write) -> std::io::Result<()> + Sync,
    ) -> anyhow::Result<()> {
        let formats = self.formats();
        if formats.len() > 1 && self.output_dir.is_none() {
            anyhow::bail!("several --format values need --output-dir DIR");
        }
        if let Some(dir) = &self.output_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let stage = |format: Format| {
                let path = dir.join(format!("audit.{}", format.extension()));
                let file = super::output::stage(&path, |out| render(format, out))
                    .with_context(|| format!("cannot write the {} report", format.name()))?;
                anyhow::Ok((path, file))
            };
            let staged = linchpin::parallel::map(&formats, |&format| stage(format))
                .into_iter()
                .collect::<anyhow::Result<Vec<_>>>()?;
            for (path, file) in staged {
                file.commit()
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            return Ok(());
        }
        let format = formats[0];
        super::output::write_output(self.output.as_deref(), |out| render(format, out)).with_context(
            || match &self.output {
                Some(path) => format!("cannot write {}", path.display()),
                None => "cannot write to stdout".to_string(),
            },
        )
    }
}

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy)]
pub enum FailOn {
    Never,
    AtOrAbove(Severity),
}

pub fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    if text == "never" {
        Ok(FailOn::Never)
    } else {
        text.parse().map(FailOn::AtOrAbove)
    }
}

pub fn run(args: &AuditArgs) -> anyhow::Result<Exit> {
    super::check_distinct(&args.estate, args.output.output.as_deref())?;
    let fails_on_new = matches!(args.fail_on_new, FailOn::AtOrAbove(_));
    if fails_on_new && args.baseline.is_none() && !args.estate.may_hold_plan() {
        anyhow::bail!("--fail-on-new needs --baseline FILE, or a Terraform plan (--terraform)");
    }
    let baseline = match &args.baseline {
        Some(path) => Some(linchpin::drift::load_report(path).context("--baseline")?),
        None => None,
    };
    let declarations =
        match &args.output.tf_dir {
            Some(dir) => Some(Declarations::scan(dir).with_context(|| {
                format!("--tf-dir {}: cannot read the directory", dir.display())
            })?),
            None => None,
        };
    let (pack, config) = args.rules.load()?;
    let (estate, prior) = args.estate.load_with_prior(&config)?;
    let today = config::today();
    let audit = |estate: &Estate| {
        let mut report =
            linchpin::judge::audit::run(estate, &pack, &config, &args.rules.rules, today);
        report.estate.input = args.estate.input();
        report
    };
    let mut report = audit(&estate);
    match (&baseline, &args.baseline, prior) {
        (Some(baseline), Some(path), prior) => {
            if let Some(prior) = prior {
                tracing::info!(
                    "comparing with --baseline {}, not with {}",
                    path.display(),
                    prior.label
                );
            }
            linchpin::drift::mark(&mut report, baseline, &path.display().to_string());
        }
        (_, _, Some(prior)) => {
            let before = audit(&prior.estate);
            linchpin::drift::mark(&mut report, &before, &prior.label);
        }
        _ if fails_on_new => {
            anyhow::bail!(
                "--fail-on-new needs --baseline FILE, or a Terraform plan: no file given with \
                 --terraform is a plan"
            );
        }
        _ => {}
    }
    if let Some(declarations) = &declarations {
        report.code_locations = code_locations(&estate, declarations);
    }
    let explanation: String = report
        .scores
        .iter()
        .map(linchpin::judge::score::explain)
        .collect();
    args.output.write(|format, out| {
        report.write(format, out)?;
        if args.explain && format == Format::Table {
            writeln!(out, "Score derivation\n{explanation}")?;
        }
        Ok(())
    })?;
    if args.explain && !args.output.formats().contains(&Format::Table) {
        eprint!("Score derivation\n{explanation}");
    }
    if !report.rule_errors.is_empty() {
        tracing::warn!(
            "{} rule error(s): some rules could not be evaluated (listed in the report)",
            report.rule_errors.len()
        );
    }
    let exit = exit_code(args, &report, estate.snapshot.coverage_complete());
    super::leave((report, estate));
    Ok(exit)
}

/// The exit code: findings at or above --fail-on, new ones at or above --fail-on-new (each
/// listed on stderr), else whether the inventory is complete.
fn exit_code(args: &AuditArgs, report: &AuditReport, complete: bool) -> Exit {
    let failing = match args.fail_on {
        FailOn::Never => 0,
        FailOn::AtOrAbove(severity) => report.count_at_or_above(severity),
    };
    if failing > 0
        && let FailOn::AtOrAbove(severity) = args.fail_on
    {
        eprintln!("linchpin: {failing} finding(s) at or above {severity}");
    }
    let failing_new = match args.fail_on_new {
        FailOn::Never => 0,
        FailOn::AtOrAbove(severity) => {
            let count = linchpin::drift::new_at_or_above(report, severity);
            if count > 0 {
                let against = report
                    .baseline
                    .as_ref()
                    .map(|b| format!(" (not in {})", b.file))
                    .unwrap_or_default();
                eprintln!("linchpin: {count} new finding(s) at or above {severity}{against}:");
                list_new(report, severity);
            }
            count
        }
    };
    if failing + failing_new > 0 {
        Exit::Findings
    } else if !complete {
        eprintln!("linchpin: the inventory is incomplete (see the coverage records); exit code 3");
        Exit::Partial
    } else {
        Exit::Clean
    }
}

/// At most this many new findings are listed on stderr; the report has them all.
const NEW_LISTED: usize = 20;

/// The new unsuppressed findings at or above `severity`, one line each, most severe first.
fn list_new(report: &AuditReport, severity: Severity) {
    let mut new: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| {
            f.baseline == Some(BaselineState::New)
                && f.suppressed.is_none()
                && f.severity >= severity
        })
        .collect();
    new.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    for finding in new.iter().take(NEW_LISTED) {
        eprintln!(
            "  {} {}: {}",
            finding.severity, finding.rule, finding.message
        );
    }
    if new.len() > NEW_LISTED {
        eprintln!(
            "  ... and {} more (listed in the report)",
            new.len() - NEW_LISTED
        );
    }
}

/// Where the configuration declares each resource of Terraform (by its `tf_address`), as a
/// path relative to the working directory when it is under it.
fn code_locations(estate: &Estate, declarations: &Declarations) -> BTreeMap<String, CodeLocation> {
    let cwd = std::env::current_dir().ok();
    let mut locations = BTreeMap::new();
    for resource in &estate.snapshot.resources {
        let Some(address) = resource
            .attributes
            .get("tf_address")
            .and_then(|a| a.as_str())
        else {
            continue;
        };
        let Some(declared) = declarations.locate(address) else {
            tracing::debug!("{address}: no declaration found under --tf-dir");
            continue;
        };
        let path = match &cwd {
            Some(cwd) if declared.file.is_absolute() => declared
                .file
                .strip_prefix(cwd)
                .unwrap_or(&declared.file)
                .to_path_buf(),
            _ => declared.file.clone(),
        };
        locations.insert(
            resource.id.clone(),
            CodeLocation {
                path: path.to_string_lossy().replace('\\', "/"),
                line: declared.line,
            },
        );
    }
    locations
}
