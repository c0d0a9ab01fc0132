//! Platforms and the estate around them: GKE clusters and node pools, Cloud Run, Cloud
//! Functions, Cloud DNS, projects, folders and service accounts.

use serde_json::{Value, json};

use super::compute::location_of;
use super::data::sql_key;
use super::facts::{Facts, Nic, cluster_key, cluster_location, network_key, subnetwork_path};
use super::location::{Location, last_segment, resource_path};
use super::network::connector_key;
use super::{Needs, Spot, set};
use crate::model::Resource;
use crate::sources::terraform::attrs::Attrs;
use crate::sources::terraform::build::{Entry, Index, Made, Notes};

impl Facts {
    /// The platform types; `None` for another type.
    pub(super) fn platform(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        notes: &mut Notes,
    ) -> Option<Made> {
        let attrs = entry.attrs();
        Some(match entry.type_name() {
            "google_container_cluster" => self.cluster(index, entry, notes),
            "google_container_node_pool" => self.node_pool(index, entry, notes),
            "google_cloud_run_service" | "google_cloud_run_v2_service" => {
                self.run_service(index, entry, notes)
            }
            "google_cloudfunctions_function" | "google_cloudfunctions2_function" => {
                self.function(index, entry, notes)
            }
            "google_dns_managed_zone" => {
                let mut resource = self.resource(index, entry, "gcp:dns:managed-zone");
                set(&mut resource, "dns_name", attrs.str("dns_name"));
                set(
                    &mut resource,
                    "visibility",
                    Some(
                        attrs
                            .str("visibility")
                            .unwrap_or("public")
                            .to_ascii_lowercase(),
                    ),
                );
                let dnssec = attrs
                    .block("dnssec_config")
                    .and_then(|d| d.str("state"))
                    .is_some_and(|s| s.eq_ignore_ascii_case("on"));
                set(&mut resource, "dnssec", Some(dnssec));
                let project = resource.account.clone().unwrap_or_default();
                let mut made = self.place(resource, Spot::global(), entry, notes);
                if let Some(name) = attrs.str("name") {
                    made.aliases.push(format!("dnszone:{project}:{name}"));
                }
                made
            }
            "google_dns_record_set" => self.record_set(index, entry, notes),
            "google_project" => {
                let mut resource = self.resource(index, entry, "gcp:resourcemanager:project");
                if let Some(project) = attrs.str("project_id") {
                    resource.account = Some(project.to_string());
                }
                self.place(resource, Spot::global(), entry, notes)
            }
            "google_folder" => {
                let resource = self.resource(index, entry, "gcp:resourcemanager:folder");
                self.place(resource, Spot::global(), entry, notes)
            }
            "google_service_account" => {
                let mut resource = self.resource(index, entry, "gcp:iam:service-account");
                set(&mut resource, "email", attrs.str("email"));
                self.place(resource, Spot::global(), entry, notes)
            }
            "google_app_engine_application" => {
                let resource = self.resource(index, entry, "gcp:appengine:application");
                let spot = Spot::located(location_of(attrs, &["location_id"]).as_ref());
                self.place(resource, spot, entry, notes)
            }
            _ => return None,
        })
    }

    /// `google_container_cluster`: the control plane. A zonal `location` (or the old `zone`)
    /// runs one control plane replica in that zone: zonal. A regional location replicates
    /// it over the region's zones: regional (Autopilot clusters are always regional). Node
    /// zones (`node_locations`, with the cluster's zone for a zonal cluster) are kept as
    /// `node_zones`; workloads run on node pools, which require the cluster.
    fn cluster(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:container:cluster");
        let location = cluster_location(attrs);
        let spot = match &location {
            Some(Location::Zone(zone)) => Spot::zonal(zone).unwrap_or_else(Spot::unknown),
            Some(Location::Region(region)) => Spot::regional(Some(region.clone())),
            _ => Spot::unknown(),
        };
        let location_type = match &location {
            Some(Location::Zone(_)) => "zonal",
            Some(Location::Region(_)) => "regional",
            _ => "unknown",
        };
        set(&mut resource, "location_type", Some(location_type));
        let cluster = [attrs.str("id"), attrs.str("self_link")]
            .into_iter()
            .flatten()
            .find_map(|k| self.clusters.get(&super::location::path_key(k)));
        if let Some(cluster) = cluster {
            resource
                .attributes
                .insert("node_zones".into(), json!(cluster.node_zones));
        }
        set(&mut resource, "autopilot", attrs.bool("enable_autopilot"));
        set(
            &mut resource,
            "remove_default_node_pool",
            attrs.bool("remove_default_node_pool"),
        );
        set(
            &mut resource,
            "release_channel",
            attrs
                .block("release_channel")
                .and_then(|c| c.str("channel")),
        );
        set(
            &mut resource,
            "private_nodes",
            cluster.map(|c| c.private_nodes),
        );
        let project = resource.account.clone();
        match cluster.and_then(|c| c.subnetwork.clone()) {
            Some(subnetwork) => resource.needs(Some(subnetwork), "in subnetwork"),
            None => resource.needs(
                network_key(attrs.str("network"), project.as_deref()),
                "in network",
            ),
        }
        let mut made = self.place(resource, spot, entry, notes);
        if let (Some(name), Some(location)) = (attrs.str("name"), attrs.str("location")) {
            made.aliases.push(cluster_key(
                project.as_deref(),
                &last_segment(location),
                name,
            ));
        }
        made.aliases
            .extend(attrs.str("self_link").map(str::to_string));
        made
    }

    /// `google_container_node_pool`: its nodes' zones — `node_locations`, else its
    /// cluster's node zones, else the cluster's zone — one zone zonal, several multi-zone.
    /// A pool of a regional cluster with no zone known is multi-zone over the zones the
    /// estate names in the region (inferred), or regional. Requires its cluster (the control
    /// plane schedules, scales and repairs its nodes) and, for private nodes, egress through
    /// Cloud NAT.
    fn node_pool(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:container:node-pool");
        let project = resource.account.clone();
        let location = cluster_location(attrs);
        let cluster = attrs.str("cluster").and_then(|name| {
            let keys = match &location {
                Some(Location::Zone(at) | Location::Region(at) | Location::MultiRegion(at)) => {
                    vec![
                        super::location::path_key(name),
                        cluster_key(project.as_deref(), at, name),
                        cluster_key(None, at, name),
                    ]
                }
                None => vec![super::location::path_key(name)],
            };
            keys.iter().find_map(|k| self.clusters.get(k))
        });
        let mut zones: Vec<String> = attrs
            .strs("node_locations")
            .into_iter()
            .map(last_segment)
            .collect();
        if zones.is_empty() {
            zones = cluster.map(|c| c.node_zones.clone()).unwrap_or_default();
        }
        if zones.is_empty()
            && let Some(Location::Zone(zone)) = cluster
                .and_then(|c| c.location.clone())
                .or(location.clone())
        {
            zones.push(zone);
        }
        let region = location
            .as_ref()
            .and_then(Location::region)
            .or_else(|| resource.region.clone());
        let spot = Spot::zones(zones.iter().map(String::as_str), false)
            .or_else(|| {
                let known = self.region_zones.get(region.as_deref()?)?;
                (known.len() >= 2)
                    .then(|| Spot::zones(known.iter().map(String::as_str), true))
                    .flatten()
            })
            .unwrap_or_else(|| Spot::regional(region.clone()));
        if !zones.is_empty() {
            resource.attributes.insert("zones".into(), json!(zones));
        }
        self.pool_facts(&mut resource, attrs);
        let cluster_ref = cluster
            .map(|c| c.reference.clone())
            .or_else(|| attrs.str("cluster").map(str::to_string));
        resource.needs(cluster_ref, "control plane");
        if let Some(cluster) = cluster.filter(|c| c.private_nodes) {
            let nic = Nic {
                network: cluster.network.clone(),
                subnetwork: cluster.subnetwork.clone(),
                region: region.clone(),
                external_ip: false,
            };
            let tags: Vec<&str> = attrs
                .block("node_config")
                .map(|n| n.strs("tags"))
                .unwrap_or_default();
            for group in self.egress(&[nic], &tags) {
                resource.requirements.push(group);
            }
        }
        let mut made = self.place(resource, spot, entry, notes);
        for url in attrs
            .strs("instance_group_urls")
            .into_iter()
            .chain(attrs.strs("managed_instance_group_urls"))
        {
            made.aliases.push(url.to_string());
            made.aliases
                .push(url.replace("instanceGroupManagers", "instanceGroups"));
        }
        made
    }

    /// Sizes, autoscaling, repair and machine of a node pool.
    fn pool_facts(&self, resource: &mut Resource, attrs: Attrs<'_>) {
        set(resource, "node_count", attrs.num("node_count"));
        set(
            resource,
            "initial_node_count",
            attrs.num("initial_node_count"),
        );
        if let Some(scaling) = attrs.block("autoscaling") {
            set(resource, "min_node_count", scaling.num("min_node_count"));
            set(resource, "max_node_count", scaling.num("max_node_count"));
            // Totals of 0 mean "not set" (the per-zone bounds apply).
            for key in ["total_min_node_count", "total_max_node_count"] {
                set(resource, key, scaling.num(key).filter(|n| *n > 0.0));
            }
            set(resource, "location_policy", scaling.str("location_policy"));
        }
        set(
            resource,
            "autoscaled",
            Some(attrs.block("autoscaling").is_some()),
        );
        let management = attrs.block("management");
        // GKE repairs and upgrades nodes unless told not to.
        set(
            resource,
            "auto_repair",
            Some(
                management
                    .and_then(|m| m.bool("auto_repair"))
                    .unwrap_or(true),
            ),
        );
        if let Some(node) = attrs.block("node_config") {
            set(resource, "machine_type", node.str("machine_type"));
            let spot = node.bool("spot") == Some(true) || node.bool("preemptible") == Some(true);
            set(resource, "preemptible", Some(spot));
        }
    }

    /// `google_cloud_run_service` and `google_cloud_run_v2_service`: regional in `location`
    /// (Google runs instances over the region's zones). Requires its Serverless VPC Access
    /// connector and the Cloud SQL instances it connects to.
    fn run_service(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:run:service");
        let project = resource.account.clone().or_else(|| {
            // v1 ids are `locations/<l>/namespaces/<project>/services/<name>`.
            attrs
                .str("id")
                .and_then(|id| super::location::segment_after(id, "namespaces"))
        });
        resource.account = project.clone();
        let region = resource.region.clone().unwrap_or_default();
        let template = attrs.block("template");
        let mut connector = template
            .and_then(|t| t.block("vpc_access"))
            .and_then(|v| v.str("connector"))
            .map(str::to_string);
        let mut sql: Vec<String> = Vec::new();
        if let Some(template) = template {
            for volume in template.blocks("volumes") {
                if let Some(instances) = volume.block("cloud_sql_instance") {
                    sql.extend(instances.strs("instances").into_iter().map(str::to_string));
                }
            }
            let annotations = template
                .block("metadata")
                .map(|m| m.map("annotations"))
                .unwrap_or_default();
            if let Some(value) = annotations.get("run.googleapis.com/vpc-access-connector") {
                connector = Some(value.clone());
            }
            if let Some(value) = annotations.get("run.googleapis.com/cloudsql-instances") {
                sql.extend(value.split(',').map(|s| s.trim().to_string()));
            }
        }
        set(&mut resource, "ingress", attrs.str("ingress"));
        self.needs_connector(&mut resource, connector.as_deref(), &region);
        if let Some(access) = template.and_then(|t| t.block("vpc_access")) {
            self.direct_egress(&mut resource, access, &region);
        }
        for instance in sql {
            resource.needs(sql_reference(&instance, project.as_deref()), "database");
        }
        let mut made = self.place(resource, Spot::regional(None), entry, notes);
        if let Some(name) = attrs.str("name") {
            made.aliases
                .push(run_key(project.as_deref(), &region, name));
        }
        made
    }

    /// `google_cloudfunctions_function` and `google_cloudfunctions2_function`: regional in
    /// `region` / `location`; requires its VPC connector.
    fn function(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:cloudfunctions:function");
        let second = entry.type_name() == "google_cloudfunctions2_function";
        set(
            &mut resource,
            "generation",
            Some(if second { 2 } else { 1 }),
        );
        let region = resource.region.clone().unwrap_or_default();
        let connector = attrs.str("vpc_connector").or_else(|| {
            attrs
                .block("service_config")
                .and_then(|s| s.str("vpc_connector"))
        });
        self.needs_connector(&mut resource, connector, &region);
        let project = resource.account.clone();
        let mut made = self.place(resource, Spot::regional(None), entry, notes);
        if let Some(name) = attrs.str("name") {
            made.aliases
                .push(function_key(project.as_deref(), &region, name));
        }
        made
    }

    /// Direct VPC egress of a Cloud Run v2 service: its instances take addresses in the
    /// subnetwork (needed), and with `egress = ALL_TRAFFIC` reach the internet through the
    /// network's default route and Cloud NAT, as instances without external IPs do.
    fn direct_egress(&self, resource: &mut Resource, access: Attrs<'_>, region: &str) {
        let project = resource.account.clone();
        let nics: Vec<Nic> = access
            .blocks("network_interfaces")
            .into_iter()
            .map(|nic| Nic {
                network: network_key(nic.str("network"), project.as_deref()),
                subnetwork: nic
                    .str("subnetwork")
                    .and_then(|s| subnetwork_path(s, project.as_deref(), Some(region))),
                region: Some(region.to_string()),
                external_ip: false,
            })
            .collect();
        self.needs_interfaces(resource, &nics);
        let all_traffic = access
            .str("egress")
            .is_some_and(|e| e.eq_ignore_ascii_case("ALL_TRAFFIC"));
        if all_traffic {
            let tags: Vec<&str> = access
                .blocks("network_interfaces")
                .iter()
                .flat_map(|n| n.strs("tags"))
                .collect();
            for group in self.egress(&nics, &tags) {
                resource.requirements.push(group);
            }
        }
    }

    fn needs_connector(&self, resource: &mut Resource, connector: Option<&str>, region: &str) {
        let Some(connector) = connector.filter(|c| !c.trim().is_empty()) else {
            return;
        };
        let reference = if connector.contains('/') {
            let project = super::location::segment_after(connector, "projects");
            let region = super::location::segment_after(connector, "locations")
                .unwrap_or_else(|| region.to_string());
            connector_key(
                project.as_deref().or(resource.account.as_deref()),
                &region,
                connector,
            )
        } else {
            connector_key(resource.account.as_deref(), region, connector)
        };
        resource.needs(Some(reference), "VPC connector");
    }

    /// `google_dns_record_set`: global (Cloud DNS answers from everywhere). A record of a
    /// public zone (or of a zone the estate does not hold) is an entry point. Requires its
    /// managed zone, and any of the forwarding rules its addresses (`rrdatas`, routing
    /// policy targets) point at.
    fn record_set(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:dns:record-set");
        let project = resource.account.clone().unwrap_or_default();
        let zone = attrs.str("managed_zone").map(last_segment);
        let zone_key = zone.as_ref().map(|z| format!("dnszone:{project}:{z}"));
        let private = zone_key
            .as_ref()
            .and_then(|k| self.dns_private.get(k))
            .copied()
            .unwrap_or(false);
        set(&mut resource, "type", attrs.str("type"));
        set(&mut resource, "ttl", attrs.num("ttl"));
        if let Some(policy) = attrs.block("routing_policy") {
            let kind = ["wrr", "geo", "primary_backup"].into_iter().find(|k| {
                policy
                    .get(k)
                    .is_some_and(|v| !v.as_array().is_some_and(Vec::is_empty))
            });
            set(&mut resource, "routing_policy", kind);
        }
        if !private {
            resource
                .attributes
                .insert("entry_point".into(), json!(true));
        }
        // The zone's name is its record: name the record set after the record.
        if let Some(name) = attrs.str("name") {
            resource.name = name.trim_end_matches('.').to_string();
        }
        resource.needs(zone_key, "zone");
        let mut addresses = attrs.strs("rrdatas");
        if let Some(policy) = attrs.get("routing_policy") {
            collect_addresses(policy, 0, &mut addresses);
        }
        let targets: Vec<String> = addresses
            .into_iter()
            .filter_map(|a| self.ips.get(a))
            .flatten()
            .cloned()
            .collect();
        resource.needs_any(targets, "serves");
        self.place(resource, Spot::global(), entry, notes)
    }
}

/// Addresses in a DNS routing policy (`rrdatas` and health-checked load balancers'
/// `ip_address`), at any depth.
fn collect_addresses<'a>(value: &'a Value, depth: usize, into: &mut Vec<&'a str>) {
    if depth > 8 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("ip_address", Value::String(s)) => into.push(s.trim()),
                    ("rrdatas", Value::Array(items)) => {
                        into.extend(items.iter().filter_map(Value::as_str).map(str::trim))
                    }
                    _ => collect_addresses(inner, depth + 1, into),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_addresses(item, depth + 1, into);
            }
        }
        _ => {}
    }
}

/// A Cloud SQL instance as Cloud Run names it: a connection name (`project:region:name`),
/// else a name in the service's project.
fn sql_reference(instance: &str, project: Option<&str>) -> Option<String> {
    let instance = instance.trim();
    if instance.is_empty() {
        return None;
    }
    if instance.matches(':').count() == 2 {
        return Some(instance.to_string());
    }
    if instance.contains('/') {
        return resource_path(instance, project, "instances");
    }
    Some(sql_key(project.unwrap_or(""), instance))
}

/// The reference serverless network endpoint groups use for a Cloud Run service.
pub(super) fn run_key(project: Option<&str>, region: &str, name: &str) -> String {
    format!(
        "run:{}:{region}:{}",
        project.unwrap_or(""),
        last_segment(name)
    )
}

/// The reference serverless network endpoint groups use for a function.
pub(super) fn function_key(project: Option<&str>, region: &str, name: &str) -> String {
    format!(
        "function:{}:{region}:{}",
        project.unwrap_or(""),
        last_segment(name)
    )
}
