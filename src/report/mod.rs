//! Reports: the audit and simulation results as documents (`linchpin.report/v1`,
//! `linchpin.simulation/v1`), and one writer per format: terminal tables, JSON, CSV, Markdown,
//! HTML (with `svg` for its charts and picture), SARIF and JUnit. Writers take any
//! `impl Write`; nothing here prints.

mod csv_out;
mod html;
mod incident;
mod json;
mod junit;
mod markdown;
mod sarif;
mod svg;
mod table;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::impact::{self, FunctionFacts, OutageDuration};
use crate::analysis::{Analysis, Concentration, Failure, Outcome, simulated_path};
use crate::graph::{CriticalReason, Estate, ResourceIx};
use crate::model::{
    CheckType, Controls, CoverageRecord, Docs, DomainKind, DomainRef, Finding, Money, PathStep,
    RuleError, Score, Severity, Source, Status, SuppressionUse,
};
use crate::rules::Rule;
use crate::view::View;

/// The value of `schema` in an audit report.
pub const REPORT_SCHEMA: &str = "linchpin.report/v1";
/// The value of `schema` in a simulation report.
pub const SIMULATION_SCHEMA: &str = "linchpin.simulation/v1";

/// Output formats of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// Terminal tables.
    Table,
    /// The JSON document (`linchpin.report/v1`).
    Json,
    /// One CSV row per finding.
    Csv,
    /// A summary for a pull request or CI job page (GitHub-flavoured Markdown).
    Markdown,
    /// One self-contained HTML page with score cards, charts, the critical services'
    /// dependency picture and the findings.
    Html,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: one test case per rule and critical service or resource.
    Junit,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Table,
        Format::Json,
        Format::Csv,
        Format::Markdown,
        Format::Html,
        Format::Sarif,
        Format::Junit,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
        }
    }

    /// The file name extension for this format (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Sarif => "sarif",
            Format::Junit => "junit.xml",
        }
    }
}

/// Output formats of `simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulationFormat {
    /// Terminal tables.
    Table,
    /// The JSON document (`linchpin.simulation/v1`).
    Json,
    /// One CSV row per downed resource.
    Csv,
    /// The incident view: what stops, by business function and owner, most impact first,
    /// ready to paste into an incident channel.
    Markdown,
}

/// The tool that wrote a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn current() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// What was audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EstateSummary {
    /// The snapshot file the estate was read from (`--snapshot`, `--save-snapshot`, or for the
    /// demo estate its committed copy `examples/demo-snapshot.json`), or the one Terraform
    /// file it was imported from; absent for an unsaved crawl or several files. SARIF results
    /// point at it when no infrastructure-as-code file is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    pub sources: Vec<Source>,
    pub resources: usize,
    pub providers: Vec<String>,
    pub regions: Vec<String>,
    pub zones: Vec<String>,
    /// Resources the estate references but another snapshot holds (external stand-ins):
    /// outside this audit until the snapshots are merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external: Vec<ExternalReference>,
}

/// A resource referenced from the estate but held by another snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExternalReference {
    pub id: String,
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub kind: String,
    /// How many resources of the estate need it.
    pub required_by: usize,
}

impl ExternalReference {
    /// The external stand-ins of an estate, sorted by id, each with how many resources need it.
    pub fn of(estate: &Estate) -> Vec<ExternalReference> {
        let resources = &estate.snapshot.resources;
        if !resources.iter().any(|r| r.external) {
            return Vec::new();
        }
        let mut needed: HashMap<&str, usize> = HashMap::new();
        for resource in resources {
            let mut members: Vec<&str> = resource
                .requirements
                .iter()
                .flat_map(|g| g.members())
                .map(String::as_str)
                .collect();
            members.sort_unstable();
            members.dedup();
            for member in members {
                *needed.entry(member).or_default() += 1;
            }
        }
        let mut external: Vec<ExternalReference> = resources
            .iter()
            .filter(|r| r.external)
            .map(|r| ExternalReference {
                id: r.id.clone(),
                provider: r.provider.clone(),
                account: r.account.clone(),
                region: r.region.clone(),
                kind: r.kind.clone(),
                required_by: needed.get(r.id.as_str()).copied().unwrap_or(0),
            })
            .collect();
        external.sort_by(|a, b| a.id.cmp(&b.id));
        external
    }
}

/// A critical service and why it counts as one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CriticalEntry {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub reason: CriticalReason,
    /// A business function's declared owner (a manifest's `owner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// A business function's declared impact of an hour of outage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_per_hour: Option<Money>,
}

/// An impact per hour for people (`180,000 USD/h`), or `none` when there is none.
fn per_hour_text(money: Option<&Money>, none: &str) -> String {
    money.map_or_else(
        || none.to_string(),
        |m| format!("{}/h", impact::money_text(m)),
    )
}

/// The single domains whose loss alone stops a critical service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CutSet {
    pub service: String,
    pub domains: Vec<DomainRef>,
}

/// The single resources whose failure alone stops a critical service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceSpofs {
    pub service: String,
    pub resources: Vec<String>,
}

/// The audit report (`linchpin.report/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditReport {
    pub schema: String,
    pub tool: Tool,
    pub estate: EstateSummary,
    pub critical_services: Vec<CriticalEntry>,
    pub scores: Vec<Score>,
    pub concentration: Vec<Concentration>,
    pub cut_sets: Vec<CutSet>,
    pub spofs: Vec<ServiceSpofs>,
    pub findings: Vec<Finding>,
    pub coverage: Vec<CoverageRecord>,
    /// Number of findings per severity, suppressed ones excluded.
    pub summary: BTreeMap<Severity, usize>,
    /// Number of suppressed findings.
    pub suppressed: usize,
    /// The rule pack and config that produced the findings.
    pub rules: RulesUsed,
    /// Rules that could not be evaluated on some resource (never silently passed).
    pub rule_errors: Vec<RuleError>,
    /// What each suppression in the config did.
    pub suppressions: Vec<SuppressionUse>,
    /// With `--baseline`: the comparison with the baseline report (each finding also carries
    /// its `baseline` state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::model::Baseline>,
    /// The critical services and what they require, for pictures (HTML); not part of the
    /// JSON document.
    #[serde(skip)]
    #[schemars(skip)]
    pub picture: View,
    /// The enabled rules' titles, documentation and controls, for formats that describe
    /// rules (SARIF, JUnit, HTML); not part of the JSON document.
    #[serde(skip)]
    #[schemars(skip)]
    pub catalog: Vec<RuleInfo>,
    /// Where the code declares each resource (by id), when the run was told where the code is
    /// (`audit --tf-dir`): SARIF results point there instead of at the snapshot; not part of
    /// the JSON document.
    #[serde(skip)]
    #[schemars(skip)]
    pub code_locations: BTreeMap<String, CodeLocation>,
}

/// A place in the code that declares a resource: a file (a relative path with `/`
/// separators, as code scanning expects) and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLocation {
    pub path: String,
    pub line: u32,
}

/// What formats need to know about a rule beyond its id.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    /// The rule's own severity (findings may carry another: SPOF severities, config).
    pub severity: Severity,
    pub status: Status,
    pub check_type: CheckType,
    pub docs: Docs,
    pub references: Vec<String>,
    pub controls: Controls,
    /// `rules/aws/x.toml` for built-ins, the file path otherwise.
    pub origin: String,
}

impl From<&Rule> for RuleInfo {
    fn from(rule: &Rule) -> Self {
        RuleInfo {
            id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            status: rule.status,
            check_type: rule.check_type(),
            docs: rule.docs.clone(),
            references: rule.references.clone(),
            controls: rule.controls.clone(),
            origin: rule.origin.clone(),
        }
    }
}

/// At most this many resources are drawn in the HTML report's dependency picture.
pub const PICTURE_LIMIT: usize = 120;

/// Which rules ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RulesUsed {
    /// SHA-256 of the enabled rules' files (origin and text, in id order).
    pub digest: String,
    /// Ids of the enabled rules.
    pub enabled: Vec<String>,
    /// Directories given with `--rules`.
    pub directories: Vec<String>,
    /// The config file read, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

impl AuditReport {
    pub fn build(
        estate: &Estate,
        analysis: &Analysis,
        findings: Vec<Finding>,
        scores: Vec<Score>,
    ) -> Self {
        let mut summary: BTreeMap<Severity, usize> =
            Severity::ALL.iter().map(|&s| (s, 0)).collect();
        let mut suppressed = 0;
        for finding in &findings {
            if finding.suppressed.is_some() {
                suppressed += 1;
            } else {
                *summary.entry(finding.severity).or_default() += 1;
            }
        }
        let names = |kind: DomainKind| {
            let mut names: Vec<String> = estate
                .domains
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| d.id.clone())
                .collect();
            names.sort();
            names
        };
        AuditReport {
            schema: REPORT_SCHEMA.into(),
            tool: Tool::current(),
            estate: EstateSummary {
                input: None,
                sources: estate.snapshot.sources.clone(),
                resources: estate.len(),
                providers: names(DomainKind::Provider),
                regions: names(DomainKind::Region),
                zones: names(DomainKind::Zone),
                external: ExternalReference::of(estate),
            },
            critical_services: estate
                .critical
                .iter()
                .map(|service| {
                    let r = estate.resource(service.resource);
                    let facts = FunctionFacts::of(r);
                    CriticalEntry {
                        id: r.id.clone(),
                        name: r.label().to_string(),
                        kind: r.kind.clone(),
                        reason: service.reason,
                        owner: facts.owner,
                        impact_per_hour: facts.impact_per_hour,
                    }
                })
                .collect(),
            scores,
            concentration: analysis.concentration.clone(),
            cut_sets: analysis
                .cut_sets
                .iter()
                .map(|(service, domains)| CutSet {
                    service: estate.resource(service.resource).id.clone(),
                    domains: domains.iter().map(|&d| estate.domain(d).to_ref()).collect(),
                })
                .collect(),
            spofs: analysis
                .spofs
                .iter()
                .map(|(service, spofs)| ServiceSpofs {
                    service: estate.resource(service.resource).id.clone(),
                    resources: spofs
                        .iter()
                        .map(|&r| estate.resource(r).id.clone())
                        .collect(),
                })
                .collect(),
            findings,
            coverage: estate.snapshot.coverage.clone(),
            summary,
            suppressed,
            rules: RulesUsed::default(),
            rule_errors: Vec::new(),
            suppressions: Vec::new(),
            baseline: None,
            catalog: Vec::new(),
            code_locations: BTreeMap::new(),
            picture: crate::view::dependencies(
                estate,
                &estate
                    .critical
                    .iter()
                    .map(|s| s.resource)
                    .collect::<Vec<_>>(),
                PICTURE_LIMIT,
            ),
        }
    }

    /// Unsuppressed findings at or above a severity.
    pub fn count_at_or_above(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= severity && f.suppressed.is_none())
            .count()
    }

    /// Whether some critical service declares an owner or an impact per hour (the services
    /// tables then show those columns).
    pub fn services_have_facts(&self) -> bool {
        self.critical_services
            .iter()
            .any(|s| s.owner.is_some() || s.impact_per_hour.is_some())
    }

    pub fn write(&self, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
        match format {
            Format::Table => table::audit(self, out),
            Format::Json => json::write_audit(self, out),
            Format::Csv => csv_out::audit(self, out),
            Format::Markdown => markdown::audit(self, out),
            Format::Html => html::audit(self, out),
            Format::Sarif => sarif::audit(self, out),
            Format::Junit => junit::audit(self, out),
        }
    }
}

/// Something failed at the start of a simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FailedItem {
    /// `zone`, `region`, `provider` or `resource`.
    pub kind: String,
    pub id: String,
}

/// A resource that went down, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DownEntry {
    pub resource: String,
    pub name: String,
    pub kind: String,
    pub provider: String,
    pub region: Option<String>,
    pub critical: bool,
    /// From this resource to the failure that took it down.
    pub path: Vec<PathStep>,
}

/// A critical service that went down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CriticalDown {
    pub service: String,
    pub name: String,
    pub reason: CriticalReason,
    pub path: Vec<PathStep>,
    /// What the business function declares (a manifest's owner, criticality, RTO, impact
    /// per hour) and what the outage costs it; absent when it declares none of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionImpact>,
}

/// A stopped business function's declared facts, and the impact of the outage on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FunctionImpact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `critical`, `important` or `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<String>,
    /// Recovery time objective, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_hours: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_per_hour: Option<Money>,
    /// With a duration: the impact per hour times the outage's hours (rounded to cents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Money>,
    /// With a duration and an RTO: whether the outage lasts longer than the RTO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceeds_rto: Option<bool>,
}

impl FunctionImpact {
    /// The impact of an outage of `duration` (or of an hour, without one) on a function
    /// with `facts`; `None` when it declares nothing.
    pub fn new(facts: FunctionFacts, duration: Option<OutageDuration>) -> Option<Self> {
        if facts.is_empty() {
            return None;
        }
        let impact = duration.and_then(|d| {
            facts
                .impact_per_hour
                .as_ref()
                .map(|rate| impact::impact_for(rate, d))
        });
        let exceeds_rto = duration
            .zip(facts.rto_hours)
            .map(|(d, rto)| d.seconds() as f64 > rto * 3_600.0);
        Some(FunctionImpact {
            owner: facts.owner,
            criticality: facts.criticality,
            rto_hours: facts.rto_hours,
            impact_per_hour: facts.impact_per_hour,
            impact,
            exceeds_rto,
        })
    }
}

/// How long a simulated outage lasts (`simulate --duration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DurationEntry {
    pub seconds: u64,
    /// In its shortest form: `40m`, `1h30m`.
    pub text: String,
}

/// The impact of an outage over the stopped critical services, one amount per currency
/// (amounts in two currencies are never added).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImpactTotals {
    /// The sum of the stopped services' impact per hour.
    pub per_hour: Vec<Money>,
    /// With a duration: the sum of their impact for the duration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub for_duration: Vec<Money>,
}

/// The simulation report (`linchpin.simulation/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SimulationReport {
    pub schema: String,
    pub tool: Tool,
    pub failed: Vec<FailedItem>,
    /// Every resource down, sorted by id.
    pub down: Vec<DownEntry>,
    /// Critical services down, sorted by id.
    pub critical_down: Vec<CriticalDown>,
    /// Critical services still up.
    pub critical_up: Vec<String>,
    pub resources: usize,
    /// With `--duration`: how long the outage lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<DurationEntry>,
    /// When some stopped critical service declares an impact per hour: the totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<ImpactTotals>,
}

impl SimulationReport {
    /// The report of `outcome`; with `duration`, the impact of an outage that long.
    pub fn build(
        estate: &Estate,
        failure: &Failure,
        outcome: &Outcome,
        duration: Option<OutageDuration>,
    ) -> Self {
        let mut failed: Vec<FailedItem> = failure
            .domains
            .iter()
            .map(|&d| {
                let domain = estate.domain(d);
                FailedItem {
                    kind: domain.kind.as_str().into(),
                    id: domain.id.clone(),
                }
            })
            .chain(failure.resources.iter().map(|&r| FailedItem {
                kind: "resource".into(),
                id: estate.resource(r).id.clone(),
            }))
            .collect();
        failed.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
        failed.dedup();
        let critical: BTreeMap<ResourceIx, CriticalReason> = estate
            .critical
            .iter()
            .map(|s| (s.resource, s.reason))
            .collect();
        let mut down: Vec<DownEntry> = outcome
            .order
            .iter()
            .map(|&ix| {
                let r = estate.resource(ix);
                DownEntry {
                    resource: r.id.clone(),
                    name: r.label().to_string(),
                    kind: r.kind.clone(),
                    provider: r.provider.clone(),
                    region: r.region.clone(),
                    critical: critical.contains_key(&ix),
                    path: simulated_path(estate, outcome, ix),
                }
            })
            .collect();
        down.sort_by(|a, b| a.resource.cmp(&b.resource));
        let mut critical_down: Vec<CriticalDown> = down
            .iter()
            .filter(|d| d.critical)
            .map(|d| {
                let ix = estate
                    .lookup(d.resource.as_str())
                    .expect("what is down is a resource of the estate");
                CriticalDown {
                    service: d.resource.clone(),
                    name: d.name.clone(),
                    reason: critical[&ix],
                    path: d.path.clone(),
                    function: FunctionImpact::new(FunctionFacts::of(estate.resource(ix)), duration),
                }
            })
            .collect();
        critical_down.sort_by(|a, b| a.service.cmp(&b.service));
        let mut critical_up: Vec<String> = critical
            .keys()
            .filter(|&&ix| !outcome.is_down(ix))
            .map(|&ix| estate.resource(ix).id.clone())
            .collect();
        critical_up.sort();
        SimulationReport {
            schema: SIMULATION_SCHEMA.into(),
            tool: Tool::current(),
            failed,
            down,
            resources: estate.len(),
            duration: duration.map(|d| DurationEntry {
                seconds: d.seconds(),
                text: d.to_string(),
            }),
            impact: impact_totals(&critical_down),
            critical_down,
            critical_up,
        }
    }

    /// The outage's duration, if one was given.
    pub fn outage_duration(&self) -> Option<OutageDuration> {
        self.duration
            .as_ref()
            .and_then(|d| OutageDuration::from_seconds(d.seconds))
    }

    pub fn write(&self, format: SimulationFormat, out: &mut dyn Write) -> std::io::Result<()> {
        match format {
            SimulationFormat::Table => table::simulation(self, out),
            SimulationFormat::Json => write_json(self, out),
            SimulationFormat::Csv => csv_out::simulation(self, out),
            SimulationFormat::Markdown => incident::markdown(self, out),
        }
    }
}

/// The totals of the stopped services' impact, when some declares an impact per hour.
fn impact_totals(down: &[CriticalDown]) -> Option<ImpactTotals> {
    let functions: Vec<&FunctionImpact> = down.iter().filter_map(|d| d.function.as_ref()).collect();
    let per_hour = impact::totals(functions.iter().filter_map(|f| f.impact_per_hour.as_ref()));
    (!per_hour.is_empty()).then(|| ImpactTotals {
        per_hour,
        for_duration: impact::totals(functions.iter().filter_map(|f| f.impact.as_ref())),
    })
}

pub use json::write_json;

/// JSON Schemas of the report documents, by name: `report` and `simulation`.
pub fn json_schema(document: &str) -> Option<serde_json::Value> {
    let schema = match document {
        "report" => schemars::schema_for!(AuditReport),
        "simulation" => schemars::schema_for!(SimulationReport),
        _ => return None,
    };
    Some(serde_json::to_value(schema).expect("a schema is always JSON"))
}
