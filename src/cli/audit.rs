//! `linchpin audit`: scores, concentration, cut sets, SPOFs and findings.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use linchpin::judge::config;
use linchpin::model::Severity;
use linchpin::report::Format;

use super::exit::Exit;
use super::formats::AuditFormat;
use super::{EstateArgs, RuleArgs};

/// Audit an estate: per provider and region, the scores, concentration, the single zones,
/// regions, providers and resources that stop critical services, and findings with why and how
/// to fix them.
#[derive(Debug, Args)]
#[command(after_help = super::exit::AUDIT.render())]
pub struct AuditArgs {
    /// Exit 1 when an unsuppressed finding at or above this severity exists: critical, high,
    /// medium, low, info, or never.
    #[arg(long, value_name = "SEVERITY", default_value = "never", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Compare with a previous JSON report (`audit --format json`): each finding is marked new
    /// or unchanged by its fingerprint, and the report lists the fixed ones.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// With --baseline: exit 1 when a new unsuppressed finding at or above this severity
    /// exists: critical, high, medium, low, info, or never.
    #[arg(long, value_name = "SEVERITY", default_value = "never", value_parser = parse_fail_on, requires = "baseline")]
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
    /// creating DIR. Every report is rendered before any file is written.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
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

    /// Render every format to memory, then write: to DIR/audit.EXT, to the file, or stdout.
    fn write(
        &self,
        mut render: impl FnMut(Format, &mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        let formats = self.formats();
        if formats.len() > 1 && self.output_dir.is_none() {
            anyhow::bail!("several --format values need --output-dir DIR");
        }
        let mut rendered = Vec::with_capacity(formats.len());
        for &format in &formats {
            let mut buffer = Vec::new();
            render(format, &mut buffer)
                .with_context(|| format!("cannot render the {} report", format.name()))?;
            rendered.push((format, buffer));
        }
        if let Some(dir) = &self.output_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for (format, buffer) in &rendered {
                let path = dir.join(format!("audit.{}", format.extension()));
                super::output::write_atomic(&path, |out| out.write_all(buffer))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            return Ok(());
        }
        let (_, buffer) = &rendered[0];
        super::output::write_output(self.output.as_deref(), |out| out.write_all(buffer))
            .with_context(|| match &self.output {
                Some(path) => format!("cannot write {}", path.display()),
                None => "cannot write to stdout".to_string(),
            })
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
    let baseline = match &args.baseline {
        Some(path) => Some(linchpin::drift::load_report(path).context("--baseline")?),
        None => None,
    };
    let (pack, config) = args.rules.load()?;
    let estate = args.estate.load(&config.critical)?;
    let mut report =
        linchpin::judge::audit::run(&estate, &pack, &config, &args.rules.rules, config::today());
    report.estate.input = args.estate.input();
    if let (Some(baseline), Some(path)) = (&baseline, &args.baseline) {
        linchpin::drift::mark(&mut report, baseline, &path.display().to_string());
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
            let count = linchpin::drift::new_at_or_above(&report, severity);
            if count > 0 {
                eprintln!("linchpin: {count} new finding(s) at or above {severity}");
            }
            count
        }
    };
    if failing + failing_new > 0 {
        Ok(Exit::Findings)
    } else if !estate.snapshot.coverage_complete() {
        eprintln!("linchpin: the inventory is incomplete (see the coverage records); exit code 3");
        Ok(Exit::Partial)
    } else {
        Ok(Exit::Clean)
    }
}
