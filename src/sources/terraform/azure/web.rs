//! App Service.
//!
//! - `azurerm_service_plan` (`zone_balancing_enabled`), `azurerm_app_service_plan` (legacy,
//!   `zone_redundant`): zone-redundant over the region's zones, else unpinned — a plan's
//!   workers without zone balancing may all sit in one zone.
//! - `azurerm_linux_web_app`, `azurerm_windows_web_app`, `azurerm_app_service` (legacy) and
//!   the function apps: regional, requiring their plan; web apps open to the internet are
//!   entry points. Slots and host name bindings are folded.

use serde_json::json;

use super::super::build::{Entry, Index, Made};
use super::{Facts, Home};
use crate::model::RequirementGroup;

const FOLDED: &[&str] = &[
    "azurerm_linux_web_app_slot",
    "azurerm_windows_web_app_slot",
    "azurerm_app_service_slot",
    "azurerm_linux_function_app_slot",
    "azurerm_windows_function_app_slot",
    "azurerm_function_app_slot",
    "azurerm_app_service_custom_hostname_binding",
    "azurerm_app_service_virtual_network_swift_connection",
    "azurerm_app_service_certificate_binding",
];

const WEB_APPS: &[&str] = &[
    "azurerm_linux_web_app",
    "azurerm_windows_web_app",
    "azurerm_app_service",
];

const FUNCTION_APPS: &[&str] = &[
    "azurerm_linux_function_app",
    "azurerm_windows_function_app",
    "azurerm_function_app",
];

/// Map an App Service instance: `None` for another group's type, `Some(None)` when folded.
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
        "azurerm_service_plan" | "azurerm_app_service_plan" => plan(facts, index, entry, home),
        t if WEB_APPS.contains(&t) || FUNCTION_APPS.contains(&t) => {
            app(facts, index, entry, home, WEB_APPS.contains(&t))
        }
        _ => return None,
    }))
}

fn plan(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let zone_redundant = attrs
        .bool("zone_balancing_enabled")
        .or_else(|| attrs.bool("zone_redundant"))
        .unwrap_or(false);
    let placed = if zone_redundant {
        facts.redundant(home, true)
    } else {
        facts.pinned(home, &[])
    };
    let mut made = facts.made(index, entry, home, "azure:web:service-plan", placed);
    let attributes = &mut made.resource.attributes;
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    let legacy = attrs.block("sku");
    let sku = attrs
        .str("sku_name")
        .or_else(|| legacy.and_then(|s| s.str("size")));
    if let Some(sku) = sku {
        attributes.insert("sku_name".into(), json!(sku));
    }
    let workers = attrs
        .num("worker_count")
        .or_else(|| legacy.and_then(|s| s.num("capacity")));
    if let Some(workers) = workers {
        attributes.insert("worker_count".into(), json!(workers as u64));
    }
    if let Some(os) = attrs.str("os_type").or_else(|| attrs.str("kind")) {
        attributes.insert("os_type".into(), json!(os));
    }
    made
}

fn app(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home, web: bool) -> Made {
    let attrs = entry.attrs();
    let placed = facts.regional(home);
    let mut made = facts.made(index, entry, home, "azure:web:site", placed);
    let resource = &mut made.resource;
    let attributes = &mut resource.attributes;
    attributes.insert(
        "app_kind".into(),
        json!(if web { "web" } else { "function" }),
    );
    let host = attrs
        .str("default_hostname")
        .or_else(|| attrs.str("default_site_hostname"));
    if let Some(host) = host {
        attributes.insert("default_hostname".into(), json!(host));
    }
    let public = attrs.bool("public_network_access_enabled") != Some(false);
    if web && public {
        attributes.insert("entry_point".into(), json!(true));
    }
    let plan = attrs
        .str("service_plan_id")
        .or_else(|| attrs.str("app_service_plan_id"));
    if let Some(plan) = plan {
        attributes.insert("service_plan".into(), json!(plan));
        resource
            .requirements
            .push(RequirementGroup::requires(plan).with_label("on plan"));
    }
    made
}
