//! What reports say about a rule: its status and controls, and its documentation under
//! fixed headings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How settled a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Stable,
    Preview,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Stable => "stable",
            Status::Preview => "preview",
        }
    }
}

/// What a rule checks: the consequences the analyses compute on the dependency graph, or one
/// resource's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckType {
    Analysis,
    Resource,
}

impl CheckType {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckType::Analysis => "analysis",
            CheckType::Resource => "resource",
        }
    }
}

/// The controls a rule is evidence for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Controls {
    /// DORA, Regulation (EU) 2022/2554 articles.
    pub dora: Vec<String>,
    /// ISO/IEC 27001:2022 Annex A controls.
    pub iso27001: Vec<String>,
    /// AICPA SOC 2 Trust Services Criteria.
    pub soc2: Vec<String>,
    /// NIST SP 800-53 rev. 5 controls.
    pub nist80053: Vec<String>,
}

/// A rule's documentation, under fixed headings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Docs {
    pub what_it_checks: String,
    pub why_it_is_a_risk: String,
    pub how_to_fix: String,
    pub example: String,
}
