//! Scores: 0–100 and a letter per provider and per (provider, region), derived only from the
//! findings scored there.
//!
//! Each open finding keeps a fraction of the score: critical ×0.60, high ×0.80, medium ×0.92,
//! low ×0.98, info ×1. The score is `round(100 × product)`; the grade is A ≥ 90, B ≥ 80,
//! C ≥ 65, D ≥ 50, else F. A provider's score counts every finding of the provider (all its
//! regions); a region's only those scored in that region. The deductions are kept so the
//! derivation can be printed line by line.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::findings::{Finding, Severity};
use crate::graph::{DomainKind, Estate};

/// The fraction of the score a finding of this severity keeps.
pub fn factor(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 0.60,
        Severity::High => 0.80,
        Severity::Medium => 0.92,
        Severity::Low => 0.98,
        Severity::Info => 1.0,
    }
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

/// One finding's effect on a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Deduction {
    pub finding: String,
    pub rule: String,
    pub severity: Severity,
    pub factor: f64,
}

/// The score of a provider (`region` null) or of one region of a provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Score {
    pub provider: String,
    pub region: Option<String>,
    pub score: u8,
    pub grade: char,
    pub deductions: Vec<Deduction>,
}

/// Score every provider and region of the estate: providers first, each followed by its
/// regions, sorted by name.
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
    for finding in findings {
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
            let deductions: Vec<Deduction> = in_scope
                .iter()
                .filter(|f| factor(f.severity) < 1.0)
                .map(|f| Deduction {
                    finding: f.id.clone(),
                    rule: f.rule.clone(),
                    severity: f.severity,
                    factor: factor(f.severity),
                })
                .collect();
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
    }
}
