//! Reading and checking snapshots: the versioned inventory document every source writes and
//! every analysis reads (its types are in [`crate::model`]). Loading reports every problem at
//! once, each with its JSON path, line and column.

mod load;
mod split;

pub use load::{SnapshotError, load_file, load_str, validate};

use crate::model::Snapshot;

/// The JSON Schema of the snapshot document, generated from the types.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Snapshot)).expect("a schema is always JSON")
}
