//! `linchpin schema`: print the JSON Schema of a document linchpin reads or writes.

use clap::{Args, ValueEnum};

use super::exit::Exit;

/// Print the JSON Schema of the snapshot, audit report, simulation report or diff document.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which document.
    #[arg(value_enum)]
    document: Document,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Document {
    Snapshot,
    Report,
    Simulation,
    /// The output of `linchpin diff --format json`.
    Diff,
}

pub fn run(args: &SchemaArgs) -> anyhow::Result<Exit> {
    let name = match args.document {
        Document::Snapshot => "snapshot",
        Document::Report => "report",
        Document::Simulation => "simulation",
        Document::Diff => "diff",
    };
    let schema = linchpin::json_schema(name).expect("every document has a schema");
    super::output::write_output(None, |out| {
        serde_json::to_writer_pretty(&mut *out, &schema)?;
        out.write_all(b"\n")
    })?;
    Ok(Exit::Clean)
}
