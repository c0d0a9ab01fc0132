//! RDS: DB instances (single-AZ zonal; Multi-AZ over the primary and standby zones, the
//! standby inferred from the DB subnet group when the API does not give it) and clusters
//! (Aurora and Multi-AZ DB clusters), which need any one of their members.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_rds::types::{DbCluster, DbInstance};
use serde_json::json;

use super::{Found, RegionCtx, apply_tags, arn, zones_placement};
use crate::model::{Placement, RequirementGroup, Resource, ZoneId};

const SERVICE: &str = "rds";

pub(super) async fn crawl(ctx: &RegionCtx) -> Found {
    let client = aws_sdk_rds::Client::new(&ctx.config);
    let (calls, scope) = (&ctx.calls, &ctx.scope);
    let (instances, clusters) = tokio::join!(
        calls.pages(
            scope,
            SERVICE,
            "DescribeDBInstances",
            client
                .describe_db_instances()
                .into_paginator()
                .page_size(100)
                .send()
        ),
        calls.pages(
            scope,
            SERVICE,
            "DescribeDBClusters",
            client
                .describe_db_clusters()
                .into_paginator()
                .page_size(100)
                .send()
        ),
    );
    let mut found = Found::default();
    if !calls.failed(scope, SERVICE, "DescribeDBInstances") {
        found.listed_kinds.push("aws:rds:db-instance");
    }
    if !calls.failed(scope, SERVICE, "DescribeDBClusters") {
        found.listed_kinds.push("aws:rds:cluster");
    }

    // DB instance name → the zone ID of its primary, for the clusters' placement.
    let mut zone_of_instance: HashMap<String, ZoneId> = HashMap::new();
    for db in instances.iter().flat_map(|p| p.db_instances()) {
        let Some(name) = db.db_instance_identifier() else {
            continue;
        };
        if db.db_instance_status().is_some_and(|s| s == "deleting") {
            continue;
        }
        let (resource, primary) = db_instance(ctx, db, name);
        if let Some(primary) = primary {
            zone_of_instance.insert(name.to_string(), primary);
        }
        found.resources.push(resource);
    }
    for cluster in clusters.iter().flat_map(|p| p.db_clusters()) {
        let Some(name) = cluster.db_cluster_identifier() else {
            continue;
        };
        let Some(id) = cluster.db_cluster_arn() else {
            continue;
        };
        found
            .resources
            .push(db_cluster(ctx, cluster, name, id, &zone_of_instance));
    }
    found
}

/// One DB instance and the zone ID of its primary.
fn db_instance(ctx: &RegionCtx, db: &DbInstance, name: &str) -> (Resource, Option<ZoneId>) {
    let id = db
        .db_instance_arn()
        .map(str::to_string)
        .unwrap_or_else(|| arn::rds_instance(&ctx.region, &ctx.account, name));
    let multi_az = db.multi_az().unwrap_or(false);
    let primary = db.availability_zone().and_then(|n| ctx.zone_id(n));
    let subnet_group_zones: BTreeSet<ZoneId> = db
        .db_subnet_group()
        .map(|g| {
            g.subnets()
                .iter()
                .filter_map(|s| s.subnet_availability_zone().and_then(|z| z.name()))
                .filter_map(|n| ctx.zone_id(n))
                .collect()
        })
        .unwrap_or_default();
    let placement = instance_placement(ctx, db, primary.as_ref(), &subnet_group_zones);
    let mut resource = ctx.resource(id, "aws:rds:db-instance", name, placement);
    let attrs = &mut resource.attributes;
    attrs.insert("multi_az".into(), json!(multi_az));
    if let Some(engine) = db.engine() {
        attrs.insert("engine".into(), json!(engine));
    }
    if let Some(class) = db.db_instance_class() {
        attrs.insert("instance_class".into(), json!(class));
    }
    if let Some(zone) = db.availability_zone() {
        attrs.insert("zone_name".into(), json!(zone));
    }
    if let Some(zone) = db.secondary_availability_zone().filter(|z| !z.is_empty()) {
        attrs.insert("secondary_zone_name".into(), json!(zone));
    }
    if let Some(cluster) = db.db_cluster_identifier() {
        attrs.insert("cluster".into(), json!(cluster));
    }
    if let Some(source) = db.read_replica_source_db_instance_identifier() {
        attrs.insert("replica_of".into(), json!(source));
    }
    if !subnet_group_zones.is_empty() {
        attrs.insert("subnet_group_zones".into(), json!(subnet_group_zones));
    }
    apply_tags(
        &mut resource,
        db.tag_list()
            .iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())),
    );
    (resource, primary)
}

/// Where a DB instance runs: single-AZ in its primary's zone; Multi-AZ over the primary and
/// standby zones, the standby's inferred from the DB subnet group when not reported.
fn instance_placement(
    ctx: &RegionCtx,
    db: &DbInstance,
    primary: Option<&ZoneId>,
    subnet_group_zones: &BTreeSet<ZoneId>,
) -> Placement {
    let multi_az = db.multi_az().unwrap_or(false);
    let secondary = db
        .secondary_availability_zone()
        .filter(|n| !n.is_empty())
        .and_then(|n| ctx.zone_id(n));
    match (primary, multi_az, &secondary) {
        (Some(primary), false, _) => Placement::Zonal {
            zone: primary.clone(),
        },
        (Some(primary), true, Some(secondary)) => {
            zones_placement([primary.clone(), secondary.clone()])
        }
        (Some(primary), true, None) => {
            // The standby's zone is not reported: it is one of the subnet group's other
            // zones.
            let mut zones: BTreeSet<ZoneId> = subnet_group_zones.clone();
            zones.insert(primary.clone());
            match zones_placement(zones) {
                Placement::MultiZone { zones, .. } => Placement::MultiZone {
                    zones,
                    inferred: true,
                },
                other => other,
            }
        }
        (None, _, _) => Placement::Unknown,
    }
}

/// One DB cluster (Aurora or Multi-AZ DB cluster): it needs any one of its members.
fn db_cluster(
    ctx: &RegionCtx,
    cluster: &DbCluster,
    name: &str,
    id: &str,
    zone_of_instance: &HashMap<String, ZoneId>,
) -> Resource {
    let members: Vec<&str> = cluster
        .db_cluster_members()
        .iter()
        .filter_map(|m| m.db_instance_identifier())
        .collect();
    // Where the cluster runs: its members' zones; the cluster's own zone list (where it
    // may place instances) when it has no members yet.
    let member_zones: BTreeSet<ZoneId> = members
        .iter()
        .filter_map(|m| zone_of_instance.get(*m).cloned())
        .collect();
    let zones = if member_zones.is_empty() {
        cluster
            .availability_zones()
            .iter()
            .filter_map(|n| ctx.zone_id(n))
            .collect()
    } else {
        member_zones
    };
    let mut resource = ctx.resource(
        id.to_string(),
        "aws:rds:cluster",
        name,
        zones_placement(zones),
    );
    let attrs = &mut resource.attributes;
    if let Some(engine) = cluster.engine() {
        attrs.insert("engine".into(), json!(engine));
    }
    attrs.insert(
        "multi_az".into(),
        json!(cluster.multi_az().unwrap_or(false)),
    );
    attrs.insert("members".into(), json!(members.len()));
    if let Some(writer) = cluster
        .db_cluster_members()
        .iter()
        .find(|m| m.is_cluster_writer() == Some(true))
        .and_then(|m| m.db_instance_identifier())
    {
        attrs.insert("writer".into(), json!(writer));
    }
    if !members.is_empty() {
        resource.requirements.push(
            RequirementGroup::any_of(
                members
                    .iter()
                    .map(|m| arn::rds_instance(&ctx.region, &ctx.account, m)),
                None,
            )
            .with_label("failover to any cluster instance"),
        );
    }
    apply_tags(
        &mut resource,
        cluster
            .tag_list()
            .iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())),
    );
    resource
}
