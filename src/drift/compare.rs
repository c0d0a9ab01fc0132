//! Comparing two audit reports: findings new, fixed and changed, and the scores,
//! concentration and cut sets that moved; written as JSON, Markdown or plain text.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use rustc_hash::{FxHashMap, FxHashSet};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::Population;
use crate::model::{DomainKind, DomainRef, Finding, FixedFinding, Severity};
use crate::report::{AuditReport, Tool};

/// The value of `schema` in a diff document.
pub const DIFF_SCHEMA: &str = "linchpin.diff/v1";

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

/// Compare two reports. The findings are moved into the diff, not copied: a diff of two
/// large reports holds most of their findings.
pub fn compare(old: AuditReport, new: AuditReport, old_name: &str, new_name: &str) -> Diff {
    let scores = score_changes(&old, &new);
    let concentration = concentration_changes(&old, &new);
    let cut_sets = cut_set_changes(&old, &new);
    let (resources_before, resources_after) = (old.estate.resources, new.estate.resources);
    let findings = FindingChanges::between(old.findings, new.findings);
    Diff {
        schema: DIFF_SCHEMA.into(),
        tool: Tool::current(),
        old: old_name.to_string(),
        new: new_name.to_string(),
        resources_before,
        resources_after,
        new_findings: findings.new,
        fixed_findings: findings.fixed,
        changed_findings: findings.changed,
        unchanged_findings: findings.unchanged,
        scores,
        concentration,
        cut_sets,
    }
}

/// How the findings of two reports relate, by fingerprint.
struct FindingChanges {
    new: Vec<Finding>,
    fixed: Vec<FixedFinding>,
    changed: Vec<ChangedFinding>,
    unchanged: usize,
}

/// Where a finding of the new report stands against the old one.
enum Match {
    New,
    Unchanged,
    Changed(ChangedFinding),
}

impl FindingChanges {
    /// Sort the findings of `new` into new, changed and unchanged, and those of `old` gone
    /// from `new` into fixed.
    fn between(old: Vec<Finding>, new: Vec<Finding>) -> FindingChanges {
        let (matches, gone) = {
            let before: FxHashMap<&str, &Finding> =
                old.iter().map(|f| (f.id.as_str(), f)).collect();
            let after: FxHashSet<&str> = new.iter().map(|f| f.id.as_str()).collect();
            let matches: Vec<Match> = new
                .iter()
                .map(|f| match before.get(f.id.as_str()) {
                    None => Match::New,
                    Some(b) => Self::changed(b, f).map_or(Match::Unchanged, Match::Changed),
                })
                .collect();
            let gone: Vec<bool> = old.iter().map(|f| !after.contains(f.id.as_str())).collect();
            (matches, gone)
        };
        let mut changes = FindingChanges {
            new: Vec::new(),
            fixed: Vec::new(),
            changed: Vec::new(),
            unchanged: 0,
        };
        for (f, m) in new.into_iter().zip(matches) {
            match m {
                Match::New => changes.new.push(f),
                Match::Unchanged => changes.unchanged += 1,
                Match::Changed(c) => changes.changed.push(c),
            }
        }
        changes.fixed = old
            .into_iter()
            .zip(gone)
            .filter_map(|(f, gone)| gone.then(|| FixedFinding::from(f)))
            .collect();
        changes
    }

    /// `after` as a change from `before`, when its severity or suppression moved.
    fn changed(before: &Finding, after: &Finding) -> Option<ChangedFinding> {
        (before.severity != after.severity
            || before.suppressed.is_some() != after.suppressed.is_some())
        .then(|| ChangedFinding {
            id: after.id.clone(),
            rule: after.rule.clone(),
            resources: after.resources.clone(),
            severity_before: before.severity,
            severity_after: after.severity,
            suppressed_before: before.suppressed.is_some(),
            suppressed_after: after.suppressed.is_some(),
        })
    }
}

/// The scores that differ between the reports, by provider and region.
fn score_changes(old: &AuditReport, new: &AuditReport) -> Vec<ScoreChange> {
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
    scores
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
        .collect()
}

/// One report's side of a distribution: its HHI and its largest share.
type ConSide = Option<(f64, Option<(String, f64)>)>;

/// The distributions whose concentration moved by more than rounding.
fn concentration_changes(old: &AuditReport, new: &AuditReport) -> Vec<ConcentrationChange> {
    type ConKey = (Option<DomainRef>, DomainKind, Population);
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
    distributions
        .into_iter()
        .filter(|(_, (b, a))| concentration_moved(b, a))
        .map(|((scope, over, population), (b, a))| ConcentrationChange {
            scope,
            over,
            population,
            hhi_before: b.as_ref().map(|s| s.0),
            hhi_after: a.as_ref().map(|s| s.0),
            largest_before: b.and_then(|s| s.1),
            largest_after: a.and_then(|s| s.1),
        })
        .collect()
}

/// Whether a distribution's HHI or largest share moved, or it appeared or went.
fn concentration_moved(b: &ConSide, a: &ConSide) -> bool {
    match (b, a) {
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
    }
}

/// The critical services whose single-domain cut sets differ between the reports.
fn cut_set_changes(old: &AuditReport, new: &AuditReport) -> Vec<CutSetChange> {
    let mut cuts: BTreeMap<&str, (BTreeSet<&DomainRef>, BTreeSet<&DomainRef>)> = BTreeMap::new();
    for c in &old.cut_sets {
        cuts.entry(&c.service).or_default().0.extend(&c.domains);
    }
    for c in &new.cut_sets {
        cuts.entry(&c.service).or_default().1.extend(&c.domains);
    }
    cuts.into_iter()
        .filter(|(_, (b, a))| b != a)
        .map(|(service, (b, a))| CutSetChange {
            service: service.to_string(),
            added: a.difference(&b).map(|d| (*d).clone()).collect(),
            removed: b.difference(&a).map(|d| (*d).clone()).collect(),
        })
        .collect()
}

/// How the text diff is written: Markdown or plain text.
struct TextStyle {
    markdown: bool,
    /// What starts each line of a section.
    bullet: &'static str,
}

impl TextStyle {
    /// A section heading.
    fn heading(&self, out: &mut dyn Write, text: &str) -> io::Result<()> {
        if self.markdown {
            writeln!(out, "\n### {text}\n")
        } else {
            writeln!(out, "\n{text}")
        }
    }

    /// A rule id, fingerprint or service name: code in Markdown, as it is otherwise.
    fn code(&self, text: &str) -> String {
        if self.markdown {
            format!("`{}`", text.replace('`', "'"))
        } else {
            text.to_string()
        }
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
        crate::report::write_json(self, out)
    }

    /// The diff as Markdown (`markdown`) or plain text (otherwise): one section per kind of
    /// change, each omitted when nothing changed.
    pub fn write_text(&self, out: &mut dyn Write, markdown: bool) -> io::Result<()> {
        let style = TextStyle {
            markdown,
            bullet: if markdown { "- " } else { "  " },
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
            writeln!(out, "{}no change", style.bullet)?;
            return Ok(());
        }
        self.write_new_findings(out, &style)?;
        self.write_fixed_findings(out, &style)?;
        self.write_changed_findings(out, &style)?;
        self.write_scores(out, &style)?;
        self.write_concentration(out, &style)?;
        self.write_cut_sets(out, &style)
    }

    /// The "New findings" section.
    fn write_new_findings(&self, out: &mut dyn Write, style: &TextStyle) -> io::Result<()> {
        if self.new_findings.is_empty() {
            return Ok(());
        }
        style.heading(out, "New findings")?;
        let bullet = style.bullet;
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
                style.code(&f.rule),
                style.code(&f.id),
                one_line(&f.message)
            )?;
        }
        Ok(())
    }

    /// The "Fixed findings" section.
    fn write_fixed_findings(&self, out: &mut dyn Write, style: &TextStyle) -> io::Result<()> {
        if self.fixed_findings.is_empty() {
            return Ok(());
        }
        style.heading(out, "Fixed findings")?;
        let bullet = style.bullet;
        for f in &self.fixed_findings {
            writeln!(
                out,
                "{bullet}{} {} {}: {}",
                f.severity,
                style.code(&f.rule),
                style.code(&f.id),
                one_line(&f.message)
            )?;
        }
        Ok(())
    }

    /// The "Changed findings" section: what moved in each.
    fn write_changed_findings(&self, out: &mut dyn Write, style: &TextStyle) -> io::Result<()> {
        if self.changed_findings.is_empty() {
            return Ok(());
        }
        style.heading(out, "Changed findings")?;
        let bullet = style.bullet;
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
                style.code(&f.rule),
                style.code(&f.id),
                what.join(", ")
            )?;
        }
        Ok(())
    }

    /// The "Scores" section.
    fn write_scores(&self, out: &mut dyn Write, style: &TextStyle) -> io::Result<()> {
        if self.scores.is_empty() {
            return Ok(());
        }
        style.heading(out, "Scores")?;
        let bullet = style.bullet;
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
        Ok(())
    }

    /// The "Concentration" section.
    fn write_concentration(&self, out: &mut dyn Write, style: &TextStyle) -> io::Result<()> {
        if self.concentration.is_empty() {
            return Ok(());
        }
        style.heading(out, "Concentration")?;
        let bullet = style.bullet;
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
        Ok(())
    }

    /// The section on single domains that stop a critical service.
    fn write_cut_sets(&self, out: &mut dyn Write, style: &TextStyle) -> io::Result<()> {
        if self.cut_sets.is_empty() {
            return Ok(());
        }
        style.heading(out, "Single domains that stop a critical service")?;
        let bullet = style.bullet;
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
                    style.code(&c.service),
                    list(&c.added)
                )?;
            }
            if !c.removed.is_empty() {
                writeln!(
                    out,
                    "{bullet}{}: no longer stopped by {}",
                    style.code(&c.service),
                    list(&c.removed)
                )?;
            }
        }
        Ok(())
    }
}

/// Collapse a message onto one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
