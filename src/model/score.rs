//! Scores as documents: 0–100 and a letter per provider or (provider, region), with the
//! deductions that derive them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Severity;

/// One rule's effect on a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Deduction {
    pub rule: String,
    /// The worst severity among the rule's open findings in the scope.
    pub severity: Severity,
    /// Open findings of the rule in the scope.
    pub findings: usize,
    /// Of those, the ones beyond the worst that were counted (at most
    /// `EXTRA_FINDINGS_COUNTED`).
    pub extra_counted: usize,
    /// The fraction of the score kept: `factor(severity) × extra_factor^extra_counted`.
    pub factor: f64,
    /// The findings' ids.
    pub finding_ids: Vec<String>,
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
