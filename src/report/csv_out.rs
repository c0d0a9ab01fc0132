//! CSV: one row per finding (audit) or per downed resource (simulation).

use std::io::{self, Write};

use super::{AuditReport, SimulationReport};
use crate::analysis::render_path;

fn join(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn audit(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "id",
        "rule",
        "severity",
        "provider",
        "region",
        "services",
        "resources",
        "domains",
        "message",
        "path",
        "remediation",
        "dora",
        "iso27001",
        "soc2",
        "nist80053",
        "suppressed",
    ])?;
    for f in &report.findings {
        writer.write_record([
            f.id.as_str(),
            &f.rule,
            f.severity.as_str(),
            &f.provider,
            f.region.as_deref().unwrap_or(""),
            &join(&f.services),
            &join(&f.resources),
            &join(f.domains.iter().map(|d| format!("{}={}", d.kind, d.id))),
            &f.message,
            &render_path(&f.path),
            &f.remediation,
            &join(&f.controls.dora),
            &join(&f.controls.iso27001),
            &join(&f.controls.soc2),
            &join(&f.controls.nist80053),
            &f.suppressed
                .as_ref()
                .map_or_else(String::new, |s| format!("{} ({})", s.reason, s.by)),
        ])?;
    }
    writer.flush()
}

pub(super) fn simulation(report: &SimulationReport, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "resource", "name", "kind", "provider", "region", "critical", "path",
    ])?;
    for d in &report.down {
        writer.write_record([
            d.resource.as_str(),
            &d.name,
            &d.kind,
            &d.provider,
            d.region.as_deref().unwrap_or(""),
            if d.critical { "true" } else { "false" },
            &render_path(&d.path),
        ])?;
    }
    writer.flush()
}
