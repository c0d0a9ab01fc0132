//! The snapshot document: plain serde types with no logic.
//!
//! A snapshot is the boundary between the sources (AWS, Terraform, manifests, the demo) and the
//! analyses. It is a versioned JSON document (`"schema": "linchpin.snapshot/v1"`); the committed
//! JSON Schema in `schemas/snapshot.v1.json` is generated from these types.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The value of the `schema` key of every snapshot this version reads and writes.
pub const SNAPSHOT_SCHEMA: &str = "linchpin.snapshot/v1";

/// The tag that marks a resource as a critical service.
pub const CRITICAL_TAG: &str = "linchpin:critical";

/// An inventory of an estate: what exists, where it lives and what it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Always `linchpin.snapshot/v1`.
    pub schema: String,
    /// Where the inventory came from (one entry per crawl, state file or manifest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// What each source could and could not read; gaps are reported, never hidden.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<CoverageRecord>,
    /// The availability zones the resources are placed in (zone IDs, with their region).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<Zone>,
    /// The organisation the estate belongs to, as a manifest declares it (DORA: the
    /// financial entity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<Entity>,
    /// Third parties a manifest declares: each a provider and failure domain of its own, with
    /// what the register of information needs to know of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub third_parties: Vec<ThirdParty>,
    /// Every resource of the estate.
    pub resources: Vec<Resource>,
}

impl Snapshot {
    /// A snapshot of these resources and nothing else (no sources, coverage or zones).
    pub fn of_resources(resources: Vec<Resource>) -> Snapshot {
        Snapshot {
            schema: SNAPSHOT_SCHEMA.into(),
            sources: Vec::new(),
            coverage: Vec::new(),
            zones: Vec::new(),
            entity: None,
            third_parties: Vec::new(),
            resources,
        }
    }

    /// True when every read of every source succeeded (a merge conflict is not a missing
    /// read: the data is there, the sources disagree).
    pub fn coverage_complete(&self) -> bool {
        self.coverage
            .iter()
            .all(|c| c.status != CoverageStatus::Failed)
    }
}

/// The kind of the resources that stand for a cloud domain a third party runs on
/// (`runs_on = ["aws:ap-northeast-1"]`): up exactly while that domain is, so the third
/// party's services fail with it. Not a resource anyone deployed: never a resource SPOF.
pub const RUNS_ON_KIND: &str = "linchpin:runs-on";

/// The organisation whose estate it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// Short id, used as the provider of its business functions (`exchange`).
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Legal Entity Identifier (ISO 17442).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lei: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A money amount, e.g. the impact of an hour of outage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: f64,
    /// ISO 4217 currency code (`EUR`).
    pub currency: String,
}

/// A third party (ICT third-party service provider): a provider and failure domain of its own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThirdParty {
    /// The provider id its services carry (`vaultco`).
    pub id: String,
    /// Legal name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// EBA ICT service type code of the DORA register (`S01` … `S19`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Legal Entity Identifier (ISO 17442).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lei: Option<String>,
    /// LEI of the ultimate parent undertaking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_lei: Option<String>,
    /// Country of the headquarters (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Countries the services are provided from (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    /// Contractual arrangement reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// `not_substitutable`, `highly_complex`, `medium_complexity` or `easy` (the register's
    /// four levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitutability: Option<String>,
    /// Why it is hard to substitute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitutability_reason: Option<String>,
    /// Whether an exit plan exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_plan: Option<bool>,
    /// Alternative providers identified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// Date of the last audit (`2026-03-31`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_audit: Option<String>,
    /// Annual expense or estimated cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_cost: Option<Money>,
    /// The cloud domains it runs on (`aws`, `aws:ap-northeast-1`,
    /// `aws:ap-northeast-1:apne1-az4`): its services fail with each of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs_on: Vec<String>,
}

/// One origin of inventory data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `aws`, `terraform`, `manifest`, `demo`, `synthetic`, ...
    pub kind: String,
    /// A human name: an account id, a state file path, a manifest name.
    pub name: String,
    /// Records read from the source (Terraform: managed resource instances), when counted.
    /// For a state file `instances = resources + Σ folded + Σ skipped`: nothing read is lost
    /// without a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<u64>,
    /// Resources of the snapshot made from the source, when counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<u64>,
    /// Records merged into another resource as an edge or an attribute (route table
    /// associations, listener rules, security group rules), by type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub folded: BTreeMap<String, u64>,
    /// Records that describe nothing in a cloud (utility providers such as `random` or
    /// `null`), by type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, u64>,
    /// The AWS Organization (`o-…`) the account was listed from, for an organization crawl.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The slice of a sharded crawl that read this source (`K/N`: shard K of N); the other
    /// shards read the rest of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl Source {
    /// A source with no counts.
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Source {
            kind: kind.into(),
            name: name.into(),
            instances: None,
            resources: None,
            folded: BTreeMap::new(),
            skipped: BTreeMap::new(),
            organization: None,
            shard: None,
        }
    }

    /// How resources and merge conflicts name the source: `kind:name`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }
}

/// Whether one read of one source succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageRecord {
    /// The source this record belongs to (its `kind`).
    pub source: String,
    /// The provider whose resources the read would have found (`aws`), as the source states
    /// it; absent in snapshots written before sources stated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The service read, e.g. `ec2`.
    pub service: String,
    /// The operation called, e.g. `DescribeNatGateways`.
    pub operation: String,
    pub status: CoverageStatus,
    /// How many requests (pages) the read took, when counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<u64>,
    /// Why the read failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For status `conflict` (source `merge`): what the merged sources disagree on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
}

impl CoverageRecord {
    /// The provider a gap in this read is scored under: the one the source stated, else (in
    /// older snapshots) the source's kind.
    pub fn provider(&self) -> &str {
        self.provider.as_deref().unwrap_or(&self.source)
    }
}

/// The outcome of one read.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    /// Read in full.
    Complete,
    /// Not read: the error says why; resources it would have found are missing.
    Failed,
    /// Read, but the sources a merge joined disagree on one fact of one resource or zone:
    /// `conflict` names every value, the sources and the value kept. Nothing is missing, so
    /// the inventory still counts as complete and no coverage gap is scored.
    Conflict,
}

/// What merged sources disagree on: one field of one resource (or zone), every value given,
/// and the one the merged snapshot keeps. Merging again unites the values of records of the
/// same id and field, so a note lists every value however the snapshots were grouped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    /// The resource id, or for a zone its zone ID.
    pub id: String,
    /// `provider`, `kind`, `name`, `account`, `placement`, `tags.KEY` or `attributes.KEY` of
    /// a resource; `zone.provider` or `zone.region` of a zone. A resource's placement and
    /// region are one field: its values are `{"placement": …, "region": …}`.
    pub field: String,
    /// Every value the sources gave, each once, sorted by their JSON text (a placement
    /// `unknown` in a region a known placement is in, or in none, is left out: it says less).
    pub values: Vec<serde_json::Value>,
    /// The value the merged snapshot keeps: the smallest by JSON text (for `placement`, the
    /// smallest known one).
    pub kept: serde_json::Value,
    /// The sources that hold the resource (`kind:name`), sorted; empty for a zone (zones
    /// name no sources).
    pub sources: Vec<String>,
}

/// A zone ID: the name of one physical zone across the whole snapshot (AWS `apne1-az4`,
/// never the per-account name `ap-northeast-1a`; Google `us-central1-a`). Sources translate
/// what the APIs report into zone IDs; everything downstream compares them, never names.
///
/// In JSON, and in the snapshot's schema, a zone ID is a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ZoneId(String);

impl ZoneId {
    pub fn new(id: impl Into<String>) -> Self {
        ZoneId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ZoneId {
    fn from(id: &str) -> Self {
        ZoneId(id.to_string())
    }
}

impl From<String> for ZoneId {
    fn from(id: String) -> Self {
        ZoneId(id)
    }
}

impl From<&String> for ZoneId {
    fn from(id: &String) -> Self {
        ZoneId(id.clone())
    }
}

impl Borrow<str> for ZoneId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ZoneId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ZoneId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ZoneId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// An availability zone, identified by its zone ID (`apne1-az4`), never by its per-account
/// name (`ap-northeast-1a`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// The zone ID, e.g. `apne1-az4`.
    #[schemars(with = "String")]
    pub id: ZoneId,
    pub provider: String,
    pub region: String,
    /// The account-specific zone name, e.g. `ap-northeast-1a`, when known. A merge of
    /// accounts that name the zone differently keeps every name, sorted and joined by ` / `
    /// (`ap-northeast-1a / ap-northeast-1c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One resource of the estate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Stable identifier: the ARN for AWS, a provider-native URN otherwise.
    pub id: String,
    /// `aws`, `gcp`, `azure`, or any declared third party.
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Required for zonal, multi-zone and regional placements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `provider:service:type`, e.g. `aws:rds:db-instance`; `function` for business functions.
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Typed facts about the resource (`multi_az: true`, `desired_capacity: 6`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// The failure domains the resource lives in.
    pub placement: Placement,
    /// What the resource needs to be up: every group must have enough members up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<RequirementGroup>,
    /// True for a stand-in of a resource another snapshot holds (a key in another account, a
    /// subnet crawled by another shard): referenced here, known only by what its id tells
    /// (provider, account, region, kind). Its placement is `unknown` and it has no
    /// requirements; a merge with the snapshot that holds the resource replaces it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// The sources the resource was read from (`kind:name` of the snapshot's `sources`), as
    /// a merge records them; several when the same id came from several sources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

impl Resource {
    /// A resource known by its id alone: no provider, kind or name, placement `unknown`,
    /// nothing required.
    pub fn blank(id: impl Into<String>) -> Resource {
        Resource {
            id: id.into(),
            provider: String::new(),
            account: None,
            region: None,
            kind: String::new(),
            name: String::new(),
            tags: BTreeMap::new(),
            attributes: BTreeMap::new(),
            placement: Placement::Unknown,
            requirements: Vec::new(),
            external: false,
            sources: Vec::new(),
        }
    }

    /// The display name: `name` when set, else the id.
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            &self.id
        } else {
            &self.name
        }
    }
}

/// The failure domains a resource lives in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Placement {
    /// In one availability zone: down when that zone, its region or its provider is down.
    Zonal {
        /// Zone ID.
        #[schemars(with = "String")]
        zone: ZoneId,
    },
    /// Up while any one of its zones is up (Multi-AZ RDS, ALB over several subnets).
    MultiZone {
        /// Zone IDs, all in the resource's region.
        #[schemars(with = "Vec<String>")]
        zones: Vec<ZoneId>,
        /// True when some zones were inferred (e.g. a standby zone from the DB subnet group).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        inferred: bool,
    },
    /// Fails only with its region (S3 bucket, DynamoDB table, SQS queue).
    Regional,
    /// Data plane everywhere; fails only with its provider. The control plane may live in one
    /// region (Route 53, CloudFront, IAM: us-east-1).
    Global {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        control_plane_region: Option<String>,
    },
    /// Seen but not placed: fails with its provider (and its region when known) and is
    /// reported as a coverage gap.
    Unknown,
    /// In one zone of its region that nobody chose or can see (an Azure VM, disk or scale set
    /// deployed without zones, LRS storage, an availability set): down when its region or
    /// provider fails, or when *any* zone of the region does. Two unpinned resources are not
    /// redundant for each other: they may share the zone.
    Unpinned,
    /// No failure domain of its own (business functions, quorum groups): up exactly when its
    /// requirements are.
    Logical,
}

impl Placement {
    /// The snake_case name used in JSON.
    pub fn type_name(&self) -> &'static str {
        match self {
            Placement::Zonal { .. } => "zonal",
            Placement::MultiZone { .. } => "multi_zone",
            Placement::Regional => "regional",
            Placement::Global { .. } => "global",
            Placement::Unknown => "unknown",
            Placement::Unpinned => "unpinned",
            Placement::Logical => "logical",
        }
    }

    /// The zone IDs named by the placement.
    pub fn zones(&self) -> &[ZoneId] {
        match self {
            Placement::Zonal { zone } => std::slice::from_ref(zone),
            Placement::MultiZone { zones, .. } => zones,
            _ => &[],
        }
    }
}

/// A requirement group: `requires` one resource, or `any_of` several with an optional `min`
/// (k-of-n quorum; 1 when absent).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementGroup {
    /// The one resource id this resource needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    /// Redundant resources; at least `min` of them must be up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<String>>,
    /// Quorum for `any_of`: how many members must be up (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// Why the requirement exists, e.g. `egress via NAT gateway`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl RequirementGroup {
    /// A group of one.
    pub fn requires(id: impl Into<String>) -> Self {
        RequirementGroup {
            requires: Some(id.into()),
            ..Default::default()
        }
    }

    /// A redundant group needing `min` of `ids`.
    pub fn any_of<I, S>(ids: I, min: Option<u32>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RequirementGroup {
            any_of: Some(ids.into_iter().map(Into::into).collect()),
            min,
            ..Default::default()
        }
    }

    /// Attach a reason.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The members of the group, whichever form it has.
    pub fn members(&self) -> &[String] {
        match (&self.requires, &self.any_of) {
            (Some(one), _) => std::slice::from_ref(one),
            (None, Some(many)) => many,
            (None, None) => &[],
        }
    }

    /// How many members must be up.
    pub fn quorum(&self) -> u32 {
        if self.requires.is_some() {
            1
        } else {
            self.min.unwrap_or(1)
        }
    }
}
