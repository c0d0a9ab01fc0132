//! Reading Terraform documents: every state and `terraform show -json` shape into one list of
//! instances, and clear refusals of what is not one. Fixtures in `tests/fixtures/terraform/`
//! follow the shapes the writers produce (Terraform 0.12.0's early v4, 1.x, show -json of a
//! state and of a plan, a 0.11 v3 state).

mod common;

use std::path::Path;

use linchpin::sources::terraform::{DocumentKind, IndexKey, Instance, read_str};

fn read(name: &str) -> Result<linchpin::sources::terraform::Document, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terraform")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    read_str(&text, name).map_err(|e| e.to_string())
}

fn find<'a>(instances: &'a [Instance], address: &str) -> &'a Instance {
    instances
        .iter()
        .find(|i| i.address == address)
        .unwrap_or_else(|| panic!("no {address} in {:?}", addresses(instances)))
}

fn addresses(instances: &[Instance]) -> Vec<&str> {
    instances.iter().map(|i| i.address.as_str()).collect()
}

#[test]
fn a_current_state_keeps_modules_count_for_each_data_tainted_and_deposed() {
    let doc = read("state-v4-modern.tfstate").unwrap();
    assert_eq!(doc.kind, DocumentKind::State);
    assert_eq!(doc.terraform_version.as_deref(), Some("1.5.7"));
    assert_eq!(
        addresses(&doc.instances),
        [
            "data.aws_availability_zones.available",
            "module.vpc.aws_subnet.private[0]",
            "module.vpc.aws_subnet.private[1]",
            "module.app[0].aws_instance.web[\"a\"]",
            "module.app[0].aws_instance.web[\"b\"]",
            "google_compute_instance.worker",
            "random_id.suffix",
        ],
        "a resource block with no instances yields none"
    );
    let zones = find(&doc.instances, "data.aws_availability_zones.available");
    assert!(zones.data);
    let subnet = find(&doc.instances, "module.vpc.aws_subnet.private[1]");
    assert_eq!(subnet.module, "module.vpc");
    assert_eq!(subnet.index, Some(IndexKey::Int(1)));
    assert_eq!(subnet.attributes["availability_zone_id"], "apne1-az1");
    let tainted = find(&doc.instances, "module.app[0].aws_instance.web[\"a\"]");
    assert!(tainted.tainted && !tainted.deposed);
    assert_eq!(tainted.provider, "aws", "an aliased provider is still aws");
    assert_eq!(
        tainted.dependencies,
        ["module.vpc.aws_subnet.private", "aws_security_group.gone"],
        "dependencies that name absent addresses are kept as written"
    );
    assert!(find(&doc.instances, "module.app[0].aws_instance.web[\"b\"]").deposed);
    assert_eq!(
        find(&doc.instances, "google_compute_instance.worker").provider,
        "google"
    );
    assert_eq!(find(&doc.instances, "random_id.suffix").provider, "random");
}

#[test]
fn an_early_v4_state_reads_provider_strings_depends_on_and_flatmap_attributes() {
    let doc = read("state-v4-early.tfstate").unwrap();
    assert_eq!(doc.terraform_version.as_deref(), Some("0.12.0"));
    let lb = find(&doc.instances, "aws_lb.api[0]");
    assert_eq!(lb.provider, "aws");
    assert_eq!(lb.dependencies, ["aws_subnet.public"]);
    assert_eq!(
        lb.attributes["subnets"],
        serde_json::json!(["subnet-0a", "subnet-0b"])
    );
    assert_eq!(
        lb.attributes["tags"],
        serde_json::json!({"kubernetes.io/role/elb": "1"})
    );
    let db = find(&doc.instances, "module.db.aws_db_instance.ledger");
    assert_eq!(db.provider, "aws");
    assert_eq!(db.attributes["multi_az"], false);
}

#[test]
fn show_json_of_a_state_walks_nested_child_modules() {
    let doc = read("show-state.json").unwrap();
    assert_eq!(doc.kind, DocumentKind::ShowState);
    assert_eq!(
        addresses(&doc.instances),
        [
            "azurerm_resource_group.main",
            "module.compute[\"east\"].azurerm_linux_virtual_machine.vm[0]",
            "module.compute[\"east\"].data.azurerm_client_config.current",
            "module.compute[\"east\"].module.disk.azurerm_managed_disk.data",
        ]
    );
    let vm = find(
        &doc.instances,
        "module.compute[\"east\"].azurerm_linux_virtual_machine.vm[0]",
    );
    assert_eq!(vm.module, "module.compute[\"east\"]");
    assert_eq!(vm.provider, "azurerm");
    assert_eq!(vm.attributes["zone"], serde_json::Value::Null);
    assert!(
        find(
            &doc.instances,
            "module.compute[\"east\"].data.azurerm_client_config.current"
        )
        .data
    );
    let disk = find(
        &doc.instances,
        "module.compute[\"east\"].module.disk.azurerm_managed_disk.data",
    );
    assert_eq!(disk.module, "module.compute[\"east\"].module.disk");
    assert!(disk.tainted);
}

#[test]
fn a_plan_gives_the_planned_estate_the_prior_one_and_the_changes() {
    let doc = read("plan.json").unwrap();
    assert_eq!(doc.kind, DocumentKind::Plan);
    assert_eq!(
        addresses(&doc.instances),
        ["aws_db_instance.ledger", "aws_instance.web[0]"]
    );
    assert_eq!(
        addresses(&doc.prior),
        ["aws_instance.web[0]", "aws_nat_gateway.old"]
    );
    let actions: Vec<(&str, Vec<&str>)> = doc
        .changes
        .iter()
        .map(|c| {
            (
                c.address.as_str(),
                c.actions.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("aws_db_instance.ledger", vec!["create"]),
            ("aws_instance.web[0]", vec!["update"]),
            ("aws_nat_gateway.old", vec!["delete"]),
        ]
    );
    assert_eq!(
        find(&doc.prior, "aws_instance.web[0]").attributes["instance_type"],
        "m7g.medium"
    );
}

#[test]
fn old_and_foreign_documents_are_refused_with_what_to_do() {
    let v3 = read("state-v3.tfstate").unwrap_err();
    assert!(
        v3.starts_with(
            "state-v3.tfstate: Terraform state version 3 (written by Terraform 0.11.14) is too old"
        ) && v3.contains("terraform state pull"),
        "{v3}"
    );
    for (text, expected) in [
        (
            "{\"version\": 5, \"resources\": []}",
            "doc.json: Terraform state version 5 is newer",
        ),
        (
            "{\"resources\": []}",
            "doc.json: not a Terraform state or plan: it has neither",
        ),
        (
            "{\"format_version\": \"2.0\"}",
            "doc.json: `terraform show -json` format version \"2.0\"",
        ),
        (
            "{\"version\": 4,\n \"resources\": [\n {\"type\": 3}]}",
            "doc.json:3:",
        ),
        ("{\"version\": 4,\n \"resources\": [", "doc.json:2:"),
        (
            "\n  [1, 2]",
            "doc.json:2:3: not a Terraform state or plan: the document is not a JSON object",
        ),
        (" \n", "doc.json: the file is empty"),
    ] {
        let error = read_str(text, "doc.json").unwrap_err().to_string();
        assert!(error.starts_with(expected), "{error}");
    }
}

#[test]
fn an_empty_state_reads_as_no_instances() {
    for text in [
        "{\"version\": 4, \"terraform_version\": \"1.9.0\", \"serial\": 1, \"lineage\": \"x\", \"outputs\": {}, \"resources\": []}",
        "{\"version\": 4, \"resources\": null}",
        "{\"format_version\": \"1.0\"}",
        "{\"format_version\": \"1.0\", \"values\": {\"root_module\": {}}}",
    ] {
        let doc = read_str(text, "empty.json").unwrap();
        assert!(doc.instances.is_empty(), "{text}");
    }
}

/// Every managed instance is accounted for: made into a resource, folded or skipped.
#[test]
fn import_accounts_for_every_instance() {
    for name in [
        "state-v4-modern.tfstate",
        "state-v4-early.tfstate",
        "show-state.json",
        "plan.json",
    ] {
        let path = format!(
            "{}/tests/fixtures/terraform/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = linchpin::sources::terraform::read_str(&text, name).unwrap();
        let snapshot =
            linchpin::sources::terraform::import(&[linchpin::sources::terraform::File {
                origin: name,
                instances: &doc.instances,
            }]);
        let source = &snapshot.sources[0];
        let managed = doc.instances.iter().filter(|i| !i.data).count() as u64;
        assert_eq!(source.instances, Some(managed), "{name}");
        let folded: u64 = source.folded.values().sum();
        let skipped: u64 = source.skipped.values().sum();
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
        let problems = linchpin::snapshot::validate(&snapshot);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        if std::env::var_os("LINCHPIN_DUMP").is_some() {
            println!("{}", serde_json::to_string_pretty(&snapshot).unwrap());
        }
    }
}

/// `generate --terraform` writes a state the reader takes, of the asked size.
#[test]
fn generate_writes_a_terraform_state_of_the_asked_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tfstate");
    let out = common::linchpin(&[
        "generate",
        "--terraform",
        "--resources",
        "2000",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = read_str(&text, "big.tfstate").unwrap();
    let managed = doc.instances.iter().filter(|i| !i.data).count();
    assert!((2000..2100).contains(&managed), "{managed}");
    let providers: std::collections::BTreeSet<&str> =
        doc.instances.iter().map(|i| i.provider.as_str()).collect();
    assert!(
        providers.is_superset(&["aws", "google", "azurerm"].into()),
        "{providers:?}"
    );
}

/// In a plan, a new instance in a new subnet has no `subnet_id` until apply; the plan's
/// configuration still names the subnet, and the import keeps the edge.
#[test]
fn a_plan_keeps_edges_to_resources_it_creates() {
    let plan = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"child_modules": [{
            "address": "module.net",
            "resources": [
                {"address": "module.net.aws_subnet.b[0]", "mode": "managed", "type": "aws_subnet",
                 "name": "b", "index": 0, "provider_name": "registry.terraform.io/hashicorp/aws",
                 "values": {"availability_zone": "ap-northeast-1c", "vpc_id": "vpc-01"}},
                {"address": "module.net.aws_instance.web[0]", "mode": "managed",
                 "type": "aws_instance", "name": "web", "index": 0,
                 "provider_name": "registry.terraform.io/hashicorp/aws",
                 "values": {"instance_type": "t3.small"}}
            ]}]}},
        "resource_changes": [
            {"address": "module.net.aws_subnet.b[0]", "mode": "managed", "type": "aws_subnet",
             "name": "b", "index": 0, "change": {"actions": ["create"], "before": null,
             "after": {"availability_zone": "ap-northeast-1c"}, "after_unknown": {"id": true, "arn": true}}},
            {"address": "module.net.aws_instance.web[0]", "mode": "managed", "type": "aws_instance",
             "name": "web", "index": 0, "change": {"actions": ["create"], "before": null,
             "after": {"instance_type": "t3.small"},
             "after_unknown": {"id": true, "subnet_id": true, "availability_zone": true}}}
        ],
        "configuration": {"root_module": {"module_calls": {"net": {"source": "./net", "module": {
            "resources": [
                {"address": "aws_subnet.b", "mode": "managed", "type": "aws_subnet", "name": "b",
                 "expressions": {"availability_zone": {"constant_value": "ap-northeast-1c"}},
                 "count_expression": {"constant_value": 1}},
                {"address": "aws_instance.web", "mode": "managed", "type": "aws_instance",
                 "name": "web", "count_expression": {"constant_value": 1},
                 "expressions": {"subnet_id": {"references": ["aws_subnet.b[0].id", "aws_subnet.b[0]", "aws_subnet.b"]},
                                 "instance_type": {"constant_value": "t3.small"}}}
            ]}}}}}
    });
    let doc = read_str(&plan.to_string(), "plan.json").unwrap();
    let snapshot = linchpin::sources::terraform::import(&[linchpin::sources::terraform::File {
        origin: "plan.json",
        instances: &doc.instances,
    }]);
    let instance = snapshot
        .resources
        .iter()
        .find(|r| r.kind == "aws:ec2:instance")
        .unwrap();
    assert_eq!(instance.id, "module.net.aws_instance.web[0]");
    let needs: Vec<&str> = instance
        .requirements
        .iter()
        .flat_map(|g| g.members())
        .map(String::as_str)
        .collect();
    assert_eq!(needs, ["module.net.aws_subnet.b[0]"], "{snapshot:#?}");
    // Only the VPC, which is in no file, is a dangling reference.
    let dangling: Vec<&str> = snapshot
        .coverage
        .iter()
        .filter(|c| c.operation == "references")
        .filter_map(|c| c.error.as_deref())
        .collect();
    assert!(
        dangling.len() == 1 && dangling[0].contains("vpc-01") && !dangling[0].contains("planned"),
        "{dangling:?}"
    );
}
