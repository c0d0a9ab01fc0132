//! `linchpin audit`: scores, concentration, cut sets, SPOFs and findings.

use std::process::ExitCode;

use clap::Args;
use linchpin::config;
use linchpin::findings::Severity;
use linchpin::report::{AuditReport, Format, RulesUsed};
use linchpin::rules::engine;
use linchpin::{analysis, score};

use super::{EstateArgs, OutputArgs, RuleArgs};

/// Audit an estate: per provider and region, the scores, concentration, the single zones,
/// regions, providers and resources that stop critical services, and findings with why and how
/// to fix them.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct AuditArgs {
    /// Exit 1 when an unsuppressed finding at or above this severity exists: critical, high,
    /// medium, low, info, or never.
    #[arg(long, value_name = "SEVERITY", default_value = "never", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Print how each score is derived, rule by rule (in the table report; on stderr with
    /// other formats, so machine-readable output stays clean).
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    estate: EstateArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    rules: RuleArgs,
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
    let (pack, config) = args.rules.load()?;
    let pack = config.apply(&pack);
    let estate = args.estate.load(&config.critical)?;
    let started = std::time::Instant::now();
    let analysis = analysis::analyse(&estate);
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "analyses done"
    );
    let evaluation = engine::run(&pack, &estate, &analysis);
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        findings = evaluation.findings.len(),
        "rules done"
    );
    let mut findings = evaluation.findings;
    let suppressions = config.suppress(&mut findings, &estate, config::today());
    let scores = score::scores(&estate, &findings);
    let mut report = AuditReport::build(&estate, &analysis, findings, scores);
    report.rules = RulesUsed {
        digest: pack.digest(),
        enabled: pack.rules.iter().map(|r| r.id.clone()).collect(),
        directories: args
            .rules
            .rules
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
        config: config.path.as_ref().map(|p| p.display().to_string()),
    };
    report.rule_errors = evaluation.errors;
    report.suppressions = suppressions;
    tracing::info!(
        findings = report.findings.len(),
        rules = pack.rules.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "analysed"
    );
    let explanation: String = report.scores.iter().map(|s| s.explain()).collect();
    args.output.write(|format, out| {
        report.write(format, out)?;
        if args.explain && format == Format::Table {
            writeln!(out, "Score derivation\n{explanation}")?;
        }
        Ok(())
    })?;
    if args.explain && args.output.format != Format::Table {
        eprint!("Score derivation\n{explanation}");
    }
    if !report.rule_errors.is_empty() {
        eprintln!(
            "linchpin: warning: {} rule error(s): some rules could not be evaluated (listed in the report)",
            report.rule_errors.len()
        );
    }
    let failing = match args.fail_on {
        FailOn::Never => 0,
        FailOn::AtOrAbove(severity) => report.count_at_or_above(severity),
    };
    if failing > 0 {
        if let FailOn::AtOrAbove(severity) = args.fail_on {
            eprintln!("linchpin: {failing} finding(s) at or above {severity}");
        }
        Ok(ExitCode::from(1))
    } else if !estate.snapshot.coverage_complete() {
        eprintln!("linchpin: the inventory is incomplete (see the coverage records); exit code 3");
        Ok(ExitCode::from(super::crawl::EXIT_PARTIAL))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
