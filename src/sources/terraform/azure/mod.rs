//! Azure resources of Terraform state (the `azurerm` provider): kinds
//! `azure:<service>:<type>`, ids the Azure resource ids (compared case-insensitively, as
//! Azure does), subscription from the id, region from `location` (normalised: `East US` →
//! `eastus`) or, for child resources without one (subnets, databases, backend pools), from
//! the nearest parent in the estate.
//!
//! Placement follows Microsoft's reliability guides (see [`zones`]): zonal in the zone a
//! resource names, multi-zone over several, zone-redundant services over every zone of
//! their region, and `unpinned` for what is deployed without availability zones (a VM, disk
//! or scale set without `zone`, LRS storage, availability sets, single-server databases):
//! in one zone nobody chose, so the loss of any zone of the region may stop it.
//!
//! The table is split by service group: [`compute`] (VMs, availability sets, scale sets,
//! disks, AKS), [`network`] (virtual networks, subnets, NICs, public IPs, load balancers,
//! NAT gateways, Application Gateways), [`perimeter`] (firewalls, VPN and ExpressRoute
//! gateways, private endpoints), [`data`] (databases, caches, storage, messaging, Key
//! Vault), [`containers`] (registries, Container Apps, Container Instances, API
//! Management), [`web`] (App Service), [`edge`] (DNS, Traffic Manager, Front Door), each
//! type's rule documented where it is mapped. [`links`] gathers the facts that span instances
//! (which VM a NIC belongs to, a backend pool's members, a subnet's NAT gateway) once,
//! before any instance is mapped.

mod compute;
mod containers;
mod data;
mod edge;
mod links;
mod network;
mod perimeter;
mod web;
pub mod zones;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::build::{self, Entry, Index, Made, Notes, Outcome};
use crate::model::{Placement, Resource, Zone};
use links::Links;
use zones::{LOGICAL_ZONES, Placed, ZONED_REGIONS, Zoning, zone_id, zoning};

/// The subscription and region an Azure instance belongs to, as far as the state tells.
#[derive(Debug, Clone, Default)]
pub struct Home {
    pub subscription: Option<String>,
    pub region: Option<String>,
}

/// Attributes that name an instance's zones, in the order they are read: `zones` (3.x+
/// lists, and 1.x/2.x), `zone` (3.x+ single zone), `availability_zone` (2.x, with
/// `No-Zone`/`Zone-Redundant`), `availability_zones` (2.x AKS pools).
pub const ZONE_KEYS: &[&str] = &["zones", "zone", "availability_zone", "availability_zones"];

/// Types that describe configuration of another resource, or data inside it, with no
/// failure domain of their own: folded (counted, never dropped silently).
const FOLDED: &[&str] = &[
    "azurerm_role_assignment",
    "azurerm_role_definition",
    "azurerm_management_lock",
    "azurerm_monitor_diagnostic_setting",
    "azurerm_network_security_rule",
    "azurerm_subnet_network_security_group_association",
    "azurerm_network_interface_security_group_association",
    "azurerm_subnet_route_table_association",
    "azurerm_route",
    "azurerm_virtual_machine_extension",
    "azurerm_key_vault_access_policy",
    "azurerm_key_vault_secret",
    "azurerm_key_vault_key",
    "azurerm_key_vault_certificate",
    "azurerm_storage_container",
    "azurerm_storage_blob",
    "azurerm_storage_share",
    "azurerm_storage_queue",
    "azurerm_storage_table",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_postgresql_flexible_server_configuration",
    "azurerm_postgresql_flexible_server_firewall_rule",
    "azurerm_mysql_flexible_database",
    "azurerm_mysql_flexible_server_configuration",
    "azurerm_mysql_flexible_server_firewall_rule",
    "azurerm_postgresql_database",
    "azurerm_postgresql_configuration",
    "azurerm_postgresql_firewall_rule",
    "azurerm_mysql_database",
    "azurerm_mysql_configuration",
    "azurerm_mysql_firewall_rule",
    "azurerm_mssql_firewall_rule",
    "azurerm_sql_firewall_rule",
    "azurerm_mssql_virtual_network_rule",
    "azurerm_cosmosdb_sql_database",
    "azurerm_cosmosdb_sql_container",
    "azurerm_cosmosdb_mongo_database",
    "azurerm_cosmosdb_mongo_collection",
    "azurerm_servicebus_queue",
    "azurerm_servicebus_topic",
    "azurerm_servicebus_subscription",
    "azurerm_servicebus_namespace_authorization_rule",
    "azurerm_eventhub",
    "azurerm_eventhub_consumer_group",
    "azurerm_eventhub_namespace_authorization_rule",
    "azurerm_dns_txt_record",
    "azurerm_dns_mx_record",
    "azurerm_dns_ns_record",
    "azurerm_dns_srv_record",
    "azurerm_dns_caa_record",
    "azurerm_dns_ptr_record",
    "azurerm_private_dns_a_record",
    "azurerm_private_dns_cname_record",
    "azurerm_private_dns_zone_virtual_network_link",
    "azurerm_kubernetes_cluster_extension",
    "azurerm_private_dns_aaaa_record",
    "azurerm_private_dns_mx_record",
    "azurerm_private_dns_ptr_record",
    "azurerm_private_dns_srv_record",
    "azurerm_private_dns_txt_record",
    "azurerm_virtual_network_peering",
    "azurerm_application_security_group",
    "azurerm_network_interface_application_security_group_association",
    "azurerm_federated_identity_credential",
    "azurerm_monitor_action_group",
    "azurerm_monitor_metric_alert",
    "azurerm_monitor_activity_log_alert",
    "azurerm_monitor_scheduled_query_rules_alert",
    "azurerm_monitor_scheduled_query_rules_alert_v2",
    "azurerm_monitor_autoscale_setting",
    "azurerm_backup_policy_vm",
    "azurerm_backup_protected_vm",
    "azurerm_policy_definition",
    "azurerm_policy_set_definition",
    "azurerm_resource_group_policy_assignment",
    "azurerm_subscription_policy_assignment",
    "azurerm_management_group_policy_assignment",
    // azapi actions and updates act on a resource defined elsewhere.
    "azapi_resource_action",
    "azapi_update_resource",
];

/// What the Azure table learns from every instance before mapping any.
#[derive(Default)]
pub struct Facts {
    /// Per file: the subscription most of its resource ids name (for instances without one).
    file_subscription: Vec<Option<String>>,
    /// Regions with availability zones: [`ZONED_REGIONS`] and every region in which some
    /// resource of the estate names a zone.
    zoned_regions: HashSet<String>,
    /// Edges that span instances.
    links: Links,
    /// The (subscription, region) pairs whose zones some resource already declared.
    declared: RefCell<HashSet<(Option<String>, String)>>,
}

impl Facts {
    pub fn prepare(index: &Index<'_>) -> Facts {
        let mut facts = Facts {
            file_subscription: file_subscriptions(index),
            zoned_regions: ZONED_REGIONS.iter().map(|r| r.to_string()).collect(),
            links: Links::default(),
            declared: RefCell::default(),
        };
        let azure = |e: &&Entry<'_>| build::provider_of(&e.instance.provider) == "azure";
        for entry in index.managed.iter().chain(&index.data).filter(azure) {
            if zoning(entry.attrs(), ZONE_KEYS).is_explicit()
                && let Some(region) = facts.home(index, *entry).region
            {
                facts.zoned_regions.insert(region);
            }
        }
        facts.links = Links::gather(&facts, index);
        facts
    }

    /// The subscription (from the resource id, else the file's) and region (`location`,
    /// else the nearest parent's, else the resource group's) of an instance.
    pub fn home(&self, index: &Index<'_>, entry: Entry<'_>) -> Home {
        let attrs = entry.attrs();
        let id = attrs.str("id");
        let subscription = id
            .and_then(subscription_of)
            .or_else(|| self.file_subscription.get(entry.file).cloned().flatten());
        let location = attrs.str("location").map(normalise_location);
        // Global services (Front Door, Traffic Manager) write `location = "global"`.
        let global = location.as_deref() == Some("global");
        let mut region = location.filter(|_| !global);
        if region.is_none() && !global {
            let mut parents: Vec<String> = Vec::new();
            let mut at = id.and_then(parent_id);
            while let Some(parent) = at {
                at = parent_id(&parent);
                parents.push(parent);
            }
            if let (Some(sub), Some(group)) = (&subscription, attrs.str("resource_group_name")) {
                parents.push(format!("/subscriptions/{sub}/resourceGroups/{group}"));
            }
            region = parents.iter().find_map(|p| {
                index
                    .lookup(p)
                    .and_then(|e| e.attrs().str("location"))
                    .map(normalise_location)
            });
        }
        Home {
            subscription,
            region,
        }
    }

    /// The zone of logical zone `number` in the instance's subscription and region.
    pub fn zone(&self, home: &Home, number: &str) -> Option<Zone> {
        let region = home.region.clone()?;
        Some(Zone {
            id: zone_id(&region, number, home.subscription.as_deref()),
            provider: "azure".into(),
            region,
            name: Some(number.to_string()),
        })
    }

    /// Whether the instance's region has availability zones.
    fn zoned(&self, home: &Home) -> bool {
        home.region
            .as_ref()
            .is_some_and(|r| self.zoned_regions.contains(r))
    }

    /// The zones of the instance's region (1, 2 and 3 where the region has availability
    /// zones, none elsewhere), the first time they are asked for in this subscription and
    /// region: each is declared once however many resources live there.
    fn declare_region(&self, home: &Home) -> Vec<Zone> {
        let Some(region) = home.region.as_ref().filter(|_| self.zoned(home)) else {
            return Vec::new();
        };
        let first = self
            .declared
            .borrow_mut()
            .insert((home.subscription.clone(), region.clone()));
        if !first {
            return Vec::new();
        }
        LOGICAL_ZONES
            .iter()
            .filter_map(|n| self.zone(home, n))
            .collect()
    }

    /// The placement in the zones `numbers` names: zonal in one, multi-zone in several,
    /// unpinned in none (unknown when the region cannot be read).
    fn pinned_placement(&self, home: &Home, numbers: &[String]) -> Placement {
        let Some(region) = &home.region else {
            return Placement::Unknown;
        };
        let sub = home.subscription.as_deref();
        match numbers {
            [] => Placement::Unpinned,
            [one] => Placement::Zonal {
                zone: zone_id(region, one, sub),
            },
            many => Placement::MultiZone {
                zones: many.iter().map(|n| zone_id(region, n, sub)).collect(),
                inferred: false,
            },
        }
    }

    /// The placement of a zone-redundant resource that names no zones: over every zone of
    /// its region, regional where the region has none.
    fn redundant_placement(&self, home: &Home, inferred: bool) -> Placement {
        match &home.region {
            None => Placement::Unknown,
            Some(_) if !self.zoned(home) => Placement::Regional,
            Some(region) => Placement::MultiZone {
                zones: LOGICAL_ZONES
                    .iter()
                    .map(|n| zone_id(region, n, home.subscription.as_deref()))
                    .collect(),
                inferred,
            },
        }
    }

    /// What a zoning gives, without declaring zones (for facts gathered before mapping).
    pub fn placement_of(&self, home: &Home, zoning: &Zoning, single: bool) -> Placement {
        match zoning {
            Zoning::Unset => self.pinned_placement(home, &[]),
            Zoning::In(numbers) if single => self.pinned_placement(home, &numbers[..1]),
            Zoning::In(numbers) => self.pinned_placement(home, numbers),
            Zoning::Redundant => self.redundant_placement(home, false),
        }
    }

    /// A placement with the zones to declare for it: its region's (once per subscription
    /// and region, so an unpinned neighbour is cut by each), and any zone it names beyond
    /// them.
    fn with_zones(&self, home: &Home, placement: Placement, numbers: Vec<String>) -> Placed {
        let mut zones = match placement {
            Placement::Zonal { .. } | Placement::MultiZone { .. } | Placement::Unpinned => {
                self.declare_region(home)
            }
            _ => Vec::new(),
        };
        for number in &numbers {
            if !LOGICAL_ZONES.contains(&number.as_str()) || !self.zoned(home) {
                zones.extend(self.zone(home, number));
            }
        }
        Placed {
            placement,
            zones,
            numbers,
        }
    }

    /// In the zones `numbers` names: zonal in one, multi-zone in several, unpinned in none.
    pub fn pinned(&self, home: &Home, numbers: &[String]) -> Placed {
        let placement = self.pinned_placement(home, numbers);
        let numbers = if home.region.is_some() {
            numbers.to_vec()
        } else {
            Vec::new()
        };
        self.with_zones(home, placement, numbers)
    }

    /// Zone-redundant without naming zones: over every zone of the region (`inferred`: the
    /// zones are the region's, not read from the state); regional where the region has no
    /// zones.
    pub fn redundant(&self, home: &Home, inferred: bool) -> Placed {
        let placement = self.redundant_placement(home, inferred);
        let numbers = match placement {
            Placement::MultiZone { .. } => LOGICAL_ZONES.iter().map(|n| n.to_string()).collect(),
            _ => Vec::new(),
        };
        self.with_zones(home, placement, numbers)
    }

    /// What a zoning gives: the zones named (only the first when the resource can live in
    /// one zone alone), every zone for `Zone-Redundant`, unpinned for none.
    pub fn placed(&self, home: &Home, zoning: &Zoning, single: bool) -> Placed {
        match zoning {
            Zoning::Unset => self.pinned(home, &[]),
            Zoning::In(numbers) if single => self.pinned(home, &numbers[..1]),
            Zoning::In(numbers) => self.pinned(home, numbers),
            Zoning::Redundant => self.redundant(home, false),
        }
    }

    /// Regional (unknown when the region cannot be read).
    pub fn regional(&self, home: &Home) -> Placed {
        Placed::new(match home.region {
            Some(_) => Placement::Regional,
            None => Placement::Unknown,
        })
    }

    /// Map one Azure instance; `None` for a type the table does not know.
    pub fn map(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Option<Outcome> {
        let _ = notes;
        let type_name = entry.type_name();
        if FOLDED.contains(&type_name) {
            return Some(Outcome::Folded);
        }
        let home = self.home(index, entry);
        let made = compute::map(self, index, entry, &home)
            .or_else(|| network::map(self, index, entry, &home))
            .or_else(|| perimeter::map(self, index, entry, &home))
            .or_else(|| data::map(self, index, entry, &home))
            .or_else(|| containers::map(self, index, entry, &home))
            .or_else(|| web::map(self, index, entry, &home))
            .or_else(|| edge::map(self, index, entry, &home))
            .or_else(|| self.general(index, entry, &home))?;
        Some(match made {
            Some(made) => Outcome::Made(Box::new(made)),
            None => Outcome::Folded,
        })
    }

    /// Types of no service group: resource groups, management groups and subscriptions
    /// (logical containers: their loss stops nothing that runs), identities and workspaces
    /// (regional).
    fn general(&self, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Option<Option<Made>> {
        let (kind, placed) = match entry.type_name() {
            "azurerm_resource_group" => (
                "azure:resources:resource-group",
                Placed::new(Placement::Logical),
            ),
            "azurerm_management_group" => (
                "azure:management:management-group",
                Placed::new(Placement::Logical),
            ),
            "azurerm_subscription" => (
                "azure:subscription:subscription",
                Placed::new(Placement::Logical),
            ),
            "azurerm_user_assigned_identity" => {
                ("azure:identity:user-assigned-identity", self.regional(home))
            }
            "azurerm_log_analytics_workspace" => {
                ("azure:operationalinsights:workspace", self.regional(home))
            }
            "azurerm_application_insights" => ("azure:insights:component", self.regional(home)),
            _ => return None,
        };
        Some(Some(self.made(index, entry, home, kind, placed)))
    }

    /// A new Azure resource of `entry`, with subscription, region and resource group set.
    pub fn resource(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        home: &Home,
        kind: &str,
        placement: Placement,
    ) -> Resource {
        let attrs = entry.attrs();
        let id = attrs
            .str("id")
            .map(str::to_string)
            .unwrap_or_else(|| build::fallback_id(entry));
        let mut resource = build::resource(index, entry, id, kind, placement);
        resource.account = home.subscription.clone();
        resource.region = home.region.clone();
        let group = attrs
            .str("resource_group_name")
            .map(str::to_string)
            .or_else(|| attrs.str("id").and_then(resource_group_of));
        if let Some(group) = group {
            resource
                .attributes
                .insert("resource_group".into(), json!(group));
        }
        resource
    }

    /// A resource with its placement, the zones to declare, and `zone_names` (the logical
    /// zone numbers it is in) as an attribute.
    pub fn made(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        home: &Home,
        kind: &str,
        placed: Placed,
    ) -> Made {
        let numbers = placed.numbers;
        let mut resource = self.resource(index, entry, home, kind, placed.placement);
        if matches!(resource.placement, Placement::Global { .. }) {
            // A global service has no region of its own (its resource group's is metadata).
            resource.region = None;
        }
        if !numbers.is_empty() {
            resource
                .attributes
                .insert("zone_names".into(), json!(numbers));
        }
        let mut made = Made::new(resource);
        made.zones = placed.zones;
        made
    }

    /// An Azure type no table knows: unknown placement in its region when one can be read.
    pub fn unknown(&self, index: &Index<'_>, entry: Entry<'_>) -> Made {
        let home = self.home(index, entry);
        let kind = format!("azure:terraform:{}", entry.type_name());
        Made::new(self.resource(index, entry, &home, &kind, Placement::Unknown))
    }
}

/// Per file, the subscription most of its Azure resource ids (or `subscription_id`
/// attributes) name.
fn file_subscriptions(index: &Index<'_>) -> Vec<Option<String>> {
    let mut counts: Vec<HashMap<String, usize>> = vec![HashMap::new(); index.files.len()];
    for entry in index.managed.iter().chain(&index.data) {
        if build::provider_of(&entry.instance.provider) != "azure" {
            continue;
        }
        let attrs = entry.attrs();
        // A plan's new resources have no id yet: `data.azurerm_client_config` (and
        // `azurerm_subscription`) still name the subscription.
        let sub = attrs.str("id").and_then(subscription_of).or_else(|| {
            attrs
                .str("subscription_id")
                .map(|s| s.trim_start_matches("/subscriptions/").to_ascii_lowercase())
        });
        if let Some(sub) = sub {
            *counts[entry.file].entry(sub).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|c| {
            c.into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                .map(|(k, _)| k)
        })
        .collect()
}

/// The subscription of an Azure resource id (`/subscriptions/<id>/…`, any case).
pub fn subscription_of(id: &str) -> Option<String> {
    let mut parts = id.split('/');
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("subscriptions") {
            return parts
                .next()
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_lowercase());
        }
    }
    None
}

/// The resource group named in an Azure resource id.
pub fn resource_group_of(id: &str) -> Option<String> {
    let mut parts = id.split('/');
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("resourcegroups") {
            return parts.next().filter(|s| !s.is_empty()).map(str::to_string);
        }
    }
    None
}

/// The id of the resource an Azure resource id nests in: `…/virtualNetworks/v/subnets/s` →
/// `…/virtualNetworks/v`; a top-level resource's parent is its resource group; a resource
/// group has none.
pub fn parent_id(id: &str) -> Option<String> {
    let parts: Vec<&str> = id.trim_end_matches('/').split('/').collect();
    let providers = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("providers"))?;
    // After `providers`: the namespace, then (type, name) pairs.
    let pairs = parts.len().checked_sub(providers + 2)? / 2;
    if pairs > 1 {
        Some(parts[..parts.len() - 2].join("/"))
    } else if providers >= 4 {
        Some(parts[..providers].join("/"))
    } else {
        None
    }
}

/// `East US` → `eastus`, `westeurope` → `westeurope`.
pub fn normalise_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The last segment of an Azure id (`…/subnets/app` → `app`).
pub fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_and_locations_in_any_spelling() {
        assert_eq!(
            subscription_of("/SUBSCRIPTIONS/AbC/resourceGroups/rg").as_deref(),
            Some("abc")
        );
        assert_eq!(normalise_location("East US 2"), "eastus2");
        assert_eq!(
            resource_group_of("/subscriptions/s/resourcegroups/Prod-RG/providers/x/y/z").as_deref(),
            Some("Prod-RG")
        );
    }

    #[test]
    fn parents_of_nested_and_top_level_ids() {
        let subnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a";
        let vnet =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";
        assert_eq!(parent_id(subnet).as_deref(), Some(vnet));
        assert_eq!(
            parent_id(vnet).as_deref(),
            Some("/subscriptions/s/resourceGroups/rg")
        );
        assert_eq!(parent_id("/subscriptions/s/resourceGroups/rg"), None);
        assert_eq!(parent_id("not an id"), None);
        assert_eq!(parent_id(""), None);
        assert_eq!(last_segment(subnet), "a");
    }
}
