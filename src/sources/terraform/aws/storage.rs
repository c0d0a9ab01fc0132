//! Storage: EFS file systems and mount targets, DynamoDB tables and their replicas, S3
//! buckets (with the configuration Terraform writes as instances of their own: versioning,
//! replication, policies, ... folded into the bucket) and S3 directory buckets.
//!
//! A One Zone file system is zonal; a regional one is reached through its mount targets (one
//! per zone) and needs any one of them. A bucket is regional; a directory bucket lives in
//! the one zone its `location` names.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::json;

use super::super::build::{Index, Outcome, address_key, key};
use super::place::{Zoned, over};
use super::{Ctx, Facts, managed};
use crate::model::{Placement, RequirementGroup, Zone};

/// What the storage instances learn from others before mapping.
#[derive(Default)]
pub struct StorageFacts {
    /// File system id → its mount targets' address keys and zones.
    mounts: HashMap<String, Vec<(String, Option<Zoned>)>>,
    /// Table ARN (key) → regions of its `aws_dynamodb_table_replica`s.
    replicas: HashMap<String, BTreeSet<String>>,
    /// Table name → regions of the legacy `aws_dynamodb_global_table` it belongs to.
    legacy_global: HashMap<String, BTreeSet<String>>,
    /// Bucket name → what its configuration instances say.
    buckets: HashMap<String, Bucket>,
    /// Names of the buckets the states manage.
    managed_buckets: HashSet<String>,
}

/// The configuration of a bucket written beside it.
#[derive(Default)]
struct Bucket {
    versioning: Option<String>,
    replication: Vec<String>,
}

impl StorageFacts {
    pub fn prepare(facts: &Facts, index: &Index<'_>) -> StorageFacts {
        let mut storage = StorageFacts::default();
        for entry in managed(index) {
            let attrs = entry.attrs();
            match entry.type_name() {
                "aws_efs_mount_target" => {
                    let Some(fs) = attrs.str("file_system_id") else {
                        continue;
                    };
                    let home = facts.home(entry);
                    let zone = attrs
                        .str("availability_zone_id")
                        .or_else(|| attrs.str("availability_zone_name"))
                        .map(|z| facts.zones.lookup(&home, z))
                        .or_else(|| {
                            let subnet = facts.subnets.get(attrs.str("subnet_id")?)?;
                            subnet.zone.clone()
                        });
                    storage
                        .mounts
                        .entry(fs.to_string())
                        .or_default()
                        .push((address_key(entry.file, &entry.instance.address), zone));
                }
                "aws_dynamodb_table_replica" => {
                    let region = facts.home(entry).region;
                    if let (Some(table), Some(region)) = (attrs.str("global_table_arn"), region) {
                        storage
                            .replicas
                            .entry(key(table))
                            .or_default()
                            .insert(region);
                    }
                }
                "aws_dynamodb_global_table" => {
                    if let Some(name) = attrs.str("name") {
                        let replicas = attrs.blocks("replica");
                        let regions = replicas
                            .iter()
                            .filter_map(|r| r.str("region_name"))
                            .map(str::to_string);
                        storage
                            .legacy_global
                            .entry(name.into())
                            .or_default()
                            .extend(regions);
                    }
                }
                "aws_s3_bucket" => {
                    if let Some(name) = attrs.str("bucket").or_else(|| attrs.str("id")) {
                        storage.managed_buckets.insert(name.into());
                    }
                }
                "aws_s3_bucket_versioning" => {
                    let status = attrs
                        .block("versioning_configuration")
                        .and_then(|v| v.str("status"));
                    if let (Some(bucket), Some(status)) = (attrs.str("bucket"), status) {
                        storage.buckets.entry(bucket.into()).or_default().versioning =
                            Some(status.into());
                    }
                }
                "aws_s3_bucket_replication_configuration" => {
                    if let Some(bucket) = attrs.str("bucket") {
                        let rules = attrs.blocks("rule");
                        storage
                            .buckets
                            .entry(bucket.into())
                            .or_default()
                            .replication
                            .extend(destinations(&rules));
                    }
                }
                _ => {}
            }
        }
        storage
    }
}

/// The destination buckets of enabled replication rules.
fn destinations(rules: &[super::super::attrs::Attrs<'_>]) -> Vec<String> {
    rules
        .iter()
        .filter(|r| {
            r.str("status")
                .is_none_or(|s| s.eq_ignore_ascii_case("enabled"))
        })
        .flat_map(|r| r.blocks("destination"))
        .filter_map(|d| d.str("bucket"))
        .map(str::to_string)
        .collect()
}

/// Map a storage instance; `None` for a type of another group.
pub fn map(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    match ctx.type_name() {
        "aws_efs_file_system" => file_system(ctx),
        "aws_efs_mount_target" => mount_target(ctx),
        "aws_dynamodb_table" => table(ctx),
        "aws_dynamodb_table_replica" => table_replica(ctx),
        "aws_s3_bucket" => bucket(ctx),
        "aws_s3_directory_bucket" => directory_bucket(ctx),
        "aws_efs_access_point"
        | "aws_efs_backup_policy"
        | "aws_efs_file_system_policy"
        | "aws_efs_replication_configuration"
        | "aws_dynamodb_global_table"
        | "aws_dynamodb_table_item"
        | "aws_dynamodb_contributor_insights"
        | "aws_dynamodb_kinesis_streaming_destination"
        | "aws_dynamodb_resource_policy"
        | "aws_dynamodb_tag" => Some(Outcome::Folded),
        t if t.starts_with("aws_s3_bucket_") || t.starts_with("aws_s3_object") => bucket_part(ctx),
        "aws_s3_account_public_access_block" => Some(Outcome::Folded),
        _ => None,
    }
}

/// A file system: One Zone in its zone; regional over its mount targets' zones (regional
/// when it has none); it needs any one of its mount targets.
fn file_system(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let short = attrs.str("id").unwrap_or_default();
    let id = ctx.arn_or(|region, account| {
        format!("arn:aws:elasticfilesystem:{region}:{account}:file-system/{short}")
    });
    let one_zone = attrs.str("availability_zone_name");
    let facts = ctx.facts;
    let mounts = facts
        .storage
        .mounts
        .get(short)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let (placement, zones) = match one_zone {
        Some(name) => {
            let zone = attrs
                .str("availability_zone_id")
                .map(|z| facts.zones.lookup(ctx.home(), z).zone)
                .unwrap_or_else(|| ctx.zone(name));
            over(vec![zone])
        }
        None => {
            let zones: Vec<Zone> = mounts
                .iter()
                .filter_map(|(_, z)| z.clone().map(|z| z.zone))
                .collect();
            match over(zones) {
                (Placement::Unknown, _) => (Placement::Regional, Vec::new()),
                other => other,
            }
        }
    };
    let mut resource = ctx.resource(
        id,
        "aws:elasticfilesystem:file-system",
        placement,
        attrs.str("name"),
    );
    let a = &mut resource.attributes;
    if let Some(zone) = one_zone {
        a.insert("availability_zone_name".into(), json!(zone));
    }
    a.insert("mount_targets".into(), json!(mounts.len()));
    for key in ["performance_mode", "throughput_mode"] {
        if let Some(value) = attrs.str(key) {
            a.insert(key.into(), json!(value));
        }
    }
    if !mounts.is_empty() {
        resource.requirements.push(
            RequirementGroup::any_of(mounts.iter().map(|(m, _)| m.clone()), None)
                .with_label("any mount target"),
        );
    }
    ctx.done(resource, zones, &[])
}

/// A mount target: in its zone, needing its subnet.
fn mount_target(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let short = attrs.str("id").unwrap_or_default();
    let id = ctx.arn_or(|region, account| {
        format!("arn:aws:elasticfilesystem:{region}:{account}:mount-target/{short}")
    });
    let subnet = attrs.str("subnet_id");
    let zone = match attrs
        .str("availability_zone_id")
        .or_else(|| attrs.str("availability_zone_name"))
    {
        Some(z) => Some(ctx.zone(z)),
        None => subnet.and_then(|s| ctx.subnet_zone(s)),
    };
    let (placement, zones) = over(zone.into_iter().collect());
    let mut resource = ctx.resource(id, "aws:elasticfilesystem:mount-target", placement, None);
    if let Some(fs) = attrs.str("file_system_id") {
        resource.attributes.insert("file_system".into(), json!(fs));
    }
    if let Some(subnet) = subnet {
        resource
            .requirements
            .push(RequirementGroup::requires(subnet).with_label("in subnet"));
    }
    ctx.done(resource, zones, &[])
}

/// A DynamoDB table: regional; a global table when it has replicas in other regions
/// (`replica` blocks, `aws_dynamodb_table_replica`s or the legacy global table).
fn table(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("name").unwrap_or_default();
    let id =
        ctx.arn_or(|region, account| format!("arn:aws:dynamodb:{region}:{account}:table/{name}"));
    let storage = &ctx.facts.storage;
    let mut replicas: BTreeSet<String> = attrs
        .blocks("replica")
        .iter()
        .filter_map(|r| r.str("region_name"))
        .map(str::to_string)
        .collect();
    replicas.extend(
        storage
            .replicas
            .get(&key(&id))
            .into_iter()
            .flatten()
            .cloned(),
    );
    replicas.extend(
        storage
            .legacy_global
            .get(name)
            .into_iter()
            .flatten()
            .cloned(),
    );
    if let Some(own) = &ctx.home().region {
        replicas.remove(own);
    }
    let mut resource = ctx.resource(id, "aws:dynamodb:table", Placement::Regional, Some(name));
    let a = &mut resource.attributes;
    a.insert("global_table".into(), json!(!replicas.is_empty()));
    a.insert("replicas".into(), json!(replicas));
    if let Some(mode) = attrs.str("billing_mode") {
        a.insert("billing_mode".into(), json!(mode));
    }
    let stream = attrs.str("stream_arn").unwrap_or_default();
    ctx.done(resource, Vec::new(), &[stream, name])
}

/// The replica of a global table in another region: a table of its own there.
fn table_replica(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let global = attrs.str("global_table_arn").unwrap_or_default();
    let name = global.rsplit('/').next().unwrap_or_default();
    let id =
        ctx.arn_or(|region, account| format!("arn:aws:dynamodb:{region}:{account}:table/{name}"));
    let source_region = crate::sources::aws::Arn::parse(global).map(|a| a.region.to_string());
    let mut resource = ctx.resource(id, "aws:dynamodb:table", Placement::Regional, Some(name));
    let a = &mut resource.attributes;
    a.insert("global_table".into(), json!(true));
    a.insert(
        "replicas".into(),
        json!(source_region.into_iter().collect::<Vec<_>>()),
    );
    ctx.done(resource, Vec::new(), &[])
}

/// An S3 bucket: regional, with its versioning and replication from its own blocks (early
/// providers) or from the instances that configure it; known by its DNS names to Route 53
/// records and CloudFront origins.
fn bucket(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs
        .str("bucket")
        .or_else(|| attrs.str("id"))
        .unwrap_or_default();
    let id = super::own_arn(attrs)
        .map(str::to_string)
        .unwrap_or_else(|| format!("arn:aws:s3:::{name}"));
    let extra = ctx.facts.storage.buckets.get(name);
    let mut resource = ctx.resource(id, "aws:s3:bucket", Placement::Regional, Some(name));
    let inline_versioning = attrs
        .block("versioning")
        .and_then(|v| v.bool("enabled"))
        .and_then(|on| on.then_some("Enabled"));
    let versioning = extra
        .and_then(|b| b.versioning.as_deref())
        .or(inline_versioning);
    let mut targets: Vec<String> = attrs
        .blocks("replication_configuration")
        .iter()
        .flat_map(|c| destinations(&c.blocks("rules")))
        .collect();
    targets.extend(
        extra
            .into_iter()
            .flat_map(|b| b.replication.iter().cloned()),
    );
    targets.sort();
    targets.dedup();
    let a = &mut resource.attributes;
    if let Some(versioning) = versioning {
        a.insert("versioning".into(), json!(versioning));
    }
    if let Some(first) = targets.first() {
        a.insert(
            "replication".into(),
            json!({"destination": first, "destinations": targets}),
        );
    }
    let region = resource.region.clone().unwrap_or_default();
    let mut names = vec![
        format!("{name}.s3.amazonaws.com"),
        format!("{name}.s3.{region}.amazonaws.com"),
        format!("{name}.s3-website-{region}.amazonaws.com"),
        format!("{name}.s3-website.{region}.amazonaws.com"),
    ];
    for key in [
        "bucket_domain_name",
        "bucket_regional_domain_name",
        "website_endpoint",
    ] {
        names.extend(attrs.str(key).map(super::dns));
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    ctx.done(resource, Vec::new(), &names)
}

/// A bucket's configuration or object, folded into the bucket (counted as a dangling
/// reference when no state holds the bucket).
fn bucket_part(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    if let Some(bucket) = ctx.attrs.str("bucket")
        && !ctx.facts.storage.managed_buckets.contains(bucket)
        && ctx.index.lookup(bucket).is_none()
    {
        ctx.dangling(&format!("bucket {bucket}"));
    }
    Some(Outcome::Folded)
}

/// An S3 directory bucket (S3 Express One Zone): in the zone its location names.
fn directory_bucket(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("bucket").unwrap_or_default();
    let id =
        ctx.arn_or(|region, account| format!("arn:aws:s3express:{region}:{account}:bucket/{name}"));
    let zone = attrs
        .block("location")
        .filter(|l| l.str("type").is_none_or(|t| t == "AvailabilityZone"))
        .and_then(|l| l.str("name"))
        .map(|z| ctx.zone(z));
    let (placement, zones) = over(zone.into_iter().collect());
    let resource = ctx.resource(id, "aws:s3express:bucket", placement, Some(name));
    ctx.done(resource, zones, &[])
}
