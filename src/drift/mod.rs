//! Drift between two audit reports: findings new, unchanged and fixed by their stable
//! fingerprint, and the scores, concentration and cut sets that moved. `audit --baseline`
//! marks the current report against a previous one; `linchpin diff` compares two report files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::Population;
use crate::model::{
    Baseline, BaselineState, DomainKind, DomainRef, Finding, FixedFinding, Severity,
};
use crate::report::{AuditReport, REPORT_SCHEMA, Tool};

/// The value of `schema` in a diff document.
pub const DIFF_SCHEMA: &str = "linchpin.diff/v1";

/// A problem reading a report file: the file, and where and what.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct ReportError {
    pub file: String,
    /// Line and column, when the problem is at a place in the file.
    pub location: Option<(usize, usize)>,
    pub message: String,
}

/// Read a `linchpin.report/v1` JSON file (the output of `audit --format json`).
pub fn load_report(path: &Path) -> Result<AuditReport, ReportError> {
    let file = path.display().to_string();
    let error = |location, message: String| ReportError {
        file: file.clone(),
        location,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|err| error(None, format!("cannot read the report: {err}")))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| error(Some((err.line(), err.column())), format!("not JSON: {err}")))?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(REPORT_SCHEMA) => {}
        Some(other) => {
            return Err(error(
                None,
                format!(
                    "`schema` is `{other}`; expected `{REPORT_SCHEMA}` (a report of `linchpin audit --format json`)"
                ),
            ));
        }
        None => {
            return Err(error(
                None,
                format!(
                    "no `schema` field; expected a `{REPORT_SCHEMA}` report of `linchpin audit --format json`"
                ),
            ));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        error(
            Some((inner.line(), inner.column())),
            format!("at `{path}`: {inner}"),
        )
    })
}

/// Mark each finding of `report` new or unchanged against `baseline`, and list the fixed ones.
pub fn mark(report: &mut AuditReport, baseline: &AuditReport, file: &str) {
    let before: BTreeSet<&str> = baseline.findings.iter().map(|f| f.id.as_str()).collect();
    let now: BTreeSet<String> = report.findings.iter().map(|f| f.id.clone()).collect();
    let (mut new, mut unchanged) = (0, 0);
    for finding in &mut report.findings {
        let state = if before.contains(finding.id.as_str()) {
            unchanged += 1;
            BaselineState::Unchanged
        } else {
            new += 1;
            BaselineState::New
        };
        finding.baseline = Some(state);
    }
    let fixed = baseline
        .findings
        .iter()
        .filter(|f| !now.contains(&f.id))
        .map(FixedFinding::from)
        .collect();
    report.baseline = Some(Baseline {
        file: file.to_string(),
        new,
        unchanged,
        fixed,
    });
}

/// Unsuppressed new findings at or above a severity.
pub fn new_at_or_above(report: &AuditReport, severity: Severity) -> usize {
    report
        .findings
        .iter()
        .filter(|f| {
            f.baseline == Some(BaselineState::New)
                && f.suppressed.is_none()
                && f.severity >= severity
        })
        .count()
}

/// A finding present in both reports whose severity or suppression changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChangedFinding {
    pub id: String,
    pub rule: String,
    pub resources: Vec<String>,
    pub severity_before: Severity,
    pub severity_after: Severity,
    pub suppressed_before: bool,
    pub suppressed_after: bool,
}

/// A score that moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreChange {
    pub provider: String,
    pub region: Option<String>,
    /// `null` when the scope is new.
    pub before: Option<u8>,
    /// `null` when the scope is gone.
    pub after: Option<u8>,
    pub grade_before: Option<char>,
    pub grade_after: Option<char>,
}

/// A distribution whose concentration moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConcentrationChange {
    /// The enclosing domain; `null` for the whole estate.
    pub scope: Option<DomainRef>,
    pub over: DomainKind,
    pub population: Population,
    pub hhi_before: Option<f64>,
    pub hhi_after: Option<f64>,
    /// The largest share before and after (domain and share 0–1).
    pub largest_before: Option<(String, f64)>,
    pub largest_after: Option<(String, f64)>,
}

/// A critical service whose single-domain cut sets changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CutSetChange {
    pub service: String,
    /// Domains whose loss now stops the service and did not before.
    pub added: Vec<DomainRef>,
    /// Domains whose loss stopped the service before and no longer does.
    pub removed: Vec<DomainRef>,
}

/// What changed between two audit reports (`linchpin.diff/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Diff {
    pub schema: String,
    pub tool: Tool,
    pub old: String,
    pub new: String,
    pub resources_before: usize,
    pub resources_after: usize,
    /// Findings of the new report that the old one did not have.
    pub new_findings: Vec<Finding>,
    pub fixed_findings: Vec<FixedFinding>,
    pub changed_findings: Vec<ChangedFinding>,
    pub unchanged_findings: usize,
    pub scores: Vec<ScoreChange>,
    pub concentration: Vec<ConcentrationChange>,
    pub cut_sets: Vec<CutSetChange>,
}

/// Concentration moves smaller than this (in HHI points, 0–10,000) are rounding, not drift.
const HHI_EPSILON: f64 = 0.5;
/// Share moves smaller than this (0–1) are rounding.
const SHARE_EPSILON: f64 = 0.0005;

/// Compare two reports.
pub fn compare(old: &AuditReport, new: &AuditReport, old_name: &str, new_name: &str) -> Diff {
    let before: HashMap<&str, &Finding> = old.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let after: HashMap<&str, &Finding> = new.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let mut new_findings = Vec::new();
    let mut changed_findings = Vec::new();
    let mut unchanged_findings = 0;
    for f in &new.findings {
        match before.get(f.id.as_str()) {
            None => new_findings.push(f.clone()),
            Some(b) => {
                if b.severity != f.severity || b.suppressed.is_some() != f.suppressed.is_some() {
                    changed_findings.push(ChangedFinding {
                        id: f.id.clone(),
                        rule: f.rule.clone(),
                        resources: f.resources.clone(),
                        severity_before: b.severity,
                        severity_after: f.severity,
                        suppressed_before: b.suppressed.is_some(),
                        suppressed_after: f.suppressed.is_some(),
                    });
                } else {
                    unchanged_findings += 1;
                }
            }
        }
    }
    let fixed_findings = old
        .findings
        .iter()
        .filter(|f| !after.contains_key(f.id.as_str()))
        .map(FixedFinding::from)
        .collect();

    type ScoreKey = (String, Option<String>);
    type Graded = Option<(u8, char)>;
    let mut scores: BTreeMap<ScoreKey, (Graded, Graded)> = BTreeMap::new();
    for s in &old.scores {
        scores
            .entry((s.provider.clone(), s.region.clone()))
            .or_default()
            .0 = Some((s.score, s.grade));
    }
    for s in &new.scores {
        scores
            .entry((s.provider.clone(), s.region.clone()))
            .or_default()
            .1 = Some((s.score, s.grade));
    }
    let scores = scores
        .into_iter()
        .filter(|(_, (b, a))| b != a)
        .map(|((provider, region), (b, a))| ScoreChange {
            provider,
            region,
            before: b.map(|s| s.0),
            after: a.map(|s| s.0),
            grade_before: b.map(|s| s.1),
            grade_after: a.map(|s| s.1),
        })
        .collect();

    type ConKey = (Option<DomainRef>, DomainKind, Population);
    type ConSide = Option<(f64, Option<(String, f64)>)>;
    let mut distributions: BTreeMap<ConKey, (ConSide, ConSide)> = BTreeMap::new();
    let side = |c: &crate::analysis::Concentration| {
        (c.hhi, c.largest().map(|s| (s.domain.id.clone(), s.share)))
    };
    for c in &old.concentration {
        distributions
            .entry((c.scope.clone(), c.over, c.population))
            .or_default()
            .0 = Some(side(c));
    }
    for c in &new.concentration {
        distributions
            .entry((c.scope.clone(), c.over, c.population))
            .or_default()
            .1 = Some(side(c));
    }
    let concentration = distributions
        .into_iter()
        .filter(|(_, (b, a))| match (b, a) {
            (Some((hb, lb)), Some((ha, la))) => {
                (hb - ha).abs() >= HHI_EPSILON
                    || match (lb, la) {
                        (Some((db, sb)), Some((da, sa))) => {
                            db != da || (sb - sa).abs() >= SHARE_EPSILON
                        }
                        (None, None) => false,
                        _ => true,
                    }
            }
            _ => true,
        })
        .map(|((scope, over, population), (b, a))| ConcentrationChange {
            scope,
            over,
            population,
            hhi_before: b.as_ref().map(|s| s.0),
            hhi_after: a.as_ref().map(|s| s.0),
            largest_before: b.and_then(|s| s.1),
            largest_after: a.and_then(|s| s.1),
        })
        .collect();

    let mut cuts: BTreeMap<&str, (BTreeSet<&DomainRef>, BTreeSet<&DomainRef>)> = BTreeMap::new();
    for c in &old.cut_sets {
        cuts.entry(&c.service).or_default().0.extend(&c.domains);
    }
    for c in &new.cut_sets {
        cuts.entry(&c.service).or_default().1.extend(&c.domains);
    }
    let cut_sets = cuts
        .into_iter()
        .filter(|(_, (b, a))| b != a)
        .map(|(service, (b, a))| CutSetChange {
            service: service.to_string(),
            added: a.difference(&b).map(|d| (*d).clone()).collect(),
            removed: b.difference(&a).map(|d| (*d).clone()).collect(),
        })
        .collect();

    Diff {
        schema: DIFF_SCHEMA.into(),
        tool: Tool::current(),
        old: old_name.to_string(),
        new: new_name.to_string(),
        resources_before: old.estate.resources,
        resources_after: new.estate.resources,
        new_findings,
        fixed_findings,
        changed_findings,
        unchanged_findings,
        scores,
        concentration,
        cut_sets,
    }
}

impl Diff {
    /// Unsuppressed new findings at or above a severity.
    pub fn new_at_or_above(&self, severity: Severity) -> usize {
        self.new_findings
            .iter()
            .filter(|f| f.suppressed.is_none() && f.severity >= severity)
            .count()
    }

    /// Whether anything changed at all.
    pub fn is_empty(&self) -> bool {
        self.new_findings.is_empty()
            && self.fixed_findings.is_empty()
            && self.changed_findings.is_empty()
            && self.scores.is_empty()
            && self.concentration.is_empty()
            && self.cut_sets.is_empty()
            && self.resources_before == self.resources_after
    }

    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }

    /// The diff as Markdown (`markdown`) or plain text (otherwise): one section per kind of
    /// change, each omitted when nothing changed.
    pub fn write_text(&self, out: &mut dyn Write, markdown: bool) -> io::Result<()> {
        let heading = |out: &mut dyn Write, text: &str| -> io::Result<()> {
            if markdown {
                writeln!(out, "\n### {text}\n")
            } else {
                writeln!(out, "\n{text}")
            }
        };
        let bullet = if markdown { "- " } else { "  " };
        let code = |text: &str| {
            if markdown {
                format!("`{}`", text.replace('`', "'"))
            } else {
                text.to_string()
            }
        };
        if markdown {
            writeln!(out, "## linchpin diff")?;
            writeln!(out)?;
        }
        writeln!(
            out,
            "{} → {}: {} new, {} fixed, {} changed, {} unchanged finding(s); resources {} → {}",
            self.old,
            self.new,
            self.new_findings.len(),
            self.fixed_findings.len(),
            self.changed_findings.len(),
            self.unchanged_findings,
            self.resources_before,
            self.resources_after
        )?;
        if self.is_empty() {
            writeln!(out, "{bullet}no change")?;
            return Ok(());
        }
        if !self.new_findings.is_empty() {
            heading(out, "New findings")?;
            for f in &self.new_findings {
                let suppressed = if f.suppressed.is_some() {
                    " (suppressed)"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{bullet}{} {} {}: {}{suppressed}",
                    f.severity,
                    code(&f.rule),
                    code(&f.id),
                    one_line(&f.message)
                )?;
            }
        }
        if !self.fixed_findings.is_empty() {
            heading(out, "Fixed findings")?;
            for f in &self.fixed_findings {
                writeln!(
                    out,
                    "{bullet}{} {} {}: {}",
                    f.severity,
                    code(&f.rule),
                    code(&f.id),
                    one_line(&f.message)
                )?;
            }
        }
        if !self.changed_findings.is_empty() {
            heading(out, "Changed findings")?;
            for f in &self.changed_findings {
                let mut what = Vec::new();
                if f.severity_before != f.severity_after {
                    what.push(format!(
                        "severity {} → {}",
                        f.severity_before, f.severity_after
                    ));
                }
                if f.suppressed_before != f.suppressed_after {
                    what.push(if f.suppressed_after {
                        "now suppressed".to_string()
                    } else {
                        "no longer suppressed".to_string()
                    });
                }
                writeln!(
                    out,
                    "{bullet}{} {}: {}",
                    code(&f.rule),
                    code(&f.id),
                    what.join(", ")
                )?;
            }
        }
        if !self.scores.is_empty() {
            heading(out, "Scores")?;
            for s in &self.scores {
                let scope = match &s.region {
                    Some(region) => format!("{} / {region}", s.provider),
                    None => s.provider.clone(),
                };
                let show = |score: Option<u8>, grade: Option<char>| match (score, grade) {
                    (Some(score), Some(grade)) => format!("{score} ({grade})"),
                    _ => "none".to_string(),
                };
                writeln!(
                    out,
                    "{bullet}{scope}: {} → {}",
                    show(s.before, s.grade_before),
                    show(s.after, s.grade_after)
                )?;
            }
        }
        if !self.concentration.is_empty() {
            heading(out, "Concentration")?;
            for c in &self.concentration {
                let scope = c
                    .scope
                    .as_ref()
                    .map_or_else(|| "estate".to_string(), ToString::to_string);
                let hhi = |h: Option<f64>| h.map_or_else(|| "none".into(), |h| format!("{h:.0}"));
                let largest = |l: &Option<(String, f64)>| {
                    l.as_ref().map_or_else(
                        || "none".to_string(),
                        |(d, s)| format!("{d} {:.1}%", s * 100.0),
                    )
                };
                writeln!(
                    out,
                    "{bullet}{scope}, {}s ({}): HHI {} → {}; largest {} → {}",
                    c.over,
                    c.population.as_str(),
                    hhi(c.hhi_before),
                    hhi(c.hhi_after),
                    largest(&c.largest_before),
                    largest(&c.largest_after)
                )?;
            }
        }
        if !self.cut_sets.is_empty() {
            heading(out, "Single domains that stop a critical service")?;
            for c in &self.cut_sets {
                let list = |domains: &[DomainRef]| {
                    domains
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                if !c.added.is_empty() {
                    writeln!(
                        out,
                        "{bullet}{}: now stopped by {}",
                        code(&c.service),
                        list(&c.added)
                    )?;
                }
                if !c.removed.is_empty() {
                    writeln!(
                        out,
                        "{bullet}{}: no longer stopped by {}",
                        code(&c.service),
                        list(&c.removed)
                    )?;
                }
            }
        }
        Ok(())
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The JSON Schema of the diff document.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Diff)).expect("a schema is always JSON")
}
