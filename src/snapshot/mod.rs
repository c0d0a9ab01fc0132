//! The snapshot: the inventory document every source writes and every analysis reads.

mod load;
mod model;

pub use load::{JsonPath, PathSegment, Problem, SnapshotError, load_file, load_str, validate};
pub use model::*;

/// The JSON Schema of the snapshot document, generated from the types.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Snapshot)).expect("a schema is always JSON")
}
