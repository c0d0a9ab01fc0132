//! Compute: EC2 instances and EBS volumes, Auto Scaling groups, Lambda functions, ECS
//! clusters and services, EKS clusters, node groups and Fargate profiles.
//!
//! An instance is zonal (its `availability_zone` through the account's zone map, else its
//! subnet's zone) and needs its subnet, the NAT gateway its subnet egresses through, and its
//! attached volumes. The state does not list the instances an Auto Scaling group, an EKS
//! node group or an ECS service runs, so those are placed over their subnets' zones (up
//! while any one is up) and need the NAT egress of those subnets (see `Ctx::egress`).

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use super::super::build::{Index, Outcome, address_key};
use super::place::over;
use super::{Ctx, int, managed};
use crate::model::{Placement, RequirementGroup, ZoneId};

/// What compute instances learn from others before mapping.
#[derive(Default)]
pub struct ComputeFacts {
    /// Instance → (volume, device) attached by `aws_volume_attachment`.
    volumes: HashMap<String, Vec<(String, String)>>,
    /// EKS and ECS cluster name → the address key of its instance.
    clusters: HashMap<(&'static str, String), String>,
    /// ECS capacity provider name → the Auto Scaling group ARN it scales.
    capacity_providers: HashMap<String, String>,
    /// ECS cluster (name) → its default capacity providers.
    default_providers: HashMap<String, Vec<String>>,
}

impl ComputeFacts {
    pub fn prepare(index: &Index<'_>) -> ComputeFacts {
        let mut facts = ComputeFacts::default();
        for entry in managed(index) {
            let attrs = entry.attrs();
            let key = || address_key(entry.file, &entry.instance.address);
            match entry.type_name() {
                "aws_volume_attachment" => {
                    if let (Some(instance), Some(volume)) =
                        (attrs.str("instance_id"), attrs.str("volume_id"))
                    {
                        let device = attrs.str("device_name").unwrap_or("?").to_string();
                        facts
                            .volumes
                            .entry(instance.into())
                            .or_default()
                            .push((volume.into(), device));
                    }
                }
                "aws_eks_cluster" | "aws_ecs_cluster" => {
                    let service = if entry.type_name() == "aws_eks_cluster" {
                        "eks"
                    } else {
                        "ecs"
                    };
                    if let Some(name) = attrs.str("name") {
                        facts.clusters.insert((service, name.into()), key());
                    }
                }
                "aws_ecs_capacity_provider" => {
                    let asg = attrs
                        .block("auto_scaling_group_provider")
                        .and_then(|p| p.str("auto_scaling_group_arn"));
                    if let (Some(name), Some(asg)) = (attrs.str("name"), asg) {
                        facts.capacity_providers.insert(name.into(), asg.into());
                    }
                }
                "aws_ecs_cluster_capacity_providers" => {
                    if let Some(cluster) = attrs.str("cluster_name") {
                        let providers = attrs
                            .blocks("default_capacity_provider_strategy")
                            .iter()
                            .filter_map(|s| s.str("capacity_provider"))
                            .map(str::to_string)
                            .collect();
                        facts
                            .default_providers
                            .insert(last_segment(cluster).into(), providers);
                    }
                }
                _ => {}
            }
        }
        facts
    }
}

/// Map a compute instance; `None` for a type of another group.
pub fn map(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    match ctx.type_name() {
        "aws_instance" => instance(ctx),
        "aws_ebs_volume" => volume(ctx),
        "aws_autoscaling_group" => autoscaling_group(ctx),
        "aws_lambda_function" => lambda(ctx),
        "aws_ecs_cluster" => {
            let id = ctx.arn_or(|r, a| {
                let name = ctx.attrs.str("name").unwrap_or_default();
                format!("arn:aws:ecs:{r}:{a}:cluster/{name}")
            });
            let resource = ctx.resource(id, "aws:ecs:cluster", Placement::Regional, None);
            ctx.done(resource, Vec::new(), &[])
        }
        "aws_ecs_service" => ecs_service(ctx),
        "aws_eks_cluster" => eks_cluster(ctx),
        "aws_eks_node_group" | "aws_eks_fargate_profile" => eks_workers(ctx),
        _ => None,
    }
}

/// The segment after the last `/` (an ARN's name, or a name as it is).
fn last_segment(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or(text)
}

fn instance(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("instance");
    let short = attrs.str("id").unwrap_or_default();
    let subnet = attrs.str("subnet_id");
    let zone_name = attrs.str("availability_zone");
    let facts = ctx.facts;
    let named = zone_name.map(|n| facts.zones.lookup(ctx.home(), n));
    let by_subnet = subnet
        .and_then(|s| facts.subnets.get(s))
        .and_then(|s| s.zone.clone());
    // The zone name through the account's map; else the subnet's zone; an unmapped name
    // only when nothing better is known.
    let zone = match (&named, &by_subnet) {
        (Some(n), _) if n.known => named.map(|n| n.zone),
        (_, Some(s)) if s.known => by_subnet.map(|s| s.zone),
        (Some(_), _) => zone_name.map(|n| ctx.zone(n)),
        (None, Some(_)) => subnet.and_then(|s| ctx.subnet_zone(s)),
        (None, None) => None,
    };
    let placement = zone
        .as_ref()
        .map(|z| Placement::Zonal { zone: z.id.clone() })
        .unwrap_or(Placement::Unknown);
    let mut resource = ctx.resource(id, "aws:ec2:instance", placement, None);
    let a = &mut resource.attributes;
    if let Some(name) = zone_name {
        a.insert("zone_name".into(), json!(name));
    }
    if let Some(kind) = attrs.str("instance_type") {
        a.insert("instance_type".into(), json!(kind));
    }
    if let Some(state) = attrs.str("instance_state") {
        a.insert("state".into(), json!(state));
    }
    if let Some(vpc) = subnet.and_then(|s| facts.subnets.get(s)?.vpc.clone()) {
        a.insert("vpc".into(), json!(vpc));
    }
    if let Some(subnet) = subnet {
        resource
            .requirements
            .push(RequirementGroup::requires(subnet).with_label("in subnet"));
        resource.requirements.extend(ctx.egress(&[subnet]));
    }
    for (volume, device) in facts.compute.volumes.get(short).into_iter().flatten() {
        resource.requirements.push(
            RequirementGroup::requires(volume.clone())
                .with_label(format!("volume attached at {device}")),
        );
    }
    ctx.done(resource, zone.into_iter().collect(), &[])
}

fn volume(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("volume");
    let zone = attrs.str("availability_zone").map(|z| ctx.zone(z));
    let placement = zone
        .as_ref()
        .map(|z| Placement::Zonal { zone: z.id.clone() })
        .unwrap_or(Placement::Unknown);
    let mut resource = ctx.resource(id, "aws:ec2:volume", placement, None);
    for key in ["type", "size", "iops"] {
        if let Some(value) = attrs.text(key) {
            resource.attributes.insert(key.into(), json!(value));
        }
    }
    ctx.done(resource, zone.into_iter().collect(), &[])
}

/// The subnets of an Auto Scaling group: `vpc_zone_identifier` (a set, or in early states a
/// comma-separated string).
fn asg_subnets<'a>(ctx: &Ctx<'_, 'a>) -> Vec<&'a str> {
    ctx.attrs
        .strs("vpc_zone_identifier")
        .into_iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// An Auto Scaling group: over its subnets' zones (its `availability_zones` without
/// subnets), with its capacities; it needs its subnets' NAT egress.
fn autoscaling_group(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs
        .str("name")
        .or_else(|| attrs.str("id"))
        .unwrap_or_default();
    let id = ctx.arn_or(|region, account| {
        format!(
            "arn:aws:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/{name}"
        )
    });
    let subnets = asg_subnets(ctx);
    let zone_names = attrs.strs("availability_zones");
    let zones = if subnets.is_empty() {
        zone_names.iter().map(|n| ctx.zone(n)).collect()
    } else {
        ctx.subnet_zones(&subnets, true)
    };
    let (placement, zones) = over(zones);
    let mut resource = ctx.resource(
        id,
        "aws:autoscaling:autoScalingGroup",
        placement,
        Some(name),
    );
    let a = &mut resource.attributes;
    let desired = int(attrs, "desired_capacity").or_else(|| int(attrs, "min_size"));
    for (key, value) in [
        ("desired_capacity", desired),
        ("min_size", int(attrs, "min_size")),
        ("max_size", int(attrs, "max_size")),
    ] {
        if let Some(value) = value {
            a.insert(key.into(), value);
        }
    }
    if !zones.is_empty() {
        let ids: BTreeSet<&ZoneId> = zones.iter().map(|z| &z.id).collect();
        a.insert("zones".into(), json!(ids));
        let names: Vec<&str> = zones.iter().filter_map(|z| z.name.as_deref()).collect();
        a.insert("zone_names".into(), json!(names));
    } else if !zone_names.is_empty() {
        a.insert("zone_names".into(), json!(zone_names));
    }
    if !subnets.is_empty() {
        a.insert("subnet_ids".into(), json!(subnets));
    }
    let groups = attrs.strs("target_group_arns");
    if !groups.is_empty() {
        a.insert("target_groups".into(), json!(groups));
    }
    resource.requirements.extend(ctx.egress(&subnets));
    ctx.done(resource, zones, &[])
}

/// A Lambda function: regional; attached to a VPC, it needs any one of its subnets (its
/// network interfaces live there), as the crawler says.
fn lambda(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("function_name");
    let id = ctx.arn_or(|region, account| {
        format!(
            "arn:aws:lambda:{region}:{account}:function:{}",
            name.unwrap_or_default()
        )
    });
    let mut resource = ctx.resource(id, "aws:lambda:function", Placement::Regional, name);
    let a = &mut resource.attributes;
    if let Some(runtime) = attrs.str("runtime") {
        a.insert("runtime".into(), json!(runtime));
    }
    let vpc = attrs.block("vpc_config");
    let subnets: Vec<&str> = vpc.map(|v| v.strs("subnet_ids")).unwrap_or_default();
    if let Some(vpc_id) = vpc.and_then(|v| v.str("vpc_id")) {
        a.insert("vpc_id".into(), json!(vpc_id));
    }
    if !subnets.is_empty() {
        a.insert("subnet_ids".into(), json!(subnets));
        resource.requirements.push(
            RequirementGroup::any_of(subnets.iter().copied(), None)
                .with_label("network interfaces in any of its subnets"),
        );
    }
    let aliases = [
        attrs.str("qualified_arn").unwrap_or_default(),
        attrs.str("invoke_arn").unwrap_or_default(),
    ];
    ctx.done(resource, Vec::new(), &aliases)
}

/// An ECS service: over its tasks' subnets (`awsvpc` networking); without subnets, on the
/// Auto Scaling groups of its capacity providers; it needs its cluster and its subnets'
/// NAT egress.
fn ecs_service(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("name").unwrap_or_default();
    let cluster = attrs.str("cluster");
    let id = ctx.arn_or(|region, account| {
        let cluster = last_segment(cluster.unwrap_or_default());
        format!("arn:aws:ecs:{region}:{account}:service/{cluster}/{name}")
    });
    let subnets = attrs
        .block("network_configuration")
        .map(|n| n.strs("subnets"))
        .unwrap_or_default();
    let facts = ctx.facts;
    let mut providers: Vec<&str> = attrs
        .blocks("capacity_provider_strategy")
        .iter()
        .filter_map(|s| s.str("capacity_provider"))
        .collect();
    if providers.is_empty() && subnets.is_empty() {
        let cluster = last_segment(cluster.unwrap_or_default());
        providers = facts
            .compute
            .default_providers
            .get(cluster)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
    }
    let groups: BTreeSet<&str> = providers
        .iter()
        .filter_map(|p| facts.compute.capacity_providers.get(*p))
        .map(String::as_str)
        .collect();
    let (placement, zones) = match (subnets.is_empty(), groups.is_empty()) {
        (false, _) => over(ctx.subnet_zones(&subnets, true)),
        (true, false) => (Placement::Regional, Vec::new()),
        (true, true) => (Placement::Unknown, Vec::new()),
    };
    let mut resource = ctx.resource(id, "aws:ecs:service", placement, Some(name));
    let a = &mut resource.attributes;
    if let Some(desired) = int(attrs, "desired_count") {
        a.insert("desired_capacity".into(), desired);
    }
    for key in ["launch_type", "scheduling_strategy"] {
        if let Some(value) = attrs.str(key) {
            a.insert(key.into(), json!(value));
        }
    }
    if !subnets.is_empty() {
        a.insert("subnet_ids".into(), json!(subnets));
    }
    if let Some(cluster) = cluster {
        resource.requirements.push(
            RequirementGroup::requires(cluster_reference(ctx, "ecs", cluster))
                .with_label("in cluster"),
        );
    }
    if !groups.is_empty() {
        resource.requirements.push(
            RequirementGroup::any_of(groups, None)
                .with_label("tasks on its capacity providers' Auto Scaling groups"),
        );
    }
    resource.requirements.extend(ctx.egress(&subnets));
    ctx.done(resource, zones, &[])
}

/// A cluster named by ARN, or by name when the state holds the cluster.
fn cluster_reference(ctx: &Ctx<'_, '_>, service: &'static str, cluster: &str) -> String {
    if cluster.starts_with("arn:") {
        return cluster.to_string();
    }
    ctx.facts
        .compute
        .clusters
        .get(&(service, cluster.to_string()))
        .cloned()
        .unwrap_or_else(|| format!("{service} cluster {cluster}"))
}

/// An EKS cluster: its control plane's network interfaces are in its subnets' zones.
fn eks_cluster(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("name").unwrap_or_default();
    let id = ctx.arn_or(|region, account| format!("arn:aws:eks:{region}:{account}:cluster/{name}"));
    let vpc = attrs.block("vpc_config");
    let subnets = vpc.map(|v| v.strs("subnet_ids")).unwrap_or_default();
    let (placement, zones) = over(ctx.subnet_zones(&subnets, true));
    let mut resource = ctx.resource(id, "aws:eks:cluster", placement, Some(name));
    let a = &mut resource.attributes;
    a.insert("subnet_ids".into(), json!(subnets));
    if let Some(version) = attrs.str("version") {
        a.insert("version".into(), json!(version));
    }
    if let Some(public) = vpc.and_then(|v| v.bool("endpoint_public_access")) {
        a.insert("endpoint_public_access".into(), json!(public));
    }
    ctx.done(resource, zones, &[])
}

/// An EKS managed node group or Fargate profile: over its subnets' zones, with the node
/// group's capacities; it needs its cluster and its subnets' NAT egress.
fn eks_workers(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let node_group = ctx.type_name() == "aws_eks_node_group";
    let (name_key, kind) = if node_group {
        ("node_group_name", "aws:eks:nodegroup")
    } else {
        ("fargate_profile_name", "aws:eks:fargateprofile")
    };
    let name = attrs.str(name_key);
    let cluster = attrs.str("cluster_name");
    let id = ctx.arn_or(|_, _| super::super::build::fallback_id(ctx.entry));
    let subnets = attrs.strs("subnet_ids");
    let (placement, zones) = over(ctx.subnet_zones(&subnets, true));
    let mut resource = ctx.resource(id, kind, placement, name);
    let a = &mut resource.attributes;
    a.insert("subnet_ids".into(), json!(subnets));
    if let Some(scaling) = attrs.block("scaling_config") {
        for (from, to) in [
            ("desired_size", "desired_capacity"),
            ("min_size", "min_size"),
            ("max_size", "max_size"),
        ] {
            if let Some(value) = int(scaling, from) {
                a.insert(to.into(), value);
            }
        }
    }
    if !zones.is_empty() {
        let ids: BTreeSet<&ZoneId> = zones.iter().map(|z| &z.id).collect();
        a.insert("zones".into(), json!(ids));
    }
    if let Some(cluster) = cluster {
        a.insert("cluster".into(), json!(cluster));
        resource.requirements.push(
            RequirementGroup::requires(cluster_reference(ctx, "eks", cluster))
                .with_label("in cluster"),
        );
    }
    resource.requirements.extend(ctx.egress(&subnets));
    ctx.done(resource, zones, &[])
}
