//! Drift between two audit reports: findings new, unchanged and fixed by their stable
//! fingerprint, and the scores, concentration and cut sets that moved. `audit --baseline`
//! marks the current report against a previous one; `linchpin diff` compares two report files.

mod baseline;
mod compare;

pub use baseline::{ReportError, load_report, mark, new_at_or_above};
pub use compare::{
    ChangedFinding, ConcentrationChange, CutSetChange, DIFF_SCHEMA, Diff, ScoreChange, compare,
};

/// The JSON Schema of the diff document.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Diff)).expect("a schema is always JSON")
}
