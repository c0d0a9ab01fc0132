//! Elastic Load Balancing v2: load balancers and their zones, listeners, target groups and
//! registered targets. A load balancer needs the target groups its listeners forward to; a
//! target group needs any one of its targets.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, Listener, LoadBalancer, TargetGroup, TargetHealthDescription,
};
use serde_json::json;
use tokio::task::JoinSet;

use super::calls::{Calls, Scope};
use super::{Found, RegionCtx, arn, zones_placement};
use crate::model::{RequirementGroup, Resource};

const SERVICE: &str = "elasticloadbalancing";

pub(super) async fn crawl(ctx: &RegionCtx) -> Found {
    let client = Client::new(&ctx.config);
    let mut found = Found::default();
    let (balancers, groups) = read_lists(ctx, &client, &mut found).await;
    let details = read_details(ctx, &client, &balancers, &groups).await;
    let group_names: HashMap<&str, &str> = groups
        .iter()
        .filter_map(|g| Some((g.target_group_arn()?, g.target_group_name()?)))
        .collect();
    for group in &groups {
        let Some(tg_arn) = group.target_group_arn() else {
            continue;
        };
        found
            .resources
            .push(target_group(ctx, group, tg_arn, &details));
    }
    for lb in &balancers {
        let Some(lb_arn) = lb.load_balancer_arn() else {
            continue;
        };
        if lb
            .state()
            .and_then(|s| s.code())
            .is_some_and(|c| c.as_str() == "failed")
        {
            continue;
        }
        found
            .resources
            .push(load_balancer(ctx, lb, lb_arn, &details, &group_names));
    }
    found
}

/// What the calls per load balancer and per target group found.
#[derive(Default)]
struct Details {
    listeners_of: HashMap<String, Vec<Listener>>,
    cross_zone_of: HashMap<String, bool>,
    targets_of: HashMap<String, Vec<TargetHealthDescription>>,
}

/// The load balancers and target groups of the region; the kinds listed in full go in
/// `found`.
async fn read_lists(
    ctx: &RegionCtx,
    client: &Client,
    found: &mut Found,
) -> (Vec<LoadBalancer>, Vec<TargetGroup>) {
    let (calls, scope) = (&ctx.calls, &ctx.scope);
    let (balancers, groups) = tokio::join!(
        calls.pages(
            scope,
            SERVICE,
            "DescribeLoadBalancers",
            client
                .describe_load_balancers()
                .page_size(400)
                .into_paginator()
                .send()
        ),
        calls.pages(
            scope,
            SERVICE,
            "DescribeTargetGroups",
            client
                .describe_target_groups()
                .page_size(400)
                .into_paginator()
                .send()
        ),
    );
    if !calls.failed(scope, SERVICE, "DescribeLoadBalancers") {
        found
            .listed_kinds
            .push("aws:elasticloadbalancing:loadbalancer");
    }
    if !calls.failed(scope, SERVICE, "DescribeTargetGroups") {
        found
            .listed_kinds
            .push("aws:elasticloadbalancing:targetgroup");
    }
    let balancers = balancers
        .iter()
        .flat_map(|p| p.load_balancers())
        .cloned()
        .collect();
    let groups = groups
        .iter()
        .flat_map(|p| p.target_groups())
        .cloned()
        .collect();
    (balancers, groups)
}

/// Per load balancer: listeners (and cross-zone for network and gateway load balancers);
/// per target group: its targets. All concurrently, under the crawl's bound.
async fn read_details(
    ctx: &RegionCtx,
    client: &Client,
    balancers: &[LoadBalancer],
    groups: &[TargetGroup],
) -> Details {
    let (calls, scope) = (&ctx.calls, &ctx.scope);
    let mut jobs = JoinSet::new();
    for lb in balancers {
        let Some(lb_arn) = lb.load_balancer_arn() else {
            continue;
        };
        let kind = lb
            .r#type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default();
        jobs.spawn(listeners(
            client.clone(),
            calls.clone(),
            scope.clone(),
            lb_arn.to_string(),
            kind,
        ));
    }
    for group in groups {
        let Some(tg_arn) = group.target_group_arn() else {
            continue;
        };
        jobs.spawn(targets(
            client.clone(),
            calls.clone(),
            scope.clone(),
            tg_arn.to_string(),
        ));
    }
    let mut details = Details::default();
    while let Some(done) = jobs.join_next().await {
        match done.expect("describer task does not panic") {
            PerArn::Listeners(lb, listeners, cross_zone) => {
                details.listeners_of.insert(lb.clone(), listeners);
                if let Some(on) = cross_zone {
                    details.cross_zone_of.insert(lb, on);
                }
            }
            PerArn::Targets(tg, targets) => {
                details.targets_of.insert(tg, targets);
            }
        }
    }
    details
}

/// One target group: regional; it needs any one of its registered targets. Instance targets
/// are named by instance ARN (the zone comes from the instance: the API leaves it empty).
fn target_group(ctx: &RegionCtx, group: &TargetGroup, tg_arn: &str, details: &Details) -> Resource {
    let name = group.target_group_name().unwrap_or(tg_arn);
    let mut resource = ctx.resource(
        tg_arn.to_string(),
        "aws:elasticloadbalancing:targetgroup",
        name,
        crate::model::Placement::Regional,
    );
    let target_type = group
        .target_type()
        .map(|t| t.as_str().to_string())
        .unwrap_or_else(|| "instance".into());
    let descriptions = details
        .targets_of
        .get(tg_arn)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut members = BTreeSet::new();
    let mut unplaced = Vec::new();
    let mut healthy = 0;
    for description in descriptions {
        let Some(id) = description.target().and_then(|t| t.id()) else {
            continue;
        };
        if description
            .target_health()
            .and_then(|h| h.state())
            .is_some_and(|s| s.as_str() == "healthy")
        {
            healthy += 1;
        }
        match target_type.as_str() {
            "instance" => {
                members.insert(arn::ec2(&ctx.region, &ctx.account, "instance", id));
            }
            "lambda" | "alb" => {
                members.insert(id.to_string());
            }
            _ => unplaced.push(id.to_string()),
        }
    }
    let attrs = &mut resource.attributes;
    attrs.insert("target_type".into(), json!(target_type));
    if let Some(port) = group.port() {
        attrs.insert("port".into(), json!(port));
    }
    if let Some(protocol) = group.protocol() {
        attrs.insert("protocol".into(), json!(protocol.as_str()));
    }
    attrs.insert("targets".into(), json!(descriptions.len()));
    attrs.insert("healthy_targets".into(), json!(healthy));
    if !unplaced.is_empty() {
        // IP targets name no resource: the zones behind them are unknown.
        attrs.insert("ip_targets".into(), json!(unplaced));
    }
    if !members.is_empty() {
        resource
            .requirements
            .push(RequirementGroup::any_of(members, None).with_label("any registered target"));
    }
    resource
}

/// One load balancer: in the zones it is enabled in; it needs the target groups its
/// listeners forward to.
fn load_balancer(
    ctx: &RegionCtx,
    lb: &LoadBalancer,
    lb_arn: &str,
    details: &Details,
    group_names: &HashMap<&str, &str>,
) -> Resource {
    let name = lb.load_balancer_name().unwrap_or(lb_arn);
    let zone_names: Vec<&str> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name())
        .collect();
    let placement = zones_placement(zone_names.iter().filter_map(|n| ctx.zone_id(n)));
    let mut resource = ctx.resource(
        lb_arn.to_string(),
        "aws:elasticloadbalancing:loadbalancer",
        name,
        placement,
    );
    let kind = lb
        .r#type()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    let attrs = &mut resource.attributes;
    if let Some(scheme) = lb.scheme() {
        attrs.insert("scheme".into(), json!(scheme.as_str()));
    }
    attrs.insert("type".into(), json!(kind));
    attrs.insert("zone_names".into(), json!(zone_names));
    if let Some(dns) = lb.dns_name() {
        attrs.insert("dns_name".into(), json!(dns));
    }
    if let Some(vpc) = lb.vpc_id() {
        attrs.insert("vpc".into(), json!(vpc));
    }
    // Application load balancers always balance across zones; the others say so in their
    // attributes.
    let cross_zone = if kind == "application" {
        Some(true)
    } else {
        details.cross_zone_of.get(lb_arn).copied()
    };
    if let Some(on) = cross_zone {
        attrs.insert("cross_zone".into(), json!(on));
    }
    let listeners = details
        .listeners_of
        .get(lb_arn)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (groups, label) in listener_needs(listeners, group_names) {
        let group = if groups.len() == 1 {
            RequirementGroup::requires(groups[0].clone())
        } else {
            RequirementGroup::any_of(groups, None)
        };
        resource.requirements.push(group.with_label(label));
    }
    resource
}

/// The sets of target groups the listeners' default actions forward to, each labelled by
/// the first listener that forwards to it.
fn listener_needs(
    listeners: &[Listener],
    group_names: &HashMap<&str, &str>,
) -> BTreeMap<Vec<String>, String> {
    let mut needs: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for listener in listeners {
        let label = format!(
            "listener {}:{}",
            listener.protocol().map(|p| p.as_str()).unwrap_or("?"),
            listener
                .port()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "?".into())
        );
        for action in listener.default_actions() {
            let forwards = forwarded_groups(action);
            if forwards.is_empty() {
                continue;
            }
            let names: Vec<&str> = forwards
                .iter()
                .map(|g| group_names.get(g.as_str()).copied().unwrap_or(g.as_str()))
                .collect();
            needs
                .entry(forwards.clone())
                .or_insert_with(|| format!("{label} forwards to {}", names.join(" or ")));
        }
    }
    needs
}

/// The target groups an action forwards to (one, or several weighted).
fn forwarded_groups(action: &Action) -> Vec<String> {
    let mut groups: BTreeSet<String> = action
        .forward_config()
        .map(|f| {
            f.target_groups()
                .iter()
                .filter_map(|t| t.target_group_arn().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(one) = action.target_group_arn() {
        groups.insert(one.to_string());
    }
    groups.into_iter().collect()
}

enum PerArn {
    Listeners(String, Vec<Listener>, Option<bool>),
    Targets(String, Vec<TargetHealthDescription>),
}

async fn listeners(client: Client, calls: Calls, scope: Scope, lb: String, kind: String) -> PerArn {
    let pages = calls
        .pages(
            &scope,
            SERVICE,
            "DescribeListeners",
            client
                .describe_listeners()
                .load_balancer_arn(&lb)
                .page_size(400)
                .into_paginator()
                .send(),
        )
        .await;
    let listeners = pages.iter().flat_map(|p| p.listeners()).cloned().collect();
    let mut cross_zone = None;
    if kind == "network" || kind == "gateway" {
        let attributes = calls
            .one(
                &scope,
                SERVICE,
                "DescribeLoadBalancerAttributes",
                client
                    .describe_load_balancer_attributes()
                    .load_balancer_arn(&lb)
                    .send(),
            )
            .await;
        cross_zone = attributes.and_then(|out| {
            out.attributes()
                .iter()
                .find(|a| a.key() == Some("load_balancing.cross_zone.enabled"))
                .and_then(|a| a.value())
                .map(|v| v == "true")
        });
    }
    PerArn::Listeners(lb, listeners, cross_zone)
}

async fn targets(client: Client, calls: Calls, scope: Scope, tg: String) -> PerArn {
    let out = calls
        .one(
            &scope,
            SERVICE,
            "DescribeTargetHealth",
            client.describe_target_health().target_group_arn(&tg).send(),
        )
        .await;
    let targets = out
        .map(|o| o.target_health_descriptions().to_vec())
        .unwrap_or_default();
    PerArn::Targets(tg, targets)
}
