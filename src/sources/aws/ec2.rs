//! EC2 and VPC: VPCs, subnets, instances, NAT gateways, route tables (which subnets egress
//! through which NAT gateway) and VPC endpoints.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use super::{Found, RegionCtx, apply_tags, arn, zones_placement};
use crate::model::{Placement, RequirementGroup};

/// How a subnet reaches the internet, from its route table's default route.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Egress {
    Nat { nat: String, route_table: String },
    Internet,
    None,
}

pub(super) async fn crawl(ctx: &RegionCtx) -> Found {
    let client = aws_sdk_ec2::Client::new(&ctx.config);
    let (calls, scope) = (&ctx.calls, &ctx.scope);
    let (vpcs, subnets, reservations, nats, route_tables, endpoints) = tokio::join!(
        calls.pages(
            scope,
            "ec2",
            "DescribeVpcs",
            client
                .describe_vpcs()
                .into_paginator()
                .page_size(1000)
                .send()
        ),
        calls.pages(
            scope,
            "ec2",
            "DescribeSubnets",
            client
                .describe_subnets()
                .into_paginator()
                .page_size(1000)
                .send()
        ),
        calls.pages(
            scope,
            "ec2",
            "DescribeInstances",
            client
                .describe_instances()
                .into_paginator()
                .page_size(1000)
                .send()
        ),
        calls.pages(
            scope,
            "ec2",
            "DescribeNatGateways",
            client
                .describe_nat_gateways()
                .into_paginator()
                .page_size(1000)
                .send()
        ),
        calls.pages(
            scope,
            "ec2",
            "DescribeRouteTables",
            client
                .describe_route_tables()
                .into_paginator()
                .page_size(100)
                .send()
        ),
        calls.pages(
            scope,
            "ec2",
            "DescribeVpcEndpoints",
            client
                .describe_vpc_endpoints()
                .into_paginator()
                .page_size(1000)
                .send()
        ),
    );
    let failed = |op: &'static str| ctx.calls.failed(scope, "ec2", op);
    let mut found = Found::default();
    for (op, kind) in [
        ("DescribeVpcs", "aws:ec2:vpc"),
        ("DescribeSubnets", "aws:ec2:subnet"),
        ("DescribeInstances", "aws:ec2:instance"),
        ("DescribeNatGateways", "aws:ec2:natgateway"),
        ("DescribeVpcEndpoints", "aws:ec2:vpc-endpoint"),
    ] {
        if !failed(op) {
            found.listed_kinds.push(kind);
        }
    }
    let arn = |kind: &str, id: &str| arn::ec2(&ctx.region, &ctx.account, kind, id);

    // Route tables: explicit subnet associations, and each VPC's main table for the rest.
    let mut table_of_subnet: HashMap<String, String> = HashMap::new();
    let mut main_table: HashMap<String, String> = HashMap::new();
    let mut egress_of_table: HashMap<String, Egress> = HashMap::new();
    for table in route_tables.iter().flat_map(|p| p.route_tables()) {
        let Some(id) = table.route_table_id() else {
            continue;
        };
        for assoc in table.associations() {
            if assoc.main() == Some(true) {
                if let Some(vpc) = table.vpc_id() {
                    main_table.insert(vpc.to_string(), id.to_string());
                }
            } else if let Some(subnet) = assoc.subnet_id() {
                table_of_subnet.insert(subnet.to_string(), id.to_string());
            }
        }
        let default_route = table.routes().iter().find(|r| {
            r.destination_cidr_block() == Some("0.0.0.0/0")
                || r.destination_ipv6_cidr_block() == Some("::/0")
        });
        let egress = match default_route {
            Some(route) => match (route.nat_gateway_id(), route.gateway_id()) {
                (Some(nat), _) => Egress::Nat {
                    nat: nat.to_string(),
                    route_table: id.to_string(),
                },
                (None, Some(gw)) if gw.starts_with("igw-") => Egress::Internet,
                _ => Egress::None,
            },
            None => Egress::None,
        };
        egress_of_table.insert(id.to_string(), egress);
    }

    // Subnets: zone IDs straight from the API.
    let mut subnet_zone: HashMap<String, String> = HashMap::new();
    let mut subnet_egress: HashMap<String, Egress> = HashMap::new();
    let mut vpc_subnet_zones: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut nat_serves: HashMap<String, BTreeSet<String>> = HashMap::new();
    for subnet in subnets.iter().flat_map(|p| p.subnets()) {
        let (Some(id), Some(vpc)) = (subnet.subnet_id(), subnet.vpc_id()) else {
            continue;
        };
        let zone = subnet
            .availability_zone_id()
            .map(str::to_string)
            .or_else(|| subnet.availability_zone().and_then(|n| ctx.zone_id(n)));
        let table = table_of_subnet
            .get(id)
            .or_else(|| main_table.get(vpc))
            .cloned();
        let egress = table
            .as_ref()
            .and_then(|t| egress_of_table.get(t))
            .cloned()
            .unwrap_or(Egress::None);
        let mut resource = ctx.resource(
            arn("subnet", id),
            "aws:ec2:subnet",
            id,
            zone.clone()
                .map(|zone| Placement::Zonal { zone })
                .unwrap_or(Placement::Unknown),
        );
        let attrs = &mut resource.attributes;
        attrs.insert("vpc".into(), json!(vpc));
        if let Some(name) = subnet.availability_zone() {
            attrs.insert("zone_name".into(), json!(name));
        }
        if let Some(cidr) = subnet.cidr_block() {
            attrs.insert("cidr".into(), json!(cidr));
        }
        if let Some(table) = &table {
            attrs.insert("route_table".into(), json!(table));
        }
        attrs.insert(
            "egress".into(),
            json!(match &egress {
                Egress::Nat { .. } => "nat",
                Egress::Internet => "internet",
                Egress::None => "none",
            }),
        );
        if subnet.default_for_az() == Some(true) {
            attrs.insert("is_default".into(), json!(true));
        }
        resource
            .requirements
            .push(RequirementGroup::requires(arn("vpc", vpc)).with_label("in VPC"));
        apply_tags(&mut resource, subnet.tags().iter().map(ec2_tag));
        if let Some(zone) = &zone {
            subnet_zone.insert(id.to_string(), zone.clone());
            vpc_subnet_zones
                .entry(vpc.to_string())
                .or_default()
                .insert(zone.clone());
            if let Egress::Nat { nat, .. } = &egress {
                nat_serves
                    .entry(nat.clone())
                    .or_default()
                    .insert(zone.clone());
            }
        }
        subnet_egress.insert(id.to_string(), egress);
        found.resources.push(resource);
    }

    // NAT gateways: zonal in their subnet's zone, unless regional.
    let mut vpc_nats: HashMap<String, usize> = HashMap::new();
    let live_nats: Vec<_> = nats
        .iter()
        .flat_map(|p| p.nat_gateways())
        .filter(|n| {
            n.state()
                .is_none_or(|s| matches!(s.as_str(), "available" | "pending"))
        })
        .collect();
    for nat in live_nats {
        let Some(id) = nat.nat_gateway_id() else {
            continue;
        };
        let regional = nat
            .availability_mode()
            .is_some_and(|m| m.as_str() == "regional");
        let placement = if regional {
            Placement::Regional
        } else {
            nat.subnet_id()
                .and_then(|s| subnet_zone.get(s).cloned())
                .map(|zone| Placement::Zonal { zone })
                .unwrap_or(Placement::Unknown)
        };
        let mut resource = ctx.resource(arn("natgateway", id), "aws:ec2:natgateway", id, placement);
        let attrs = &mut resource.attributes;
        if let Some(vpc) = nat.vpc_id() {
            attrs.insert("vpc".into(), json!(vpc));
            *vpc_nats.entry(vpc.to_string()).or_default() += 1;
        }
        let serves: Vec<&String> = nat_serves.get(id).into_iter().flatten().collect();
        attrs.insert("serves_zones".into(), json!(serves));
        if let Some(kind) = nat.connectivity_type() {
            attrs.insert("connectivity_type".into(), json!(kind.as_str()));
        }
        if regional {
            attrs.insert("availability_mode".into(), json!("regional"));
        }
        if let Some(subnet) = nat.subnet_id() {
            resource
                .requirements
                .push(RequirementGroup::requires(arn("subnet", subnet)).with_label("in subnet"));
        }
        apply_tags(&mut resource, nat.tags().iter().map(ec2_tag));
        found.resources.push(resource);
    }

    // VPCs: regional, with the facts the rules read.
    for vpc in vpcs.iter().flat_map(|p| p.vpcs()) {
        let Some(id) = vpc.vpc_id() else { continue };
        let mut resource = ctx.resource(arn("vpc", id), "aws:ec2:vpc", id, Placement::Regional);
        let attrs = &mut resource.attributes;
        attrs.insert(
            "nat_gateways".into(),
            json!(vpc_nats.get(id).copied().unwrap_or(0)),
        );
        let zones: Vec<&String> = vpc_subnet_zones.get(id).into_iter().flatten().collect();
        attrs.insert("subnet_zones".into(), json!(zones));
        if let Some(cidr) = vpc.cidr_block() {
            attrs.insert("cidr".into(), json!(cidr));
        }
        if vpc.is_default() == Some(true) {
            attrs.insert("is_default".into(), json!(true));
        }
        apply_tags(&mut resource, vpc.tags().iter().map(ec2_tag));
        found.resources.push(resource);
    }

    // Instances: zonal (zone ID from the subnet: the API leaves the instance's own empty);
    // each needs its subnet and, when the subnet egresses through one, the NAT gateway.
    for instance in reservations
        .iter()
        .flat_map(|p| p.reservations())
        .flat_map(|r| r.instances())
    {
        let Some(id) = instance.instance_id() else {
            continue;
        };
        let state = instance
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string());
        if matches!(state.as_deref(), Some("terminated" | "shutting-down")) {
            continue;
        }
        let zone_name = instance.placement().and_then(|p| p.availability_zone());
        let zone = instance
            .placement()
            .and_then(|p| p.availability_zone_id())
            .filter(|z| !z.is_empty())
            .map(str::to_string)
            .or_else(|| {
                instance
                    .subnet_id()
                    .and_then(|s| subnet_zone.get(s).cloned())
            })
            .or_else(|| zone_name.and_then(|n| ctx.zone_id(n)));
        let mut resource = ctx.resource(
            arn("instance", id),
            "aws:ec2:instance",
            id,
            zone.map(|zone| Placement::Zonal { zone })
                .unwrap_or(Placement::Unknown),
        );
        let attrs = &mut resource.attributes;
        if let Some(name) = zone_name {
            attrs.insert("zone_name".into(), json!(name));
        }
        if let Some(kind) = instance.instance_type() {
            attrs.insert("instance_type".into(), json!(kind.as_str()));
        }
        if let Some(state) = &state {
            attrs.insert("state".into(), json!(state));
        }
        if let Some(vpc) = instance.vpc_id() {
            attrs.insert("vpc".into(), json!(vpc));
        }
        if let Some(subnet) = instance.subnet_id() {
            resource
                .requirements
                .push(RequirementGroup::requires(arn("subnet", subnet)).with_label("in subnet"));
            if let Some(Egress::Nat { nat, route_table }) = subnet_egress.get(subnet) {
                resource.requirements.push(
                    RequirementGroup::requires(arn("natgateway", nat)).with_label(format!(
                        "egress via NAT gateway {nat} (route table {route_table})"
                    )),
                );
            }
        }
        apply_tags(&mut resource, instance.tags().iter().map(ec2_tag));
        found.resources.push(resource);
    }

    // VPC endpoints: interface endpoints live in their subnets' zones.
    for endpoint in endpoints.iter().flat_map(|p| p.vpc_endpoints()) {
        let Some(id) = endpoint.vpc_endpoint_id() else {
            continue;
        };
        if endpoint.state().is_some_and(|s| {
            matches!(
                s.as_str().to_ascii_lowercase().as_str(),
                "deleted" | "deleting" | "failed"
            )
        }) {
            continue;
        }
        let kind = endpoint
            .vpc_endpoint_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default();
        let placement = if kind == "Gateway" {
            Placement::Regional
        } else {
            zones_placement(
                endpoint
                    .subnet_ids()
                    .iter()
                    .filter_map(|s| subnet_zone.get(s).cloned()),
            )
        };
        let mut resource = ctx.resource(
            arn("vpc-endpoint", id),
            "aws:ec2:vpc-endpoint",
            id,
            placement,
        );
        let attrs = &mut resource.attributes;
        attrs.insert("endpoint_type".into(), json!(kind));
        if let Some(service) = endpoint.service_name() {
            attrs.insert("service_name".into(), json!(service));
        }
        if let Some(vpc) = endpoint.vpc_id() {
            attrs.insert("vpc".into(), json!(vpc));
        }
        attrs.insert("subnet_ids".into(), json!(endpoint.subnet_ids()));
        apply_tags(&mut resource, endpoint.tags().iter().map(ec2_tag));
        found.resources.push(resource);
    }
    found
}

fn ec2_tag(tag: &aws_sdk_ec2::types::Tag) -> (&str, &str) {
    (
        tag.key().unwrap_or_default(),
        tag.value().unwrap_or_default(),
    )
}
