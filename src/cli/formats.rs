//! The command-line names of the report formats: clap's value enums, mapped onto the
//! library's format types (which know nothing of clap).

use clap::ValueEnum;
use linchpin::report::{Format, SimulationFormat};

/// Output formats of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Terminal tables.
    Table,
    /// The JSON document (`linchpin.report/v1`).
    Json,
    /// One CSV row per finding.
    Csv,
    /// A summary for a pull request or CI job page (GitHub-flavoured Markdown).
    Markdown,
    /// One self-contained HTML page with score cards, charts, the critical services'
    /// dependency picture and the findings.
    Html,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: one test case per rule and critical service or resource.
    Junit,
}

impl From<AuditFormat> for Format {
    fn from(format: AuditFormat) -> Self {
        match format {
            AuditFormat::Table => Format::Table,
            AuditFormat::Json => Format::Json,
            AuditFormat::Csv => Format::Csv,
            AuditFormat::Markdown => Format::Markdown,
            AuditFormat::Html => Format::Html,
            AuditFormat::Sarif => Format::Sarif,
            AuditFormat::Junit => Format::Junit,
        }
    }
}

/// Output formats of `simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulateFormat {
    /// Terminal tables.
    Table,
    /// The JSON document (`linchpin.simulation/v1`).
    Json,
    /// One CSV row per downed resource.
    Csv,
    /// The incident view: what stops, by business function and owner, most impact first,
    /// ready to paste into an incident channel.
    Markdown,
}

impl From<SimulateFormat> for SimulationFormat {
    fn from(format: SimulateFormat) -> Self {
        match format {
            SimulateFormat::Table => SimulationFormat::Table,
            SimulateFormat::Json => SimulationFormat::Json,
            SimulateFormat::Csv => SimulationFormat::Csv,
            SimulateFormat::Markdown => SimulationFormat::Markdown,
        }
    }
}
