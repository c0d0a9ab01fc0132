//! `mappings/controls.csv`: which controls of DORA, ISO/IEC 27001:2022, SOC 2 and NIST SP
//! 800-53 rev. 5 each enabled rule gives evidence for, with its open findings.

use std::collections::HashMap;
use std::io;

use crate::model::Controls;
use crate::report::AuditReport;

/// Reads one framework's control ids from a rule's mappings.
type ControlIds = fn(&Controls) -> &[String];

/// The frameworks, as the CSV names them, with the accessor for their control ids.
pub(super) const FRAMEWORKS: [(&str, ControlIds); 4] = [
    ("DORA", |c| &c.dora),
    ("ISO/IEC 27001:2022", |c| &c.iso27001),
    ("SOC 2", |c| &c.soc2),
    ("NIST SP 800-53 rev5", |c| &c.nist80053),
];

/// One row per enabled rule × framework × control id, rules in id order, frameworks in the
/// order above, controls as the rule lists them (each once).
pub(super) fn controls(report: &AuditReport) -> io::Result<Vec<u8>> {
    let mut open: HashMap<&str, usize> = HashMap::new();
    for finding in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        *open.entry(finding.rule.as_str()).or_default() += 1;
    }
    let mut rules: Vec<_> = report.catalog.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["rule", "title", "framework", "control", "open_findings"])?;
    for rule in rules {
        let count = open.get(rule.id.as_str()).copied().unwrap_or(0).to_string();
        for (framework, ids) in FRAMEWORKS {
            let mut seen: Vec<&str> = Vec::new();
            for control in ids(&rule.controls) {
                if seen.contains(&control.as_str()) {
                    continue;
                }
                seen.push(control);
                writer.write_record([rule.id.as_str(), &rule.title, framework, control, &count])?;
            }
        }
    }
    writer.into_inner().map_err(|err| err.into_error())
}
