//! `linchpin.toml`: rule selection, severity overrides, critical-service selectors and
//! suppressions (kept in every report, marked; expired ones stop suppressing and warn), and
//! bad configs rejected with every problem located.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("linchpin.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Run in `dir` with a fixed date, so expiry is reproducible.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linchpin"))
        .args(args)
        .current_dir(dir)
        // 2027-01-15T00:00:00Z
        .env("SOURCE_DATE_EPOCH", "1800489600")
        .output()
        .unwrap()
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

const CONFIG: &str = r#"
[rules]
disable = ["provider-", "aws-elb-"]
enable = ["provider-cut-set"]

[rules.severity]
region-cut-set = "low"

[critical]
include = ["name:fraud-check"]
exclude = ["kind:aws:route53:record"]

[[suppress]]
rule = "aws-vpc-endpoint-single-zone"
resource = "id:*vpce-secretsmanager"
reason = "second endpoint zone ordered (CHG-1234)"
expires = 2027-03-31

[[suppress]]
rule = "aws-elasticache-single-zone"
reason = "session cache is rebuilt on demand"
expires = 2026-12-31

[[suppress]]
fingerprint = "0000000000000000"
reason = "left over from an old finding"
"#;

#[test]
fn config_selects_rules_overrides_severity_and_suppresses() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), CONFIG);
    // Found in the working directory without --config.
    let out = run_in(
        dir.path(),
        &["audit", "--demo", "--format", "json", "--fail-on", "high"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");

    let enabled: Vec<&str> = report["rules"]["enabled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        !enabled.contains(&"provider-concentration"),
        "disabled by prefix"
    );
    assert!(
        !enabled.iter().any(|r| r.starts_with("aws-elb-")),
        "disabled by prefix"
    );
    assert!(
        enabled.contains(&"provider-cut-set"),
        "the more specific enable wins"
    );
    assert!(enabled.contains(&"zone-cut-set"));
    assert_eq!(report["rules"]["config"], "linchpin.toml");

    assert!(
        findings(&report, "region-cut-set")
            .iter()
            .all(|f| f["severity"] == "low")
    );

    let critical: Vec<&str> = report["critical_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(critical.contains(&"fraud-check"), "{critical:?}");
    assert!(!critical.contains(&"api.exchange.example"), "{critical:?}");
    let fraud = report["critical_services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "fraud-check")
        .unwrap();
    assert_eq!(fraud["reason"], "configured");

    // Active suppression: kept in the report, marked, not counted.
    let endpoint = findings(&report, "aws-vpc-endpoint-single-zone");
    assert_eq!(endpoint.len(), 1);
    assert_eq!(
        endpoint[0]["suppressed"]["reason"],
        "second endpoint zone ordered (CHG-1234)"
    );
    assert_eq!(endpoint[0]["suppressed"]["expires"], "2027-03-31");
    assert_eq!(endpoint[0]["suppressed"]["by"], "linchpin.toml:13");
    assert_eq!(report["suppressed"], 1);

    // Expired suppression: the finding counts again, and a warning says so.
    let cache = findings(&report, "aws-elasticache-single-zone");
    assert_eq!(cache.len(), 1);
    assert!(cache[0].get("suppressed").is_none());
    assert!(
        stderr.contains("suppression at linchpin.toml:19 expired on 2026-12-31"),
        "{stderr}"
    );
    assert!(
        stderr.contains("suppression at linchpin.toml:24 matches no finding"),
        "{stderr}"
    );
    let statuses: Vec<(&str, &str)> = report["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["at"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("linchpin.toml:13", "active"),
            ("linchpin.toml:19", "expired"),
            ("linchpin.toml:24", "unused")
        ]
    );
    assert_eq!(out.status.code(), Some(1), "high findings remain");
}

#[test]
fn suppressed_findings_do_not_fail_the_run_or_lower_scores() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        r#"
[rules]
disable = ["*"]
enable = ["aws-vpc-endpoint-single-zone"]

[[suppress]]
rule = "aws-vpc-endpoint-single-zone"
reason = "accepted"
"#,
    );
    let out = run_in(
        dir.path(),
        &[
            "audit",
            "--demo",
            "--config",
            &config,
            "--format",
            "json",
            "--fail-on",
            "info",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert!(
        report["scores"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["score"] == 100)
    );
    // The table lists it under its own heading.
    let out = run_in(dir.path(), &["audit", "--demo", "--config", &config]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Suppressed findings (1)"), "{text}");
    assert!(
        text.contains("reason: accepted (linchpin.toml:6)") || text.contains("reason: accepted ("),
        "{text}"
    );
}

#[test]
fn bad_config_is_rejected_with_every_problem_located() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        r#"[rules]
disable = ["no-such-rule"]
[rules.severity]
zone-cut-set = "urgent"
[critical]
include = ["withdrawals"]
colour = "red"
[[suppress]]
rule = "zone-cut-set"
[[suppress]]
rule = "zone-cut-set"
reason = "ok"
expires = "soon"
"#,
    );
    let out = run_in(dir.path(), &["audit", "--demo", "--config", &config]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing is written on error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "linchpin.toml:2:12: `no-such-rule` selects no rule",
        "linchpin.toml:4:16: unknown severity `urgent`",
        "linchpin.toml:6:12: selector `withdrawals` needs a type",
        "linchpin.toml:7:1: unknown key `colour`",
        "linchpin.toml:8:1: missing required key `reason`",
        "linchpin.toml:13:11: `expires` must be a date such as 2027-01-31",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn explain_prints_the_score_derivation() {
    let out = common::linchpin(&["audit", "--demo", "--explain"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Score derivation"), "{text}");
    assert!(
        text.contains("aws / ap-northeast-1: start at 100"),
        "{text}"
    );
    assert!(
        text.contains("zone-cut-set: 4 findings, worst high"),
        "{text}"
    );
    // With JSON, the report stays clean and the derivation goes to stderr.
    let out = common::linchpin(&["audit", "--demo", "--explain", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let _: Value = serde_json::from_slice(&out.stdout).expect("stdout is only JSON");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Score derivation"));
}

#[test]
fn the_example_config_is_valid_and_used() {
    let config = format!("{}/examples/linchpin.toml", env!("CARGO_MANIFEST_DIR"));
    let report = common::json(&["audit", "--demo", "--config", &config, "--format", "json"]);
    let statuses: Vec<&str> = report["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "active"]);
    assert_eq!(report["suppressed"], 2);
}
