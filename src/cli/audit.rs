//! `linchpin audit`: scores, concentration, cut sets, SPOFs and findings.

use std::process::ExitCode;

use clap::Args;
use linchpin::findings::{self, Severity};
use linchpin::report::AuditReport;
use linchpin::{analysis, score};

use super::{EstateArgs, OutputArgs};

/// Audit an estate: per provider and region, the scores, concentration, the single zones,
/// regions, providers and resources that stop critical services, and findings with why and how
/// to fix them.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct AuditArgs {
    #[command(flatten)]
    estate: EstateArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Exit 1 when a finding at or above this severity exists: critical, high, medium, low,
    /// info, or never.
    #[arg(long, value_name = "SEVERITY", default_value = "never", value_parser = parse_fail_on)]
    fail_on: FailOn,
}

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy)]
pub enum FailOn {
    Never,
    AtOrAbove(Severity),
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    if text == "never" {
        Ok(FailOn::Never)
    } else {
        text.parse().map(FailOn::AtOrAbove)
    }
}

pub fn run(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    super::check_distinct(&args.estate, &args.output)?;
    let estate = args.estate.load()?;
    let started = std::time::Instant::now();
    let analysis = analysis::analyse(&estate);
    let findings = findings::findings(&estate, &analysis);
    let scores = score::scores(&estate, &findings);
    let report = AuditReport::build(&estate, &analysis, findings, scores);
    tracing::info!(
        findings = report.findings.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "analysed"
    );
    args.output.write(|format, out| report.write(format, out))?;
    let failing = match args.fail_on {
        FailOn::Never => 0,
        FailOn::AtOrAbove(severity) => report.count_at_or_above(severity),
    };
    if failing > 0 {
        if let FailOn::AtOrAbove(severity) = args.fail_on {
            eprintln!("linchpin: {failing} finding(s) at or above {severity}");
        }
        Ok(ExitCode::from(1))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
