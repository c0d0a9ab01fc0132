//! The AWS source: crawl accounts and regions with the AWS SDK into a snapshot.
//!
//! Per account (the default credentials, or each role assumed with `--assume-role`) the crawl
//! learns the account id (STS), the regions, and per region the zone name → zone ID map; then
//! every service of every region is read concurrently under one bound on requests in flight.
//! Each describer turns its service's resources into snapshot resources with zone-ID
//! placements and requirement edges; the tagging API adds tags and the resources of services
//! without a describer. Every failed call becomes a coverage record and the crawl goes on.
//!
//! An organization crawl ([`organization`]) takes the accounts from AWS Organizations and reads
//! each member through a role; a sharded crawl ([`shard`]) reads one fixed slice of the
//! accounts × regions, and leaves the DNS targets it cannot resolve alone for
//! [`link_dns_targets`] to resolve once the shards are merged.

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
pub mod organization;
mod rds;
mod route53;
pub mod shard;
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
pub use organization::Organization;
pub use shard::Shard;

use crate::model::{
    Placement, RequirementGroup, Resource, SNAPSHOT_SCHEMA, Snapshot, Source, Zone, ZoneId,
};

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
    /// Read the accounts of the AWS Organization the credentials manage (instead of
    /// `assume_roles`).
    pub organization: Option<Organization>,
    /// Read only this shard's slice of the accounts × regions (see [`shard`]).
    pub shard: Option<Shard>,
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
    #[error(
        "cannot list the organization's accounts: {0}\n(run it with credentials of the organization's management account or of a delegated administrator, allowed organizations:ListAccounts)"
    )]
    Organization(String),
    #[error("{0}")]
    Accounts(String),
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
    /// For an organization crawl: what the listing found and chose.
    pub organization: Option<organization::Listing>,
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
            external: false,
            sources: Vec::new(),
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
        external: false,
        sources: Vec::new(),
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
    let (base, home_region) = home_config(options).await?;
    let (accounts, listing) = match &options.organization {
        Some(organization) => {
            let (accounts, listing) =
                organization_accounts(options, organization, &calls, &base, &home_region).await?;
            (accounts, Some(listing))
        }
        None => {
            let credentials = account_credentials(options, &base).await;
            let accounts = identify_accounts(&calls, credentials, &home_region, true).await?;
            (accounts, None)
        }
    };

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
        if crawler.spawn_account(account).await {
            let mut source = Source::new("aws", account.id.clone());
            source.organization = listing.as_ref().and_then(|l| l.id.clone());
            source.shard = options.shard.map(|s| s.to_string());
            sources.push(source);
        }
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
    let whole = options.shard.is_none_or(|s| s.count() == 1);
    let (resources, stale_dropped) = merge_resources(read.found, read.regions, whole);

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
        organization: listing,
    })
}

/// The configuration every account's starts from, and the region for account-wide calls
/// (STS, DescribeRegions, Organizations): the first given, else the configured one;
/// `--all-regions` needs none configured and starts from us-east-1.
async fn home_config(options: &CrawlOptions) -> Result<(SdkConfig, String), CrawlError> {
    let base = base_config(options, options.regions.first().map(String::as_str)).await;
    let home_region = match base.region() {
        Some(region) => region.to_string(),
        None if options.all_regions => "us-east-1".to_string(),
        None => return Err(CrawlError::NoRegion),
    };
    let base = base
        .to_builder()
        .region(Region::new(home_region.clone()))
        .build();
    Ok((base, home_region))
}

/// Credentials to crawl one account with, and what to call them in errors.
struct Credential {
    label: String,
    /// The account they are for, when known before asking STS (an organization's member).
    account: Option<String>,
    config: SdkConfig,
    /// The role they come from, when assumed.
    role: Option<Role>,
}

/// A role to assume, and the configuration to assume it with.
#[derive(Clone)]
struct Role {
    arn: String,
    external_id: Option<String>,
    base: SdkConfig,
}

impl Role {
    fn new(options: &CrawlOptions, base: &SdkConfig, arn: &str) -> Role {
        Role {
            arn: arn.to_string(),
            external_id: options.external_id.clone(),
            base: base.clone(),
        }
    }

    /// Assume the role once, to say why its credentials cannot be had: the credential
    /// provider's own error hides the service's answer.
    async fn diagnose(
        &self,
    ) -> Result<
        aws_sdk_sts::operation::assume_role::AssumeRoleOutput,
        aws_smithy_runtime_api::client::result::SdkError<
            aws_sdk_sts::operation::assume_role::AssumeRoleError,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    > {
        aws_sdk_sts::Client::new(&self.base)
            .assume_role()
            .role_arn(&self.arn)
            .role_session_name("linchpin-crawl")
            .set_external_id(self.external_id.clone())
            .send()
            .await
    }
}

/// The credentials to crawl with: the default credentials', or one per assumed role.
async fn account_credentials(options: &CrawlOptions, base: &SdkConfig) -> Vec<Credential> {
    let mut credentials = Vec::new();
    if options.assume_roles.is_empty() {
        credentials.push(default_credential(options, base));
    }
    for role in &options.assume_roles {
        credentials.push(Credential {
            label: role.clone(),
            account: None,
            config: assumed_config(options, base, role).await,
            role: Some(Role::new(options, base, role)),
        });
    }
    credentials
}

/// The default credentials (of the profile, when one is given).
fn default_credential(options: &CrawlOptions, base: &SdkConfig) -> Credential {
    let label = match &options.profile {
        Some(profile) => format!("profile {profile}"),
        None => "default credentials".to_string(),
    };
    Credential {
        label,
        account: None,
        config: base.clone(),
        role: None,
    }
}

/// `base` with the credentials of `role`, assumed with STS (and refreshed as they expire).
async fn assumed_config(options: &CrawlOptions, base: &SdkConfig, role: &str) -> SdkConfig {
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("linchpin-crawl")
        .configure(base);
    if let Some(external_id) = &options.external_id {
        provider = provider.external_id(external_id);
    }
    let provider = provider.build().await;
    base.to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

/// The accounts of an organization crawl: the caller's (read with its own credentials) and
/// every chosen member's (through the role), leaving out those this shard has no part of
/// (when the regions are known before asking each account). A member whose role cannot be
/// assumed is a coverage gap, not a stop.
async fn organization_accounts(
    options: &CrawlOptions,
    organization: &Organization,
    calls: &Calls,
    base: &SdkConfig,
    home_region: &str,
) -> Result<(Vec<Account>, organization::Listing), CrawlError> {
    let caller = identify_accounts(
        calls,
        vec![default_credential(options, base)],
        home_region,
        true,
    )
    .await?
    .remove(0);
    let listing = organization::list(
        calls,
        base,
        &caller.id,
        organization,
        partition(home_region),
    )
    .await?;
    let units = (!options.all_regions).then(|| {
        let regions = if options.regions.is_empty() {
            vec![home_region.to_string()]
        } else {
            options.regions.clone()
        };
        shard::units(&regions).len()
    });
    let mut accounts = Vec::new();
    let mut credentials = Vec::new();
    for member in &listing.members {
        if let (Some(shard), Some(units)) = (options.shard, units)
            && !shard.touches(&member.id, units)
        {
            continue;
        }
        if member.id == caller.id {
            accounts.push(Account {
                id: caller.id.clone(),
                config: caller.config.clone(),
            });
            continue;
        }
        let role = organization::role_arn(&member.partition, &member.id, &organization.role_name);
        credentials.push(Credential {
            config: assumed_config(options, base, &role).await,
            role: Some(Role::new(options, base, &role)),
            label: role,
            account: Some(member.id.clone()),
        });
    }
    accounts.extend(identify_accounts(calls, credentials, home_region, false).await?);
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((accounts, listing))
}

/// The account of each set of credentials (STS GetCallerIdentity, all at once under the
/// crawl's concurrency bound), in the order given. Credentials that cannot name theirs are
/// left out, their failure recorded (for a role that cannot be assumed, as the failure of
/// AssumeRole); when none can and `required`, the crawl cannot run.
async fn identify_accounts(
    calls: &Calls,
    credentials: Vec<Credential>,
    home_region: &str,
    required: bool,
) -> Result<Vec<Account>, CrawlError> {
    let mut asked = JoinSet::new();
    for (at, credential) in credentials.into_iter().enumerate() {
        let calls = calls.clone();
        asked.spawn(async move {
            let sts = aws_sdk_sts::Client::new(&credential.config);
            let result = calls.bounded(sts.get_caller_identity().send()).await;
            let diagnosis = match (&result, &credential.role) {
                (Err(_), Some(role)) => calls.bounded(role.diagnose()).await.err(),
                _ => None,
            };
            (at, credential, result, diagnosis)
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = asked.join_next().await {
        match joined {
            Ok(answer) => answers.push(answer),
            Err(error) if error.is_cancelled() => {}
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    answers.sort_by_key(|(at, ..)| *at);
    let mut accounts = Vec::new();
    let mut failures = Vec::new();
    for (_, credential, result, diagnosis) in answers {
        let account = result
            .as_ref()
            .ok()
            .and_then(|out| out.account().map(str::to_string));
        let scope = Scope {
            account: account
                .clone()
                .or(credential.account.clone())
                .unwrap_or_else(|| credential.label.clone()),
            region: Some(home_region.to_string()),
        };
        if let Some(denied) = diagnosis {
            let reason = calls::describe(&denied);
            tracing::warn!("cannot assume {}: {reason}", credential.label);
            failures.push(format!("{}: AssumeRole: {reason}", credential.label));
            calls.settle(&scope, "sts", "AssumeRole", Err::<(), _>(denied));
        } else {
            if let Err(error) = &result {
                failures.push(format!("{}: {}", credential.label, calls::describe(error)));
            }
            calls.settle(&scope, "sts", "GetCallerIdentity", result);
        }
        if let Some(id) = account {
            accounts.push(Account {
                id,
                config: credential.config,
            });
        }
    }
    if accounts.is_empty() && required {
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
    /// Spawn the jobs of one account: its global services, and each region to read — of a
    /// sharded crawl, those of this shard's slice. Whether there was anything to spawn.
    async fn spawn_account(&mut self, account: &Account) -> bool {
        let regions = if self.options.all_regions {
            enabled_regions(&self.calls, account, &self.home_region).await
        } else if self.options.regions.is_empty() {
            vec![self.home_region.clone()]
        } else {
            self.options.regions.clone()
        };
        let slice = match self.options.shard {
            Some(shard) => shard.slice(&account.id, &regions),
            None => Shard::new(1, 1)
                .expect("one shard")
                .slice(&account.id, &regions),
        };
        if slice.global {
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
        }
        let spawned = slice.global || !slice.regions.is_empty();
        for region in slice.regions {
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
        spawned
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
/// region order) with the tagging API's tags merged in; DNS targets resolved when the crawl
/// read the `whole` estate (else left for [`link_dns_targets`] after the merge), unused
/// defaults pruned, sorted and deduplicated by id, with an external stand-in for each resource
/// needed but not found. Also how many stale tagged resources were dropped.
fn merge_resources(
    mut found: Vec<Resource>,
    mut regions: Vec<RegionResult>,
    whole: bool,
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
    defer_dns(&mut found);
    if whole {
        found = link_dns(found);
    }
    let mut resources = prune_unused_defaults(found);
    resources.sort_by(|a, b| a.id.cmp(&b.id));
    resources.dedup_by(|a, b| a.id == b.id);
    // What the resources need but the crawl did not find (a target or key in another
    // account, a region not crawled) stays as an external stand-in: the snapshot loads alone
    // and a merge with the crawl that holds it resolves it.
    if crate::sources::external::add_stand_ins(&mut resources) > 0 {
        resources.sort_by(|a, b| a.id.cmp(&b.id));
    }
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
            external: false,
            sources: Vec::new(),
        };
        apply_tags(&mut resource, pairs);
        extra.push(resource);
    }
    dropped
}

/// The attribute that holds a resource's requirement groups naming DNS targets until the
/// estate they point into is complete: in a sharded crawl, a Route 53 record or a CloudFront
/// distribution may name a load balancer that another shard reads.
pub const DNS_REQUIREMENTS: &str = "dns_requirements";

/// Move the requirement groups with `dns:` members into the `dns_requirements` attribute, so
/// that the resources are valid snapshot resources before the names are resolved.
fn defer_dns(resources: &mut [Resource]) {
    for resource in resources {
        let (named, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut resource.requirements)
            .into_iter()
            .partition(|g| g.members().iter().any(|m| m.starts_with(DNS_PREFIX)));
        resource.requirements = kept;
        if !named.is_empty() {
            let named = serde_json::to_value(named).expect("requirement groups serialise");
            resource
                .attributes
                .insert(DNS_REQUIREMENTS.to_string(), named);
        }
    }
}

/// Resolve the DNS targets a crawl left in `dns_requirements` attributes to the resources
/// of the snapshot answering for those names (load balancers, CloudFront distributions, S3
/// buckets), as a crawl of the whole estate at once does: names that resolve to nothing are
/// dropped from their groups (and kept in the `unresolved_targets` attribute), and a Route 53
/// record left with no target is dropped. Run it on the merge of the shards of a sharded
/// crawl; a snapshot without such attributes is left as it is.
pub fn link_dns_targets(snapshot: &mut Snapshot) {
    if snapshot
        .resources
        .iter()
        .any(|r| r.attributes.contains_key(DNS_REQUIREMENTS))
    {
        snapshot.resources = link_dns(std::mem::take(&mut snapshot.resources));
    }
}

/// Resolve the deferred `dns:` requirement members (see [`link_dns_targets`]).
fn link_dns(mut resources: Vec<Resource>) -> Vec<Resource> {
    let by_name = dns_names(&resources);
    let mut dropped: HashSet<String> = HashSet::new();
    for resource in &mut resources {
        let Some(deferred) = resource.attributes.remove(DNS_REQUIREMENTS) else {
            continue;
        };
        let Ok(groups) = serde_json::from_value::<Vec<RequirementGroup>>(deferred.clone()) else {
            // Not what a crawl writes: leave it for the reader to see.
            resource
                .attributes
                .insert(DNS_REQUIREMENTS.to_string(), deferred);
            continue;
        };
        let mut unresolved = Vec::new();
        for mut group in groups {
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
            if group.requires.is_some() || group.any_of.is_some() {
                resource.requirements.push(group);
            }
        }
        if !unresolved.is_empty() {
            if resource.kind == "aws:route53:record" && resource.requirements.len() <= 1 {
                dropped.insert(resource.id.clone());
            }
            resource
                .attributes
                .insert("unresolved_targets".into(), unresolved.into());
        }
    }
    resources.retain(|r| !dropped.contains(&r.id));
    resources
}

/// The DNS names the resources answer for, to the resource ids.
fn dns_names(resources: &[Resource]) -> HashMap<String, String> {
    let mut by_name: HashMap<String, String> = HashMap::new();
    for resource in resources {
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
    by_name
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
