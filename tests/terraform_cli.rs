//! Terraform on the command line, through the real binary: `--terraform` as an estate source
//! of every command, `crawl terraform`, plans compared with their prior state for CI
//! (`--fail-on-new`), SARIF results located in `.tf` files (`--tf-dir`), and one estate of an
//! AWS crawl and a state of the same resources. Fixtures are in `tests/fixtures/terraform/cli/`.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::moto::{Moto, linchpin_aws};
use common::sarif::{sarif_validator, schema_errors};
use serde_json::Value;

/// A fixture's path relative to the package root (where the tests run).
fn fixture(name: &str) -> String {
    format!("tests/fixtures/terraform/cli/{name}")
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run `linchpin` from the package root.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linchpin"))
        .args(args)
        .current_dir(manifest_dir())
        .output()
        .expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}\nstdout: {}",
            stderr(out),
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

const WEB: &str = "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0web";
const TEST_RULE: &str = "test-instance-without-ha";

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

/// The findings of `rule` on `resource`.
fn findings_of<'a>(report: &'a Value, rule: &str, resource: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["rule"] == rule && f["resources"][0] == resource)
        .collect()
}

// ---- --terraform as an estate source ---------------------------------------------------------

#[test]
fn a_mixed_estate_is_scored_for_every_provider_in_it() {
    let files = [
        "--terraform",
        &fixture("mixed.tfstate"),
        "--terraform",
        &fixture("network.json"),
    ];
    let out = run(&[&["audit"], &files[..]].concat());
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    for row in [
        "aws/ap-northeast-1",
        "gcp/asia-northeast1",
        "azure/japaneast",
    ] {
        assert!(table.contains(row), "no score row {row}:\n{table}");
    }

    let out = run(&[&["audit"], &files[..], &["--format", "json"]].concat());
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(
        report["estate"]["providers"],
        serde_json::json!(["aws", "azure", "gcp"])
    );
    let scored: Vec<&str> = report["scores"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["region"].is_null())
        .map(|s| s["provider"].as_str().unwrap())
        .collect();
    assert_eq!(scored, ["aws", "azure", "gcp"]);
    assert_eq!(report["estate"]["resources"], 5);
    let sources = report["estate"]["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert!(sources.iter().all(|s| s["kind"] == "terraform"));
    // The zone cut sets follow the placements of each provider's table.
    let cut = |service: &str| -> Vec<String> {
        report["cut_sets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["service"].as_str().unwrap().contains(service))
            .flat_map(|c| c["domains"].as_array().unwrap().clone())
            .filter(|d| d["kind"] == "zone")
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(cut("instance/i-0api"), ["apne1-az4"]);
    assert_eq!(cut("instances/ledger"), ["asia-northeast1-b"]);
}

#[test]
fn simulate_graph_and_evidence_read_terraform_too() {
    let state = fixture("mixed.tfstate");
    let network = fixture("network.json");
    let estate = ["--terraform", &state, "--terraform", &network];

    let out = run(&[
        &["simulate", "--fail", "provider=gcp", "--format", "json"],
        &estate[..],
    ]
    .concat());
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let simulation = stdout_json(&out);
    let down: Vec<&str> = simulation["down"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        down,
        [
            "https://www.googleapis.com/compute/v1/projects/exchange-prod/zones/asia-northeast1-b/instances/ledger"
        ],
        "only the Google side goes down with Google"
    );

    let out = run(&[&["graph", "--format", "mermaid"], &estate[..]].concat());
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let picture = String::from_utf8_lossy(&out.stdout);
    for name in ["api", "ledger", "signer", "app-a", "exchange"] {
        assert!(picture.contains(name), "{name} not drawn:\n{picture}");
    }

    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("evidence");
    let out = run(&[
        &[
            "export",
            "evidence",
            "--out",
            bundle.to_str().unwrap(),
            "--timestamp",
            "2025-04-20T09:00:00Z",
        ],
        &estate[..],
    ]
    .concat());
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("snapshot.json")).unwrap())
            .unwrap();
    assert_eq!(snapshot["sources"].as_array().unwrap().len(), 2);
    assert_eq!(snapshot["resources"].as_array().unwrap().len(), 5);
}

#[test]
fn terraform_with_demo_or_snapshot_is_a_usage_error() {
    let state = fixture("mixed.tfstate");
    for other in [
        vec!["--demo"],
        vec!["--snapshot", "examples/demo-snapshot.json"],
    ] {
        let out = run(&[&["audit", "--terraform", &state], &other[..]].concat());
        assert_eq!(code(&out), Some(2), "{other:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot be used with"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn save_snapshot_keeps_the_imported_estate() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("estate.json");
    let out = run(&[
        "audit",
        "--terraform",
        &fixture("mixed.tfstate"),
        "--terraform",
        &fixture("network.json"),
        "--save-snapshot",
        saved.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout_json(&out)["estate"]["input"],
        saved.to_str().unwrap(),
        "reports name the saved snapshot"
    );
    let again = run(&["audit", "--snapshot", saved.to_str().unwrap()]);
    assert_eq!(code(&again), Some(0), "{}", stderr(&again));
    // --save-snapshot needs something read to save.
    let out = run(&[
        "audit",
        "--demo",
        "--save-snapshot",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), Some(2));
}

// ---- crawl terraform -------------------------------------------------------------------------

#[test]
fn crawl_terraform_writes_one_snapshot_of_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("s.json");
    let out = run(&[
        "crawl",
        "terraform",
        &fixture("mixed.tfstate"),
        &fixture("network.json"),
        "--output",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "the snapshot goes to --output only");
    let summary = stderr(&out);
    assert!(
        summary.contains("imported 2 Terraform file(s): 5 resources from 6 instances"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "mixed.tfstate (state): 5 instances, 4 resources, 0 folded, 1 skipped (random_id 1)"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("network.json (show -json of a state): 1 instances, 1 resources"),
        "{summary}"
    );

    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(snapshot["schema"], "linchpin.snapshot/v1");
    let sources = snapshot["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0]["kind"], "terraform");
    assert_eq!(sources[0]["name"], fixture("mixed.tfstate"));
    assert_eq!(sources[0]["instances"], 5);
    assert_eq!(sources[0]["resources"], 4);
    assert_eq!(sources[0]["skipped"], serde_json::json!({"random_id": 1}));
    assert_eq!(sources[1]["name"], fixture("network.json"));
    assert_eq!(sources[1]["instances"], 1);
    assert_eq!(sources[1]["resources"], 1);
    for source in sources {
        let sum = |key: &str| -> u64 {
            source[key]
                .as_object()
                .map(|m| m.values().map(|v| v.as_u64().unwrap()).sum())
                .unwrap_or(0)
        };
        assert_eq!(
            source["instances"].as_u64().unwrap(),
            source["resources"].as_u64().unwrap() + sum("folded") + sum("skipped"),
            "every instance accounted for: {source}"
        );
    }
    // The subnet of one file needs the VPC of the other: the reference resolved.
    let subnet = snapshot["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "aws:ec2:subnet")
        .unwrap();
    assert_eq!(
        subnet["requirements"][0]["requires"],
        "arn:aws:ec2:ap-northeast-1:111122223333:vpc/vpc-0v1"
    );
    assert_eq!(subnet["attributes"]["tf_address"], "aws_subnet.app");
    assert!(
        snapshot["coverage"].is_null(),
        "no gaps: {}",
        snapshot["coverage"]
    );

    // The snapshot is input for every other command.
    let audit = run(&[
        "audit",
        "--snapshot",
        out_path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&audit), Some(0), "{}", stderr(&audit));
    assert_eq!(stdout_json(&audit)["estate"]["resources"], 5);
}

#[test]
fn crawl_terraform_reads_standard_input_and_says_what_is_missing() {
    // The state alone: the VPC its subnet names is in another file, a gap the run reports.
    let text = std::fs::read(manifest_dir().join(fixture("mixed.tfstate"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_linchpin"))
        .args(["crawl", "terraform", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), Some(3), "a gap is exit 3: {}", stderr(&out));
    let snapshot = stdout_json(&out);
    assert_eq!(snapshot["sources"][0]["name"], "<stdin>");
    assert_eq!(snapshot["resources"].as_array().unwrap().len(), 4);
    let summary = stderr(&out);
    assert!(summary.contains("1 coverage gap(s)"), "{summary}");
    assert!(summary.contains("vpc-0v1"), "{summary}");
}

#[test]
fn a_broken_state_is_an_input_error_naming_file_line_and_column_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.tfstate");
    std::fs::write(
        &bad,
        "{\n  \"version\": 4,\n  \"resources\": [\n    {\"mode\": \"managed\",, }\n  ]\n}\n",
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    let snapshot = dir.path().join("s.json");
    let out = run(&[
        "crawl",
        "terraform",
        &fixture("mixed.tfstate"),
        bad,
        "--output",
        snapshot.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains(&format!("{bad}:4:24: ")),
        "{}",
        stderr(&out)
    );
    assert!(!snapshot.exists(), "no snapshot written");

    let report = dir.path().join("report.json");
    let out = run(&[
        "audit",
        "--terraform",
        bad,
        "--format",
        "json",
        "--output",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains(&format!("{bad}:4:24: ")));
    assert!(!report.exists(), "no report written");

    // Too old a state, a missing file, a repeated file: exit 2 with what to do.
    let v3 = run(&[
        "audit",
        "--terraform",
        "tests/fixtures/terraform/state-v3.tfstate",
    ]);
    assert_eq!(code(&v3), Some(2));
    assert!(
        stderr(&v3).contains("terraform state pull"),
        "{}",
        stderr(&v3)
    );
    let missing = run(&["crawl", "terraform", "no/such.tfstate"]);
    assert_eq!(code(&missing), Some(2));
    assert!(stderr(&missing).contains("no/such.tfstate: cannot read the file"));
    let state = fixture("mixed.tfstate");
    let twice = run(&["crawl", "terraform", &state, &state]);
    assert_eq!(code(&twice), Some(2));
    assert!(stderr(&twice).contains("given twice"), "{}", stderr(&twice));
}

#[test]
fn no_output_replaces_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("terraform.tfstate");
    std::fs::copy(manifest_dir().join(fixture("mixed.tfstate")), &state).unwrap();
    let before = std::fs::read(&state).unwrap();
    let state = state.to_str().unwrap();
    for args in [
        vec!["crawl", "terraform", state, "--output", state],
        vec!["audit", "--terraform", state, "--output", state],
        vec!["audit", "--terraform", state, "--save-snapshot", state],
    ] {
        let out = run(&args);
        assert_eq!(code(&out), Some(2), "{args:?}");
        assert!(stderr(&out).contains("being read"), "{}", stderr(&out));
    }
    assert_eq!(
        std::fs::read(state).unwrap(),
        before,
        "the state is untouched"
    );
}

// ---- plans -----------------------------------------------------------------------------------

/// `audit --terraform PLAN --rules <the fixture rule> --fail-on-new high --format F`.
fn audit_plan(plan: &str, format: &str, extra: &[&str]) -> Output {
    let plan = fixture(plan);
    let rules = fixture("rules");
    run(&[
        &[
            "audit",
            "--terraform",
            &plan,
            "--rules",
            &rules,
            "--fail-on-new",
            "high",
            "--format",
            format,
        ],
        extra,
    ]
    .concat())
}

#[test]
fn a_plan_that_introduces_a_high_finding_fails_fail_on_new() {
    let out = audit_plan("plan-adds-instance.json", "json", &[]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("1 new finding(s) at or above high")
            && message.contains("plan-adds-instance.json#/prior_state")
            && message.contains("test-instance-without-ha: batch is tagged ha=none"),
        "the new finding is named: {message}"
    );
    let report = stdout_json(&out);
    assert_eq!(
        report["baseline"]["file"],
        format!("{}#/prior_state", fixture("plan-adds-instance.json"))
    );
    // The created instance has no cloud id yet: its id is its address.
    let batch = findings_of(&report, TEST_RULE, "aws_instance.batch");
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0]["baseline"], "new");
    // What was there before the plan is unchanged, fingerprint for fingerprint.
    let web = findings_of(&report, TEST_RULE, WEB);
    assert_eq!(web.len(), 1);
    assert_eq!(web[0]["baseline"], "unchanged");
    let new: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    assert!(
        new.iter()
            .all(|f| f["resources"][0] == "aws_instance.batch"),
        "only the new instance brings new findings: {new:#?}"
    );
    assert_eq!(report["baseline"]["new"], new.len());
    assert!(report["baseline"]["fixed"].as_array().unwrap().is_empty());

    // SARIF carries the same for code scanning.
    let out = audit_plan("plan-adds-instance.json", "sarif", &[]);
    assert_eq!(code(&out), Some(1));
    let sarif = stdout_json(&out);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let states: Vec<(&str, &str)> = results
        .iter()
        .filter(|r| r["ruleId"] == TEST_RULE)
        .map(|r| {
            (
                r["properties"]["resources"][0].as_str().unwrap(),
                r["baselineState"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("aws_instance.batch", "new"), (WEB, "unchanged")]);
}

#[test]
fn a_plan_that_adds_no_risk_passes_fail_on_new() {
    for plan in ["plan-resize.json", "plan-adds-zone.json"] {
        let out = audit_plan(plan, "json", &[]);
        assert_eq!(code(&out), Some(0), "{plan}: {}", stderr(&out));
        let report = stdout_json(&out);
        assert_eq!(report["baseline"]["new"], 0, "{plan}");
        assert!(
            findings(&report)
                .iter()
                .all(|f| f["baseline"] == "unchanged"),
            "{plan}"
        );
        // The flagged instance is still flagged, and known as the same finding.
        let web = findings_of(&report, TEST_RULE, WEB);
        assert_eq!(web.len(), 1, "{plan}");
        assert_eq!(web[0]["baseline"], "unchanged");
        assert_eq!(report["baseline"]["unchanged"], findings(&report).len());
    }
}

#[test]
fn a_replaced_resource_keeps_its_id_and_its_findings() {
    // The plan replaces the instance: the planned values have no id or ARN yet.
    let out = audit_plan("plan-replace.json", "json", &[]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let report = stdout_json(&out);
    let web = findings_of(&report, TEST_RULE, WEB);
    assert_eq!(web.len(), 1, "the replaced instance keeps its prior id");
    assert_eq!(web[0]["baseline"], "unchanged");
    assert!(
        findings(&report).iter().all(|f| f["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r != "aws_instance.web")),
        "no finding under the address"
    );
}

#[test]
fn an_explicit_baseline_takes_the_place_of_the_prior_state() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    // A report of the planned estate itself: nothing is new against it.
    let out = run(&[
        "audit",
        "--terraform",
        &fixture("plan-adds-instance.json"),
        "--rules",
        &fixture("rules"),
        "--format",
        "json",
        "--output",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let out = audit_plan(
        "plan-adds-instance.json",
        "json",
        &["--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(report["baseline"]["file"], baseline.to_str().unwrap());
    assert_eq!(report["baseline"]["new"], 0);
}

#[test]
fn fail_on_new_needs_a_baseline_or_a_plan() {
    let out = run(&[
        "audit",
        "--terraform",
        &fixture("mixed.tfstate"),
        "--terraform",
        &fixture("network.json"),
        "--fail-on-new",
        "high",
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("no file given with --terraform is a plan"));
    let out = run(&["audit", "--demo", "--fail-on-new", "high"]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("--fail-on-new needs --baseline"));
}

#[test]
fn a_plan_with_a_state_compares_the_plan_and_keeps_the_state_as_it_is() {
    // The state of another configuration is the same before and after the plan.
    let mixed = fixture("mixed.tfstate");
    let network = fixture("network.json");
    let out = audit_plan(
        "plan-adds-instance.json",
        "json",
        &["--terraform", &mixed, "--terraform", &network],
    );
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let report = stdout_json(&out);
    let new: Vec<&str> = findings(&report)
        .iter()
        .filter(|f| f["baseline"] == "new")
        .map(|f| f["resources"][0].as_str().unwrap())
        .collect();
    assert!(
        !new.is_empty() && new.iter().all(|r| *r == "aws_instance.batch"),
        "{new:?}"
    );
}

#[test]
fn a_plan_that_adds_a_single_az_database_fails_the_pull_request() {
    let out = audit_plan("plan-adds-database.json", "json", &[]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("ledger"), "{}", stderr(&out));
    let report = stdout_json(&out);
    // The identifier is known before apply, so the new database already has the id (ARN) the
    // crawler will give it.
    let database = findings_of(
        &report,
        "aws-rds-instance-single-az",
        "arn:aws:rds:ap-northeast-1:111122223333:db:ledger",
    );
    assert_eq!(database.len(), 1, "{:#?}", findings(&report));
    assert_eq!(database[0]["baseline"], "new");
    assert_eq!(database[0]["severity"], "high");
}

// ---- --tf-dir --------------------------------------------------------------------------------

/// The physical location of the fixture rule's result on each resource.
fn locations(sarif: &Value) -> Vec<(String, String, u64)> {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == TEST_RULE)
        .map(|r| {
            let at = &r["locations"][0]["physicalLocation"];
            (
                r["properties"]["resources"][0]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                at["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                at["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn audit_configured(tf_dir: Option<&str>) -> Value {
    let state = fixture("configured.tfstate");
    let rules = fixture("rules");
    let mut args = vec![
        "audit",
        "--terraform",
        &state,
        "--rules",
        &rules,
        "--format",
        "sarif",
    ];
    if let Some(dir) = tf_dir {
        args.extend(["--tf-dir", dir]);
    }
    let out = run(&args);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let sarif = stdout_json(&out);
    let errors = schema_errors(&sarif_validator(), &sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    sarif
}

#[test]
fn sarif_results_point_at_the_block_that_declares_the_resource() {
    let config = fixture("config");
    let main = format!("{config}/main.tf");
    let module = format!("{config}/modules/app/main.tf");
    let state = fixture("configured.tfstate");
    let expected = |main: &str, module: &str, state: &str| {
        vec![
            // aws_subnet.app["a"] and ["c"]: one for_each block in the root module.
            ("subnet-0a".to_string(), main.to_string(), 24),
            ("subnet-0c".to_string(), main.to_string(), 24),
            // In no .tf file: it keeps the state file as its location.
            ("i-0orphan".to_string(), state.to_string(), 1),
            // module.edge comes from Git: the module block that calls it.
            ("i-0proxy".to_string(), main.to_string(), 40),
            // module.app is local: the block in the module's own file.
            ("i-0web".to_string(), module.to_string(), 13),
        ]
    };
    let sarif = audit_configured(Some(&config));
    assert_eq!(locations(&sarif), expected(&main, &module, &state));

    // An absolute DIR under the working directory still gives relative paths.
    let absolute = manifest_dir().join(&config);
    let sarif = audit_configured(Some(absolute.to_str().unwrap()));
    assert_eq!(locations(&sarif), expected(&main, &module, &state));

    // Without --tf-dir every result points at the state file, as before.
    let sarif = audit_configured(None);
    assert!(
        locations(&sarif)
            .iter()
            .all(|(_, uri, line)| *uri == state && *line == 1),
        "{:?}",
        locations(&sarif)
    );
}

#[test]
fn a_tf_dir_that_cannot_be_read_is_an_input_error() {
    let out = run(&[
        "audit",
        "--terraform",
        &fixture("mixed.tfstate"),
        "--tf-dir",
        "no/such/dir",
        "--format",
        "sarif",
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("--tf-dir no/such/dir"),
        "{}",
        stderr(&out)
    );
}

// ---- --aws and --terraform: one estate --------------------------------------------------------

#[test]
fn a_crawl_and_a_state_of_the_same_resources_are_one_estate() {
    let moto = Moto::start();
    let ids = moto.seed();
    let tokyo = &ids["ap-northeast-1"];
    let instance_id = tokyo["api"]["c"].as_str().unwrap();
    let arn = format!("arn:aws:ec2:ap-northeast-1:123456789012:instance/{instance_id}");
    let subnet = tokyo["private"]["c"].as_str().unwrap();
    let vpc = tokyo["vpc"].as_str().unwrap();
    let aws = "provider[\"registry.terraform.io/hashicorp/aws\"]";
    // A state of a crawled VPC, subnet and instance (the instance's zone not in the state),
    // and one resource the crawl cannot see.
    let state = serde_json::json!({
        "version": 4,
        "terraform_version": "1.7.5",
        "serial": 1,
        "lineage": "5b0e6a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c",
        "outputs": {},
        "resources": [
            {
                "mode": "managed", "type": "aws_vpc", "name": "main", "provider": aws,
                "instances": [{"schema_version": 1, "attributes": {
                    "arn": format!("arn:aws:ec2:ap-northeast-1:123456789012:vpc/{vpc}"),
                    "id": vpc, "cidr_block": "10.0.0.0/16"
                }}]
            },
            {
                "mode": "managed", "type": "aws_subnet", "name": "private", "provider": aws,
                "instances": [{"index_key": "c", "schema_version": 1, "attributes": {
                    "arn": format!("arn:aws:ec2:ap-northeast-1:123456789012:subnet/{subnet}"),
                    "id": subnet, "vpc_id": vpc,
                    "availability_zone": "ap-northeast-1c", "availability_zone_id": "apne1-az1"
                }}]
            },
            {
                "mode": "managed", "type": "aws_instance", "name": "api", "provider": aws,
                "instances": [{
                    "index_key": "c", "schema_version": 1,
                    "attributes": {
                        "arn": arn, "id": instance_id,
                        "instance_type": "t3.small", "subnet_id": subnet,
                        "tags": {"Name": "api-1c", "owner": "trading"}
                    }
                }]
            },
            {
                // In a subnet only the crawl has: the reference resolves to the crawled one.
                "mode": "managed", "type": "aws_instance", "name": "batch", "provider": aws,
                "instances": [{
                    "schema_version": 1,
                    "attributes": {"id": "i-0000000000batch0", "instance_type": "t3.small",
                                   "subnet_id": tokyo["private"]["a"]}
                }]
            },
            {
                "mode": "managed", "type": "google_compute_instance", "name": "replica",
                "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
                "instances": [{
                    "schema_version": 6,
                    "attributes": {
                        "id": "projects/dr/zones/us-central1-a/instances/replica",
                        "self_link": "https://www.googleapis.com/compute/v1/projects/dr/zones/us-central1-a/instances/replica",
                        "zone": "us-central1-a", "name": "replica"
                    }
                }]
            }
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("terraform.tfstate");
    std::fs::write(&state_path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    let saved = dir.path().join("estate.json");
    let out = linchpin_aws(
        &[
            "audit",
            "--aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            "ap-northeast-1",
            "--terraform",
            state_path.to_str().unwrap(),
            "--save-snapshot",
            saved.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let report = stdout_json(&out);
    assert_eq!(
        report["estate"]["providers"],
        serde_json::json!(["aws", "gcp"])
    );
    let kinds: Vec<&str> = report["estate"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["aws", "terraform"]);

    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let resources = snapshot["resources"].as_array().unwrap();
    for id in [
        &arn,
        &format!("arn:aws:ec2:ap-northeast-1:123456789012:subnet/{subnet}"),
    ] {
        let same = resources.iter().filter(|r| r["id"] == id.as_str()).count();
        assert_eq!(same, 1, "one resource for {id}, crawled and stated");
    }
    let api = resources.iter().find(|r| r["id"] == arn.as_str()).unwrap();
    assert_eq!(
        api["placement"],
        serde_json::json!({"type": "zonal", "zone": "apne1-az1"}),
        "the crawl's placement"
    );
    assert_eq!(
        api["attributes"]["instance_type"], "t3.micro",
        "the crawl's attributes win"
    );
    assert_eq!(api["attributes"]["tf_address"], "aws_instance.api[\"c\"]");
    assert_eq!(
        api["tags"]["owner"], "trading",
        "what only the state knows is kept"
    );
    assert!(
        resources
            .iter()
            .any(|r| r["kind"] == "gcp:compute:instance"),
        "the state's other resources join the crawl's"
    );
    let batch = resources
        .iter()
        .find(|r| r["attributes"]["tf_address"] == "aws_instance.batch")
        .unwrap();
    let private_a = format!(
        "arn:aws:ec2:ap-northeast-1:123456789012:subnet/{}",
        tokyo["private"]["a"].as_str().unwrap()
    );
    assert_eq!(
        batch["requirements"][0]["requires"],
        private_a.as_str(),
        "a state's reference to a crawled subnet resolves to it"
    );
    assert!(
        !snapshot["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["operation"] == "references"),
        "{}",
        snapshot["coverage"]
    );
    // The merged snapshot is valid input.
    let again = run(&["audit", "--snapshot", saved.to_str().unwrap()]);
    assert_eq!(code(&again), Some(0), "{}", stderr(&again));
}

// ---- the mixed estate: the three provider estates as one ----------------------------------

/// The AWS three-tier state, the Google estate and the Azure estate given together.
fn mixed_estate() -> Vec<String> {
    [
        "aws/three-tier.tfstate",
        "gcp/estate.tfstate",
        "azure/estate-v4.tfstate",
    ]
    .iter()
    .flat_map(|name| {
        [
            "--terraform".to_string(),
            manifest_dir()
                .join("tests/fixtures/terraform")
                .join(name)
                .display()
                .to_string(),
        ]
    })
    .collect()
}

#[test]
fn the_mixed_estate_is_scored_per_provider_with_its_provider_concentration() {
    let files = mixed_estate();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = run(&[&["audit"], &files[..], &["--format", "json"]].concat());
    // The Google estate holds a type with no placement rule: a coverage gap, exit 3.
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    let report = stdout_json(&out);
    let scored: Vec<&str> = report["scores"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["region"].is_null())
        .map(|s| s["provider"].as_str().unwrap())
        .collect();
    assert_eq!(scored, ["aws", "azure", "gcp"]);
    let providers = report["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["over"] == "provider" && c["population"] == "all")
        .expect("a provider concentration figure");
    assert_eq!(providers["shares"].as_array().unwrap().len(), 3);
    let hhi = providers["hhi"].as_f64().unwrap();
    assert!(hhi > 3333.0 && hhi < 10_000.0, "{hhi}");
    let table = run(&[&["audit"], &files[..]].concat());
    let text = String::from_utf8_lossy(&table.stdout);
    for provider in ["aws", "gcp", "azure"] {
        assert!(text.contains(provider), "{text}");
    }
    assert!(
        report["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["operation"] == "google_monitoring_alert_policy"),
        "unknown types are in coverage by type: {}",
        report["coverage"]
    );
}

#[test]
fn losing_google_downs_exactly_the_google_side() {
    let files = mixed_estate();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let snapshot_out = run(&[&["audit"], &files[..], &["--format", "json"]].concat());
    let report = stdout_json(&snapshot_out);
    let gcp_resources = report["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["over"] == "provider" && c["population"] == "all")
        .and_then(|c| {
            c["shares"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["domain"]["id"] == "gcp")
                .map(|s| s["weight"].as_f64().unwrap())
        })
        .unwrap();
    let out = run(&[
        &["simulate"],
        &files[..],
        &["--fail", "provider=gcp", "--format", "json"],
    ]
    .concat());
    let result = stdout_json(&out);
    let down = result["down"].as_array().unwrap();
    assert!(
        down.iter().all(|r| r["provider"] == "gcp"),
        "only Google resources stop: {down:#?}"
    );
    assert_eq!(
        down.len() as f64,
        gcp_resources,
        "every Google resource stops"
    );
}
