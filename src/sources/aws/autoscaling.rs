//! EC2 Auto Scaling: groups with their zones, capacities and instances. A group needs any one
//! of its instances; the n-minus-one rule reads its capacities.

use std::collections::BTreeSet;

use serde_json::json;

use super::{Found, RegionCtx, apply_tags, arn};
use crate::model::{Placement, RequirementGroup, ZoneId};

const SERVICE: &str = "autoscaling";

pub(super) async fn crawl(ctx: &RegionCtx) -> Found {
    let client = aws_sdk_autoscaling::Client::new(&ctx.config);
    let pages = ctx
        .calls
        .pages(
            &ctx.scope,
            SERVICE,
            "DescribeAutoScalingGroups",
            client
                .describe_auto_scaling_groups()
                .into_paginator()
                .page_size(100)
                .send(),
        )
        .await;
    let mut found = Found::default();
    if !ctx
        .calls
        .failed(&ctx.scope, SERVICE, "DescribeAutoScalingGroups")
    {
        found.listed_kinds.push("aws:autoscaling:autoScalingGroup");
    }
    for group in pages.iter().flat_map(|p| p.auto_scaling_groups()) {
        let Some(name) = group.auto_scaling_group_name() else {
            continue;
        };
        let id = group
            .auto_scaling_group_arn()
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "arn:aws:autoscaling:{}:{}:autoScalingGroup:*:autoScalingGroupName/{name}",
                    ctx.region, ctx.account
                )
            });
        let mut resource = ctx.resource(
            id,
            "aws:autoscaling:autoScalingGroup",
            name,
            Placement::Regional,
        );
        let zone_names = group.availability_zones();
        let zones: BTreeSet<ZoneId> = zone_names.iter().filter_map(|n| ctx.zone_id(n)).collect();
        let instances: BTreeSet<String> = group
            .instances()
            .iter()
            .filter(|i| {
                !i.lifecycle_state().is_some_and(|s| {
                    s.as_str().starts_with("Terminat") || s.as_str().starts_with("Detach")
                })
            })
            .filter_map(|i| i.instance_id())
            .map(|i| arn::ec2(&ctx.region, &ctx.account, "instance", i))
            .collect();
        let attrs = &mut resource.attributes;
        if let Some(desired) = group.desired_capacity() {
            attrs.insert("desired_capacity".into(), json!(desired));
        }
        if let Some(min) = group.min_size() {
            attrs.insert("min_size".into(), json!(min));
        }
        if let Some(max) = group.max_size() {
            attrs.insert("max_size".into(), json!(max));
        }
        attrs.insert("zones".into(), json!(zones));
        attrs.insert("zone_names".into(), json!(zone_names));
        attrs.insert("instances".into(), json!(instances.len()));
        if let Some(subnets) = group.vpc_zone_identifier().filter(|s| !s.is_empty()) {
            let subnets: Vec<&str> = subnets.split(',').map(str::trim).collect();
            attrs.insert("subnet_ids".into(), json!(subnets));
        }
        if !group.target_group_arns().is_empty() {
            attrs.insert("target_groups".into(), json!(group.target_group_arns()));
        }
        if !instances.is_empty() {
            resource.requirements.push(
                RequirementGroup::any_of(instances, None).with_label("any in-service instance"),
            );
        }
        apply_tags(
            &mut resource,
            group
                .tags()
                .iter()
                .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())),
        );
        found.resources.push(resource);
    }
    found
}
