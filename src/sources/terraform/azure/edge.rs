//! The global edge: DNS, Traffic Manager, Front Door, CDN — global placement (their data
//! planes run in every region; they fail with Azure itself).
//!
//! - `azurerm_dns_zone`, `azurerm_private_dns_zone`: global.
//! - `azurerm_dns_a_record`, `azurerm_dns_aaaa_record`, `azurerm_dns_cname_record`: global
//!   entry points requiring their zone and any of their targets (`target_resource_id`, or
//!   the IPs and host names the estate holds: public IPs, load balancer frontends, web apps,
//!   Traffic Manager and Front Door endpoints). Other record types are folded.
//! - `azurerm_traffic_manager_profile`: a global entry point needing any of its enabled
//!   endpoints' targets; the endpoints are folded.
//! - `azurerm_frontdoor` (classic) and `azurerm_cdn_frontdoor_profile`: global entry points
//!   needing, per backend pool / origin group, any of its backends; endpoints, origins,
//!   routes, rules and policies are folded. `azurerm_cdn_endpoint`: likewise over its
//!   origins; `azurerm_cdn_profile`: global.

use serde_json::json;

use super::super::build::{Entry, Index, Made};
use super::zones::Placed;
use super::{Facts, Home, parent_id};
use crate::model::{Placement, RequirementGroup, Resource};

const FOLDED: &[&str] = &[
    "azurerm_traffic_manager_endpoint",
    "azurerm_traffic_manager_azure_endpoint",
    "azurerm_traffic_manager_external_endpoint",
    "azurerm_traffic_manager_nested_endpoint",
    "azurerm_frontdoor_custom_https_configuration",
    "azurerm_frontdoor_rules_engine",
    "azurerm_frontdoor_firewall_policy",
    "azurerm_cdn_frontdoor_endpoint",
    "azurerm_cdn_frontdoor_origin_group",
    "azurerm_cdn_frontdoor_origin",
    "azurerm_cdn_frontdoor_route",
    "azurerm_cdn_frontdoor_custom_domain",
    "azurerm_cdn_frontdoor_custom_domain_association",
    "azurerm_cdn_frontdoor_rule_set",
    "azurerm_cdn_frontdoor_rule",
    "azurerm_cdn_frontdoor_security_policy",
    "azurerm_cdn_frontdoor_firewall_policy",
    "azurerm_cdn_frontdoor_secret",
];

fn global() -> Placed {
    Placed::new(Placement::Global {
        control_plane_region: None,
    })
}

/// Map an edge instance: `None` for another group's type, `Some(None)` when folded.
pub fn map(
    facts: &Facts,
    index: &Index<'_>,
    entry: Entry<'_>,
    home: &Home,
) -> Option<Option<Made>> {
    let type_name = entry.type_name();
    if FOLDED.contains(&type_name) {
        return Some(None);
    }
    Some(Some(match type_name {
        "azurerm_dns_zone" => facts.made(index, entry, home, "azure:dns:zone", global()),
        "azurerm_private_dns_zone" => {
            facts.made(index, entry, home, "azure:dns:private-zone", global())
        }
        "azurerm_dns_a_record" | "azurerm_dns_aaaa_record" | "azurerm_dns_cname_record" => {
            dns_record(facts, index, entry, home)
        }
        "azurerm_traffic_manager_profile" => traffic_manager(facts, index, entry, home),
        "azurerm_frontdoor" => front_door(facts, index, entry, home),
        "azurerm_cdn_frontdoor_profile" => front_door_profile(facts, index, entry, home),
        "azurerm_cdn_profile" => facts.made(index, entry, home, "azure:cdn:profile", global()),
        "azurerm_cdn_endpoint" => cdn_endpoint(facts, index, entry, home),
        _ => return None,
    }))
}

/// Requires any of the targets the estate holds (label `label`); the count of the others
/// is kept as `unresolved_targets`.
fn any_target(facts: &Facts, resource: &mut Resource, targets: &[&str], label: &str) -> usize {
    let mut members = Vec::new();
    let mut unresolved = 0;
    for target in targets {
        match facts.links.target(target) {
            Some(member) => members.push(member),
            None => unresolved += 1,
        }
    }
    if !members.is_empty() {
        resource
            .requirements
            .push(RequirementGroup::any_of(members, None).with_label(label));
    }
    unresolved
}

fn entry_point(resource: &mut Resource) {
    resource
        .attributes
        .insert("entry_point".into(), json!(true));
}

fn dns_record(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let record_type = match entry.type_name() {
        "azurerm_dns_a_record" => "A",
        "azurerm_dns_aaaa_record" => "AAAA",
        _ => "CNAME",
    };
    let mut made = facts.made(index, entry, home, "azure:dns:record", global());
    let resource = &mut made.resource;
    entry_point(resource);
    resource
        .attributes
        .insert("record_type".into(), json!(record_type));
    let zone = attrs.str("id").and_then(parent_id).or_else(|| {
        let (sub, group, name) = (
            home.subscription.as_deref()?,
            attrs.str("resource_group_name")?,
            attrs.str("zone_name")?,
        );
        Some(format!(
            "/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Network/dnsZones/{name}"
        ))
    });
    if let Some(zone) = zone {
        resource
            .requirements
            .push(RequirementGroup::requires(zone).with_label("in DNS zone"));
    }
    if let Some(target) = attrs.str("target_resource_id") {
        resource
            .attributes
            .insert("alias_target".into(), json!(target));
        let target = facts
            .links
            .target(target)
            .unwrap_or_else(|| target.to_string());
        resource
            .requirements
            .push(RequirementGroup::requires(target).with_label("alias target"));
        return made;
    }
    let mut targets = attrs.strs("records");
    targets.extend(attrs.strs("record"));
    resource.attributes.insert("records".into(), json!(targets));
    let unresolved = any_target(facts, resource, &targets, "any record target");
    resource
        .attributes
        .insert("unresolved_targets".into(), json!(unresolved));
    made
}

fn traffic_manager(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let kind = "azure:network:traffic-manager-profile";
    let mut made = facts.made(index, entry, home, kind, global());
    let resource = &mut made.resource;
    entry_point(resource);
    if let Some(method) = attrs.str("traffic_routing_method") {
        resource
            .attributes
            .insert("routing_method".into(), json!(method));
    }
    let targets: Vec<String> = attrs
        .str("id")
        .and_then(|id| facts.links.tm_targets.get(&super::super::build::key(id)))
        .cloned()
        .unwrap_or_default();
    let refs: Vec<&str> = targets.iter().map(String::as_str).collect();
    resource
        .attributes
        .insert("endpoints".into(), json!(refs.len()));
    let unresolved = any_target(facts, resource, &refs, "any enabled endpoint");
    resource
        .attributes
        .insert("unresolved_targets".into(), json!(unresolved));
    made
}

fn front_door(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let mut made = facts.made(index, entry, home, "azure:network:front-door", global());
    let resource = &mut made.resource;
    entry_point(resource);
    let mut unresolved = 0;
    for pool in attrs.blocks("backend_pool") {
        let name = pool.str("name").unwrap_or_default();
        let addresses: Vec<&str> = pool
            .blocks("backend")
            .iter()
            .filter(|b| b.bool("enabled") != Some(false))
            .filter_map(|b| b.str("address"))
            .collect();
        let label = format!("backend pool {name}");
        unresolved += any_target(facts, resource, &addresses, &label);
    }
    resource
        .attributes
        .insert("unresolved_targets".into(), json!(unresolved));
    made
}

fn front_door_profile(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let kind = "azure:cdn:front-door-profile";
    let mut made = facts.made(index, entry, home, kind, global());
    let resource = &mut made.resource;
    entry_point(resource);
    if let Some(sku) = attrs.str("sku_name") {
        resource.attributes.insert("sku_name".into(), json!(sku));
    }
    let groups = attrs
        .str("id")
        .and_then(|id| facts.links.fd_groups.get(&super::super::build::key(id)))
        .cloned()
        .unwrap_or_default();
    let mut unresolved = 0;
    for (group, origins) in &groups {
        let refs: Vec<&str> = origins.iter().map(String::as_str).collect();
        let label = format!("origin group {}", super::last_segment(group));
        unresolved += any_target(facts, resource, &refs, &label);
    }
    resource
        .attributes
        .insert("origin_groups".into(), json!(groups.len()));
    resource
        .attributes
        .insert("unresolved_targets".into(), json!(unresolved));
    made
}

fn cdn_endpoint(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let mut made = facts.made(index, entry, home, "azure:cdn:endpoint", global());
    let resource = &mut made.resource;
    entry_point(resource);
    let origins: Vec<&str> = attrs
        .blocks("origin")
        .iter()
        .filter_map(|o| o.str("host_name"))
        .collect();
    let unresolved = any_target(facts, resource, &origins, "any origin");
    resource
        .attributes
        .insert("unresolved_targets".into(), json!(unresolved));
    made
}
