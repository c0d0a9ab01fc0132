//! HTML: the audit as one self-contained page — score cards, the zone-share and HHI charts,
//! the critical services' dependency picture, the findings, coverage gaps and rule errors.
//!
//! The page loads nothing: styles are inline, drawings are inline SVG (see `svg`), there are
//! no scripts, fonts, images or external links, and a content security policy forbids them
//! anyway, so it opens the same offline, from a CI artifact or an evidence bundle. Everything
//! taken from the estate is escaped. Long lists are capped and say how many were left out.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{AuditReport, svg};
use crate::analysis::render_path;
use crate::model::{CoverageStatus, DomainKind, Finding};

/// Findings listed in the table before "and N more".
const FINDINGS_SHOWN: usize = 500;
/// Score cards, services, coverage gaps and rule errors shown before "and N more".
const ROWS_SHOWN: usize = 300;
/// Names listed in one cell before "+N more".
const NAMES_IN_CELL: usize = 12;

/// Escape text for HTML element content and quoted attribute values: `& < > " '` become
/// character references, control characters other than tab and line feed become U+FFFD.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(ch),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--crit:#b91c1c;--all:#93c5fd;--critbar:#1d4ed8}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1400px;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
p.lead{color:var(--muted);margin:0 0 12px}.note,.omitted{color:var(--muted)}
nav a{margin-right:12px;color:#1d4ed8;text-decoration:none}
.counts span{display:inline-block;margin-right:10px;padding:2px 8px;border-radius:10px;background:#f3f4f6}
.counts .critical{background:#fee2e2;color:#991b1b}.counts .high{background:#ffedd5;color:#9a3412}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{width:170px;border-radius:8px;padding:10px 12px;border:1px solid var(--line);border-top:6px solid #9ca3af}
.card .scope{font-weight:600;word-break:break-all}.card .score{font-size:30px;font-weight:700}
.card .grade{float:right;font-size:30px;font-weight:700}.card .meta{color:var(--muted);font-size:12px}
.card.region{background:#fafafa}
.grade-a{border-top-color:#15803d}.grade-a .grade{color:#15803d}
.grade-b{border-top-color:#65a30d}.grade-b .grade{color:#65a30d}
.grade-c{border-top-color:#ca8a04}.grade-c .grade{color:#ca8a04}
.grade-d{border-top-color:#ea580c}.grade-d .grade{color:#ea580c}
.grade-f{border-top-color:#b91c1c}.grade-f .grade{color:#b91c1c}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f9fafb}td.num{text-align:right}
td ul{margin:0;padding-left:16px}
tr.sev-critical td.sev{background:#fee2e2;color:#991b1b;font-weight:700}
tr.sev-high td.sev{background:#ffedd5;color:#9a3412;font-weight:700}
tr.sev-medium td.sev{background:#fef9c3}tr.sev-low td.sev{background:#ecfccb}tr.sev-info td.sev{background:#f3f4f6}
tr.suppressed{color:var(--muted)}
.wide{overflow-x:auto}
svg text{font:12px system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;fill:var(--fg)}
svg .heading{font-weight:700}svg .note{fill:var(--muted)}svg .value{fill:var(--muted);font-size:11px}
svg .bar.critical{fill:var(--critbar)}svg .bar.all{fill:var(--all)}
svg .threshold{stroke:var(--crit);stroke-dasharray:4 3}
svg.picture .lane-bg{stroke:#e5e7eb}svg.picture .lane.cut .lane-bg{stroke:var(--crit);stroke-width:2}
svg.picture .lane-label{fill:var(--muted);font-size:11px}svg.picture .lane.cut .lane-label{fill:var(--crit);font-weight:600}
svg.picture .node rect{stroke:#64748b}svg.picture .node.critical rect{stroke:#111827;stroke-width:2.5}
svg.picture .node.spof rect{stroke:var(--crit);stroke-width:2.5;stroke-dasharray:5 2}
svg.picture .badge{fill:var(--crit);font-size:10px;font-weight:700}
svg.picture .edge{fill:none;stroke:#64748b;stroke-width:1.2;stroke-opacity:.7}svg.picture .edge.any{stroke-dasharray:5 3}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 18px;font-size:12px}
ul.legend li.cut{color:var(--crit);font-weight:600}
.swatch{display:inline-block;width:14px;height:10px;margin-right:5px;border:1px solid #64748b;vertical-align:middle}
.swatch.spof{border:2px dashed var(--crit)}.swatch.critical{border:2px solid #111827}
.swatch.edge-any{border:0;border-top:2px dashed #64748b;height:2px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
";

pub(super) fn audit(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::with_capacity(64 * 1024);
    head(report, &mut page);
    score_cards(report, &mut page);
    services(report, &mut page);
    charts(report, &mut page);
    picture(report, &mut page);
    findings(report, &mut page);
    gaps_and_errors(report, &mut page);
    foot(report, &mut page);
    out.write_all(page.as_bytes())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A note that `n` more items were left out, or nothing.
fn more(page: &mut String, n: usize, what: &str) {
    if n > 0 {
        let _ = write!(
            page,
            "<p class=\"omitted\">…and {n} more {what} not shown; all are in the JSON and CSV reports.</p>"
        );
    }
}

/// Up to [`NAMES_IN_CELL`] items as a list, then `+N more`.
fn list<'a>(items: impl ExactSizeIterator<Item = &'a str>) -> String {
    let total = items.len();
    if total == 0 {
        return String::new();
    }
    let mut html = String::from("<ul>");
    for item in items.take(NAMES_IN_CELL) {
        let _ = write!(html, "<li>{}</li>", escape(item));
    }
    if total > NAMES_IN_CELL {
        let _ = write!(
            html,
            "<li class=\"note\">+{} more</li>",
            total - NAMES_IN_CELL
        );
    }
    html.push_str("</ul>");
    html
}

fn head(report: &AuditReport, page: &mut String) {
    let e = &report.estate;
    let title = match &e.input {
        Some(input) => format!("linchpin audit — {input}"),
        None => "linchpin audit".to_string(),
    };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>{}</h1>",
        escape(&report.tool.name),
        escape(&report.tool.version),
        escape(&title),
        escape(&title),
    );
    let _ = write!(
        page,
        "<p class=\"lead\">{} · {} · {} · {} · {}</p><p class=\"counts\">Open findings: ",
        plural(e.resources, "resource", "resources"),
        plural(e.providers.len(), "provider", "providers"),
        plural(e.regions.len(), "region", "regions"),
        plural(e.zones.len(), "zone", "zones"),
        plural(
            report.critical_services.len(),
            "critical service",
            "critical services"
        ),
    );
    for severity in crate::model::Severity::ALL {
        let n = report.summary.get(&severity).copied().unwrap_or(0);
        let _ = write!(page, "<span class=\"{severity}\">{n} {severity}</span>");
    }
    let _ = writeln!(
        page,
        "<span class=\"suppressed\">{} suppressed</span></p>\n\
         <nav><a href=\"#scores\">Scores</a><a href=\"#services\">Critical services</a>\
         <a href=\"#concentration\">Concentration</a><a href=\"#picture\">Dependencies</a>\
         <a href=\"#findings\">Findings</a><a href=\"#coverage\">Coverage</a></nav></header>",
        report.suppressed
    );
}

fn score_cards(report: &AuditReport, page: &mut String) {
    page.push_str("<section id=\"scores\"><h2>Scores</h2>\n<p class=\"lead\">0–100 per provider and per provider/region, from the open findings scored there (A ≥ 90, B ≥ 80, C ≥ 65, D ≥ 50, else F).</p>\n<div class=\"cards\">");
    for s in report.scores.iter().take(ROWS_SHOWN) {
        let (kind, scope) = match &s.region {
            None => ("provider", s.provider.clone()),
            Some(region) => ("region", format!("{} / {region}", s.provider)),
        };
        let findings: usize = s.deductions.iter().map(|d| d.findings).sum();
        let grade = s.grade.to_ascii_lowercase();
        let _ = writeln!(
            page,
            "<div class=\"card {kind} grade-{grade}\" data-scope=\"{sc}\"><div class=\"scope\">{sc}</div>\
             <span class=\"grade\">{}</span><div class=\"score\">{}</div>\
             <div class=\"meta\">{} from {}</div></div>",
            escape(&s.grade.to_string()),
            s.score,
            plural(findings, "open finding", "open findings"),
            plural(s.deductions.len(), "rule", "rules"),
            sc = escape(&scope),
        );
    }
    page.push_str("</div>");
    if report.scores.is_empty() {
        page.push_str("<p class=\"note\">No provider or region to score.</p>");
    }
    more(
        page,
        report.scores.len().saturating_sub(ROWS_SHOWN),
        "scores",
    );
    page.push_str("</section>\n");
}

fn services(report: &AuditReport, page: &mut String) {
    page.push_str(
        "<section id=\"services\"><h2>Critical services: what stops if one zone, region or provider goes</h2>\n",
    );
    if report.critical_services.is_empty() {
        page.push_str("<p class=\"note\">No critical service.</p></section>\n");
        return;
    }
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
    // Owner and impact only when some service declares them (a manifest's functions).
    let facts = report.services_have_facts();
    page.push_str(
        "<div class=\"wide\"><table class=\"services\"><thead><tr><th>Critical service</th><th>Why critical</th>",
    );
    if facts {
        page.push_str("<th>Owner</th><th>Impact per hour</th>");
    }
    page.push_str(
        "<th>Stops with zone</th><th>Stops with region</th><th>Stops with provider</th><th>SPOFs</th></tr></thead><tbody>\n",
    );
    for s in report.critical_services.iter().take(ROWS_SHOWN) {
        let cut = cuts.get(s.id.as_str());
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
            list(ids.into_iter())
        };
        let facts = if facts {
            format!(
                "<td>{}</td><td class=\"num\">{}</td>",
                escape(s.owner.as_deref().unwrap_or("")),
                escape(&super::per_hour_text(s.impact_per_hour.as_ref(), ""))
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            page,
            "<tr class=\"service\"><td title=\"{}\">{}</td><td>{}</td>{facts}<td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(&s.id),
            escape(&s.name),
            escape(s.reason.as_str()),
            of_kind(DomainKind::Zone),
            of_kind(DomainKind::Region),
            of_kind(DomainKind::Provider),
            spofs.get(s.id.as_str()).copied().unwrap_or(0),
        );
    }
    page.push_str("</tbody></table></div>");
    more(
        page,
        report.critical_services.len().saturating_sub(ROWS_SHOWN),
        "critical services",
    );
    page.push_str("</section>\n");
}

fn charts(report: &AuditReport, page: &mut String) {
    page.push_str(
        "<section id=\"concentration\"><h2>Concentration</h2>\n<h3>Share of each zone in its region</h3>\n\
         <p class=\"lead\">Dark: the critical services and what they require; light: every resource. A multi-zone resource counts a fraction in each of its zones.",
    );
    if report.concentration.iter().any(|c| c.unpinned.is_some()) {
        page.push_str(
            " A resource deployed without availability zones sits in one zone nobody chose and goes down with any of them: it counts in its region's <em>unpinned</em> bar, in no zone.",
        );
    }
    page.push_str("</p>\n");
    match svg::zone_shares(report) {
        Some(chart) => {
            page.push_str("<div class=\"wide\">");
            page.push_str(&chart);
            page.push_str("</div>\n");
        }
        None => page.push_str("<p class=\"note\">No zonal resources in any region.</p>\n"),
    }
    page.push_str(
        "<h3>Herfindahl–Hirschman index</h3>\n<p class=\"lead\">Sum of squared shares × 10,000: 10,000 is everything in one place; above 2,500 is highly concentrated. The effective count is how many equal places would give the same index.</p>\n",
    );
    match svg::hhi(report) {
        Some(chart) => {
            page.push_str("<div class=\"wide\">");
            page.push_str(&chart);
            page.push_str("</div>\n");
        }
        None => page.push_str("<p class=\"note\">No placed resources.</p>\n"),
    }
    page.push_str("</section>\n");
}

fn picture(report: &AuditReport, page: &mut String) {
    page.push_str(
        "<section id=\"picture\"><h2>What the critical services require</h2>\n\
         <p class=\"lead\">Critical services on the left, what they require to the right. Lanes are failure domains; a lane outlined in red is a zone, region or provider whose loss alone stops a critical service.</p>\n",
    );
    match svg::picture(report) {
        Some((drawing, legend)) => {
            page.push_str(&legend);
            page.push_str("\n<div class=\"wide\">");
            page.push_str(&drawing);
            page.push_str("</div>\n");
            if report.picture.omitted > 0 {
                let _ = writeln!(
                    page,
                    "<p class=\"omitted\">{} (at most {} are drawn).</p>",
                    svg::omitted_text(report.picture.omitted, 0),
                    super::PICTURE_LIMIT
                );
            }
        }
        None => page.push_str("<p class=\"note\">No critical service to draw.</p>\n"),
    }
    page.push_str("</section>\n");
}

/// Open findings most severe first, then suppressed ones; report order within a severity.
fn ordered(report: &AuditReport) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by_key(|f| (f.suppressed.is_some(), std::cmp::Reverse(f.severity)));
    findings
}

fn findings(report: &AuditReport, page: &mut String) {
    let _ = writeln!(
        page,
        "<section id=\"findings\"><h2>Findings</h2>\n<p class=\"lead\">{} ({} open, {} suppressed), most severe first; suppressed ones last.</p>",
        plural(report.findings.len(), "finding", "findings"),
        report.findings.len() - report.suppressed.min(report.findings.len()),
        report.suppressed
    );
    if report.findings.is_empty() {
        page.push_str("<p class=\"note\">No findings.</p></section>\n");
        return;
    }
    page.push_str(
        "<div class=\"wide\"><table class=\"findings\"><thead><tr><th>Severity</th><th>Rule</th><th>Title</th>\
         <th>Message</th><th>Resources</th><th>Domains</th><th>Remediation</th><th>Suppressed</th></tr></thead><tbody>\n",
    );
    for f in ordered(report).into_iter().take(FINDINGS_SHOWN) {
        let suppressed = f.suppressed.as_ref().map(|s| {
            let until = s
                .expires
                .as_deref()
                .map_or_else(String::new, |d| format!(", until {d}"));
            format!("{} ({}{until})", s.reason, s.by)
        });
        let domains: Vec<String> = f.domains.iter().map(ToString::to_string).collect();
        let why = if f.path.is_empty() {
            String::new()
        } else {
            format!(
                "<div class=\"note\">why: {}</div>",
                escape(&render_path(&f.path))
            )
        };
        let _ = writeln!(
            page,
            "<tr class=\"finding sev-{sev}{sup}\" id=\"f-{id}\"><td class=\"sev\">{sev}</td><td>{rule}</td><td>{title}</td>\
             <td>{message}{why}</td><td>{resources}</td><td>{domains}</td><td>{fix}{controls}</td><td>{suppressed}</td></tr>",
            sev = f.severity,
            sup = if suppressed.is_some() {
                " suppressed"
            } else {
                ""
            },
            id = escape(&f.id),
            rule = escape(&f.rule),
            title = escape(&f.title),
            message = escape(&f.message),
            resources = list(f.resources.iter().map(String::as_str)),
            domains = list(domains.iter().map(String::as_str)),
            fix = escape(&f.remediation),
            controls = controls(&f.controls),
            suppressed = suppressed.as_deref().map(escape).unwrap_or_default(),
        );
    }
    page.push_str("</tbody></table></div>");
    more(
        page,
        report.findings.len().saturating_sub(FINDINGS_SHOWN),
        "findings",
    );
    page.push_str("</section>\n");
}

/// The controls a finding maps to, as a note under its remediation.
fn controls(controls: &crate::model::Controls) -> String {
    let parts: Vec<String> = [
        ("DORA", &controls.dora),
        ("ISO 27001", &controls.iso27001),
        ("SOC 2", &controls.soc2),
        ("NIST 800-53", &controls.nist80053),
    ]
    .iter()
    .filter(|(_, ids)| !ids.is_empty())
    .map(|(name, ids)| format!("{name} {}", ids.join(", ")))
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(
            "<div class=\"note controls\">{}</div>",
            escape(&parts.join(" · "))
        )
    }
}

fn gaps_and_errors(report: &AuditReport, page: &mut String) {
    page.push_str("<section id=\"coverage\"><h2>Coverage and rule errors</h2>\n");
    let failed: Vec<_> = report
        .coverage
        .iter()
        .filter(|c| c.status == CoverageStatus::Failed)
        .collect();
    if failed.is_empty() {
        let _ = writeln!(
            page,
            "<p>Coverage complete: {} recorded, none failed.</p>",
            plural(report.coverage.len(), "read", "reads")
        );
    } else {
        let _ = writeln!(
            page,
            "<p>{} of {} reads failed: what they would have found is missing from this audit.</p>\n\
             <div class=\"wide\"><table class=\"coverage-gaps\"><thead><tr><th>Source</th><th>Account</th><th>Region</th>\
             <th>Service</th><th>Operation</th><th>Error</th></tr></thead><tbody>",
            failed.len(),
            report.coverage.len()
        );
        for c in failed.iter().take(ROWS_SHOWN) {
            let _ = writeln!(
                page,
                "<tr class=\"gap\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.source),
                escape(c.account.as_deref().unwrap_or("")),
                escape(c.region.as_deref().unwrap_or("")),
                escape(&c.service),
                escape(&c.operation),
                escape(c.error.as_deref().unwrap_or("")),
            );
        }
        page.push_str("</tbody></table></div>");
        more(
            page,
            failed.len().saturating_sub(ROWS_SHOWN),
            "coverage gaps",
        );
    }
    if report.rule_errors.is_empty() {
        page.push_str("<p>No rule errors: every enabled rule was evaluated everywhere.</p>\n");
    } else {
        let _ = writeln!(
            page,
            "<p>{}: these rules could not be evaluated everywhere, so they did not pass there.</p>\n\
             <div class=\"wide\"><table class=\"rule-errors\"><thead><tr><th>Rule</th><th>Resource</th><th>Error</th></tr></thead><tbody>",
            plural(report.rule_errors.len(), "rule error", "rule errors")
        );
        for e in report.rule_errors.iter().take(ROWS_SHOWN) {
            let _ = writeln!(
                page,
                "<tr class=\"rule-error\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&e.rule),
                escape(e.resource.as_deref().unwrap_or("")),
                escape(&e.message),
            );
        }
        page.push_str("</tbody></table></div>");
        more(
            page,
            report.rule_errors.len().saturating_sub(ROWS_SHOWN),
            "rule errors",
        );
    }
    page.push_str("</section>\n");
}

fn foot(report: &AuditReport, page: &mut String) {
    let config = report
        .rules
        .config
        .as_deref()
        .map_or_else(String::new, |c| format!(" · config {}", escape(c)));
    let _ = writeln!(
        page,
        "<footer>{} {} · rule pack sha256 {} ({}){config} · report {}</footer>\n</body>\n</html>",
        escape(&report.tool.name),
        escape(&report.tool.version),
        if report.rules.digest.is_empty() {
            "–".to_string()
        } else {
            escape(&report.rules.digest)
        },
        plural(report.rules.enabled.len(), "rule", "rules"),
        escape(&report.schema),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{0}b"), "a\u{FFFD}b");
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(svg::thousands(0.0), "0");
        assert_eq!(svg::thousands(2500.0), "2,500");
        assert_eq!(svg::thousands(1_234_567.4), "1,234,567");
        assert_eq!(svg::thousands(f64::NAN), "0");
    }
}
