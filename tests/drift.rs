//! Baselines, drift and pictures: `audit --baseline` / `--fail-on-new`, `linchpin diff`, and
//! `linchpin graph` in DOT and Mermaid.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::linchpin;
use serde_json::Value;

const ACCOUNTS_DB: &str = "arn:aws:rds:ap-northeast-1:111122223333:db:accounts-db";

fn run(args: &[&str]) -> Output {
    linchpin(args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The demo snapshot with accounts-db turned into a single-AZ instance in apne1-az4.
fn degraded_snapshot(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/demo-snapshot.json"
    ))
    .unwrap();
    let mut snapshot: Value = serde_json::from_str(&text).unwrap();
    let db = snapshot["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["id"] == ACCOUNTS_DB)
        .expect("the demo has accounts-db");
    db["placement"] = serde_json::json!({"type": "zonal", "zone": "apne1-az4"});
    db["attributes"]["multi_az"] = Value::Bool(false);
    let path = dir.join("degraded.json");
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    path
}

fn audit_json(dir: &Path, name: &str, source: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut args = vec!["audit"];
    args.extend_from_slice(source);
    args.extend(["--format", "json", "--output", path.to_str().unwrap()]);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    path
}

/// A DOT node statement (not an edge).
fn is_node(line: &str) -> bool {
    line.trim_start().starts_with('n') && line.contains(" [label=") && !line.contains(" -> ")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn baseline_marks_findings_new_unchanged_and_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let demo = audit_json(dir.path(), "demo.json", &["--demo"]);
    let degraded = degraded_snapshot(dir.path());

    // Against itself: everything unchanged, nothing fixed, --fail-on-new passes.
    let out = run(&[
        "audit",
        "--demo",
        "--baseline",
        demo.to_str().unwrap(),
        "--fail-on-new",
        "info",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let same: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = same["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["baseline"] == "unchanged"));
    assert_eq!(same["baseline"]["new"], 0);
    assert_eq!(same["baseline"]["unchanged"], findings.len());
    assert_eq!(same["baseline"]["fixed"].as_array().unwrap().len(), 0);

    // SARIF carries the state for code scanning.
    let out = run(&[
        "audit",
        "--demo",
        "--baseline",
        demo.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    assert!(results.iter().all(|r| r["baselineState"] == "unchanged"));

    // The degraded estate: the single-AZ accounts-db is new and fails --fail-on-new high.
    let out = run(&[
        "audit",
        "--snapshot",
        degraded.to_str().unwrap(),
        "--baseline",
        demo.to_str().unwrap(),
        "--fail-on-new",
        "high",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("new finding(s) at or above high"));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let new: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    assert!(
        new.iter()
            .any(|f| f["rule"] == "aws-rds-instance-single-az" && f["resources"][0] == ACCOUNTS_DB),
        "{new:#?}"
    );
    assert_eq!(report["baseline"]["new"], new.len());
    // --fail-on alone still decides on all findings; --fail-on-new never does not fail.
    let out = run(&[
        "audit",
        "--snapshot",
        degraded.to_str().unwrap(),
        "--baseline",
        demo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // The other way round, the same findings are fixed.
    let worse = audit_json(
        dir.path(),
        "worse.json",
        &["--snapshot", degraded.to_str().unwrap()],
    );
    let out = run(&[
        "audit",
        "--demo",
        "--baseline",
        worse.to_str().unwrap(),
        "--fail-on-new",
        "info",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let better: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fixed = better["baseline"]["fixed"].as_array().unwrap();
    assert_eq!(fixed.len(), new.len());
    assert!(
        fixed
            .iter()
            .any(|f| f["rule"] == "aws-rds-instance-single-az")
    );
}

#[test]
fn fail_on_new_needs_a_baseline_and_a_bad_baseline_is_an_input_error() {
    let out = run(&["audit", "--demo", "--fail-on-new", "high"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--baseline"), "{}", stderr(&out));

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"schema\": \"linchpin.report/v1\",\n  \"findings\": [,]\n}\n",
    )
    .unwrap();
    let out = run(&["audit", "--demo", "--baseline", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("broken.json:3:"), "{message}");
    assert!(out.stdout.is_empty());

    let snapshot = dir.path().join("snapshot.json");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-snapshot.json"),
        &snapshot,
    )
    .unwrap();
    let out = run(&[
        "diff",
        snapshot.to_str().unwrap(),
        snapshot.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("linchpin.snapshot/v1")
            && stderr(&out).contains("linchpin.report/v1"),
        "{}",
        stderr(&out)
    );
}

/// Each way a report can be wrong gets its own message naming the file, and the place where
/// there is one; both reports are read at once, and the first named is the one reported.
#[test]
fn a_bad_report_is_named_by_file_place_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let good = audit_json(dir.path(), "good.json", &["--demo"]);
    let mut wrong_type = read_json(&good);
    wrong_type["findings"][0]["severity"] = Value::from(7);
    let mut no_schema = read_json(&good);
    no_schema.as_object_mut().unwrap().remove("schema");
    let cases = [
        (
            "trailing.json",
            format!("{}\n{{}}", read_json(&good)),
            "not JSON",
        ),
        ("noschema.json", no_schema.to_string(), "no `schema` field"),
        (
            "wrongtype.json",
            serde_json::to_string_pretty(&wrong_type).unwrap(),
            "at `findings[0].severity`",
        ),
    ];
    for (name, text, expected) in cases {
        let bad = dir.path().join(name);
        std::fs::write(&bad, text).unwrap();
        for args in [[&bad, &good], [&good, &bad]] {
            let out = run(&["diff", args[0].to_str().unwrap(), args[1].to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{name}");
            let message = stderr(&out);
            assert!(
                message.contains(name) && message.contains(expected),
                "{name}: {message}"
            );
            assert!(out.stdout.is_empty(), "{name}");
        }
    }
    let out = run(&["diff", "missing-old.json", "missing-new.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("missing-old.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn diff_shows_findings_scores_concentration_and_cut_sets_that_moved() {
    let dir = tempfile::tempdir().unwrap();
    let demo = audit_json(dir.path(), "demo.json", &["--demo"]);
    let degraded = degraded_snapshot(dir.path());
    let worse = audit_json(
        dir.path(),
        "worse.json",
        &["--snapshot", degraded.to_str().unwrap()],
    );

    let out = run(&["diff", demo.to_str().unwrap(), demo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no change"));

    let out = run(&[
        "diff",
        demo.to_str().unwrap(),
        worse.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diff["schema"], "linchpin.diff/v1");
    let new = diff["new_findings"].as_array().unwrap();
    assert!(
        new.iter()
            .any(|f| f["rule"] == "aws-rds-instance-single-az" && f["resources"][0] == ACCOUNTS_DB)
    );
    assert!(diff["fixed_findings"].as_array().unwrap().is_empty());
    // accounts-db's weight moves wholly into apne1-az4.
    assert!(
        diff["concentration"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["over"] == "zone" && c["hhi_after"].as_f64() > c["hhi_before"].as_f64()),
        "{:#}",
        diff["concentration"]
    );
    // A lower score somewhere.
    assert!(
        diff["scores"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["after"].as_u64() < s["before"].as_u64())
    );
    // The JSON document matches its committed schema's required fields.
    let report = read_json(&worse);
    assert_eq!(report["schema"], "linchpin.report/v1");

    for format in ["text", "markdown"] {
        let out = run(&[
            "diff",
            demo.to_str().unwrap(),
            worse.to_str().unwrap(),
            "--format",
            format,
        ]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("New findings"), "{text}");
        assert!(text.contains("aws-rds-instance-single-az"), "{text}");
        assert!(text.contains("Concentration"), "{text}");
    }
    let out = run(&[
        "diff",
        demo.to_str().unwrap(),
        worse.to_str().unwrap(),
        "--fail-on-new",
        "high",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[
        "diff",
        worse.to_str().unwrap(),
        demo.to_str().unwrap(),
        "--fail-on-new",
        "info",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let back: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        back["fixed_findings"].as_array().unwrap().len(),
        new.len(),
        "what is new one way is fixed the other"
    );
}

#[test]
fn graph_draws_failure_domains_as_clusters() {
    let out = run(&["graph", "--demo", "--format", "dot"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.starts_with("digraph linchpin {"));
    assert!(dot.trim_end().ends_with('}'));
    assert_eq!(dot.matches('{').count(), dot.matches('}').count());
    for label in [
        "\"provider aws\"",
        "\"region ap-northeast-1\"",
        "\"zone apne1-az4\"",
        "\"provider edgeguard\"",
    ] {
        assert!(dot.contains(label), "{label} missing");
    }
    let snapshot = read_json(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/demo-snapshot.json"
    )));
    let resources = snapshot["resources"].as_array().unwrap().len();
    let nodes = dot.lines().filter(|l| is_node(l)).count();
    assert_eq!(nodes, resources, "one node per resource");
    assert!(dot.contains(" -> "));
    // The zonal matching engine sits inside the apne1-az4 cluster.
    let zone = dot.find("\"zone apne1-az4\"").unwrap();
    let engine = dot.find("matching-engine-1\\n").unwrap();
    assert!(engine > zone);

    let out = run(&["graph", "--demo", "--format", "mermaid"]);
    assert_eq!(out.status.code(), Some(0));
    let mermaid = String::from_utf8(out.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart LR\n"));
    let opened = mermaid
        .lines()
        .filter(|l| l.trim_start().starts_with("subgraph "))
        .count();
    let closed = mermaid.lines().filter(|l| l.trim() == "end").count();
    assert_eq!(opened, closed);
    assert!(mermaid.contains("[\"zone apne1-az4\"]"));
    assert!(mermaid.contains("class ") && mermaid.contains(" critical"));

    // One service and what it needs: fewer nodes, the service among them.
    let out = run(&[
        "graph",
        "--demo",
        "--format",
        "dot",
        "--service",
        "accounts-db",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let one = String::from_utf8(out.stdout).unwrap();
    let few = one.lines().filter(|l| is_node(l)).count();
    assert!(few < nodes && few >= 1);
    assert!(one.contains("accounts-db\\n"));

    let out = run(&["graph", "--demo", "--service", "no-such-thing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-thing"));

    // Graphviz accepts it, when it is installed.
    if let Ok(mut child) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let rendered = child.wait_with_output().unwrap();
        assert!(
            rendered.status.success(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
    }
}

#[test]
fn several_formats_go_to_an_output_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = run(&[
        "audit",
        "--demo",
        "--format",
        "json,csv",
        "--format",
        "table",
        "--output-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["audit.csv", "audit.json", "audit.txt"]);
    assert_eq!(
        read_json(&out_dir.join("audit.json"))["schema"],
        "linchpin.report/v1"
    );

    let out = run(&["audit", "--demo", "--format", "json", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--output-dir"));
}

/// Reports are streamed to temporary files and renamed into place only when every one was
/// written: one that cannot be written leaves no report of the run, and the earlier ones as
/// they were.
#[test]
fn a_report_that_cannot_be_written_leaves_no_report_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(out_dir.join("audit.sarif")).unwrap();
    std::fs::write(out_dir.join("audit.json"), "earlier").unwrap();
    let out = run(&[
        "audit",
        "--demo",
        "--format",
        "csv,json,sarif,markdown",
        "--output-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write the sarif report"),
        "{}",
        stderr(&out)
    );
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["audit.json", "audit.sarif"],
        "no temporary file is left"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("audit.json")).unwrap(),
        "earlier"
    );
}

/// The audit report's JSON (its findings printed run by run on every core) is, byte for byte,
/// serde_json's pretty print of the report: with and without a baseline, with findings
/// marked by it.
#[test]
fn the_report_json_is_the_reports_pretty_print() {
    let dir = tempfile::tempdir().unwrap();
    let demo = audit_json(dir.path(), "demo.json", &["--demo"]);
    let degraded = degraded_snapshot(dir.path());
    let marked = audit_json(
        dir.path(),
        "marked.json",
        &[
            "--snapshot",
            degraded.to_str().unwrap(),
            "--baseline",
            demo.to_str().unwrap(),
        ],
    );
    for path in [&demo, &marked] {
        let written = std::fs::read_to_string(path).unwrap();
        let report: linchpin::report::AuditReport = serde_json::from_str(&written).unwrap();
        assert_eq!(
            written,
            serde_json::to_string_pretty(&report).unwrap() + "\n",
            "{}",
            path.display()
        );
    }
    assert!(read_json(&marked)["baseline"].is_object());
}
