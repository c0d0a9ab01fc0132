//! Findings as documents: a risk with a stable fingerprint, a severity, the path that
//! explains it, how to fix it and the controls it is evidence for, and the errors of rules
//! that could not be evaluated. Findings are data, never errors.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BaselineState, Controls, DomainRef, Money, PathStep};

/// How bad a finding is, least to most.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                format!("unknown severity `{text}`; expected critical, high, medium, low or info")
            })
    }
}

/// One risk found in the estate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable fingerprint: the same risk has the same id from run to run.
    pub id: String,
    pub rule: String,
    /// The rule's title.
    pub title: String,
    pub severity: Severity,
    /// The resources involved (the SPOF or the service first).
    pub resources: Vec<String>,
    /// The failure domains involved.
    pub domains: Vec<DomainRef>,
    /// The critical services the risk stops.
    pub services: Vec<String>,
    /// The impact per hour of what it stops, one amount per currency, when the services
    /// declare one (a manifest's `impact_per_hour`); set on cut-set findings. Not part of the
    /// fingerprint: declaring an impact does not make a finding new.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impact_per_hour: Vec<Money>,
    /// The provider and region the finding is scored under.
    pub provider: String,
    pub region: Option<String>,
    pub message: String,
    /// Why: the chain of requirements from a critical service to the failure.
    pub path: Vec<PathStep>,
    pub remediation: String,
    /// The controls this finding is evidence for (from the rule).
    pub controls: Controls,
    /// Set when a suppression in the config covers it; suppressed findings stay in every
    /// report but neither fail the run nor lower a score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
    /// With `--baseline`: whether the finding is new since the baseline report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Suppressed {
    pub reason: String,
    /// Last day the suppression applies (UTC), if it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where the suppression is written: `linchpin.toml:12`.
    pub by: String,
}

pub fn fingerprint(rule: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule.as_bytes());
    for part in parts {
        hasher.update([0]);
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A rule that could not be evaluated on something: its condition or template failed. Rule
/// errors are reported beside the findings; they are never counted as a pass silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleError {
    pub rule: String,
    /// The resource it was evaluated on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub message: String,
}
