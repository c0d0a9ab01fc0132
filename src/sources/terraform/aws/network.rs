//! VPC networking: VPCs, subnets (with the route table and egress `routes` finds for them),
//! NAT gateways, gateways, Elastic IPs, security groups, network interfaces, VPC endpoints,
//! Site-to-Site VPN, transit gateways and Direct Connect. Route tables, routes and
//! associations fold into the subnets they route.

use std::collections::BTreeSet;

use serde_json::json;

use super::super::build::Outcome;
use super::routes::Egress;
use super::{Ctx, int};
use crate::model::{Placement, RequirementGroup, ZoneId};

/// Map a networking instance; `None` for a type of another group.
pub fn map(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    match ctx.type_name() {
        "aws_vpc" | "aws_default_vpc" => vpc(ctx),
        "aws_subnet" | "aws_default_subnet" => subnet(ctx),
        "aws_nat_gateway" => nat_gateway(ctx),
        "aws_route_table"
        | "aws_default_route_table"
        | "aws_route"
        | "aws_route_table_association"
        | "aws_main_route_table_association" => Some(Outcome::Folded),
        "aws_internet_gateway" => regional(ctx, "internet-gateway", None),
        "aws_egress_only_internet_gateway" => regional(ctx, "egress-only-internet-gateway", None),
        "aws_eip" => regional(ctx, "elastic-ip", None),
        "aws_security_group" | "aws_default_security_group" => {
            regional(ctx, "security-group", None)
        }
        "aws_vpc_peering_connection" => regional(ctx, "vpc-peering-connection", None),
        "aws_customer_gateway" => regional(ctx, "customer-gateway", None),
        "aws_vpn_gateway" => regional(ctx, "vpn-gateway", Some("attached to VPC")),
        "aws_ec2_transit_gateway" => regional(ctx, "transit-gateway", None),
        "aws_network_interface" => network_interface(ctx),
        "aws_vpc_endpoint" => endpoint(ctx),
        "aws_vpn_connection" => vpn_connection(ctx),
        "aws_ec2_transit_gateway_vpc_attachment" => transit_attachment(ctx),
        "aws_dx_connection" | "aws_dx_lag" | "aws_dx_gateway" => direct_connect(ctx),
        t if t.starts_with("aws_dx_") && t.ends_with("_virtual_interface") => {
            virtual_interface(ctx)
        }
        _ => None,
    }
}

fn vpc(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("vpc");
    let mut resource = ctx.resource(id, "aws:ec2:vpc", Placement::Regional, None);
    let short = attrs.str("id").unwrap_or_default();
    let net = &ctx.facts.net;
    let a = &mut resource.attributes;
    a.insert(
        "nat_gateways".into(),
        json!(net.vpc_nats.get(short).map_or(0, BTreeSet::len)),
    );
    let zones: Vec<&ZoneId> = net.vpc_zones.get(short).into_iter().flatten().collect();
    a.insert("subnet_zones".into(), json!(zones));
    if let Some(cidr) = attrs.str("cidr_block") {
        a.insert("cidr".into(), json!(cidr));
    }
    if ctx.type_name() == "aws_default_vpc" {
        a.insert("is_default".into(), json!(true));
    }
    ctx.done(resource, Vec::new(), &[])
}

fn subnet(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("subnet");
    let short = attrs.str("id").unwrap_or_default();
    let zone = ctx.subnet_zone(short).or_else(|| {
        attrs
            .str("availability_zone_id")
            .or_else(|| attrs.str("availability_zone"))
            .map(|z| ctx.zone(z))
    });
    let placement = zone
        .as_ref()
        .map(|z| Placement::Zonal { zone: z.id.clone() })
        .unwrap_or(Placement::Unknown);
    let mut resource = ctx.resource(id, "aws:ec2:subnet", placement, None);
    let a = &mut resource.attributes;
    if let Some(vpc) = attrs.str("vpc_id") {
        a.insert("vpc".into(), json!(vpc));
        resource
            .requirements
            .push(RequirementGroup::requires(vpc).with_label("in VPC"));
    }
    let a = &mut resource.attributes;
    if let Some(name) = attrs.str("availability_zone") {
        a.insert("zone_name".into(), json!(name));
    }
    if let Some(cidr) = attrs.str("cidr_block") {
        a.insert("cidr".into(), json!(cidr));
    }
    let (table, egress) = ctx
        .facts
        .net
        .route(short)
        .cloned()
        .unwrap_or((None, Egress::None));
    if let Some(table) = table {
        a.insert("route_table".into(), json!(table));
    }
    let egress = match egress {
        Egress::Nat { .. } => "nat",
        Egress::Internet => "internet",
        Egress::None => "none",
    };
    a.insert("egress".into(), json!(egress));
    if ctx.type_name() == "aws_default_subnet" || attrs.bool("default_for_az") == Some(true) {
        a.insert("is_default".into(), json!(true));
    }
    ctx.done(resource, zone.into_iter().collect(), &[])
}

/// A NAT gateway: zonal in its subnet's zone, regional with `availability_mode = "regional"`;
/// it serves the zones of the subnets routing through it.
fn nat_gateway(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("natgateway");
    let short = attrs.str("id").unwrap_or_default();
    let regional = attrs.str("availability_mode") == Some("regional");
    let subnet = attrs.str("subnet_id");
    let zone = match (regional, subnet) {
        (false, Some(subnet)) => ctx.subnet_zone(subnet),
        _ => None,
    };
    let placement = match (&zone, regional) {
        (_, true) => Placement::Regional,
        (Some(zone), false) => Placement::Zonal {
            zone: zone.id.clone(),
        },
        (None, false) => Placement::Unknown,
    };
    let mut resource = ctx.resource(id, "aws:ec2:natgateway", placement, None);
    let facts = ctx.facts;
    let vpc = attrs
        .str("vpc_id")
        .map(str::to_string)
        .or_else(|| subnet.and_then(|s| facts.subnets.get(s)?.vpc.clone()));
    let a = &mut resource.attributes;
    if let Some(vpc) = vpc {
        a.insert("vpc".into(), json!(vpc));
    }
    let serves: Vec<&ZoneId> = facts
        .net
        .nat_serves
        .get(short)
        .into_iter()
        .flatten()
        .collect();
    a.insert("serves_zones".into(), json!(serves));
    a.insert(
        "connectivity_type".into(),
        json!(attrs.str("connectivity_type").unwrap_or("public")),
    );
    if regional {
        a.insert("availability_mode".into(), json!("regional"));
    }
    if let Some(subnet) = subnet {
        resource
            .requirements
            .push(RequirementGroup::requires(subnet).with_label("in subnet"));
    }
    ctx.done(resource, zone.into_iter().collect(), &[])
}

/// An EC2 object that fails only with its region (gateways, addresses, security groups),
/// needing its VPC when `vpc_label` says why.
fn regional(ctx: &mut Ctx<'_, '_>, kind: &str, vpc_label: Option<&str>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id(kind);
    let mut resource = ctx.resource(id, &format!("aws:ec2:{kind}"), Placement::Regional, None);
    if let Some(vpc) = attrs.str("vpc_id") {
        resource.attributes.insert("vpc".into(), json!(vpc));
        if let Some(label) = vpc_label {
            resource
                .requirements
                .push(RequirementGroup::requires(vpc).with_label(label));
        }
    }
    let allocation = attrs.str("allocation_id");
    ctx.done(resource, Vec::new(), &[allocation.unwrap_or_default()])
}

fn network_interface(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("network-interface");
    let subnet = attrs.str("subnet_id");
    let zone = subnet.and_then(|s| ctx.subnet_zone(s));
    let placement = zone
        .as_ref()
        .map(|z| Placement::Zonal { zone: z.id.clone() })
        .unwrap_or(Placement::Unknown);
    let mut resource = ctx.resource(id, "aws:ec2:network-interface", placement, None);
    if let Some(subnet) = subnet {
        resource
            .requirements
            .push(RequirementGroup::requires(subnet).with_label("in subnet"));
    }
    ctx.done(resource, zone.into_iter().collect(), &[])
}

/// A VPC endpoint: gateway endpoints are regional, interface endpoints live in their
/// subnets' zones.
fn endpoint(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("vpc-endpoint");
    let kind = attrs.str("vpc_endpoint_type").unwrap_or("Gateway");
    let short = attrs.str("id").unwrap_or_default();
    let mut subnets: Vec<&str> = attrs.strs("subnet_ids");
    let facts = ctx.facts;
    for extra in facts.net.endpoint_subnets.get(short).into_iter().flatten() {
        if !subnets.contains(&extra.as_str()) {
            subnets.push(extra);
        }
    }
    let (placement, zones) = if kind == "Gateway" {
        (Placement::Regional, Vec::new())
    } else {
        super::place::over(ctx.subnet_zones(&subnets, true))
    };
    let mut resource = ctx.resource(id, "aws:ec2:vpc-endpoint", placement, None);
    let a = &mut resource.attributes;
    a.insert("endpoint_type".into(), json!(kind));
    if let Some(service) = attrs.str("service_name") {
        a.insert("service_name".into(), json!(service));
    }
    if let Some(vpc) = attrs.str("vpc_id") {
        a.insert("vpc".into(), json!(vpc));
    }
    a.insert("subnet_ids".into(), json!(subnets));
    ctx.done(resource, zones, &[])
}

/// A Site-to-Site VPN connection: regional (AWS ends its two tunnels in different zones); the
/// tunnels that report `UP` in the state's telemetry are its `tunnels_up`.
fn vpn_connection(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("vpn-connection");
    let mut resource = ctx.resource(id, "aws:ec2:vpn-connection", Placement::Regional, None);
    let telemetry = attrs.blocks("vgw_telemetry");
    let tunnels = ["tunnel1_address", "tunnel2_address"]
        .iter()
        .filter(|k| attrs.str(k).is_some())
        .count()
        .max(telemetry.len());
    let a = &mut resource.attributes;
    a.insert("tunnels".into(), json!(tunnels));
    if !telemetry.is_empty() {
        let up = telemetry
            .iter()
            .filter(|t| {
                t.str("status")
                    .is_some_and(|s| s.eq_ignore_ascii_case("up"))
            })
            .count();
        a.insert("tunnels_up".into(), json!(up));
    }
    let routing = if attrs.bool("static_routes_only") == Some(true) {
        "static"
    } else {
        "bgp"
    };
    a.insert("routing".into(), json!(routing));
    if let Some(gateway) = attrs.str("customer_gateway_id") {
        a.insert("customer_gateway".into(), json!(gateway));
    }
    for (key, label) in [
        ("vpn_gateway_id", "through VPN gateway"),
        ("transit_gateway_id", "through transit gateway"),
    ] {
        if let Some(gateway) = attrs.str(key) {
            resource
                .requirements
                .push(RequirementGroup::requires(gateway).with_label(label));
        }
    }
    ctx.done(resource, Vec::new(), &[])
}

/// A transit gateway VPC attachment: in its subnets' zones, needing its transit gateway.
fn transit_attachment(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.ec2_id("transit-gateway-attachment");
    let subnets = attrs.strs("subnet_ids");
    let (placement, zones) = super::place::over(ctx.subnet_zones(&subnets, true));
    let mut resource = ctx.resource(id, "aws:ec2:transit-gateway-attachment", placement, None);
    resource
        .attributes
        .insert("subnet_ids".into(), json!(subnets));
    if let Some(gateway) = attrs.str("transit_gateway_id") {
        resource
            .requirements
            .push(RequirementGroup::requires(gateway).with_label("attached to transit gateway"));
    }
    ctx.done(resource, zones, &[])
}

/// Direct Connect connections (at one location; `redundant_connections` counts the other
/// connections of the account and region the states hold), LAGs and gateways.
fn direct_connect(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let short = attrs.str("id").unwrap_or_default().to_string();
    let (kind, placement) = match ctx.type_name() {
        "aws_dx_connection" => ("connection", Placement::Regional),
        "aws_dx_lag" => ("lag", Placement::Regional),
        _ => (
            "gateway",
            Placement::Global {
                control_plane_region: None,
            },
        ),
    };
    let arn_kind = match kind {
        "connection" => "dxcon",
        "lag" => "dxlag",
        _ => "dx-gateway",
    };
    let id = ctx.arn_or(|region, account| {
        format!("arn:aws:directconnect:{region}:{account}:{arn_kind}/{short}")
    });
    let mut resource = ctx.resource(id, &format!("aws:directconnect:{kind}"), placement, None);
    let a = &mut resource.attributes;
    for key in ["location", "bandwidth", "connections_bandwidth"] {
        if let Some(value) = attrs.str(key) {
            a.insert(key.into(), json!(value));
        }
    }
    if kind == "connection" {
        let scope = (ctx.home().account.clone(), ctx.home().region.clone());
        let all = ctx
            .facts
            .net
            .dx_connections
            .get(&scope)
            .copied()
            .unwrap_or(1);
        a.insert("redundant_connections".into(), json!(all.saturating_sub(1)));
        if let Some(lag) = attrs.str("lag_id") {
            a.insert("lag".into(), json!(lag));
        }
    }
    ctx.done(resource, Vec::new(), &[])
}

/// A Direct Connect virtual interface: regional, needing its connection.
fn virtual_interface(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let short = attrs.str("id").unwrap_or_default().to_string();
    let id = ctx.arn_or(|region, account| {
        format!("arn:aws:directconnect:{region}:{account}:dxvif/{short}")
    });
    let mut resource = ctx.resource(
        id,
        "aws:directconnect:virtual-interface",
        Placement::Regional,
        None,
    );
    if let Some(vlan) = int(attrs, "vlan") {
        resource.attributes.insert("vlan".into(), vlan);
    }
    if let Some(connection) = attrs.str("connection_id") {
        resource
            .requirements
            .push(RequirementGroup::requires(connection).with_label("on connection"));
    }
    ctx.done(resource, Vec::new(), &[])
}
