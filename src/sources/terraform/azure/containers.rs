//! Containers and APIs: registries, Container Apps, container groups, API Management.
//!
//! - `azurerm_container_registry`: `zone_redundancy_enabled` → over the region's zones;
//!   else unpinned.
//! - `azurerm_container_app_environment`: `zone_redundancy_enabled` → over the region's
//!   zones; else unpinned. Requires its infrastructure subnet (and that subnet's NAT
//!   gateway). `azurerm_container_app`: regional, requiring its environment; external
//!   ingress makes it an entry point.
//! - `azurerm_container_group` (Container Instances): zonal in its zone, unpinned without.
//! - `azurerm_api_management`: in its `zones`, unpinned without (Consumption: regional);
//!   an entry point unless deployed into a virtual network as `Internal`.
//! - `azurerm_cosmosdb_postgresql_cluster`: `ha_enabled` → over the region's zones; else
//!   zonal in `preferred_primary_zone`, unpinned without.

use serde_json::json;

use super::super::build::{Entry, Index, Made};
use super::network::attach_subnets;
use super::zones::{Zoning, zoning};
use super::{Facts, Home};
use crate::model::RequirementGroup;

const FOLDED: &[&str] = &[
    "azurerm_container_registry_webhook",
    "azurerm_container_registry_scope_map",
    "azurerm_container_registry_token",
    "azurerm_container_app_environment_certificate",
    "azurerm_container_app_custom_domain",
    "azurerm_api_management_api",
    "azurerm_api_management_api_operation",
    "azurerm_api_management_api_policy",
    "azurerm_api_management_product",
    "azurerm_api_management_product_api",
    "azurerm_api_management_named_value",
    "azurerm_api_management_logger",
    "azurerm_api_management_backend",
    "azurerm_api_management_subscription",
];

/// Map a container or API instance: `None` for another group's type, `Some(None)` when
/// folded.
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
    let attrs = entry.attrs();
    Some(Some(match type_name {
        "azurerm_container_registry" => {
            let redundant = attrs.bool("zone_redundancy_enabled") == Some(true);
            let placed = redundant_or_unpinned(facts, home, redundant);
            let mut made = facts.made(
                index,
                entry,
                home,
                "azure:containerregistry:registry",
                placed,
            );
            let attributes = &mut made.resource.attributes;
            attributes.insert("zone_redundant".into(), json!(redundant));
            if let Some(sku) = attrs.str("sku") {
                attributes.insert("sku".into(), json!(sku));
            }
            made
        }
        "azurerm_container_app_environment" => {
            let redundant = attrs.bool("zone_redundancy_enabled") == Some(true);
            let placed = redundant_or_unpinned(facts, home, redundant);
            let kind = "azure:app:managed-environment";
            let mut made = facts.made(index, entry, home, kind, placed);
            made.resource
                .attributes
                .insert("zone_redundant".into(), json!(redundant));
            let subnets: Vec<String> = attrs
                .strs("infrastructure_subnet_id")
                .iter()
                .map(|s| s.to_string())
                .collect();
            attach_subnets(facts, &mut made.resource, &subnets);
            made
        }
        "azurerm_container_app" => container_app(facts, index, entry, home),
        "azurerm_container_group" => {
            let placed = facts.placed(home, &zoning(attrs, &["zones"]), true);
            let mut made = facts.made(
                index,
                entry,
                home,
                "azure:containerinstance:container-group",
                placed,
            );
            let subnets: Vec<String> = attrs
                .strs("subnet_ids")
                .iter()
                .map(|s| s.to_string())
                .collect();
            attach_subnets(facts, &mut made.resource, &subnets);
            made
        }
        "azurerm_api_management" => api_management(facts, index, entry, home),
        "azurerm_cosmosdb_postgresql_cluster" => {
            let ha = attrs.bool("ha_enabled") == Some(true);
            let placed = if ha {
                facts.redundant(home, true)
            } else {
                facts.placed(home, &zoning(attrs, &["preferred_primary_zone"]), true)
            };
            let kind = "azure:cosmosdb:postgresql-cluster";
            let mut made = facts.made(index, entry, home, kind, placed);
            made.resource
                .attributes
                .insert("ha_enabled".into(), json!(ha));
            if let Some(nodes) = attrs.num("node_count") {
                made.resource
                    .attributes
                    .insert("node_count".into(), json!(nodes as u64));
            }
            made
        }
        _ => return None,
    }))
}

fn redundant_or_unpinned(facts: &Facts, home: &Home, redundant: bool) -> super::zones::Placed {
    if redundant {
        facts.redundant(home, true)
    } else {
        facts.pinned(home, &[])
    }
}

fn container_app(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let placed = facts.regional(home);
    let mut made = facts.made(index, entry, home, "azure:app:container-app", placed);
    let resource = &mut made.resource;
    if let Some(environment) = attrs.str("container_app_environment_id") {
        resource
            .requirements
            .push(RequirementGroup::requires(environment).with_label("in environment"));
    }
    let external = attrs
        .block("ingress")
        .is_some_and(|i| i.bool("external_enabled") == Some(true));
    if external {
        resource
            .attributes
            .insert("entry_point".into(), json!(true));
    }
    if let Some(fqdn) = attrs.block("ingress").and_then(|i| i.str("fqdn")) {
        resource.attributes.insert("fqdn".into(), json!(fqdn));
    }
    made
}

fn api_management(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let sku = attrs.str("sku_name").unwrap_or_default();
    let zones = zoning(attrs, &["zones"]);
    let placed = if sku.to_ascii_lowercase().starts_with("consumption") && zones == Zoning::Unset {
        facts.regional(home)
    } else {
        facts.placed(home, &zones, false)
    };
    let mut made = facts.made(index, entry, home, "azure:apimanagement:service", placed);
    let resource = &mut made.resource;
    resource.attributes.insert("sku_name".into(), json!(sku));
    let locations: Vec<String> = attrs
        .blocks("additional_location")
        .iter()
        .filter_map(|l| l.str("location").map(super::normalise_location))
        .collect();
    resource
        .attributes
        .insert("additional_locations".into(), json!(locations));
    let internal = attrs
        .str("virtual_network_type")
        .is_some_and(|t| t.eq_ignore_ascii_case("internal"));
    if !internal {
        resource
            .attributes
            .insert("entry_point".into(), json!(true));
    }
    for config in attrs.blocks("virtual_network_configuration") {
        if let Some(subnet) = config.str("subnet_id") {
            resource
                .requirements
                .push(RequirementGroup::requires(subnet).with_label("in subnet"));
        }
    }
    if let Some(ip) = attrs.str("public_ip_address_id") {
        resource
            .requirements
            .push(RequirementGroup::requires(ip).with_label("public IP"));
    }
    made
}
