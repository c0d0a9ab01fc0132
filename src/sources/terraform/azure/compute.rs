//! Compute: virtual machines, availability sets, scale sets, managed disks, AKS.
//!
//! - `azurerm_linux_virtual_machine`, `azurerm_windows_virtual_machine`,
//!   `azurerm_virtual_machine` (1.x–3.x, `zones` list): zonal in `zone`/`zones[0]`; unpinned
//!   without. Requires its NICs' subnets (a NIC attached to a VM of the estate is folded
//!   into it, and the VM answers to the NIC's id), the NAT gateway of each subnet (egress),
//!   its availability set, and its managed disks.
//! - `azurerm_availability_set`: unpinned — fault and update domains inside one datacenter,
//!   never across zones.
//! - `azurerm_linux_virtual_machine_scale_set`, `azurerm_windows_virtual_machine_scale_set`,
//!   `azurerm_orchestrated_virtual_machine_scale_set`, `azurerm_virtual_machine_scale_set`
//!   (legacy): multi-zone over `zones`, zonal in one, unpinned without; requires its
//!   subnets and their NAT gateways.
//! - `azurerm_managed_disk`: zonal in `zone`/`zones`; `*_ZRS` storage is zone-redundant;
//!   unpinned otherwise.
//! - `azurerm_kubernetes_cluster`: placed as its default (system) node pool, `zones` (3.x+)
//!   or `availability_zones` (2.x), or the 1.x `agent_pool_profile`;
//!   `azurerm_kubernetes_cluster_node_pool` by its `zones`, requiring its cluster.

use serde_json::json;

use super::super::attrs::Attrs;
use super::super::build::{Entry, Index, Made, key};
use super::links::Links;
use super::network::attach_subnets;
use super::zones::{Zoning, zoning};
use super::{Facts, Home, ZONE_KEYS};
use crate::model::{Placement, RequirementGroup};

const VIRTUAL_MACHINES: &[&str] = &[
    "azurerm_linux_virtual_machine",
    "azurerm_windows_virtual_machine",
    "azurerm_virtual_machine",
];

const SCALE_SETS: &[&str] = &[
    "azurerm_linux_virtual_machine_scale_set",
    "azurerm_windows_virtual_machine_scale_set",
    "azurerm_orchestrated_virtual_machine_scale_set",
    "azurerm_virtual_machine_scale_set",
];

/// Map a compute instance: `None` for another group's type, `Some(None)` when folded.
pub fn map(
    facts: &Facts,
    index: &Index<'_>,
    entry: Entry<'_>,
    home: &Home,
) -> Option<Option<Made>> {
    let type_name = entry.type_name();
    Some(Some(match type_name {
        t if VIRTUAL_MACHINES.contains(&t) => virtual_machine(facts, index, entry, home),
        t if SCALE_SETS.contains(&t) => scale_set(facts, index, entry, home),
        "azurerm_availability_set" => availability_set(facts, index, entry, home),
        "azurerm_managed_disk" => managed_disk(facts, index, entry, home),
        "azurerm_kubernetes_cluster" => kubernetes_cluster(facts, index, entry, home),
        "azurerm_kubernetes_cluster_node_pool" => node_pool(facts, index, entry, home),
        "azurerm_virtual_machine_data_disk_attachment" => return Some(None),
        _ => return None,
    }))
}

pub fn is_scale_set(type_name: &str) -> bool {
    SCALE_SETS.contains(&type_name)
}

/// The IP configurations of a scale set: `network_interface[].ip_configuration[]`, or the
/// legacy `network_profile[].ip_configuration[]`.
pub fn scale_set_ip_configurations(attrs: Attrs<'_>) -> Vec<Attrs<'_>> {
    attrs
        .blocks("network_interface")
        .into_iter()
        .chain(attrs.blocks("network_profile"))
        .flat_map(|nic| nic.blocks("ip_configuration"))
        .collect()
}

/// The subnets a workload (VM, scale set, AKS node pool) sits in, and its placement: what a
/// NAT gateway serving those subnets carries egress for.
pub fn workload(
    facts: &Facts,
    index: &Index<'_>,
    links: &Links,
    entry: Entry<'_>,
) -> Option<(Vec<String>, Placement)> {
    let attrs = entry.attrs();
    let type_name = entry.type_name();
    let workload = VIRTUAL_MACHINES.contains(&type_name)
        || SCALE_SETS.contains(&type_name)
        || type_name.starts_with("azurerm_kubernetes_cluster");
    if !workload {
        return None;
    }
    let home = facts.home(index, entry);
    let (subnets, placement) = if VIRTUAL_MACHINES.contains(&type_name) {
        let nics = vm_nics(attrs, links);
        let subnets = nics
            .iter()
            .flat_map(|nic| {
                links
                    .nic_subnets
                    .get(&key(nic))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        let zoning = zoning(attrs, ZONE_KEYS);
        (subnets, facts.placement_of(&home, &zoning, true))
    } else if SCALE_SETS.contains(&type_name) {
        let subnets = scale_set_ip_configurations(attrs)
            .iter()
            .filter_map(|c| c.str("subnet_id").map(str::to_string))
            .collect();
        (
            subnets,
            facts.placement_of(&home, &zoning(attrs, &["zones"]), false),
        )
    } else if type_name == "azurerm_kubernetes_cluster" {
        let pool = default_pool(attrs)?;
        let subnets = pool
            .strs("vnet_subnet_id")
            .iter()
            .map(|s| s.to_string())
            .collect();
        (
            subnets,
            facts.placement_of(&home, &pool_zoning(pool), false),
        )
    } else if type_name == "azurerm_kubernetes_cluster_node_pool" {
        let subnets = attrs
            .strs("vnet_subnet_id")
            .iter()
            .map(|s| s.to_string())
            .collect();
        (
            subnets,
            facts.placement_of(&home, &pool_zoning(attrs), false),
        )
    } else {
        return None;
    };
    Some((subnets, placement))
}

/// A VM's network interfaces: its own list and the NICs that name it.
fn vm_nics(attrs: Attrs<'_>, links: &Links) -> Vec<String> {
    let mut nics: Vec<String> = attrs
        .strs("network_interface_ids")
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(more) = attrs.str("id").and_then(|id| links.vm_nics.get(&key(id))) {
        for nic in more {
            if !nics.iter().any(|n| n.eq_ignore_ascii_case(nic)) {
                nics.push(nic.clone());
            }
        }
    }
    nics
}

fn virtual_machine(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    // One VM is in one zone; a list of several can only come from a damaged state.
    let placed = facts.placed(home, &zoning(attrs, ZONE_KEYS), true);
    let mut made = facts.made(index, entry, home, "azure:compute:virtual-machine", placed);
    let links = &facts.links;
    let nics = vm_nics(attrs, links);
    let resource = &mut made.resource;
    if let Some(size) = attrs.str("size").or_else(|| attrs.str("vm_size")) {
        resource.attributes.insert("size".into(), json!(size));
    }
    if let Some(priority) = attrs.str("priority") {
        resource
            .attributes
            .insert("priority".into(), json!(priority));
    }
    if let Some(set) = attrs.str("virtual_machine_scale_set_id") {
        resource.attributes.insert("scale_set".into(), json!(set));
    }
    if let Some(set) = attrs.str("availability_set_id") {
        resource
            .attributes
            .insert("availability_set".into(), json!(set));
        resource
            .requirements
            .push(RequirementGroup::requires(set).with_label("in availability set"));
    }
    let subnets: Vec<String> = nics
        .iter()
        .flat_map(|nic| {
            links
                .nic_subnets
                .get(&key(nic))
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    attach_subnets(facts, resource, &subnets);
    let mut disks: Vec<String> = Vec::new();
    disks.extend(attrs.str("os_managed_disk_id").map(str::to_string));
    // A legacy VM's disks created with it (`FromImage`, `Empty`) are part of it; only an
    // attached disk (`Attach`) is a resource of its own.
    for block in attrs
        .blocks("storage_os_disk")
        .into_iter()
        .chain(attrs.blocks("storage_data_disk"))
        .filter(|b| {
            b.str("create_option")
                .is_some_and(|o| o.eq_ignore_ascii_case("attach"))
        })
    {
        disks.extend(block.str("managed_disk_id").map(str::to_string));
    }
    if let Some(attached) = attrs.str("id").and_then(|id| links.vm_disks.get(&key(id))) {
        disks.extend(attached.iter().cloned());
    }
    disks.sort_unstable_by_key(|d| key(d));
    disks.dedup_by_key(|d| key(d));
    for disk in disks {
        resource
            .requirements
            .push(RequirementGroup::requires(disk).with_label("on managed disk"));
    }
    resource
        .attributes
        .insert("network_interfaces".into(), json!(nics.len()));
    made.aliases.extend(nics);
    made
}

fn availability_set(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let placed = facts.pinned(home, &[]);
    let mut made = facts.made(index, entry, home, "azure:compute:availability-set", placed);
    let attributes = &mut made.resource.attributes;
    // Azure's defaults when the state leaves them out: 3 fault and 5 update domains.
    let faults = attrs.num("platform_fault_domain_count").unwrap_or(3.0);
    let updates = attrs.num("platform_update_domain_count").unwrap_or(5.0);
    attributes.insert("platform_fault_domain_count".into(), json!(faults as u64));
    attributes.insert("platform_update_domain_count".into(), json!(updates as u64));
    if let Some(managed) = attrs.bool("managed") {
        attributes.insert("managed".into(), json!(managed));
    }
    made
}

fn scale_set(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let zoning = zoning(attrs, &["zones"]);
    let placed = facts.placed(home, &zoning, false);
    let kind = "azure:compute:virtual-machine-scale-set";
    let mut made = facts.made(index, entry, home, kind, placed);
    let resource = &mut made.resource;
    let legacy_sku = attrs.block("sku");
    let sku = attrs
        .str("sku")
        .or_else(|| attrs.str("sku_name"))
        .or_else(|| legacy_sku.and_then(|s| s.str("name")));
    if let Some(sku) = sku {
        resource.attributes.insert("sku".into(), json!(sku));
    }
    let instances = attrs
        .num("instances")
        .or_else(|| legacy_sku.and_then(|s| s.num("capacity")));
    if let Some(instances) = instances {
        resource
            .attributes
            .insert("instances".into(), json!(instances as u64));
    }
    let orchestration = if entry.type_name() == "azurerm_orchestrated_virtual_machine_scale_set" {
        "Flexible"
    } else {
        "Uniform"
    };
    resource
        .attributes
        .insert("orchestration".into(), json!(orchestration));
    resource.attributes.insert(
        "zone_balance".into(),
        json!(attrs.bool("zone_balance") == Some(true)),
    );
    if let Some(faults) = attrs.num("platform_fault_domain_count") {
        resource
            .attributes
            .insert("platform_fault_domain_count".into(), json!(faults as u64));
    }
    let subnets: Vec<String> = scale_set_ip_configurations(attrs)
        .iter()
        .filter_map(|c| c.str("subnet_id").map(str::to_string))
        .collect();
    attach_subnets(facts, resource, &subnets);
    made
}

fn managed_disk(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let storage = attrs.str("storage_account_type");
    let zone_redundant = storage.is_some_and(|s| s.to_ascii_uppercase().ends_with("_ZRS"));
    let placed = if zone_redundant {
        facts.redundant(home, true)
    } else {
        facts.placed(home, &zoning(attrs, &["zone", "zones"]), true)
    };
    let mut made = facts.made(index, entry, home, "azure:compute:managed-disk", placed);
    let attributes = &mut made.resource.attributes;
    if let Some(storage) = storage {
        attributes.insert("storage_account_type".into(), json!(storage));
    }
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    if let Some(size) = attrs.num("disk_size_gb") {
        attributes.insert("disk_size_gb".into(), json!(size as u64));
    }
    made
}

/// The default (system) node pool of a cluster: `default_node_pool`, or the first 1.x
/// `agent_pool_profile`.
fn default_pool(attrs: Attrs<'_>) -> Option<Attrs<'_>> {
    attrs
        .block("default_node_pool")
        .or_else(|| attrs.block("agent_pool_profile"))
}

fn pool_zoning(pool: Attrs<'_>) -> Zoning {
    zoning(pool, &["zones", "availability_zones"])
}

/// Node counts of a pool: `node_count` (1.x `count`), `min_count`, `max_count`.
fn pool_counts(
    pool: Attrs<'_>,
    attributes: &mut std::collections::BTreeMap<String, serde_json::Value>,
) {
    if let Some(n) = pool.num("node_count").or_else(|| pool.num("count")) {
        attributes.insert("node_count".into(), json!(n as u64));
    }
    for name in ["min_count", "max_count"] {
        if let Some(n) = pool.num(name) {
            attributes.insert(name.into(), json!(n as u64));
        }
    }
    if let Some(size) = pool.str("vm_size") {
        attributes.insert("vm_size".into(), json!(size));
    }
}

fn kubernetes_cluster(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let pool = default_pool(attrs);
    let placed = match pool {
        Some(pool) => facts.placed(home, &pool_zoning(pool), false),
        None => facts.pinned(home, &[]),
    };
    let kind = "azure:containerservice:managed-cluster";
    let mut made = facts.made(index, entry, home, kind, placed);
    let resource = &mut made.resource;
    let attributes = &mut resource.attributes;
    attributes.insert(
        "sku_tier".into(),
        json!(attrs.str("sku_tier").unwrap_or("Free")),
    );
    if let Some(version) = attrs.str("kubernetes_version") {
        attributes.insert("kubernetes_version".into(), json!(version));
    }
    if let Some(private) = attrs.bool("private_cluster_enabled") {
        attributes.insert("private_cluster".into(), json!(private));
    }
    if let Some(outbound) = attrs
        .block("network_profile")
        .and_then(|n| n.str("outbound_type"))
    {
        attributes.insert("outbound_type".into(), json!(outbound));
    }
    if let Some(pool) = pool {
        pool_counts(pool, attributes);
        if let Some(name) = pool.str("name") {
            attributes.insert("default_pool".into(), json!(name));
        }
        let subnets: Vec<String> = pool
            .strs("vnet_subnet_id")
            .iter()
            .map(|s| s.to_string())
            .collect();
        attach_subnets(facts, resource, &subnets);
    }
    made
}

fn node_pool(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let placed = facts.placed(home, &pool_zoning(attrs), false);
    let kind = "azure:containerservice:agent-pool";
    let mut made = facts.made(index, entry, home, kind, placed);
    let resource = &mut made.resource;
    pool_counts(attrs, &mut resource.attributes);
    resource
        .attributes
        .insert("mode".into(), json!(attrs.str("mode").unwrap_or("User")));
    if let Some(cluster) = attrs.str("kubernetes_cluster_id") {
        resource.attributes.insert("cluster".into(), json!(cluster));
        resource
            .requirements
            .push(RequirementGroup::requires(cluster).with_label("in cluster"));
    }
    let subnets: Vec<String> = attrs
        .strs("vnet_subnet_id")
        .iter()
        .map(|s| s.to_string())
        .collect();
    attach_subnets(facts, resource, &subnets);
    made
}
