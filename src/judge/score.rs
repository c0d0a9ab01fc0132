//! Scores: 0–100 and a letter per provider and per (provider, region), derived only from the
//! open (unsuppressed) findings scored there.
//!
//! Findings are taken rule by rule, so one weakness repeated across many resources lowers a
//! score without flooring it. For each rule with open findings in the scope, the worst finding
//! keeps the severity's fraction of the score — critical ×0.60, high ×0.80, medium ×0.92,
//! low ×0.98, info ×1 — and each further finding of that rule, up to
//! [`EXTRA_FINDINGS_COUNTED`], keeps a quarter of that loss (high: ×0.95). The score is
//! `round(100 × product)`; the grade is A ≥ 90, B ≥ 80, C ≥ 65, D ≥ 50, else F. A provider's
//! score counts every finding of the provider; a region's only those scored in that region.
//! Each score keeps its deductions, and [`explain`] prints the derivation.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::graph::Estate;
use crate::model::{Deduction, DomainKind, Finding, Score, Severity};

/// How many findings of one rule beyond the worst still lower a score.
pub const EXTRA_FINDINGS_COUNTED: usize = 4;

/// The fraction of the score the worst finding of a rule keeps.
pub fn factor(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 0.60,
        Severity::High => 0.80,
        Severity::Medium => 0.92,
        Severity::Low => 0.98,
        Severity::Info => 1.0,
    }
}

/// The fraction each further finding of the same rule keeps: a quarter of the loss.
pub fn extra_factor(severity: Severity) -> f64 {
    1.0 - (1.0 - factor(severity)) / 4.0
}

/// The letter for a score.
pub fn grade(score: u8) -> char {
    match score {
        90.. => 'A',
        80..=89 => 'B',
        65..=79 => 'C',
        50..=64 => 'D',
        _ => 'F',
    }
}

/// The derivation of a score, line by line.
pub fn explain(score: &Score) -> String {
    let mut out = String::new();
    let scope = match &score.region {
        Some(region) => format!("{} / {region}", score.provider),
        None => format!("{} (all regions)", score.provider),
    };
    let _ = writeln!(out, "{scope}: start at 100");
    let mut running = 100.0;
    for d in &score.deductions {
        running *= d.factor;
        let more = if d.extra_counted > 0 {
            format!(
                " × {:.2}^{} for {} more",
                extra_factor(d.severity),
                d.extra_counted,
                d.extra_counted
            )
        } else {
            String::new()
        };
        let ignored = d.findings - 1 - d.extra_counted;
        let ignored = if ignored > 0 {
            format!(" ({ignored} further not counted)")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  × {:.3}  {}: {} finding{}, worst {} — {:.2}{more}{ignored} → {:.1}",
            d.factor,
            d.rule,
            d.findings,
            if d.findings == 1 { "" } else { "s" },
            d.severity,
            factor(d.severity),
            running
        );
    }
    let _ = writeln!(out, "  = {} (grade {})", score.score, score.grade);
    out
}

/// Score every provider and region of the estate: providers first, each followed by its
/// regions, sorted by name. Suppressed findings do not count.
pub fn scores(estate: &Estate, findings: &[Finding]) -> Vec<Score> {
    let mut scopes: Vec<(String, Option<String>)> = estate
        .domains
        .iter()
        .filter_map(|d| match d.kind {
            DomainKind::Provider => Some((d.id.clone(), None)),
            DomainKind::Region => Some((d.provider.clone(), Some(d.id.clone()))),
            DomainKind::Zone => None,
        })
        .collect();
    scopes.sort();
    // One pass over the findings: each lands in its provider's list and its region's.
    let mut scoped: HashMap<(&str, Option<&str>), Vec<&Finding>> = HashMap::new();
    for finding in findings.iter().filter(|f| f.suppressed.is_none()) {
        scoped
            .entry((&finding.provider, None))
            .or_default()
            .push(finding);
        if let Some(region) = &finding.region {
            scoped
                .entry((&finding.provider, Some(region)))
                .or_default()
                .push(finding);
        }
    }
    scopes
        .into_iter()
        .map(|(provider, region)| {
            let in_scope = scoped
                .get(&(provider.as_str(), region.as_deref()))
                .map_or(&[][..], Vec::as_slice);
            let deductions = deductions(in_scope);
            let product: f64 = deductions.iter().map(|d| d.factor).product();
            let score = (100.0 * product).round() as u8;
            Score {
                provider,
                region,
                score,
                grade: grade(score),
                deductions,
            }
        })
        .collect()
}

/// One deduction per rule with findings that lower a score, largest loss first.
fn deductions(findings: &[&Finding]) -> Vec<Deduction> {
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        by_rule.entry(&finding.rule).or_default().push(finding);
    }
    let mut deductions: Vec<Deduction> = by_rule
        .into_iter()
        .filter_map(|(rule, mut findings)| {
            findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
            let worst = findings[0].severity;
            if factor(worst) >= 1.0 {
                return None;
            }
            let extra: Vec<&&Finding> = findings[1..]
                .iter()
                .filter(|f| factor(f.severity) < 1.0)
                .take(EXTRA_FINDINGS_COUNTED)
                .collect();
            // Further findings count at the worst finding's rate: one rule, one weakness.
            let kept = factor(worst) * extra_factor(worst).powi(extra.len() as i32);
            Some(Deduction {
                rule: rule.to_string(),
                severity: worst,
                findings: findings.len(),
                extra_counted: extra.len(),
                factor: (kept * 1e4).round() / 1e4,
                finding_ids: findings.iter().map(|f| f.id.clone()).collect(),
            })
        })
        .collect();
    deductions.sort_by(|a, b| {
        a.factor
            .total_cmp(&b.factor)
            .then_with(|| a.rule.cmp(&b.rule))
    });
    deductions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_have_fixed_bounds() {
        assert_eq!(grade(100), 'A');
        assert_eq!(grade(90), 'A');
        assert_eq!(grade(89), 'B');
        assert_eq!(grade(80), 'B');
        assert_eq!(grade(79), 'C');
        assert_eq!(grade(65), 'C');
        assert_eq!(grade(64), 'D');
        assert_eq!(grade(50), 'D');
        assert_eq!(grade(49), 'F');
        assert_eq!(grade(0), 'F');
    }

    #[test]
    fn factors_order_by_severity() {
        let factors: Vec<f64> = Severity::ALL.iter().map(|&s| factor(s)).collect();
        assert!(factors.windows(2).all(|w| w[0] < w[1]), "{factors:?}");
        assert_eq!(factor(Severity::Info), 1.0);
        assert!((extra_factor(Severity::High) - 0.95).abs() < 1e-12);
    }
}
