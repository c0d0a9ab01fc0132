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
    // The common case, a well-formed report, is read in one typed pass. Only a file that
    // fails it is read again, slowly, to say exactly what is wrong with it.
    match serde_json::from_str::<AuditReport>(&text) {
        Ok(report) if report.schema == REPORT_SCHEMA => Ok(report),
        Ok(report) => Err(error(None, wrong_schema(&report.schema))),
        Err(err) => Err(explain(&text, err, error)),
    }
}

fn wrong_schema(schema: &str) -> String {
    format!(
        "`schema` is `{schema}`; expected `{REPORT_SCHEMA}` (a report of `linchpin audit --format json`)"
    )
}

/// What is wrong with a report that does not read as one: not JSON, the wrong `schema`, or
/// the place and problem of the first field that does not fit.
fn explain(
    text: &str,
    typed: serde_json::Error,
    error: impl Fn(Option<(usize, usize)>, String) -> ReportError,
) -> ReportError {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => return error(Some((err.line(), err.column())), format!("not JSON: {err}")),
    };
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(REPORT_SCHEMA) => {}
        Some(other) => return error(None, wrong_schema(other)),
        None => {
            return error(
                None,
                format!(
                    "no `schema` field; expected a `{REPORT_SCHEMA}` report of `linchpin audit --format json`"
                ),
            );
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, AuditReport>(&mut deserializer) {
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            error(
                Some((inner.line(), inner.column())),
                format!("at `{path}`: {inner}"),
            )
        }
        // The path-tracking pass agrees with the typed one in practice; should it not, the
        // typed pass's own error still names the place.
        Ok(_) => error(Some((typed.line(), typed.column())), typed.to_string()),
    }
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
