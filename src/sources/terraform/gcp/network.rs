//! VPC networks, subnetworks, routers and Cloud NAT, addresses, VPN and Interconnect, and
//! the egress edges of instances.
//!
//! **Egress.** An instance's traffic to the internet follows the network's best default
//! route (`0.0.0.0/0`) that applies to it (no tags, or a tag it has; lowest priority value
//! wins, equal priorities share the traffic). A route to an instance, an internal load
//! balancer or a VPN tunnel makes the instance require any of those next hops. The internet
//! gateway (the network's own default route at priority 1000, unless the network was created
//! without it) needs nothing for an instance with an external IP; an instance without one
//! reaches the internet only through a Cloud NAT that serves its subnetwork, and requires it
//! — egress is assumed needed, as for AWS NAT gateways. Cloud NAT is a regional,
//! software-defined service (no gateway instance in a zone), so the edge adds the region and
//! the NAT resource to what the instance needs, never a zone.

use super::facts::{Facts, Hop, Nic, nat_key, network_key, subnetwork_path};
use super::location::{last_segment, path_key, resource_path};
use super::{Needs, Spot, set};
use crate::model::RequirementGroup;
use crate::sources::terraform::build::{Entry, Index, Made, Notes};

/// The priority of a network's own default route to the internet gateway.
const DEFAULT_ROUTE_PRIORITY: u64 = 1000;

impl Facts {
    /// The VPC types; `None` for another type.
    pub(super) fn network(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        notes: &mut Notes,
    ) -> Option<Made> {
        let attrs = entry.attrs();
        let regional = |kind: &str, notes: &mut Notes| {
            let resource = self.resource(index, entry, kind);
            self.place(resource, Spot::regional(None), entry, notes)
        };
        Some(match entry.type_name() {
            "google_compute_network" => self.vpc(index, entry, notes),
            "google_compute_subnetwork" => {
                let mut resource = self.resource(index, entry, "gcp:compute:subnetwork");
                set(&mut resource, "ip_cidr_range", attrs.str("ip_cidr_range"));
                set(&mut resource, "purpose", attrs.str("purpose"));
                let network = network_key(attrs.str("network"), resource.account.as_deref());
                resource.needs(network, "in network");
                self.place(resource, Spot::regional(None), entry, notes)
            }
            "google_compute_router" => {
                let mut resource = self.resource(index, entry, "gcp:compute:router");
                let network = network_key(attrs.str("network"), resource.account.as_deref());
                resource.needs(network, "in network");
                self.place(resource, Spot::regional(None), entry, notes)
            }
            "google_compute_router_nat" => self.router_nat(index, entry, notes),
            "google_compute_address" | "google_compute_global_address" => {
                let mut resource = self.resource(index, entry, "gcp:compute:address");
                set(&mut resource, "address", attrs.str("address"));
                set(&mut resource, "address_type", attrs.str("address_type"));
                let global = entry.type_name() == "google_compute_global_address";
                set(
                    &mut resource,
                    "scope",
                    Some(if global { "global" } else { "regional" }),
                );
                let spot = if global {
                    Spot::global()
                } else {
                    Spot::regional(None)
                };
                self.place(resource, spot, entry, notes)
            }
            "google_compute_ha_vpn_gateway" | "google_compute_vpn_gateway" => {
                let mut resource = self.resource(index, entry, "gcp:compute:vpn-gateway");
                let ha = entry.type_name() == "google_compute_ha_vpn_gateway";
                set(&mut resource, "high_availability", Some(ha));
                let network = network_key(attrs.str("network"), resource.account.as_deref());
                resource.needs(network, "in network");
                self.place(resource, Spot::regional(None), entry, notes)
            }
            "google_compute_vpn_tunnel" => {
                let mut resource = self.resource(index, entry, "gcp:compute:vpn-tunnel");
                let gateway = attrs
                    .str("vpn_gateway")
                    .or_else(|| attrs.str("target_vpn_gateway"));
                let region = resource.region.clone().unwrap_or_default();
                let gateway = gateway.and_then(|g| {
                    let scope = if attrs.str("vpn_gateway").is_some() {
                        format!("regions/{region}/vpnGateways")
                    } else {
                        format!("regions/{region}/targetVpnGateways")
                    };
                    resource_path(g, resource.account.as_deref(), &scope)
                });
                set(
                    &mut resource,
                    "vpn_gateway_interface",
                    attrs.num("vpn_gateway_interface"),
                );
                resource.needs(gateway, "VPN gateway");
                self.place(resource, Spot::regional(None), entry, notes)
            }
            "google_compute_external_vpn_gateway" => {
                let resource = self.resource(index, entry, "gcp:compute:external-vpn-gateway");
                self.place(resource, Spot::global(), entry, notes)
            }
            "google_compute_interconnect_attachment" => {
                let mut resource =
                    self.resource(index, entry, "gcp:compute:interconnect-attachment");
                set(
                    &mut resource,
                    "edge_availability_domain",
                    attrs.str("edge_availability_domain"),
                );
                set(
                    &mut resource,
                    "interconnect",
                    attrs.str("interconnect").map(last_segment),
                );
                self.place(resource, Spot::regional(None), entry, notes)
            }
            "google_compute_target_vpn_gateway" => regional("gcp:compute:vpn-gateway", notes),
            "google_vpc_access_connector" => self.connector(index, entry, notes),
            _ => return None,
        })
    }

    /// `google_compute_network`: global. The firewall rules and routes of the network are
    /// folded into it as counts.
    fn vpc(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:network");
        set(
            &mut resource,
            "auto_create_subnetworks",
            attrs.bool("auto_create_subnetworks"),
        );
        set(&mut resource, "routing_mode", attrs.str("routing_mode"));
        let key = attrs
            .str("self_link")
            .or_else(|| attrs.str("id"))
            .map(path_key);
        if let Some((firewalls, routes)) = key.and_then(|k| self.network_folds.get(&k)) {
            set(&mut resource, "firewall_rules", Some(*firewalls));
            set(&mut resource, "routes", Some(*routes));
        }
        self.place(resource, Spot::global(), entry, notes)
    }

    /// `google_compute_router_nat`: regional (Cloud NAT has no gateway in a zone). Requires
    /// its router; instances without external IPs in the subnetworks it serves require it.
    fn router_nat(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:router-nat");
        let project = resource.account.clone();
        let region = resource.region.clone();
        set(
            &mut resource,
            "nat_ip_allocate_option",
            attrs.str("nat_ip_allocate_option"),
        );
        let scope = attrs.str("source_subnetwork_ip_ranges_to_nat");
        set(&mut resource, "source_subnetworks", scope);
        set(
            &mut resource,
            "nat_ips",
            Some(attrs.strs("nat_ips").len() as u64),
        );
        let subnetworks: Vec<String> = attrs
            .blocks("subnetwork")
            .into_iter()
            .filter_map(|s| s.str("name"))
            .map(last_segment)
            .collect();
        if !subnetworks.is_empty() {
            set(&mut resource, "subnetworks", Some(subnetworks));
        }
        let router = attrs.str("router").map(last_segment);
        let mut aliases = Vec::new();
        if let (Some(router), Some(region)) = (&router, &region) {
            resource.needs(
                resource_path(
                    router,
                    project.as_deref(),
                    &format!("regions/{region}/routers"),
                ),
                "on router",
            );
            aliases.push(nat_key(
                project.as_deref(),
                region,
                router,
                attrs.str("name"),
            ));
        }
        let mut made = self.place(resource, Spot::regional(None), entry, notes);
        made.aliases.extend(aliases);
        made
    }

    /// `google_vpc_access_connector`: regional (its instances are Google-managed); requires
    /// its network or subnetwork. Cloud Run services and functions that use it require it.
    fn connector(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:vpcaccess:connector");
        let project = resource.account.clone();
        let region = resource.region.clone();
        let subnet = attrs.block("subnet").and_then(|s| {
            let project = s.str("project_id").or(project.as_deref());
            s.str("name")
                .and_then(|n| subnetwork_path(n, project, region.as_deref()))
        });
        match subnet {
            Some(subnet) => resource.needs(Some(subnet), "in subnetwork"),
            None => resource.needs(
                network_key(attrs.str("network"), project.as_deref()),
                "in network",
            ),
        }
        set(&mut resource, "min_instances", attrs.num("min_instances"));
        let mut made = self.place(resource, Spot::regional(None), entry, notes);
        if let (Some(region), Some(name)) = (region, attrs.str("name")) {
            made.aliases
                .push(connector_key(project.as_deref(), &region, name));
        }
        made
    }

    /// The egress requirements of interfaces with `tags` (see the module docs).
    pub(super) fn egress(&self, nics: &[Nic], tags: &[&str]) -> Vec<RequirementGroup> {
        let mut groups = Vec::new();
        for nic in nics {
            let network = nic.network.clone().or_else(|| {
                nic.subnetwork
                    .as_ref()
                    .and_then(|s| self.subnet_networks.get(&path_key(s)).cloned())
            });
            let Some(network) = network else { continue };
            let egress = self.egress.get(&network);
            let applies = |route_tags: &[String]| {
                route_tags.is_empty() || route_tags.iter().any(|t| tags.contains(&t.as_str()))
            };
            let mut best: Option<u64> = match egress {
                Some(e) if e.no_default_route => None,
                _ => Some(DEFAULT_ROUTE_PRIORITY),
            };
            let routes = egress.map(|e| e.routes.as_slice()).unwrap_or_default();
            for route in routes.iter().filter(|r| applies(&r.tags)) {
                best = Some(best.map_or(route.priority, |b| b.min(route.priority)));
            }
            let Some(best) = best else { continue };
            let winners: Vec<&Hop> = routes
                .iter()
                .filter(|r| applies(&r.tags) && r.priority == best)
                .map(|r| &r.hop)
                .collect();
            // The network's own default route shares its priority with custom routes of
            // the same priority; traffic then also leaves through the gateway.
            let implicit =
                egress.is_none_or(|e| !e.no_default_route) && best == DEFAULT_ROUTE_PRIORITY;
            let gateway = implicit || winners.contains(&&Hop::Gateway);
            if !gateway {
                let hops = winners
                    .into_iter()
                    .filter_map(|h| match h {
                        Hop::Resource(r) => Some(r.clone()),
                        Hop::Gateway => None,
                    })
                    .collect::<Vec<_>>();
                push_any(&mut groups, hops, "egress via default route");
                continue;
            }
            if nic.external_ip {
                continue;
            }
            let subnet_key = nic.subnetwork.as_deref().map(path_key);
            let nats: Vec<String> = nic
                .region
                .as_ref()
                .and_then(|r| egress.and_then(|e| e.nats.get(r)))
                .into_iter()
                .flatten()
                .filter(|nat| {
                    nat.all_subnetworks
                        || subnet_key
                            .as_ref()
                            .is_some_and(|k| nat.subnetworks.contains(k))
                })
                .map(|nat| nat.reference.clone())
                .collect();
            push_any(&mut groups, nats, "egress via Cloud NAT");
        }
        groups
    }
}

fn push_any(groups: &mut Vec<RequirementGroup>, mut members: Vec<String>, label: &str) {
    members.sort();
    members.dedup();
    let group = match members.len() {
        0 => return,
        1 => RequirementGroup::requires(members.remove(0)),
        _ => RequirementGroup::any_of(members, None),
    };
    groups.push(group.with_label(label));
}

/// The reference Cloud Run and Cloud Functions use for a Serverless VPC Access connector.
pub(super) fn connector_key(project: Option<&str>, region: &str, name: &str) -> String {
    format!(
        "connector:{}:{region}:{}",
        project.unwrap_or(""),
        last_segment(name)
    )
}
