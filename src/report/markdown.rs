//! Markdown: the audit as a summary for a pull request comment or a CI job page
//! (GitHub-flavoured Markdown). A headline, the scores, what stops with one zone, region or
//! provider, the top findings, the concentration of critical dependencies, coverage gaps and
//! rule errors, and a footer naming the tool version and rule pack.
//!
//! GitHub refuses comments over 65,536 characters, so every list is capped, every cell is
//! shortened, and the whole document is kept under [`SIZE_LIMIT`] bytes: a table that would
//! cross it stops early and says how many rows were left out. Text from the estate is escaped
//! so a `|`, a newline or Markdown punctuation in a resource name cannot break a table.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::AuditReport;
use crate::analysis::Population;
use crate::model::{CoverageStatus, DomainKind, Finding, Severity};

/// The document stays under this many bytes (and so characters), well below GitHub's
/// 65,536-character limit for comments.
pub const SIZE_LIMIT: usize = 60_000;
/// Room kept for the notes that say what was cut and for the footer.
const RESERVE: usize = 2_500;
/// Findings listed before "and N more".
const FINDINGS_SHOWN: usize = 50;
/// Rows of the other tables before "and N more".
const ROWS_SHOWN: usize = 40;
/// Names listed in one cell before "+N more".
const NAMES_IN_CELL: usize = 3;
/// Characters of free text (messages, errors) kept in one cell.
const CELL_CHARS: usize = 280;
/// Characters of a name or id kept in one cell.
const NAME_CHARS: usize = 120;

pub(super) fn audit(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = Doc::default();
    headline(report, &mut doc);
    scores(report, &mut doc);
    cut_sets(report, &mut doc);
    findings(report, &mut doc);
    concentration(report, &mut doc);
    coverage_gaps(report, &mut doc);
    rule_errors(report, &mut doc);
    footer(report, &mut doc);
    out.write_all(doc.text.as_bytes())
}

/// The document being written, with the size guard.
#[derive(Default)]
struct Doc {
    text: String,
}

impl Doc {
    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// Whether `bytes` more still fit before the reserve.
    fn fits(&self, bytes: usize) -> bool {
        self.text.len() + bytes <= SIZE_LIMIT - RESERVE
    }

    /// A section heading, unless the document is already full.
    fn heading(&mut self, title: &str) -> bool {
        if !self.fits(title.len() + 8) {
            return false;
        }
        self.line(&format!("\n### {title}\n"));
        true
    }

    /// A table of `rows` (cells already escaped), at most `shown` of them and only as many as
    /// fit; then a note saying how many were left out and where to find them.
    fn table(&mut self, header: &[&str], align: &[&str], rows: Vec<Vec<String>>, shown: usize) {
        let total = rows.len();
        self.line(&format!("| {} |", header.join(" | ")));
        self.line(&format!("|{}|", align.join("|")));
        let mut written = 0;
        for row in rows.into_iter().take(shown) {
            let line = format!("| {} |", row.join(" | "));
            if !self.fits(line.len() + 1) {
                break;
            }
            self.line(&line);
            written += 1;
        }
        if written < total {
            let why = if written < shown.min(total) {
                " to keep this summary under GitHub's comment size limit"
            } else {
                ""
            };
            self.line(&format!(
                "\n…and {} more not shown{why}; all are in the full report (`--format json`, `csv` or `html`).",
                total - written
            ));
        }
    }
}

/// Escape text for Markdown: a backslash before every punctuation mark Markdown could read as
/// syntax (`|` included, so table cells hold), `<br>` for line breaks, control characters
/// dropped; at most `max_chars` characters of the text are kept (then `…`).
pub(super) fn escape(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 2) + 8);
    for (count, ch) in text.chars().enumerate() {
        if count == max_chars {
            out.push('…');
            break;
        }
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Up to [`NAMES_IN_CELL`] names, escaped, then `+N more`.
fn names<'a>(items: impl ExactSizeIterator<Item = &'a str>) -> String {
    let total = items.len();
    let mut shown: Vec<String> = items
        .take(NAMES_IN_CELL)
        .map(|s| escape(s, NAME_CHARS))
        .collect();
    if total > NAMES_IN_CELL {
        shown.push(format!("+{} more", total - NAMES_IN_CELL));
    }
    if shown.is_empty() {
        "–".to_string()
    } else {
        shown.join(", ")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn headline(report: &AuditReport, doc: &mut Doc) {
    doc.line("## linchpin audit");
    doc.line("");
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| {
            let n = report.summary.get(s).copied().unwrap_or(0);
            if n > 0 && *s >= Severity::High {
                format!("**{n} {s}**")
            } else {
                format!("{n} {s}")
            }
        })
        .collect();
    let e = &report.estate;
    let listed = |items: &[String], one: &str, many: &str| {
        let mut text = plural(items.len(), one, many);
        if !items.is_empty() {
            let shown: Vec<String> = items.iter().take(8).map(|s| escape(s, 60)).collect();
            let more = if items.len() > 8 { ", …" } else { "" };
            let _ = write!(text, " ({}{more})", shown.join(", "));
        }
        text
    };
    let mut line = format!(
        "Open findings: {} · {} suppressed · {} · {} · {} · {}",
        counts.join(" · "),
        report.suppressed,
        plural(e.resources, "resource", "resources"),
        listed(&e.providers, "provider", "providers"),
        listed(&e.regions, "region", "regions"),
        plural(
            report.critical_services.len(),
            "critical service",
            "critical services"
        ),
    );
    if let Some(input) = &e.input {
        let _ = write!(line, " · from {}", escape(input, NAME_CHARS));
    }
    doc.line(&line);
}

fn scores(report: &AuditReport, doc: &mut Doc) {
    if !doc.heading("Scores") {
        return;
    }
    if report.scores.is_empty() {
        doc.line("No provider or region to score.");
        return;
    }
    let rows = report
        .scores
        .iter()
        .map(|s| {
            let scope = match &s.region {
                None => format!("**{}**", escape(&s.provider, NAME_CHARS)),
                Some(region) => format!(
                    "{} / {}",
                    escape(&s.provider, NAME_CHARS),
                    escape(region, NAME_CHARS)
                ),
            };
            vec![scope, s.score.to_string(), s.grade.to_string()]
        })
        .collect();
    doc.table(
        &["Provider / region", "Score", "Grade"],
        &["---", "--:", ":-:"],
        rows,
        ROWS_SHOWN * 2,
    );
}

/// Display names of the critical services by id.
fn service_names(report: &AuditReport) -> HashMap<&str, &str> {
    report
        .critical_services
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect()
}

fn cut_sets(report: &AuditReport, doc: &mut Doc) {
    if !doc.heading("What stops if one zone, region or provider goes") {
        return;
    }
    let names = service_names(report);
    let services: HashMap<&str, &super::CriticalEntry> = report
        .critical_services
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();
    // Owner and impact only when some service declares them (a manifest's functions).
    let facts = report.services_have_facts();
    // Services a single zone stops first (most zones first), then those a region stops.
    let mut cuts: Vec<&super::CutSet> = report
        .cut_sets
        .iter()
        .filter(|c| !c.domains.is_empty())
        .collect();
    let count =
        |c: &super::CutSet, kind: DomainKind| c.domains.iter().filter(|d| d.kind == kind).count();
    cuts.sort_by_key(|c| {
        std::cmp::Reverse((count(c, DomainKind::Zone), count(c, DomainKind::Region)))
    });
    let rows: Vec<Vec<String>> = cuts
        .into_iter()
        .map(|c| {
            let service = names.get(c.service.as_str()).copied().unwrap_or(&c.service);
            let mut row = vec![escape(service, NAME_CHARS)];
            if facts {
                let entry = services.get(c.service.as_str());
                let owner = entry.and_then(|e| e.owner.as_deref()).unwrap_or("–");
                let impact = entry.and_then(|e| e.impact_per_hour.as_ref());
                row.push(escape(owner, NAME_CHARS));
                row.push(escape(&super::per_hour_text(impact, "–"), NAME_CHARS));
            }
            for kind in [DomainKind::Zone, DomainKind::Region, DomainKind::Provider] {
                let ids: Vec<&str> = c
                    .domains
                    .iter()
                    .filter(|d| d.kind == kind)
                    .map(|d| d.id.as_str())
                    .collect();
                row.push(self::names(ids.into_iter()));
            }
            row
        })
        .collect();
    if rows.is_empty() {
        doc.line("No single zone, region or provider stops a critical service.");
        return;
    }
    doc.line("Each critical service and the single domains whose loss alone stops it.\n");
    let (header, align): (&[&str], &[&str]) = if facts {
        (
            &[
                "Critical service",
                "Owner",
                "Impact per hour",
                "Zone",
                "Region",
                "Provider",
            ],
            &["---", "---", "--:", "---", "---", "---"],
        )
    } else {
        (
            &["Critical service", "Zone", "Region", "Provider"],
            &["---", "---", "---", "---"],
        )
    };
    doc.table(header, align, rows, ROWS_SHOWN);
}

/// Open findings, most severe first (report order within a severity).
fn open_by_severity(report: &AuditReport) -> Vec<&Finding> {
    let mut open: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    open.sort_by_key(|f| std::cmp::Reverse(f.severity));
    open
}

fn findings(report: &AuditReport, doc: &mut Doc) {
    if !doc.heading("Top findings") {
        return;
    }
    let open = open_by_severity(report);
    if open.is_empty() {
        doc.line("No open findings.");
        return;
    }
    let rows = open
        .into_iter()
        .map(|f| {
            vec![
                f.severity.as_str().to_string(),
                escape(&f.rule, NAME_CHARS),
                escape(&f.message, CELL_CHARS),
                names(f.resources.iter().map(String::as_str)),
            ]
        })
        .collect();
    doc.table(
        &["Severity", "Rule", "Message", "Resources"],
        &["---", "---", "---", "---"],
        rows,
        FINDINGS_SHOWN,
    );
}

fn concentration(report: &AuditReport, doc: &mut Doc) {
    let critical = |c: &&crate::analysis::Concentration| c.population == Population::Critical;
    let providers = report
        .concentration
        .iter()
        .filter(critical)
        .find(|c| c.scope.is_none() && c.over == DomainKind::Provider);
    let mut regions: Vec<_> = report
        .concentration
        .iter()
        .filter(critical)
        .filter(|c| {
            c.over == DomainKind::Zone
                && c.scope
                    .as_ref()
                    .is_some_and(|s| s.kind == DomainKind::Region)
        })
        .collect();
    if providers.is_none() && regions.is_empty() {
        return;
    }
    if !doc.heading("Concentration of critical dependencies") {
        return;
    }
    doc.line(
        "HHI: sum of squared shares × 10,000 (10,000 = all in one place; over 2,500 is highly \
         concentrated); effective count: how many equal places would give the same HHI.\n",
    );
    if let Some(c) = providers
        && let Some(largest) = c.largest()
    {
        doc.line(&format!(
            "Largest provider: {} with {:.0}% (HHI {:.0}, effective count {:.2}).\n",
            escape(&largest.domain.id, NAME_CHARS),
            largest.share * 100.0,
            c.hhi,
            c.effective_count
        ));
    }
    if regions.is_empty() {
        return;
    }
    // Most concentrated first.
    regions.sort_by(|a, b| b.hhi.total_cmp(&a.hhi).then_with(|| a.scope.cmp(&b.scope)));
    // The share deployed without availability zones, only when some region has any.
    let unpinned = regions.iter().any(|c| c.unpinned.is_some());
    let rows = regions
        .into_iter()
        .map(|c| {
            let region = c.scope.as_ref().map_or("", |s| s.id.as_str());
            let (zone, share) = c.largest().map_or(("–".to_string(), "–".to_string()), |s| {
                (
                    escape(&s.domain.id, NAME_CHARS),
                    format!("{:.0}%", s.share * 100.0),
                )
            });
            let mut row = vec![escape(region, NAME_CHARS), zone, share];
            if unpinned {
                row.push(
                    c.unpinned
                        .as_ref()
                        .map_or("–".to_string(), |u| format!("{:.0}%", u.share * 100.0)),
                );
            }
            row.extend([format!("{:.0}", c.hhi), format!("{:.2}", c.effective_count)]);
            row
        })
        .collect();
    let (header, align): (&[&str], &[&str]) = if unpinned {
        (
            &[
                "Region",
                "Largest zone",
                "Share",
                "Unpinned",
                "HHI",
                "Effective zones",
            ],
            &["---", "---", "--:", "--:", "--:", "--:"],
        )
    } else {
        (
            &["Region", "Largest zone", "Share", "HHI", "Effective zones"],
            &["---", "---", "--:", "--:", "--:"],
        )
    };
    doc.table(header, align, rows, ROWS_SHOWN);
    if unpinned {
        doc.line(
            "\nUnpinned: the share deployed without availability zones (in one zone nobody \
             chose, so down with any zone of the region), counted in no zone.",
        );
    }
}

fn coverage_gaps(report: &AuditReport, doc: &mut Doc) {
    let failed: Vec<_> = report
        .coverage
        .iter()
        .filter(|c| c.status == CoverageStatus::Failed)
        .collect();
    if failed.is_empty() || !doc.heading("Coverage gaps") {
        return;
    }
    doc.line(&format!(
        "{} of {} reads failed: what they would have found is missing from this audit.\n",
        failed.len(),
        report.coverage.len()
    ));
    let rows = failed
        .into_iter()
        .map(|c| {
            vec![
                escape(&c.source, NAME_CHARS),
                escape(c.account.as_deref().unwrap_or("–"), NAME_CHARS),
                escape(c.region.as_deref().unwrap_or("–"), NAME_CHARS),
                escape(&format!("{} {}", c.service, c.operation), NAME_CHARS),
                escape(c.error.as_deref().unwrap_or(""), CELL_CHARS),
            ]
        })
        .collect();
    doc.table(
        &["Source", "Account", "Region", "Read", "Error"],
        &["---", "---", "---", "---", "---"],
        rows,
        ROWS_SHOWN / 2,
    );
}

fn rule_errors(report: &AuditReport, doc: &mut Doc) {
    if report.rule_errors.is_empty() || !doc.heading("Rule errors") {
        return;
    }
    doc.line(&format!(
        "{}: these rules could not be evaluated everywhere, so they did not pass there.\n",
        plural(report.rule_errors.len(), "rule error", "rule errors")
    ));
    let rows = report
        .rule_errors
        .iter()
        .map(|e| {
            vec![
                escape(&e.rule, NAME_CHARS),
                escape(e.resource.as_deref().unwrap_or("–"), NAME_CHARS),
                escape(&e.message, CELL_CHARS),
            ]
        })
        .collect();
    doc.table(
        &["Rule", "Resource", "Error"],
        &["---", "---", "---"],
        rows,
        ROWS_SHOWN / 2,
    );
}

fn footer(report: &AuditReport, doc: &mut Doc) {
    let mut line = format!(
        "\n---\n<sub>{} {} · rule pack sha256 {} ({})",
        escape(&report.tool.name, 40),
        escape(&report.tool.version, 40),
        if report.rules.digest.is_empty() {
            "–".to_string()
        } else {
            escape(&report.rules.digest, 64)
        },
        plural(report.rules.enabled.len(), "rule", "rules"),
    );
    if let Some(config) = &report.rules.config {
        let _ = write!(line, " · config {}", escape(config, NAME_CHARS));
    }
    line.push_str("</sub>");
    doc.line(&line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_tables_whole() {
        assert_eq!(escape("a|b\nc", 100), "a\\|b<br>c");
        assert_eq!(escape("<script>", 100), "\\<script\\>");
        assert_eq!(escape("abcdef", 3), "abc…");
        assert_eq!(escape("tab\there", 100), "tab here");
    }

    #[test]
    fn tables_stop_at_the_size_limit() {
        let mut doc = Doc::default();
        let rows: Vec<Vec<String>> = (0..10_000)
            .map(|i| vec!["x".repeat(200), i.to_string()])
            .collect();
        doc.table(&["a", "b"], &["---", "---"], rows, usize::MAX);
        assert!(doc.text.len() <= SIZE_LIMIT);
        assert!(
            doc.text
                .contains("more not shown to keep this summary under GitHub")
        );
    }
}
