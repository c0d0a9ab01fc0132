//! The Azure table of the Terraform importer, checked through the library on two estates in
//! the shapes their writers produce: `estate-v4.tfstate` (Terraform 1.9, azurerm 3.x/4.x
//! attributes) and `legacy-v4-0.12.tfstate` (Terraform 0.12, azurerm 1.x/2.x: the
//! `azurerm_virtual_machine` `zones` list, `No-Zone`/`Zone-Redundant`, inline subnets, a
//! flatmap instance). Ground truth: each resource's placement and zones, the zones declared
//! for unpinned resources, requirement edges whose references differ in case from the ids,
//! the rules the estate fires, and every instance accounted for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use linchpin::graph::Estate;
use linchpin::model::{DomainKind, Placement, Resource, Snapshot};
use linchpin::rules::{RulePack, engine};
use linchpin::sources::terraform::{File, import, read_str};
use linchpin::{analysis, snapshot};

const SUB: &str = "5f0c2e3a-8b1d-4c6e-9a7f-1d2e3f4a5b6c";
const LEGACY_SUB: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const MODERN: &str = "estate-v4.tfstate";
const LEGACY: &str = "legacy-v4-0.12.tfstate";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform/azure")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Import documents given as (origin, text).
fn import_texts(texts: &[(&str, String)]) -> Snapshot {
    let docs: Vec<_> = texts
        .iter()
        .map(|(name, text)| read_str(text, name).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let files: Vec<File<'_>> = texts
        .iter()
        .zip(&docs)
        .map(|((name, _), doc)| File {
            origin: name,
            instances: &doc.instances,
        })
        .collect();
    import(&files)
}

fn import_files(names: &[&str]) -> Snapshot {
    let texts: Vec<(&str, String)> = names.iter().map(|n| (*n, fixture(n))).collect();
    import_texts(&texts)
}

fn by_name<'a>(snapshot: &'a Snapshot, name: &str) -> &'a Resource {
    let found: Vec<&Resource> = snapshot
        .resources
        .iter()
        .filter(|r| r.name == name)
        .collect();
    match found[..] {
        [one] => one,
        _ => panic!(
            "{} resources named {name} in {:?}",
            found.len(),
            snapshot
                .resources
                .iter()
                .map(|r| &r.name)
                .collect::<Vec<_>>()
        ),
    }
}

fn zone(region: &str, number: &str, subscription: &str) -> String {
    format!("{region}-{number}@{subscription}")
}

/// A placement as `type` and the logical zone numbers it names (`zonal 1`, `multi_zone
/// 1,2,3`, `unpinned`).
fn placed(resource: &Resource) -> String {
    let zones: Vec<&str> = resource
        .placement
        .zones()
        .iter()
        .map(|z| {
            let id = z.as_str();
            let at = id.find('@').unwrap_or(id.len());
            id[..at].rsplit('-').next().unwrap_or(id)
        })
        .collect();
    match zones.as_slice() {
        [] => resource.placement.type_name().to_string(),
        zones => format!("{} {}", resource.placement.type_name(), zones.join(",")),
    }
}

/// The ids one resource requires, by requirement label.
fn needs(snapshot: &Snapshot, name: &str) -> BTreeMap<String, Vec<String>> {
    let mut needs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for group in &by_name(snapshot, name).requirements {
        needs
            .entry(group.label.clone().unwrap_or_default())
            .or_default()
            .extend(group.members().iter().cloned());
    }
    needs
}

/// Rule id → the names of the resources its findings are about, for the Azure rules.
fn azure_findings(snapshot: Snapshot) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeMap<String, String> = snapshot
        .resources
        .iter()
        .map(|r| (r.id.clone(), r.name.clone()))
        .collect();
    let estate = Estate::build(snapshot);
    let analysis = analysis::analyse(&estate);
    let pack = RulePack::builtin().expect("the built-in pack is valid");
    let evaluation = engine::run(&pack, &estate, &analysis);
    assert!(evaluation.errors.is_empty(), "{:?}", evaluation.errors);
    let mut fired: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for finding in evaluation.findings {
        if !finding.rule.starts_with("azure-") {
            continue;
        }
        assert!(
            !finding.message.contains('{'),
            "{}: unrendered message {}",
            finding.rule,
            finding.message
        );
        let subject = finding.resources.first().cloned().unwrap_or_default();
        fired
            .entry(finding.rule)
            .or_default()
            .insert(names.get(&subject).cloned().unwrap_or(subject));
    }
    fired
}

#[test]
fn every_instance_is_made_folded_or_skipped_and_the_snapshot_is_valid() {
    for name in [MODERN, LEGACY] {
        let text = fixture(name);
        let doc = read_str(&text, name).unwrap();
        let snapshot = import_files(&[name]);
        let source = &snapshot.sources[0];
        let managed = doc.instances.iter().filter(|i| !i.data).count() as u64;
        let folded: u64 = source.folded.values().sum();
        let skipped: u64 = source.skipped.values().sum();
        assert_eq!(source.instances, Some(managed), "{name}");
        assert_eq!(
            source.resources.unwrap() + folded + skipped,
            managed,
            "{name}"
        );
        assert_eq!(
            source.resources,
            Some(snapshot.resources.len() as u64),
            "{name}"
        );
        let problems = snapshot::validate(&snapshot);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        // Every reference resolved (ids written in another case included), and no type
        // fell through to unknown placement.
        assert!(
            snapshot.coverage.is_empty(),
            "{name}: {:?}",
            snapshot.coverage
        );
    }
    let source = &import_files(&[MODERN]).sources[0];
    assert_eq!(
        source.skipped,
        BTreeMap::from([("random_password".into(), 1)])
    );
    for (folded, count) in [
        ("azurerm_network_interface", 6),
        ("azurerm_lb_rule", 1),
        ("azurerm_lb_probe", 1),
        ("azurerm_subnet_nat_gateway_association", 1),
        (
            "azurerm_network_interface_backend_address_pool_association",
            2,
        ),
        ("azurerm_virtual_machine_data_disk_attachment", 1),
    ] {
        assert_eq!(source.folded.get(folded), Some(&count), "{folded}");
    }
}

#[test]
fn each_resource_is_placed_in_the_zones_its_state_names() {
    let snapshot = import_files(&[MODERN]);
    for (name, expected) in [
        ("vmss-web", "multi_zone 1,2,3"),
        ("pip-lb-web", "multi_zone 1,2,3"),
        ("lb-web", "regional"),
        ("bepool-web", "regional"),
        ("vm-app-0", "zonal 1"),
        ("vm-app-1", "zonal 2"),
        ("vm-app-2", "zonal 3"),
        ("nat-app", "zonal 1"),
        ("pip-nat-app", "zonal 1"),
        ("vm-batch", "unpinned"),
        ("disk-batch-data", "unpinned"),
        ("pip-batch", "unpinned"),
        ("avset-settlement", "unpinned"),
        ("vm-settlement-0", "unpinned"),
        ("vm-settlement-1", "unpinned"),
        ("lb-settlement", "unpinned"),
        ("pg-ledger", "multi_zone 1,2"),
        ("pg-reporting", "zonal 1"),
        ("stexchstatements", "unpinned"),
        ("snet-app", "regional"),
        ("vnet-prod", "regional"),
        ("rg-exchange-prod", "logical"),
        ("example.com", "global"),
        ("www", "global"),
    ] {
        assert_eq!(placed(by_name(&snapshot, name)), expected, "{name}");
    }
    let ledger = by_name(&snapshot, "pg-ledger");
    assert_eq!(
        ledger.placement,
        Placement::MultiZone {
            zones: vec![
                zone("eastus", "1", SUB).into(),
                zone("eastus", "2", SUB).into()
            ],
            inferred: false,
        }
    );
    assert_eq!(ledger.attributes["ha_mode"], "ZoneRedundant");
    let lb = by_name(&snapshot, "lb-web");
    assert_eq!(lb.attributes["entry_point"], true);
    assert_eq!(lb.attributes["frontend_zone_redundant"], true);
    assert_eq!(
        by_name(&snapshot, "lb-settlement").attributes["sku"],
        "Basic"
    );
    assert_eq!(
        by_name(&snapshot, "avset-settlement").attributes["platform_fault_domain_count"],
        2
    );
    let nat = by_name(&snapshot, "nat-app");
    let served: Vec<String> = ["1", "2", "3"]
        .iter()
        .map(|n| zone("eastus", n, SUB))
        .collect();
    assert_eq!(nat.attributes["serves_zones"], serde_json::json!(served));
    // The two settlement VMs (no zones) sit in the NAT gateway's subnet as well.
    assert_eq!(nat.attributes["serves_unpinned"], 2);
    assert_eq!(by_name(&snapshot, "www").attributes["entry_point"], true);
    assert!(
        by_name(&snapshot, "www").region.is_none(),
        "global: no region"
    );
}

#[test]
fn old_azurerm_spellings_of_zones_are_read() {
    let snapshot = import_files(&[LEGACY]);
    for (name, expected) in [
        ("vm-web-0", "zonal 1"),
        ("vm-web-1", "zonal 2"),
        ("vm-ops", "unpinned"),
        ("vm-web-0-os", "zonal 1"),
        // 2.x `availability_zone`: Zone-Redundant is every zone, No-Zone none.
        ("pip-web", "multi_zone 1,2,3"),
        ("pip-bastion", "unpinned"),
        ("pip-old", "unpinned"),
        ("lb-web", "regional"),
        ("vmss-workers", "unpinned"),
        ("aks-legacy", "multi_zone 1,2,3"),
        ("batch", "zonal 1"),
        ("orders", "unpinned"),
        ("catalog", "multi_zone 1,2,3"),
        ("stlegacyarchive", "unpinned"),
        ("cosmos-orders", "unpinned"),
        ("plan-legacy", "unpinned"),
        ("app-legacy", "regional"),
        ("tm-legacy", "global"),
        ("redis-sessions", "unpinned"),
    ] {
        assert_eq!(placed(by_name(&snapshot, name)), expected, "{name}");
    }
    let lb = by_name(&snapshot, "lb-web");
    assert_eq!(lb.attributes["frontend_zone_redundant"], true);
    assert_eq!(
        by_name(&snapshot, "vmss-workers").attributes["instances"],
        4,
        "the legacy `sku.capacity`"
    );
    assert_eq!(
        by_name(&snapshot, "redis-sessions").attributes["capacity"],
        1
    );
    let storage = by_name(&snapshot, "stlegacyarchive");
    assert_eq!(storage.attributes["replication"], "GRS");
    assert_eq!(storage.attributes["secondary_region"], "centralus");
    let cosmos = by_name(&snapshot, "cosmos-orders");
    assert_eq!(
        cosmos.region.as_deref(),
        Some("eastus2"),
        "the write region"
    );
    assert_eq!(
        cosmos.attributes["locations"],
        serde_json::json!(["eastus2", "centralus"])
    );
    // The pool's members come from the 2.x `backend_ip_configurations` and the 1.x NIC
    // pool lists; both name the NICs, which stand for their VMs.
    let pool = needs(&snapshot, "web");
    let members: BTreeSet<&str> = pool["any backend member"]
        .iter()
        .map(|id| id.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(members, BTreeSet::from(["vm-web-0", "vm-web-1"]));
    // Subnets written inline in the network: the network stands for them.
    let vm = needs(&snapshot, "vm-ops");
    assert!(
        vm["in subnet"][0].ends_with("/virtualNetworks/vnet-legacy"),
        "{vm:?}"
    );
    assert_eq!(
        needs(&snapshot, "tm-legacy")["any enabled endpoint"].len(),
        1,
        "the endpoint's target, the web app"
    );
}

#[test]
fn unpinned_resources_declare_every_zone_of_their_region() {
    let snapshot = import_files(&[MODERN, LEGACY]);
    let declared: BTreeSet<String> = snapshot.zones.iter().map(|z| z.id.to_string()).collect();
    let expected: BTreeSet<String> = ["1", "2", "3"]
        .iter()
        .map(|n| zone("eastus", n, SUB))
        .chain(
            ["1", "2", "3"]
                .iter()
                .map(|n| zone("eastus2", n, LEGACY_SUB)),
        )
        .collect();
    assert_eq!(declared, expected);
    let batch = by_name(&snapshot, "vm-batch");
    assert_eq!(batch.placement, Placement::Unpinned);
    assert_eq!(batch.region.as_deref(), Some("eastus"));
    assert_eq!(batch.account.as_deref(), Some(SUB));
    for z in &snapshot.zones {
        assert_eq!(z.provider, "azure");
        assert!(
            z.id.as_str().starts_with(&format!("{}-", z.region)),
            "{z:?}"
        );
    }
}

#[test]
fn an_unpinned_vm_is_cut_by_any_zone_of_its_region() {
    let snapshot = import_files(&[MODERN]);
    let batch = by_name(&snapshot, "vm-batch").id.clone();
    let estate = Estate::build(snapshot);
    let analysis = analysis::analyse(&estate);
    let ix = estate.lookup(&batch).expect("the batch account");
    for number in ["1", "2", "3"] {
        let id = zone("eastus", number, SUB);
        let domain = estate.find_domain(DomainKind::Zone, &id).expect("declared");
        assert!(
            analysis.domain_sets[ix.index()].contains(&domain),
            "losing {id} does not stop vm-batch"
        );
    }
}

#[test]
fn references_written_in_another_case_resolve_to_the_resource_ids() {
    let snapshot = import_files(&[MODERN]);
    let subnet = by_name(&snapshot, "snet-app").id.clone();
    let nat = by_name(&snapshot, "nat-app").id.clone();
    // The VMs name their NICs, and the association names the subnet, in lower case.
    assert!(subnet.contains("/resourceGroups/") && subnet.contains("Microsoft.Network"));
    for vm in ["vm-app-0", "vm-app-1", "vm-app-2"] {
        let needs = needs(&snapshot, vm);
        assert_eq!(needs["in subnet"], std::slice::from_ref(&subnet), "{vm}");
        assert_eq!(
            needs["egress via NAT gateway"],
            std::slice::from_ref(&nat),
            "{vm}"
        );
    }
    let pool = needs(&snapshot, "bepool-settlement");
    assert_eq!(pool["any backend member"].len(), 2);
    assert!(
        pool["any backend member"]
            .iter()
            .all(|id| id.contains("/virtualMachines/vm-settlement-")),
        "NIC associations reach the VMs: {pool:?}"
    );
    let settlement = needs(&snapshot, "vm-settlement-0");
    assert!(settlement["in availability set"][0].ends_with("/availabilitySets/avset-settlement"));
    assert!(needs(&snapshot, "vm-batch")["on managed disk"][0].ends_with("/disks/disk-batch-data"));
    // DNS: the web record reaches the load balancer through its frontend address; the
    // batch record the VM's own address, which needs the VM.
    assert!(needs(&snapshot, "www")["any record target"][0].ends_with("/loadBalancers/lb-web"));
    assert!(needs(&snapshot, "batch")["any record target"][0].ends_with("/pip-batch"));
    assert!(needs(&snapshot, "pip-batch")["attached to VM"][0].ends_with("/vm-batch"));
}

#[test]
fn the_azure_rules_fire_as_designed_on_both_estates() {
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
    let modern = azure_findings(import_files(&[MODERN]));
    let expected = BTreeMap::from([
        ("azure-vm-no-zone".to_string(), set(&["vm-batch"])),
        (
            "azure-vm-availability-set".to_string(),
            set(&["avset-settlement"]),
        ),
        ("azure-lb-basic-sku".to_string(), set(&["lb-settlement"])),
        (
            "azure-public-ip-not-zone-redundant".to_string(),
            set(&["pip-batch", "pip-nat-app"]),
        ),
        (
            "azure-storage-lrs-critical".to_string(),
            set(&["stexchstatements"]),
        ),
        (
            "azure-flexible-server-no-zone-redundant-ha".to_string(),
            set(&["pg-reporting"]),
        ),
        (
            "azure-nat-gateway-cross-zone".to_string(),
            set(&["nat-app"]),
        ),
    ]);
    assert_eq!(modern, expected);
    let legacy = azure_findings(import_files(&[LEGACY]));
    let expected = BTreeMap::from([
        (
            "azure-sql-database-not-zone-redundant".to_string(),
            set(&["orders"]),
        ),
        ("azure-aks-single-zone".to_string(), set(&["batch"])),
        ("azure-redis-no-zones".to_string(), set(&["redis-sessions"])),
        (
            "azure-app-service-plan-no-zone-redundancy".to_string(),
            set(&["plan-legacy"]),
        ),
    ]);
    assert_eq!(legacy, expected);
}

#[test]
fn the_same_zone_number_in_two_subscriptions_is_two_zones() {
    let state = |sub: &str, vm: &str| {
        format!(
            r#"{{"version": 4, "terraform_version": "1.8.0", "resources": [{{"mode": "managed",
            "type": "azurerm_linux_virtual_machine", "name": "{vm}",
            "provider": "provider[\"registry.terraform.io/hashicorp/azurerm\"]",
            "instances": [{{"schema_version": 0, "attributes": {{
              "id": "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{vm}",
              "name": "{vm}", "location": "West Europe", "zone": "1", "network_interface_ids": []}}}}]}}]}}"#
        )
    };
    let snapshot = import_texts(&[
        ("a.tfstate", state("AAAA", "vm-a")),
        ("b.tfstate", state("bbbb", "vm-b")),
    ]);
    let a = by_name(&snapshot, "vm-a").placement.zones()[0].to_string();
    let b = by_name(&snapshot, "vm-b").placement.zones()[0].to_string();
    assert_eq!(a, "westeurope-1@aaaa");
    assert_eq!(b, "westeurope-1@bbbb");
    assert_eq!(snapshot.zones.len(), 6, "1, 2 and 3 of each subscription");
}

/// One instance per (type, attributes) in a minimal state of the current writer.
fn state_of(instances: &[(&str, serde_json::Value)]) -> String {
    let resources: Vec<serde_json::Value> = instances
        .iter()
        .enumerate()
        .map(|(i, (type_name, attributes))| {
            serde_json::json!({
                "mode": "managed", "type": type_name, "name": format!("r{i}"),
                "provider": "provider[\"registry.terraform.io/hashicorp/azurerm\"]",
                "instances": [{"schema_version": 0, "attributes": attributes}]
            })
        })
        .collect();
    serde_json::json!({"version": 4, "terraform_version": "1.9.0", "resources": resources})
        .to_string()
}

#[test]
fn regions_without_availability_zones_declare_none_and_a_named_zone_declares_its_region() {
    let rg = "/subscriptions/cccc/resourceGroups/rg/providers";
    let text = state_of(&[
        (
            "azurerm_linux_virtual_machine",
            serde_json::json!({"id": format!("{rg}/Microsoft.Compute/virtualMachines/west"),
                "name": "west", "location": "westus", "zone": null}),
        ),
        // A region missing from the documented list, but with a zone named in the state.
        (
            "azurerm_managed_disk",
            serde_json::json!({"id": format!("{rg}/Microsoft.Compute/disks/new"),
                "name": "new", "location": "newregion", "zone": "2",
                "storage_account_type": "Premium_LRS"}),
        ),
    ]);
    let snapshot = import_texts(&[("regions.tfstate", text)]);
    assert_eq!(by_name(&snapshot, "west").placement, Placement::Unpinned);
    let regions: BTreeSet<&str> = snapshot.zones.iter().map(|z| z.region.as_str()).collect();
    assert_eq!(
        regions,
        BTreeSet::from(["newregion"]),
        "westus has no zones"
    );
    assert_eq!(snapshot.zones.len(), 3);
    assert!(snapshot::validate(&snapshot).is_empty());
}

#[test]
fn damaged_and_odd_instances_import_without_panicking() {
    let text = state_of(&[
        ("azurerm_linux_virtual_machine", serde_json::json!({})),
        (
            "azurerm_virtual_machine",
            serde_json::json!({"id": "", "zones": [null, 3], "location": null}),
        ),
        (
            "azurerm_lb",
            serde_json::json!({"id": "/x", "frontend_ip_configuration": "broken", "sku": 7}),
        ),
        (
            "azurerm_lb_backend_address_pool",
            serde_json::json!({"id": "not/an/azure/id"}),
        ),
        (
            "azurerm_postgresql_flexible_server",
            serde_json::json!({"high_availability": [null, {"mode": null}], "zone": 2}),
        ),
        (
            "azurerm_cosmosdb_account",
            serde_json::json!({"geo_location": [{"location": null}, {"failover_priority": "x"}]}),
        ),
        (
            "azurerm_storage_account",
            serde_json::json!({"account_type": "Standard_RAGRS", "location": "North Europe"}),
        ),
        (
            "azurerm_application_gateway",
            serde_json::json!({"sku": [], "backend_address_pool": [{"fqdns": ["a.example"]}]}),
        ),
        (
            "azurerm_dns_a_record",
            serde_json::json!({"records": "10.0.0.1"}),
        ),
        (
            "azurerm_kubernetes_cluster",
            serde_json::json!({"agent_pool_profile": [{"count": "3", "availability_zones": ["1", "2"]}], "location": "eastus"}),
        ),
        (
            "azurerm_some_future_type",
            serde_json::json!({"id": "/subscriptions/s/resourceGroups/rg/providers/X.Y/z/q", "location": "eastus"}),
        ),
    ]);
    let snapshot = import_texts(&[("odd.tfstate", text)]);
    assert_eq!(snapshot.sources[0].resources, Some(11));
    let problems = snapshot::validate(&snapshot);
    assert!(problems.is_empty(), "{problems:?}");
    let future = snapshot
        .resources
        .iter()
        .find(|r| r.kind == "azure:terraform:azurerm_some_future_type")
        .expect("kept");
    assert_eq!(future.placement, Placement::Unknown);
    assert_eq!(future.region.as_deref(), Some("eastus"));
    assert!(
        snapshot
            .coverage
            .iter()
            .any(|c| c.operation == "azurerm_some_future_type"),
        "counted in coverage"
    );
    let storage = snapshot
        .resources
        .iter()
        .find(|r| r.kind == "azure:storage:storage-account")
        .unwrap();
    assert_eq!(storage.attributes["replication"], "RAGRS");
    assert_eq!(storage.region.as_deref(), Some("northeurope"));
    let aks = snapshot
        .resources
        .iter()
        .find(|r| r.kind == "azure:containerservice:managed-cluster")
        .unwrap();
    assert_eq!(placed(aks), "multi_zone 1,2");
    assert_eq!(aks.attributes["node_count"], 3);
}

#[test]
fn a_plan_of_new_resources_qualifies_zones_by_the_configured_subscription() {
    let snapshot = import_files(&["plan-new-estate.json"]);
    let vm = by_name(&snapshot, "vm-api");
    assert_eq!(
        vm.id, "azurerm_linux_virtual_machine.api",
        "no id before apply"
    );
    assert_eq!(
        vm.placement.zones()[0].as_str(),
        zone("swedencentral", "2", "9d8c7b6a-0000-4000-8000-00000000beef")
    );
    assert_eq!(by_name(&snapshot, "pip-api").placement, Placement::Unpinned);
    assert_eq!(snapshot.zones.len(), 3);
    assert!(snapshot::validate(&snapshot).is_empty());
}

#[test]
fn a_load_balancer_is_placed_as_its_weakest_private_frontend() {
    let rg = "/subscriptions/dddd/resourceGroups/rg/providers/Microsoft.Network";
    let lb = |name: &str, frontends: serde_json::Value| {
        (
            "azurerm_lb",
            serde_json::json!({"id": format!("{rg}/loadBalancers/{name}"), "name": name,
                "location": "uksouth", "sku": "Standard", "frontend_ip_configuration": frontends}),
        )
    };
    let text = state_of(&[
        lb(
            "redundant",
            serde_json::json!([{"name": "a", "zones": ["1", "2", "3"]}]),
        ),
        lb(
            "mixed",
            serde_json::json!([{"name": "a", "zones": ["1", "2", "3"]}, {"name": "b", "zones": ["2"]}]),
        ),
        lb(
            "split",
            serde_json::json!([{"name": "a", "zones": ["1"]}, {"name": "b", "zones": ["2"]}]),
        ),
        lb(
            "nozone",
            serde_json::json!([{"name": "a", "zones": []}, {"name": "b", "zones": ["2"]}]),
        ),
    ]);
    let snapshot = import_texts(&[("lbs.tfstate", text)]);
    for (name, expected, redundant) in [
        ("redundant", "multi_zone 1,2,3", true),
        ("mixed", "zonal 2", false),
        ("split", "unpinned", false),
        ("nozone", "unpinned", false),
    ] {
        let lb = by_name(&snapshot, name);
        assert_eq!(placed(lb), expected, "{name}");
        assert_eq!(
            lb.attributes["frontend_zone_redundant"], redundant,
            "{name}"
        );
        assert!(
            !lb.attributes.contains_key("entry_point"),
            "{name}: internal"
        );
    }
    assert_eq!(snapshot.zones.len(), 3, "uksouth's zones, declared once");
    assert!(snapshot::validate(&snapshot).is_empty());
}

#[test]
fn a_default_route_to_a_firewall_makes_the_subnet_egress_through_it() {
    let net = "/subscriptions/eeee/resourceGroups/rg/providers/Microsoft.Network";
    let subnet = format!("{net}/virtualNetworks/spoke/subnets/app");
    let table = format!("{net}/routeTables/rt-app");
    let text = state_of(&[
        (
            "azurerm_firewall",
            serde_json::json!({"id": format!("{net}/azureFirewalls/fw-hub"), "name": "fw-hub",
                "location": "westeurope", "sku_tier": "Standard", "zones": ["1"],
                "ip_configuration": [{"name": "c", "private_ip_address": "10.0.0.4",
                    "subnet_id": format!("{net}/virtualNetworks/hub/subnets/AzureFirewallSubnet")}]}),
        ),
        (
            "azurerm_route_table",
            serde_json::json!({"id": table, "name": "rt-app", "location": "westeurope",
                "route": [{"name": "default", "address_prefix": "0.0.0.0/0",
                    "next_hop_type": "VirtualAppliance", "next_hop_in_ip_address": "10.0.0.4"}]}),
        ),
        (
            "azurerm_subnet_route_table_association",
            serde_json::json!({"id": subnet, "subnet_id": subnet, "route_table_id": table}),
        ),
        (
            "azurerm_nat_gateway",
            serde_json::json!({"id": format!("{net}/natGateways/nat"), "name": "nat",
                "location": "westeurope", "zones": ["3"]}),
        ),
        (
            "azurerm_subnet_nat_gateway_association",
            serde_json::json!({"id": subnet, "subnet_id": subnet,
                "nat_gateway_id": format!("{net}/natGateways/nat")}),
        ),
        (
            "azurerm_network_interface",
            serde_json::json!({"id": format!("{net}/networkInterfaces/nic"), "location": "westeurope",
                "ip_configuration": [{"subnet_id": subnet, "private_ip_address": "10.1.0.5"}]}),
        ),
        (
            "azurerm_linux_virtual_machine",
            serde_json::json!({"id": "/subscriptions/eeee/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/app",
                "name": "app", "location": "westeurope", "zone": "2",
                "network_interface_ids": [format!("{net}/networkInterfaces/nic")]}),
        ),
    ]);
    let snapshot = import_texts(&[("hub.tfstate", text)]);
    let needs = needs(&snapshot, "app");
    assert!(
        needs["egress via virtual appliance"][0].ends_with("/azureFirewalls/fw-hub"),
        "{needs:?}"
    );
    assert_eq!(placed(by_name(&snapshot, "fw-hub")), "zonal 1");
    assert!(
        !needs.contains_key("egress via NAT gateway"),
        "the user route takes precedence"
    );
}
