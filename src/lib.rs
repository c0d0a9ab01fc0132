//! linchpin finds the linchpins of a cloud estate: the zones, regions, providers and single
//! resources whose loss takes critical services down, and how concentrated the estate is on
//! them.
//!
//! Data flows one way, and the module tree shows it:
//!
//! ```text
//! sources ──► Snapshot ──► graph ──► analysis ──► rules ──► judge ──► report ──► drift, evidence
//! (aws, demo,  (model,      (Estate)  (cut sets,    (rule     (config,  (documents  (baselines,
//!  synth)      snapshot)              SPOFs, ...)   files)    scores)   + formats)  bundles)
//! ```
//!
//! # Direction rules
//!
//! A module may import only the modules its row allows; `tests/architecture.rs` reads every
//! `src/**/*.rs` and fails, naming file and line, on any other `crate::` path, on `clap`
//! outside `cli/`, on an import cycle between top-level modules, and on a function over 120
//! lines.
//!
//! | module     | owns                                                          | may import |
//! |------------|---------------------------------------------------------------|------------|
//! | `model`    | the shared documents: snapshot types, findings, scores, ...   | nothing    |
//! | `diag`     | located diagnostics: source files, spans, JSON paths          | nothing    |
//! | `parallel` | spreading independent work over the cores, in order           | nothing    |
//! | `snapshot` | loading and validating snapshots, their schema                | `model`, `diag`, `parallel` |
//! | `sources`  | one per source (AWS, demo, synthetic), each yields a snapshot | `model`, `diag`, `snapshot` |
//! | `graph`    | the indexed estate, critical services                         | `model`, `parallel` |
//! | `analysis` | kill sets, propagation, explanations, concentration, impact   | `model`, `graph` |
//! | `view`     | dependency views; `dot` and `mermaid` draw them               | `model`, `graph` |
//! | `rules`    | rule files: load, CEL, facts, engine, finding producers       | `model`, `diag`, `parallel`, `graph`, `analysis` |
//! | `report`   | report documents and one writer per format                    | `model`, `parallel`, `graph`, `analysis`, `rules`, `view` |
//! | `judge`    | config, suppressions, scores, the one audit run               | `model`, `diag`, `graph`, `analysis`, `rules`, `report` |
//! | `drift`    | baseline marking and `diff`                                   | `model`, `analysis`, `report` |
//! | `evidence` | evidence bundles: manifest, OSCAL, DORA register, verify      | `model`, `parallel`, `snapshot`, `graph`, `analysis`, `rules`, `judge`, `report` |
//! | `cli`      | the binary: one file per subcommand, clap, stdout, exit codes | everything; nothing imports it |
//!
//! `report` sits below `judge` because the audit run builds the report document; report
//! writers only read what the run put there.

pub mod analysis;
pub mod diag;
pub mod drift;
pub mod evidence;
pub mod graph;
pub mod judge;
pub mod model;
pub mod parallel;
pub mod report;
pub mod rules;
pub mod snapshot;
pub mod sources;
pub mod view;

/// The JSON Schema of a document linchpin reads or writes, by name: `snapshot`, `report`,
/// `simulation` or `diff`.
pub fn json_schema(document: &str) -> Option<serde_json::Value> {
    match document {
        "snapshot" => Some(snapshot::json_schema()),
        "diff" => Some(drift::json_schema()),
        other => report::json_schema(other),
    }
}
