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
mod merge;
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
use linchpin::sources::manifest::{self, Manifest};
use linchpin::sources::merge::prefer_first;
use linchpin::sources::state_files;
use linchpin::sources::{Demo, Source};

/// Find the linchpins of a cloud estate: the zones, regions, providers and single resources
/// whose loss takes critical services down, and how concentrated the estate is on them.
#[derive(Debug, Parser)]
#[command(name = "linchpin", version, after_help = exit::AUDIT.render())]
pub struct Cli {
    /// Log progress to stderr (-v info, -vv debug, -vvv each stage's timings); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Audit(audit::AuditArgs),
    Crawl(crawl::CrawlArgs),
    Merge(merge::MergeArgs),
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
        .multiple(true)
        .args(["demo", "snapshot", "aws", "terraform"])
))]
#[command(group(
    clap::ArgGroup::new("gathered")
        .multiple(true)
        .args(["aws", "terraform"])
))]
pub struct EstateArgs {
    /// Use the embedded demo estate: a crypto exchange in AWS Tokyo (ap-northeast-1).
    #[arg(long, conflicts_with_all = ["snapshot", "aws", "terraform"])]
    demo: bool,
    /// Read a snapshot file (`linchpin.snapshot/v1` JSON); `-` reads standard input.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["aws", "terraform"])]
    snapshot: Option<PathBuf>,
    /// Crawl AWS first, with the options listed under AWS (as `linchpin crawl aws`).
    #[arg(long)]
    aws: bool,
    /// Read Terraform state (`terraform.tfstate`, `terraform state pull`) or `terraform show
    /// -json` of a state or a plan; `-` reads standard input. Repeatable: all files are one
    /// estate (references between them resolve); with --aws, the crawl and the files are one
    /// estate (the same resource once, the crawl's facts first). A plan is read as its planned
    /// estate; `audit` also compares it with the plan's prior state (see --fail-on-new).
    #[arg(long = "terraform", value_name = "FILE")]
    terraform: Vec<PathBuf>,
    /// Add the business functions, third parties, edges and zone maps a manifest declares
    /// (TOML; see examples/manifest.toml). Repeatable; the sections may also live in the
    /// config file (`linchpin.toml`).
    #[arg(long = "manifest", value_name = "FILE")]
    manifest: Vec<PathBuf>,
    #[command(flatten)]
    aws_options: crawl::AwsArgs,
    /// With --aws or --terraform: also write the snapshot read (crawled, imported, merged) to
    /// FILE, for later audits and evidence.
    #[arg(long, value_name = "FILE", requires = "gathered")]
    save_snapshot: Option<PathBuf>,
}

/// A Terraform plan's prior estate, and how reports name it.
pub struct Prior {
    pub estate: Estate,
    /// `plan.json#/prior_state`.
    pub label: String,
}

impl EstateArgs {
    /// The file the estate comes from, as reports name it (see `EstateSummary::input`): the
    /// snapshot read or saved, the demo's committed copy, or the one Terraform file read.
    fn input(&self) -> Option<String> {
        match (&self.snapshot, &self.save_snapshot) {
            (Some(path), _) if path.as_os_str() == "-" => None,
            (Some(path), _) | (None, Some(path)) => Some(path.display().to_string()),
            (None, None) if self.demo => Some("examples/demo-snapshot.json".into()),
            (None, None) => match self.terraform.as_slice() {
                [one] if !self.aws && one.as_os_str() != "-" => Some(one.display().to_string()),
                _ => None,
            },
        }
    }

    /// Whether the estate read may hold a Terraform plan (known only once it is read).
    fn may_hold_plan(&self) -> bool {
        !self.terraform.is_empty()
    }

    /// The files the estate is read from, which no output may replace, each with what it is.
    fn inputs(&self) -> Vec<(&std::path::Path, &'static str)> {
        let snapshot = self.snapshot.iter().map(|p| (p.as_path(), "the snapshot"));
        let manifests = self.manifest.iter().map(|p| (p.as_path(), "a manifest"));
        let terraform = self
            .terraform
            .iter()
            .map(|p| (p.as_path(), "a Terraform file"));
        snapshot
            .chain(terraform)
            .chain(manifests)
            .filter(|(p, _)| p.as_os_str() != "-")
            .collect()
    }

    fn load(&self, config: &Config) -> anyhow::Result<Estate> {
        let (snapshot, _) = self.read(config)?;
        Ok(build(snapshot, &config.critical))
    }

    /// The estate and, when a Terraform file is a plan, the estate before the plan.
    fn load_with_prior(&self, config: &Config) -> anyhow::Result<(Estate, Option<Prior>)> {
        let policy = &config.critical;
        let (snapshot, prior) = self.read(config)?;
        let prior = prior.map(|(snapshot, label)| Prior {
            estate: build(snapshot, policy),
            label,
        });
        Ok((build(snapshot, policy), prior))
    }

    /// The manifest of `--manifest` and of the config file's manifest sections, if any, with
    /// the problems found reading it (reported with those of applying it).
    fn manifest(&self, config: &Config) -> anyhow::Result<Option<Declared>> {
        let (mut read, mut problems) = manifest::load(&self.manifest)?;
        if config.has_manifest {
            let name = config
                .path
                .as_ref()
                .map_or_else(|| "linchpin.toml".to_string(), |p| p.display().to_string());
            let source = linchpin::diag::SourceFile::new(name, config.text.clone());
            read.extend(manifest::parse(&source, true, &mut problems));
            manifest::check_across(&read, &mut problems);
        }
        if read.is_empty() && problems.is_empty() {
            return Ok(None);
        }
        Ok(Some(Declared {
            manifest: read,
            problems,
        }))
    }

    /// The snapshot of the estate, and for a plan the prior one with its label.
    fn read(&self, config: &Config) -> anyhow::Result<(Snapshot, Option<(Snapshot, String)>)> {
        let started = std::time::Instant::now();
        if !self.aws
            && let Some(flag) = self.aws_options.given().first()
        {
            anyhow::bail!("{flag} needs --aws");
        }
        if let Some(path) = &self.save_snapshot {
            check_not_input(self, path, "--save-snapshot")?;
        }
        // Manifests and Terraform files are read before any crawl: a bad file stops the run at
        // once.
        let declared = self.manifest(config)?;
        // Before a crawl, which takes long, the manifest's own problems stop the run; else
        // they are reported with those of applying it.
        if self.aws
            && let Some(declared) = &declared
            && !declared.problems.is_empty()
        {
            return Err(manifest::invalid(declared.problems.clone()).into());
        }
        let terraform = if self.terraform.is_empty() {
            None
        } else {
            Some(state_files::read_documents(&self.terraform)?)
        };
        let crawled = if self.aws {
            Some(self.aws_options.crawl()?)
        } else {
            None
        };
        // Imported after the crawl, so that references to crawled resources resolve.
        let terraform = match terraform {
            Some(documents) => {
                let beside = crawled.as_ref().map_or(&[][..], |c| &c.resources[..]);
                Some(state_files::import_documents(&documents, beside)?)
            }
            None => None,
        };
        let (snapshot, prior) = match (crawled, terraform) {
            (crawled, Some(terraform)) => {
                let label = prior_label(&terraform.plans());
                // The import validated its own estates; a merge is checked again.
                let (snapshot, prior) = match crawled {
                    Some(crawl) => {
                        let prior = terraform.prior.map(|p| prefer_first(crawl.clone(), p));
                        let snapshot = prefer_first(crawl, terraform.snapshot);
                        valid(&snapshot, "the estate of the crawl and the Terraform files")?;
                        if let Some(prior) = &prior {
                            valid(prior, "the estate of the crawl and the plans' prior state")?;
                        }
                        (snapshot, prior)
                    }
                    None => (terraform.snapshot, terraform.prior),
                };
                (snapshot, prior.map(|p| (p, label)))
            }
            (Some(crawl), None) => (crawl, None),
            (None, None) => match &self.snapshot {
                Some(path) => (snapshot::load_file(path)?, None),
                None => {
                    let Ok(snapshot) = Source::read(&Demo);
                    (snapshot, None)
                }
            },
        };
        let (mut snapshot, prior) = match &declared {
            Some(declared) => declare(declared, snapshot, prior)?,
            None => (snapshot, prior),
        };
        if let Some(path) = &self.save_snapshot {
            // The saved snapshot says which AWS resources are entry points, as a crawl's does.
            linchpin::sources::aws::entry::state_entry_points(&mut snapshot);
            crawl::write_snapshot(Some(path), &snapshot)?;
        }
        tracing::info!(
            resources = snapshot.resources.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "snapshot loaded"
        );
        Ok((snapshot, prior))
    }
}

/// A manifest read, and the problems found reading it.
struct Declared {
    manifest: Manifest,
    problems: Vec<linchpin::diag::Diagnostic>,
}

/// The estate with a manifest's declarations, and the estate before a plan with them too
/// (where the manifest's selectors may match nothing: the plan may add what they name).
fn declare(
    declared: &Declared,
    snapshot: Snapshot,
    prior: Option<(Snapshot, String)>,
) -> anyhow::Result<(Snapshot, Option<(Snapshot, String)>)> {
    let (manifest, problems) = (&declared.manifest, declared.problems.clone());
    let snapshot = manifest::apply_with(manifest, snapshot, true, problems)?;
    valid(&snapshot, "the estate with the manifest")?;
    let prior = match prior {
        Some((prior, label)) => {
            let prior = manifest::apply_with(manifest, prior, false, Vec::new())?;
            valid(&prior, "the plans' prior state with the manifest")?;
            Some((prior, label))
        }
        None => None,
    };
    Ok((snapshot, prior))
}

/// The graph of a snapshot, with the entry points stated.
fn build(mut snapshot: Snapshot, policy: &CriticalPolicy) -> Estate {
    // Snapshots written before the AWS source stated entry points get them here; so do the
    // AWS resources of Terraform state.
    linchpin::sources::aws::entry::state_entry_points(&mut snapshot);
    // A merge of the shards of a sharded crawl still names some DNS targets by name.
    linchpin::sources::aws::link_dns_targets(&mut snapshot);
    let started = std::time::Instant::now();
    let estate = Estate::build_with(snapshot, policy);
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "graph built"
    );
    estate
}

/// How reports name the estate a plan was made from: `plan.json#/prior_state`.
fn prior_label(plans: &[&str]) -> String {
    plans
        .iter()
        .map(|plan| format!("{plan}#/prior_state"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuse a snapshot that does not validate, listing every problem.
fn valid(snapshot: &Snapshot, what: &str) -> anyhow::Result<()> {
    let problems = snapshot::validate(snapshot);
    if problems.is_empty() {
        return Ok(());
    }
    Err(snapshot::SnapshotError {
        origin: what.to_string(),
        problems,
    }
    .into())
}

/// Refuse to write over a file the estate is read from.
fn check_not_input(
    estate: &EstateArgs,
    output: &std::path::Path,
    flag: &str,
) -> anyhow::Result<()> {
    for (input, what) in estate.inputs() {
        if same_file(input, output) {
            anyhow::bail!(
                "{flag} {} is {what} being read; write elsewhere",
                output.display()
            );
        }
    }
    Ok(())
}

/// Two paths that name one existing file.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    matches!(
        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
        (Ok(a), Ok(b)) if a == b
    )
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

/// Refuse to write a report over a file it is made from (a snapshot, a Terraform file).
fn check_distinct(estate: &EstateArgs, output: Option<&std::path::Path>) -> anyhow::Result<()> {
    if let Some(out) = output {
        for (input, what) in estate.inputs() {
            if same_file(input, out) {
                anyhow::bail!(
                    "--output {} is {what} being read; write the report elsewhere",
                    out.display()
                );
            }
        }
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
        Command::Merge(args) => merge::run(args),
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

/// Keep a command's large values until the process ends instead of freeing them: the
/// process exits right after the command, and the kernel takes its memory back at once,
/// while dropping a loaded estate frees every string and map one by one (0.56-0.59 s of a
/// million-resource audit, 0.18-0.23 s of a diff of two such reports). Only for values a
/// command holds to its end, and nothing whose drop does work (a temporary file, a writer).
fn leave<T>(value: T) {
    std::mem::forget(value);
}

fn init_logging(verbose: u8) {
    // The SDK's credential chain warns about every provider it tries; the crawl reports the
    // outcome itself, so those warnings only show with -v.
    let default = match verbose {
        0 => "warn,aws_config=error",
        1 => "info",
        2 => "debug",
        _ => "debug,linchpin=trace",
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
