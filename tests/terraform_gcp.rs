//! The Google Cloud table of the Terraform importer, checked end to end through the library:
//! zones per resource (also when a state writes the zone as a URL), the external load
//! balancer's chain from entry point to backends, zonal against regional Cloud SQL through
//! the exact kill sets and the rule pack, old attribute names and flatmap states, plans that
//! leave zones unknown, egress through Cloud NAT and default routes, and every instance
//! accounted for.
//!
//! Fixtures in `tests/fixtures/terraform/gcp/`: `estate.tfstate` (a 1.7 state with the
//! google provider: an external HTTPS load balancer over a regional and two zonal managed
//! instance groups, zonal and regional Cloud SQL, a zonal and a regional GKE cluster with node
//! pools, Basic Memorystore, buckets, DNS), `legacy.tfstate` (a 0.12.0 state with 2.x/3.x
//! attribute names and a flatmap instance) and `plan.json` (`terraform show -json` of a plan
//! creating resources whose zones Google picks at apply).

use std::path::Path;

use linchpin::analysis;
use linchpin::graph::{CriticalReason, Estate};
use linchpin::model::{DomainKind, Placement, Resource, Snapshot};
use linchpin::rules::{RulePack, engine};
use linchpin::sources::terraform::{File, import, read_str};

fn import_text(name: &str, text: &str) -> (Snapshot, u64) {
    let doc = read_str(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let managed = doc.instances.iter().filter(|i| !i.data).count() as u64;
    let snapshot = import(&[File {
        origin: name,
        instances: &doc.instances,
    }]);
    let problems = linchpin::snapshot::validate(&snapshot);
    assert!(problems.is_empty(), "{name}: {problems:?}");
    (snapshot, managed)
}

fn fixture(name: &str) -> Snapshot {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform/gcp")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    import_text(name, &text).0
}

/// The resource made from a Terraform address.
fn at<'a>(snapshot: &'a Snapshot, address: &str) -> &'a Resource {
    snapshot
        .resources
        .iter()
        .find(|r| r.attributes.get("tf_address").and_then(|a| a.as_str()) == Some(address))
        .unwrap_or_else(|| {
            let all: Vec<_> = snapshot
                .resources
                .iter()
                .map(|r| r.attributes["tf_address"].to_string())
                .collect();
            panic!("no resource from {address}; have {all:?}")
        })
}

/// `zonal z`, `multi z1,z2`, `multi~ …` (inferred), or the placement's type name.
fn placed(resource: &Resource) -> String {
    match &resource.placement {
        Placement::Zonal { zone } => format!("zonal {zone}"),
        Placement::MultiZone { zones, inferred } => format!(
            "multi{} {}",
            if *inferred { "~" } else { "" },
            zones
                .iter()
                .map(|z| z.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.type_name().to_string(),
    }
}

/// The ids a resource requires, group by group (one id, or several for any-of).
fn needs(resource: &Resource) -> Vec<(String, Vec<String>)> {
    resource
        .requirements
        .iter()
        .map(|g| (g.label.clone().unwrap_or_default(), g.members().to_vec()))
        .collect()
}

/// The single failure domains whose loss takes a resource down, directly or through what it
/// requires (the exact kill sets).
fn killed_by(estate: &Estate, id: &str) -> Vec<(DomainKind, String)> {
    let analysis = analysis::analyse(estate);
    let ix = estate.find_resource(id).unwrap();
    let mut domains: Vec<(DomainKind, String)> = analysis.domain_sets[ix.index()]
        .iter()
        .map(|&d| (estate.domain(d).kind, estate.domain(d).id.clone()))
        .collect();
    domains.sort();
    domains
}

fn zones_of(domains: &[(DomainKind, String)]) -> Vec<&str> {
    domains
        .iter()
        .filter(|(kind, _)| *kind == DomainKind::Zone)
        .map(|(_, id)| id.as_str())
        .collect()
}

fn needs_label<'a>(resource: &'a Resource, label: &str) -> Vec<&'a str> {
    resource
        .requirements
        .iter()
        .filter(|g| g.label.as_deref() == Some(label))
        .flat_map(|g| g.members().iter().map(String::as_str))
        .collect()
}

#[test]
fn every_resource_is_placed_in_the_zones_its_state_names() {
    let snapshot = fixture("estate.tfstate");
    let expected = [
        ("google_compute_network.prod", "global"),
        ("google_compute_subnetwork.app", "regional"),
        ("google_compute_router_nat.egress", "regional"),
        // The zone is written as a full URL in this instance.
        ("google_compute_instance.bastion", "zonal europe-west1-d"),
        ("google_compute_instance.worker", "zonal europe-west1-c"),
        ("google_compute_disk.worker_data", "zonal europe-west1-c"),
        (
            "google_compute_region_instance_group_manager.web",
            "multi europe-west1-b,europe-west1-c,europe-west1-d",
        ),
        (
            "module.api.google_compute_instance_group_manager.api[\"b\"]",
            "zonal europe-west1-b",
        ),
        (
            "module.api.google_compute_instance_group_manager.api[\"c\"]",
            "zonal europe-west1-c",
        ),
        ("google_compute_backend_service.web", "global"),
        ("google_compute_url_map.main", "global"),
        ("google_compute_target_https_proxy.main", "global"),
        ("google_compute_global_forwarding_rule.https", "global"),
        (
            "google_sql_database_instance.ledger",
            "zonal europe-west1-b",
        ),
        (
            "google_sql_database_instance.orders",
            "multi europe-west1-c,europe-west1-d",
        ),
        ("google_container_cluster.ops", "zonal europe-west1-b"),
        ("google_container_cluster.apps", "regional"),
        ("google_container_node_pool.ops", "zonal europe-west1-b"),
        (
            "google_container_node_pool.apps",
            "multi europe-west1-b,europe-west1-c,europe-west1-d",
        ),
        ("google_redis_instance.sessions", "zonal europe-west1-b"),
        ("google_storage_bucket.statements", "regional"),
        ("google_storage_bucket.archive", "global"),
        ("google_dns_record_set.www", "global"),
        ("google_monitoring_alert_policy.cpu", "unknown"),
    ];
    for (address, placement) in expected {
        assert_eq!(placed(at(&snapshot, address)), placement, "{address}");
    }
    let bastion = at(&snapshot, "google_compute_instance.bastion");
    assert_eq!(bastion.region.as_deref(), Some("europe-west1"));
    assert_eq!(bastion.account.as_deref(), Some("exch-prod"));
    assert_eq!(bastion.attributes["zone"], "europe-west1-d");
    // Every zone is declared once, in its region, for Google.
    let zones: Vec<(&str, &str, &str)> = snapshot
        .zones
        .iter()
        .map(|z| (z.id.as_str(), z.region.as_str(), z.provider.as_str()))
        .collect();
    assert_eq!(
        zones,
        [
            ("europe-west1-b", "europe-west1", "gcp"),
            ("europe-west1-c", "europe-west1", "gcp"),
            ("europe-west1-d", "europe-west1", "gcp"),
        ]
    );
    // Ids are self links where the state has them, else the provider's id.
    assert_eq!(
        bastion.id,
        "https://www.googleapis.com/compute/v1/projects/exch-prod/zones/europe-west1-d/instances/bastion"
    );
    assert_eq!(
        at(&snapshot, "google_redis_instance.sessions").id,
        "projects/exch-prod/locations/europe-west1/instances/sessions"
    );
    let bucket = at(&snapshot, "google_storage_bucket.archive");
    assert_eq!(bucket.attributes["location_type"], "multi-region");
    assert_eq!(bucket.region, None);
}

#[test]
fn the_external_load_balancer_is_an_entry_point_that_needs_its_backends_through_the_chain() {
    let snapshot = fixture("estate.tfstate");
    let rule = at(&snapshot, "google_compute_global_forwarding_rule.https");
    let proxy = at(&snapshot, "google_compute_target_https_proxy.main");
    let url_map = at(&snapshot, "google_compute_url_map.main");
    let web = at(&snapshot, "google_compute_backend_service.web");
    let api = at(&snapshot, "google_compute_backend_service.api");
    let web_group = at(
        &snapshot,
        "google_compute_region_instance_group_manager.web",
    );
    let api_b = at(
        &snapshot,
        "module.api.google_compute_instance_group_manager.api[\"b\"]",
    );
    let api_c = at(
        &snapshot,
        "module.api.google_compute_instance_group_manager.api[\"c\"]",
    );
    let record = at(&snapshot, "google_dns_record_set.www");
    assert_eq!(rule.attributes["entry_point"], true);
    assert_eq!(record.attributes["entry_point"], true);
    assert_eq!(needs_label(record, "serves"), [rule.id.as_str()]);
    assert_eq!(needs_label(rule, "target"), [proxy.id.as_str()]);
    assert_eq!(needs_label(proxy, "URL map"), [url_map.id.as_str()]);
    let quotes = at(&snapshot, "google_compute_backend_service.quotes");
    let mut routed = needs_label(url_map, "routes to");
    routed.sort();
    assert_eq!(
        routed,
        [api.id.as_str(), quotes.id.as_str(), web.id.as_str()]
    );
    // The serverless path: backend → serverless NEG → Cloud Run → its database (by
    // connection name), its subnetwork (direct VPC egress) and, for all traffic, the NAT.
    let neg = at(
        &snapshot,
        "google_compute_region_network_endpoint_group.quotes",
    );
    let run = at(&snapshot, "google_cloud_run_v2_service.quotes");
    assert_eq!(needs_label(quotes, "backends"), [neg.id.as_str()]);
    assert_eq!(needs_label(neg, "serverless backend"), [run.id.as_str()]);
    assert_eq!(placed(run), "regional");
    let orders = at(&snapshot, "google_sql_database_instance.orders");
    let subnet = at(&snapshot, "google_compute_subnetwork.app");
    assert_eq!(needs_label(run, "database"), [orders.id.as_str()]);
    assert_eq!(needs_label(run, "in subnetwork"), [subnet.id.as_str()]);
    // The backend names the group by its instance group URL; it resolves to the manager.
    assert_eq!(needs_label(web, "backends"), [web_group.id.as_str()]);
    assert_eq!(
        needs(api),
        [(
            "backends".to_string(),
            vec![api_b.id.clone(), api_c.id.clone()]
        )]
    );
    // Groups inherit their template's subnetwork and, with no external IP, need the NAT.
    let nat = at(&snapshot, "google_compute_router_nat.egress");
    assert_eq!(
        needs_label(api_b, "egress via Cloud NAT"),
        [nat.id.as_str()]
    );
    assert_eq!(needs_label(run, "egress via Cloud NAT"), [nat.id.as_str()]);
    assert_eq!(
        api_b.attributes["min_size"], 2,
        "the autoscaler is folded into its group"
    );

    let estate = Estate::build(snapshot.clone());
    let ix = estate.find_resource(&rule.id).unwrap();
    let service = estate
        .critical
        .iter()
        .find(|s| s.resource == ix)
        .expect("the forwarding rule is a critical service");
    assert_eq!(service.reason, CriticalReason::EntryPoint);
    // Zone-redundant backends: no single zone stops it; its region (the NAT, the
    // subnetwork) and Google do.
    let lethal = killed_by(&estate, &rule.id);
    assert!(zones_of(&lethal).is_empty(), "{lethal:?}");
    assert!(lethal.contains(&(DomainKind::Region, "europe-west1".into())));
    assert!(lethal.contains(&(DomainKind::Provider, "gcp".into())));
    // Losing both zones of the api groups is what it takes to stop the api backend.
    assert_eq!(zones_of(&killed_by(&estate, &api.id)), Vec::<&str>::new());
    assert_eq!(zones_of(&killed_by(&estate, &api_b.id)), ["europe-west1-b"]);
    // Every link of the chain, and the single regional group, is a single point of failure.
    let analysis = analysis::analyse(&estate);
    let (_, spofs) = analysis
        .spofs
        .iter()
        .find(|(s, _)| s.resource == ix)
        .unwrap();
    let spofs: Vec<&str> = spofs
        .iter()
        .map(|&r| estate.resource(r).id.as_str())
        .collect();
    for id in [
        &proxy.id,
        &url_map.id,
        &web.id,
        &web_group.id,
        &nat.id,
        &run.id,
        &orders.id,
    ] {
        assert!(spofs.contains(&id.as_str()), "{id} not in {spofs:?}");
    }
    assert!(
        !spofs.contains(&api_b.id.as_str()),
        "api-b has api-c beside it"
    );
}

#[test]
fn zonal_cloud_sql_is_cut_by_its_zone_and_the_regional_one_is_not() {
    let snapshot = fixture("estate.tfstate");
    let ledger = at(&snapshot, "google_sql_database_instance.ledger")
        .id
        .clone();
    let orders = at(&snapshot, "google_sql_database_instance.orders")
        .id
        .clone();
    assert_eq!(
        at(&snapshot, "google_sql_database_instance.ledger").tags["linchpin:critical"],
        "true",
        "the label linchpin-critical stands for the tag"
    );
    let estate = Estate::build(snapshot);
    assert_eq!(zones_of(&killed_by(&estate, &ledger)), ["europe-west1-b"]);
    let regional = killed_by(&estate, &orders);
    assert!(zones_of(&regional).is_empty(), "{regional:?}");
    assert!(regional.contains(&(DomainKind::Region, "europe-west1".into())));

    let pack = RulePack::builtin().unwrap();
    let analysis = analysis::analyse(&estate);
    let evaluation = engine::run(&pack, &estate, &analysis);
    assert!(evaluation.errors.is_empty(), "{:?}", evaluation.errors);
    let fired = |rule: &str| -> Vec<String> {
        let mut subjects: Vec<String> = evaluation
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .filter_map(|f| f.resources.first().cloned())
            .collect();
        subjects.sort();
        subjects
    };
    assert_eq!(fired("gcp-sql-zonal"), [ledger.as_str()]);
    let sql_zonal = evaluation
        .findings
        .iter()
        .find(|f| f.rule == "gcp-sql-zonal")
        .unwrap();
    assert!(
        sql_zonal.message.contains("europe-west1-b"),
        "{}",
        sql_zonal.message
    );
    // The rest of the Google pack on the same estate.
    let ids = |addresses: &[&str]| -> Vec<String> {
        let snapshot = fixture("estate.tfstate");
        let mut ids: Vec<String> = addresses
            .iter()
            .map(|a| at(&snapshot, a).id.clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        fired("gcp-gke-zonal-control-plane"),
        ids(&["google_container_cluster.ops"])
    );
    assert_eq!(
        fired("gcp-gke-node-pool-single-zone"),
        ids(&["google_container_node_pool.ops"])
    );
    assert_eq!(
        fired("gcp-redis-basic-tier"),
        ids(&["google_redis_instance.sessions"])
    );
    assert!(fired("gcp-backend-service-single-zone").is_empty());
}

#[test]
fn every_instance_is_made_folded_or_skipped() {
    for name in ["estate.tfstate", "legacy.tfstate", "plan.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/terraform/gcp")
            .join(name);
        let (snapshot, managed) = import_text(name, &std::fs::read_to_string(path).unwrap());
        let source = &snapshot.sources[0];
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
    }
    let snapshot = fixture("estate.tfstate");
    let source = &snapshot.sources[0];
    for folded in [
        "google_compute_attached_disk",
        "google_compute_autoscaler",
        "google_compute_firewall",
        "google_project_iam_member",
        "google_project_service",
        "google_sql_database",
        "google_storage_bucket_iam_member",
    ] {
        assert_eq!(source.folded.get(folded), Some(&1), "{folded}");
    }
    assert_eq!(source.skipped.get("random_password"), Some(&1));
    // The type no table knows is in coverage, counted, never taken as safe.
    let gap = snapshot
        .coverage
        .iter()
        .find(|c| c.operation == "google_monitoring_alert_policy")
        .expect("a coverage gap for the unknown type");
    assert!(
        gap.error
            .as_deref()
            .unwrap_or("")
            .starts_with("1 instance(s)")
    );
    // Folded edges and attributes land on their resource.
    let worker = at(&snapshot, "google_compute_instance.worker");
    let disk = at(&snapshot, "google_compute_disk.worker_data");
    assert_eq!(needs_label(worker, "disk"), [disk.id.as_str()]);
    assert_eq!(
        at(&snapshot, "google_compute_network.prod").attributes["firewall_rules"],
        1
    );
    // The bastion's boot disk lives with it (no resource of its own): no dangling edge.
    assert!(
        !snapshot
            .coverage
            .iter()
            .any(|c| c.operation == "references"),
        "{:?}",
        snapshot.coverage
    );
}

#[test]
fn old_attribute_names_flatmap_values_and_unstated_zones() {
    let snapshot = fixture("legacy.tfstate");
    let expected = [
        // `zone` and `additional_zones` of a 2.x cluster.
        ("google_container_cluster.legacy", "zonal us-central1-a"),
        (
            "google_container_node_pool.legacy",
            "multi us-central1-a,us-central1-b",
        ),
        ("google_filestore_instance.nfs", "zonal us-central1-c"),
        ("google_filestore_instance.shared", "regional"),
        (
            "google_compute_instance_group_manager.old",
            "zonal us-central1-a",
        ),
        // No distribution zones stated: the region's zones the estate names, inferred.
        (
            "google_compute_region_instance_group_manager.spread",
            "multi~ us-central1-a,us-central1-b,us-central1-c,us-central1-f",
        ),
        // All instances in one zone Google picks.
        (
            "google_compute_region_instance_group_manager.batch",
            "unpinned",
        ),
        // No alternative zone stated for a Standard tier instance: inferred.
        (
            "google_redis_instance.cache",
            "multi~ us-central1-a,us-central1-b,us-central1-c,us-central1-f",
        ),
        // A flatmap instance: REGIONAL with only the primary zone.
        (
            "google_sql_database_instance.mysql",
            "multi~ us-central1-f,us-central1-a,us-central1-b,us-central1-c",
        ),
        (
            "google_sql_database_instance.mysql_replica",
            "zonal us-east1-b",
        ),
        ("google_storage_bucket.dual", "global"),
        ("google_storage_bucket.custom", "global"),
        ("google_spanner_instance.regional", "regional"),
        ("google_spanner_instance.global", "global"),
        ("google_kms_crypto_key.key", "global"),
    ];
    for (address, placement) in expected {
        assert_eq!(placed(at(&snapshot, address)), placement, "{address}");
    }
    let mysql = at(&snapshot, "google_sql_database_instance.mysql");
    assert_eq!(
        mysql.attributes["backups_enabled"], true,
        "flatmap \"true\""
    );
    assert_eq!(
        mysql.attributes["replica_regions"],
        serde_json::json!(["us-east1"])
    );
    assert_eq!(
        at(&snapshot, "google_sql_database_instance.mysql_replica").attributes["replica_of"],
        "mysql"
    );
    assert_eq!(
        at(&snapshot, "google_compute_instance_group_manager.old").attributes["target_size"],
        1,
        "a number written as a string"
    );
    assert_eq!(
        at(&snapshot, "google_spanner_instance.regional")
            .region
            .as_deref(),
        Some("us-central1")
    );
    assert_eq!(
        at(&snapshot, "google_storage_bucket.custom").attributes["location_type"],
        "dual-region"
    );
    let pool = at(&snapshot, "google_container_node_pool.legacy");
    let cluster = at(&snapshot, "google_container_cluster.legacy");
    assert_eq!(needs_label(pool, "control plane"), [cluster.id.as_str()]);
    assert_eq!(pool.attributes["auto_repair"], false);
    // Scheme absent (the provider's default, EXTERNAL): an entry point; scheme "" (Private
    // Service Connect to Google APIs): not.
    let www = at(&snapshot, "google_compute_forwarding_rule.www");
    assert_eq!(www.attributes["entry_point"], true);
    let apis = at(&snapshot, "google_compute_forwarding_rule.apis");
    assert!(!apis.attributes.contains_key("entry_point"));
    assert!(apis.requirements.is_empty());
    // The target pool needs its listed instance or the group that adds its own to it;
    // instances the group created are not in the state and are not counted as missing.
    let target_pool = at(&snapshot, "google_compute_target_pool.www");
    let mut members = needs_label(target_pool, "instances");
    members.sort();
    let group = at(&snapshot, "google_compute_instance_group_manager.old");
    let vm = at(&snapshot, "google_compute_instance.vm");
    let mut expected = vec![group.id.as_str(), vm.id.as_str()];
    expected.sort();
    assert_eq!(members, expected);
    assert!(
        snapshot.coverage.iter().all(|c| !c
            .error
            .as_deref()
            .unwrap_or("")
            .contains("made-by-group")),
        "{:?}",
        snapshot.coverage
    );
    let subscription = at(&snapshot, "google_pubsub_subscription.events");
    let topic = at(&snapshot, "google_pubsub_topic.events");
    assert_eq!(needs_label(subscription, "topic"), [topic.id.as_str()]);
}

#[test]
fn a_plan_with_zones_google_picks_at_apply_stays_conservative() {
    let snapshot = fixture("plan.json");
    // ZONAL with the zone unknown until apply: in one zone nobody chose.
    let sql = at(&snapshot, "google_sql_database_instance.payments");
    assert_eq!(placed(sql), "unpinned");
    assert_eq!(sql.region.as_deref(), Some("us-east4"));
    // A regional group whose zones Google picks, in an estate naming none of that region's.
    let group = at(
        &snapshot,
        "google_compute_region_instance_group_manager.payments",
    );
    assert_eq!(placed(group), "regional");
    // No zone and no region in the plan: the file's region, marked inferred.
    let jump = at(&snapshot, "google_compute_instance.jump");
    assert_eq!(placed(jump), "unpinned");
    assert_eq!(jump.region.as_deref(), Some("us-east4"));
    assert_eq!(jump.attributes["region_inferred"], true);
    assert_eq!(jump.account.as_deref(), Some("plan-proj"));
}

/// A state of one network: a Cloud NAT for one subnetwork, a default route through a proxy
/// instance for tagged instances, and instances of every kind of egress.
const EGRESS: &str = r#"{
  "version": 4, "terraform_version": "1.8.0", "serial": 1, "lineage": "e", "outputs": {},
  "resources": [
    {"mode": "managed", "type": "google_compute_network", "name": "n",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "projects/p/global/networks/n",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/global/networks/n", "project": "p"}}]},
    {"mode": "managed", "type": "google_compute_subnetwork", "name": "s", "each": "map",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [
      {"index_key": "nat", "schema_version": 0, "attributes": {"id": "projects/p/regions/us-east1/subnetworks/nat",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/subnetworks/nat",
       "network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/n", "region": "us-east1", "project": "p"}},
      {"index_key": "other", "schema_version": 0, "attributes": {"id": "projects/p/regions/us-east1/subnetworks/other",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/subnetworks/other",
       "network": "n", "region": "us-east1", "project": "p"}}]},
    {"mode": "managed", "type": "google_compute_router", "name": "r",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "projects/p/regions/us-east1/routers/r",
       "name": "r", "network": "n", "region": "us-east1", "project": "p",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/routers/r"}}]},
    {"mode": "managed", "type": "google_compute_router_nat", "name": "nat",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "p/us-east1/r/nat", "name": "nat",
       "router": "r", "region": "us-east1", "project": "p",
       "source_subnetwork_ip_ranges_to_nat": "LIST_OF_SUBNETWORKS",
       "subnetwork": [{"name": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/subnetworks/nat",
         "source_ip_ranges_to_nat": ["ALL_IP_RANGES"], "secondary_ip_range_names": []}]}}]},
    {"mode": "managed", "type": "google_compute_route", "name": "via_proxy",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "projects/p/global/routes/via-proxy",
       "dest_range": "0.0.0.0/0", "network": "n", "priority": 800, "tags": ["via-proxy"],
       "next_hop_instance": "proxy", "next_hop_instance_zone": "us-east1-b", "project": "p",
       "next_hop_gateway": ""}}]},
    {"mode": "managed", "type": "google_compute_instance", "name": "vm", "each": "map",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [
      {"index_key": "proxy", "schema_version": 6, "attributes": {"name": "proxy", "zone": "us-east1-b", "project": "p",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/zones/us-east1-b/instances/proxy",
       "network_interface": [{"network": "n", "subnetwork": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/subnetworks/other",
         "access_config": [{"nat_ip": "34.0.0.1"}]}], "tags": ["proxy"]}},
      {"index_key": "tagged", "schema_version": 6, "attributes": {"name": "tagged", "zone": "us-east1-c", "project": "p",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/zones/us-east1-c/instances/tagged",
       "network_interface": [{"subnetwork": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/subnetworks/nat",
         "access_config": []}], "tags": ["via-proxy"]}},
      {"index_key": "private", "schema_version": 6, "attributes": {"name": "private", "zone": "us-east1-c", "project": "p",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/zones/us-east1-c/instances/private",
       "network_interface": [{"network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/n",
         "subnetwork": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/subnetworks/nat", "access_config": []}], "tags": []}},
      {"index_key": "public", "schema_version": 6, "attributes": {"name": "public", "zone": "us-east1-c", "project": "p",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/zones/us-east1-c/instances/public",
       "network_interface": [{"network": "n", "subnetwork": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/subnetworks/nat",
         "access_config": [{"nat_ip": "34.0.0.2"}]}]}},
      {"index_key": "unserved", "schema_version": 6, "attributes": {"name": "unserved", "zone": "us-east1-d", "project": "p",
       "self_link": "https://www.googleapis.com/compute/v1/projects/p/zones/us-east1-d/instances/unserved",
       "network_interface": [{"network": "n", "subnetwork": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/subnetworks/other",
         "access_config": []}]}}]}
  ]
}"#;

#[test]
fn egress_follows_the_best_default_route_and_cloud_nat() {
    let (snapshot, _) = import_text("egress.tfstate", EGRESS);
    let egress = |key: &str| -> Vec<(String, Vec<String>)> {
        needs(at(
            &snapshot,
            &format!("google_compute_instance.vm[\"{key}\"]"),
        ))
        .into_iter()
        .filter(|(label, _)| label.starts_with("egress"))
        .collect()
    };
    let nat = at(&snapshot, "google_compute_router_nat.nat").id.clone();
    let proxy = at(&snapshot, "google_compute_instance.vm[\"proxy\"]")
        .id
        .clone();
    // A tagged instance follows the route of priority 800 through the proxy, not the NAT.
    assert_eq!(
        egress("tagged"),
        [("egress via default route".to_string(), vec![proxy])]
    );
    // Without an external IP, in a subnetwork the NAT serves: through the NAT.
    assert_eq!(
        egress("private"),
        [("egress via Cloud NAT".to_string(), vec![nat.clone()])]
    );
    // An external IP needs no NAT; a subnetwork the NAT does not serve has no internet egress.
    assert!(egress("public").is_empty());
    assert!(egress("unserved").is_empty());
    assert!(
        egress("proxy").is_empty(),
        "a route never sends its next hop to itself"
    );
    // Cloud NAT is regional: the NAT adds no zone to what the private instance needs.
    let estate = Estate::build(snapshot.clone());
    let private = at(&snapshot, "google_compute_instance.vm[\"private\"]");
    assert_eq!(zones_of(&killed_by(&estate, &private.id)), ["us-east1-c"]);
    // The tagged instance also stops with the proxy's zone.
    let tagged = at(&snapshot, "google_compute_instance.vm[\"tagged\"]");
    assert_eq!(
        zones_of(&killed_by(&estate, &tagged.id)),
        ["us-east1-b", "us-east1-c"]
    );
}

#[test]
fn odd_and_broken_google_instances_import_without_panicking() {
    // Nulls, empty strings, wrong types and nonsense locations everywhere.
    let types = [
        "google_compute_instance",
        "google_compute_region_instance_group_manager",
        "google_sql_database_instance",
        "google_container_cluster",
        "google_container_node_pool",
        "google_redis_instance",
        "google_filestore_instance",
        "google_storage_bucket",
        "google_spanner_instance",
        "google_compute_backend_service",
        "google_compute_url_map",
        "google_compute_forwarding_rule",
        "google_compute_router_nat",
        "google_dns_record_set",
        "google_cloud_run_v2_service",
        "google_kms_crypto_key",
        "google_compute_target_pool",
    ];
    let shapes = [
        r#"{}"#,
        r#"{"zone": null, "region": "", "location": [], "settings": null, "backend": [null, 3]}"#,
        r#"{"zone": "nowhere", "location": "x-y-z", "settings": [{"availability_type": 7,
            "location_preference": [{"zone": ""}]}], "tier": ["BASIC"], "config": "",
            "node_locations": "us-central1-a", "instances": [1, null, "a/b/c/d"]}"#,
        r#"{"self_link": "https://www.googleapis.com/compute/v1/projects//zones//instances/",
            "id": "/", "project": "", "router": "/", "rrdatas": [null], "routing_policy": [{"wrr": [{"rrdatas": "1"}]}]}"#,
    ];
    let mut resources = Vec::new();
    for (t, type_name) in types.iter().enumerate() {
        let instances: Vec<String> = shapes
            .iter()
            .enumerate()
            .map(|(s, attrs)| {
                format!(r#"{{"index_key": {s}, "schema_version": 0, "attributes": {attrs}}}"#)
            })
            .collect();
        resources.push(format!(
            r#"{{"mode": "managed", "type": "{type_name}", "name": "r{t}", "each": "list",
                "provider": "provider[\"registry.terraform.io/hashicorp/google-beta\"]",
                "instances": [{}]}}"#,
            instances.join(",")
        ));
    }
    let text = format!(
        r#"{{"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x",
            "outputs": {{}}, "resources": [{}]}}"#,
        resources.join(",")
    );
    let (snapshot, managed) = import_text("odd.tfstate", &text);
    assert_eq!(managed, (types.len() * shapes.len()) as u64);
    let source = &snapshot.sources[0];
    let folded: u64 = source.folded.values().sum();
    assert_eq!(source.resources.unwrap() + folded, managed);
    assert!(snapshot.resources.iter().all(|r| r.provider == "gcp"));
    // Nothing without a place is taken as placed.
    let sql = snapshot
        .resources
        .iter()
        .filter(|r| r.kind == "gcp:sql:database-instance")
        .map(placed)
        .collect::<Vec<_>>();
    assert!(
        sql.iter().all(|p| p == "unpinned" || p == "unknown"),
        "{sql:?}"
    );
}
