//! What the Google table learns from every instance before mapping any: the facts that span
//! instances (a disk attached by a separate resource, an autoscaler's bounds, the NATs and
//! default routes of a network, a cluster's node zones). One pass over the instances, each
//! fact kept in a map keyed by the path the instance that needs it will look up.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::location::{Location, last_segment, path_key, resource_path, segment_after};
use crate::sources::terraform::attrs::Attrs;
use crate::sources::terraform::build::{Entry, Index, provider_of};

/// One network interface of an instance or instance template.
#[derive(Debug, Clone, Default)]
pub struct Nic {
    /// Key of the network (`projects/p/global/networks/n`), when the interface names it.
    pub network: Option<String>,
    /// Path of the subnetwork, when the interface names it.
    pub subnetwork: Option<String>,
    /// The region of the subnetwork (or of the instance's zone).
    pub region: Option<String>,
    /// The interface has an external IP (an `access_config` block).
    pub external_ip: bool,
}

/// The network interfaces and network tags of an instance template.
#[derive(Debug, Clone, Default)]
pub struct Template {
    pub nics: Vec<Nic>,
    pub tags: Vec<String>,
}

/// An autoscaler's bounds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scaling {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A GKE cluster, as its node pools need it.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// The reference node pools use for it (its id, else its address key).
    pub reference: String,
    pub location: Option<Location>,
    /// Zones of its nodes: `node_locations`, with the cluster's zone for a zonal cluster.
    pub node_zones: Vec<String>,
    pub network: Option<String>,
    pub subnetwork: Option<String>,
    /// Nodes have internal IPs only (`private_cluster_config.enable_private_nodes`).
    pub private_nodes: bool,
}

/// Where a default route (`0.0.0.0/0`) sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    /// The internet gateway: instances without an external IP need Cloud NAT.
    Gateway,
    /// A resource (an instance, an internal load balancer's forwarding rule, a VPN tunnel),
    /// by reference.
    Resource(String),
}

/// A default route of a network.
#[derive(Debug, Clone)]
pub struct Route {
    pub hop: Hop,
    pub priority: u64,
    /// Network tags the route applies to; empty for every instance.
    pub tags: Vec<String>,
}

/// A Cloud NAT of a network, with the subnetworks it serves.
#[derive(Debug, Clone)]
pub struct Nat {
    pub reference: String,
    /// Serves every subnetwork of its region (`ALL_SUBNETWORKS_*`).
    pub all_subnetworks: bool,
    /// Keys of the subnetworks it serves (`LIST_OF_SUBNETWORKS`).
    pub subnetworks: HashSet<String>,
}

/// What decides a network's egress.
#[derive(Debug, Clone, Default)]
pub struct NetworkEgress {
    /// The network was created without its default route to the internet gateway.
    pub no_default_route: bool,
    pub routes: Vec<Route>,
    /// Region → the Cloud NATs of the network's routers there.
    pub nats: HashMap<String, Vec<Nat>>,
}

/// The facts of every Google instance, gathered before mapping.
#[derive(Default)]
pub struct Facts {
    /// Per file: the project and region most of its Google instances name.
    pub(super) file_home: Vec<(Option<String>, Option<String>)>,
    /// Region → zones the estate names in it.
    pub(super) region_zones: HashMap<String, BTreeSet<String>>,
    /// Instance key → disks attached by `google_compute_attached_disk`.
    pub(super) attached_disks: HashMap<String, Vec<String>>,
    /// Keys of disks with a snapshot schedule attached by a separate resource.
    pub(super) disk_policies: HashSet<String>,
    /// Instance template key → its interfaces and tags.
    pub(super) templates: HashMap<String, Template>,
    /// Instance group manager key → its autoscaler's bounds.
    pub(super) autoscalers: HashMap<String, Scaling>,
    /// Target pool key → instance group managers that add their instances to it.
    pub(super) pool_groups: HashMap<String, Vec<String>>,
    /// Network endpoint group key → instances registered as endpoints.
    pub(super) neg_endpoints: HashMap<String, Vec<String>>,
    /// Cluster keys (id, self link, `cluster:<project>:<location>:<name>`) → the cluster.
    pub(super) clusters: HashMap<String, Cluster>,
    /// `sql:<project>:<name>` of a primary → the regions of its read replicas.
    pub(super) sql_replicas: HashMap<String, Vec<String>>,
    /// Network key → its default routes and NATs.
    pub(super) egress: HashMap<String, NetworkEgress>,
    /// Subnetwork key → network key.
    pub(super) subnet_networks: HashMap<String, String>,
    /// IP address → forwarding rules that listen on it.
    pub(super) ips: HashMap<String, Vec<String>>,
    /// `dnszone:<project>:<name>` → the zone is private.
    pub(super) dns_private: HashMap<String, bool>,
    /// Network key → (firewall rules, routes) folded into it.
    pub(super) network_folds: HashMap<String, (u64, u64)>,
}

/// Attributes that name zones, at the top level of an instance.
const ZONE_ATTRIBUTES: &[&str] = &[
    "zone",
    "location",
    "location_id",
    "alternative_location_id",
    "replica_zones",
    "distribution_policy_zones",
    "node_locations",
];

/// The types whose instances carry facts other instances need (the arms of `learn`).
const LEARNED_FROM: &[&str] = &[
    "google_compute_attached_disk",
    "google_compute_disk_resource_policy_attachment",
    "google_compute_region_disk_resource_policy_attachment",
    "google_compute_instance_template",
    "google_compute_region_instance_template",
    "google_compute_autoscaler",
    "google_compute_region_autoscaler",
    "google_compute_instance_group_manager",
    "google_compute_region_instance_group_manager",
    "google_compute_network_endpoint",
    "google_compute_network_endpoints",
    "google_container_cluster",
    "google_sql_database_instance",
    "google_compute_network",
    "google_compute_subnetwork",
    "google_compute_route",
    "google_compute_firewall",
    "google_compute_router_nat",
    "google_compute_forwarding_rule",
    "google_compute_global_forwarding_rule",
    "google_dns_managed_zone",
];

impl Facts {
    pub fn prepare(index: &Index<'_>) -> Facts {
        let mut facts = Facts {
            file_home: file_homes(index),
            ..Facts::default()
        };
        let google = |entry: &&Entry<'_>| provider_of(&entry.instance.provider) == "gcp";
        // Routers first: a NAT names its router, the router its network.
        let mut routers: HashMap<(Option<String>, String, String), String> = HashMap::new();
        for entry in index.managed.iter().filter(google) {
            if entry.type_name() == "google_compute_router" {
                let attrs = entry.attrs();
                let home = facts.home(*entry);
                if let (Some(region), Some(name), Some(network)) = (
                    home.region.clone(),
                    attrs.str("name"),
                    network_key(attrs.str("network"), home.project.as_deref()),
                ) {
                    routers.insert((home.project, region, name.to_string()), network);
                }
            }
        }
        for entry in index.managed.iter().filter(google) {
            facts.learn_zones(*entry);
            facts.learn(index, *entry, &routers);
        }
        facts
    }

    fn learn_zones(&mut self, entry: Entry<'_>) {
        let attrs = entry.attrs();
        let mut names: Vec<&str> = Vec::new();
        for key in ZONE_ATTRIBUTES {
            names.extend(attrs.strs(key));
        }
        if let Some(preference) = attrs
            .block("settings")
            .and_then(|s| s.block("location_preference"))
        {
            names.extend(preference.str("zone"));
            names.extend(preference.str("secondary_zone"));
        }
        for name in names {
            if let Some(Location::Zone(zone)) = Location::parse(name) {
                let region = super::location::region_of_zone(&zone);
                self.region_zones.entry(region).or_default().insert(zone);
            }
        }
    }

    fn learn(
        &mut self,
        index: &Index<'_>,
        entry: Entry<'_>,
        routers: &HashMap<(Option<String>, String, String), String>,
    ) {
        if !LEARNED_FROM.contains(&entry.type_name()) {
            return;
        }
        let attrs = entry.attrs();
        let home = self.home(entry);
        let project = home.project.as_deref();
        match entry.type_name() {
            "google_compute_attached_disk"
            | "google_compute_disk_resource_policy_attachment"
            | "google_compute_region_disk_resource_policy_attachment" => {
                self.learn_disk(entry, &home)
            }
            "google_compute_instance_template" | "google_compute_region_instance_template" => {
                // A global template has no region of its own: its groups' regions apply.
                let region = match entry.type_name() {
                    "google_compute_region_instance_template" => home.region.as_deref(),
                    _ => None,
                };
                let template = Template {
                    nics: nics(attrs, project, region),
                    tags: attrs.strs("tags").into_iter().map(str::to_string).collect(),
                };
                for key in ["self_link", "id", "self_link_unique"] {
                    if let Some(reference) = attrs.str(key) {
                        self.templates.insert(path_key(reference), template.clone());
                    }
                }
            }
            "google_compute_autoscaler" | "google_compute_region_autoscaler" => {
                self.learn_autoscaler(attrs, project, &home.region)
            }
            "google_compute_instance_group_manager"
            | "google_compute_region_instance_group_manager" => {
                let reference = attrs.str("self_link").or_else(|| attrs.str("id"));
                if let Some(reference) = reference {
                    for pool in attrs.strs("target_pools") {
                        self.pool_groups
                            .entry(path_key(pool))
                            .or_default()
                            .push(reference.to_string());
                    }
                }
            }
            "google_compute_network_endpoint" | "google_compute_network_endpoints" => {
                self.learn_endpoints(attrs, project)
            }
            "google_container_cluster" => self.learn_cluster(entry, project),
            "google_sql_database_instance" => {
                if let (Some(master), Some(region)) =
                    (attrs.str("master_instance_name"), home.region.clone())
                {
                    let (master_project, name) = match master.split_once(':') {
                        Some((p, n)) => (Some(p), n),
                        None => (project, master),
                    };
                    let key = format!("sql:{}:{name}", master_project.unwrap_or(""));
                    self.sql_replicas.entry(key).or_default().push(region);
                }
            }
            "google_compute_network" => {
                if let Some(key) = self_key(attrs) {
                    let no_default = attrs.bool("delete_default_routes_on_create") == Some(true);
                    self.egress.entry(key).or_default().no_default_route = no_default;
                }
            }
            "google_compute_subnetwork" => {
                let network = network_key(attrs.str("network"), project);
                if let (Some(key), Some(network)) = (self_key(attrs), network) {
                    self.subnet_networks.insert(key, network);
                }
            }
            "google_compute_route" => self.learn_route(attrs, project),
            "google_compute_firewall" => {
                if let Some(network) = network_key(attrs.str("network"), project) {
                    self.network_folds.entry(network).or_default().0 += 1;
                }
            }
            "google_compute_router_nat" => self.learn_nat(entry, &home, routers),
            "google_compute_forwarding_rule" | "google_compute_global_forwarding_rule" => {
                self.learn_listener(index, attrs)
            }
            "google_dns_managed_zone" => {
                if let Some(name) = attrs.str("name") {
                    let private = attrs
                        .str("visibility")
                        .is_some_and(|v| v.eq_ignore_ascii_case("private"));
                    self.dns_private
                        .insert(format!("dnszone:{}:{name}", project.unwrap_or("")), private);
                }
            }
            _ => {}
        }
    }

    /// Disks attached to instances, and snapshot policies attached to disks, by separate
    /// resources.
    fn learn_disk(&mut self, entry: Entry<'_>, home: &super::Home) {
        let attrs = entry.attrs();
        let project = home.project.as_deref();
        if entry.type_name() == "google_compute_attached_disk" {
            let zone_scope = attrs
                .str("zone")
                .map(|z| format!("zones/{}", last_segment(z)));
            let scope = |kind: &str| match &zone_scope {
                Some(zone) => format!("{zone}/{kind}"),
                None => kind.to_string(),
            };
            let instance = attrs
                .str("instance")
                .and_then(|i| resource_path(i, project, &scope("instances")));
            let disk = attrs
                .str("disk")
                .and_then(|d| resource_path(d, project, &scope("disks")));
            if let (Some(instance), Some(disk)) = (instance, disk) {
                self.attached_disks
                    .entry(path_key(&instance))
                    .or_default()
                    .push(disk);
            }
            return;
        }
        let scope = match (attrs.str("zone"), home.region.as_deref()) {
            (Some(zone), _) => format!("zones/{}/disks", last_segment(zone)),
            (None, Some(region)) => format!("regions/{region}/disks"),
            (None, None) => "disks".into(),
        };
        if let Some(disk) = attrs
            .str("disk")
            .and_then(|d| resource_path(d, project, &scope))
        {
            self.disk_policies.insert(path_key(&disk));
        }
    }

    fn learn_autoscaler(
        &mut self,
        attrs: Attrs<'_>,
        project: Option<&str>,
        region: &Option<String>,
    ) {
        let scope = match (attrs.str("zone"), region) {
            (Some(zone), _) => format!("zones/{}/instanceGroupManagers", last_segment(zone)),
            (None, Some(region)) => format!("regions/{region}/instanceGroupManagers"),
            (None, None) => "instanceGroupManagers".into(),
        };
        let Some(target) = attrs
            .str("target")
            .and_then(|t| resource_path(t, project, &scope))
        else {
            return;
        };
        let policy = attrs.block("autoscaling_policy");
        self.autoscalers.insert(
            path_key(&target),
            Scaling {
                min: policy.and_then(|p| p.num("min_replicas")),
                max: policy.and_then(|p| p.num("max_replicas")),
            },
        );
    }

    fn learn_endpoints(&mut self, attrs: Attrs<'_>, project: Option<&str>) {
        let Some(zone) = attrs.str("zone").map(last_segment) else {
            return;
        };
        let Some(group) = attrs.str("network_endpoint_group").and_then(|g| {
            resource_path(g, project, &format!("zones/{zone}/networkEndpointGroups"))
        }) else {
            return;
        };
        let mut instances: Vec<&str> = attrs.str("instance").into_iter().collect();
        for endpoint in attrs.blocks("network_endpoints") {
            instances.extend(endpoint.str("instance"));
        }
        let scope = format!("zones/{zone}/instances");
        let members = self.neg_endpoints.entry(path_key(&group)).or_default();
        for instance in instances {
            members.extend(resource_path(instance, project, &scope));
        }
    }

    fn learn_cluster(&mut self, entry: Entry<'_>, project: Option<&str>) {
        let attrs = entry.attrs();
        let location = cluster_location(attrs);
        let mut node_zones: Vec<String> = Vec::new();
        if let Some(Location::Zone(zone)) = &location {
            node_zones.push(zone.clone());
        }
        for zone in attrs
            .strs("node_locations")
            .into_iter()
            .chain(attrs.strs("additional_zones"))
        {
            let zone = last_segment(zone);
            if !node_zones.contains(&zone) {
                node_zones.push(zone);
            }
        }
        let reference = attrs.str("id").map(str::to_string).unwrap_or_else(|| {
            super::super::build::address_key(entry.file, &entry.instance.address)
        });
        let cluster = Cluster {
            reference: reference.clone(),
            location: location.clone(),
            node_zones,
            network: network_key(attrs.str("network"), project),
            subnetwork: attrs.str("subnetwork").and_then(|s| {
                subnetwork_path(
                    s,
                    project,
                    location.as_ref().and_then(Location::region).as_deref(),
                )
            }),
            private_nodes: attrs
                .block("private_cluster_config")
                .and_then(|p| p.bool("enable_private_nodes"))
                .unwrap_or(false),
        };
        let mut keys = vec![path_key(&reference)];
        keys.extend(attrs.str("self_link").map(path_key));
        if let (Some(name), Some(location)) = (attrs.str("name"), &location) {
            let at = match location {
                Location::Zone(z) | Location::Region(z) | Location::MultiRegion(z) => z,
            };
            keys.push(cluster_key(project, at, name));
            keys.push(cluster_key(None, at, name));
        }
        for key in keys {
            self.clusters.entry(key).or_insert_with(|| cluster.clone());
        }
    }

    fn learn_route(&mut self, attrs: Attrs<'_>, project: Option<&str>) {
        let Some(network) = network_key(attrs.str("network"), project) else {
            return;
        };
        self.network_folds.entry(network.clone()).or_default().1 += 1;
        if attrs.str("dest_range") != Some("0.0.0.0/0") {
            return;
        }
        let hop = if attrs.str("next_hop_gateway").is_some() {
            Hop::Gateway
        } else if let Some(instance) = attrs.str("next_hop_instance") {
            let zone = attrs
                .str("next_hop_instance_zone")
                .map(last_segment)
                .unwrap_or_default();
            match resource_path(instance, project, &format!("zones/{zone}/instances")) {
                Some(path) => Hop::Resource(path),
                None => return,
            }
        } else if let Some(target) = attrs
            .str("next_hop_ilb")
            .or_else(|| attrs.str("next_hop_vpn_tunnel"))
        {
            Hop::Resource(target.to_string())
        } else if let Some(ip) = attrs.str("next_hop_ip") {
            // An address only: the resource behind it cannot be told, so the reference
            // stays unresolved and is counted.
            Hop::Resource(format!("ip:{ip}"))
        } else {
            return;
        };
        let route = Route {
            hop,
            priority: attrs.num("priority").map_or(1000, |p| p.max(0.0) as u64),
            tags: attrs.strs("tags").into_iter().map(str::to_string).collect(),
        };
        self.egress.entry(network).or_default().routes.push(route);
    }

    fn learn_nat(
        &mut self,
        entry: Entry<'_>,
        home: &super::Home,
        routers: &HashMap<(Option<String>, String, String), String>,
    ) {
        let attrs = entry.attrs();
        let (Some(region), Some(router)) = (home.region.clone(), attrs.str("router")) else {
            return;
        };
        let router = last_segment(router);
        if attrs
            .str("type")
            .is_some_and(|t| t.eq_ignore_ascii_case("PRIVATE"))
        {
            return;
        }
        let Some(network) = routers
            .get(&(home.project.clone(), region.clone(), router.clone()))
            .cloned()
        else {
            return;
        };
        let all_subnetworks = attrs
            .str("source_subnetwork_ip_ranges_to_nat")
            .is_none_or(|scope| scope.starts_with("ALL_SUBNETWORKS"));
        let subnetworks = attrs
            .blocks("subnetwork")
            .into_iter()
            .filter_map(|s| s.str("name"))
            .filter_map(|s| subnetwork_path(s, home.project.as_deref(), Some(&region)))
            .map(|s| path_key(&s))
            .collect();
        let nat = Nat {
            reference: nat_key(home.project.as_deref(), &region, &router, attrs.str("name")),
            all_subnetworks,
            subnetworks,
        };
        self.egress
            .entry(network)
            .or_default()
            .nats
            .entry(region)
            .or_default()
            .push(nat);
    }

    /// Forwarding rules by the IP address they listen on (DNS records name addresses).
    fn learn_listener(&mut self, index: &Index<'_>, attrs: Attrs<'_>) {
        let Some(reference) = attrs.str("self_link").or_else(|| attrs.str("id")) else {
            return;
        };
        let Some(address) = attrs.str("ip_address") else {
            return;
        };
        let ip = if address.contains('/') {
            // A reference to an address resource: its literal address.
            index
                .lookup(address)
                .and_then(|a| a.attrs().str("address"))
                .map(str::to_string)
        } else {
            Some(address.to_string())
        };
        if let Some(ip) = ip {
            self.ips.entry(ip).or_default().push(reference.to_string());
        }
    }
}

/// The key of an instance's own path (self link, else id).
fn self_key(attrs: Attrs<'_>) -> Option<String> {
    attrs
        .str("self_link")
        .or_else(|| attrs.str("id"))
        .map(path_key)
}

/// The key of a network reference in any form (URL, path, bare name).
pub fn network_key(reference: Option<&str>, project: Option<&str>) -> Option<String> {
    resource_path(reference?, project, "global/networks").map(|p| path_key(&p))
}

/// The path of a subnetwork reference in any form.
pub fn subnetwork_path(
    reference: &str,
    project: Option<&str>,
    region: Option<&str>,
) -> Option<String> {
    let scope = match region {
        Some(region) => format!("regions/{region}/subnetworks"),
        None if reference.contains('/') => String::new(),
        None => return None,
    };
    resource_path(reference, project, &scope)
}

/// The interfaces of an instance or template.
pub fn nics(attrs: Attrs<'_>, project: Option<&str>, region: Option<&str>) -> Vec<Nic> {
    attrs
        .blocks("network_interface")
        .into_iter()
        .map(|nic| {
            let subnetwork_region = nic
                .str("subnetwork")
                .and_then(|s| segment_after(s, "regions"))
                .or_else(|| nic.str("subnetwork_region").map(last_segment))
                .or_else(|| region.map(str::to_string));
            Nic {
                network: network_key(nic.str("network"), project),
                subnetwork: nic.str("subnetwork").and_then(|s| {
                    let project = nic.str("subnetwork_project").or(project);
                    subnetwork_path(s, project, subnetwork_region.as_deref())
                }),
                region: subnetwork_region,
                external_ip: !nic.blocks("access_config").is_empty(),
            }
        })
        .collect()
}

/// A cluster's location: `location`, else the old `zone` or `region`.
pub fn cluster_location(attrs: Attrs<'_>) -> Option<Location> {
    attrs
        .str("location")
        .or_else(|| attrs.str("zone"))
        .or_else(|| attrs.str("region"))
        .and_then(Location::parse)
}

/// The key node pools find a cluster by when they name it by name.
pub fn cluster_key(project: Option<&str>, location: &str, name: &str) -> String {
    format!(
        "cluster:{}:{}:{}",
        project.unwrap_or(""),
        location.to_ascii_lowercase(),
        last_segment(name)
    )
}

/// The reference of a Cloud NAT (its id has changed form across provider versions).
pub fn nat_key(project: Option<&str>, region: &str, router: &str, name: Option<&str>) -> String {
    format!(
        "nat:{}:{region}:{router}:{}",
        project.unwrap_or(""),
        name.unwrap_or("")
    )
}

/// Per file, the project and region most of its Google instances name.
fn file_homes(index: &Index<'_>) -> Vec<(Option<String>, Option<String>)> {
    let mut counts: Vec<(HashMap<String, usize>, HashMap<String, usize>)> =
        vec![Default::default(); index.files.len()];
    for entry in index.managed.iter().chain(&index.data) {
        if provider_of(&entry.instance.provider) != "gcp" {
            continue;
        }
        let own = super::own_home(*entry);
        let (projects, regions) = &mut counts[entry.file];
        if let Some(project) = own.project {
            *projects.entry(project).or_default() += 1;
        }
        if let Some(region) = own.region {
            *regions.entry(region).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(projects, regions)| (most(projects), most(regions)))
        .collect()
}

fn most(counts: HashMap<String, usize>) -> Option<String> {
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(k, _)| k)
}
