//! The demo estate's ground truth, driven through the real binary: losing apne1-az4 stops
//! withdrawals and matching; losing apne1-az1 stops no critical service.

mod common;

use std::process::Command;

use common::{json, linchpin};
use serde_json::Value;

const SIMULATE_AZ4_JSON: [&str; 6] = [
    "simulate",
    "--demo",
    "--fail",
    "zone=apne1-az4",
    "--format",
    "json",
];

const WITHDRAWALS: &str = "function:exchange/withdrawals";
const MATCHING: &str = "function:exchange/matching";
const DEPOSITS: &str = "function:exchange/deposits";
const TRADING: &str = "function:exchange/trading-api";

/// `audit --demo --format json --output PATH`.
fn audit_demo_json_to(path: &str) -> std::process::Output {
    linchpin(&["audit", "--demo", "--format", "json", "--output", path])
}

/// The string field `field` of every element of a JSON array.
fn strings<'a>(items: &'a Value, field: &str) -> Vec<&'a str> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item[field].as_str().expect("a string"))
        .collect()
}

fn az(id: &str) -> Value {
    serde_json::json!({"kind": "zone", "id": id})
}

#[test]
fn audit_cut_sets_name_apne1_az4_for_withdrawals_and_matching() {
    let report = json(&["audit", "--demo", "--format", "json"]);
    assert_eq!(report["schema"], "linchpin.report/v1");
    let cut_sets = report["cut_sets"].as_array().unwrap();
    let domains_of = |service: &str| -> Vec<Value> {
        cut_sets
            .iter()
            .find(|c| c["service"] == service)
            .unwrap_or_else(|| panic!("{service} has a cut-set entry"))["domains"]
            .as_array()
            .unwrap()
            .clone()
    };
    for service in [WITHDRAWALS, MATCHING, TRADING] {
        assert!(domains_of(service).contains(&az("apne1-az4")), "{service}");
    }
    assert!(!domains_of(DEPOSITS).contains(&az("apne1-az4")));
    for cut in cut_sets {
        assert!(
            !cut["domains"]
                .as_array()
                .unwrap()
                .contains(&az("apne1-az1")),
            "{cut}"
        );
    }
    // Critical services: the four business functions plus the entry points.
    let critical: Vec<&str> = report["critical_services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["reason"] == "tagged")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for service in [WITHDRAWALS, MATCHING, DEPOSITS, TRADING] {
        assert!(critical.contains(&service), "{service} is critical");
    }
}

#[test]
fn audit_findings_explain_the_tokyo_failure_modes() {
    let report = json(&["audit", "--demo", "--format", "json"]);
    let findings = report["findings"].as_array().unwrap();
    let find = |rule: &str, needle: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule && f["message"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no {rule} finding mentioning {needle}"))
    };
    let cut = find("zone-cut-set", "withdrawals");
    assert_eq!(cut["severity"], "high");
    assert!(
        cut["message"]
            .as_str()
            .unwrap()
            .contains("apne1-az4 (ap-northeast-1a")
    );
    let path = cut["path"].as_array().unwrap();
    assert_eq!(path[0]["resource"], WITHDRAWALS);
    assert_eq!(path.last().unwrap()["cause"]["type"], "placement");
    assert!(!cut["remediation"].as_str().unwrap().is_empty());
    let nat = find("resource-spof", "nat-gw-1a");
    assert!(
        nat["services"]
            .as_array()
            .unwrap()
            .contains(&WITHDRAWALS.into())
    );
    find("resource-spof", "wallet-ledger");
    find("zone-concentration", "apne1-az4");
    find("provider-cut-set", "vaultco");
    find("unknown-placement", "market-data");
    // Fingerprints are stable and unique.
    let mut ids: Vec<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
    let again = json(&["audit", "--demo", "--format", "json"]);
    assert_eq!(report, again, "output is deterministic");
}

/// Issue acceptance: the rule pack raises the NAT-gateway, single-AZ ledger, quorum and
/// concentration findings for apne1-az4, each mapped to DORA and NIST controls.
#[test]
fn rule_findings_for_apne1_az4_carry_dora_and_nist_controls() {
    let report = json(&["audit", "--demo", "--format", "json"]);
    let findings = report["findings"].as_array().unwrap();
    let find = |rule: &str, resource_part: &str| {
        findings
            .iter()
            .find(|f| {
                f["rule"] == rule
                    && (f["resources"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r.as_str().unwrap().contains(resource_part))
                        || f["domains"]
                            .as_array()
                            .unwrap()
                            .contains(&az(resource_part)))
            })
            .unwrap_or_else(|| panic!("no {rule} finding about {resource_part}"))
    };
    let cases = [
        ("aws-nat-gateway-cross-zone", "natgateway/nat-az4"),
        ("aws-vpc-single-nat-gateway", "vpc/vpc-prod"),
        ("aws-rds-instance-single-az", "db:wallet-ledger"),
        ("quorum-zone-loss", "hot-wallet-signers"),
        ("zone-concentration", "apne1-az4"),
        ("n-minus-one-capacity", "withdrawal-workers"),
    ];
    for (rule, about) in cases {
        let finding = find(rule, about);
        let text = format!("{} {}", finding["message"], finding["domains"]);
        assert!(text.contains("apne1-az4"), "{rule}: {text}");
        for framework in ["dora", "nist80053", "iso27001", "soc2"] {
            assert!(
                !finding["controls"][framework]
                    .as_array()
                    .unwrap()
                    .is_empty(),
                "{rule} has no {framework} control"
            );
        }
    }
    assert!(report["rule_errors"].as_array().unwrap().is_empty());
    let enabled = report["rules"]["enabled"].as_array().unwrap().len();
    assert!(enabled >= 30, "{enabled} rules ran");
}

#[test]
fn simulate_apne1_az4_stops_withdrawals_and_matching() {
    let sim = json(&SIMULATE_AZ4_JSON);
    assert_eq!(sim["schema"], "linchpin.simulation/v1");
    let down = strings(&sim["critical_down"], "service");
    assert!(
        down.contains(&WITHDRAWALS) && down.contains(&MATCHING),
        "{down:?}"
    );
    assert!(!down.contains(&DEPOSITS));
    for entry in sim["down"].as_array().unwrap() {
        let path = entry["path"].as_array().unwrap();
        assert_eq!(path[0]["resource"], entry["resource"]);
        assert_eq!(
            path.last().unwrap()["cause"]["domains"][0],
            az("apne1-az4"),
            "{entry}"
        );
    }
}

#[test]
fn simulate_apne1_az1_stops_no_critical_service() {
    let sim = json(&[
        "simulate",
        "--demo",
        "--fail",
        "zone=apne1-az1",
        "--format",
        "json",
    ]);
    assert_eq!(sim["critical_down"].as_array().unwrap().len(), 0);
    assert!(!sim["down"].as_array().unwrap().is_empty());
}

#[test]
fn simulate_several_failures_and_resources() {
    let sim = json(&[
        "simulate",
        "--demo",
        "--fail",
        "provider=vaultco",
        "--fail",
        "resource=session-cache",
        "--format",
        "json",
    ]);
    let down = strings(&sim["critical_down"], "service");
    assert!(
        down.contains(&WITHDRAWALS) && down.contains(&TRADING),
        "{down:?}"
    );
    assert_eq!(sim["failed"].as_array().unwrap().len(), 2);
}

#[test]
fn simulate_rejects_unknown_targets() {
    for (arg, message) in [
        ("zone=apne1-az9", "no such zone; known: apne1-az1"),
        (
            "resource=nothing",
            "no resource has the id or name `nothing`",
        ),
        ("rack=r1", "unknown kind `rack`"),
        ("apne1-az4", "is not KIND=ID"),
    ] {
        let out = linchpin(&["simulate", "--demo", "--fail", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{arg}: {stderr}");
    }
}

#[test]
fn fail_on_sets_the_exit_code() {
    assert_eq!(linchpin(&["audit", "--demo"]).status.code(), Some(0));
    assert_eq!(
        linchpin(&["audit", "--demo", "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        linchpin(&["audit", "--demo", "--fail-on", "high"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        linchpin(&["audit", "--demo", "--fail-on", "critical"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        linchpin(&["audit", "--demo", "--fail-on", "severe"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        linchpin(&["audit"]).status.code(),
        Some(2),
        "an estate is required"
    );
    assert_eq!(
        linchpin(&["audit", "--demo", "--snapshot", "x.json"])
            .status
            .code(),
        Some(2),
        "one estate only"
    );
}

#[test]
fn table_output_shows_scores_services_and_findings() {
    let out = linchpin(&["audit", "--demo"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "Scores",
        "aws/ap-northeast-1",
        "Critical services",
        "withdrawals",
        "Concentration",
        "HIGH",
        "why: withdrawals",
        "fix: ",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
    let sim = linchpin(&["simulate", "--demo", "--fail", "zone=apne1-az4"]);
    let text = String::from_utf8(sim.stdout).unwrap();
    assert!(text.contains("3 critical service(s) down"), "{text}");
    assert!(text.contains("withdrawals → wallet-ledger"), "{text}");
}

#[test]
fn csv_has_one_row_per_finding_or_downed_resource() {
    let report = json(&["audit", "--demo", "--format", "json"]);
    let out = linchpin(&["audit", "--demo", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(&reader.headers().unwrap()[0], "id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), report["findings"].as_array().unwrap().len());
    let sim = json(&SIMULATE_AZ4_JSON);
    let out = linchpin(&[
        "simulate",
        "--demo",
        "--fail",
        "zone=apne1-az4",
        "--format",
        "csv",
    ]);
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        reader.records().count(),
        sim["down"].as_array().unwrap().len()
    );
}

#[test]
fn output_is_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = audit_demo_json_to(path.to_str().unwrap());
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written["schema"], "linchpin.report/v1");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left behind: {names:?}");

    // Regression: `--output /dev/null` once renamed a file over the device. A named pipe
    // stands in for it here: it must be written through and stay a pipe.
    use std::os::unix::fs::FileTypeExt;
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let fifo_arg = fifo.to_str().unwrap();
    let out = audit_demo_json_to(fifo_arg);
    assert_eq!(out.status.code(), Some(0));
    // Checked before joining: a replaced pipe would leave the reader waiting forever.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let through: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(through["schema"], "linchpin.report/v1");
    std::fs::remove_file(&fifo).unwrap();
    let out = linchpin(&["audit", "--demo", "--output", dir.path().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a directory is not an output file"
    );

    let missing = dir.path().join("no/such/dir/report.json");
    let out = linchpin(&["audit", "--demo", "--output", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
    assert!(!missing.exists());
}

#[test]
fn the_committed_demo_snapshot_is_current_and_audits_the_same() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-snapshot.json");
    let current = linchpin::sources::demo::snapshot_json();
    if std::env::var_os("LINCHPIN_BLESS").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "examples/demo-snapshot.json is stale: run `LINCHPIN_BLESS=1 cargo test` and commit it"
    );
    let from_file = json(&["audit", "--snapshot", path, "--format", "json"]);
    let from_demo = json(&["audit", "--demo", "--format", "json"]);
    assert_eq!(from_file["findings"], from_demo["findings"]);
    assert_eq!(from_file["cut_sets"], from_demo["cut_sets"]);
}

#[test]
fn the_demo_is_big_enough_and_valid() {
    let snapshot = linchpin::sources::demo::snapshot();
    assert!(snapshot.resources.len() >= 80);
    assert!(linchpin::snapshot::validate(&snapshot).is_empty());
    let providers: std::collections::BTreeSet<&str> = snapshot
        .resources
        .iter()
        .map(|r| r.provider.as_str())
        .collect();
    assert!(providers.contains("edgeguard") && providers.contains("vaultco"));
}

#[test]
fn snapshot_from_stdin() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_linchpin"))
        .args([
            "simulate",
            "--snapshot",
            "-",
            "--fail",
            "zone=apne1-az4",
            "--format",
            "json",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let text = linchpin::sources::demo::snapshot_json();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sim: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sim["critical_down"].as_array().unwrap().len(), 3);
}

/// Write a snapshot to a temp file and audit it as JSON.
fn audit_snapshot(snapshot: &Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("estate.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    json(&[
        "audit",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ])
}

#[test]
fn an_empty_estate_audits_cleanly() {
    let report = audit_snapshot(&serde_json::json!({
        "schema": "linchpin.snapshot/v1", "resources": []
    }));
    assert_eq!(report["estate"]["resources"], 0);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["critical_services"].as_array().unwrap().len(), 0);
}

#[test]
fn without_critical_services_the_graph_roots_stand_in() {
    let report = audit_snapshot(&serde_json::json!({
        "schema": "linchpin.snapshot/v1",
        "zones": [{"id": "use1-az1", "provider": "aws", "region": "us-east-1"}],
        "resources": [
            {"id": "db", "provider": "aws", "region": "us-east-1", "kind": "aws:rds:db-instance",
             "placement": {"type": "zonal", "zone": "use1-az1"}},
            {"id": "app", "provider": "aws", "region": "us-east-1", "kind": "aws:ecs:service",
             "placement": {"type": "regional"}, "requirements": [{"requires": "db"}]}
        ]
    }));
    let critical = report["critical_services"].as_array().unwrap();
    assert_eq!(critical.len(), 1);
    assert_eq!(critical[0]["id"], "app");
    assert_eq!(critical[0]["reason"], "graph_root");
    assert_eq!(report["cut_sets"][0]["domains"][0], az("use1-az1"));
    assert_eq!(report["spofs"][0]["resources"][0], "db");
}

#[test]
fn a_requirement_cycle_does_not_take_itself_down() {
    // a and b need each other; a also lives in use1-az1. Failing use1-az2 (where nothing of
    // theirs lives) leaves both up; failing use1-az1 takes both down.
    let snapshot = serde_json::json!({
        "schema": "linchpin.snapshot/v1",
        "zones": [
            {"id": "use1-az1", "provider": "aws", "region": "us-east-1"},
            {"id": "use1-az2", "provider": "aws", "region": "us-east-1"}
        ],
        "resources": [
            {"id": "a", "provider": "aws", "region": "us-east-1", "kind": "svc",
             "tags": {"linchpin:critical": "true"},
             "placement": {"type": "zonal", "zone": "use1-az1"}, "requirements": [{"requires": "b"}]},
            {"id": "b", "provider": "aws", "region": "us-east-1", "kind": "svc",
             "placement": {"type": "regional"}, "requirements": [{"requires": "a"}]},
            {"id": "c", "provider": "aws", "region": "us-east-1", "kind": "svc",
             "placement": {"type": "zonal", "zone": "use1-az2"}}
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cycle.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let path = path.to_str().unwrap();
    let sim = json(&[
        "simulate",
        "--snapshot",
        path,
        "--fail",
        "zone=use1-az2",
        "--format",
        "json",
    ]);
    let down = strings(&sim["down"], "resource");
    assert_eq!(down, ["c"]);
    let sim = json(&[
        "simulate",
        "--snapshot",
        path,
        "--fail",
        "zone=use1-az1",
        "--format",
        "json",
    ]);
    let down = strings(&sim["down"], "resource");
    assert_eq!(down, ["a", "b"]);
    let report = json(&["audit", "--snapshot", path, "--format", "json"]);
    assert!(
        report["cut_sets"][0]["domains"]
            .as_array()
            .unwrap()
            .contains(&az("use1-az1"))
    );
    assert!(
        !report["cut_sets"][0]["domains"]
            .as_array()
            .unwrap()
            .contains(&az("use1-az2"))
    );
}

#[test]
fn output_follows_links_keeps_permissions_and_spares_the_input() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.json");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o664)).unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("target.json", &link).unwrap();
    let out = audit_demo_json_to(link.to_str().unwrap());
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(written["schema"], "linchpin.report/v1");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o664, "a replaced file keeps its permissions");

    let fresh = dir.path().join("fresh.json");
    let out = linchpin(&["audit", "--demo", "--output", fresh.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
    let umask = Command::new("sh")
        .args(["-c", "umask"])
        .output()
        .unwrap()
        .stdout;
    let umask = u32::from_str_radix(String::from_utf8(umask).unwrap().trim(), 8).unwrap();
    assert_eq!(
        mode,
        0o666 & !umask,
        "a new report gets 0666 less the umask"
    );

    let snapshot = dir.path().join("estate.json");
    std::fs::write(&snapshot, linchpin::sources::demo::snapshot_json()).unwrap();
    let path = snapshot.to_str().unwrap();
    let out = linchpin(&["audit", "--snapshot", path, "--output", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the snapshot being read"));
    assert_eq!(
        std::fs::read_to_string(&snapshot).unwrap(),
        linchpin::sources::demo::snapshot_json()
    );
}
