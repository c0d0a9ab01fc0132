//! The rule pack: every built-in rule runs against every fixture (so a false positive
//! anywhere shows), fires on its own `fires.json` and stays quiet on its `quiet.json`; rule
//! directories with mistakes are rejected with every problem located; `rules` subcommands.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{json, linchpin};
use linchpin::graph::Estate;
use linchpin::rules::{RulePack, engine};
use linchpin::{analysis, snapshot};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// Rule id → what it fired on (a finding's first resource, else its first domain), for one
/// snapshot file.
fn fired(pack: &RulePack, path: &Path) -> BTreeMap<String, Vec<String>> {
    let mut snapshot = snapshot::load_file(path)
        .unwrap_or_else(|e| panic!("fixture {} is invalid: {e}", path.display()));
    // As the command line does: the AWS source states which resources are entry points.
    linchpin::sources::aws::entry::state_entry_points(&mut snapshot);
    let estate = Estate::build(snapshot);
    let analysis = analysis::analyse(&estate);
    let evaluation = engine::run(pack, &estate, &analysis);
    assert!(
        evaluation.errors.is_empty(),
        "{}: rule errors {:?}",
        path.display(),
        evaluation.errors
    );
    let mut fired: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for finding in evaluation.findings {
        let subject = finding
            .resources
            .first()
            .cloned()
            .or_else(|| {
                finding
                    .domains
                    .first()
                    .map(|d| format!("{}={}", d.kind, d.id))
            })
            .unwrap_or_default();
        fired.entry(finding.rule).or_default().push(subject);
    }
    for subjects in fired.values_mut() {
        subjects.sort();
        subjects.dedup();
    }
    fired
}

#[test]
fn every_rule_fires_on_its_fixture_and_only_where_expected() {
    let pack = RulePack::builtin().expect("the built-in pack is valid");
    let mut matrix = String::new();
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    for rule in &pack.rules {
        for (case, should_fire) in [("fires", true), ("quiet", false)] {
            let path = fixtures_dir().join(&rule.id).join(format!("{case}.json"));
            if !path.is_file() {
                missing.push(format!("{}/{case}.json", rule.id));
                continue;
            }
            let fired = fired(&pack, &path);
            if fired.contains_key(&rule.id) != should_fire {
                wrong.push(format!(
                    "{} {} on {}/{case}.json",
                    rule.id,
                    if should_fire {
                        "does not fire"
                    } else {
                        "fires"
                    },
                    rule.id
                ));
            }
            matrix.push_str(&format!("{}/{case}.json\n", rule.id));
            for (id, subjects) in &fired {
                matrix.push_str(&format!("  {id}: {}\n", subjects.join(", ")));
            }
        }
    }
    assert!(missing.is_empty(), "rules without fixtures: {missing:?}");
    assert!(wrong.is_empty(), "{wrong:#?}");
    insta::assert_snapshot!(matrix);
}

#[test]
fn every_fixture_belongs_to_a_rule() {
    let pack = RulePack::builtin().unwrap();
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            pack.get(&name).is_some(),
            "fixtures for unknown rule {name}"
        );
    }
}

#[test]
fn built_in_rules_have_docs_controls_and_references() {
    let pack = RulePack::builtin().unwrap();
    assert!(pack.rules.len() >= 30, "{} rules", pack.rules.len());
    for rule in &pack.rules {
        let c = &rule.controls;
        for (name, list) in [
            ("dora", &c.dora),
            ("iso27001", &c.iso27001),
            ("soc2", &c.soc2),
            ("nist80053", &c.nist80053),
        ] {
            assert!(!list.is_empty(), "{}: no {name} controls", rule.id);
        }
        assert!(!rule.references.is_empty(), "{}: no references", rule.id);
        for reference in &rule.references {
            assert!(
                reference.starts_with("https://"),
                "{}: {reference}",
                rule.id
            );
        }
        assert!(
            rule.origin.ends_with(&format!("/{}.toml", rule.id)),
            "{} lives in {}",
            rule.id,
            rule.origin
        );
        let folder = rule.origin.split('/').nth(1).unwrap();
        let expected = if rule.is_analysis() {
            "analysis"
        } else if rule.id.starts_with("aws-") {
            "aws"
        } else if rule.id.starts_with("gcp-") {
            "gcp"
        } else if rule.id.starts_with("azure-") {
            "azure"
        } else {
            "graph"
        };
        assert_eq!(folder, expected, "{} is in rules/{folder}", rule.id);
    }
}

/// Write `files` (relative path → text) under a new temporary directory.
fn rule_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const GOOD_RULE: &str = r#"id = "custom-single-zone-queue"
title = "Queue consumer in one zone"
severity = "medium"
status = "preview"
since = "0.1.0"
kinds = ["aws:ec2:instance"]
condition = '''
resource.placement == "zonal" && has(resource.tags.service)
'''
message = "{resource.name} serves {resource.tags.service} from {resource.zones} only"
remediation = "Run {resource.tags.service} in two zones."
references = ["https://example.com/queues"]

[controls]
dora = ["Art. 7"]
iso27001 = ["A.8.14"]
soc2 = ["A1.2"]
nist80053 = ["SC-36"]

[docs]
what_it_checks = "Tagged instances in one zone."
why_it_is_a_risk = "The zone takes the service down."
how_to_fix = "Spread it."
example = "an instance tagged service=x in apne1-az4"
"#;

#[test]
fn rules_check_accepts_a_valid_directory() {
    let dir = rule_dir(&[("custom/custom-single-zone-queue.toml", GOOD_RULE)]);
    let out = linchpin(&["rules", "check", dir.path().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1 rule file valid\n");
    // A single file is checked as it is.
    let file = dir.path().join("custom/custom-single-zone-queue.toml");
    let out = linchpin(&["rules", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn rules_check_reports_every_mistake_with_file_and_line() {
    let with = |from: &str, to: &str| GOOD_RULE.replacen(from, to, 1);
    let files = [
        // 1. unknown key (line 4)
        (
            "a/unknown-key.toml",
            with(
                "id = \"custom-single-zone-queue\"\ntitle",
                "id = \"unknown-key\"\ntitle",
            )
            .replacen("status = \"preview\"", "statuz = \"preview\"", 1),
        ),
        // 2. bad CEL (line 8)
        (
            "a/bad-cel.toml",
            with("custom-single-zone-queue", "bad-cel").replacen(
                "resource.placement == \"zonal\" &&",
                "resource.placement == &&",
                1,
            ),
        ),
        // 3. unknown kind pattern (line 6)
        (
            "a/bad-kind.toml",
            with("custom-single-zone-queue", "bad-kind").replacen(
                "aws:ec2:instance",
                "aws ec2 instance",
                1,
            ),
        ),
        // 4. id differs from the file stem (line 1)
        (
            "a/stem.toml",
            with("custom-single-zone-queue", "not-the-stem"),
        ),
        // 5. duplicate id (line 1 of the second file)
        ("a/dup.toml", with("custom-single-zone-queue", "dup")),
        ("b/dup.toml", with("custom-single-zone-queue", "dup")),
        // 6. unknown variable (line 8)
        (
            "a/unknown-variable.toml",
            with("custom-single-zone-queue", "unknown-variable").replacen(
                "has(resource.tags.service)",
                "request.size > 1",
                1,
            ),
        ),
        // 7. unknown field of resource in the message (line 10)
        (
            "a/unknown-field.toml",
            with("custom-single-zone-queue", "unknown-field").replacen(
                "from {resource.zones}",
                "from {resource.zone}",
                1,
            ),
        ),
        // 8. wrong type (line 3)
        (
            "a/wrong-type.toml",
            with("custom-single-zone-queue", "wrong-type").replacen("\"medium\"", "3", 1),
        ),
        // 9. a docs heading missing (the [docs] table, line 20)
        (
            "a/no-fix.toml",
            with("custom-single-zone-queue", "no-fix").replacen(
                "how_to_fix = \"Spread it.\"\n",
                "",
                1,
            ),
        ),
        // 10. TOML syntax error (line 2)
        ("a/syntax.toml", "id = \"syntax\"\ntitle = \n".to_string()),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let dir = rule_dir(&files);
    let out = linchpin(&["rules", "check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&dir.path().display().to_string(), "DIR");
    for expected in [
        "DIR/a/unknown-key.toml:4:1: unknown key `statuz`",
        "DIR/a/bad-cel.toml:8:23: invalid CEL",
        "DIR/a/bad-kind.toml:6:10: unknown kind pattern `aws ec2 instance`",
        "DIR/a/stem.toml:1:6: rule id `not-the-stem` differs from the file name `stem.toml`",
        "DIR/b/dup.toml:1:6: duplicate rule id `dup` (also in DIR/a/dup.toml)",
        "DIR/a/unknown-variable.toml:8:",
        "unknown variable `request`",
        "DIR/a/unknown-field.toml:10:",
        "unknown field `resource.zone`",
        "DIR/a/wrong-type.toml:3:12: `severity` must be a string, found integer",
        "DIR/a/no-fix.toml:20:1: missing required key `how_to_fix`",
        "DIR/a/syntax.toml:2:",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(
        stderr.starts_with("error: invalid rule files ("),
        "{stderr}"
    );
}

#[test]
fn extra_rules_add_to_and_override_the_built_in_pack() {
    let overriding = GOOD_RULE
        .replacen("custom-single-zone-queue", "aws-elb-cross-zone-disabled", 1)
        .replacen("severity = \"medium\"", "severity = \"critical\"", 1);
    let dir = rule_dir(&[
        ("x/custom-single-zone-queue.toml", GOOD_RULE),
        ("x/aws-elb-cross-zone-disabled.toml", &overriding),
    ]);
    let listed = json(&[
        "rules",
        "list",
        "--format",
        "json",
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    let rules = listed.as_array().unwrap();
    let builtin = RulePack::builtin().unwrap().rules.len();
    assert_eq!(rules.len(), builtin + 1);
    let get = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(get("aws-elb-cross-zone-disabled")["severity"], "critical");
    assert!(
        get("aws-elb-cross-zone-disabled")["origin"]
            .as_str()
            .unwrap()
            .ends_with("x/aws-elb-cross-zone-disabled.toml")
    );

    let report = json(&[
        "audit",
        "--demo",
        "--format",
        "json",
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    let custom: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "custom-single-zone-queue")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        custom.contains(&"matching-engine-1 serves matching from apne1-az4 only"),
        "{custom:#?}"
    );
    assert!(
        report["rules"]["enabled"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "custom-single-zone-queue")
    );
}

#[test]
fn rules_list_and_explain() {
    let out = linchpin(&["rules", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("aws-nat-gateway-cross-zone"), "{text}");
    assert!(text.contains("rules, "), "{text}");

    let out = linchpin(&["rules", "explain", "aws-nat-gateway-cross-zone"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "## What it checks",
        "## Why it is a risk",
        "## How to fix",
        "## Controls",
        "## References",
        "## Example",
        "condition:",
        "DORA",
        "NIST SP 800-53",
    ] {
        assert!(text.contains(heading), "missing {heading} in:\n{text}");
    }

    let out = linchpin(&["rules", "explain", "nat-gateway"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did you mean aws-nat-gateway-cross-zone"),
        "{stderr}"
    );
}
