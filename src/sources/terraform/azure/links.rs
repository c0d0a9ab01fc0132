//! Facts that span Azure instances, gathered once before any is mapped (each a hash map
//! filled in one pass, so the table stays linear in the instances): which VM a network
//! interface belongs to, what a backend pool holds, which NAT gateway a subnet egresses
//! through and which workloads (in which zones) sit in each subnet, and which resource an IP
//! address or a host name belongs to (for DNS records, Front Door and Traffic Manager).

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::super::attrs::Attrs;
use super::super::build::{Entry, Index, key, provider_of};
use super::{Facts, compute, parent_id};
use crate::model::ZoneId;

/// The workloads of one subnet: the zones they are placed in, and how many are unpinned.
#[derive(Debug, Clone, Default)]
pub struct Workloads {
    pub zones: BTreeSet<ZoneId>,
    pub unpinned: usize,
}

/// Edges between Azure instances, keyed by [`key`] of the id they hang on.
#[derive(Debug, Default)]
pub struct Links {
    /// Network interface → the VM it is attached to.
    pub nic_vm: HashMap<String, String>,
    /// VM → network interfaces that name it (`virtual_machine_id`).
    pub vm_nics: HashMap<String, Vec<String>>,
    /// VM → managed disks attached to it (`azurerm_virtual_machine_data_disk_attachment`).
    pub vm_disks: HashMap<String, Vec<String>>,
    /// Network interface → the subnets of its IP configurations.
    pub nic_subnets: HashMap<String, Vec<String>>,
    /// Public IP → the network interface it is attached to.
    pub ip_nic: HashMap<String, String>,
    /// Public IP → the load balancer or Application Gateway whose frontend it is.
    pub ip_frontend_of: HashMap<String, String>,
    /// Subnet → the NAT gateway its outbound traffic leaves through.
    pub subnet_nat: HashMap<String, String>,
    /// Subnet → its route table.
    pub subnet_route_table: HashMap<String, String>,
    /// Route table → the virtual appliance IP its default route (`0.0.0.0/0`) goes to.
    pub default_hop: HashMap<String, String>,
    /// NAT gateway → the subnets associated with it.
    pub nat_subnets: HashMap<String, Vec<String>>,
    /// NAT gateway → its public IPs and prefixes.
    pub nat_ips: HashMap<String, Vec<String>>,
    /// Subnet → the workloads placed in it.
    pub subnet_workloads: HashMap<String, Workloads>,
    /// Backend pool (of a load balancer or an Application Gateway) → its members.
    pub pool_members: HashMap<String, Vec<String>>,
    /// Load balancer → its backend pools.
    pub lb_pools: HashMap<String, Vec<String>>,
    /// IP address → the resource that holds it.
    pub ips: HashMap<String, String>,
    /// Host name (lower case, no trailing dot) → the resource that answers it.
    pub hosts: HashMap<String, String>,
    /// Traffic Manager profile → its enabled endpoints' targets.
    pub tm_targets: HashMap<String, Vec<String>>,
    /// Front Door (Standard/Premium) profile → origin group → its origins' targets.
    pub fd_groups: HashMap<String, BTreeMap<String, Vec<String>>>,
}

impl Links {
    pub fn gather(facts: &Facts, index: &Index<'_>) -> Links {
        let mut links = Links::default();
        let azure: Vec<Entry<'_>> = index
            .managed
            .iter()
            .chain(&index.data)
            .copied()
            .filter(|e| provider_of(&e.instance.provider) == "azure")
            .collect();
        for entry in &azure {
            links.learn_network(*entry);
            links.learn_edge(*entry);
        }
        // Second pass: what needs the first (a VM's subnets are its NICs' subnets; a pool
        // address is a NIC's IP).
        for entry in &azure {
            links.learn_members(*entry);
            if let Some((subnets, placement)) = compute::workload(facts, index, &links, *entry) {
                for subnet in subnets {
                    let workloads = links.subnet_workloads.entry(key(&subnet)).or_default();
                    workloads.zones.extend(placement.zones().iter().cloned());
                    if placement == crate::model::Placement::Unpinned {
                        workloads.unpinned += 1;
                    }
                }
            }
        }
        for map in [
            &mut links.vm_nics,
            &mut links.vm_disks,
            &mut links.nic_subnets,
            &mut links.nat_subnets,
            &mut links.nat_ips,
            &mut links.pool_members,
            &mut links.lb_pools,
            &mut links.tm_targets,
        ] {
            dedup(map);
        }
        links
    }

    /// NICs and the VMs, subnets and pools they name; NAT gateway and disk associations;
    /// IP addresses and host names of the network.
    fn learn_network(&mut self, entry: Entry<'_>) {
        let attrs = entry.attrs();
        let id = attrs.str("id");
        match entry.type_name() {
            "azurerm_linux_virtual_machine"
            | "azurerm_windows_virtual_machine"
            | "azurerm_virtual_machine" => {
                for nic in attrs.strs("network_interface_ids") {
                    if let Some(vm) = id {
                        self.nic_vm.insert(key(nic), vm.to_string());
                    }
                }
            }
            "azurerm_network_interface" => self.learn_nic(attrs, id),
            "azurerm_subnet_nat_gateway_association" => {
                if let (Some(subnet), Some(nat)) =
                    (attrs.str("subnet_id"), attrs.str("nat_gateway_id"))
                {
                    self.subnet_nat.insert(key(subnet), nat.to_string());
                    push(&mut self.nat_subnets, nat, subnet);
                }
            }
            "azurerm_nat_gateway_public_ip_association"
            | "azurerm_nat_gateway_public_ip_prefix_association" => {
                let ip = attrs
                    .str("public_ip_address_id")
                    .or_else(|| attrs.str("public_ip_prefix_id"));
                if let (Some(nat), Some(ip)) = (attrs.str("nat_gateway_id"), ip) {
                    push(&mut self.nat_ips, nat, ip);
                }
            }
            "azurerm_subnet_route_table_association"
            | "azurerm_subnet"
            | "azurerm_route_table"
            | "azurerm_route" => self.learn_routing(entry),
            "azurerm_firewall" => {
                let Some(id) = id else { return };
                for config in attrs.blocks("ip_configuration") {
                    if let Some(ip) = config.str("private_ip_address") {
                        self.ips.insert(ip.to_string(), id.to_string());
                    }
                }
            }
            "azurerm_virtual_machine_data_disk_attachment" => {
                if let (Some(vm), Some(disk)) = (
                    attrs.str("virtual_machine_id"),
                    attrs.str("managed_disk_id"),
                ) {
                    push(&mut self.vm_disks, vm, disk);
                }
            }
            "azurerm_public_ip" => {
                if let Some(id) = id {
                    if let Some(ip) = attrs.str("ip_address") {
                        self.ips.insert(ip.to_string(), id.to_string());
                    }
                    self.host(attrs.str("fqdn"), id);
                }
            }
            "azurerm_lb" | "azurerm_application_gateway" => {
                let Some(id) = id else { return };
                for frontend in attrs.blocks("frontend_ip_configuration") {
                    if let Some(ip) = frontend.str("private_ip_address") {
                        self.ips.insert(ip.to_string(), id.to_string());
                    }
                    if let Some(public) = frontend.str("public_ip_address_id") {
                        self.ip_frontend_of.insert(key(public), id.to_string());
                    }
                }
            }
            "azurerm_lb_backend_address_pool" => {
                if let (Some(lb), Some(pool)) = (attrs.str("loadbalancer_id"), id) {
                    push(&mut self.lb_pools, lb, pool);
                }
                for config in attrs.strs("backend_ip_configurations") {
                    if let Some(pool) = id {
                        push(
                            &mut self.pool_members,
                            pool,
                            &nic_of_ip_configuration(config),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// Route tables: which subnet uses which (associations, the 1.x subnet attribute, the
    /// table's own list) and their routes.
    fn learn_routing(&mut self, entry: Entry<'_>) {
        let attrs = entry.attrs();
        let id = attrs.str("id");
        match entry.type_name() {
            "azurerm_subnet_route_table_association" => {
                if let (Some(subnet), Some(table)) =
                    (attrs.str("subnet_id"), attrs.str("route_table_id"))
                {
                    self.subnet_route_table
                        .insert(key(subnet), table.to_string());
                }
            }
            // azurerm 1.x set the route table on the subnet.
            "azurerm_subnet" => {
                if let (Some(subnet), Some(table)) = (id, attrs.str("route_table_id")) {
                    self.subnet_route_table
                        .insert(key(subnet), table.to_string());
                }
            }
            "azurerm_route_table" => {
                let Some(table) = id else { return };
                for subnet in attrs.strs("subnets") {
                    self.subnet_route_table
                        .entry(key(subnet))
                        .or_insert_with(|| table.to_string());
                }
                for route in attrs.blocks("route") {
                    self.learn_route(route, table);
                }
            }
            "azurerm_route" => {
                let table = attrs.str("id").and_then(parent_id);
                if let Some(table) = table {
                    self.learn_route(attrs, &table);
                }
            }
            _ => {}
        }
    }

    /// A default route to a virtual appliance (a firewall, an NVA): the subnets of the
    /// table send their outbound traffic to that address.
    fn learn_route(&mut self, route: Attrs<'_>, table: &str) {
        let default = route
            .str("address_prefix")
            .is_some_and(|p| p == "0.0.0.0/0" || p.eq_ignore_ascii_case("internet"));
        let appliance = route
            .str("next_hop_type")
            .is_some_and(|t| t.eq_ignore_ascii_case("virtualappliance"));
        if let (true, true, Some(hop)) = (default, appliance, route.str("next_hop_in_ip_address")) {
            self.default_hop.insert(key(table), hop.to_string());
        }
    }

    /// Where a subnet's outbound traffic leaves: the virtual appliance its route table's
    /// default route names (user routes take precedence over a NAT gateway), else its NAT
    /// gateway; with the requirement's label.
    pub fn egress(&self, subnet: &str) -> Option<(String, &'static str)> {
        let k = key(subnet);
        let hop = self
            .subnet_route_table
            .get(&k)
            .and_then(|table| self.default_hop.get(&key(table)));
        if let Some(hop) = hop {
            // An appliance address the estate does not hold stays the address: a reference
            // to nothing, counted in coverage, never taken to be the NAT gateway.
            let target = self.ips.get(hop).cloned().unwrap_or_else(|| hop.clone());
            return Some((target, "egress via virtual appliance"));
        }
        self.subnet_nat
            .get(&k)
            .map(|nat| (nat.clone(), "egress via NAT gateway"))
    }

    fn learn_nic(&mut self, attrs: Attrs<'_>, id: Option<&str>) {
        let Some(id) = id else { return };
        if let Some(vm) = attrs.str("virtual_machine_id") {
            self.nic_vm.insert(key(id), vm.to_string());
            push(&mut self.vm_nics, vm, id);
        }
        for config in attrs.blocks("ip_configuration") {
            if let Some(subnet) = config.str("subnet_id") {
                push(&mut self.nic_subnets, id, subnet);
            }
            if let Some(ip) = config.str("private_ip_address") {
                self.ips.insert(ip.to_string(), id.to_string());
            }
            if let Some(public) = config.str("public_ip_address_id") {
                self.ip_nic.insert(key(public), id.to_string());
            }
            // azurerm 1.x named the pools on the NIC itself.
            for pool in config
                .strs("load_balancer_backend_address_pools_ids")
                .into_iter()
                .chain(config.strs("application_gateway_backend_address_pools_ids"))
            {
                push(&mut self.pool_members, pool, id);
            }
        }
        for ip in attrs.strs("private_ip_addresses") {
            self.ips
                .entry(ip.to_string())
                .or_insert_with(|| id.to_string());
        }
    }

    /// Pool members that need the first pass: NIC and scale set associations, and pool
    /// addresses given as IPs.
    fn learn_members(&mut self, entry: Entry<'_>) {
        let attrs = entry.attrs();
        match entry.type_name() {
            "azurerm_network_interface_backend_address_pool_association"
            | "azurerm_network_interface_application_gateway_backend_address_pool_association" => {
                if let (Some(pool), Some(nic)) = (
                    attrs.str("backend_address_pool_id"),
                    attrs.str("network_interface_id"),
                ) {
                    push(&mut self.pool_members, pool, nic);
                }
            }
            "azurerm_lb_backend_address_pool_address" => {
                let Some(pool) = attrs.str("backend_address_pool_id") else {
                    return;
                };
                let member = attrs
                    .str("backend_address_ip_configuration_id")
                    .and_then(parent_id)
                    .or_else(|| {
                        attrs
                            .str("ip_address")
                            .and_then(|ip| self.ips.get(ip).cloned())
                    });
                if let Some(member) = member {
                    push(&mut self.pool_members, pool, &member);
                }
            }
            type_name if compute::is_scale_set(type_name) => {
                let Some(id) = attrs.str("id") else { return };
                for config in compute::scale_set_ip_configurations(attrs) {
                    for pool in config
                        .strs("load_balancer_backend_address_pool_ids")
                        .into_iter()
                        .chain(config.strs("application_gateway_backend_address_pool_ids"))
                    {
                        push(&mut self.pool_members, pool, id);
                    }
                }
            }
            _ => {}
        }
    }

    /// Host names, Traffic Manager endpoints and Front Door origins.
    fn learn_edge(&mut self, entry: Entry<'_>) {
        let attrs = entry.attrs();
        let Some(id) = attrs.str("id") else { return };
        match entry.type_name() {
            "azurerm_linux_web_app"
            | "azurerm_windows_web_app"
            | "azurerm_linux_function_app"
            | "azurerm_windows_function_app"
            | "azurerm_function_app"
            | "azurerm_app_service" => {
                self.host(attrs.str("default_hostname"), id);
                self.host(attrs.str("default_site_hostname"), id);
            }
            "azurerm_app_service_custom_hostname_binding" => {
                if let Some(site) = parent_id(id) {
                    self.host(attrs.str("hostname"), &site);
                }
            }
            "azurerm_storage_account" => {
                self.host(attrs.str("primary_blob_host"), id);
                self.host(attrs.str("primary_web_host"), id);
            }
            "azurerm_traffic_manager_profile" => self.host(attrs.str("fqdn"), id),
            "azurerm_container_app" => {
                self.host(attrs.block("ingress").and_then(|i| i.str("fqdn")), id);
                self.host(attrs.str("latest_revision_fqdn"), id);
            }
            "azurerm_api_management" => self.host(attrs.str("gateway_url"), id),
            "azurerm_cdn_frontdoor_endpoint" => {
                if let Some(profile) = attrs.str("cdn_frontdoor_profile_id") {
                    self.host(attrs.str("host_name"), profile);
                }
            }
            "azurerm_frontdoor" => {
                self.host(attrs.str("cname"), id);
                for frontend in attrs.blocks("frontend_endpoint") {
                    self.host(frontend.str("host_name"), id);
                }
            }
            "azurerm_traffic_manager_endpoint"
            | "azurerm_traffic_manager_azure_endpoint"
            | "azurerm_traffic_manager_external_endpoint"
            | "azurerm_traffic_manager_nested_endpoint" => self.learn_tm_endpoint(attrs, id),
            "azurerm_cdn_frontdoor_origin" => {
                let disabled = attrs.bool("enabled") == Some(false);
                let group = attrs
                    .str("cdn_frontdoor_origin_group_id")
                    .map(str::to_string)
                    .or_else(|| parent_id(id));
                let target = attrs.str("host_name");
                if let (false, Some(group), Some(target)) = (disabled, group, target)
                    && let Some(profile) = parent_id(&group)
                {
                    self.fd_groups
                        .entry(key(&profile))
                        .or_default()
                        .entry(key(&group))
                        .or_default()
                        .push(target.to_string());
                }
            }
            _ => {}
        }
    }

    fn learn_tm_endpoint(&mut self, attrs: Attrs<'_>, id: &str) {
        let disabled = attrs.bool("enabled") == Some(false)
            || attrs
                .str("endpoint_status")
                .is_some_and(|s| s.eq_ignore_ascii_case("disabled"));
        if disabled {
            return;
        }
        let profile = attrs
            .str("profile_id")
            .map(str::to_string)
            .or_else(|| parent_id(id));
        let target = attrs
            .str("target_resource_id")
            .or_else(|| attrs.str("target"));
        if let (Some(profile), Some(target)) = (profile, target) {
            push(&mut self.tm_targets, &profile, target);
        }
    }

    fn host(&mut self, host: Option<&str>, id: &str) {
        if let Some(host) = host {
            self.hosts.insert(host_key(host), id.to_string());
        }
    }

    /// The resource a host name or an IP address names, when the estate holds it; a
    /// resource id is given back as it is.
    /// A frontend public IP stands for its load balancer or gateway: traffic to the address
    /// reaches what is behind it only through them.
    pub fn target(&self, target: &str) -> Option<String> {
        let found = if target.starts_with('/') {
            target.to_string()
        } else {
            self.hosts
                .get(&host_key(target))
                .or_else(|| self.ips.get(target.trim()))
                .cloned()?
        };
        Some(
            self.ip_frontend_of
                .get(&key(&found))
                .cloned()
                .unwrap_or(found),
        )
    }

    /// The members of a backend pool.
    pub fn members(&self, pool: &str) -> &[String] {
        self.pool_members
            .get(&key(pool))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// `www.Example.com.` → `www.example.com`; a URL's scheme, port and path are dropped.
pub fn host_key(host: &str) -> String {
    let host = host.trim();
    let host = host.split_once("://").map(|(_, rest)| rest).unwrap_or(host);
    let host = host.split(['/', ':']).next().unwrap_or(host);
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `…/networkInterfaces/n/ipConfigurations/c` → `…/networkInterfaces/n`; other ids as they
/// are (a scale set's NIC configuration names the scale set further up).
pub fn nic_of_ip_configuration(config: &str) -> String {
    let lower = config.to_ascii_lowercase();
    if let Some(at) = lower.find("/ipconfigurations/") {
        let nic = &config[..at];
        // `…/virtualMachineScaleSets/s/virtualMachines/0/networkInterfaces/n`: the scale set.
        if let Some(vmss) = lower.find("/virtualmachines/")
            && lower[..vmss].contains("/virtualmachinescalesets/")
        {
            return config[..vmss].to_string();
        }
        return nic.to_string();
    }
    config.to_string()
}

/// Add `value` under `at`; duplicates (in any case) are removed once all are gathered.
fn push(map: &mut HashMap<String, Vec<String>>, at: &str, value: &str) {
    map.entry(key(at)).or_default().push(value.to_string());
}

/// Keep the first of the values that name one id (ids compare case-insensitively).
fn dedup(map: &mut HashMap<String, Vec<String>>) {
    for values in map.values_mut() {
        if values.len() > 1 {
            let mut seen = HashSet::with_capacity_and_hasher(values.len(), Default::default());
            values.retain(|v| seen.insert(key(v)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_and_ip_configurations() {
        assert_eq!(
            host_key("https://App.AzureWebsites.net:443/x"),
            "app.azurewebsites.net"
        );
        assert_eq!(host_key("www.example.com."), "www.example.com");
        let nic =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n";
        assert_eq!(
            nic_of_ip_configuration(&format!("{nic}/ipConfigurations/internal")),
            nic
        );
        let vmss = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web";
        assert_eq!(
            nic_of_ip_configuration(&format!(
                "{vmss}/virtualMachines/0/networkInterfaces/nic/ipConfigurations/ip"
            )),
            vmss
        );
    }
}
