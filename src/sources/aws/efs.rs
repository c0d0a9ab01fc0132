//! EFS: One Zone file systems are zonal; regional ones are reached through mount targets, one
//! per zone, and live in those zones.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_efs::types::FileSystemDescription;
use serde_json::json;
use tokio::task::JoinSet;

use super::{Found, RegionCtx, zones_placement};
use crate::model::{Placement, Resource, ZoneId};

const SERVICE: &str = "elasticfilesystem";

pub(super) async fn crawl(ctx: &Arc<RegionCtx>) -> Found {
    let client = aws_sdk_efs::Client::new(&ctx.config);
    let pages = ctx
        .calls
        .pages(
            &ctx.scope,
            SERVICE,
            "DescribeFileSystems",
            client
                .describe_file_systems()
                .max_items(100)
                .into_paginator()
                .send(),
        )
        .await;
    let mut found = Found::default();
    if !ctx.calls.failed(&ctx.scope, SERVICE, "DescribeFileSystems") {
        found.listed_kinds.push("aws:elasticfilesystem:file-system");
    }
    let systems: Vec<_> = pages
        .iter()
        .flat_map(|p| p.file_systems())
        .cloned()
        .collect();
    let mount_zones = mount_zones(ctx, &client, &systems).await;
    for fs in &systems {
        found.resources.push(file_system(ctx, fs, &mount_zones));
    }
    found
}

/// The zone IDs of the mount targets of each regional file system, read concurrently.
async fn mount_zones(
    ctx: &Arc<RegionCtx>,
    client: &aws_sdk_efs::Client,
    systems: &[FileSystemDescription],
) -> HashMap<String, Vec<ZoneId>> {
    let mut jobs = JoinSet::new();
    for fs in systems {
        if fs.availability_zone_name().is_some() {
            continue;
        }
        let id = fs.file_system_id();
        let (client, ctx, id) = (client.clone(), ctx.clone(), id.to_string());
        jobs.spawn(async move {
            let pages = ctx
                .calls
                .pages(
                    &ctx.scope,
                    SERVICE,
                    "DescribeMountTargets",
                    client
                        .describe_mount_targets()
                        .file_system_id(&id)
                        .max_items(100)
                        .into_paginator()
                        .send(),
                )
                .await;
            let zones: Vec<ZoneId> = pages
                .iter()
                .flat_map(|p| p.mount_targets())
                .filter_map(|m| {
                    m.availability_zone_id()
                        .map(ZoneId::from)
                        .or_else(|| m.availability_zone_name().and_then(|n| ctx.zone_id(n)))
                })
                .collect();
            (id, zones)
        });
    }
    let mut mount_zones = HashMap::new();
    while let Some(done) = jobs.join_next().await {
        let (id, zones) = done.expect("mount target task does not panic");
        mount_zones.insert(id, zones);
    }
    mount_zones
}

/// One file system: One Zone ones in their zone, regional ones in their mount targets'
/// zones (regional when they have none).
fn file_system(
    ctx: &RegionCtx,
    fs: &FileSystemDescription,
    mount_zones: &HashMap<String, Vec<ZoneId>>,
) -> Resource {
    let fs_id = fs.file_system_id();
    let id = fs.file_system_arn().map(str::to_string).unwrap_or_else(|| {
        format!(
            "arn:aws:elasticfilesystem:{}:{}:file-system/{fs_id}",
            ctx.region, ctx.account
        )
    });
    let one_zone = fs.availability_zone_name();
    let placement = match one_zone {
        Some(name) => fs
            .availability_zone_id()
            .map(ZoneId::from)
            .or_else(|| ctx.zone_id(name))
            .map(|zone| Placement::Zonal { zone })
            .unwrap_or(Placement::Unknown),
        None => match mount_zones.get(fs_id) {
            Some(zones) if !zones.is_empty() => zones_placement(zones.iter().cloned()),
            _ => Placement::Regional,
        },
    };
    let name = fs.name().filter(|n| !n.is_empty()).unwrap_or(fs_id);
    let mut resource = ctx.resource(id, "aws:elasticfilesystem:file-system", name, placement);
    let attrs = &mut resource.attributes;
    if let Some(zone) = one_zone {
        attrs.insert("availability_zone_name".into(), json!(zone));
    }
    if let Some(zones) = mount_zones.get(fs_id) {
        attrs.insert("mount_targets".into(), json!(zones.len()));
    }
    super::apply_tags(
        &mut resource,
        fs.tags().iter().map(|t| (t.key(), t.value())),
    );
    resource
}
