//! Resources deployed without availability zones (placement `unpinned`): each sits in one zone
//! of its region that nobody chose, so every zone of the region can take it down, two of them
//! are no redundancy for each other, a region without declared zones leaves them regional,
//! concentration counts them in an `unpinned` bucket, and every report says so.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{json, linchpin};
use linchpin::analysis::{self, Explainer, Failure, propagate, render_path, simulated_path};
use linchpin::graph::{Estate, ResourceIx};
use linchpin::model::{DomainKind, NOT_PINNED, Snapshot, StepCause};
use serde_json::{Value, json};

const EAST_ZONES: [&str; 3] = ["eastus-az1", "eastus-az2", "eastus-az3"];

/// An Azure estate: `eastus` declares three zones, `westus` none.
///
/// - `vm-a`, `vm-b`: unpinned in eastus; `vm-w`: unpinned in westus; `db`: zonal in az1,
///   `cache`: zonal in az2.
/// - `app` requires vm-a; `pool` needs any of vm-a, vm-b; `mixed` any of vm-a, cache;
///   `ledger` requires db; `west` requires vm-w; `signers` needs 2 of 3 unpinned VMs.
fn estate_json() -> Value {
    let vm = |name: &str, region: &str| {
        json!({
            "id": format!("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{name}"),
            "provider": "azure", "region": region, "kind": "azure:compute:virtualmachine",
            "name": name, "placement": {"type": "unpinned"}
        })
    };
    let id = |name: &str| {
        format!(
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{name}"
        )
    };
    let zonal = |name: &str, zone: &str| {
        json!({
            "id": id(name), "provider": "azure", "region": "eastus",
            "kind": "azure:compute:virtualmachine", "name": name,
            "placement": {"type": "zonal", "zone": zone}
        })
    };
    let function = |name: &str, requirements: Value| {
        json!({
            "id": format!("function:{name}"), "provider": "exchange", "kind": "function",
            "name": name, "tags": {"linchpin:critical": "true"},
            "placement": {"type": "logical"}, "requirements": requirements
        })
    };
    json!({
        "schema": "linchpin.snapshot/v1",
        "zones": EAST_ZONES
            .iter()
            .map(|z| json!({"id": z, "provider": "azure", "region": "eastus"}))
            .collect::<Vec<_>>(),
        "resources": [
            vm("vm-a", "eastus"),
            vm("vm-b", "eastus"),
            vm("vm-c", "eastus"),
            vm("vm-w", "westus"),
            zonal("db", "eastus-az1"),
            zonal("cache", "eastus-az2"),
            function("app", json!([{"requires": id("vm-a")}])),
            function("pool", json!([{"any_of": [id("vm-a"), id("vm-b")]}])),
            function("mixed", json!([{"any_of": [id("vm-a"), id("cache")]}])),
            function("ledger", json!([{"requires": id("db")}])),
            function("west", json!([{"requires": id("vm-w")}])),
            function("signers", json!([{"any_of": [id("vm-a"), id("vm-b"), id("vm-c")], "min": 2}])),
        ]
    })
}

fn estate() -> Estate {
    let snapshot: Snapshot = serde_json::from_value(estate_json()).unwrap();
    assert!(
        linchpin::snapshot::validate(&snapshot).is_empty(),
        "{:?}",
        linchpin::snapshot::validate(&snapshot)
    );
    Estate::build(snapshot)
}

fn ix(estate: &Estate, name: &str) -> ResourceIx {
    estate.find_resource(name).unwrap()
}

/// The single domains whose loss stops `service`, as `kind id`.
fn cut_set(estate: &Estate, analysis: &analysis::Analysis, service: &str) -> Vec<String> {
    let service = ix(estate, service);
    analysis
        .cut_sets
        .iter()
        .find(|(s, _)| s.resource == service)
        .map(|(_, domains)| {
            domains
                .iter()
                .map(|&d| estate.domain(d).to_ref().to_string())
                .collect()
        })
        .unwrap()
}

fn east_zones_and(extra: &[&str]) -> Vec<String> {
    EAST_ZONES
        .iter()
        .map(|z| format!("zone {z}"))
        .chain(extra.iter().map(|d| d.to_string()))
        .collect()
}

#[test]
fn an_unpinned_resource_is_cut_by_each_zone_of_its_region_not_pinned_to_a_zone() {
    let estate = estate();
    let analysis = analysis::analyse(&estate);
    assert_eq!(
        cut_set(&estate, &analysis, "app"),
        east_zones_and(&["region eastus", "provider azure"])
    );
    let vm_a = ix(&estate, "vm-a");
    assert!(estate.resource(vm_a).placement.zones().is_empty());
    let mut explainer = Explainer::new(&estate, &analysis.domain_sets);
    for zone in EAST_ZONES {
        let d = estate.find_domain(DomainKind::Zone, zone).unwrap();
        assert!(estate.is_lethal(vm_a, d) && estate.is_unpinned_loss(vm_a, d));
        let path = explainer.path(ix(&estate, "app"), d);
        let last = path.last().unwrap();
        assert_eq!(last.name, "vm-a");
        match &last.cause {
            StepCause::Placement {
                placement,
                domains,
                reason,
            } => {
                assert_eq!(placement, "unpinned");
                assert_eq!(domains[0].id, zone);
                assert_eq!(reason.as_deref(), Some(NOT_PINNED));
            }
            other => panic!("ends at {other:?}"),
        }
        assert!(
            render_path(&path).ends_with(&format!(
                "vm-a [unpinned] ← zone {zone} down (not pinned to a zone)"
            )),
            "{}",
            render_path(&path)
        );
    }
    // The region's loss is no question of zones: no reason given.
    let region = estate.find_domain(DomainKind::Region, "eastus").unwrap();
    assert!(!estate.is_unpinned_loss(vm_a, region));
    let path = explainer.path(ix(&estate, "app"), region);
    assert!(matches!(
        &path.last().unwrap().cause,
        StepCause::Placement { reason: None, .. }
    ));
}

#[test]
fn two_unpinned_resources_are_no_redundancy_for_each_other() {
    let estate = estate();
    let analysis = analysis::analyse(&estate);
    // Both members go down with every zone of eastus.
    assert_eq!(
        cut_set(&estate, &analysis, "pool"),
        east_zones_and(&["region eastus", "provider azure"])
    );
    // A 2-of-3 quorum of unpinned members, likewise.
    assert_eq!(
        cut_set(&estate, &analysis, "signers"),
        east_zones_and(&["region eastus", "provider azure"])
    );
    // With a member pinned to az2, only az2 takes both (vm-a may be there too).
    assert_eq!(
        cut_set(&estate, &analysis, "mixed"),
        ["zone eastus-az2", "region eastus", "provider azure"]
    );
    // And propagation agrees: losing az3 downs both pool members and the pool.
    let az3 = estate.find_domain(DomainKind::Zone, "eastus-az3").unwrap();
    let outcome = propagate(
        &estate,
        &Failure {
            domains: vec![az3],
            resources: Vec::new(),
        },
    );
    for name in ["vm-a", "vm-b", "vm-c", "pool", "signers", "app"] {
        assert!(outcome.is_down(ix(&estate, name)), "{name} is up");
    }
    for name in ["db", "cache", "mixed", "ledger", "vm-w", "west"] {
        assert!(!outcome.is_down(ix(&estate, name)), "{name} is down");
    }
}

#[test]
fn a_region_without_declared_zones_leaves_unpinned_resources_regional() {
    let estate = estate();
    let analysis = analysis::analyse(&estate);
    let vm_w = ix(&estate, "vm-w");
    let westus = estate.find_domain(DomainKind::Region, "westus").unwrap();
    assert!(estate.zones_of_region(westus).is_empty());
    assert!(estate.any_zone(vm_w).is_empty());
    assert_eq!(
        cut_set(&estate, &analysis, "west"),
        ["region westus", "provider azure"]
    );
    // Every zone of the estate lost: vm-w stays up; its region lost: it goes.
    let zones: Vec<_> = estate
        .domain_ixs()
        .filter(|&d| estate.domain(d).kind == DomainKind::Zone)
        .collect();
    let outcome = propagate(
        &estate,
        &Failure {
            domains: zones,
            resources: Vec::new(),
        },
    );
    assert!(!outcome.is_down(vm_w) && !outcome.is_down(ix(&estate, "west")));
    let outcome = propagate(
        &estate,
        &Failure {
            domains: vec![westus],
            resources: Vec::new(),
        },
    );
    assert!(outcome.is_down(vm_w) && outcome.is_down(ix(&estate, "west")));
}

#[test]
fn losing_one_zone_downs_the_unpinned_resources_of_its_region() {
    let estate = estate();
    let az1 = estate.find_domain(DomainKind::Zone, "eastus-az1").unwrap();
    let outcome = propagate(
        &estate,
        &Failure {
            domains: vec![az1],
            resources: Vec::new(),
        },
    );
    let path = simulated_path(&estate, &outcome, ix(&estate, "app"));
    assert_eq!(
        render_path(&path),
        "app → vm-a [unpinned] ← zone eastus-az1 down (not pinned to a zone)"
    );

    // The command line: simulate one zone.
    let dir = tempfile::tempdir().unwrap();
    let snapshot = write_snapshot(dir.path());
    let report = json(&[
        "simulate",
        "--snapshot",
        &snapshot,
        "--fail",
        "zone=eastus-az2",
        "--format",
        "json",
    ]);
    let down: BTreeSet<&str> = report["down"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    let expected = [
        "app", "cache", "mixed", "pool", "signers", "vm-a", "vm-b", "vm-c",
    ];
    assert_eq!(down, BTreeSet::from(expected));
    let vm_a = report["down"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "vm-a")
        .unwrap();
    assert_eq!(
        vm_a["path"][0]["cause"],
        json!({
            "type": "placement",
            "placement": "unpinned",
            "domains": [{"kind": "zone", "id": "eastus-az2"}],
            "reason": "not pinned to a zone"
        })
    );
    let table = linchpin(&[
        "simulate",
        "--snapshot",
        &snapshot,
        "--fail",
        "zone=eastus-az2",
    ]);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("(not pinned to a zone)"), "{table}");
}

#[test]
fn concentration_counts_unpinned_resources_in_a_bucket_of_their_region() {
    let estate = estate();
    let analysis = analysis::analyse(&estate);
    let zones_of = |kind: DomainKind, id: &str| {
        analysis
            .concentration
            .iter()
            .find(|c| {
                c.over == DomainKind::Zone
                    && c.population == analysis::Population::All
                    && c.scope
                        .as_ref()
                        .is_some_and(|s| s.kind == kind && s.id == id)
            })
            .unwrap_or_else(|| panic!("no zone distribution of {kind} {id}"))
    };
    // eastus: db in az1, cache in az2, three VMs in no zone.
    let east = zones_of(DomainKind::Region, "eastus");
    let shares: Vec<(&str, f64)> = east
        .shares
        .iter()
        .map(|s| (s.domain.id.as_str(), s.weight))
        .collect();
    assert_eq!(shares, [("eastus-az1", 1.0), ("eastus-az2", 1.0)]);
    let bucket = east.unpinned.as_ref().unwrap();
    assert_eq!((bucket.weight, bucket.share), (3.0, 0.6));
    assert_eq!(east.total, 5.0);
    // 0.2² + 0.2² + 0.6²: the bucket is one place.
    assert_eq!(east.hhi, 4400.0);
    // westus: only the bucket, whether or not zones are declared.
    let west = zones_of(DomainKind::Region, "westus");
    assert!(west.shares.is_empty());
    assert_eq!(west.unpinned.as_ref().unwrap().share, 1.0);
    assert_eq!(west.hhi, 10_000.0);
    // The provider's zone distribution holds both regions' buckets.
    let azure = zones_of(DomainKind::Provider, "azure");
    assert_eq!(azure.unpinned.as_ref().unwrap().weight, 4.0);
    // Distributions over regions and providers have no bucket.
    assert!(
        analysis
            .concentration
            .iter()
            .filter(|c| c.over != DomainKind::Zone)
            .all(|c| c.unpinned.is_none())
    );
}

fn write_snapshot(dir: &Path) -> String {
    let path = dir.join("azure.json");
    std::fs::write(&path, serde_json::to_string_pretty(&estate_json()).unwrap()).unwrap();
    path.display().to_string()
}

fn audit(snapshot: &str, format: &str) -> String {
    let out = linchpin(&["audit", "--snapshot", snapshot, "--format", format]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_report_shows_the_unpinned_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = write_snapshot(dir.path());
    let report: Value = serde_json::from_str(&audit(&snapshot, "json")).unwrap();
    let east = report["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["over"] == "zone" && c["population"] == "all" && c["scope"]["id"] == "eastus")
        .unwrap();
    assert_eq!(east["unpinned"], json!({"weight": 3.0, "share": 0.6}));

    let table = audit(&snapshot, "table");
    for line in ["Scores", "Concentration"].map(|heading| {
        let at = table.find(&format!("{heading}\n")).unwrap();
        table[at..].lines().nth(2).unwrap().to_string()
    }) {
        assert!(line.contains("Unpinned"), "no Unpinned column in {line}");
    }
    // eastus over zones: 3 resources, 60% of all.
    assert!(table.contains("3 (60%)"), "{table}");

    let markdown = audit(&snapshot, "markdown");
    assert!(
        markdown.contains("| Region | Largest zone | Share | Unpinned | HHI | Effective zones |"),
        "{markdown}"
    );

    let html = audit(&snapshot, "html");
    assert!(html.contains("class=\"zone unpinned\""));
    assert!(html.contains("data-unpinned=\"true\""));

    // Drawings keep an unpinned node in its region's cluster and say it has no zone.
    let dot = linchpin(&["graph", "--snapshot", &snapshot, "--format", "dot"]);
    let dot = String::from_utf8(dot.stdout).unwrap();
    assert!(
        dot.contains("label=\"vm-a\\nazure:compute:virtualmachine\\nunpinned: no zone chosen\""),
        "{dot}"
    );

    let out = dir.path().join("bundle");
    let export = linchpin(&[
        "export",
        "evidence",
        "--snapshot",
        &snapshot,
        "--out",
        &out.display().to_string(),
        "--timestamp",
        "2025-04-15T02:00:00Z",
    ]);
    assert_eq!(
        export.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let csv = std::fs::read_to_string(out.join("concentration.csv")).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("region eastus,zone,all,unpinned,3,0.6,")),
        "{csv}"
    );
}

#[test]
fn findings_say_deployed_without_availability_zones() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = write_snapshot(dir.path());
    let report: Value = serde_json::from_str(&audit(&snapshot, "json")).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let of =
        |rule: &str| -> Vec<&Value> { findings.iter().filter(|f| f["rule"] == rule).collect() };

    // Resource SPOF: vm-a stops app, at the rule's own severity (it is in one zone).
    let spof = of("resource-spof")
        .into_iter()
        .find(|f| f["message"].as_str().unwrap().starts_with("vm-a "))
        .unwrap();
    assert_eq!(spof["severity"], "high");
    assert_eq!(
        spof["message"],
        "vm-a (azure:compute:virtualmachine, deployed without availability zones in eastus) \
         is a single point of failure for app"
    );

    // Zone cut sets: each zone of eastus stops app, because vm-a is not pinned to a zone.
    let cuts: Vec<&Value> = of("zone-cut-set")
        .into_iter()
        .filter(|f| f["services"][0] == "function:app")
        .collect();
    assert_eq!(cuts.len(), 3);
    for cut in cuts {
        assert!(
            cut["message"]
                .as_str()
                .unwrap()
                .ends_with("(it takes down: vm-a (deployed without availability zones))"),
            "{}",
            cut["message"]
        );
        assert!(
            cut["remediation"].as_str().unwrap().ends_with(
                "The path ends at vm-a (azure:compute:virtualmachine, deployed without \
                 availability zones)."
            ),
            "{}",
            cut["remediation"]
        );
        assert_eq!(cut["path"][1]["cause"]["reason"], "not pinned to a zone");
    }

    // Two unpinned members give a group no redundancy against a zone, and the finding says why.
    let pool = of("zone-cut-set")
        .into_iter()
        .find(|f| f["services"][0] == "function:pool")
        .unwrap();
    assert!(
        pool["message"].as_str().unwrap().ends_with(
            "(it takes down: 2 of 2 of [vm-a, vm-b], all deployed without availability zones)"
        ),
        "{}",
        pool["message"]
    );

    // Zone concentration: the bucket is the largest place of eastus and all of westus.
    let concentration = of("zone-concentration");
    let message = |region: &str| {
        concentration
            .iter()
            .find(|f| f["region"] == region)
            .unwrap_or_else(|| panic!("no zone-concentration finding in {region}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        message("eastus"),
        "60% of the zone-placed critical dependencies in region eastus are deployed without \
         availability zones (HHI 4400, 2.27 effective zones over 2): 60% deployed without \
         availability zones (limit 50%)"
    );
    let remediation = concentration
        .iter()
        .find(|f| f["region"] == "eastus")
        .unwrap()["remediation"]
        .as_str()
        .unwrap();
    assert!(
        remediation.starts_with(
            "Deploy what critical services need in region eastus into explicit availability zones"
        ),
        "{remediation}"
    );
    assert_eq!(
        message("westus"),
        "100% of the zone-placed critical dependencies in region westus are deployed without \
         availability zones (HHI 10000, 1 effective zones over 0): 100% deployed without \
         availability zones (limit 50%), 0 zones (minimum 2)"
    );

    // A 2-of-3 quorum of unpinned members: any zone takes all three.
    assert!(
        of("quorum-zone-loss")
            .iter()
            .any(|f| f["resources"][0] == "function:signers")
    );
}

#[test]
fn rules_see_unpinned_placement_and_the_zones_that_can_take_it() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = write_snapshot(dir.path());
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("azure-vm-unpinned.toml"),
        r#"id = "azure-vm-unpinned"
title = "VM deployed without availability zones"
severity = "medium"
status = "preview"
since = "0.1.0"
kinds = ["azure:compute:virtualmachine"]
condition = 'resource.placement == "unpinned" && size(resource.zones) == 0'
message = "{resource.name} can be lost with any of [{graph.lethal_zones}] (region zones [{graph.region_zones}])"
remediation = "Deploy it into an explicit zone."
references = ["https://learn.microsoft.com/azure/reliability/availability-zones-overview"]

[controls]
dora = ["Art. 7"]
iso27001 = ["A.8.14"]
soc2 = ["A1.2"]
nist80053 = ["SC-36"]

[docs]
what_it_checks = "VMs without zones."
why_it_is_a_risk = "Any zone may stop them."
how_to_fix = "Pin them."
example = "vm-a"
"#,
    )
    .unwrap();
    let rules = rules.display().to_string();
    let report = json(&[
        "audit",
        "--snapshot",
        &snapshot,
        "--rules",
        &rules,
        "--format",
        "json",
    ]);
    let mut messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "azure-vm-unpinned")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    messages.sort_unstable();
    let east = "[eastus-az1, eastus-az2, eastus-az3]";
    assert_eq!(
        messages,
        [
            format!("vm-a can be lost with any of {east} (region zones {east})"),
            format!("vm-b can be lost with any of {east} (region zones {east})"),
            format!("vm-c can be lost with any of {east} (region zones {east})"),
            "vm-w can be lost with any of [none] (region zones [none])".to_string(),
        ]
    );
}
