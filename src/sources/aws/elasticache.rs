//! ElastiCache: replication groups (Redis/Valkey) with their shards' members and zones, and
//! standalone cache clusters. A shard with automatic failover needs any one of its members;
//! without, it needs its primary.

use std::collections::BTreeSet;

use aws_sdk_elasticache::types::{CacheCluster, NodeGroup, ReplicationGroup};
use serde_json::json;

use super::{Found, RegionCtx, zones_placement};
use crate::model::{Placement, RequirementGroup, Resource, ZoneId};

const SERVICE: &str = "elasticache";

fn cluster_arn(ctx: &RegionCtx, id: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:cluster:{id}",
        ctx.region, ctx.account
    )
}

pub(super) async fn crawl(ctx: &RegionCtx) -> Found {
    let client = aws_sdk_elasticache::Client::new(&ctx.config);
    let (calls, scope) = (&ctx.calls, &ctx.scope);
    let (groups, clusters) = tokio::join!(
        calls.pages(
            scope,
            SERVICE,
            "DescribeReplicationGroups",
            client
                .describe_replication_groups()
                .max_records(100)
                .into_paginator()
                .send()
        ),
        calls.pages(
            scope,
            SERVICE,
            "DescribeCacheClusters",
            client
                .describe_cache_clusters()
                .show_cache_node_info(true)
                .max_records(100)
                .into_paginator()
                .send()
        ),
    );
    let mut found = Found::default();
    if !calls.failed(scope, SERVICE, "DescribeReplicationGroups") {
        found.listed_kinds.push("aws:elasticache:replicationgroup");
    }
    if !calls.failed(scope, SERVICE, "DescribeCacheClusters") {
        found.listed_kinds.push("aws:elasticache:cluster");
    }

    let mut members_seen = BTreeSet::new();
    for group in groups.iter().flat_map(|p| p.replication_groups()) {
        let Some(name) = group.replication_group_id() else {
            continue;
        };
        let resource = replication_group(ctx, group, name, &mut members_seen, &mut found);
        found.resources.push(resource);
    }
    for cluster in clusters.iter().flat_map(|p| p.cache_clusters()) {
        let Some(name) = cluster.cache_cluster_id() else {
            continue;
        };
        let resource = cache_cluster(ctx, cluster, name);
        // The listed cluster replaces the one built from its replication group.
        found.resources.retain(|r| r.id != resource.id);
        found.resources.push(resource);
    }
    found
}

/// What the shards of a replication group add up to.
#[derive(Default)]
struct Shards {
    zones: BTreeSet<ZoneId>,
    requirements: Vec<RequirementGroup>,
    members: usize,
}

/// One replication group, in its members' zones, needing each of its shards. Members not
/// seen before go into `found` as nodes of their own first.
fn replication_group(
    ctx: &RegionCtx,
    group: &ReplicationGroup,
    name: &str,
    members_seen: &mut BTreeSet<String>,
    found: &mut Found,
) -> Resource {
    let id = group.arn().map(str::to_string).unwrap_or_else(|| {
        format!(
            "arn:aws:elasticache:{}:{}:replicationgroup:{name}",
            ctx.region, ctx.account
        )
    });
    let failover = group
        .automatic_failover()
        .is_some_and(|s| matches!(s.as_str(), "enabled" | "enabling"));
    let mut shards = Shards::default();
    for shard in group.node_groups() {
        let members = shard_members(ctx, shard, name, &mut shards, members_seen, found);
        let shard_name = shard.node_group_id().unwrap_or("0001");
        match (failover, members.primary) {
            (false, Some(primary)) => {
                shards
                    .requirements
                    .push(RequirementGroup::requires(primary).with_label(format!(
                        "shard {shard_name}: the primary (no automatic failover)"
                    )))
            }
            _ if !members.all.is_empty() => shards.requirements.push(
                RequirementGroup::any_of(members.all, None)
                    .with_label(format!("shard {shard_name}: failover to any member")),
            ),
            _ => {}
        }
    }
    let mut resource = ctx.resource(
        id,
        "aws:elasticache:replicationgroup",
        name,
        zones_placement(shards.zones),
    );
    let attrs = &mut resource.attributes;
    attrs.insert("automatic_failover".into(), json!(failover));
    attrs.insert(
        "multi_az".into(),
        json!(group.multi_az().is_some_and(|m| m.as_str() == "enabled")),
    );
    attrs.insert("num_cache_clusters".into(), json!(shards.members));
    attrs.insert("shards".into(), json!(group.node_groups().len()));
    if let Some(engine) = group.engine() {
        attrs.insert("engine".into(), json!(engine));
    }
    resource.requirements = shards.requirements;
    resource
}

/// The member clusters of one shard, by ARN, and which is the primary.
struct ShardMembers {
    all: Vec<String>,
    primary: Option<String>,
}

/// Read one shard of replication group `group_name`: count its members and their zones into
/// `shards`, and add each member not seen before to `found` as a node of its own.
fn shard_members(
    ctx: &RegionCtx,
    shard: &NodeGroup,
    group_name: &str,
    shards: &mut Shards,
    members_seen: &mut BTreeSet<String>,
    found: &mut Found,
) -> ShardMembers {
    let mut members = ShardMembers {
        all: Vec::new(),
        primary: None,
    };
    for member in shard.node_group_members() {
        let Some(cluster) = member.cache_cluster_id() else {
            continue;
        };
        shards.members += 1;
        let arn = cluster_arn(ctx, cluster);
        let zone = member
            .preferred_availability_zone()
            .and_then(|n| ctx.zone_id(n));
        if let Some(zone) = &zone {
            shards.zones.insert(zone.clone());
        }
        if member.current_role() == Some("primary") {
            members.primary = Some(arn.clone());
        }
        if members_seen.insert(arn.clone()) {
            // The member as a node of its own, in case DescribeCacheClusters does not
            // list it; a listed one replaces it.
            let mut node = ctx.resource(
                arn.clone(),
                "aws:elasticache:cluster",
                cluster,
                zone.map(|zone| Placement::Zonal { zone })
                    .unwrap_or(Placement::Unknown),
            );
            node.attributes
                .insert("replication_group".into(), json!(group_name));
            if let Some(role) = member.current_role() {
                node.attributes.insert("role".into(), json!(role));
            }
            found.resources.push(node);
        }
        members.all.push(arn);
    }
    members
}

/// One cache cluster, in its nodes' zones (its preferred zone when it reports no nodes).
fn cache_cluster(ctx: &RegionCtx, cluster: &CacheCluster, name: &str) -> Resource {
    let id = cluster
        .arn()
        .map(str::to_string)
        .unwrap_or_else(|| cluster_arn(ctx, name));
    let mut zones: BTreeSet<ZoneId> = cluster
        .cache_nodes()
        .iter()
        .filter_map(|n| n.customer_availability_zone())
        .filter_map(|n| ctx.zone_id(n))
        .collect();
    if zones.is_empty()
        && let Some(zone) = cluster
            .preferred_availability_zone()
            .and_then(|n| ctx.zone_id(n))
    {
        zones.insert(zone);
    }
    let mut resource = ctx.resource(id, "aws:elasticache:cluster", name, zones_placement(zones));
    let attrs = &mut resource.attributes;
    if let Some(engine) = cluster.engine() {
        attrs.insert("engine".into(), json!(engine));
    }
    if let Some(nodes) = cluster.num_cache_nodes() {
        attrs.insert("nodes".into(), json!(nodes));
    }
    if let Some(group) = cluster.replication_group_id() {
        attrs.insert("replication_group".into(), json!(group));
    }
    resource
}
