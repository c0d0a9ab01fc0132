//! Damaged snapshots: each kind of damage exits 2 with a message naming the file, the line and
//! the problem — never a panic — and every problem of a file is reported at once.

mod common;

use std::path::Path;

use common::linchpin;
use serde_json::{Value, json};

/// A small valid snapshot, pretty-printed so problems have distinct lines.
fn valid() -> Value {
    json!({
        "schema": "linchpin.snapshot/v1",
        "zones": [
            {"id": "apne1-az4", "provider": "aws", "region": "ap-northeast-1"},
            {"id": "apne1-az1", "provider": "aws", "region": "ap-northeast-1"},
            {"id": "use1-az1", "provider": "aws", "region": "us-east-1"}
        ],
        "resources": [
            {"id": "db", "provider": "aws", "region": "ap-northeast-1", "kind": "aws:rds:db-instance",
             "placement": {"type": "zonal", "zone": "apne1-az4"}},
            {"id": "web-1", "provider": "aws", "region": "ap-northeast-1", "kind": "aws:ec2:instance",
             "placement": {"type": "zonal", "zone": "apne1-az1"},
             "requirements": [{"requires": "db"}]},
            {"id": "web-2", "provider": "aws", "region": "ap-northeast-1", "kind": "aws:ec2:instance",
             "placement": {"type": "zonal", "zone": "apne1-az4"},
             "requirements": [{"requires": "db"}]},
            {"id": "app", "provider": "exchange", "kind": "function",
             "tags": {"linchpin:critical": "true"},
             "placement": {"type": "logical"},
             "requirements": [{"any_of": ["web-1", "web-2"], "min": 1}]}
        ]
    })
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Run `audit` on a snapshot text; assert exit 2 and return stderr.
fn rejected(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "estate.json", text);
    let out = linchpin(&["audit", "--snapshot", &path]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2; stderr:\n{stderr}"
    );
    assert!(out.stdout.is_empty(), "no report on bad input");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(&path), "names the file: {stderr}");
    stderr
}

/// Apply `damage` to the valid snapshot and check the message and where it points.
fn damaged(damage: impl FnOnce(&mut Value), expect_path: &str, expect_message: &str) {
    let mut value = valid();
    damage(&mut value);
    let text = serde_json::to_string_pretty(&value).unwrap();
    let stderr = rejected(&text);
    let line = stderr
        .lines()
        .find(|l| l.contains(expect_path) && l.contains(expect_message))
        .unwrap_or_else(|| {
            panic!("expected `{expect_path}: ...{expect_message}...` in:\n{stderr}")
        });
    // `file:LINE:COLUMN: path: message`, and the line holds what the path names.
    let location = line.trim().split(": ").next().unwrap();
    let mut parts = location.rsplitn(3, ':');
    let _column: usize = parts.next().unwrap().parse().expect("a column");
    let line_no: usize = parts.next().unwrap().parse().expect("a line");
    assert!(line_no >= 1 && line_no <= text.lines().count(), "{line}");
}

#[test]
fn the_valid_fixture_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "ok.json",
        &serde_json::to_string_pretty(&valid()).unwrap(),
    );
    let out = linchpin(&["audit", "--snapshot", &path, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn syntax_error_names_line_and_column() {
    let stderr = rejected("{\n  \"schema\": \"linchpin.snapshot/v1\",\n  \"resources\": [,]\n}\n");
    assert!(stderr.contains(":3:"), "{stderr}");
    assert!(stderr.contains("invalid JSON"), "{stderr}");
}

#[test]
fn truncated_file() {
    let stderr = rejected("{\n  \"schema\": \"linchpin.snapshot/v1\",\n  \"resources\": [\n");
    assert!(
        stderr.contains("invalid JSON") && stderr.contains("EOF"),
        "{stderr}"
    );
}

#[test]
fn not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bin.json");
    std::fs::write(&path, b"{\"schema\": \"\xff\"}").unwrap();
    let out = linchpin(&["audit", "--snapshot", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid UTF-8"));
}

#[test]
fn missing_file() {
    let out = linchpin(&["audit", "--snapshot", "/nonexistent/estate.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/estate.json") && stderr.contains("cannot read"));
}

#[test]
fn wrong_schema_version() {
    damaged(
        |v| v["schema"] = json!("linchpin.snapshot/v0"),
        "$.schema",
        "unsupported schema",
    );
}

#[test]
fn duplicate_resource_id() {
    damaged(
        |v| v["resources"][2]["id"] = json!("web-1"),
        "$.resources[2].id",
        "duplicate resource id `web-1`",
    );
}

#[test]
fn dangling_requirement() {
    damaged(
        |v| v["resources"][1]["requirements"][0]["requires"] = json!("dbb"),
        "$.resources[1].requirements[0].requires",
        "requires `dbb`, which is not a resource",
    );
}

#[test]
fn zone_in_another_region() {
    damaged(
        |v| v["resources"][0]["placement"]["zone"] = json!("use1-az1"),
        "$.resources[0].placement.zone",
        "zone `use1-az1` is in region `us-east-1`, but the resource is in region `ap-northeast-1`",
    );
}

#[test]
fn undeclared_zone() {
    damaged(
        |v| v["resources"][0]["placement"]["zone"] = json!("apne1-az9"),
        "$.resources[0].placement.zone",
        "zone `apne1-az9` is not declared",
    );
}

#[test]
fn quorum_larger_than_group() {
    damaged(
        |v| v["resources"][3]["requirements"][0]["min"] = json!(3),
        "$.resources[3].requirements[0].min",
        "`min` is 3 but the group has only 2 members",
    );
}

#[test]
fn zero_quorum() {
    damaged(
        |v| v["resources"][3]["requirements"][0]["min"] = json!(0),
        "$.resources[3].requirements[0].min",
        "`min` must be at least 1",
    );
}

#[test]
fn unknown_placement_kind() {
    damaged(
        |v| v["resources"][0]["placement"]["type"] = json!("zonl"),
        "$.resources[0].placement",
        "unknown variant `zonl`",
    );
}

#[test]
fn unknown_key() {
    damaged(
        |v| v["resources"][1]["requirments"] = json!([]),
        "$.resources[1]",
        "unknown field `requirments`",
    );
}

#[test]
fn entity_and_third_parties_are_known_keys_when_something_else_is_wrong() {
    let mut value = valid();
    value["entity"] = json!({"id": "exchange", "name": "Exchange"});
    value["third_parties"] = json!([{"id": "vaultco"}, {"id": "payco", "colour": "red"}]);
    value["entity_"] = json!(1);
    value["resources"][1]["requirments"] = json!([]);
    let stderr = rejected(&serde_json::to_string_pretty(&value).unwrap());
    assert!(!stderr.contains("unknown key `entity`"), "{stderr}");
    assert!(!stderr.contains("unknown key `third_parties`"), "{stderr}");
    for expected in [
        "$.entity_: unknown key `entity_`",
        "$.third_parties[1].colour: unknown field `colour`",
        "$.resources[1].requirments: unknown field `requirments`",
    ] {
        assert!(
            stderr.contains(expected),
            "expected `{expected}` in:\n{stderr}"
        );
    }
    value["entity"] = json!({"name": "no id"});
    let stderr = rejected(&serde_json::to_string_pretty(&value).unwrap());
    assert!(stderr.contains("$.entity: missing field `id`"), "{stderr}");
}

#[test]
fn wrong_type() {
    damaged(
        |v| v["resources"][3]["requirements"][0]["min"] = json!("two"),
        "$.resources[3].requirements[0].min",
        "invalid type",
    );
}

#[test]
fn missing_required_field() {
    damaged(
        |v| {
            v["resources"][0].as_object_mut().unwrap().remove("kind");
        },
        "$.resources[0]",
        "missing field `kind`",
    );
}

#[test]
fn group_with_both_forms() {
    damaged(
        |v| v["resources"][1]["requirements"][0]["any_of"] = json!(["db"]),
        "$.resources[1].requirements[0]",
        "either `requires` or `any_of`, not both",
    );
}

#[test]
fn empty_group() {
    damaged(
        |v| v["resources"][3]["requirements"][0] = json!({}),
        "$.resources[3].requirements[0]",
        "needs `requires` or `any_of`",
    );
}

#[test]
fn member_listed_twice() {
    damaged(
        |v| v["resources"][3]["requirements"][0]["any_of"] = json!(["web-1", "web-1"]),
        "$.resources[3].requirements[0].any_of[1]",
        "`web-1` is listed twice",
    );
}

#[test]
fn zonal_without_region() {
    damaged(
        |v| {
            v["resources"][0].as_object_mut().unwrap().remove("region");
        },
        "$.resources[0]",
        "placement `zonal` needs the resource's `region`",
    );
}

#[test]
fn region_shared_by_two_providers() {
    damaged(
        |v| v["resources"][1]["provider"] = json!("gcp"),
        "$.resources[1].region",
        "region `ap-northeast-1` is used by providers `aws` (at $.zones[0].region) and `gcp`",
    );
}

#[test]
fn zone_declared_twice() {
    damaged(
        |v| v["zones"][1]["id"] = json!("apne1-az4"),
        "$.zones[1].id",
        "declared twice",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut value = valid();
    let copy = value["resources"][1].clone();
    value["resources"].as_array_mut().unwrap().push(copy);
    value["resources"][0]["placement"]["type"] = json!("zonl");
    value["resources"][1]["requirements"][0]["requires"] = json!("nothing");
    value["resources"][3]["requirements"][0]["min"] = json!(5);
    let stderr = rejected(&serde_json::to_string_pretty(&value).unwrap());
    assert!(stderr.contains("4 problems"), "{stderr}");
    for expected in [
        "unknown variant `zonl`",
        "requires `nothing`",
        "duplicate resource id `web-1`",
        "`min` is 5",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    // A reference to a resource that failed to parse is not reported as dangling.
    assert!(!stderr.contains("requires `db`"), "{stderr}");
}

#[test]
fn simulate_rejects_damage_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.json", "[]");
    let out = linchpin(&["simulate", "--snapshot", &path, "--fail", "zone=apne1-az4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be a JSON object"));
}
