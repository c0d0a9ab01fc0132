//! The rule pack: declarative checks read from TOML files (`rules/` is embedded in the
//! binary; `--rules DIR` adds and overrides by id). A rule either matches resources by kind
//! and a CEL condition over their facts, or parameterises one of the exact analyses.
//! `load` reads and validates files; `cel_expr` compiles conditions and message templates;
//! `facts` turns a resource and the graph into CEL values; `produce` turns the analyses'
//! results into findings for the analysis rules; `engine` runs a pack against an estate and
//! yields findings.

pub mod cel_expr;
pub mod engine;
pub mod facts;
mod lazy;
pub mod load;
mod native;
pub mod produce;
pub mod third_party;

use crate::analysis::Population;
use crate::model::{CheckType, Controls, Docs, DomainKind, Severity, Status};
pub use cel_expr::{Condition, Template};
pub use load::{BUILTIN_FILES, RulePack};

/// How settled a rule is.
/// A pattern over resource kinds: exact, `prefix*`, or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindPattern(pub String);

impl KindPattern {
    pub fn matches(&self, kind: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => kind.starts_with(prefix),
            None => self.0 == kind,
        }
    }
}

/// Which exact analysis an analysis rule parameterises.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisCheck {
    /// Losing one domain of this kind stops a critical service.
    CutSet {
        domain: DomainKind,
    },
    /// One resource's failure stops a critical service; `managed_severity` applies to
    /// resources placed over several zones or regionally.
    ResourceSpof {
        managed_severity: Severity,
    },
    /// A scope's shares over `over` domains break a threshold.
    Concentration {
        over: DomainKind,
        population: Population,
        max_share: Option<f64>,
        max_hhi: Option<f64>,
        min_domains: Option<usize>,
    },
    /// A tier keeps fewer than `headroom × capacity` members after its worst zone is lost.
    NMinusOne {
        capacity_attribute: String,
        headroom: f64,
    },
    UnknownPlacement,
    CoverageGap,
    /// A redundant group whose members are of different providers, yet one domain takes
    /// enough of them down (two vendors that run on one cloud region).
    SharedFate,
    /// The third parties (every provider other than the entity itself) the critical
    /// functions depend on concentrate on one provider or one country.
    ThirdPartyConcentration {
        by: ThirdPartyScope,
        max_share: Option<f64>,
        max_hhi: Option<f64>,
    },
}

/// What third-party concentration is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThirdPartyScope {
    Provider,
    Country,
}

impl ThirdPartyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ThirdPartyScope::Provider => "provider",
            ThirdPartyScope::Country => "country",
        }
    }
}

impl AnalysisCheck {
    /// The `type` name in rule files.
    pub fn type_name(&self) -> &'static str {
        match self {
            AnalysisCheck::CutSet { .. } => "cut-set",
            AnalysisCheck::ResourceSpof { .. } => "resource-spof",
            AnalysisCheck::Concentration { .. } => "concentration",
            AnalysisCheck::NMinusOne { .. } => "n-minus-one",
            AnalysisCheck::UnknownPlacement => "unknown-placement",
            AnalysisCheck::CoverageGap => "coverage-gap",
            AnalysisCheck::SharedFate => "shared-fate",
            AnalysisCheck::ThirdPartyConcentration { .. } => "third-party-concentration",
        }
    }

    /// The variables its message and remediation templates may use.
    pub fn variables(&self) -> &'static [&'static str] {
        match self {
            AnalysisCheck::CutSet { .. } => &[
                "service",
                "domain",
                "domain_id",
                "broken",
                "path_end",
                "impact",
                "impact_per_hour",
            ],
            AnalysisCheck::ResourceSpof { .. } => &["resource", "services", "together_with"],
            AnalysisCheck::Concentration { .. } => &[
                "scope",
                "over",
                "largest",
                "largest_unpinned",
                "share_percent",
                "unpinned_percent",
                "hhi",
                "effective_count",
                "domains",
                "breaches",
            ],
            AnalysisCheck::NMinusOne { .. } => &[
                "resource",
                "capacity",
                "members",
                "remaining",
                "zone",
                "services",
            ],
            AnalysisCheck::UnknownPlacement => &["resource", "falls_with"],
            AnalysisCheck::SharedFate => &[
                "resource",
                "group",
                "providers",
                "domain",
                "runs_on",
                "services",
            ],
            AnalysisCheck::ThirdPartyConcentration { .. } => &[
                "by",
                "largest",
                "share_percent",
                "hhi",
                "effective_count",
                "count",
                "functions",
                "breakdown",
                "breaches",
            ],
            AnalysisCheck::CoverageGap => &[
                "source",
                "account",
                "region",
                "service",
                "operation",
                "error",
            ],
        }
    }
}

/// What a rule looks at.
#[derive(Debug, Clone)]
pub enum Check {
    /// Resources of these kinds for which the condition holds.
    Resource {
        kinds: Vec<KindPattern>,
        condition: Condition,
    },
    Analysis(AnalysisCheck),
}

/// One validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub since: String,
    pub check: Check,
    pub message: Template,
    pub remediation: Template,
    pub references: Vec<String>,
    pub controls: Controls,
    pub docs: Docs,
    /// Where it came from: `rules/aws/x.toml` for built-ins, the path otherwise.
    pub origin: String,
    /// The file's text, for `rules explain` and the pack digest.
    pub text: String,
}

impl Rule {
    pub fn is_analysis(&self) -> bool {
        matches!(self.check, Check::Analysis(_))
    }

    /// What the rule checks: analysis consequences or resource attributes.
    pub fn check_type(&self) -> CheckType {
        match self.check {
            Check::Analysis(_) => CheckType::Analysis,
            Check::Resource { .. } => CheckType::Resource,
        }
    }

    /// Whether a resource rule applies to a kind (never for analysis rules).
    pub fn applies_to(&self, kind: &str) -> bool {
        match &self.check {
            Check::Resource { kinds, .. } => kinds.iter().any(|k| k.matches(kind)),
            Check::Analysis(_) => false,
        }
    }
}
