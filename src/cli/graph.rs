//! `linchpin graph`: the dependency graph as Graphviz DOT or Mermaid.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use linchpin::graph::ResourceIx;
use linchpin::view;

use super::exit::Exit;
use super::{EstateArgs, RuleArgs};

/// Draw the dependency graph: resources and their requirements, with providers, regions and
/// zones as nested clusters. Critical services are highlighted; `any of` requirements are
/// dashed. Render DOT with Graphviz (`dot -Tsvg`); paste Mermaid into Markdown.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Graph format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Draw only this service (id or unique name) and what it transitively requires.
    /// Repeatable.
    #[arg(long, value_name = "NAME")]
    service: Vec<String>,
    /// Draw only the critical services and what they transitively require.
    #[arg(long, conflicts_with = "service")]
    critical: bool,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    estate: EstateArgs,
    #[command(flatten)]
    rules: RuleArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

pub fn run(args: &GraphArgs) -> anyhow::Result<Exit> {
    super::check_distinct(&args.estate, args.output.as_deref())?;
    // The config decides which resources are critical services.
    let (_, config) = args.rules.load()?;
    let estate = args.estate.load(&config)?;
    let picture = if args.critical {
        let services: Vec<ResourceIx> = estate.critical.iter().map(|s| s.resource).collect();
        view::dependencies(&estate, &services, usize::MAX)
    } else if args.service.is_empty() {
        view::whole(&estate)
    } else {
        let services = args
            .service
            .iter()
            .map(|name| {
                estate
                    .find_resource(name)
                    .map_err(|err| anyhow::anyhow!("--service {name}: {err}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        view::dependencies(&estate, &services, usize::MAX)
    };
    super::output::write_output(args.output.as_deref(), |out| match args.format {
        GraphFormat::Dot => view::dot(&picture, out),
        GraphFormat::Mermaid => view::mermaid(&picture, out),
    })
    .with_context(|| match &args.output {
        Some(path) => format!("cannot write {}", path.display()),
        None => "cannot write to stdout".to_string(),
    })?;
    Ok(Exit::Clean)
}
