//! The documents every stage shares: the snapshot (resources, placements, requirement groups,
//! coverage), failure-domain references, explanation paths, findings, scores, suppression
//! outcomes, baseline states, rule metadata and resource selectors. Types, constructors and serde only: no
//! stage logic, and no import of any other part of the crate.

mod baseline;
mod domain;
mod finding;
mod ids;
mod path;
mod rule;
mod score;
pub mod selector;
mod snapshot;
mod suppression;

pub use baseline::{Baseline, BaselineState, FixedFinding};
pub use domain::{DomainKind, DomainRef};
pub use finding::{Finding, RuleError, Severity, Suppressed, fingerprint};
pub use ids::IdIndex;
pub use path::{NOT_PINNED, PathStep, StepCause};
pub use rule::{CheckType, Controls, Docs, Status};
pub use score::{Deduction, Score};
pub use snapshot::*;
pub use suppression::{SuppressionStatus, SuppressionUse};
