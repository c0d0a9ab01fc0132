//! Failure domains as documents name them: `{"kind": "zone", "id": "apne1-az4"}`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The kinds of failure domain, innermost first (the order reports sort by).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DomainKind {
    Zone,
    Region,
    Provider,
}

impl DomainKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainKind::Zone => "zone",
            DomainKind::Region => "region",
            DomainKind::Provider => "provider",
        }
    }

    /// Parse `zone`, `region` or `provider`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "zone" => Some(DomainKind::Zone),
            "region" => Some(DomainKind::Region),
            "provider" => Some(DomainKind::Provider),
            _ => None,
        }
    }
}

impl fmt::Display for DomainKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure domain as reports name it: `{"kind": "zone", "id": "apne1-az4"}`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct DomainRef {
    pub kind: DomainKind,
    pub id: String,
}

impl fmt::Display for DomainRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}
