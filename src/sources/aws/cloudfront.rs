//! CloudFront (global, read once per account): distributions and their origins. A
//! distribution needs every origin its cache behaviours route to; an origin group needs any
//! one of its members. Origins are DNS names, resolved to resources after the crawl.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_cloudfront::types::{
    Aliases, CacheBehaviors, DefaultCacheBehavior, OriginGroups, Origins,
};
use serde_json::json;

use super::calls::{Calls, Scope};
use super::{DNS_PREFIX, Found, global_resource};
use crate::model::{RequirementGroup, Resource};

const SERVICE: &str = "cloudfront";

/// The parts of a distribution that say what it needs; a list summary and a full
/// configuration both carry them.
struct Shape<'a> {
    aliases: Option<&'a Aliases>,
    origins: Option<&'a Origins>,
    groups: Option<&'a OriginGroups>,
    default: Option<&'a DefaultCacheBehavior>,
    behaviors: Option<&'a CacheBehaviors>,
}

pub(super) async fn crawl(calls: &Calls, scope: &Scope, config: &aws_config::SdkConfig) -> Found {
    let client = aws_sdk_cloudfront::Client::new(config);
    let pages = calls
        .pages(
            scope,
            SERVICE,
            "ListDistributions",
            client
                .list_distributions()
                .max_items(100)
                .into_paginator()
                .send(),
        )
        .await;
    let mut found = Found::default();
    if !calls.failed(scope, SERVICE, "ListDistributions") {
        found.listed_kinds.push("aws:cloudfront:distribution");
    }
    for list in pages.iter().filter_map(|p| p.distribution_list()) {
        for dist in list.items() {
            let summary = Shape {
                aliases: dist.aliases(),
                origins: dist.origins(),
                groups: dist.origin_groups(),
                default: dist.default_cache_behavior(),
                behaviors: dist.cache_behaviors(),
            };
            // Every distribution has an origin: a summary without one is incomplete.
            let mut resource = if summary.origins.is_some_and(|o| !o.items().is_empty()) {
                build(
                    &scope.account,
                    dist.arn(),
                    dist.id(),
                    dist.domain_name(),
                    &summary,
                )
            } else {
                // Read the full configuration instead (emulators send such summaries).
                let full = calls
                    .one(
                        scope,
                        SERVICE,
                        "GetDistribution",
                        client.get_distribution().id(dist.id()).send(),
                    )
                    .await;
                let config = full
                    .as_ref()
                    .and_then(|f| f.distribution())
                    .and_then(|d| d.distribution_config());
                match config {
                    Some(c) => build(
                        &scope.account,
                        dist.arn(),
                        dist.id(),
                        dist.domain_name(),
                        &Shape {
                            aliases: c.aliases(),
                            origins: c.origins(),
                            groups: c.origin_groups(),
                            default: c.default_cache_behavior(),
                            behaviors: c.cache_behaviors(),
                        },
                    ),
                    None => build(
                        &scope.account,
                        dist.arn(),
                        dist.id(),
                        dist.domain_name(),
                        &summary,
                    ),
                }
            };
            resource
                .attributes
                .insert("status".into(), json!(dist.status()));
            found.resources.push(resource);
        }
    }
    found
}

fn build(account: &str, arn: &str, id: &str, domain: &str, shape: &Shape) -> Resource {
    let aliases: &[String] = shape.aliases.map(|a| a.items()).unwrap_or_default();
    let mut resource = global_resource(
        account,
        arn.to_string(),
        "aws:cloudfront:distribution",
        aliases.first().map(String::as_str).unwrap_or(id),
    );
    let origins: HashMap<&str, &str> = shape
        .origins
        .map(|o| {
            o.items()
                .iter()
                .map(|o| (o.id(), o.domain_name()))
                .collect()
        })
        .unwrap_or_default();
    let groups: HashMap<&str, Vec<&str>> = shape
        .groups
        .map(|g| {
            g.items()
                .iter()
                .map(|g| {
                    let members = g
                        .members()
                        .map(|m| m.items().iter().map(|m| m.origin_id()).collect())
                        .unwrap_or_default();
                    (g.id(), members)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut routed: BTreeSet<&str> = BTreeSet::new();
    if let Some(default) = shape.default {
        routed.insert(default.target_origin_id());
    }
    if let Some(behaviors) = shape.behaviors {
        routed.extend(behaviors.items().iter().map(|b| b.target_origin_id()));
    }
    for target in routed {
        let (members, label) = match groups.get(target) {
            Some(members) => (
                members
                    .iter()
                    .filter_map(|m| origins.get(m))
                    .map(|d| format!("{DNS_PREFIX}{d}"))
                    .collect::<Vec<_>>(),
                format!("origin group {target}: failover to any member"),
            ),
            None => (
                origins
                    .get(target)
                    .map(|d| vec![format!("{DNS_PREFIX}{d}")])
                    .unwrap_or_default(),
                format!("origin {target}"),
            ),
        };
        let group = match members.len() {
            0 => continue,
            1 => RequirementGroup::requires(members[0].clone()),
            _ => RequirementGroup::any_of(members, None),
        };
        resource.requirements.push(group.with_label(label));
    }
    let attrs = &mut resource.attributes;
    attrs.insert("domain_name".into(), json!(domain));
    attrs.insert("origin_groups".into(), json!(groups.len()));
    attrs.insert("origins".into(), json!(origins.len()));
    attrs.insert(
        "origin_domains".into(),
        json!(origins.values().collect::<BTreeSet<_>>()),
    );
    attrs.insert("aliases".into(), json!(aliases));
    resource
}
