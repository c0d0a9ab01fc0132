//! What suppressions did in a run, as reports record it.

/// What one suppression did in a run.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct SuppressionUse {
    /// Where it is written: `linchpin.toml:12`.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub status: SuppressionStatus,
    /// Findings it matched (suppressed unless it has expired).
    pub matched: usize,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionStatus {
    /// It suppresses at least one finding.
    Active,
    /// Its expiry date has passed: its findings count again.
    Expired,
    /// It matches no finding (fixed, or a typo).
    Unused,
}
