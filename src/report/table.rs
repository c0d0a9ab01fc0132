//! Terminal tables (comfy-table) for people reading an audit or a simulation.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::{AuditReport, SimulationReport, incident};
use crate::analysis::{Concentration, Population, render_path};
use crate::model::{DomainKind, Severity};

/// Findings listed per severity before the rest is summarised.
const FINDINGS_SHOWN: usize = 25;

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

pub(super) fn audit(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let e = &report.estate;
    writeln!(
        out,
        "linchpin audit: {} resources, {} provider(s), {} region(s), {} zone(s); {} critical service(s)",
        e.resources,
        e.providers.len(),
        e.regions.len(),
        e.zones.len(),
        report.critical_services.len()
    )?;
    writeln!(out)?;
    scores_table(report, out)?;
    services_table(report, out)?;
    concentration_table(report, out)?;
    findings_list(report, out)?;
    suppressions_and_errors(report, out)?;
    coverage_list(report, out)
}

fn scores_table(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let conc = |scope_kind: DomainKind, scope: &str, over: DomainKind| {
        report.concentration.iter().find(|c| {
            c.population == Population::All
                && c.over == over
                && c.scope
                    .as_ref()
                    .is_some_and(|s| s.kind == scope_kind && s.id == scope)
        })
    };
    let providers = report
        .concentration
        .iter()
        .find(|c| c.scope.is_none() && c.population == Population::All);
    // The `unpinned` column only when some resource is deployed without availability zones.
    let unpinned = has_unpinned(report);
    let mut header = vec!["Provider / region", "Resources", "Zones", "Largest zone"];
    if unpinned {
        header.push("Unpinned");
    }
    header.extend([
        "HHI (zones)",
        "Critical down with one zone",
        "SPOFs",
        "Score",
        "Grade",
    ]);
    let mut table = new_table(&header);
    // Per (provider, region) and per provider: services down with one zone, SPOF findings.
    let mut exposed: HashMap<(&str, Option<&str>), BTreeSet<&str>> = HashMap::new();
    let mut spofs: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    for f in &report.findings {
        let provider = (f.provider.as_str(), None);
        let region = f.region.as_deref().map(|r| (f.provider.as_str(), Some(r)));
        for key in std::iter::once(provider).chain(region) {
            match f.rule.as_str() {
                "zone-cut-set" => exposed
                    .entry(key)
                    .or_default()
                    .extend(f.services.iter().map(String::as_str)),
                "resource-spof" => *spofs.entry(key).or_default() += 1,
                _ => {}
            }
        }
    }
    for score in &report.scores {
        let (label, resources, zones) = match &score.region {
            None => (
                score.provider.clone(),
                providers
                    .and_then(|c| c.shares.iter().find(|s| s.domain.id == score.provider))
                    .map(|s| s.weight),
                conc(DomainKind::Provider, &score.provider, DomainKind::Zone),
            ),
            Some(region) => (
                format!("  {}/{region}", score.provider),
                conc(DomainKind::Provider, &score.provider, DomainKind::Region)
                    .and_then(|c| c.shares.iter().find(|s| &s.domain.id == region))
                    .map(|s| s.weight),
                conc(DomainKind::Region, region, DomainKind::Zone),
            ),
        };
        let key = (score.provider.as_str(), score.region.as_deref());
        let exposed = exposed.get(&key).map_or(0, BTreeSet::len);
        let spofs = spofs.get(&key).copied().unwrap_or(0);
        let (zone_count, largest, hhi) = match zones {
            Some(c) => (
                c.shares.len().to_string(),
                c.largest()
                    .map(|s| format!("{} {}", s.domain.id, percent(s.share)))
                    .unwrap_or_default(),
                format!("{:.0}", c.hhi),
            ),
            None => ("0".into(), "-".into(), "-".into()),
        };
        let mut row = vec![
            label,
            resources
                .map(|w| format!("{w:.0}"))
                .unwrap_or_else(|| "0".into()),
            zone_count,
            largest,
        ];
        if unpinned {
            row.push(unpinned_cell(zones));
        }
        row.extend([
            hhi,
            exposed.to_string(),
            spofs.to_string(),
            score.score.to_string(),
            score.grade.to_string(),
        ]);
        table.add_row(row);
    }
    writeln!(out, "Scores\n{table}\n")
}

/// Whether some zone distribution has an `unpinned` bucket (resources deployed without
/// availability zones).
fn has_unpinned(report: &AuditReport) -> bool {
    report.concentration.iter().any(|c| c.unpinned.is_some())
}

/// A distribution's `unpinned` bucket as `weight (share)`, `-` when it has none.
fn unpinned_cell(c: Option<&Concentration>) -> String {
    match c.and_then(|c| c.unpinned.as_ref()) {
        Some(bucket) => format!("{} ({})", weight(bucket.weight), percent(bucket.share)),
        None => "-".into(),
    }
}

/// A weight as a resource count: whole when it is, else with two decimals.
fn weight(weight: f64) -> String {
    if (weight - weight.round()).abs() < 0.005 {
        format!("{weight:.0}")
    } else {
        format!("{weight:.2}")
    }
}

fn services_table(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    // Owner and impact only when some service declares them (a manifest's functions).
    let facts = report.services_have_facts();
    let mut header = vec!["Critical service", "Why critical"];
    if facts {
        header.extend(["Owner", "Impact per hour"]);
    }
    header.extend([
        "Down with zone",
        "Down with region",
        "Down with provider",
        "SPOFs",
    ]);
    let mut table = new_table(&header);
    let cuts: HashMap<&str, &super::CutSet> = report
        .cut_sets
        .iter()
        .map(|c| (c.service.as_str(), c))
        .collect();
    let spofs: HashMap<&str, usize> = report
        .spofs
        .iter()
        .map(|s| (s.service.as_str(), s.resources.len()))
        .collect();
    for service in &report.critical_services {
        let cut = cuts.get(service.id.as_str());
        let of_kind = |kind: DomainKind| {
            let ids: Vec<&str> = cut
                .map(|c| {
                    c.domains
                        .iter()
                        .filter(|d| d.kind == kind)
                        .map(|d| d.id.as_str())
                        .collect()
                })
                .unwrap_or_default();
            if ids.is_empty() {
                "-".to_string()
            } else {
                ids.join(", ")
            }
        };
        let spofs = spofs.get(service.id.as_str()).copied().unwrap_or(0);
        let mut row = vec![service.name.clone(), service.reason.as_str().to_string()];
        if facts {
            row.extend([
                service.owner.clone().unwrap_or_else(|| "-".into()),
                super::per_hour_text(service.impact_per_hour.as_ref(), "-"),
            ]);
        }
        row.extend([
            of_kind(DomainKind::Zone),
            of_kind(DomainKind::Region),
            of_kind(DomainKind::Provider),
            spofs.to_string(),
        ]);
        table.add_row(row);
    }
    writeln!(out, "Critical services\n{table}\n")
}

fn concentration_table(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let unpinned = has_unpinned(report);
    let mut header = vec!["Scope", "Shares of", "Counting", "Largest", "Share"];
    if unpinned {
        header.push("Unpinned");
    }
    header.extend(["HHI", "Effective count"]);
    let mut table = new_table(&header);
    for c in &report.concentration {
        let scope = c
            .scope
            .as_ref()
            .map_or_else(|| "estate".to_string(), ToString::to_string);
        let largest = c.largest();
        let mut row = vec![
            scope,
            format!("{}s", c.over),
            match c.population {
                Population::All => "all resources".to_string(),
                Population::Critical => "critical dependencies".to_string(),
            },
            largest.map(|s| s.domain.id.clone()).unwrap_or_default(),
            largest.map(|s| percent(s.share)).unwrap_or_default(),
        ];
        if unpinned {
            row.push(unpinned_cell(Some(c)));
        }
        row.extend([format!("{:.0}", c.hhi), format!("{:.2}", c.effective_count)]);
        table.add_row(row);
    }
    writeln!(out, "Concentration\n{table}\n")
}

fn findings_list(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{} {s}", report.summary.get(s).copied().unwrap_or(0)))
        .collect();
    let suppressed = if report.suppressed > 0 {
        format!(" ({} suppressed, listed last)", report.suppressed)
    } else {
        String::new()
    };
    writeln!(out, "Findings: {}{suppressed}", counts.join(", "))?;
    let mut by_severity: BTreeMap<std::cmp::Reverse<Severity>, Vec<_>> = BTreeMap::new();
    for finding in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        by_severity
            .entry(std::cmp::Reverse(finding.severity))
            .or_default()
            .push(finding);
    }
    for (std::cmp::Reverse(severity), findings) in by_severity {
        writeln!(out)?;
        for finding in findings.iter().take(FINDINGS_SHOWN) {
            writeln!(
                out,
                "{:<8} {} [{}]\n  {}",
                severity.as_str().to_uppercase(),
                finding.rule,
                finding.id,
                finding.message
            )?;
            if !finding.path.is_empty() {
                writeln!(out, "  why: {}", render_path(&finding.path))?;
            }
            writeln!(out, "  fix: {}", finding.remediation)?;
            writeln!(out, "  controls: {}", controls_line(&finding.controls))?;
        }
        if findings.len() > FINDINGS_SHOWN {
            writeln!(
                out,
                "  ... and {} more {severity} findings (all are in --format json or csv)",
                findings.len() - FINDINGS_SHOWN
            )?;
        }
    }
    writeln!(out)
}

fn controls_line(controls: &crate::model::Controls) -> String {
    [
        ("DORA", &controls.dora),
        ("ISO 27001", &controls.iso27001),
        ("SOC 2", &controls.soc2),
        ("NIST 800-53", &controls.nist80053),
    ]
    .iter()
    .filter(|(_, ids)| !ids.is_empty())
    .map(|(name, ids)| format!("{name} {}", ids.join(", ")))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// Suppressed findings, what each suppression did, and rules that could not be evaluated.
fn suppressions_and_errors(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let suppressed: Vec<_> = report
        .findings
        .iter()
        .filter_map(|f| f.suppressed.as_ref().map(|s| (f, s)))
        .collect();
    if !suppressed.is_empty() {
        writeln!(out, "Suppressed findings ({})", suppressed.len())?;
        for (finding, by) in suppressed {
            let until = by
                .expires
                .as_deref()
                .map_or_else(String::new, |d| format!(", until {d}"));
            writeln!(
                out,
                "  {} {} [{}]: {}\n    reason: {} ({}{until})",
                finding.severity, finding.rule, finding.id, finding.message, by.reason, by.by
            )?;
        }
        writeln!(out)?;
    }
    let notable: Vec<_> = report
        .suppressions
        .iter()
        .filter(|s| s.status != crate::model::SuppressionStatus::Active)
        .collect();
    for s in notable {
        let what = match s.status {
            crate::model::SuppressionStatus::Expired => format!(
                "expired on {}; its {} finding(s) count again",
                s.expires.as_deref().unwrap_or("?"),
                s.matched
            ),
            _ => "matches no finding".to_string(),
        };
        writeln!(out, "warning: suppression at {} {what}", s.at)?;
    }
    if !report.rule_errors.is_empty() {
        writeln!(
            out,
            "Rule errors ({}): these rules could not be evaluated everywhere",
            report.rule_errors.len()
        )?;
        for e in &report.rule_errors {
            match &e.resource {
                Some(resource) => writeln!(out, "  {} on {resource}: {}", e.rule, e.message)?,
                None => writeln!(out, "  {}: {}", e.rule, e.message)?,
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

fn coverage_list(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    use crate::model::CoverageStatus;
    let reads: Vec<_> = report
        .coverage
        .iter()
        .filter(|c| c.status != CoverageStatus::Conflict)
        .collect();
    let failed = reads
        .iter()
        .filter(|c| c.status == CoverageStatus::Failed)
        .count();
    let conflicts = report.coverage.len() - reads.len();
    let conflicts = match conflicts {
        0 => String::new(),
        1 => "; 1 merge conflict, one value kept (the coverage record names all)".to_string(),
        n => format!("; {n} merge conflicts, one value kept each (the coverage records name all)"),
    };
    if failed == 0 {
        writeln!(
            out,
            "Coverage: complete ({} read{} recorded){conflicts}",
            reads.len(),
            if reads.len() == 1 { "" } else { "s" }
        )?;
    } else {
        writeln!(
            out,
            "Coverage: {failed} of {} reads failed (see coverage-gap findings){conflicts}",
            reads.len()
        )?;
    }
    external_list(report, out)
}

/// External references shown before the rest is counted.
const EXTERNAL_SHOWN: usize = 5;

/// The resources the estate references but another snapshot holds.
fn external_list(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let external = &report.estate.external;
    if external.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "External: {} resource{} held by another snapshot, outside this audit until merged (`linchpin merge`):",
        external.len(),
        if external.len() == 1 { "" } else { "s" }
    )?;
    for reference in external.iter().take(EXTERNAL_SHOWN) {
        writeln!(
            out,
            "  {} ({}), needed by {}",
            reference.id, reference.kind, reference.required_by
        )?;
    }
    if external.len() > EXTERNAL_SHOWN {
        writeln!(
            out,
            "  ... and {} more (estate.external in the JSON report)",
            external.len() - EXTERNAL_SHOWN
        )?;
    }
    Ok(())
}

/// The stopped critical services with their functions' owner, criticality, RTO and impact,
/// most impact first (the incident view's order), then the total per currency.
fn impact_table(report: &SimulationReport, out: &mut dyn Write) -> io::Result<()> {
    let impact = incident::impact_header(report);
    let mut table = new_table(&[
        "Critical service down",
        "Owner",
        "Criticality",
        "RTO",
        &impact,
        "Why",
    ]);
    for (down, _) in incident::rows(report) {
        let facts = down.function.as_ref();
        table.add_row(vec![
            down.name.clone(),
            incident::fact(facts.and_then(|f| f.owner.as_ref())),
            incident::fact(facts.and_then(|f| f.criticality.as_ref())),
            incident::rto_cell(facts),
            incident::impact_cell(report, facts),
            render_path(&down.path),
        ]);
    }
    writeln!(out, "{table}")?;
    if let Some(total) = incident::total_line(report) {
        writeln!(out, "{total}")?;
    }
    writeln!(out)
}

pub(super) fn simulation(report: &SimulationReport, out: &mut dyn Write) -> io::Result<()> {
    let failed: Vec<String> = report
        .failed
        .iter()
        .map(|f| format!("{} {}", f.kind, f.id))
        .collect();
    let duration = report
        .outage_duration()
        .map_or_else(String::new, |d| format!(" for {d}"));
    writeln!(
        out,
        "linchpin simulate: failing {}{duration}\n{} of {} resources down; {} critical service(s) down, {} up\n",
        failed.join(", "),
        report.down.len(),
        report.resources,
        report.critical_down.len(),
        report.critical_up.len()
    )?;
    if report.critical_down.is_empty() {
        writeln!(out, "No critical service goes down.\n")?;
    } else if incident::has_facts(report) {
        impact_table(report, out)?;
    } else {
        let mut table = new_table(&["Critical service down", "Why"]);
        for down in &report.critical_down {
            table.add_row(vec![down.name.clone(), render_path(&down.path)]);
        }
        writeln!(out, "{table}\n")?;
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for down in &report.down {
        *kinds.entry(down.kind.as_str()).or_default() += 1;
    }
    if !kinds.is_empty() {
        let mut table = new_table(&["Kind", "Resources down"]);
        for (kind, count) in kinds {
            table.add_row(vec![kind.to_string(), count.to_string()]);
        }
        writeln!(
            out,
            "{table}\n(every downed resource and its path: --format json or csv)"
        )?;
    }
    Ok(())
}
