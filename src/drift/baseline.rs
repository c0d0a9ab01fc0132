//! Reading a previous report and marking the current one against it: which findings are
//! new, unchanged or fixed.

use std::collections::BTreeSet;
use std::path::Path;

use crate::model::{Baseline, BaselineState, FixedFinding, Severity};
use crate::report::{AuditReport, REPORT_SCHEMA};

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
