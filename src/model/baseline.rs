//! Baseline comparison as reports record it: each finding's state against a previous
//! report, and the findings that report had and this one does not.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Finding, Severity};

/// A finding's state against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BaselineState {
    /// Not in the baseline.
    New,
    /// In the baseline with the same fingerprint.
    Unchanged,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
        }
    }
}

/// A finding of the old report that the new one no longer has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FixedFinding {
    pub id: String,
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub resources: Vec<String>,
    pub message: String,
}

impl From<&Finding> for FixedFinding {
    fn from(f: &Finding) -> Self {
        FixedFinding {
            id: f.id.clone(),
            rule: f.rule.clone(),
            title: f.title.clone(),
            severity: f.severity,
            resources: f.resources.clone(),
            message: f.message.clone(),
        }
    }
}

impl From<Finding> for FixedFinding {
    fn from(f: Finding) -> Self {
        FixedFinding {
            id: f.id,
            rule: f.rule,
            title: f.title,
            severity: f.severity,
            resources: f.resources,
            message: f.message,
        }
    }
}

/// How the report compares with `--baseline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Baseline {
    /// The baseline report file.
    pub file: String,
    /// Findings not in the baseline.
    pub new: usize,
    /// Findings in both.
    pub unchanged: usize,
    /// Findings of the baseline that are gone.
    pub fixed: Vec<FixedFinding>,
}
