//! The report's figures as flat CSV tables: `scores.csv` and `concentration.csv`.

use std::io;

use crate::analysis::UNPINNED_BUCKET;
use crate::report::AuditReport;

/// One row per score: provider, region (empty for the provider as a whole), score, grade and
/// the deductions that produced it (`rule severity ×factor (n findings)`, in order).
pub(super) fn scores(report: &AuditReport) -> io::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["provider", "region", "score", "grade", "deductions"])?;
    for score in &report.scores {
        let deductions: Vec<String> = score
            .deductions
            .iter()
            .map(|d| {
                format!(
                    "{} {} ×{:.4} ({} finding{})",
                    d.rule,
                    d.severity.as_str(),
                    d.factor,
                    d.findings,
                    if d.findings == 1 { "" } else { "s" }
                )
            })
            .collect();
        writer.write_record([
            score.provider.as_str(),
            score.region.as_deref().unwrap_or(""),
            &score.score.to_string(),
            &score.grade.to_string(),
            &deductions.join("; "),
        ])?;
    }
    writer.into_inner().map_err(|err| err.into_error())
}

/// One row per share of every distribution: the scope (`kind id`, empty for the whole
/// estate), the kind of domain shared over, the population, the domain, its weight and share,
/// and the distribution's HHI and effective count (repeated on each of its rows). A zone
/// distribution with resources deployed without availability zones has one more row, after
/// its zones, whose domain is the bucket `unpinned`.
pub(super) fn concentration(report: &AuditReport) -> io::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "scope",
        "over",
        "population",
        "domain",
        "weight",
        "share",
        "hhi",
        "effective_count",
    ])?;
    for distribution in &report.concentration {
        let scope = distribution
            .scope
            .as_ref()
            .map_or_else(String::new, |s| format!("{} {}", s.kind, s.id));
        let shares = distribution
            .shares
            .iter()
            .map(|s| (s.domain.id.as_str(), s.weight, s.share));
        let bucket = distribution
            .unpinned
            .iter()
            .map(|u| (UNPINNED_BUCKET, u.weight, u.share));
        for (place, weight, share) in shares.chain(bucket) {
            writer.write_record([
                scope.as_str(),
                distribution.over.as_str(),
                distribution.population.as_str(),
                place,
                &weight.to_string(),
                &share.to_string(),
                &distribution.hhi.to_string(),
                &distribution.effective_count.to_string(),
            ])?;
        }
    }
    writer.into_inner().map_err(|err| err.into_error())
}
