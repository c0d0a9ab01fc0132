//! Route tables and NAT egress: which route table each subnet uses (its explicit
//! association, else its VPC's main table: `aws_main_route_table_association`, else the
//! VPC's `main_route_table_id`, else `aws_default_route_table`) and where the table's
//! default route (`0.0.0.0/0`, else `::/0`; inline `route` blocks and `aws_route`) leads. A
//! default route through a NAT gateway makes what needs egress in the subnet require it, as
//! the crawler says; the NAT gateway serves the zones of the subnets routing through it.

use std::collections::{BTreeSet, HashMap};

use super::super::attrs::Attrs;
use super::super::build::Index;
use super::{Ctx, Facts, aws_entries};
use crate::model::{RequirementGroup, ZoneId};

/// How a subnet reaches the internet, from its route table's default route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Egress {
    Nat { nat: String, table: String },
    Internet,
    None,
}

/// Where a NAT gateway lives, for judging whether a workload's NAT egress follows its zones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatHome {
    Zone(ZoneId),
    Regional,
    Unknown,
}

/// Where a default route leads.
#[derive(Debug, Clone)]
enum Target {
    Nat(String),
    Internet,
    Other,
}

/// What the route tables, NAT gateways and associations of the estate add up to.
#[derive(Default)]
pub struct NetFacts {
    /// Subnet → its route table and how it reaches the internet.
    route_of_subnet: HashMap<String, (Option<String>, Egress)>,
    /// NAT gateway → the zones of the subnets that egress through it.
    pub nat_serves: HashMap<String, BTreeSet<ZoneId>>,
    /// VPC → the zones of its subnets.
    pub vpc_zones: HashMap<String, BTreeSet<ZoneId>>,
    /// VPC → its NAT gateways.
    pub vpc_nats: HashMap<String, BTreeSet<String>>,
    nat_home: HashMap<String, NatHome>,
    /// Interface endpoint → subnets added by `aws_vpc_endpoint_subnet_association`.
    pub endpoint_subnets: HashMap<String, Vec<String>>,
    /// (account, region) → Direct Connect connections.
    pub dx_connections: HashMap<(Option<String>, Option<String>), usize>,
}

/// Route tables and associations, before they are applied to subnets.
#[derive(Default)]
struct Routes {
    /// Table → default route targets (IPv4, IPv6).
    defaults: HashMap<String, [Option<Target>; 2]>,
    table_of_subnet: HashMap<String, String>,
    main_association: HashMap<String, String>,
    main_of_vpc: HashMap<String, String>,
    default_table: HashMap<String, String>,
}

impl Routes {
    fn route(&mut self, table: &str, route: Attrs<'_>, v4: &str, v6: &str) {
        let family = if route.str(v4) == Some("0.0.0.0/0") {
            0
        } else if route.str(v6) == Some("::/0") {
            1
        } else {
            return;
        };
        let target = match (route.str("nat_gateway_id"), route.str("gateway_id")) {
            (Some(nat), _) => Target::Nat(nat.to_string()),
            (None, Some(gw)) if gw.starts_with("nat-") => Target::Nat(gw.to_string()),
            (None, Some(gw)) if gw.starts_with("igw-") => Target::Internet,
            _ => Target::Other,
        };
        self.defaults.entry(table.to_string()).or_default()[family] = Some(target);
    }

    /// Learn what one route table, route or association says.
    fn learn(&mut self, type_name: &str, attrs: Attrs<'_>, data: bool) {
        match (type_name, data) {
            ("aws_route_table" | "aws_default_route_table", _) => {
                let Some(id) = attrs.str("id") else { return };
                let routes = if data { "routes" } else { "route" };
                for route in attrs.blocks(routes) {
                    self.route(id, route, "cidr_block", "ipv6_cidr_block");
                }
                for association in attrs.blocks("associations") {
                    if association.bool("main") == Some(true) {
                        if let Some(vpc) = attrs.str("vpc_id") {
                            self.main_association.insert(vpc.into(), id.into());
                        }
                    } else if let Some(subnet) = association.str("subnet_id") {
                        self.table_of_subnet.insert(subnet.into(), id.into());
                    }
                }
                if type_name == "aws_default_route_table"
                    && let Some(vpc) = attrs.str("vpc_id")
                {
                    self.default_table.insert(vpc.into(), id.into());
                }
            }
            ("aws_route", false) => {
                if let Some(table) = attrs.str("route_table_id") {
                    self.route(
                        table,
                        attrs,
                        "destination_cidr_block",
                        "destination_ipv6_cidr_block",
                    );
                }
            }
            ("aws_route_table_association", false) => {
                if let (Some(subnet), Some(table)) =
                    (attrs.str("subnet_id"), attrs.str("route_table_id"))
                {
                    self.table_of_subnet.insert(subnet.into(), table.into());
                }
            }
            ("aws_main_route_table_association", false) => {
                if let (Some(vpc), Some(table)) = (attrs.str("vpc_id"), attrs.str("route_table_id"))
                {
                    self.main_association.insert(vpc.into(), table.into());
                }
            }
            ("aws_vpc" | "aws_default_vpc", _) => {
                if let (Some(vpc), Some(table)) = (
                    attrs.str("id"),
                    attrs
                        .str("main_route_table_id")
                        .or_else(|| attrs.str("default_route_table_id")),
                ) {
                    self.main_of_vpc.insert(vpc.into(), table.into());
                }
            }
            _ => {}
        }
    }

    /// A subnet's route table (its own association, else its VPC's main table) and where
    /// that table's default route leads.
    fn of_subnet(&self, subnet: &str, vpc: Option<&str>) -> (Option<String>, Egress) {
        let table = self.table_of_subnet.get(subnet).or_else(|| {
            let vpc = vpc?;
            self.main_association
                .get(vpc)
                .or_else(|| self.main_of_vpc.get(vpc))
                .or_else(|| self.default_table.get(vpc))
        });
        let Some(table) = table else {
            return (None, Egress::None);
        };
        let egress = match self.defaults.get(table) {
            Some([Some(target), _]) | Some([None, Some(target)]) => match target {
                Target::Nat(nat) => Egress::Nat {
                    nat: nat.clone(),
                    table: table.clone(),
                },
                Target::Internet => Egress::Internet,
                Target::Other => Egress::None,
            },
            _ => Egress::None,
        };
        (Some(table.clone()), egress)
    }
}

impl NetFacts {
    pub fn prepare(facts: &Facts, index: &Index<'_>) -> NetFacts {
        let mut routes = Routes::default();
        for entry in index.data.iter().chain(&index.managed) {
            if entry.instance.provider == "aws" {
                routes.learn(entry.type_name(), entry.attrs(), entry.instance.data);
            }
        }
        let mut net = NetFacts::default();
        for (subnet, fact) in &facts.subnets {
            let route = routes.of_subnet(subnet, fact.vpc.as_deref());
            if let Some(zone) = &fact.zone {
                if let Some(vpc) = &fact.vpc {
                    net.vpc_zones
                        .entry(vpc.clone())
                        .or_default()
                        .insert(zone.zone.id.clone());
                }
                if let Egress::Nat { nat, .. } = &route.1 {
                    net.nat_serves
                        .entry(nat.clone())
                        .or_default()
                        .insert(zone.zone.id.clone());
                }
            }
            net.route_of_subnet.insert(subnet.clone(), route);
        }
        for entry in aws_entries(index) {
            let attrs = entry.attrs();
            match entry.type_name() {
                "aws_nat_gateway" => net.learn_nat(facts, attrs),
                "aws_vpc_endpoint_subnet_association" if !entry.instance.data => {
                    if let (Some(endpoint), Some(subnet)) =
                        (attrs.str("vpc_endpoint_id"), attrs.str("subnet_id"))
                    {
                        net.endpoint_subnets
                            .entry(endpoint.into())
                            .or_default()
                            .push(subnet.into());
                    }
                }
                "aws_dx_connection" if !entry.instance.data => {
                    let home = facts.home(entry);
                    *net.dx_connections
                        .entry((home.account, home.region))
                        .or_default() += 1;
                }
                _ => {}
            }
        }
        net
    }

    fn learn_nat(&mut self, facts: &Facts, attrs: Attrs<'_>) {
        let Some(id) = attrs.str("id") else { return };
        let subnet = attrs.str("subnet_id").and_then(|s| facts.subnets.get(s));
        let vpc = attrs
            .str("vpc_id")
            .map(str::to_string)
            .or_else(|| subnet.and_then(|s| s.vpc.clone()));
        if let Some(vpc) = vpc {
            self.vpc_nats.entry(vpc).or_default().insert(id.into());
        }
        let home = if attrs.str("availability_mode") == Some("regional") {
            NatHome::Regional
        } else {
            match subnet.and_then(|s| s.zone.as_ref()) {
                Some(zone) => NatHome::Zone(zone.zone.id.clone()),
                None => NatHome::Unknown,
            }
        };
        self.nat_home.entry(id.into()).or_insert(home);
    }

    /// The route table and egress of a subnet.
    pub fn route(&self, subnet: &str) -> Option<&(Option<String>, Egress)> {
        self.route_of_subnet.get(subnet)
    }
}

impl Ctx<'_, '_> {
    /// What a workload in `subnets` needs for egress: the NAT gateway its subnet routes
    /// through (the crawler's edge for an instance). Over several subnets: the one NAT gateway
    /// they all use; none when some subnet egresses otherwise, or when each routes through a
    /// NAT gateway in its own zone (losing a zone then takes only that zone's share, which the
    /// placement over the subnets' zones already says); else any of their NAT gateways.
    pub fn egress(&self, subnets: &[&str]) -> Option<RequirementGroup> {
        let net = &self.facts.net;
        let mut nats = BTreeSet::new();
        let mut tables = BTreeSet::new();
        let mut own_zones = true;
        for subnet in subnets {
            let Some((_, Egress::Nat { nat, table })) = net.route(subnet) else {
                return None;
            };
            let zone = self
                .facts
                .subnets
                .get(*subnet)
                .and_then(|s| s.zone.as_ref())
                .map(|z| &z.zone.id);
            own_zones &= match net.nat_home.get(nat) {
                Some(NatHome::Regional) => true,
                Some(NatHome::Zone(at)) => zone == Some(at),
                _ => false,
            };
            nats.insert(nat.clone());
            tables.insert(table.clone());
        }
        let tables: Vec<String> = tables.into_iter().collect();
        let tables = match tables.as_slice() {
            [one] => format!("route table {one}"),
            many => format!("route tables {}", many.join(", ")),
        };
        match nats.len() {
            0 => None,
            1 => {
                let nat = nats.into_iter().next().unwrap_or_default();
                Some(
                    RequirementGroup::requires(nat.clone())
                        .with_label(format!("egress via NAT gateway {nat} ({tables})")),
                )
            }
            _ if own_zones => None,
            _ => {
                let label = format!(
                    "egress via any of NAT gateways {} ({tables})",
                    nats.iter().cloned().collect::<Vec<_>>().join(", ")
                );
                Some(RequirementGroup::any_of(nats, None).with_label(label))
            }
        }
    }
}
