//! The network perimeter: firewalls, VPN and ExpressRoute gateways, private endpoints.
//!
//! - `azurerm_firewall`: in its `zones` (zonal in one, zone-redundant in several), unpinned
//!   without; requires its subnet and public IPs.
//! - `azurerm_virtual_network_gateway`: the zone-redundant SKUs (`…AZ`, `ErGwScale`) span
//!   the region's zones; every other SKU is deployed without availability zones (unpinned).
//!   Requires its `GatewaySubnet` and public IPs; connections are folded into it.
//! - `azurerm_local_network_gateway` (the on-premises side, as Azure records it),
//!   `azurerm_network_watcher`: regional.
//! - `azurerm_private_endpoint`: regional, requiring its subnet and the resource it links to.

use serde_json::json;

use super::super::build::{Entry, Index, Made};
use super::zones::zoning;
use super::{Facts, Home};
use crate::model::{RequirementGroup, Resource};

const FOLDED: &[&str] = &[
    "azurerm_virtual_network_gateway_connection",
    "azurerm_firewall_policy_rule_collection_group",
    "azurerm_firewall_network_rule_collection",
    "azurerm_firewall_application_rule_collection",
    "azurerm_firewall_nat_rule_collection",
];

/// Map a perimeter instance: `None` for another group's type, `Some(None)` when folded.
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
        "azurerm_firewall" => firewall(facts, index, entry, home),
        "azurerm_virtual_network_gateway" => network_gateway(facts, index, entry, home),
        "azurerm_local_network_gateway" => {
            let placed = facts.regional(home);
            facts.made(
                index,
                entry,
                home,
                "azure:network:local-network-gateway",
                placed,
            )
        }
        "azurerm_network_watcher" => {
            let placed = facts.regional(home);
            facts.made(index, entry, home, "azure:network:network-watcher", placed)
        }
        "azurerm_firewall_policy" => {
            let placed = facts.regional(home);
            facts.made(index, entry, home, "azure:network:firewall-policy", placed)
        }
        "azurerm_private_endpoint" => private_endpoint(facts, index, entry, home),
        _ => return None,
    }))
}

/// The subnets and public IPs of `ip_configuration` blocks, as requirements.
fn ip_configurations(entry: Entry<'_>, resource: &mut Resource) {
    let attrs = entry.attrs();
    let configs = attrs
        .blocks("ip_configuration")
        .into_iter()
        .chain(attrs.blocks("management_ip_configuration"));
    let mut seen: Vec<String> = Vec::new();
    for config in configs {
        for (key, label) in [
            ("subnet_id", "in subnet"),
            ("public_ip_address_id", "public IP"),
        ] {
            if let Some(id) = config.str(key)
                && !seen.iter().any(|s| s.eq_ignore_ascii_case(id))
            {
                seen.push(id.to_string());
                resource
                    .requirements
                    .push(RequirementGroup::requires(id).with_label(label));
            }
        }
    }
}

fn firewall(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let placed = facts.placed(home, &zoning(attrs, &["zones"]), false);
    let mut made = facts.made(index, entry, home, "azure:network:firewall", placed);
    for name in ["sku_name", "sku_tier"] {
        if let Some(value) = attrs.str(name) {
            made.resource.attributes.insert(name.into(), json!(value));
        }
    }
    ip_configurations(entry, &mut made.resource);
    made
}

fn network_gateway(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let sku = attrs.str("sku").unwrap_or_default();
    let zone_redundant =
        sku.to_ascii_uppercase().ends_with("AZ") || sku.eq_ignore_ascii_case("ErGwScale");
    let placed = if zone_redundant {
        facts.redundant(home, true)
    } else {
        facts.pinned(home, &[])
    };
    let kind = "azure:network:virtual-network-gateway";
    let mut made = facts.made(index, entry, home, kind, placed);
    let attributes = &mut made.resource.attributes;
    attributes.insert("sku".into(), json!(sku));
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    if let Some(kind) = attrs.str("type") {
        attributes.insert("gateway_type".into(), json!(kind));
    }
    if let Some(active) = attrs.bool("active_active") {
        attributes.insert("active_active".into(), json!(active));
    }
    ip_configurations(entry, &mut made.resource);
    made
}

fn private_endpoint(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let placed = facts.regional(home);
    let mut made = facts.made(index, entry, home, "azure:network:private-endpoint", placed);
    let resource = &mut made.resource;
    if let Some(subnet) = attrs.str("subnet_id") {
        resource
            .requirements
            .push(RequirementGroup::requires(subnet).with_label("in subnet"));
    }
    for connection in attrs.blocks("private_service_connection") {
        if let Some(target) = connection.str("private_connection_resource_id") {
            resource
                .requirements
                .push(RequirementGroup::requires(target).with_label("private link to"));
        }
    }
    made
}
