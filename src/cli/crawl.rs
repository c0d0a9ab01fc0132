//! `linchpin crawl aws`: read AWS accounts and regions into a snapshot file, and the AWS
//! options `audit --aws` and `simulate --aws` share; `linchpin crawl terraform`: import
//! Terraform state and plans into a snapshot file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use linchpin::model::{CoverageRecord, CoverageStatus, Snapshot};
use linchpin::sources::aws::organization::{self, Organization};
use linchpin::sources::aws::{self, CrawlOptions, Shard};
use linchpin::sources::state_files::{self, TerraformEstate};
use linchpin::sources::terraform::DocumentKind;

use super::exit::Exit;

/// Read an estate from a cloud provider, or from Terraform state, into a snapshot.
#[derive(Debug, Args)]
pub struct CrawlArgs {
    #[command(subcommand)]
    source: CrawlSource,
}

#[derive(Debug, Subcommand)]
enum CrawlSource {
    Aws(CrawlAwsArgs),
    Terraform(CrawlTerraformArgs),
}

/// Import Terraform state or plans into a snapshot: AWS, Google Cloud and Azure resources with
/// their zones, regions and requirement edges.
///
/// Reads state v4 (`terraform.tfstate`, `terraform state pull`, any Terraform 0.12–1.x or
/// OpenTofu) and `terraform show -json` of a state or a plan (a plan gives its planned
/// estate). All files are one estate: references between them resolve. A summary per file
/// (instances read, resources made, folded, skipped) and the coverage gaps go to stderr.
#[derive(Debug, Args)]
#[command(after_help = super::exit::CRAWL_TERRAFORM.render())]
pub struct CrawlTerraformArgs {
    /// The Terraform files; `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Write the snapshot to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Crawl AWS with the SDK's credential chain: zones as zone IDs, EC2/VPC, load balancers,
/// Auto Scaling, RDS, and every tagged resource. Read-only (policy/linchpin-readonly.json).
#[derive(Debug, Args)]
#[command(after_help = super::exit::CRAWL.render())]
pub struct CrawlAwsArgs {
    /// Write the snapshot to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    aws: AwsArgs,
}

/// Where and how to read AWS.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// Use this named profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE,
    /// then `default`).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Crawl this region; repeatable. Default: the profile's or AWS_REGION's region.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Crawl every region enabled for the account (DescribeRegions; opted-in regions only).
    #[arg(long, conflicts_with = "regions")]
    all_regions: bool,
    /// Send every request to URL instead of AWS (moto, LocalStack).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Crawl the account of this IAM role, assumed with STS; repeatable, one account each.
    /// Without it, the account of the default credentials is crawled.
    #[arg(
        long = "assume-role",
        value_name = "ARN",
        conflicts_with = "organization"
    )]
    assume_roles: Vec<String>,
    /// The external id the roles to assume require (--assume-role, or --organization's
    /// --role-name).
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,
    /// Crawl every ACTIVE account of the AWS Organization (ListAccounts, from the management
    /// account or a delegated administrator): each member through the role --role-name, the
    /// calling account itself with the default credentials (no role assumed into itself).
    #[arg(long)]
    organization: bool,
    /// The role to assume in each member account of --organization [default:
    /// OrganizationAccountAccessRole, the role AWS creates in accounts made in an
    /// organization].
    #[arg(long, value_name = "NAME", requires = "organization", value_parser = role_name)]
    role_name: Option<String>,
    /// With --organization, crawl only these accounts (12-digit ids, comma-separated; each
    /// must be an ACTIVE account of the organization).
    #[arg(long, value_name = "ID,...", value_delimiter = ',', requires = "organization", value_parser = account_id)]
    accounts: Vec<String>,
    /// With --organization, leave these accounts out (12-digit ids, comma-separated).
    #[arg(long, value_name = "ID,...", value_delimiter = ',', requires = "organization", value_parser = account_id)]
    exclude_accounts: Vec<String>,
    /// Crawl only shard K of N: a fixed slice of the account × region pairs (an account's
    /// global services count as one more pair), so N jobs with K = 1..N read everything
    /// once; merge their snapshots. Pair j of an account (its regions in name order, then the
    /// global services) goes to shard ((account id + j) mod N) + 1.
    #[arg(long, value_name = "K/N", value_parser = shard)]
    shard: Option<Shard>,
    /// Most AWS requests in flight at once, over all accounts, regions and services.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Attempts per request (adaptive retry: backs off and rate-limits when throttled).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    max_attempts: u32,
}

impl AwsArgs {
    /// The options given on the command line that only make sense with a crawl.
    pub fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        let flags: [(&'static str, bool); 11] = [
            ("--profile", self.profile.is_some()),
            ("--region", !self.regions.is_empty()),
            ("--all-regions", self.all_regions),
            ("--endpoint-url", self.endpoint_url.is_some()),
            ("--assume-role", !self.assume_roles.is_empty()),
            ("--external-id", self.external_id.is_some()),
            ("--organization", self.organization),
            ("--role-name", self.role_name.is_some()),
            ("--accounts", !self.accounts.is_empty()),
            ("--exclude-accounts", !self.exclude_accounts.is_empty()),
            ("--shard", self.shard.is_some()),
        ];
        for (flag, set) in flags {
            if set {
                given.push(flag);
            }
        }
        given
    }

    /// Crawl, reporting progress on stderr and a one-line summary at the end.
    pub fn crawl(&self) -> anyhow::Result<Snapshot> {
        if self.external_id.is_some() && self.assume_roles.is_empty() && !self.organization {
            anyhow::bail!("--external-id needs --assume-role or --organization");
        }
        let organization = self.organization.then(|| Organization {
            role_name: self
                .role_name
                .clone()
                .unwrap_or_else(|| organization::DEFAULT_ROLE_NAME.to_string()),
            accounts: self.accounts.clone(),
            exclude_accounts: self.exclude_accounts.clone(),
        });
        let options = CrawlOptions {
            profile: self.profile.clone(),
            regions: self.regions.clone(),
            all_regions: self.all_regions,
            endpoint_url: self.endpoint_url.clone(),
            assume_roles: self.assume_roles.clone(),
            external_id: self.external_id.clone(),
            organization,
            shard: self.shard,
            concurrency: usize::from(self.concurrency),
            max_attempts: self.max_attempts,
            progress: true,
        };
        let started = std::time::Instant::now();
        let crawl = aws::crawl(&options)?;
        if let Some(listing) = &crawl.organization {
            eprintln!("{}", organization_summary(listing, self.shard));
        }
        let snapshot = crawl.snapshot;
        let failed: Vec<_> = snapshot
            .coverage
            .iter()
            .filter(|c| c.status == CoverageStatus::Failed)
            .collect();
        // The regions read (account-wide calls are made from the home region, read or not).
        let regions: std::collections::BTreeSet<_> = snapshot
            .coverage
            .iter()
            .filter(|c| c.service != "sts" && c.operation != "DescribeRegions")
            .filter_map(|c| c.region.as_deref())
            .collect();
        eprintln!(
            "linchpin: crawled {} account(s), {} region(s){}: {} resources, {} requests in {:.1} s{}",
            snapshot.sources.len(),
            regions.len(),
            self.shard
                .map(|shard| format!(" (shard {shard})"))
                .unwrap_or_default(),
            snapshot.resources.len(),
            crawl.requests,
            started.elapsed().as_secs_f64(),
            if crawl.stale_dropped > 0 {
                format!(
                    " ({} tagged resource(s) no longer exist and were left out)",
                    crawl.stale_dropped
                )
            } else {
                String::new()
            }
        );
        if !failed.is_empty() {
            let listed: String = failed
                .iter()
                .map(|record| {
                    format!(
                        "\n  {} {} {}:{}: {}",
                        record.account.as_deref().unwrap_or("-"),
                        record.region.as_deref().unwrap_or("-"),
                        record.service,
                        record.operation,
                        record.error.as_deref().unwrap_or("failed")
                    )
                })
                .collect();
            tracing::warn!(
                "coverage incomplete: {} of {} reads failed; resources they would have found are missing:{listed}",
                failed.len(),
                snapshot.coverage.len()
            );
        }
        Ok(snapshot)
    }
}

/// `--role-name`: an IAM role name (letters, digits and `+=,.@_-`, up to 64), optionally
/// after a path (`path/name`).
fn role_name(text: &str) -> Result<String, String> {
    let name = text.rsplit('/').next().unwrap_or_default();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.is_empty()
        || name.len() > 64
        || text.starts_with('/')
        || !text.chars().all(|c| allowed(c) || c == '/')
    {
        return Err(
            "an IAM role name: up to 64 letters, digits and +=,.@_- (optionally after a path/)"
                .to_string(),
        );
    }
    Ok(text.to_string())
}

/// `--accounts`, `--exclude-accounts`: a 12-digit AWS account id.
fn account_id(text: &str) -> Result<String, String> {
    let text = text.trim();
    if organization::is_account_id(text) {
        Ok(text.to_string())
    } else {
        Err("an AWS account id is exactly 12 digits".to_string())
    }
}

/// `--shard K/N`.
fn shard(text: &str) -> Result<Shard, String> {
    text.parse::<Shard>().map_err(|e| e.to_string())
}

/// What an organization crawl listed and left out, for stderr.
fn organization_summary(listing: &organization::Listing, shard: Option<Shard>) -> String {
    let mut text = format!(
        "linchpin: {} lists {} account(s) (from {})",
        listing.id.as_deref().map_or_else(
            || "the organization".to_string(),
            |id| format!("organization {id}")
        ),
        listing.listed,
        listing.caller
    );
    if !listing.inactive.is_empty() {
        let inactive: Vec<String> = listing
            .inactive
            .iter()
            .map(|(id, state)| format!("{id} {state}"))
            .collect();
        text.push_str(&format!("; not ACTIVE, left out: {}", inactive.join(", ")));
    }
    if listing.filtered > 0 {
        text.push_str(&format!("; {} filtered out", listing.filtered));
    }
    if let Some(shard) = shard {
        text.push_str(&format!("; this is shard {shard}"));
    }
    text
}

/// Write a snapshot as pretty JSON to FILE (atomically) or stdout.
pub fn write_snapshot(path: Option<&Path>, snapshot: &Snapshot) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(snapshot).context("cannot serialise the snapshot")?;
    super::output::write_output(path, |out| {
        out.write_all(json.as_bytes())?;
        out.write_all(b"\n")
    })
    .with_context(|| match path {
        Some(path) => format!("cannot write {}", path.display()),
        None => "cannot write to stdout".to_string(),
    })
}

pub fn run(args: &CrawlArgs) -> anyhow::Result<Exit> {
    match &args.source {
        CrawlSource::Aws(args) => {
            let snapshot = args.aws.crawl()?;
            write_snapshot(args.output.as_deref(), &snapshot)?;
            Ok(Exit::complete_or_partial(snapshot.coverage_complete()))
        }
        CrawlSource::Terraform(args) => terraform(args),
    }
}

fn terraform(args: &CrawlTerraformArgs) -> anyhow::Result<Exit> {
    if let Some(output) = &args.output
        && let Some(input) = args.files.iter().find(|f| super::same_file(f, output))
    {
        anyhow::bail!(
            "--output {} is {}, a file being read; write the snapshot elsewhere",
            output.display(),
            input.display()
        );
    }
    let started = std::time::Instant::now();
    let mut estate = state_files::read_files(&args.files)?;
    // The snapshot says which AWS resources are entry points, as a crawl's does.
    aws::entry::state_entry_points(&mut estate.snapshot);
    write_snapshot(args.output.as_deref(), &estate.snapshot)?;
    eprint!(
        "{}",
        terraform_summary(&estate, started.elapsed().as_secs_f64())
    );
    Ok(Exit::complete_or_partial(
        estate.snapshot.coverage_complete(),
    ))
}

/// What an import read and made, per file, and its coverage gaps.
fn terraform_summary(estate: &TerraformEstate, seconds: f64) -> String {
    let snapshot = &estate.snapshot;
    let instances: u64 = snapshot.sources.iter().filter_map(|s| s.instances).sum();
    let mut text = format!(
        "linchpin: imported {} Terraform file(s): {} resources from {instances} instances in {seconds:.1} s\n",
        snapshot.sources.len(),
        snapshot.resources.len(),
    );
    for (source, (_, kind)) in snapshot.sources.iter().zip(&estate.files) {
        let what = match kind {
            DocumentKind::State => "state",
            DocumentKind::ShowState => "show -json of a state",
            DocumentKind::Plan => "plan: its planned estate",
        };
        text.push_str(&format!(
            "  {} ({what}): {} instances, {} resources, {} folded{}, {} skipped{}\n",
            source.name,
            source.instances.unwrap_or(0),
            source.resources.unwrap_or(0),
            source.folded.values().sum::<u64>(),
            by_type(&source.folded),
            source.skipped.values().sum::<u64>(),
            by_type(&source.skipped),
        ));
    }
    let gaps: Vec<&CoverageRecord> = snapshot
        .coverage
        .iter()
        .filter(|c| c.status == CoverageStatus::Failed)
        .collect();
    if !gaps.is_empty() {
        text.push_str(&format!(
            "linchpin: {} coverage gap(s); the snapshot lists them:\n",
            gaps.len()
        ));
        for gap in gaps {
            let scope: Vec<&str> = [
                gap.provider.as_deref(),
                gap.account.as_deref(),
                gap.region.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            text.push_str(&format!(
                "  {} {}: {}\n",
                scope.join(" "),
                gap.operation,
                gap.error.as_deref().unwrap_or("incomplete")
            ));
        }
    }
    text
}

/// ` (aws_route_table_association 3, random_id 1)`, or nothing for no types.
fn by_type(counts: &std::collections::BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = counts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    format!(" ({})", listed.join(", "))
}
