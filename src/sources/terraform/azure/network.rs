//! Networking: virtual networks, subnets, network interfaces, public IPs, load balancers,
//! NAT gateways, Application Gateways.
//!
//! - `azurerm_virtual_network`, `azurerm_subnet` (a subnet spans every zone of its region),
//!   `azurerm_network_security_group`, `azurerm_route_table`: regional; a subnet requires
//!   its virtual network.
//! - `azurerm_network_interface`: folded into the VM it is attached to (the VM takes its
//!   subnets and answers to its id); a NIC of no VM of the estate stays, placement unknown.
//! - `azurerm_public_ip` (and `_prefix`): Basic SKU has no zones → unpinned; Standard is
//!   zonal in one zone, zone-redundant in several (or 2.x `Zone-Redundant`), and unpinned
//!   ("no-zone") without — since network API 2020-08-01 a Standard IP without zones is not
//!   zone-redundant; `sku_tier = Global` is global. An IP attached to a VM's NIC requires
//!   the VM (what a DNS record resolving to it reaches).
//! - `azurerm_lb`: Basic SKU → unpinned; Standard/Gateway placed as its weakest private
//!   frontend (`zones`, 2.x `availability_zone`), regional when every frontend is public (a
//!   public frontend's zones are its public IP's, which it requires); it requires its
//!   backend pools; a public frontend makes it an entry point. `frontend_zone_redundant`
//!   says whether every frontend, public IPs included, survives a zone.
//! - `azurerm_lb_backend_address_pool`: regional, any of its members (NIC associations,
//!   1.x NIC pool lists, scale sets, pool addresses); unknown when no member is known.
//!   Rules, probes, NAT rules, pool addresses and associations are folded.
//! - Egress: a workload in a subnet whose route table sends `0.0.0.0/0` to a virtual
//!   appliance requires the appliance at that address (a firewall, an NVA's VM, an internal
//!   load balancer); otherwise, in a subnet associated with a NAT gateway, the gateway.
//! - `azurerm_nat_gateway`: zonal in its zone, unpinned without (the StandardV2 SKU spans
//!   the region's zones); requires any of its public
//!   IPs. Workloads in an associated subnet require it (egress); `serves_zones` lists their
//!   zones.
//! - `azurerm_application_gateway`: v1 SKUs have no zone support → unpinned; v2 in its
//!   `zones`, and without zones zone-redundant (Microsoft makes v2 gateways zone-redundant
//!   by default; marked inferred). Requires its subnet, frontend public IPs, and any member
//!   of each backend pool a routing rule uses; a public frontend makes it an entry point.

use serde_json::{Value, json};

use super::super::attrs::Attrs;
use super::super::build::{Entry, Index, Made, key};
use super::zones::{Placed, Zoning, zoning};
use super::{Facts, Home, parent_id};
use crate::model::{Placement, RequirementGroup, Resource};

const FOLDED: &[&str] = &[
    "azurerm_lb_rule",
    "azurerm_lb_probe",
    "azurerm_lb_nat_rule",
    "azurerm_lb_nat_pool",
    "azurerm_lb_outbound_rule",
    "azurerm_lb_backend_address_pool_address",
    "azurerm_network_interface_backend_address_pool_association",
    "azurerm_network_interface_application_gateway_backend_address_pool_association",
    "azurerm_network_interface_nat_rule_association",
    "azurerm_subnet_nat_gateway_association",
    "azurerm_nat_gateway_public_ip_association",
    "azurerm_nat_gateway_public_ip_prefix_association",
];

/// Map a network instance: `None` for another group's type, `Some(None)` when folded.
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
        "azurerm_virtual_network" => virtual_network(facts, index, entry, home),
        "azurerm_subnet" => subnet(facts, index, entry, home),
        "azurerm_network_security_group" => {
            let placed = facts.regional(home);
            facts.made(
                index,
                entry,
                home,
                "azure:network:network-security-group",
                placed,
            )
        }
        "azurerm_route_table" => {
            let placed = facts.regional(home);
            facts.made(index, entry, home, "azure:network:route-table", placed)
        }
        "azurerm_network_interface" => return network_interface(facts, index, entry, home),
        "azurerm_public_ip" | "azurerm_public_ip_prefix" => public_ip(facts, index, entry, home),
        "azurerm_lb" => load_balancer(facts, index, entry, home),
        "azurerm_lb_backend_address_pool" => backend_pool(facts, index, entry, home),
        "azurerm_nat_gateway" => nat_gateway(facts, index, entry, home),
        "azurerm_application_gateway" => application_gateway(facts, index, entry, home),
        _ => return None,
    }))
}

/// A workload in `subnets` requires each, and each one's egress: the virtual appliance
/// (firewall, NVA) its route table's default route names, else its NAT gateway (Azure sends
/// all outbound traffic of an associated subnet through its gateway). Egress is assumed
/// needed.
pub fn attach_subnets(facts: &Facts, resource: &mut Resource, subnets: &[String]) {
    let mut seen: Vec<String> = Vec::new();
    for subnet in subnets {
        let k = key(subnet);
        if seen.contains(&k) {
            continue;
        }
        seen.push(k.clone());
        resource
            .requirements
            .push(RequirementGroup::requires(subnet.as_str()).with_label("in subnet"));
        if let Some((target, label)) = facts.links.egress(subnet) {
            resource
                .requirements
                .push(RequirementGroup::requires(target).with_label(label));
        }
    }
}

fn virtual_network(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let placed = facts.regional(home);
    let mut made = facts.made(index, entry, home, "azure:network:virtual-network", placed);
    let spaces = attrs.strs("address_space");
    if !spaces.is_empty() {
        made.resource
            .attributes
            .insert("address_space".into(), json!(spaces));
    }
    // Subnets written inline in the network (1.x/2.x), or listed by it (3.x computes the
    // list), that are no instances of their own: the network answers to their ids.
    for inline in attrs.blocks("subnet") {
        if let Some(id) = inline.str("id")
            && index.lookup(id).is_none()
        {
            made.aliases.push(id.to_string());
        }
    }
    made
}

fn subnet(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let placed = facts.regional(home);
    let mut made = facts.made(index, entry, home, "azure:network:subnet", placed);
    let resource = &mut made.resource;
    let mut prefixes = attrs.strs("address_prefixes");
    prefixes.extend(attrs.strs("address_prefix"));
    if !prefixes.is_empty() {
        resource
            .attributes
            .insert("address_prefixes".into(), json!(prefixes));
    }
    if let Some(nat) = attrs
        .str("id")
        .and_then(|id| facts.links.subnet_nat.get(&key(id)))
    {
        resource.attributes.insert("nat_gateway".into(), json!(nat));
    }
    if let Some(table) = attrs
        .str("id")
        .and_then(|id| facts.links.subnet_route_table.get(&key(id)))
    {
        resource
            .attributes
            .insert("route_table".into(), json!(table));
    }
    if let Some(network) = attrs.str("id").and_then(parent_id) {
        resource
            .requirements
            .push(RequirementGroup::requires(network).with_label("in virtual network"));
    }
    made
}

/// Folded into its VM when the VM is in the estate; else a resource of unknown placement.
fn network_interface(
    facts: &Facts,
    index: &Index<'_>,
    entry: Entry<'_>,
    home: &Home,
) -> Option<Option<Made>> {
    let attrs = entry.attrs();
    let attached = attrs
        .str("id")
        .and_then(|id| facts.links.nic_vm.get(&key(id)))
        .and_then(|vm| index.lookup(vm))
        .is_some_and(|vm| !vm.instance.data && vm.type_name().ends_with("_virtual_machine"));
    if attached {
        return Some(None);
    }
    let placed = Placed::new(Placement::Unknown);
    let mut made = facts.made(
        index,
        entry,
        home,
        "azure:network:network-interface",
        placed,
    );
    let subnets: Vec<String> = attrs
        .blocks("ip_configuration")
        .iter()
        .filter_map(|c| c.str("subnet_id").map(str::to_string))
        .collect();
    attach_subnets(facts, &mut made.resource, &subnets);
    if let Some(vm) = attrs.str("virtual_machine_id") {
        made.resource
            .requirements
            .push(RequirementGroup::requires(vm).with_label("attached to VM"));
    }
    Some(Some(made))
}

/// SKU of a public IP (`Basic` when absent: the 1.x/2.x default; 3.x+ states record it).
fn public_ip_sku(attrs: Attrs<'_>) -> &str {
    attrs.str("sku").unwrap_or("Basic")
}

/// Whether a public IP survives the loss of a zone: Standard, with several zones or the
/// 2.x `Zone-Redundant`, or global.
fn public_ip_zone_redundant(attrs: Attrs<'_>) -> bool {
    let global = attrs
        .str("sku_tier")
        .is_some_and(|t| t.eq_ignore_ascii_case("global"));
    global
        || (!public_ip_sku(attrs).eq_ignore_ascii_case("basic")
            && zoning(attrs, &["zones", "availability_zone"]).is_redundant())
}

fn public_ip(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let sku = public_ip_sku(attrs);
    let tier = attrs.str("sku_tier").unwrap_or("Regional");
    let placed = if tier.eq_ignore_ascii_case("global") {
        Placed::new(Placement::Global {
            control_plane_region: None,
        })
    } else if sku.eq_ignore_ascii_case("basic") {
        // Basic public IPs have no zone support: deployed without availability zones.
        facts.pinned(home, &[])
    } else {
        facts.placed(home, &zoning(attrs, &["zones", "availability_zone"]), false)
    };
    let kind = if entry.type_name() == "azurerm_public_ip_prefix" {
        "azure:network:public-ip-prefix"
    } else {
        "azure:network:public-ip"
    };
    let mut made = facts.made(index, entry, home, kind, placed);
    let attributes = &mut made.resource.attributes;
    attributes.insert("sku".into(), json!(sku));
    attributes.insert("sku_tier".into(), json!(tier));
    attributes.insert(
        "zone_redundant".into(),
        json!(public_ip_zone_redundant(attrs)),
    );
    for name in ["allocation_method", "ip_address", "fqdn"] {
        if let Some(value) = attrs.str(name) {
            attributes.insert(name.into(), json!(value));
        }
    }
    // The address of a VM answers only while the VM does (a load balancer's, the other way
    // round: the balancer requires its address).
    if let Some(nic) = attrs
        .str("id")
        .and_then(|id| facts.links.ip_nic.get(&key(id)))
    {
        made.resource
            .requirements
            .push(RequirementGroup::requires(nic.as_str()).with_label("attached to VM"));
    }
    made
}

/// The zoning that fails whenever any of `zonings` does (conservatively, when they cannot
/// be told apart: no zone, which any zone's loss may stop); `None` for no zonings.
fn weakest(zonings: Vec<Zoning>) -> Option<Zoning> {
    if zonings.contains(&Zoning::Unset) {
        return Some(Zoning::Unset);
    }
    let single: Vec<&Zoning> = zonings
        .iter()
        .filter(|z| matches!(z, Zoning::In(n) if n.len() == 1))
        .collect();
    if let Some(first) = single.first() {
        if single.iter().all(|z| z == first) {
            return Some((*first).clone());
        }
        return Some(Zoning::Unset);
    }
    zonings.into_iter().min_by_key(|z| match z {
        Zoning::In(numbers) => numbers.len(),
        _ => usize::MAX,
    })
}

fn load_balancer(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let sku = attrs.str("sku").unwrap_or("Basic");
    let tier = attrs.str("sku_tier").unwrap_or("Regional");
    let basic = sku.eq_ignore_ascii_case("basic");
    let mut frontends = Vec::new();
    let mut private = Vec::new();
    let mut public_ips = Vec::new();
    let mut all_redundant = true;
    for frontend in attrs.blocks("frontend_ip_configuration") {
        let frontend_zoning = zoning(frontend, &["zones", "availability_zone"]);
        let public = frontend.str("public_ip_address_id");
        let redundant = match public {
            Some(ip) => index
                .lookup(ip)
                .is_some_and(|ip| public_ip_zone_redundant(ip.attrs())),
            None => !basic && frontend_zoning.is_redundant(),
        };
        all_redundant &= redundant;
        frontends.push(json!({
            "name": frontend.str("name").unwrap_or_default(),
            "public": public.is_some(),
            "zone_redundant": redundant,
        }));
        match public {
            Some(ip) => public_ips.push(ip.to_string()),
            None => private.push(frontend_zoning),
        }
    }
    let placed = if tier.eq_ignore_ascii_case("global") {
        Placed::new(Placement::Global {
            control_plane_region: None,
        })
    } else if basic {
        // Basic load balancers have no zone support.
        facts.pinned(home, &[])
    } else {
        match weakest(private) {
            Some(zoning) => facts.placed(home, &zoning, false),
            None => facts.regional(home),
        }
    };
    let mut made = facts.made(index, entry, home, "azure:network:load-balancer", placed);
    let resource = &mut made.resource;
    let attributes = &mut resource.attributes;
    attributes.insert("sku".into(), json!(sku));
    attributes.insert("sku_tier".into(), json!(tier));
    if !frontends.is_empty() {
        attributes.insert("frontend_zone_redundant".into(), json!(all_redundant));
    }
    attributes.insert("internet_facing".into(), json!(!public_ips.is_empty()));
    if !public_ips.is_empty() {
        attributes.insert("entry_point".into(), json!(true));
    }
    attributes.insert("frontends".into(), Value::Array(frontends));
    for ip in public_ips {
        resource
            .requirements
            .push(RequirementGroup::requires(ip).with_label("frontend public IP"));
    }
    let pools = attrs
        .str("id")
        .and_then(|id| facts.links.lb_pools.get(&key(id)))
        .cloned()
        .unwrap_or_default();
    for pool in pools {
        resource
            .requirements
            .push(RequirementGroup::requires(pool).with_label("backend pool"));
    }
    made
}

fn backend_pool(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let members: Vec<String> = attrs
        .str("id")
        .map(|id| facts.links.members(id).to_vec())
        .unwrap_or_default();
    // With no member known (members registered outside the state, e.g. by AKS), what the
    // pool can reach is unknown, never taken as healthy.
    let placed = if members.is_empty() {
        Placed::new(Placement::Unknown)
    } else {
        facts.regional(home)
    };
    let kind = "azure:network:lb-backend-address-pool";
    let mut made = facts.made(index, entry, home, kind, placed);
    let resource = &mut made.resource;
    resource
        .attributes
        .insert("members".into(), json!(members.len()));
    if let Some(lb) = attrs.str("loadbalancer_id") {
        resource
            .attributes
            .insert("load_balancer".into(), json!(lb));
    }
    if !members.is_empty() {
        resource
            .requirements
            .push(RequirementGroup::any_of(members, None).with_label("any backend member"));
    }
    made
}

fn nat_gateway(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let sku = attrs.str("sku_name").unwrap_or("Standard");
    let nat_zoning = zoning(attrs, &["zones", "zone"]);
    // StandardV2 gateways span the region's zones; Standard ones are zonal or unpinned.
    let placed = match nat_zoning {
        Zoning::Unset if sku.eq_ignore_ascii_case("standardv2") => facts.redundant(home, true),
        _ if sku.eq_ignore_ascii_case("standardv2") => facts.placed(home, &nat_zoning, false),
        _ => facts.placed(home, &nat_zoning, true),
    };
    let mut made = facts.made(index, entry, home, "azure:network:nat-gateway", placed);
    let resource = &mut made.resource;
    let id = attrs.str("id").map(key).unwrap_or_default();
    let links = &facts.links;
    let mut ips: Vec<String> = links.nat_ips.get(&id).cloned().unwrap_or_default();
    // azurerm 2.x listed them on the gateway.
    for ip in attrs
        .strs("public_ip_address_ids")
        .into_iter()
        .chain(attrs.strs("public_ip_prefix_ids"))
    {
        if !ips.iter().any(|i| i.eq_ignore_ascii_case(ip)) {
            ips.push(ip.to_string());
        }
    }
    let subnets = links.nat_subnets.get(&id).cloned().unwrap_or_default();
    let mut zones = std::collections::BTreeSet::new();
    let mut unpinned = 0;
    for subnet in &subnets {
        if let Some(workloads) = links.subnet_workloads.get(&key(subnet)) {
            zones.extend(workloads.zones.iter().map(|z| z.to_string()));
            unpinned += workloads.unpinned;
        }
    }
    let attributes = &mut resource.attributes;
    attributes.insert("sku_name".into(), json!(sku));
    attributes.insert("serves_subnets".into(), json!(subnets));
    attributes.insert("serves_zones".into(), json!(zones));
    attributes.insert("serves_unpinned".into(), json!(unpinned));
    if !ips.is_empty() {
        resource
            .requirements
            .push(RequirementGroup::any_of(ips, None).with_label("any public IP"));
    }
    made
}

/// Application Gateway SKU tiers with zone support: the v2 tiers (and Basic, built on v2).
fn gateway_v2(tier: &str) -> bool {
    let tier = tier.to_ascii_lowercase();
    tier.ends_with("_v2") || tier == "basic"
}

fn application_gateway(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let sku = attrs.block("sku");
    let name = sku.and_then(|s| s.str("name")).unwrap_or_default();
    let tier = sku.and_then(|s| s.str("tier")).unwrap_or(name);
    let v2 = gateway_v2(tier);
    let zoning = zoning(attrs, &["zones"]);
    let inferred = v2 && zoning == Zoning::Unset;
    let placed = if !v2 {
        // v1 gateways have no zone support: deployed without availability zones.
        facts.pinned(home, &[])
    } else if inferred {
        facts.redundant(home, true)
    } else {
        facts.placed(home, &zoning, false)
    };
    let zone_redundant = matches!(placed.placement, Placement::MultiZone { .. })
        || (v2 && placed.placement == Placement::Regional);
    let kind = "azure:network:application-gateway";
    let mut made = facts.made(index, entry, home, kind, placed);
    let resource = &mut made.resource;
    let attributes = &mut resource.attributes;
    attributes.insert("sku".into(), json!(name));
    attributes.insert("tier".into(), json!(tier));
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    attributes.insert("zones_inferred".into(), json!(inferred));
    if let Some(capacity) = sku.and_then(|s| s.num("capacity")) {
        attributes.insert("capacity".into(), json!(capacity as u64));
    }
    if let Some(min) = attrs
        .block("autoscale_configuration")
        .and_then(|a| a.num("min_capacity"))
    {
        attributes.insert("min_capacity".into(), json!(min as u64));
    }
    gateway_edges(facts, attrs, resource);
    made
}

/// An Application Gateway's subnet, frontend public IPs and backend pools.
fn gateway_edges(facts: &Facts, attrs: Attrs<'_>, resource: &mut Resource) {
    for config in attrs.blocks("gateway_ip_configuration") {
        if let Some(subnet) = config.str("subnet_id") {
            resource
                .requirements
                .push(RequirementGroup::requires(subnet).with_label("in subnet"));
        }
    }
    let mut public = false;
    for frontend in attrs.blocks("frontend_ip_configuration") {
        if let Some(ip) = frontend.str("public_ip_address_id") {
            public = true;
            resource
                .requirements
                .push(RequirementGroup::requires(ip).with_label("frontend public IP"));
        }
    }
    resource
        .attributes
        .insert("internet_facing".into(), json!(public));
    if public {
        resource
            .attributes
            .insert("entry_point".into(), json!(true));
    }
    let used: Vec<&str> = attrs
        .blocks("request_routing_rule")
        .iter()
        .filter_map(|r| r.str("backend_address_pool_name"))
        .chain(
            attrs
                .blocks("url_path_map")
                .iter()
                .filter_map(|m| m.str("default_backend_address_pool_name")),
        )
        .collect();
    let id = attrs.str("id").unwrap_or_default();
    let mut unresolved = 0;
    for pool in attrs.blocks("backend_address_pool") {
        let name = pool.str("name").unwrap_or_default();
        if !used.is_empty() && !used.contains(&name) {
            continue;
        }
        let pool_id = pool
            .str("id")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{id}/backendAddressPools/{name}"));
        let mut members: Vec<String> = facts.links.members(&pool_id).to_vec();
        for address in pool
            .strs("fqdns")
            .into_iter()
            .chain(pool.strs("ip_addresses"))
        {
            match facts.links.target(address) {
                Some(target) => members.push(target),
                None => unresolved += 1,
            }
        }
        if !members.is_empty() {
            resource.requirements.push(
                RequirementGroup::any_of(members, None).with_label(format!("backend pool {name}")),
            );
        }
    }
    resource
        .attributes
        .insert("unresolved_backends".into(), json!(unresolved));
}
