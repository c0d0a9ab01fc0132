//! EC2 and VPC: VPCs, subnets, instances, NAT gateways, route tables (which subnets egress
//! through which NAT gateway) and VPC endpoints.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
use aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::types::{Instance, NatGateway, RouteTable, Subnet, VpcEndpoint};
use serde_json::json;

use super::{Found, RegionCtx, apply_tags, arn, zones_placement};
use crate::model::{Placement, RequirementGroup, Resource, ZoneId};

/// How a subnet reaches the internet, from its route table's default route.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Egress {
    Nat { nat: String, route_table: String },
    Internet,
    None,
}

/// The pages of every EC2 list call of a region.
struct Pages {
    vpcs: Vec<DescribeVpcsOutput>,
    subnets: Vec<DescribeSubnetsOutput>,
    reservations: Vec<DescribeInstancesOutput>,
    nats: Vec<DescribeNatGatewaysOutput>,
    route_tables: Vec<DescribeRouteTablesOutput>,
    endpoints: Vec<DescribeVpcEndpointsOutput>,
}

/// Which route table each subnet uses and where each table sends its default route.
#[derive(Default)]
struct Routes {
    /// Explicit subnet associations.
    table_of_subnet: HashMap<String, String>,
    /// Each VPC's main table, for the subnets without an explicit association.
    main_table: HashMap<String, String>,
    egress_of_table: HashMap<String, Egress>,
}

impl Routes {
    /// A subnet's route table (its own association, else its VPC's main table) and where
    /// that table's default route leads.
    fn of_subnet(&self, subnet: &str, vpc: &str) -> SubnetRoute {
        let table = self
            .table_of_subnet
            .get(subnet)
            .or_else(|| self.main_table.get(vpc))
            .cloned();
        let egress = table
            .as_ref()
            .and_then(|t| self.egress_of_table.get(t))
            .cloned()
            .unwrap_or(Egress::None);
        SubnetRoute { table, egress }
    }
}

/// A subnet's route table and how the subnet reaches the internet through it.
struct SubnetRoute {
    table: Option<String>,
    egress: Egress,
}

/// What the subnets tell the NAT gateways, VPCs, instances and endpoints.
#[derive(Default)]
struct SubnetFacts {
    zone: HashMap<String, ZoneId>,
    egress: HashMap<String, Egress>,
    /// VPC → the zones of its subnets.
    vpc_zones: HashMap<String, BTreeSet<ZoneId>>,
    /// NAT gateway → the zones of the subnets that egress through it.
    nat_serves: HashMap<String, BTreeSet<ZoneId>>,
}

pub(super) async fn crawl(ctx: &RegionCtx) -> Found {
    let pages = read(ctx).await;
    let mut found = Found::default();
    let failed = |op: &'static str| ctx.calls.failed(&ctx.scope, "ec2", op);
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
    let routes = route_tables(&pages.route_tables);
    let facts = subnets(ctx, &pages.subnets, &routes, &mut found);
    let vpc_nats = nat_gateways(ctx, &pages.nats, &facts, &mut found);
    vpcs(ctx, &pages.vpcs, &facts, &vpc_nats, &mut found);
    instances(ctx, &pages.reservations, &facts, &mut found);
    endpoints(ctx, &pages.endpoints, &facts, &mut found);
    found
}

/// Read every EC2 list the describer needs, concurrently.
async fn read(ctx: &RegionCtx) -> Pages {
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
    Pages {
        vpcs,
        subnets,
        reservations,
        nats,
        route_tables,
        endpoints,
    }
}

/// The ARN of an EC2 resource of this account and region.
fn ec2_arn(ctx: &RegionCtx, kind: &str, id: &str) -> String {
    arn::ec2(&ctx.region, &ctx.account, kind, id)
}

/// Route tables: explicit subnet associations, and each VPC's main table for the rest.
fn route_tables(pages: &[DescribeRouteTablesOutput]) -> Routes {
    let mut routes = Routes::default();
    for table in pages.iter().flat_map(|p| p.route_tables()) {
        let Some(id) = table.route_table_id() else {
            continue;
        };
        for assoc in table.associations() {
            if assoc.main() == Some(true) {
                if let Some(vpc) = table.vpc_id() {
                    routes.main_table.insert(vpc.to_string(), id.to_string());
                }
            } else if let Some(subnet) = assoc.subnet_id() {
                routes
                    .table_of_subnet
                    .insert(subnet.to_string(), id.to_string());
            }
        }
        routes
            .egress_of_table
            .insert(id.to_string(), table_egress(table, id));
    }
    routes
}

/// Where a route table's default route (IPv4 or IPv6) leads.
fn table_egress(table: &RouteTable, id: &str) -> Egress {
    let default_route = table.routes().iter().find(|r| {
        r.destination_cidr_block() == Some("0.0.0.0/0")
            || r.destination_ipv6_cidr_block() == Some("::/0")
    });
    match default_route {
        Some(route) => match (route.nat_gateway_id(), route.gateway_id()) {
            (Some(nat), _) => Egress::Nat {
                nat: nat.to_string(),
                route_table: id.to_string(),
            },
            (None, Some(gw)) if gw.starts_with("igw-") => Egress::Internet,
            _ => Egress::None,
        },
        None => Egress::None,
    }
}

/// Subnets: zone IDs straight from the API; each in its VPC, egressing by its route table.
fn subnets(
    ctx: &RegionCtx,
    pages: &[DescribeSubnetsOutput],
    routes: &Routes,
    found: &mut Found,
) -> SubnetFacts {
    let mut facts = SubnetFacts::default();
    for subnet in pages.iter().flat_map(|p| p.subnets()) {
        let (Some(id), Some(vpc)) = (subnet.subnet_id(), subnet.vpc_id()) else {
            continue;
        };
        let zone = subnet
            .availability_zone_id()
            .map(ZoneId::from)
            .or_else(|| subnet.availability_zone().and_then(|n| ctx.zone_id(n)));
        let route = routes.of_subnet(id, vpc);
        let resource = subnet_resource(ctx, subnet, id, vpc, zone.as_ref(), &route);
        if let Some(zone) = &zone {
            facts.zone.insert(id.to_string(), zone.clone());
            facts
                .vpc_zones
                .entry(vpc.to_string())
                .or_default()
                .insert(zone.clone());
            if let Egress::Nat { nat, .. } = &route.egress {
                facts
                    .nat_serves
                    .entry(nat.clone())
                    .or_default()
                    .insert(zone.clone());
            }
        }
        facts.egress.insert(id.to_string(), route.egress);
        found.resources.push(resource);
    }
    facts
}

/// The resource of one subnet (`id` in `vpc`), with its route table and egress.
fn subnet_resource(
    ctx: &RegionCtx,
    subnet: &Subnet,
    id: &str,
    vpc: &str,
    zone: Option<&ZoneId>,
    route: &SubnetRoute,
) -> Resource {
    let mut resource = ctx.resource(
        ec2_arn(ctx, "subnet", id),
        "aws:ec2:subnet",
        id,
        zone.map(|zone| Placement::Zonal { zone: zone.clone() })
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
    if let Some(table) = &route.table {
        attrs.insert("route_table".into(), json!(table));
    }
    attrs.insert(
        "egress".into(),
        json!(match &route.egress {
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
        .push(RequirementGroup::requires(ec2_arn(ctx, "vpc", vpc)).with_label("in VPC"));
    apply_tags(&mut resource, subnet.tags().iter().map(ec2_tag));
    resource
}

/// NAT gateways (available or pending): zonal in their subnet's zone, unless regional.
/// Returns how many each VPC has.
fn nat_gateways(
    ctx: &RegionCtx,
    pages: &[DescribeNatGatewaysOutput],
    facts: &SubnetFacts,
    found: &mut Found,
) -> HashMap<String, usize> {
    let mut vpc_nats: HashMap<String, usize> = HashMap::new();
    let live_nats: Vec<_> = pages
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
        if let Some(vpc) = nat.vpc_id() {
            *vpc_nats.entry(vpc.to_string()).or_default() += 1;
        }
        found.resources.push(nat_resource(ctx, nat, id, facts));
    }
    vpc_nats
}

/// The resource of one NAT gateway, with the zones it serves.
fn nat_resource(ctx: &RegionCtx, nat: &NatGateway, id: &str, facts: &SubnetFacts) -> Resource {
    let regional = nat
        .availability_mode()
        .is_some_and(|m| m.as_str() == "regional");
    let placement = if regional {
        Placement::Regional
    } else {
        nat.subnet_id()
            .and_then(|s| facts.zone.get(s).cloned())
            .map(|zone| Placement::Zonal { zone })
            .unwrap_or(Placement::Unknown)
    };
    let mut resource = ctx.resource(
        ec2_arn(ctx, "natgateway", id),
        "aws:ec2:natgateway",
        id,
        placement,
    );
    let attrs = &mut resource.attributes;
    if let Some(vpc) = nat.vpc_id() {
        attrs.insert("vpc".into(), json!(vpc));
    }
    let serves: Vec<&ZoneId> = facts.nat_serves.get(id).into_iter().flatten().collect();
    attrs.insert("serves_zones".into(), json!(serves));
    if let Some(kind) = nat.connectivity_type() {
        attrs.insert("connectivity_type".into(), json!(kind.as_str()));
    }
    if regional {
        attrs.insert("availability_mode".into(), json!("regional"));
    }
    if let Some(subnet) = nat.subnet_id() {
        resource.requirements.push(
            RequirementGroup::requires(ec2_arn(ctx, "subnet", subnet)).with_label("in subnet"),
        );
    }
    apply_tags(&mut resource, nat.tags().iter().map(ec2_tag));
    resource
}

/// VPCs: regional, with the facts the rules read (NAT gateways, subnet zones).
fn vpcs(
    ctx: &RegionCtx,
    pages: &[DescribeVpcsOutput],
    facts: &SubnetFacts,
    vpc_nats: &HashMap<String, usize>,
    found: &mut Found,
) {
    for vpc in pages.iter().flat_map(|p| p.vpcs()) {
        let Some(id) = vpc.vpc_id() else { continue };
        let mut resource = ctx.resource(
            ec2_arn(ctx, "vpc", id),
            "aws:ec2:vpc",
            id,
            Placement::Regional,
        );
        let attrs = &mut resource.attributes;
        attrs.insert(
            "nat_gateways".into(),
            json!(vpc_nats.get(id).copied().unwrap_or(0)),
        );
        let zones: Vec<&ZoneId> = facts.vpc_zones.get(id).into_iter().flatten().collect();
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
}

/// Instances not terminated or shutting down.
fn instances(
    ctx: &RegionCtx,
    pages: &[DescribeInstancesOutput],
    facts: &SubnetFacts,
    found: &mut Found,
) {
    for instance in pages
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
        found
            .resources
            .push(instance_resource(ctx, instance, id, state, facts));
    }
}

/// One instance: zonal (zone ID from the subnet: the API leaves the instance's own empty);
/// it needs its subnet and, when the subnet egresses through one, the NAT gateway.
fn instance_resource(
    ctx: &RegionCtx,
    instance: &Instance,
    id: &str,
    state: Option<String>,
    facts: &SubnetFacts,
) -> Resource {
    let zone_name = instance.placement().and_then(|p| p.availability_zone());
    let zone = instance
        .placement()
        .and_then(|p| p.availability_zone_id())
        .filter(|z| !z.is_empty())
        .map(ZoneId::from)
        .or_else(|| {
            instance
                .subnet_id()
                .and_then(|s| facts.zone.get(s).cloned())
        })
        .or_else(|| zone_name.and_then(|n| ctx.zone_id(n)));
    let mut resource = ctx.resource(
        ec2_arn(ctx, "instance", id),
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
        resource.requirements.push(
            RequirementGroup::requires(ec2_arn(ctx, "subnet", subnet)).with_label("in subnet"),
        );
        if let Some(Egress::Nat { nat, route_table }) = facts.egress.get(subnet) {
            resource.requirements.push(
                RequirementGroup::requires(ec2_arn(ctx, "natgateway", nat)).with_label(format!(
                    "egress via NAT gateway {nat} (route table {route_table})"
                )),
            );
        }
    }
    apply_tags(&mut resource, instance.tags().iter().map(ec2_tag));
    resource
}

/// VPC endpoints not deleted or failed.
fn endpoints(
    ctx: &RegionCtx,
    pages: &[DescribeVpcEndpointsOutput],
    facts: &SubnetFacts,
    found: &mut Found,
) {
    for endpoint in pages.iter().flat_map(|p| p.vpc_endpoints()) {
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
        found
            .resources
            .push(endpoint_resource(ctx, endpoint, id, facts));
    }
}

/// One VPC endpoint: gateway endpoints are regional, interface endpoints live in their
/// subnets' zones.
fn endpoint_resource(
    ctx: &RegionCtx,
    endpoint: &VpcEndpoint,
    id: &str,
    facts: &SubnetFacts,
) -> Resource {
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
                .filter_map(|s| facts.zone.get(s).cloned()),
        )
    };
    let mut resource = ctx.resource(
        ec2_arn(ctx, "vpc-endpoint", id),
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
    resource
}

fn ec2_tag(tag: &aws_sdk_ec2::types::Tag) -> (&str, &str) {
    (
        tag.key().unwrap_or_default(),
        tag.value().unwrap_or_default(),
    )
}
