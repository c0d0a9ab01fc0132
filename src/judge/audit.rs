//! One audit run, as `audit` and `export evidence` both do it: analyses, rules, suppressions,
//! scores, and the report that carries them.

use std::path::PathBuf;

use crate::analysis;
use crate::graph::Estate;
use crate::judge::config::Config;
use crate::judge::score;
use crate::report::{AuditReport, RuleInfo, RulesUsed};
use crate::rules::{RulePack, engine};

/// Audit `estate` with the rules of `pack` as the config selects and tunes them (`pack` is
/// the full pack before the config is applied). `today` decides which suppressions expired.
pub fn run(
    estate: &Estate,
    pack: &RulePack,
    config: &Config,
    rule_directories: &[PathBuf],
    today: chrono::NaiveDate,
) -> AuditReport {
    let pack = config.apply(pack);
    let started = std::time::Instant::now();
    let analysis = analysis::analyse(estate);
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "analyses done"
    );
    let evaluation = engine::run(&pack, estate, &analysis);
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        findings = evaluation.findings.len(),
        "rules done"
    );
    let mut findings = evaluation.findings;
    let suppressions = config.suppress(&mut findings, estate, today);
    let scores = score::scores(estate, &findings);
    let mut report = AuditReport::build(estate, &analysis, findings, scores);
    report.rules = RulesUsed {
        digest: pack.digest(),
        enabled: pack.rules.iter().map(|r| r.id.clone()).collect(),
        directories: rule_directories
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
        config: config.path.as_ref().map(|p| p.display().to_string()),
    };
    report.catalog = pack.rules.iter().map(RuleInfo::from).collect();
    report.rule_errors = evaluation.errors;
    report.suppressions = suppressions;
    tracing::info!(
        findings = report.findings.len(),
        rules = pack.rules.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "analysed"
    );
    report
}
