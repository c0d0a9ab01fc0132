//! The AWS source: crawl accounts and regions with the AWS SDK into a snapshot.
//!
//! Per account (the default credentials, or each role assumed with `--assume-role`) the crawl
//! learns the account id (STS), the regions, and per region the zone name → zone ID map; then
//! every service of every region is read concurrently under one bound on requests in flight.
//! Each describer turns its service's resources into snapshot resources with zone-ID
//! placements and requirement edges; the tagging API adds tags and the resources of services
//! without a describer. Every failed call becomes a coverage record and the crawl goes on.

pub(crate) mod arn;
mod autoscaling;
mod calls;
mod cloudfront;
mod dynamodb;
mod ec2;
mod efs;
mod elasticache;
mod elbv2;
pub mod entry;
mod lambda;
mod rds;
mod route53;
mod tagging;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;

pub use arn::Arn;
use calls::Calls;
pub use calls::Scope;

use crate::model::{Placement, Resource, SNAPSHOT_SCHEMA, Snapshot, Source, Zone, ZoneId};

/// What to crawl and how.
#[derive(Debug, Clone, Default)]
pub struct CrawlOptions {
    /// A named profile of the shared config and credentials files.
    pub profile: Option<String>,
    /// Regions to read; empty means the configured default region (unless `all_regions`).
    pub regions: Vec<String>,
    /// Read every region enabled for the account (DescribeRegions).
    pub all_regions: bool,
    /// Send every request to this endpoint (moto, LocalStack).
    pub endpoint_url: Option<String>,
    /// Roles to assume, one account each; none means the default credentials' account.
    pub assume_roles: Vec<String>,
    /// The external id to present when assuming roles.
    pub external_id: Option<String>,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// Attempts per request, with the SDK's adaptive retry (client-side rate limiting).
    pub max_attempts: u32,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// Why a crawl could not run at all (as opposed to gaps, which are coverage records).
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error(
        "no AWS region: pass --region (repeatable) or --all-regions, or set AWS_REGION or a region in the profile"
    )]
    NoRegion,
    #[error(
        "cannot read any account: {0}\n(check the credentials (AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID, --assume-role) and that the endpoint is reachable)"
    )]
    NoAccount(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// A finished crawl: the snapshot and how many requests it took.
#[derive(Debug)]
pub struct Crawl {
    pub snapshot: Snapshot,
    pub requests: u64,
    /// Resources the tagging API still lists although their describer no longer finds them.
    pub stale_dropped: usize,
}

/// Crawl AWS into a snapshot.
pub fn crawl(options: &CrawlOptions) -> Result<Crawl, CrawlError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crawl_async(options))
}

/// One account and region being read, shared by its service describers.
#[derive(Debug)]
pub(crate) struct RegionCtx {
    pub calls: Calls,
    pub scope: Scope,
    pub account: String,
    pub region: String,
    pub config: SdkConfig,
    /// Zone name → zone ID, from DescribeAvailabilityZones.
    pub zone_ids: HashMap<String, ZoneId>,
}

impl RegionCtx {
    /// The zone ID of a zone name of this account and region.
    pub fn zone_id(&self, name: &str) -> Option<ZoneId> {
        self.zone_ids.get(name).cloned()
    }

    /// A new resource of this account and region.
    pub fn resource(&self, id: String, kind: &str, name: &str, placement: Placement) -> Resource {
        Resource {
            id,
            provider: "aws".into(),
            account: Some(self.account.clone()),
            region: Some(self.region.clone()),
            kind: kind.into(),
            name: name.into(),
            tags: BTreeMap::new(),
            attributes: BTreeMap::new(),
            placement,
            requirements: Vec::new(),
        }
    }
}

/// Requirement members that are DNS names (Route 53 targets, CloudFront origins) until they
/// are resolved to the resources that answer for them.
pub(crate) const DNS_PREFIX: &str = "dns:";

/// A resource of a global service (Route 53, CloudFront): its control plane is in us-east-1.
pub(crate) fn global_resource(account: &str, id: String, kind: &str, name: &str) -> Resource {
    Resource {
        id,
        provider: "aws".into(),
        account: Some(account.to_string()),
        region: None,
        kind: kind.into(),
        name: name.into(),
        tags: BTreeMap::new(),
        attributes: BTreeMap::new(),
        placement: Placement::Global {
            control_plane_region: Some("us-east-1".into()),
        },
        requirements: Vec::new(),
    }
}

/// What one describer found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub resources: Vec<Resource>,
    /// Kinds the describer listed in full: a tagged resource of such a kind that the describer
    /// did not find no longer exists.
    pub listed_kinds: Vec<&'static str>,
}

/// The zone placement of a set of zone IDs: zonal for one, multi-zone for several, unknown for
/// none.
pub(crate) fn zones_placement(zones: impl IntoIterator<Item = ZoneId>) -> Placement {
    let zones: BTreeSet<ZoneId> = zones.into_iter().collect();
    match zones.len() {
        0 => Placement::Unknown,
        1 => Placement::Zonal {
            zone: zones.into_iter().next().expect("one zone"),
        },
        _ => Placement::MultiZone {
            zones: zones.into_iter().collect(),
            inferred: false,
        },
    }
}

/// Tags as a map, with the `Name` tag as the display name when present.
pub(crate) fn apply_tags<'a>(
    resource: &mut Resource,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    for (key, value) in tags {
        resource.tags.insert(key.to_string(), value.to_string());
    }
    if let Some(name) = resource.tags.get("Name")
        && !name.is_empty()
    {
        resource.name = name.clone();
    }
}

struct Account {
    id: String,
    config: SdkConfig,
}

async fn base_config(options: &CrawlOptions, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::adaptive()
                .with_max_attempts(options.max_attempts.max(1))
                .with_initial_backoff(Duration::from_millis(200)),
        )
        // A request that hangs must not hang the crawl: it fails, is retried, and at worst
        // becomes a coverage gap.
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

async fn crawl_async(options: &CrawlOptions) -> Result<Crawl, CrawlError> {
    let calls = Calls::new(options.concurrency);
    let base = base_config(options, options.regions.first().map(String::as_str)).await;
    // The region for account-wide calls (STS, DescribeRegions): the first given, else the
    // configured one; --all-regions needs none configured and starts from us-east-1.
    let home_region = match base.region() {
        Some(region) => region.to_string(),
        None if options.all_regions => "us-east-1".to_string(),
        None => return Err(CrawlError::NoRegion),
    };
    let base = base
        .to_builder()
        .region(Region::new(home_region.clone()))
        .build();
    let credentials = account_credentials(options, &base).await;
    let accounts = identify_accounts(&calls, credentials, &home_region).await?;

    let mut crawler = Crawler {
        options,
        calls,
        home_region,
        progress: progress_bar(options),
        jobs: JoinSet::new(),
        pending: BTreeSet::new(),
    };
    let mut sources = Vec::new();
    for account in &accounts {
        sources.push(Source::new("aws", account.id.clone()));
        crawler.spawn_account(account).await;
    }
    let read = crawler.collect().await;
    let Crawler {
        calls,
        progress,
        pending,
        ..
    } = crawler;
    for scope in &pending {
        calls.interrupted(scope);
    }
    progress.finish_and_clear();
    let (resources, stale_dropped) = merge_resources(read.found, read.regions);

    let mut snapshot = Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        sources,
        coverage: calls.coverage(),
        zones: read.zones.into_values().collect(),
        entity: None,
        third_parties: Vec::new(),
        resources,
    };
    entry::state_entry_points(&mut snapshot);
    Ok(Crawl {
        snapshot,
        requests: calls.total(),
        stale_dropped,
    })
}

/// The credentials to crawl with, each with a label for errors: the default credentials', or
/// one per assumed role.
async fn account_credentials(options: &CrawlOptions, base: &SdkConfig) -> Vec<(String, SdkConfig)> {
    let mut credentials = Vec::new();
    if options.assume_roles.is_empty() {
        let label = match &options.profile {
            Some(profile) => format!("profile {profile}"),
            None => "default credentials".to_string(),
        };
        credentials.push((label, base.clone()));
    }
    for role in &options.assume_roles {
        let mut provider = aws_config::sts::AssumeRoleProvider::builder(role)
            .session_name("linchpin-crawl")
            .configure(base);
        if let Some(external_id) = &options.external_id {
            provider = provider.external_id(external_id);
        }
        let provider = provider.build().await;
        let config = base
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
        credentials.push((role.clone(), config));
    }
    credentials
}

/// The account of each set of credentials (STS GetCallerIdentity). Credentials that cannot
/// name theirs are left out; when none can, the crawl cannot run.
async fn identify_accounts(
    calls: &Calls,
    credentials: Vec<(String, SdkConfig)>,
    home_region: &str,
) -> Result<Vec<Account>, CrawlError> {
    let mut accounts = Vec::new();
    let mut failures = Vec::new();
    for (label, config) in credentials {
        let sts = aws_sdk_sts::Client::new(&config);
        let result = sts.get_caller_identity().send().await;
        let account = result
            .as_ref()
            .ok()
            .and_then(|out| out.account().map(str::to_string));
        let scope = Scope {
            account: account.clone().unwrap_or_else(|| label.clone()),
            region: Some(home_region.to_string()),
        };
        if let Err(error) = &result {
            failures.push(format!("{label}: {}", calls::describe(error)));
        }
        calls.settle(&scope, "sts", "GetCallerIdentity", result);
        if let Some(id) = account {
            accounts.push(Account { id, config });
        }
    }
    if accounts.is_empty() {
        return Err(CrawlError::NoAccount(failures.join("; ")));
    }
    Ok(accounts)
}

/// The progress bar on stderr, when asked for and stderr is a terminal; else a hidden one.
fn progress_bar(options: &CrawlOptions) -> ProgressBar {
    if options.progress && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .expect("valid progress template"),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// The crawl's jobs as they are spawned and collected.
struct Crawler<'a> {
    options: &'a CrawlOptions,
    calls: Calls,
    home_region: String,
    progress: ProgressBar,
    jobs: JoinSet<Job>,
    /// The scopes whose jobs have not finished: gaps if the crawl is interrupted.
    pending: BTreeSet<Scope>,
}

/// What the finished jobs returned.
#[derive(Default)]
struct Read {
    zones: BTreeMap<ZoneId, Zone>,
    /// The resources of the global services.
    found: Vec<Resource>,
    /// The regions, their zones taken out.
    regions: Vec<RegionResult>,
}

impl Crawler<'_> {
    /// Spawn the jobs of one account: its global services, and each region to read.
    async fn spawn_account(&mut self, account: &Account) {
        self.progress.inc_length(GLOBAL_SERVICES as u64);
        let scope = Scope {
            account: account.id.clone(),
            region: None,
        };
        self.pending.insert(scope.clone());
        self.jobs.spawn(crawl_global(
            self.calls.clone(),
            scope,
            account.config.clone(),
            self.progress.clone(),
        ));
        let regions = if self.options.all_regions {
            enabled_regions(&self.calls, account, &self.home_region).await
        } else if self.options.regions.is_empty() {
            vec![self.home_region.clone()]
        } else {
            self.options.regions.clone()
        };
        for region in regions {
            let config = account
                .config
                .to_builder()
                .region(Region::new(region.clone()))
                .build();
            self.progress.inc_length(SERVICES as u64);
            self.pending.insert(Scope {
                account: account.id.clone(),
                region: Some(region.clone()),
            });
            self.jobs.spawn(crawl_region(
                self.calls.clone(),
                account.id.clone(),
                region,
                config,
                self.progress.clone(),
            ));
        }
    }

    /// Collect as jobs finish. On Ctrl-C, stop the rest and keep what was read: the regions
    /// not finished stay pending (they become coverage gaps), and the snapshot is still
    /// written.
    async fn collect(&mut self) -> Read {
        let mut read = Read::default();
        let interrupt = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::pin!(interrupt);
        let mut interrupted = false;
        loop {
            tokio::select! {
                joined = self.jobs.join_next() => {
                    let Some(joined) = joined else { break };
                    let job = match joined {
                        Ok(job) => job,
                        Err(error) if error.is_cancelled() => continue,
                        Err(error) => std::panic::resume_unwind(error.into_panic()),
                    };
                    self.finished(job, &mut read);
                }
                () = &mut interrupt, if !interrupted => {
                    interrupted = true;
                    self.progress.suspend(|| {
                        tracing::warn!("interrupted: stopping the crawl and writing what was read");
                    });
                    self.jobs.abort_all();
                }
            }
        }
        read
    }

    /// Take in a finished job: its scope is no longer pending.
    fn finished(&mut self, job: Job, read: &mut Read) {
        match job {
            Job::Region(mut region) => {
                self.pending.remove(&Scope {
                    account: region.account.clone(),
                    region: Some(region.region.clone()),
                });
                for zone in std::mem::take(&mut region.zones) {
                    read.zones.entry(zone.id.clone()).or_insert(zone);
                }
                read.regions.push(region);
            }
            Job::Global(scope, global) => {
                self.pending.remove(&scope);
                read.found
                    .extend(global.into_iter().flat_map(|f| f.resources));
            }
        }
    }
}

/// The snapshot's resources: the global services' and then the regions' (in account and
/// region order) with the tagging API's tags merged in; DNS targets resolved, unused defaults
/// pruned, sorted and deduplicated by id. Also how many stale tagged resources were dropped.
fn merge_resources(
    mut found: Vec<Resource>,
    mut regions: Vec<RegionResult>,
) -> (Vec<Resource>, usize) {
    regions.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    let mut stale_dropped = 0;
    for region in regions {
        let RegionResult {
            account,
            region,
            tagged,
            found: mut region_found,
            ..
        } = region;
        stale_dropped += merge_tags(&account, &region, tagged, &mut region_found, &mut found);
        found.extend(region_found.into_iter().flat_map(|f| f.resources));
    }
    let mut resources = prune_unused_defaults(link_dns(found));
    resources.sort_by(|a, b| a.id.cmp(&b.id));
    resources.dedup_by(|a, b| a.id == b.id);
    (resources, stale_dropped)
}

/// The regions enabled for an account (opted in, or needing no opt-in).
async fn enabled_regions(calls: &Calls, account: &Account, home: &str) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(&account.config);
    let scope = Scope {
        account: account.id.clone(),
        region: Some(home.to_string()),
    };
    let out = calls
        .one(
            &scope,
            "ec2",
            "DescribeRegions",
            ec2.describe_regions().send(),
        )
        .await;
    match out {
        Some(out) => {
            // Opted-in regions of the home region's partition (credentials do not cross
            // partitions).
            let mut regions: Vec<String> = out
                .regions()
                .iter()
                .filter(|r| {
                    r.opt_in_status()
                        .is_none_or(|s| s == "opt-in-not-required" || s == "opted-in")
                })
                .filter_map(|r| r.region_name().map(str::to_string))
                .filter(|r| partition(r) == partition(home))
                .collect();
            regions.sort();
            regions
        }
        // The gap is recorded; read at least the home region.
        None => vec![home.to_string()],
    }
}

/// The partition of a region: `aws`, `aws-cn` or `aws-us-gov` (and the isolated ones).
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// The describers run per region and per account (for the progress bar's length).
const SERVICES: usize = 9;
const GLOBAL_SERVICES: usize = 2;

/// Run one describer and count it on the progress bar.
async fn step<T>(progress: &ProgressBar, label: String, describer: impl Future<Output = T>) -> T {
    let found = describer.await;
    progress.inc(1);
    progress.set_message(label);
    found
}

/// Read the global services of an account once.
async fn crawl_global(calls: Calls, scope: Scope, config: SdkConfig, progress: ProgressBar) -> Job {
    let (route53, cloudfront) = tokio::join!(
        step(
            &progress,
            format!("{} route53", scope.account),
            route53::crawl(&calls, &scope, &config)
        ),
        step(
            &progress,
            format!("{} cloudfront", scope.account),
            cloudfront::crawl(&calls, &scope, &config)
        ),
    );
    Job::Global(scope, vec![route53, cloudfront])
}

/// What a crawl job returns: one region of an account, or an account's global services.
enum Job {
    Region(RegionResult),
    Global(Scope, Vec<Found>),
}

struct RegionResult {
    account: String,
    region: String,
    zones: Vec<Zone>,
    found: Vec<Found>,
    tagged: Vec<tagging::Tagged>,
}

async fn crawl_region(
    calls: Calls,
    account: String,
    region: String,
    config: SdkConfig,
    progress: ProgressBar,
) -> Job {
    let scope = Scope {
        account: account.clone(),
        region: Some(region.clone()),
    };
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let zone_list = calls
        .one(
            &scope,
            "ec2",
            "DescribeAvailabilityZones",
            ec2.describe_availability_zones().send(),
        )
        .await;
    let mut zones = Vec::new();
    let mut zone_ids = HashMap::new();
    for az in zone_list.iter().flat_map(|out| out.availability_zones()) {
        if let (Some(name), Some(id)) = (az.zone_name(), az.zone_id()) {
            zone_ids.insert(name.to_string(), ZoneId::from(id));
            zones.push(Zone {
                id: id.into(),
                provider: "aws".into(),
                region: region.clone(),
                name: Some(name.to_string()),
            });
        }
    }
    let ctx = Arc::new(RegionCtx {
        calls,
        scope,
        account: account.clone(),
        region: region.clone(),
        config,
        zone_ids,
    });
    let label = |service: &str| format!("{account} {region} {service}");
    let (ec2, elbv2, autoscaling, rds, elasticache, efs, lambda, dynamodb, tagged) = tokio::join!(
        step(&progress, label("ec2"), ec2::crawl(&ctx)),
        step(&progress, label("elasticloadbalancing"), elbv2::crawl(&ctx)),
        step(&progress, label("autoscaling"), autoscaling::crawl(&ctx)),
        step(&progress, label("rds"), rds::crawl(&ctx)),
        step(&progress, label("elasticache"), elasticache::crawl(&ctx)),
        step(&progress, label("efs"), efs::crawl(&ctx)),
        step(&progress, label("lambda"), lambda::crawl(&ctx)),
        step(&progress, label("dynamodb"), dynamodb::crawl(&ctx)),
        step(&progress, label("tagging"), tagging::crawl(&ctx)),
    );
    Job::Region(RegionResult {
        account: account.clone(),
        region: region.clone(),
        zones,
        found: vec![
            ec2,
            elbv2,
            autoscaling,
            rds,
            elasticache,
            efs,
            lambda,
            dynamodb,
        ],
        tagged,
    })
}

/// Put the tagging API's tags on the described resources; add the tagged resources no
/// describer covers (placed by ARN); drop tagged resources of fully listed kinds that no
/// longer exist. Returns how many were dropped.
fn merge_tags(
    account: &str,
    region: &str,
    tagged: Vec<tagging::Tagged>,
    found: &mut [Found],
    extra: &mut Vec<Resource>,
) -> usize {
    let mut by_id: HashMap<String, (usize, usize)> = HashMap::new();
    for (f, found) in found.iter().enumerate() {
        for (r, resource) in found.resources.iter().enumerate() {
            by_id.insert(resource.id.clone(), (f, r));
        }
    }
    let listed: HashSet<&str> = found
        .iter()
        .flat_map(|f| f.listed_kinds.iter().copied())
        .collect();
    let mut dropped = 0;
    for tagging::Tagged {
        arn: arn_text,
        tags,
    } in tagged
    {
        let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        if let Some(&(f, r)) = by_id.get(&arn_text) {
            // Described resources keep their own tags; the tagging API fills what they lack
            // (load balancers and target groups report none of their own).
            let resource = &mut found[f].resources[r];
            let missing: Vec<(&str, &str)> = pairs
                .filter(|(k, _)| !resource.tags.contains_key(*k))
                .collect();
            apply_tags(resource, missing);
            continue;
        }
        let Some(arn) = Arn::parse(&arn_text) else {
            continue;
        };
        let kind = arn.kind();
        if listed.contains(kind.as_str()) {
            tracing::debug!(arn = %arn_text, "tagged but not described: taken as deleted");
            dropped += 1;
            continue;
        }
        let placement = arn::placement_by_arn(&arn);
        let resource_region = if arn.region.is_empty() {
            (placement == Placement::Regional).then(|| region.to_string())
        } else {
            Some(arn.region.to_string())
        };
        let owner = if arn.account.is_empty() {
            account
        } else {
            arn.account
        };
        let mut resource = Resource {
            id: arn_text.clone(),
            provider: "aws".into(),
            account: Some(owner.to_string()),
            region: resource_region,
            kind,
            name: arn.name().to_string(),
            tags: BTreeMap::new(),
            attributes: BTreeMap::from([("seen_by".to_string(), "tagging api".into())]),
            placement,
            requirements: Vec::new(),
        };
        apply_tags(&mut resource, pairs);
        extra.push(resource);
    }
    dropped
}

/// Resolve `dns:` requirement members to the resources answering for those names: load
/// balancers, CloudFront distributions and S3 buckets. Names that resolve to nothing the crawl
/// found are dropped from their groups (and kept in the `unresolved_targets` attribute); a
/// Route 53 record left with no target is dropped.
fn link_dns(mut resources: Vec<Resource>) -> Vec<Resource> {
    let mut by_name: HashMap<String, String> = HashMap::new();
    for resource in &resources {
        let name_attr = match resource.kind.as_str() {
            "aws:elasticloadbalancing:loadbalancer" => "dns_name",
            "aws:cloudfront:distribution" => "domain_name",
            "aws:s3:bucket" => {
                let bucket = resource.id.trim_start_matches("arn:aws:s3:::");
                let mut names = vec![format!("{bucket}.s3.amazonaws.com")];
                if let Some(region) = &resource.region {
                    names.push(format!("{bucket}.s3.{region}.amazonaws.com"));
                    names.push(format!("{bucket}.s3-website-{region}.amazonaws.com"));
                    names.push(format!("{bucket}.s3-website.{region}.amazonaws.com"));
                }
                for name in names {
                    by_name.insert(name, resource.id.clone());
                }
                continue;
            }
            _ => continue,
        };
        if let Some(name) = resource.attributes.get(name_attr).and_then(|v| v.as_str()) {
            by_name.insert(normalise_dns(name), resource.id.clone());
        }
    }
    for resource in &mut resources {
        let mut unresolved = Vec::new();
        for group in &mut resource.requirements {
            let resolve = |member: &str, unresolved: &mut Vec<String>| -> Option<String> {
                let Some(name) = member.strip_prefix(DNS_PREFIX) else {
                    return Some(member.to_string());
                };
                let found = by_name.get(&normalise_dns(name)).cloned();
                if found.is_none() {
                    unresolved.push(name.to_string());
                }
                found
            };
            if let Some(one) = group.requires.take() {
                group.requires = resolve(&one, &mut unresolved);
            }
            if let Some(many) = group.any_of.take() {
                let kept: Vec<String> = many
                    .iter()
                    .filter_map(|m| resolve(m, &mut unresolved))
                    .collect();
                group.any_of = (!kept.is_empty()).then_some(kept);
            }
        }
        resource
            .requirements
            .retain(|g| g.requires.is_some() || g.any_of.is_some());
        if !unresolved.is_empty() {
            resource
                .attributes
                .insert("unresolved_targets".into(), unresolved.into());
        }
    }
    resources.retain(|r| {
        r.kind != "aws:route53:record"
            || !r.attributes.contains_key("unresolved_targets")
            || r.requirements.len() > 1
    });
    resources
}

/// A DNS name as compared: lower case, no trailing dot, no `dualstack.` prefix.
fn normalise_dns(name: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix("dualstack.")
        .map(str::to_string)
        .unwrap_or(name)
}

/// Default VPCs and their subnets appear in every region; keep them only when something else
/// uses them.
fn prune_unused_defaults(resources: Vec<Resource>) -> Vec<Resource> {
    let is_default = |r: &Resource| r.attributes.get("is_default") == Some(&true.into());
    let needed_by = |users: &mut dyn Iterator<Item = &Resource>| -> HashSet<String> {
        users
            .flat_map(|r| {
                r.requirements
                    .iter()
                    .flat_map(|g| g.members().iter().cloned())
            })
            .collect()
    };
    let used = needed_by(&mut resources.iter().filter(|r| !is_default(r)));
    let kept_subnets = needed_by(
        &mut resources
            .iter()
            .filter(|r| r.kind == "aws:ec2:subnet" && is_default(r) && used.contains(&r.id)),
    );
    resources
        .into_iter()
        .filter(|r| !is_default(r) || used.contains(&r.id) || kept_subnets.contains(&r.id))
        .collect()
}
