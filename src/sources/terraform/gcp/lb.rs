//! Cloud Load Balancing: forwarding rules → target proxies → URL maps → backend services →
//! instance groups and network endpoint groups, as requirement edges from the entry point
//! down to the backends. Global objects of a global load balancer are global; their
//! regional variants are regional. Health checks, certificates and security policies are
//! configuration read by Google's front ends, not something traffic passes through: they
//! are kept as resources without edges, their names kept as attributes of what uses them.

use serde_json::{Value, json};

use super::facts::{Facts, network_key};
use super::location::{last_segment, resource_path};
use super::{Needs, Spot, set};
use crate::model::Resource;
use crate::sources::terraform::attrs::Attrs;
use crate::sources::terraform::build::{Entry, Index, Made, Notes};

/// Load-balancing schemes that face the internet.
const EXTERNAL_SCHEMES: &[&str] = &["EXTERNAL", "EXTERNAL_MANAGED"];

impl Facts {
    /// The load-balancing types; `None` for another type.
    pub(super) fn load_balancing(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        notes: &mut Notes,
    ) -> Option<Made> {
        let type_name = entry.type_name();
        // Regional variants are named so; target pools and target instances are regional
        // and zonal objects of network load balancing.
        let global = !type_name.starts_with("google_compute_region_")
            && !matches!(
                type_name,
                "google_compute_target_pool" | "google_compute_target_instance"
            );
        let spot = || {
            if global {
                Spot::global()
            } else {
                Spot::regional(None)
            }
        };
        let resource = |kind: &str| {
            let mut resource = self.resource(index, entry, kind);
            set(
                &mut resource,
                "scope",
                Some(if global { "global" } else { "regional" }),
            );
            resource
        };
        let made = match type_name {
            "google_compute_backend_service" | "google_compute_region_backend_service" => {
                let resource = resource("gcp:compute:backend-service");
                self.backend_service(resource, entry.attrs(), spot(), entry, notes)
            }
            "google_compute_backend_bucket" => {
                let mut resource = resource("gcp:compute:backend-bucket");
                let bucket = entry.attrs().str("bucket_name");
                resource.needs(bucket.map(|b| format!("gs://{b}")), "bucket");
                self.place(resource, spot(), entry, notes)
            }
            "google_compute_url_map" | "google_compute_region_url_map" => {
                self.url_map(resource("gcp:compute:url-map"), entry, spot(), notes)
            }
            "google_compute_target_http_proxy"
            | "google_compute_target_https_proxy"
            | "google_compute_region_target_http_proxy"
            | "google_compute_region_target_https_proxy"
            | "google_compute_target_tcp_proxy"
            | "google_compute_target_ssl_proxy"
            | "google_compute_region_target_tcp_proxy" => {
                self.proxy(resource(""), entry, spot(), notes)
            }
            "google_compute_target_pool" => {
                let resource = resource("gcp:compute:target-pool");
                self.target_pool(index, resource, entry, notes)
            }
            "google_compute_target_instance" => {
                self.target_instance(resource("gcp:compute:target-instance"), entry, notes)
            }
            "google_compute_global_forwarding_rule" | "google_compute_forwarding_rule" => {
                let global = type_name == "google_compute_global_forwarding_rule";
                self.forwarding_rule(index, entry, notes, global)
            }
            "google_compute_health_check"
            | "google_compute_region_health_check"
            | "google_compute_http_health_check"
            | "google_compute_https_health_check" => {
                let resource = resource("gcp:compute:health-check");
                self.place(resource, spot(), entry, notes)
            }
            "google_compute_ssl_certificate"
            | "google_compute_managed_ssl_certificate"
            | "google_compute_region_ssl_certificate" => {
                let resource = resource("gcp:compute:ssl-certificate");
                self.place(resource, spot(), entry, notes)
            }
            "google_compute_security_policy" | "google_compute_region_security_policy" => {
                let resource = resource("gcp:compute:security-policy");
                self.place(resource, spot(), entry, notes)
            }
            "google_compute_ssl_policy" | "google_compute_region_ssl_policy" => {
                let resource = resource("gcp:compute:ssl-policy");
                self.place(resource, spot(), entry, notes)
            }
            "google_compute_network_endpoint_group"
            | "google_compute_region_network_endpoint_group"
            | "google_compute_global_network_endpoint_group" => {
                self.endpoint_group(index, entry, notes)
            }
            _ => return None,
        };
        Some(made)
    }

    /// A URL map requires every service it routes to.
    fn url_map(
        &self,
        mut resource: Resource,
        entry: Entry<'_>,
        spot: Spot,
        notes: &mut Notes,
    ) -> Made {
        let mut services = Vec::new();
        collect_services(entry.attrs().0, 0, &mut services);
        services.sort();
        services.dedup();
        for service in services {
            resource.needs(Some(service), "routes to");
        }
        self.place(resource, spot, entry, notes)
    }

    /// A target instance: zonal in its `zone`, requiring its instance.
    fn target_instance(&self, mut resource: Resource, entry: Entry<'_>, notes: &mut Notes) -> Made {
        set(&mut resource, "scope", Some("zonal"));
        let attrs = entry.attrs();
        let zone = attrs.str("zone").map(last_segment);
        let scope = format!("zones/{}/instances", zone.clone().unwrap_or_default());
        let instance = attrs
            .str("instance")
            .and_then(|i| resource_path(i, resource.account.as_deref(), &scope));
        resource.needs(instance, "instance");
        let spot = zone
            .as_deref()
            .and_then(Spot::zonal)
            .unwrap_or_else(|| Spot::unpinned(None));
        self.place(resource, spot, entry, notes)
    }

    /// Target proxies: an HTTP(S) proxy requires its URL map (certificates kept by name), a
    /// TCP or SSL proxy its backend service.
    fn proxy(
        &self,
        mut resource: Resource,
        entry: Entry<'_>,
        spot: Spot,
        notes: &mut Notes,
    ) -> Made {
        let attrs = entry.attrs();
        let type_name = entry.type_name();
        let kind = ["https_proxy", "http_proxy", "ssl_proxy", "tcp_proxy"]
            .into_iter()
            .find(|k| type_name.ends_with(k))
            .unwrap_or("http_proxy");
        resource.kind = format!("gcp:compute:target-{}", kind.replace('_', "-"));
        if kind.ends_with("ssl_proxy") || kind.ends_with("tcp_proxy") {
            let backend = attrs.str("backend_service").map(str::to_string);
            resource.needs(backend, "backend service");
        } else {
            resource.needs(attrs.str("url_map").map(str::to_string), "URL map");
        }
        if kind == "https_proxy" || kind == "ssl_proxy" {
            let certificates: Vec<String> = attrs
                .strs("ssl_certificates")
                .into_iter()
                .map(last_segment)
                .collect();
            resource
                .attributes
                .insert("ssl_certificates".into(), json!(certificates));
        }
        self.place(resource, spot, entry, notes)
    }

    /// `google_compute_backend_service` (global) and its regional variant: needs any of its
    /// backends' groups (instance groups, network endpoint groups); a backend drained to
    /// `capacity_scaler = 0` beside others that are not takes no traffic and does not count.
    /// Health checks are kept by name.
    fn backend_service(
        &self,
        mut resource: Resource,
        attrs: Attrs<'_>,
        spot: Spot,
        entry: Entry<'_>,
        notes: &mut Notes,
    ) -> Made {
        let backends = attrs.blocks("backend");
        let group = |b: &Attrs<'_>| b.str("group").map(str::to_string);
        let mut groups: Vec<String> = backends
            .iter()
            .filter(|b| b.num("capacity_scaler").is_none_or(|c| c > 0.0))
            .filter_map(group)
            .collect();
        if groups.is_empty() {
            // Every backend at 0 (serverless backends may be written so): none is drained
            // in favour of another, so all count.
            groups = backends.iter().filter_map(group).collect();
        }
        set(&mut resource, "backends", Some(backends.len() as u64));
        set(
            &mut resource,
            "load_balancing_scheme",
            attrs.str("load_balancing_scheme"),
        );
        set(&mut resource, "protocol", attrs.str("protocol"));
        let checks: Vec<String> = attrs
            .strs("health_checks")
            .into_iter()
            .map(last_segment)
            .collect();
        resource
            .attributes
            .insert("health_checks".into(), json!(checks));
        set(
            &mut resource,
            "security_policy",
            attrs.str("security_policy").map(last_segment),
        );
        resource.needs_any(groups, "backends");
        self.place(resource, spot, entry, notes)
    }

    /// `google_compute_target_pool` (network load balancing, regional): needs any of its
    /// instances, of the managed groups that add theirs to it, or of its backup pool.
    /// Instances the groups create are not in the state: with groups present, only the
    /// instances the estate holds count.
    fn target_pool(
        &self,
        index: &Index<'_>,
        mut resource: Resource,
        entry: Entry<'_>,
        notes: &mut Notes,
    ) -> Made {
        let attrs = entry.attrs();
        let project = resource.account.clone();
        let keys = [attrs.str("self_link"), attrs.str("id")];
        let groups: Vec<String> = keys
            .into_iter()
            .flatten()
            .find_map(|k| self.pool_groups.get(&super::location::path_key(k)))
            .cloned()
            .unwrap_or_default();
        let mut members: Vec<String> = Vec::new();
        for instance in attrs.strs("instances") {
            // `zone/name`, a path or a URL.
            let path = match instance.split_once('/') {
                Some((zone, name)) if !instance.contains("projects/") && !name.contains('/') => {
                    project
                        .as_deref()
                        .map(|p| format!("projects/{p}/zones/{zone}/instances/{name}"))
                }
                _ => resource_path(instance, project.as_deref(), "instances"),
            };
            members.extend(path);
        }
        if !groups.is_empty() {
            members.retain(|m| index.lookup(m).is_some_and(|e| !e.instance.data));
        }
        members.extend(groups);
        members.extend(attrs.str("backup_pool").map(str::to_string));
        set(
            &mut resource,
            "session_affinity",
            attrs.str("session_affinity"),
        );
        resource.needs_any(members, "instances");
        self.place(resource, Spot::regional(None), entry, notes)
    }

    /// `google_compute_global_forwarding_rule` (global) and `google_compute_forwarding_rule`
    /// (regional): requires its `target` (a proxy, target pool or target instance) or its
    /// `backend_service`. An `EXTERNAL` or `EXTERNAL_MANAGED` scheme (the provider's default
    /// when the attribute is absent) makes it an internet-facing entry point.
    fn forwarding_rule(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        notes: &mut Notes,
        global: bool,
    ) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:forwarding-rule");
        let scheme = match attrs.get("load_balancing_scheme") {
            None => Some("EXTERNAL".to_string()),
            Some(Value::String(s)) => Some(s.trim().to_ascii_uppercase()),
            Some(_) => None,
        };
        let external = scheme
            .as_deref()
            .is_some_and(|s| EXTERNAL_SCHEMES.contains(&s));
        set(
            &mut resource,
            "scope",
            Some(if global { "global" } else { "regional" }),
        );
        set(
            &mut resource,
            "load_balancing_scheme",
            scheme.filter(|s| !s.is_empty()),
        );
        set(&mut resource, "ip_address", attrs.str("ip_address"));
        set(&mut resource, "port_range", attrs.str("port_range"));
        if external {
            resource
                .attributes
                .insert("entry_point".into(), json!(true));
        }
        // `target` may also be a Google API bundle (`all-apis`) for Private Service Connect.
        let target = attrs.str("target").filter(|t| t.contains('/'));
        match target {
            Some(target) => resource.needs(Some(target.to_string()), "target"),
            None => resource.needs(
                attrs.str("backend_service").map(str::to_string),
                "backend service",
            ),
        }
        let spot = if global {
            Spot::global()
        } else {
            Spot::regional(None)
        };
        self.place(resource, spot, entry, notes)
    }

    /// Network endpoint groups: a zonal group (VM or container endpoints) is zonal in its
    /// `zone` and needs any of the instances registered in it; a regional serverless group
    /// is regional and requires its Cloud Run service or function; a global (internet)
    /// group is global and points outside Google Cloud.
    fn endpoint_group(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:network-endpoint-group");
        set(
            &mut resource,
            "network_endpoint_type",
            attrs.str("network_endpoint_type"),
        );
        let project = resource.account.clone();
        let spot = match entry.type_name() {
            "google_compute_network_endpoint_group" => {
                set(&mut resource, "scope", Some("zonal"));
                let members = [attrs.str("self_link"), attrs.str("id")]
                    .into_iter()
                    .flatten()
                    .find_map(|k| self.neg_endpoints.get(&super::location::path_key(k)))
                    .cloned()
                    .unwrap_or_default();
                resource.needs_any(members, "endpoints");
                let network = network_key(attrs.str("network"), project.as_deref());
                resource.needs(
                    attrs.str("subnetwork").map(str::to_string).or(network),
                    "in network",
                );
                attrs
                    .str("zone")
                    .and_then(Spot::zonal)
                    .unwrap_or_else(|| Spot::unpinned(None))
            }
            "google_compute_region_network_endpoint_group" => {
                set(&mut resource, "scope", Some("regional"));
                let region = resource.region.clone().unwrap_or_default();
                let serverless = serverless_target(attrs, project.as_deref(), &region);
                resource.needs(serverless, "serverless backend");
                Spot::regional(None)
            }
            _ => {
                set(&mut resource, "scope", Some("global"));
                Spot::global()
            }
        };
        self.place(resource, spot, entry, notes)
    }
}

/// The Cloud Run service or function a serverless network endpoint group sends to.
fn serverless_target(attrs: Attrs<'_>, project: Option<&str>, region: &str) -> Option<String> {
    if let Some(service) = attrs.block("cloud_run").and_then(|r| r.str("service")) {
        return Some(super::platform::run_key(project, region, service));
    }
    if let Some(function) = attrs
        .block("cloud_function")
        .and_then(|f| f.str("function"))
    {
        return Some(super::platform::function_key(project, region, function));
    }
    None
}

/// Every backend service or bucket a URL map routes to, at any depth (`default_service`,
/// `path_matcher[].default_service`, `path_rule[].service`, `route_rules[].service`,
/// weighted backend services), skipping test cases.
fn collect_services(value: &Value, depth: usize, into: &mut Vec<String>) {
    if depth > 8 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("test", _) => {}
                    ("service" | "default_service" | "backend_service", Value::String(s))
                        if s.contains('/') =>
                    {
                        into.push(s.clone())
                    }
                    _ => collect_services(inner, depth + 1, into),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_services(item, depth + 1, into);
            }
        }
        _ => {}
    }
}
