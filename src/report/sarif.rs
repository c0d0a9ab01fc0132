//! SARIF 2.1.0: the audit report as one run of a static analysis log, in the subset GitHub
//! code scanning accepts. Every enabled rule becomes a reporting descriptor with its
//! documentation and controls; every finding a result with a stable partial fingerprint,
//! located at the code that declares its first resource when the run knows it (a `.tf` file
//! and line, from `audit --tf-dir`), else in the snapshot file, and, logically, at the
//! resources and failure domains involved. Rule errors and incomplete coverage are tool
//! execution notifications, so they show on the tool's status page instead of vanishing.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde::Serialize;

use super::{AuditReport, CodeLocation, RuleInfo};
use crate::analysis::render_path;
use crate::model::{
    CheckType, Controls, CoverageRecord, CoverageStatus, DomainKind, DomainRef, Finding, RuleError,
    Severity, Status,
};

/// The `$schema` GitHub documents for uploads.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where results point when the report names no input file (an unsaved crawl).
const DEFAULT_ARTIFACT: &str = "linchpin.snapshot.json";
/// The partial fingerprint key: the finding id, a hash of rule and resource that is stable
/// from run to run, so code scanning neither merges distinct findings nor reopens old ones.
const FINGERPRINT_KEY: &str = "linchpinFinding/v1";
/// GitHub rejects a run with more results than this; above it the most severe unsuppressed
/// findings are kept and a notification says how many were left out.
const RESULT_LIMIT: usize = 25_000;
/// Logical locations (resources, then domains) per result; the full lists stay in the
/// result's properties.
const LOGICAL_LOCATION_LIMIT: usize = 100;
/// GitHub's limit on a rule's short and full description.
const DESCRIPTION_LIMIT: usize = 1024;

pub(super) fn audit(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    super::write_json(&log(report), out)
}

/// The whole SARIF log for a report.
fn log(report: &AuditReport) -> Log<'_> {
    let (rules, rule_index) = descriptors(report);
    let uri = artifact_uri(report.estate.input.as_deref().unwrap_or(DEFAULT_ARTIFACT));
    let kept = kept_findings(&report.findings);
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .zip(&kept)
        .filter(|&(_, &keep)| keep)
        .map(|(finding, _)| {
            let at = code_location(finding, &report.code_locations, &uri);
            result(finding, rule_index[finding.rule.as_str()], at)
        })
        .collect();
    let left_out = report.findings.len() - results.len();
    let notifications = notifications(report, left_out, &rule_index);

    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "linchpin",
                    version: &report.tool.version,
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            results,
            properties: RunProperties {
                report_schema: &report.schema,
                rules_digest: &report.rules.digest,
                config: report.rules.config.as_deref(),
                resources: report.estate.resources,
                findings: report.findings.len(),
                suppressed: report.suppressed,
            },
        }],
    }
}

/// A reporting descriptor per catalog rule, then one per rule a finding names that the
/// catalog lacks; and each rule id's index among them.
fn descriptors(report: &AuditReport) -> (Vec<ReportingDescriptor>, HashMap<&str, usize>) {
    let mut rules: Vec<ReportingDescriptor> = report.catalog.iter().map(descriptor).collect();
    let mut rule_index: HashMap<&str, usize> = report
        .catalog
        .iter()
        .enumerate()
        .map(|(i, rule)| (rule.id.as_str(), i))
        .collect();
    // A finding of a rule missing from the catalog still needs a descriptor to point at.
    for finding in &report.findings {
        if !rule_index.contains_key(finding.rule.as_str()) {
            rule_index.insert(&finding.rule, rules.len());
            rules.push(bare_descriptor(finding));
        }
    }
    (rules, rule_index)
}

/// The tool execution notifications: findings left out (`left_out` of them), rule errors and
/// failed coverage.
fn notifications(
    report: &AuditReport,
    left_out: usize,
    rule_index: &HashMap<&str, usize>,
) -> Vec<Notification> {
    let mut notifications = Vec::new();
    if left_out > 0 {
        notifications.push(Notification {
            level: "warning",
            descriptor: Reference::id("results-limit"),
            message: Message::new(format!(
                "{left_out} of {} findings left out: code scanning accepts at most {RESULT_LIMIT} \
                 results per run, so the most severe unsuppressed ones are kept; the JSON report \
                 lists every finding",
                report.findings.len()
            )),
            associated_rule: None,
            locations: Vec::new(),
        });
    }
    for error in &report.rule_errors {
        notifications.push(rule_error(error, rule_index));
    }
    for record in &report.coverage {
        if record.status != CoverageStatus::Failed {
            continue;
        }
        notifications.push(coverage_failed(record));
    }
    notifications
}

/// The notification of a rule that could not be evaluated.
fn rule_error(error: &RuleError, rule_index: &HashMap<&str, usize>) -> Notification {
    let on = error
        .resource
        .as_deref()
        .map_or_else(String::new, |r| format!(" on {r}"));
    Notification {
        level: "error",
        descriptor: Reference::id("rule-error"),
        message: Message::new(format!(
            "rule {} could not be evaluated{on}: {}",
            error.rule, error.message
        )),
        associated_rule: Some(Reference {
            id: Some(error.rule.clone()),
            index: rule_index.get(error.rule.as_str()).copied(),
        }),
        locations: error
            .resource
            .iter()
            .map(|r| Location {
                physical_location: None,
                logical_locations: vec![LogicalLocation::resource(r, None)],
            })
            .collect(),
    }
}

/// The notification of a part of the inventory that could not be read.
fn coverage_failed(record: &CoverageRecord) -> Notification {
    let scope: Vec<&str> = [record.account.as_deref(), record.region.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let scope = if scope.is_empty() {
        String::new()
    } else {
        format!(" in {}", scope.join("/"))
    };
    Notification {
        level: "warning",
        descriptor: Reference::id("coverage-failed"),
        message: Message::new(format!(
            "{} {} could not be read{scope} (source {}): {}; resources it would have found \
             are missing from the audit",
            record.service,
            record.operation,
            record.source,
            record.error.as_deref().unwrap_or("no reason recorded")
        )),
        associated_rule: None,
        locations: Vec::new(),
    }
}

/// Which findings become results: all of them up to [`RESULT_LIMIT`], above it the most
/// severe unsuppressed ones (ties in report order). Results keep the report's order.
fn kept_findings(findings: &[Finding]) -> Vec<bool> {
    if findings.len() <= RESULT_LIMIT {
        return vec![true; findings.len()];
    }
    let mut ranked: Vec<usize> = (0..findings.len()).collect();
    ranked.sort_by_key(|&i| {
        let f = &findings[i];
        (f.suppressed.is_some(), std::cmp::Reverse(f.severity), i)
    });
    let mut kept = vec![false; findings.len()];
    for &i in &ranked[..RESULT_LIMIT] {
        kept[i] = true;
    }
    kept
}

fn descriptor(rule: &RuleInfo) -> ReportingDescriptor {
    let level = level(rule.severity);
    let full = if rule.docs.what_it_checks.trim().is_empty() {
        &rule.title
    } else {
        &rule.docs.what_it_checks
    };
    let mut tags = vec!["reliability", "resilience", rule.check_type.as_str()];
    if rule.status != Status::Stable {
        tags.push(rule.status.as_str());
    }
    ReportingDescriptor {
        id: rule.id.clone(),
        name: pascal_case(&rule.id),
        short_description: Some(Message::new(truncate(&rule.title, DESCRIPTION_LIMIT))),
        full_description: Some(Message::new(truncate(full, DESCRIPTION_LIMIT))),
        help: Some(help(rule)),
        help_uri: rule.references.iter().find(|r| is_web_address(r)).cloned(),
        default_configuration: Configuration { level },
        properties: DescriptorProperties {
            tags: tags.into_iter().map(str::to_string).collect(),
            precision: Some(precision(rule)),
            problem_severity: problem_severity(level),
            severity: rule.severity,
            origin: Some(rule.origin.clone()),
            controls: Some(rule.controls.clone()),
        },
    }
}

/// The least a result's rule needs when the catalog does not describe it.
fn bare_descriptor(finding: &Finding) -> ReportingDescriptor {
    let level = level(finding.severity);
    let title = if finding.title.trim().is_empty() {
        finding.rule.clone()
    } else {
        truncate(&finding.title, DESCRIPTION_LIMIT)
    };
    ReportingDescriptor {
        id: finding.rule.clone(),
        name: pascal_case(&finding.rule),
        short_description: Some(Message::new(title.clone())),
        full_description: Some(Message::new(title.clone())),
        help: Some(MultiformatMessage {
            text: title.clone(),
            markdown: title,
        }),
        help_uri: None,
        default_configuration: Configuration { level },
        properties: DescriptorProperties {
            tags: vec!["reliability".into(), "resilience".into()],
            precision: None,
            problem_severity: problem_severity(level),
            severity: finding.severity,
            origin: None,
            controls: Some(finding.controls.clone()),
        },
    }
}

/// Why the rule's finding is a risk, how to fix it, an example and references, as plain text
/// and as Markdown.
fn help(rule: &RuleInfo) -> MultiformatMessage {
    let docs = &rule.docs;
    let mut text = String::new();
    let mut markdown = format!("**{}**\n", rule.title);
    for (heading, body) in [
        ("Why it is a risk", &docs.why_it_is_a_risk),
        ("How to fix", &docs.how_to_fix),
    ] {
        let body = body.trim();
        if body.is_empty() {
            continue;
        }
        text.push_str(&format!("{heading}: {body}\n\n"));
        markdown.push_str(&format!("\n## {heading}\n\n{body}\n"));
    }
    let example = docs.example.trim();
    if !example.is_empty() {
        let fence = "`".repeat(longest_backtick_run(example).max(2) + 1);
        text.push_str(&format!("Example:\n{example}\n\n"));
        markdown.push_str(&format!(
            "\n## Example\n\n{fence}json\n{example}\n{fence}\n"
        ));
    }
    if !rule.references.is_empty() {
        text.push_str("References:\n");
        markdown.push_str("\n## References\n\n");
        for reference in &rule.references {
            text.push_str(&format!("- {reference}\n"));
            if is_web_address(reference) {
                markdown.push_str(&format!("- <{reference}>\n"));
            } else {
                markdown.push_str(&format!("- {reference}\n"));
            }
        }
    }
    let text = text.trim_end();
    MultiformatMessage {
        text: if text.is_empty() {
            rule.title.clone()
        } else {
            text.to_string()
        },
        markdown: markdown.trim_end().to_string(),
    }
}

/// Where a result points: the code that declares the first of the finding's resources whose
/// declaration is known, else line 1 of the snapshot file.
fn code_location(
    finding: &Finding,
    locations: &BTreeMap<String, CodeLocation>,
    snapshot_uri: &str,
) -> PhysicalLocation {
    match finding.resources.iter().find_map(|id| locations.get(id)) {
        Some(at) => PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: artifact_uri(&at.path),
            },
            region: Region {
                start_line: at.line.max(1),
            },
        },
        None => PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: snapshot_uri.to_string(),
            },
            region: Region { start_line: 1 },
        },
    }
}

fn result(finding: &Finding, rule_index: usize, at: PhysicalLocation) -> SarifResult {
    let names = known_names(finding);
    let mut logical: Vec<LogicalLocation> = finding
        .resources
        .iter()
        .map(|id| LogicalLocation::resource(id, names.get(id.as_str()).copied()))
        .chain(finding.domains.iter().map(LogicalLocation::domain))
        .take(LOGICAL_LOCATION_LIMIT)
        .collect();
    if logical.is_empty() {
        // Nothing narrower is known (a coverage gap, an estate-wide finding): the region or
        // provider it is scored under.
        logical.push(LogicalLocation::domain(&match &finding.region {
            Some(region) => DomainRef {
                kind: DomainKind::Region,
                id: region.clone(),
            },
            None => DomainRef {
                kind: DomainKind::Provider,
                id: finding.provider.clone(),
            },
        }));
    }
    // Code scanning needs a message; fall back on the title, then the rule id.
    let message = [&finding.message, &finding.title, &finding.rule]
        .into_iter()
        .find(|text| !text.trim().is_empty())
        .unwrap_or(&finding.rule)
        .clone();
    SarifResult {
        rule_id: finding.rule.clone(),
        rule_index,
        level: level(finding.severity),
        message: Message::new(message),
        locations: vec![Location {
            physical_location: Some(at),
            logical_locations: logical,
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.id.clone())]),
        baseline_state: baseline_state(finding),
        suppressions: finding
            .suppressed
            .iter()
            .map(|s| Suppression {
                kind: "external",
                status: "accepted",
                justification: s.reason.clone(),
                properties: SuppressionProperties {
                    by: s.by.clone(),
                    expires: s.expires.clone(),
                },
            })
            .collect(),
        properties: ResultProperties {
            title: finding.title.clone(),
            severity: finding.severity,
            resources: finding.resources.clone(),
            services: finding.services.clone(),
            domains: finding.domains.clone(),
            provider: finding.provider.clone(),
            region: finding.region.clone(),
            zone: finding
                .domains
                .iter()
                .filter(|d| d.kind == DomainKind::Zone)
                .map(|d| d.id.clone())
                .collect(),
            path: render_path(&finding.path),
            remediation: finding.remediation.clone(),
            controls: finding.controls.clone(),
        },
    }
}

/// The SARIF `baselineState` of a finding (`new` or `unchanged`) when the audit was compared
/// with a baseline report (`--baseline`); absent otherwise.
fn baseline_state(finding: &Finding) -> Option<&'static str> {
    finding.baseline.map(|state| state.as_str())
}

/// Names of the resources a finding's path passes through, by id.
fn known_names(finding: &Finding) -> HashMap<&str, &str> {
    finding
        .path
        .iter()
        .filter(|step| !step.name.is_empty() && step.name != step.resource)
        .map(|step| (step.resource.as_str(), step.name.as_str()))
        .collect()
}

/// SARIF levels: critical and high are errors, medium warnings, low and info notes.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `problem.severity` for results that are not security alerts.
fn problem_severity(level: &str) -> &'static str {
    match level {
        "error" => "error",
        "warning" => "warning",
        _ => "recommendation",
    }
}

/// How rarely a rule is wrong: analysis rules compute exact consequences on the dependency
/// graph, resource rules judge one resource's attributes, preview rules are still settling.
fn precision(rule: &RuleInfo) -> &'static str {
    match (rule.status, rule.check_type) {
        (Status::Stable, CheckType::Analysis) => "very-high",
        (Status::Stable, _) => "high",
        _ => "medium",
    }
}

/// `zone-cut-set` → `ZoneCutSet`.
fn pascal_case(id: &str) -> String {
    let name: String = id
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    if name.is_empty() {
        id.to_string()
    } else {
        name
    }
}

fn truncate(text: &str, limit: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(limit - 1).collect();
    cut.push('…');
    cut
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// An absolute http(s) address without characters a URI cannot hold.
fn is_web_address(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://"))
        && text.len() > "https://".len()
        && text.chars().all(|c| {
            c.is_ascii_graphic()
                && !matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

/// A file path as a URI reference: `/` separators, characters outside a URI path
/// percent-encoded, a Windows drive path as a `file:` URI, and a relative path whose first
/// segment holds a colon prefixed with `./` so it does not read as a scheme.
fn artifact_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut uri = String::with_capacity(path.len() + 8);
    let bytes = path.as_bytes();
    let drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    if drive {
        uri.push_str("file:///");
    } else if path.starts_with("//") {
        uri.push_str("file:");
    } else if path
        .split('/')
        .next()
        .is_some_and(|first| first.contains(':'))
    {
        uri.push_str("./");
    }
    for &b in bytes {
        let allowed = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
            );
        if allowed {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

// The SARIF object model, the parts linchpin writes.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    rules: Vec<ReportingDescriptor>,
}

/// What the run audited, for readers that want more than the results.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    report_schema: &'a str,
    rules_digest: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<&'a str>,
    resources: usize,
    findings: usize,
    suppressed: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_description: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<MultiformatMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorProperties {
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    precision: Option<&'static str>,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    /// linchpin's own severity, finer than the SARIF level.
    severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    controls: Option<Controls>,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

impl Message {
    fn new(text: impl Into<String>) -> Self {
        Message { text: text.into() }
    }
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    descriptor: Reference,
    message: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    associated_rule: Option<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

impl Reference {
    fn id(id: &str) -> Self {
        Reference {
            id: Some(id.to_string()),
            index: None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    fully_qualified_name: String,
    kind: &'static str,
}

impl LogicalLocation {
    fn resource(id: &str, name: Option<&str>) -> Self {
        LogicalLocation {
            name: name.map(str::to_string),
            fully_qualified_name: id.to_string(),
            kind: "resource",
        }
    }

    fn domain(domain: &DomainRef) -> Self {
        LogicalLocation {
            name: Some(domain.id.clone()),
            fully_qualified_name: format!("{}:{}", domain.kind, domain.id),
            kind: domain.kind.as_str(),
        }
    }
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    properties: SuppressionProperties,
}

#[derive(Serialize)]
struct SuppressionProperties {
    /// Where the suppression is written: `linchpin.toml:12`.
    by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

#[derive(Serialize)]
struct ResultProperties {
    title: String,
    severity: Severity,
    resources: Vec<String>,
    services: Vec<String>,
    domains: Vec<DomainRef>,
    provider: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    /// The zone ids among the finding's domains.
    zone: Vec<String>,
    /// The rendered path from a critical service to the failure.
    path: String,
    remediation: String,
    controls: Controls,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            artifact_uri("examples/demo-snapshot.json"),
            "examples/demo-snapshot.json"
        );
        assert_eq!(artifact_uri("/tmp/a b/snap.json"), "/tmp/a%20b/snap.json");
        assert_eq!(
            artifact_uri(r"C:\estate\snap.json"),
            "file:///C:/estate/snap.json"
        );
        assert_eq!(artifact_uri("a:b/snap.json"), "./a:b/snap.json");
        assert_eq!(artifact_uri("snap#1%.json"), "snap%231%25.json");
        assert_eq!(artifact_uri("zoné.json"), "zon%C3%A9.json");
    }

    fn finding(n: usize, severity: Severity, suppressed: bool) -> Finding {
        Finding {
            id: format!("{n:016x}"),
            rule: "resource-spof".into(),
            title: "t".into(),
            severity,
            resources: vec![format!("r{n}")],
            domains: Vec::new(),
            services: Vec::new(),
            impact_per_hour: Vec::new(),
            provider: "aws".into(),
            region: None,
            message: "m".into(),
            path: Vec::new(),
            remediation: String::new(),
            controls: Controls::default(),
            suppressed: suppressed.then(|| crate::model::Suppressed {
                reason: "r".into(),
                expires: None,
                by: "linchpin.toml:1".into(),
            }),
            baseline: None,
        }
    }

    #[test]
    fn above_the_result_limit_the_most_severe_open_findings_stay() {
        let mut findings: Vec<Finding> = (0..RESULT_LIMIT + 2)
            .map(|n| finding(n, Severity::Low, false))
            .collect();
        findings[7] = finding(7, Severity::Critical, true);
        findings[RESULT_LIMIT + 1] = finding(RESULT_LIMIT + 1, Severity::High, false);
        let kept = kept_findings(&findings);
        assert_eq!(kept.iter().filter(|&&k| k).count(), RESULT_LIMIT);
        assert!(kept[RESULT_LIMIT + 1], "the high finding stays");
        assert!(!kept[7], "the suppressed one goes first");
        assert!(!kept[RESULT_LIMIT], "then the last of equal severity");
        assert!(kept_findings(&findings[..10]).iter().all(|&k| k));
    }

    #[test]
    fn names_levels_and_truncation() {
        assert_eq!(pascal_case("zone-cut-set"), "ZoneCutSet");
        assert_eq!(
            pascal_case("aws-us-east-1-control-plane"),
            "AwsUsEast1ControlPlane"
        );
        assert_eq!(pascal_case("--"), "--");
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert!(is_web_address("https://docs.aws.amazon.com/x.html#a"));
        assert!(!is_web_address("AWS Well-Architected REL10"));
        assert!(!is_web_address("https://a b"));
    }
}
