//! Explanations as documents: the chain of requirements from a critical service down to
//! the failure that stops it, one step per resource.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::DomainRef;

/// The reason a zone takes down an unpinned resource: it is in one zone of its region that
/// nobody chose, so linchpin counts every zone of the region as its own.
pub const NOT_PINNED: &str = "not pinned to a zone";

/// One link of an explanation: this resource is down because of `cause`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PathStep {
    pub resource: String,
    pub name: String,
    pub kind: String,
    pub cause: StepCause,
}

/// Why one step of a path is down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepCause {
    /// It requires `member`, which is down (the next step).
    Requires {
        member: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
    /// An `any_of` group needing `min` of `members` has `down` of them down; `member` (the
    /// next step) is one of them.
    AnyOf {
        member: String,
        down: u32,
        members: u32,
        min: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
    /// Its placement lost these domains (the end of the path).
    Placement {
        placement: String,
        domains: Vec<DomainRef>,
        /// Why these domains take it down when its placement does not name them: `not
        /// pinned to a zone` for an unpinned resource and a zone of its region (it sits in
        /// one zone nobody chose, so any zone may be the one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// It failed itself (the end of the path).
    Failed,
}
