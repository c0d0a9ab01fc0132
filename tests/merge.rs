//! `linchpin merge` through the real binary: the same resource from two snapshots is one
//! resource with both sources and a conflict note; external references are resolved by the
//! snapshot that holds them, or stay and are reported; Terraform files merge beside
//! snapshots; bad input, an input given twice and an output over an input exit 2 and write
//! nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const APP: &str = "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0app";
const KEY: &str = "arn:aws:kms:ap-northeast-1:444455556666:key/k-1";

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linchpin"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, document: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(document).unwrap()).unwrap();
    path
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn resource<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {snapshot:#}"))
}

fn conflicts(snapshot: &Value) -> Vec<&Value> {
    snapshot["coverage"]
        .as_array()
        .map(|c| c.iter().filter(|c| c["status"] == "conflict").collect())
        .unwrap_or_default()
}

/// Account 111122223333's crawl: the app, critical, in apne1-az4, needing a key that account
/// 444455556666 holds (an external stand-in here).
fn shard_a() -> Value {
    json!({
        "schema": "linchpin.snapshot/v1",
        "sources": [{"kind": "aws", "name": "111122223333"}],
        "zones": [{"id": "apne1-az4", "provider": "aws", "region": "ap-northeast-1", "name": "ap-northeast-1a"}],
        "resources": [
            {"id": APP, "provider": "aws", "account": "111122223333", "region": "ap-northeast-1",
             "kind": "aws:ec2:instance", "tags": {"linchpin:critical": "true"},
             "attributes": {"instance_type": "m7g.large"},
             "placement": {"type": "zonal", "zone": "apne1-az4"},
             "requirements": [{"requires": KEY, "label": "decrypts with"}]},
            {"id": KEY, "provider": "aws", "account": "444455556666", "region": "ap-northeast-1",
             "kind": "aws:kms:key", "placement": {"type": "unknown"}, "external": true}
        ]
    })
}

/// Account 444455556666's crawl: the key itself, and the app seen through a shared tag
/// with another instance type.
fn shard_b() -> Value {
    json!({
        "schema": "linchpin.snapshot/v1",
        "sources": [{"kind": "aws", "name": "444455556666"}],
        "resources": [
            {"id": KEY, "provider": "aws", "account": "444455556666", "region": "ap-northeast-1",
             "kind": "aws:kms:key", "placement": {"type": "regional"}},
            {"id": APP, "provider": "aws", "account": "111122223333", "region": "ap-northeast-1",
             "kind": "aws:ec2:instance", "attributes": {"instance_type": "t3.micro", "owner": "payments"},
             "placement": {"type": "unknown"}}
        ]
    })
}

#[test]
fn one_resource_from_two_snapshots_with_both_sources_and_a_conflict_note() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", &shard_a());
    write(dir.path(), "b.json", &shard_b());
    let out = run(
        dir.path(),
        &["merge", "a.json", "b.json", "--output", "all.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = stderr(&out);
    assert!(
        summary.contains("merged 2 inputs into 2 resources: 1 id joined, 1 conflict, 1 external reference resolved, 0 still external"),
        "{summary}"
    );
    assert!(
        summary.contains("conflict: ") && summary.contains("attributes.instance_type"),
        "{summary}"
    );

    let merged = read(&dir.path().join("all.json"));
    assert_eq!(merged["resources"].as_array().unwrap().len(), 2);
    let app = resource(&merged, APP);
    assert_eq!(
        app["sources"],
        json!(["aws:111122223333", "aws:444455556666"])
    );
    assert_eq!(
        app["placement"]["type"], "zonal",
        "known over unknown, no conflict"
    );
    assert_eq!(
        app["attributes"]["instance_type"], "m7g.large",
        "the smallest value kept"
    );
    assert_eq!(app["attributes"]["owner"], "payments", "attributes united");
    assert_eq!(app["tags"]["linchpin:critical"], "true");
    let notes = conflicts(&merged);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let note = &notes[0];
    assert_eq!(note["source"], "merge");
    assert_eq!(note["conflict"]["id"], APP);
    assert_eq!(note["conflict"]["field"], "attributes.instance_type");
    assert_eq!(note["conflict"]["values"], json!(["m7g.large", "t3.micro"]));
    assert_eq!(note["conflict"]["kept"], "m7g.large");
    assert_eq!(
        note["conflict"]["sources"],
        json!(["aws:111122223333", "aws:444455556666"])
    );

    // The external key is the real one now: placed, no longer external.
    let key = resource(&merged, KEY);
    assert_eq!(key["placement"]["type"], "regional");
    assert!(key.get("external").is_none(), "{key}");

    // The merge is valid input, and its audit says the conflict is no missing read.
    let audit = run(dir.path(), &["audit", "--snapshot", "all.json"]);
    assert_eq!(audit.status.code(), Some(0), "{}", stderr(&audit));
    let table = String::from_utf8_lossy(&audit.stdout);
    assert!(
        table.contains("Coverage: complete (0 reads recorded); 1 merge conflict"),
        "{table}"
    );
    assert!(!table.contains("External:"), "{table}");

    // The order of the inputs does not matter, nor merging the result again.
    let again = run(dir.path(), &["merge", "b.json", "a.json", "all.json"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again, merged);
}

#[test]
fn a_shard_with_an_external_reference_audits_alone_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", &shard_a());
    let table = run(dir.path(), &["audit", "--snapshot", "a.json"]);
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("External: 1 resource held by another snapshot")
            && table.contains(&format!("{KEY} (aws:kms:key), needed by 1")),
        "{table}"
    );
    let json = run(
        dir.path(),
        &["audit", "--snapshot", "a.json", "--format", "json"],
    );
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        report["estate"]["external"],
        json!([{"id": KEY, "provider": "aws", "account": "444455556666",
                "region": "ap-northeast-1", "kind": "aws:kms:key", "required_by": 1}])
    );
    // Held elsewhere is not "unknown placement": no finding of that rule on the stand-in.
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "unknown-placement"),
        "{:#}",
        report["findings"]
    );
}

#[test]
fn an_external_reference_no_input_holds_stays_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", &shard_a());
    let other = json!({
        "schema": "linchpin.snapshot/v1",
        "sources": [{"kind": "aws", "name": "999988887777"}],
        "resources": [{"id": "arn:aws:s3:::logs", "provider": "aws", "kind": "aws:s3:bucket",
                       "region": "ap-northeast-1", "placement": {"type": "regional"}}]
    });
    write(dir.path(), "c.json", &other);
    let out = run(
        dir.path(),
        &["merge", "a.json", "c.json", "--output", "ac.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = stderr(&out);
    assert!(
        summary.contains("0 external references resolved, 1 still external"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("external: {KEY} (aws:kms:key), held by no input")),
        "{summary}"
    );
    let merged = read(&dir.path().join("ac.json"));
    assert_eq!(resource(&merged, KEY)["external"], true);
    let audit = run(
        dir.path(),
        &["audit", "--snapshot", "ac.json", "--format", "json"],
    );
    let report: Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(report["estate"]["external"][0]["id"], KEY);
}

#[test]
fn bad_input_exits_2_naming_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", &shard_a());
    let mut dangling = shard_a();
    dangling["resources"].as_array_mut().unwrap().pop();
    write(dir.path(), "dangling.json", &dangling);
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"schema\": \"linchpin.snapshot/v1\",",
    )
    .unwrap();
    write(dir.path(), "other.json", &json!({"hello": "world"}));
    let cases: [(&str, &[&str]); 5] = [
        (
            "dangling.json",
            &[
                "requires `arn:aws:kms",
                "not a resource of this snapshot",
                "\"external\": true",
            ],
        ),
        ("broken.json", &["invalid JSON"]),
        ("other.json", &["neither a linchpin snapshot"]),
        ("missing.json", &["cannot read the file"]),
        ("a.json", &["given twice"]),
    ];
    for (bad, expected) in cases {
        let out = run(
            dir.path(),
            &["merge", "a.json", bad, "--output", "out.json"],
        );
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {message}");
        assert!(message.contains(bad), "{bad}: {message}");
        for part in expected {
            assert!(message.contains(part), "{bad}: `{part}` not in {message}");
        }
        assert!(
            !dir.path().join("out.json").exists(),
            "{bad}: nothing written"
        );
    }
}

#[test]
fn the_output_never_replaces_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.json", &shard_a());
    write(dir.path(), "b.json", &shard_b());
    let before = std::fs::read(&a).unwrap();
    let out = run(
        dir.path(),
        &["merge", "a.json", "b.json", "--output", "./a.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("an input being read"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&a).unwrap(), before);
}

/// A Terraform state whose target group sends to a Lambda function of another account.
fn state_with_a_foreign_target() -> Value {
    let group = "arn:aws:elasticloadbalancing:ap-northeast-1:111122223333:targetgroup/fn/1";
    json!({
        "version": 4, "terraform_version": "1.7.5", "serial": 1, "lineage": "l", "outputs": {},
        "resources": [
            {"mode": "managed", "type": "aws_lb_target_group", "name": "fn",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {
                 "arn": group, "id": group, "name": "fn", "target_type": "lambda"}}]},
            {"mode": "managed", "type": "aws_lb_target_group_attachment", "name": "fn",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {
                 "id": "attachment-1", "target_group_arn": group,
                 "target_id": "arn:aws:lambda:ap-northeast-1:444455556666:function:render"}}]}
        ]
    })
}

#[test]
fn terraform_references_by_arn_to_nothing_in_the_files_are_external_and_merge_resolves_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.tfstate", &state_with_a_foreign_target());
    let lambda = "arn:aws:lambda:ap-northeast-1:444455556666:function:render";
    let imported = run(
        dir.path(),
        &["crawl", "terraform", "app.tfstate", "--output", "tf.json"],
    );
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    let snapshot = read(&dir.path().join("tf.json"));
    let stand_in = resource(&snapshot, lambda);
    assert_eq!(stand_in["external"], true);
    assert_eq!(stand_in["kind"], "aws:lambda:function");
    assert_eq!(stand_in["account"], "444455556666");
    assert!(
        !snapshot["coverage"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["operation"] == "references")),
        "an ARN reference is no dangling-reference gap: {:#}",
        snapshot["coverage"]
    );

    // The other account's snapshot holds the function: merged with the state itself, the
    // reference resolves.
    let functions = json!({
        "schema": "linchpin.snapshot/v1",
        "sources": [{"kind": "aws", "name": "444455556666"}],
        "resources": [{"id": lambda, "provider": "aws", "account": "444455556666",
                       "region": "ap-northeast-1", "kind": "aws:lambda:function",
                       "placement": {"type": "regional"}}]
    });
    write(dir.path(), "functions.json", &functions);
    let out = run(dir.path(), &["merge", "app.tfstate", "functions.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 still external"),
        "{}",
        stderr(&out)
    );
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    let function = resource(&merged, lambda);
    assert_eq!(function["placement"]["type"], "regional");
    assert_eq!(function["sources"], json!(["aws:444455556666"]));
    let group = merged["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "aws:elasticloadbalancing:targetgroup")
        .unwrap();
    assert_eq!(group["sources"], json!(["terraform:app.tfstate"]));
    assert_eq!(
        group["requirements"][0]["any_of"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(1),
        1
    );
}

/// `--manifest` is applied to the merged snapshot: its selectors match resources of every
/// input, what it adds names it as the source, and merging the result again changes nothing.
#[test]
fn a_manifest_applies_to_the_merged_estate() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", &shard_a());
    write(dir.path(), "b.json", &shard_b());
    std::fs::write(
        dir.path().join("m.toml"),
        format!(
            r#"[entity]
id = "exchange"
name = "Example Exchange"

[[function]]
id = "payouts"
criticality = "critical"
rto_hours = 1
owner = "payments"
requires = ["id:{APP}", "id:{KEY}", "third_party:vaultco"]

[[third_party]]
id = "vaultco"
name = "VaultCo"
runs_on = ["aws:ap-northeast-1"]

[[third_party.service]]
id = "custody"
"#
        ),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "merge",
            "a.json",
            "b.json",
            "--manifest",
            "m.toml",
            "--output",
            "all.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged = read(&dir.path().join("all.json"));
    assert_eq!(merged["entity"]["id"], "exchange");
    assert_eq!(merged["third_parties"][0]["id"], "vaultco");
    let payouts = resource(&merged, "function:payouts");
    assert_eq!(payouts["sources"], json!(["manifest:m.toml"]));
    let members: Vec<&str> = payouts["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["requires"].as_str())
        .collect();
    assert!(
        members.contains(&APP) && members.contains(&KEY),
        "{payouts}"
    );
    assert!(members.contains(&"vaultco:custody"), "{payouts}");
    let ids: Vec<&str> = merged["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "canonical order");

    let again = run(dir.path(), &["merge", "all.json"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again, merged, "merging the output again changes nothing");

    // The function is a critical service of the merged estate: the audit sees it.
    let audit = run(
        dir.path(),
        &[
            "simulate",
            "--snapshot",
            "all.json",
            "--fail",
            "zone=apne1-az4",
            "--format",
            "json",
        ],
    );
    assert!(
        String::from_utf8_lossy(&audit.stdout).contains("function:payouts"),
        "{}",
        stderr(&audit)
    );

    // A mistake in the manifest: exit 2 naming file and line, nothing written.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[function]]\nid = \"x\"\ncriticality = \"vital\"\nrequires = [\"name:nothing\"]\n",
    )
    .unwrap();
    let bad = run(
        dir.path(),
        &[
            "merge",
            "a.json",
            "--manifest",
            "bad.toml",
            "--output",
            "bad.json",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("bad.toml:3:"), "{}", stderr(&bad));
    assert!(!dir.path().join("bad.json").exists());
    let over = run(
        dir.path(),
        &[
            "merge",
            "a.json",
            "--manifest",
            "m.toml",
            "--output",
            "m.toml",
        ],
    );
    assert_eq!(over.status.code(), Some(2), "{}", stderr(&over));
}

/// Two manifests' entities that differ: one kept, a conflict note names both.
#[test]
fn different_declarations_of_the_entity_are_a_conflict_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = shard_a();
    a["entity"] = json!({"id": "exchange", "name": "Example Exchange K.K."});
    let mut b = shard_b();
    b["entity"] = json!({"id": "exchange", "name": "Example Exchange"});
    write(dir.path(), "a.json", &a);
    write(dir.path(), "b.json", &b);
    let out = run(dir.path(), &["merge", "a.json", "b.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        merged["entity"]["name"], "Example Exchange K.K.",
        "the smaller JSON text"
    );
    let notes = conflicts(&merged);
    let note = notes
        .iter()
        .find(|n| n["conflict"]["id"] == "entity")
        .unwrap_or_else(|| panic!("{notes:#?}"));
    assert_eq!(note["conflict"]["field"], "entity");
    assert_eq!(note["conflict"]["values"].as_array().unwrap().len(), 2);
    assert!(
        stderr(&out).contains("conflict: entity entity:"),
        "{}",
        stderr(&out)
    );
}

/// A Terraform state of one module (`type`, `name`, attributes).
fn state(resources: &[(&str, &str, Value)]) -> Value {
    json!({
        "version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "l", "outputs": {},
        "resources": resources.iter().map(|(kind, name, attributes)| json!({
            "mode": "managed", "type": kind, "name": name,
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{"schema_version": 1, "attributes": attributes}]
        })).collect::<Vec<_>>()
    })
}

/// Each Terraform file is an input of its own: an instance two states hold is one resource
/// naming both files, their disagreement a conflict note (not folded away by the import);
/// a reference by short id from one state to a subnet another state holds resolves.
#[test]
fn each_terraform_file_is_an_input_and_references_cross_files() {
    let dir = tempfile::tempdir().unwrap();
    let subnet = "arn:aws:ec2:ap-northeast-1:111122223333:subnet/subnet-0a";
    let instance = "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0a";
    write(
        dir.path(),
        "network.tfstate",
        &state(&[(
            "aws_subnet",
            "private",
            json!({"arn": subnet, "id": "subnet-0a", "availability_zone": "ap-northeast-1a",
                   "availability_zone_id": "apne1-az4", "vpc_id": "vpc-01"}),
        )]),
    );
    let app = |size: &str| {
        state(&[(
            "aws_instance",
            "web",
            json!({"arn": instance, "id": "i-0a", "subnet_id": "subnet-0a",
                   "instance_type": size}),
        )])
    };
    write(dir.path(), "app.tfstate", &app("m7g.large"));
    write(dir.path(), "app-copy.tfstate", &app("t3.micro"));
    let out = run(
        dir.path(),
        &[
            "merge",
            "network.tfstate",
            "app.tfstate",
            "app-copy.tfstate",
        ],
    );
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stderr(&out));
    let summary = stderr(&out);
    assert!(
        summary.contains("merged 3 inputs into 2 resources: 1 id joined, 2 conflicts"),
        "{summary}"
    );
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    let web = resource(&merged, instance);
    assert_eq!(
        web["sources"],
        json!(["terraform:app-copy.tfstate", "terraform:app.tfstate"])
    );
    assert_eq!(
        web["placement"],
        json!({"type": "zonal", "zone": "apne1-az4"})
    );
    let members: Vec<&str> = web["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["requires"].as_str())
        .collect();
    assert!(members.contains(&subnet), "{web:#}");
    let notes = conflicts(&merged);
    let size = notes
        .iter()
        .find(|n| n["conflict"]["field"] == "attributes.instance_type")
        .unwrap_or_else(|| panic!("{notes:#?}"));
    assert_eq!(size["conflict"]["values"], json!(["m7g.large", "t3.micro"]));
    assert_eq!(
        resource(&merged, subnet)["sources"],
        json!(["terraform:network.tfstate"])
    );
}
