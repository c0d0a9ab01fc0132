//! ElastiCache: replication groups (Redis/Valkey) with their shards' members and zones, and
//! standalone cache clusters. A shard with automatic failover needs any one of its members;
//! without, it needs its primary.

use std::collections::BTreeSet;

use serde_json::json;

use super::{Found, RegionCtx, zones_placement};
use crate::model::{Placement, RequirementGroup};

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
        let id = group.arn().map(str::to_string).unwrap_or_else(|| {
            format!(
                "arn:aws:elasticache:{}:{}:replicationgroup:{name}",
                ctx.region, ctx.account
            )
        });
        let failover = group
            .automatic_failover()
            .is_some_and(|s| matches!(s.as_str(), "enabled" | "enabling"));
        let mut zones = BTreeSet::new();
        let mut requirements = Vec::new();
        let mut member_count = 0;
        for shard in group.node_groups() {
            let mut members = Vec::new();
            let mut primary = None;
            for member in shard.node_group_members() {
                let Some(cluster) = member.cache_cluster_id() else {
                    continue;
                };
                member_count += 1;
                let arn = cluster_arn(ctx, cluster);
                let zone = member
                    .preferred_availability_zone()
                    .and_then(|n| ctx.zone_id(n));
                if let Some(zone) = &zone {
                    zones.insert(zone.clone());
                }
                if member.current_role() == Some("primary") {
                    primary = Some(arn.clone());
                }
                if members_seen.insert(arn.clone()) {
                    // The member as a node of its own, in case DescribeCacheClusters does not
                    // list it; a listed one replaces it below.
                    let mut node = ctx.resource(
                        arn.clone(),
                        "aws:elasticache:cluster",
                        cluster,
                        zone.map(|zone| Placement::Zonal { zone })
                            .unwrap_or(Placement::Unknown),
                    );
                    node.attributes
                        .insert("replication_group".into(), json!(name));
                    if let Some(role) = member.current_role() {
                        node.attributes.insert("role".into(), json!(role));
                    }
                    found.resources.push(node);
                }
                members.push(arn);
            }
            let shard_name = shard.node_group_id().unwrap_or("0001");
            match (failover, primary) {
                (false, Some(primary)) => {
                    requirements.push(RequirementGroup::requires(primary).with_label(format!(
                        "shard {shard_name}: the primary (no automatic failover)"
                    )))
                }
                _ if !members.is_empty() => requirements.push(
                    RequirementGroup::any_of(members, None)
                        .with_label(format!("shard {shard_name}: failover to any member")),
                ),
                _ => {}
            }
        }
        let mut resource = ctx.resource(
            id,
            "aws:elasticache:replicationgroup",
            name,
            zones_placement(zones),
        );
        let attrs = &mut resource.attributes;
        attrs.insert("automatic_failover".into(), json!(failover));
        attrs.insert(
            "multi_az".into(),
            json!(group.multi_az().is_some_and(|m| m.as_str() == "enabled")),
        );
        attrs.insert("num_cache_clusters".into(), json!(member_count));
        attrs.insert("shards".into(), json!(group.node_groups().len()));
        if let Some(engine) = group.engine() {
            attrs.insert("engine".into(), json!(engine));
        }
        resource.requirements = requirements;
        found.resources.push(resource);
    }

    for cluster in clusters.iter().flat_map(|p| p.cache_clusters()) {
        let Some(name) = cluster.cache_cluster_id() else {
            continue;
        };
        let id = cluster
            .arn()
            .map(str::to_string)
            .unwrap_or_else(|| cluster_arn(ctx, name));
        let mut zones: BTreeSet<String> = cluster
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
        let mut resource = ctx.resource(
            id.clone(),
            "aws:elasticache:cluster",
            name,
            zones_placement(zones),
        );
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
        // The listed cluster replaces the one built from its replication group.
        found.resources.retain(|r| r.id != id);
        found.resources.push(resource);
    }
    found
}
