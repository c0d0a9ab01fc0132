//! Located diagnostics: source files with line and column lookup, TOML tables read with
//! spans, JSON paths, and collectors that gather every problem before stopping. Used by
//! every reader of user input (snapshots, configs, rule files); imports nothing of the crate.

pub mod json;
pub mod toml;

pub use json::{JsonPath, PathSegment, Problem, line_column, locate};
pub use toml::{Diagnostic, Diagnostics, Located, SourceFile, TableReader};
