//! The manifest: functions, third parties, edges, egress-free workloads and zone maps, read
//! with every mistake located, and what they do to an audit.

mod common;

use std::path::PathBuf;

use common::{json, linchpin};
use serde_json::Value;

const DEMO_MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/manifest.toml");

fn write(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    (dir, path)
}

fn audit_json(extra: &[&str]) -> Value {
    let mut args = vec!["audit", "--demo", "--format", "json"];
    args.extend_from_slice(extra);
    json(&args)
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn the_demo_manifest_makes_functions_the_critical_services() {
    let report = audit_json(&["--manifest", DEMO_MANIFEST]);
    let services: Vec<(&str, &str)> = report["critical_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        services,
        [
            ("deposits", "function"),
            ("matching", "function"),
            ("trading API", "function"),
            ("withdrawals", "function"),
        ],
        "declared functions replace the entry points as critical services"
    );
    // Without the manifest the entry points are critical too.
    let plain = audit_json(&[]);
    assert!(
        plain["critical_services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reason"] == "entry_point")
    );
}

#[test]
fn the_demo_manifest_reports_the_hidden_concentration() {
    let report = audit_json(&["--manifest", DEMO_MANIFEST]);
    let hidden = findings(&report, "hidden-concentration");
    assert_eq!(hidden.len(), 1, "{hidden:#?}");
    let message = hidden[0]["message"].as_str().unwrap();
    assert!(
        message.contains("marketfeed, quotebridge") && message.contains("region ap-northeast-1"),
        "{message}"
    );
    assert_eq!(hidden[0]["domains"][0]["id"], "ap-northeast-1");
    // The vendor that runs in Tokyo fails with that region: withdrawals need vaultco.
    let withdrawals_region_cut = findings(&report, "region-cut-set")
        .into_iter()
        .any(|f| f["message"].as_str().unwrap().contains("withdrawals"));
    assert!(withdrawals_region_cut);
    // Concentration of the functions' third parties, by provider and country.
    let by_provider = findings(&report, "third-party-concentration");
    assert_eq!(by_provider.len(), 1);
    assert!(
        by_provider[0]["message"]
            .as_str()
            .unwrap()
            .contains("HHI 1944")
    );
    assert_eq!(
        findings(&report, "third-party-country-concentration").len(),
        1
    );
    // Every function has an owner and an RTO: nothing unassessed.
    assert!(findings(&report, "function-unassessed").is_empty());
    assert_eq!(findings(&audit_json(&[]), "function-unassessed").len(), 4);
}

#[test]
fn the_snapshot_carries_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("estate.json");
    let out = linchpin(&[
        "audit",
        "--terraform",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/terraform/state-v4-modern.tfstate"
        ),
        "--save-snapshot",
        saved.to_str().unwrap(),
        "--manifest",
        DEMO_MANIFEST,
    ]);
    // The demo's names are not in this state: every selector that names one is an error.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("matches no resource of the estate"),
        "{stderr}"
    );
    assert!(
        !saved.exists(),
        "nothing is written when the manifest fails"
    );
}

/// Ten kinds of mistake in one manifest: every one reported, each with file and line.
#[test]
fn every_mistake_is_reported_with_file_and_line() {
    let text = r#"[entity]
id = "exchange"
lei = "5299000EXCHANGE0JP92"

[[function]]
id = "exchange/withdrawals"
criticality = "vital"
rto_hours = "one"
colour = "red"
requires = ["zone:apne1-az4", "name:no-such-resource"]

[[function]]
id = "exchange/withdrawals"
requires = ["third_party:nobody"]

[[function]]
name = "nameless"
requires = ["name:wallet-ledger"]
impact_per_hour = { amount = 10, currency = "dollars" }

[[function]]
id = "quorum"
requires = ["name:wallet-ledger"]
[[function.any_of]]
of = ["name:signer-*"]
min = 9

[[third_party]]
id = "vaultco"
runs_on = ["AWS Tokyo"]
service_type = "S42"
"#;
    let (_dir, path) = write("broken.toml", text);
    let path = path.to_str().unwrap();
    let out = linchpin(&["audit", "--demo", "--manifest", path]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = [
        (3, "check digits do not match"),
        (7, "criticality `vital` is not one of"),
        (8, "`rto_hours` must be a number"),
        (9, "unknown key `colour`"),
        (10, "unknown selector type `zone`"),
        (10, "`name:no-such-resource` matches no resource"),
        (12, "function `exchange/withdrawals` is declared twice"),
        (14, "names third party `nobody`"),
        (16, "missing required key `id`"),
        (19, "`dollars` is not a currency code"),
        (26, "`min = 9` but the group's selectors match 6 resources"),
        (30, "runs_on `AWS Tokyo` must be"),
        (31, "`S42` is not an EBA ICT service type code"),
    ];
    for (line, message) in expected {
        let wanted = format!("{path}:{line}:");
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&wanted) && l.contains(message)),
            "expected `{message}` at line {line}:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("invalid manifest (13 problems)"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn a_manifest_that_cannot_be_parsed_or_read_is_refused() {
    let (_dir, path) = write("bad.toml", "[[function]\nid = 1\n");
    let out = linchpin(&["audit", "--demo", "--manifest", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml:1:"));
    let out = linchpin(&["audit", "--demo", "--manifest", "/no/such/manifest.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/manifest.toml"));
}

#[test]
fn optional_selectors_may_match_nothing() {
    let text = r#"
[[function]]
id = "reporting"
criticality = "important"
owner = "finance"
rto_hours = 24
optional = true
requires = ["name:wallet-ledger", "tag:app=not-deployed-yet"]
"#;
    let (_dir, path) = write("optional.toml", text);
    let report = audit_json(&["--manifest", path.to_str().unwrap()]);
    let names: Vec<&str> = report["critical_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"reporting"), "{names:?}");
}

#[test]
fn edges_egress_free_and_the_config_file_shape_the_estate() {
    // The fraud check needs egress through the NAT gateway in apne1-az4; declaring it
    // egress-free drops that edge, and an edge makes the deposit watchers need the feed.
    let text = r#"
[critical]
entry_points = true

[[third_party]]
id = "nodeco"
runs_on = ["gcp:asia-northeast1"]
[[third_party.service]]
id = "rpc"

[[edge]]
from = "name:deposit-watcher-*"
requires = ["third_party:nodeco/rpc"]
label = "blockchain node RPC"

[[egress_free]]
select = ["name:fraud-check"]
"#;
    let (dir, config) = write("linchpin.toml", text);
    let snapshot_path = dir.path().join("estate.json");
    let out = linchpin(&[
        "simulate",
        "--demo",
        "--config",
        config.to_str().unwrap(),
        "--fail",
        "region=asia-northeast1",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let simulation: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = simulation.to_string();
    assert!(
        text.contains("deposit-watcher-1"),
        "the edge makes them need nodeco"
    );
    assert!(text.contains("deposits"), "and the deposits stop with them");
    // `entry_points = true` in the config keeps the entry points critical beside functions.
    let out = linchpin(&[
        "audit",
        "--demo",
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["critical_services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reason"] == "entry_point")
    );
    let _ = snapshot_path;
}

#[test]
fn egress_free_drops_the_nat_edges() {
    let text = "[[egress_free]]\nselect = [\"name:fraud-check\"]\n";
    let (_dir, path) = write("egress.toml", text);
    let graph = |extra: &[&str]| {
        let mut args = vec!["graph", "--demo", "--format", "dot"];
        args.extend_from_slice(extra);
        let out = linchpin(&args);
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let with_nat = graph(&[]);
    let without = graph(&["--manifest", path.to_str().unwrap()]);
    let egress = |dot: &str| dot.matches("egress via NAT gateway").count();
    assert_eq!(egress(&with_nat), egress(&without) + 1, "one edge fewer");
}

#[test]
fn zone_maps_turn_names_into_zone_ids() {
    let snapshot = serde_json::json!({
        "schema": "linchpin.snapshot/v1",
        "zones": [
            {"id": "ap-northeast-1a", "provider": "aws", "region": "ap-northeast-1"}
        ],
        "resources": [{
            "id": "arn:aws:ec2:ap-northeast-1:111111111111:instance/i-1",
            "provider": "aws", "account": "111111111111", "region": "ap-northeast-1",
            "kind": "aws:ec2:instance", "name": "web-1",
            "tags": {"linchpin:critical": "true"},
            "placement": {"type": "zonal", "zone": "ap-northeast-1a"}
        }]
    });
    let dir = tempfile::tempdir().unwrap();
    let snapshot_path = dir.path().join("estate.json");
    std::fs::write(&snapshot_path, snapshot.to_string()).unwrap();
    let manifest = dir.path().join("zones.toml");
    std::fs::write(
        &manifest,
        "[zones.\"111111111111\"]\n\"ap-northeast-1a\" = \"apne1-az4\"\n",
    )
    .unwrap();
    let simulation = json(&[
        "simulate",
        "--snapshot",
        snapshot_path.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
        "--fail",
        "zone=apne1-az4",
        "--format",
        "json",
    ]);
    assert!(simulation.to_string().contains("web-1"), "{simulation}");
    // A name the estate does not hold is a mistake.
    std::fs::write(
        &manifest,
        "[zones.\"111111111111\"]\n\"ap-northeast-1z\" = \"apne1-az9\"\n",
    )
    .unwrap();
    let out = linchpin(&[
        "audit",
        "--snapshot",
        snapshot_path.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("zones.toml:2:1: zone `ap-northeast-1z`")
    );
}

#[test]
fn instances_tagged_through_their_group_are_one_service() {
    let instance = |n: u32| {
        serde_json::json!({
            "id": format!("arn:aws:ec2:ap-northeast-1:111111111111:instance/i-{n}"),
            "provider": "aws", "account": "111111111111", "region": "ap-northeast-1",
            "kind": "aws:ec2:instance", "name": format!("worker-{n}"),
            "tags": {"linchpin:critical": "true", "aws:autoscaling:groupName": "workers"},
            "placement": {"type": "regional"}
        })
    };
    let snapshot = serde_json::json!({
        "schema": "linchpin.snapshot/v1",
        "resources": [
            instance(1), instance(2),
            {
                "id": "arn:aws:autoscaling:ap-northeast-1:111111111111:autoScalingGroup:x:autoScalingGroupName/workers",
                "provider": "aws", "account": "111111111111", "region": "ap-northeast-1",
                "kind": "aws:autoscaling:autoScalingGroup", "name": "workers",
                "placement": {"type": "regional"},
                "requirements": [{"any_of": [
                    "arn:aws:ec2:ap-northeast-1:111111111111:instance/i-1",
                    "arn:aws:ec2:ap-northeast-1:111111111111:instance/i-2"
                ]}]
            }
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asg.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let report = json(&[
        "audit",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let names: Vec<&str> = report["critical_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["workers"]);
}

#[test]
fn the_config_leaves_the_manifest_keys_to_the_manifest() {
    assert_eq!(
        linchpin::judge::config::MANIFEST_KEYS,
        linchpin::sources::manifest::MANIFEST_KEYS
    );
}
