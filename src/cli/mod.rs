//! The command line: one file per subcommand, clap derive, doc comments as help. The only
//! part of linchpin that knows clap, stdout and exit codes (`exit`); `formats` names the
//! report formats on the command line, `output` writes files atomically.

mod audit;
mod crawl;
mod diff;
mod exit;
mod export;
mod formats;
mod generate;
mod graph;
mod output;
mod rules;
mod schema;
mod simulate;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use linchpin::graph::{CriticalPolicy, Estate};
use linchpin::judge::config::Config;
use linchpin::model::Snapshot;
use linchpin::report::SimulationFormat;

use exit::Exit;
use formats::SimulateFormat;
use linchpin::rules::RulePack;
use linchpin::snapshot;
use linchpin::sources::{Demo, Source};

/// Find the linchpins of a cloud estate: the zones, regions, providers and single resources
/// whose loss takes critical services down, and how concentrated the estate is on them.
#[derive(Debug, Parser)]
#[command(name = "linchpin", version, after_help = exit::AUDIT.render())]
pub struct Cli {
    /// Log progress to stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Audit(audit::AuditArgs),
    Crawl(crawl::CrawlArgs),
    Simulate(simulate::SimulateArgs),
    Graph(graph::GraphArgs),
    Diff(diff::DiffArgs),
    Export(export::ExportArgs),
    Verify(verify::VerifyArgs),
    Rules(rules::RulesArgs),
    Generate(generate::GenerateArgs),
    Schema(schema::SchemaArgs),
}

/// Which estate to read.
#[derive(Debug, Args)]
#[group(skip)]
#[command(group(
    clap::ArgGroup::new("source")
        .required(true)
        .multiple(false)
        .args(["demo", "snapshot", "aws"])
))]
pub struct EstateArgs {
    /// Use the embedded demo estate: a crypto exchange in AWS Tokyo (ap-northeast-1).
    #[arg(long)]
    demo: bool,
    /// Read a snapshot file (`linchpin.snapshot/v1` JSON); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Crawl AWS first, with the options listed under AWS (as `linchpin crawl aws`).
    #[arg(long)]
    aws: bool,
    #[command(flatten)]
    aws_options: crawl::AwsArgs,
    /// With --aws: also write the crawled snapshot to FILE, for later audits and evidence.
    #[arg(long, value_name = "FILE", requires = "aws")]
    save_snapshot: Option<PathBuf>,
}

impl EstateArgs {
    /// The snapshot file the estate comes from, as reports name it (see
    /// `EstateSummary::input`).
    fn input(&self) -> Option<String> {
        match (&self.snapshot, &self.save_snapshot) {
            (Some(path), _) if path.as_os_str() == "-" => None,
            (Some(path), _) | (None, Some(path)) => Some(path.display().to_string()),
            (None, None) if self.demo => Some("examples/demo-snapshot.json".into()),
            (None, None) => None,
        }
    }

    fn load(&self, policy: &CriticalPolicy) -> anyhow::Result<Estate> {
        let started = std::time::Instant::now();
        if !self.aws
            && let Some(flag) = self.aws_options.given().first()
        {
            anyhow::bail!("{flag} needs --aws");
        }
        let mut snapshot: Snapshot = match &self.snapshot {
            Some(path) => snapshot::load_file(path)?,
            None if self.aws => {
                let snapshot = self.aws_options.crawl()?;
                if let Some(path) = &self.save_snapshot {
                    crawl::write_snapshot(Some(path), &snapshot)?;
                }
                snapshot
            }
            None => {
                let Ok(snapshot) = Source::read(&Demo);
                snapshot
            }
        };
        // Snapshots written before the AWS source stated entry points get them here.
        linchpin::sources::aws::entry::state_entry_points(&mut snapshot);
        tracing::info!(
            resources = snapshot.resources.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "snapshot loaded"
        );
        let started = std::time::Instant::now();
        let estate = Estate::build_with(snapshot, policy);
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "graph built"
        );
        Ok(estate)
    }
}

/// Which rules run and how: extra rule directories and the config.
#[derive(Debug, Args)]
#[command(next_help_heading = "Rules and config")]
pub struct RuleArgs {
    /// Add the rule files of DIR (searched recursively for *.toml); a rule with a built-in
    /// rule's id replaces it. Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Read the config (rule selection, severities, critical services, suppressions) from
    /// FILE; by default `linchpin.toml` in the working directory when there is one.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl RuleArgs {
    /// The full pack (built-ins plus `--rules`) and the config validated against it.
    fn load(&self) -> anyhow::Result<(RulePack, Config)> {
        let pack = RulePack::load(&self.rules)?;
        let config = Config::discover(self.config.as_deref(), &pack)?;
        Ok((pack, config))
    }
}

/// Refuse to write a report over the snapshot it is made from.
fn check_distinct(estate: &EstateArgs, output: Option<&std::path::Path>) -> anyhow::Result<()> {
    if let (Some(input), Some(out)) = (&estate.snapshot, output)
        && let (Ok(a), Ok(b)) = (std::fs::canonicalize(input), std::fs::canonicalize(out))
        && a == b
    {
        anyhow::bail!(
            "--output {} is the snapshot being read; write the report elsewhere",
            out.display()
        );
    }
    Ok(())
}

/// Where and how to write the simulation report.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = SimulateFormat::Table)]
    format: SimulateFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

impl OutputArgs {
    fn write(
        &self,
        write: impl FnOnce(SimulationFormat, &mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        output::write_output(self.output.as_deref(), |out| write(self.format.into(), out))
            .with_context(|| match &self.output {
                Some(path) => format!("cannot write {}", path.display()),
                None => "cannot write to stdout".to_string(),
            })
    }
}

/// Parse the command line, run, and turn the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match &cli.command {
        Command::Audit(args) => audit::run(args),
        Command::Crawl(args) => crawl::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Export(args) => export::run(args),
        Command::Verify(args) => verify::run(args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            Exit::Error.into()
        }
    }
}

fn init_logging(verbose: u8) {
    // The SDK's credential chain warns about every provider it tries; the crawl reports the
    // outcome itself, so those warnings only show with -v.
    let default = match verbose {
        0 => "warn,aws_config=error",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
