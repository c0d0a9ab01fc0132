//! The incident view of a simulation: what stops, by business function and owner, most
//! impact first, ready to paste into an incident channel (Markdown). The terminal table of
//! `simulate` shows the same rows ([`rows`]).
//!
//! A row is a stopped business function: a resource of kind `function`, or any critical
//! service that declares function facts (owner, criticality, RTO, impact per hour). Rows with
//! an impact come first, largest first; the rest follow by name. Amounts in two currencies
//! are never added: each total is one amount per currency.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::markdown::escape;
use super::{CriticalDown, FunctionImpact, SimulationReport};
use crate::analysis::impact::{self, hours_text, money_text, totals_text};
use crate::model::{Money, PathStep, StepCause};

/// The resource kind of business functions.
const FUNCTION_KIND: &str = "function";
/// Characters of a name kept in one Markdown cell.
const NAME_CHARS: usize = 120;
/// Functions listed in the table, other critical services and resource kinds listed, before
/// "and N more".
const ROWS_SHOWN: usize = 100;
const NAMES_SHOWN: usize = 20;
/// How the owner list names functions without a declared owner.
const NO_OWNER: &str = "no owner declared";

/// The stopped critical services in incident order: business functions with an impact
/// (largest first), business functions without one (by name), then the other critical
/// services (by name). The flag says whether the service is a business function.
pub(super) fn rows(report: &SimulationReport) -> Vec<(&CriticalDown, bool)> {
    let kinds: BTreeMap<&str, &str> = report
        .down
        .iter()
        .map(|d| (d.resource.as_str(), d.kind.as_str()))
        .collect();
    let mut rows: Vec<(&CriticalDown, bool)> = report
        .critical_down
        .iter()
        .map(|c| {
            let function =
                c.function.is_some() || kinds.get(c.service.as_str()) == Some(&FUNCTION_KIND);
            (c, function)
        })
        .collect();
    let rate = |c: &CriticalDown| {
        c.function
            .as_ref()
            .and_then(|f| f.impact_per_hour.as_ref())
            .map(|m| m.amount)
    };
    rows.sort_by(|(a, a_function), (b, b_function)| {
        b_function
            .cmp(a_function)
            .then_with(|| rate(b).is_some().cmp(&rate(a).is_some()))
            .then_with(|| rate(b).unwrap_or(0.0).total_cmp(&rate(a).unwrap_or(0.0)))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.service.cmp(&b.service))
    });
    rows
}

/// Whether some stopped service declares function facts (the impact columns are shown).
pub(super) fn has_facts(report: &SimulationReport) -> bool {
    report.critical_down.iter().any(|c| c.function.is_some())
}

/// The header of the impact column: for the duration, or per hour.
pub(super) fn impact_header(report: &SimulationReport) -> String {
    match report.outage_duration() {
        Some(duration) => format!("Impact ({duration})"),
        None => "Impact per hour".to_string(),
    }
}

/// The impact cell: for the duration when one is given, else per hour; `–` for none.
pub(super) fn impact_cell(report: &SimulationReport, facts: Option<&FunctionImpact>) -> String {
    let impact = facts.and_then(|f| match report.duration {
        Some(_) => f.impact.as_ref().map(money_text),
        None => f
            .impact_per_hour
            .as_ref()
            .map(|m| format!("{}/h", money_text(m))),
    });
    impact.unwrap_or_else(|| "–".to_string())
}

/// The RTO cell, marked when the outage lasts longer.
pub(super) fn rto_cell(facts: Option<&FunctionImpact>) -> String {
    match facts.and_then(|f| f.rto_hours.map(|h| (h, f.exceeds_rto))) {
        Some((hours, Some(true))) => format!("{} (exceeded)", hours_text(hours)),
        Some((hours, _)) => hours_text(hours),
        None => "–".to_string(),
    }
}

/// A text fact or `–`.
pub(super) fn fact(value: Option<&String>) -> String {
    value.map_or_else(|| "–".to_string(), Clone::clone)
}

/// The total line: per currency, for the duration and per hour.
pub(super) fn total_line(report: &SimulationReport) -> Option<String> {
    let totals = report.impact.as_ref()?;
    let per_hour: Vec<Money> = totals
        .per_hour
        .iter()
        .map(|m| Money {
            amount: m.amount,
            currency: format!("{}/h", m.currency),
        })
        .collect();
    Some(match report.outage_duration() {
        Some(duration) => format!(
            "Total impact of {duration}: {} ({})",
            totals_text(&totals.for_duration),
            totals_text(&per_hour)
        ),
        None => format!("Total impact per hour: {}", totals_text(&totals.per_hour)),
    })
}

/// Why a service stopped, short: the path's first hop and the resource lost at its end
/// (`matching → matching-engine-1 (zonal in zone apne1-az4)`).
pub(super) fn stopped_because(path: &[PathStep]) -> String {
    let Some(last) = path.last() else {
        return "–".to_string();
    };
    let lost = match &last.cause {
        StepCause::Placement {
            placement,
            domains,
            reason,
        } => {
            let domains: Vec<String> = domains.iter().map(ToString::to_string).collect();
            let reason = reason
                .as_deref()
                .map_or_else(String::new, |r| format!(", {r}"));
            format!(
                "{} ({placement} in {}{reason})",
                last.name,
                domains.join(", ")
            )
        }
        StepCause::Failed => format!("{} (failed)", last.name),
        _ => last.name.clone(),
    };
    match path.len() {
        0 | 1 => format!("itself{}", &lost[last.name.len()..]),
        2 => lost,
        3 => format!("{} → {lost}", path[1].name),
        _ => format!("{} → … → {lost}", path[1].name),
    }
}

/// The failed domains and resources, as a heading says them.
pub(super) fn failed_text(report: &SimulationReport) -> String {
    report
        .failed
        .iter()
        .map(|f| format!("{} {}", f.kind, f.id))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn markdown(report: &SimulationReport, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = String::new();
    let duration = report
        .outage_duration()
        .map_or_else(String::new, |d| format!(" for {d}"));
    let _ = writeln!(
        doc,
        "## Outage: {}{duration}\n",
        escape(&failed_text(report), 400)
    );
    let rows = rows(report);
    let functions: Vec<&(&CriticalDown, bool)> = rows.iter().filter(|(_, f)| *f).collect();
    if functions.is_empty() {
        doc.push_str("No business function stops.\n");
    } else {
        function_table(report, &functions, &mut doc);
        if let Some(total) = total_line(report) {
            let _ = writeln!(doc, "\n**{}**", escape(&total, 400));
        }
        owners(report, &functions, &mut doc);
    }
    also_down(report, &rows, &mut doc);
    out.write_all(doc.as_bytes())
}

fn function_table(
    report: &SimulationReport,
    functions: &[&(&CriticalDown, bool)],
    doc: &mut String,
) {
    let _ = writeln!(
        doc,
        "| Function | Owner | Criticality | RTO | {} | Stopped because |\n|---|---|---|--:|--:|---|",
        impact_header(report)
    );
    for (down, _) in functions.iter().take(ROWS_SHOWN) {
        let facts = down.function.as_ref();
        let cells = [
            escape(&down.name, NAME_CHARS),
            escape(&fact(facts.and_then(|f| f.owner.as_ref())), NAME_CHARS),
            escape(
                &fact(facts.and_then(|f| f.criticality.as_ref())),
                NAME_CHARS,
            ),
            escape(&rto_cell(facts), NAME_CHARS),
            escape(&impact_cell(report, facts), NAME_CHARS),
            escape(&stopped_because(&down.path), 400),
        ];
        let _ = writeln!(doc, "| {} |", cells.join(" | "));
    }
    more(doc, functions.len(), ROWS_SHOWN, "functions");
}

/// A note that `total - shown` more items were left out, when any were.
fn more(doc: &mut String, total: usize, shown: usize, what: &str) {
    if total > shown {
        let _ = writeln!(
            doc,
            "\n…and {} more {what} (all are in `--format json`).",
            total - shown
        );
    }
}

/// Who to call: each owner with their stopped functions and their impact, most first.
fn owners(report: &SimulationReport, functions: &[&(&CriticalDown, bool)], doc: &mut String) {
    let mut by_owner: BTreeMap<&str, (Vec<&str>, Vec<Money>)> = BTreeMap::new();
    for (down, _) in functions {
        let facts = down.function.as_ref();
        let owner = facts.and_then(|f| f.owner.as_deref()).unwrap_or(NO_OWNER);
        let entry = by_owner.entry(owner).or_default();
        entry.0.push(&down.name);
        let amount = facts.and_then(|f| match report.duration {
            Some(_) => f.impact.clone(),
            None => f.impact_per_hour.clone(),
        });
        entry.1.extend(amount);
    }
    if by_owner.keys().all(|&owner| owner == NO_OWNER) {
        return;
    }
    let mut owners: Vec<(&str, Vec<&str>, Vec<Money>)> = by_owner
        .into_iter()
        .map(|(owner, (names, amounts))| (owner, names, impact::totals(&amounts)))
        .collect();
    let largest = |amounts: &[Money]| amounts.iter().map(|m| m.amount).fold(0.0, f64::max);
    owners.sort_by(|a, b| largest(&b.2).total_cmp(&largest(&a.2)).then(a.0.cmp(b.0)));
    doc.push_str("\n**By owner**\n\n");
    let per_hour = if report.duration.is_some() { "" } else { "/h" };
    for (owner, names, amounts) in owners {
        let impact = if amounts.is_empty() {
            String::new()
        } else {
            format!(": {}{per_hour}", totals_text(&amounts))
        };
        let _ = writeln!(
            doc,
            "- {} — {}{}",
            escape(owner, NAME_CHARS),
            escape(&names.join(", "), 400),
            escape(&impact, 400)
        );
    }
}

/// The other critical services that stop and how many resources are down.
fn also_down(report: &SimulationReport, rows: &[(&CriticalDown, bool)], doc: &mut String) {
    let others: Vec<&CriticalDown> = rows.iter().filter(|(_, f)| !f).map(|(c, _)| *c).collect();
    doc.push_str("\n**Also down**\n\n");
    if !others.is_empty() {
        let _ = writeln!(
            doc,
            "- {} other critical service{}: {}",
            others.len(),
            if others.len() == 1 { "" } else { "s" },
            others
                .iter()
                .take(NAMES_SHOWN)
                .map(|c| format!(
                    "{} — {}",
                    escape(&c.name, NAME_CHARS),
                    escape(&stopped_because(&c.path), 400)
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
        more(doc, others.len(), NAMES_SHOWN, "critical services");
    }
    let _ = writeln!(
        doc,
        "- {} of {} resources down; {} critical service{} still up",
        report.down.len(),
        report.resources,
        report.critical_up.len(),
        if report.critical_up.len() == 1 {
            ""
        } else {
            "s"
        },
    );
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for down in &report.down {
        *kinds.entry(down.kind.as_str()).or_default() += 1;
    }
    if !kinds.is_empty() {
        let mut kinds: Vec<(&str, usize)> = kinds.into_iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let left_out = kinds.len().saturating_sub(NAMES_SHOWN);
        let mut listed: Vec<String> = kinds
            .iter()
            .take(NAMES_SHOWN)
            .map(|(kind, n)| format!("{} {n}", escape(kind, NAME_CHARS)))
            .collect();
        if left_out > 0 {
            listed.push(format!("{left_out} more kinds"));
        }
        let _ = writeln!(doc, "- by kind: {}", listed.join(", "));
    }
}
