//! The CI formats of `linchpin audit`: SARIF checked against the SARIF 2.1.0 schema and, one
//! by one, the requirements GitHub code scanning puts on uploads; JUnit XML parsed back and
//! its counts and failing cases checked against the JSON report's findings.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::sarif::{sarif_validator, schema_errors};
use common::{json, linchpin};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

const DEMO_URI: &str = "examples/demo-snapshot.json";
const FINGERPRINT_KEY: &str = "linchpinFinding/v1";

/// A small estate whose names need escaping in XML: a critical service with one zonal
/// instance, and one failed read so the inventory is incomplete.
const SPECIAL_SNAPSHOT: &str = r#"{
  "schema": "linchpin.snapshot/v1",
  "sources": [{"kind": "manifest", "name": "ci formats test"}],
  "zones": [{"id": "apne1-az4", "provider": "aws", "region": "ap-northeast-1",
             "name": "ap-northeast-1a"}],
  "resources": [
    {"id": "function:shop/<pay & \"go\">", "provider": "aws", "region": "ap-northeast-1",
     "kind": "function", "name": "pay <&\"> desk", "tags": {"linchpin:critical": "true"},
     "placement": {"type": "regional"},
     "requirements": [{"requires": "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-1"}]},
    {"id": "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-1", "provider": "aws",
     "account": "111122223333", "region": "ap-northeast-1", "kind": "aws:ec2:instance",
     "name": "box <1> & \"2\"", "placement": {"type": "zonal", "zone": "apne1-az4"}}
  ],
  "coverage": [
    {"source": "aws", "account": "111122223333", "region": "ap-northeast-1", "service": "rds",
     "operation": "DescribeDBInstances", "status": "failed",
     "error": "AccessDenied: not authorized to perform rds:DescribeDBInstances"}
  ]
}"#;

const SERVICE_NAME: &str = r#"pay <&"> desk"#;
const SERVICE_ID: &str = r#"function:shop/<pay & "go">"#;
const INSTANCE_NAME: &str = r#"box <1> & "2""#;

/// Suppresses the zone-cut-set finding of the special estate.
const SUPPRESSING_CONFIG: &str = r#"
[[suppress]]
rule = "zone-cut-set"
reason = "accepted <until> the second zone & \"CHG-9\""
"#;

/// A resource rule whose condition fails on every instance: a rule error, never a pass.
const FAILING_RULE: &str = r#"id = "custom-broken-condition"
title = "Instance has a missing attribute"
severity = "medium"
status = "preview"
since = "0.1.0"
kinds = ["aws:ec2:instance"]
condition = '''
resource.attributes.no_such_attribute == "x"
'''
message = "{resource.name} has it"
remediation = "Nothing."
references = ["https://example.com/broken"]

[controls]
dora = ["Art. 7"]
iso27001 = ["A.8.14"]
soc2 = ["A1.2"]
nist80053 = ["SC-36"]

[docs]
what_it_checks = "An attribute no resource has."
why_it_is_a_risk = "It is not; the condition fails to evaluate."
how_to_fix = "Nothing to fix."
example = "any instance"
"#;

/// The special estate, its config and the failing rule, written under a temp dir.
struct Scenario {
    dir: tempfile::TempDir,
}

impl Scenario {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("snapshot.json"), SPECIAL_SNAPSHOT).unwrap();
        std::fs::write(dir.path().join("linchpin.toml"), SUPPRESSING_CONFIG).unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(rules.join("custom-broken-condition.toml"), FAILING_RULE).unwrap();
        Scenario { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// Audit the estate in `format`; the failed read makes the exit code 3.
    fn audit(&self, format: &str) -> String {
        let snapshot = self.path("snapshot.json");
        let config = self.path("linchpin.toml");
        let rules = self.path("rules");
        let args = [
            "audit",
            "--snapshot",
            &snapshot,
            "--config",
            &config,
            "--rules",
            &rules,
            "--format",
            format,
        ];
        let out = linchpin(&args);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }
}

fn level_of(severity: &str) -> &'static str {
    match severity {
        "critical" | "high" => "error",
        "medium" => "warning",
        "low" | "info" => "note",
        other => panic!("unknown severity {other}"),
    }
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[test]
fn demo_sarif_is_valid_and_meets_code_scanning_requirements() {
    let sarif = json(&["audit", "--demo", "--format", "sarif"]);
    let report = json(&["audit", "--demo", "--format", "json"]);
    let errors = schema_errors(&sarif_validator(), &sarif);
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));

    assert_eq!(
        sarif["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run");
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "linchpin");
    assert_eq!(driver["version"], report["tool"]["version"]);

    // Rules: every enabled rule, in catalog order, each fully described.
    let rules = driver["rules"].as_array().unwrap();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rule_ids, strings(&report["rules"]["enabled"]));
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        for field in [
            &rule["name"],
            &rule["shortDescription"]["text"],
            &rule["fullDescription"]["text"],
            &rule["help"]["text"],
            &rule["help"]["markdown"],
        ] {
            assert!(
                field.as_str().is_some_and(|t| !t.trim().is_empty()),
                "{id}: {rule:#}"
            );
        }
        let severity = rule["properties"]["severity"].as_str().unwrap();
        assert_eq!(rule["defaultConfiguration"]["level"], level_of(severity));
        let tags = strings(&rule["properties"]["tags"]);
        assert!(tags.contains(&"reliability") && tags.len() <= 20, "{id}");
        assert!(
            rule["properties"].get("security-severity").is_none(),
            "{id}"
        );
        for framework in ["dora", "iso27001", "soc2", "nist80053"] {
            assert!(
                rule["properties"]["controls"][framework].is_array(),
                "{id}: {framework}"
            );
        }
        if let Some(uri) = rule.get("helpUri") {
            assert!(uri.as_str().unwrap().starts_with("https://"), "{id}");
        }
    }
    let zone_cut_set = rules.iter().find(|r| r["id"] == "zone-cut-set").unwrap();
    assert_eq!(zone_cut_set["name"], "ZoneCutSet");
    assert!(
        zone_cut_set["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix")
    );

    // Results: one per finding, in the report's order.
    let results = run["results"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert_eq!(results.len(), findings.len());
    let mut fingerprints = BTreeSet::new();
    for (result, finding) in results.iter().zip(findings) {
        let rule_id = result["ruleId"].as_str().unwrap();
        assert_eq!(rule_id, finding["rule"]);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rule_ids.get(index),
            Some(&rule_id),
            "ruleIndex of {rule_id}"
        );
        assert_eq!(
            result["level"],
            level_of(finding["severity"].as_str().unwrap())
        );
        let text = result["message"]["text"].as_str().unwrap();
        assert!(!text.is_empty());
        assert_eq!(text, finding["message"]);

        let location = &result["locations"][0];
        let physical = &location["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], DEMO_URI);
        assert_eq!(physical["region"]["startLine"], 1);
        let logical = location["logicalLocations"].as_array().unwrap();
        assert!(!logical.is_empty(), "{rule_id}: no logical location");
        for resource in strings(&finding["resources"]) {
            assert!(
                logical
                    .iter()
                    .any(|l| l["fullyQualifiedName"] == resource && l["kind"] == "resource"),
                "{rule_id}: {resource} not named in {logical:#?}"
            );
        }
        for domain in finding["domains"].as_array().unwrap() {
            assert!(
                logical
                    .iter()
                    .any(|l| l["name"] == domain["id"] && l["kind"] == domain["kind"]),
                "{rule_id}: {domain} not named"
            );
        }

        let fingerprint = result["partialFingerprints"][FINGERPRINT_KEY]
            .as_str()
            .unwrap();
        assert_eq!(fingerprint, finding["id"]);
        assert!(
            fingerprints.insert(fingerprint),
            "fingerprint {fingerprint} repeats"
        );

        let properties = &result["properties"];
        assert_eq!(properties["severity"], finding["severity"]);
        assert_eq!(properties["services"], finding["services"]);
        assert_eq!(properties["controls"], finding["controls"]);
        let zones: Vec<&Value> = finding["domains"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"] == "zone")
            .map(|d| &d["id"])
            .collect();
        assert_eq!(
            properties["zone"]
                .as_array()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            zones
        );
        assert!(result.get("suppressions").is_none());
    }
    let spof = results
        .iter()
        .find(|r| r["ruleId"] == "zone-cut-set")
        .unwrap();
    assert!(
        spof["properties"]["path"].as_str().unwrap().contains(" → "),
        "the path is rendered: {spof:#}"
    );

    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    assert!(
        invocation.get("toolExecutionNotifications").is_none(),
        "the demo has no rule errors and complete coverage"
    );
}

/// What is broken, and how.
type Breakage = (&'static str, fn(&mut Value));

#[test]
fn broken_sarif_fails_validation() {
    let validator = sarif_validator();
    let sarif = json(&["audit", "--demo", "--format", "sarif"]);
    assert!(schema_errors(&validator, &sarif).is_empty());
    let breakages: [Breakage; 5] = [
        ("wrong version", |s| s["version"] = "2.0.0".into()),
        ("result without message", |s| {
            s["runs"][0]["results"][0]
                .as_object_mut()
                .unwrap()
                .remove("message");
        }),
        ("unknown level", |s| {
            s["runs"][0]["results"][0]["level"] = "fatal".into()
        }),
        ("line 0", |s| {
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                0.into()
        }),
        ("driver without name", |s| {
            s["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .unwrap()
                .remove("name");
        }),
    ];
    for (what, mut_ate) in breakages {
        let mut broken = sarif.clone();
        mut_ate(&mut broken);
        assert!(
            !schema_errors(&validator, &broken).is_empty(),
            "{what}: the validator accepted a broken document"
        );
    }
}

#[test]
fn sarif_points_at_the_snapshot_given_and_reports_what_could_not_be_checked() {
    let scenario = Scenario::new();
    let sarif: Value = serde_json::from_str(&scenario.audit("sarif")).unwrap();
    let errors = schema_errors(&sarif_validator(), &sarif);
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let snapshot = scenario.path("snapshot.json");
    for result in results {
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            snapshot.as_str()
        );
    }

    // The suppressed finding stays, marked as suppressed outside the code.
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1, "{suppressed:#?}");
    assert_eq!(suppressed[0]["ruleId"], "zone-cut-set");
    let suppression = &suppressed[0]["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(
        suppression["justification"],
        r#"accepted <until> the second zone & "CHG-9""#
    );
    let cut = suppressed[0]["locations"][0]["logicalLocations"]
        .as_array()
        .unwrap();
    assert!(
        cut.iter()
            .any(|l| l["fullyQualifiedName"] == SERVICE_ID && l["name"] == SERVICE_NAME),
        "{cut:#?}"
    );

    // Rule errors and the failed read are notifications of the invocation.
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    let rule_errors: Vec<&Value> = notifications
        .iter()
        .filter(|n| n["descriptor"]["id"] == "rule-error")
        .collect();
    assert_eq!(rule_errors.len(), 1, "{notifications:#?}");
    let associated = &rule_errors[0]["associatedRule"];
    assert_eq!(associated["id"], "custom-broken-condition");
    let index = associated["index"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "custom-broken-condition");
    assert_eq!(rule_errors[0]["level"], "error");
    let coverage: Vec<&Value> = notifications
        .iter()
        .filter(|n| n["descriptor"]["id"] == "coverage-failed")
        .collect();
    assert_eq!(coverage.len(), 1, "{notifications:#?}");
    assert!(
        coverage[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("rds DescribeDBInstances")
    );
}

/// A JUnit document read back.
#[derive(Debug, Default)]
struct Junit {
    attributes: HashMap<String, String>,
    suites: Vec<Suite>,
}

#[derive(Debug, Default)]
struct Suite {
    attributes: HashMap<String, String>,
    properties: HashMap<String, String>,
    cases: Vec<Case>,
}

#[derive(Debug, Default)]
struct Case {
    classname: String,
    name: String,
    failures: usize,
    skipped: usize,
    errors: usize,
    /// The text of the failure, unescaped.
    text: String,
}

impl Case {
    fn failing(&self) -> bool {
        self.failures > 0
    }
}

fn attributes(element: &BytesStart) -> HashMap<String, String> {
    element
        .attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            let key = a.key.as_ref().to_string();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .expect("a known entity")
                .into_owned();
            (key, value)
        })
        .collect()
}

fn parse_junit(xml: &str) -> Junit {
    let mut reader = Reader::from_str(xml);
    let mut junit = Junit::default();
    let mut in_failure = false;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (element, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(element) = element {
            let attrs = attributes(element);
            match element.name().as_ref() {
                "testsuites" => junit.attributes = attrs,
                "testsuite" => junit.suites.push(Suite {
                    attributes: attrs,
                    ..Suite::default()
                }),
                "property" => {
                    let suite = junit.suites.last_mut().expect("property in a suite");
                    suite
                        .properties
                        .insert(attrs["name"].clone(), attrs["value"].clone());
                }
                "properties" => {}
                "testcase" => {
                    let suite = junit.suites.last_mut().expect("testcase in a suite");
                    suite.cases.push(Case {
                        classname: attrs["classname"].clone(),
                        name: attrs["name"].clone(),
                        ..Case::default()
                    });
                }
                other => {
                    let case = junit
                        .suites
                        .last_mut()
                        .and_then(|s| s.cases.last_mut())
                        .expect("outcome in a testcase");
                    match other {
                        "failure" => {
                            case.failures += 1;
                            assert!(!attrs["message"].is_empty() && attrs.contains_key("severity"));
                            in_failure = !empty;
                        }
                        "skipped" => case.skipped += 1,
                        "error" => case.errors += 1,
                        name => panic!("unexpected element {}", name),
                    }
                }
            }
            continue;
        }
        match event {
            Event::Text(text) if in_failure => {
                let case = junit.suites.last_mut().unwrap().cases.last_mut().unwrap();
                case.text.push_str(&text.xml10_content());
            }
            Event::GeneralRef(reference) if in_failure => {
                let case = junit.suites.last_mut().unwrap().cases.last_mut().unwrap();
                match reference.resolve_char_ref().expect("a valid reference") {
                    Some(c) => case.text.push(c),
                    None => case.text.push_str(
                        quick_xml::escape::resolve_predefined_entity(&reference)
                            .expect("a predefined entity"),
                    ),
                }
            }
            Event::End(e) if e.name().as_ref() == "failure" => in_failure = false,
            Event::Eof => break,
            _ => {}
        }
    }
    junit
}

fn count(attributes: &HashMap<String, String>, name: &str) -> usize {
    attributes[name].parse().expect("a count")
}

/// The counts in attributes equal the elements present, per suite and in total.
fn assert_counts_match(junit: &Junit) {
    let cases = || junit.suites.iter().flat_map(|s| s.cases.iter());
    let total = |pick: fn(&Case) -> usize| cases().map(pick).sum::<usize>();
    assert_eq!(count(&junit.attributes, "tests"), cases().count());
    assert_eq!(count(&junit.attributes, "failures"), total(|c| c.failures));
    assert_eq!(count(&junit.attributes, "skipped"), total(|c| c.skipped));
    assert_eq!(count(&junit.attributes, "errors"), total(|c| c.errors));
    for suite in &junit.suites {
        let name = &suite.attributes["name"];
        let sum = |pick: fn(&Case) -> usize| suite.cases.iter().map(pick).sum::<usize>();
        assert_eq!(
            count(&suite.attributes, "tests"),
            suite.cases.len(),
            "{name}"
        );
        assert_eq!(
            count(&suite.attributes, "failures"),
            sum(|c| c.failures),
            "{name}"
        );
        assert_eq!(
            count(&suite.attributes, "skipped"),
            sum(|c| c.skipped),
            "{name}"
        );
        assert_eq!(
            count(&suite.attributes, "errors"),
            sum(|c| c.errors),
            "{name}"
        );
        for case in &suite.cases {
            assert_eq!(&case.classname, name);
            assert!(
                case.failures + case.skipped + case.errors <= 1,
                "{name}/{}: one outcome per case",
                case.name
            );
        }
    }
}

/// The test case a finding belongs to, as the JUnit format promises: per critical service
/// for analysis rules (per resource or domain when it names no service), per first resource
/// for resource rules.
fn expected_cases(
    finding: &Value,
    analysis: bool,
    services: &HashMap<&str, String>,
) -> Vec<String> {
    let named = strings(&finding["services"]);
    if analysis && !named.is_empty() {
        return named
            .iter()
            .map(|s| services.get(s).cloned().unwrap_or_else(|| s.to_string()))
            .collect();
    }
    if let Some(resource) = finding["resources"].as_array().unwrap().first() {
        return vec![resource.as_str().unwrap().to_string()];
    }
    if let Some(domain) = finding["domains"].as_array().unwrap().first() {
        return vec![format!(
            "{} {}",
            domain["kind"].as_str().unwrap(),
            domain["id"].as_str().unwrap()
        )];
    }
    match finding["region"].as_str() {
        Some(region) => vec![format!("region {region}")],
        None => vec![format!(
            "provider {}",
            finding["provider"].as_str().unwrap()
        )],
    }
}

#[test]
fn demo_junit_counts_and_failures_follow_the_findings() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/linchpin.toml");
    let out = linchpin(&["audit", "--demo", "--config", config, "--format", "junit"]);
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8(out.stdout).unwrap();
    let junit = parse_junit(&xml);
    let report = json(&["audit", "--demo", "--config", config, "--format", "json"]);
    let listed = json(&["rules", "list", "--format", "json", "--config", config]);
    let analysis: BTreeSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["check"] == "analysis")
        .map(|r| r["id"].as_str().unwrap())
        .collect();

    assert_eq!(junit.attributes["name"], "linchpin");
    assert_counts_match(&junit);
    let suite_names: Vec<&str> = junit
        .suites
        .iter()
        .map(|s| s.attributes["name"].as_str())
        .collect();
    assert_eq!(suite_names, strings(&report["rules"]["enabled"]));

    // Which cases fail or are skipped, and which findings each failure lists.
    let services: HashMap<&str, String> = report["critical_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let id = s["id"].as_str().unwrap();
            (id, format!("{} ({id})", s["name"].as_str().unwrap()))
        })
        .collect();
    let mut open: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut suppressed: BTreeSet<(String, String)> = BTreeSet::new();
    for finding in report["findings"].as_array().unwrap() {
        let rule = finding["rule"].as_str().unwrap();
        for case in expected_cases(finding, analysis.contains(rule), &services) {
            let key = (rule.to_string(), case);
            if finding.get("suppressed").is_some() {
                suppressed.insert(key);
            } else {
                open.entry(key)
                    .or_default()
                    .insert(finding["id"].as_str().unwrap().to_string());
            }
        }
    }
    let skipped: BTreeSet<(String, String)> = suppressed
        .into_iter()
        .filter(|key| !open.contains_key(key))
        .collect();
    assert!(
        !open.is_empty() && !skipped.is_empty(),
        "the demo config suppresses findings"
    );

    let mut failing = BTreeMap::new();
    let mut skipping = BTreeSet::new();
    for suite in &junit.suites {
        let rule = &suite.attributes["name"];
        let is_analysis = analysis.contains(rule.as_str());
        assert_eq!(
            suite.properties["check_type"],
            if is_analysis { "analysis" } else { "resource" }
        );
        if is_analysis {
            for service in services.values() {
                assert!(
                    suite.cases.iter().any(|c| &c.name == service),
                    "{rule}: no case for critical service {service}"
                );
            }
        } else if !open.keys().chain(&skipped).any(|(r, _)| r == rule) {
            assert_eq!(suite.cases.len(), 1, "{rule}");
            assert_eq!(suite.cases[0].name, "no findings");
            assert!(!suite.cases[0].failing());
        }
        for case in &suite.cases {
            let key = (rule.clone(), case.name.clone());
            if case.failing() {
                let listed: BTreeSet<String> = case
                    .text
                    .lines()
                    .filter_map(|l| l.strip_prefix("finding: "))
                    .map(str::to_string)
                    .collect();
                failing.insert(key, listed);
            } else if case.skipped > 0 {
                skipping.insert(key);
            }
        }
    }
    assert_eq!(failing, open, "failing cases and the findings they list");
    assert_eq!(skipping, skipped, "skipped cases");
    let unsuppressed: usize = report["summary"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap() as usize)
        .sum();
    let listed: BTreeSet<&String> = failing.values().flatten().collect();
    assert_eq!(
        listed.len(),
        unsuppressed,
        "every unsuppressed finding fails a case"
    );

    let again = linchpin(&["audit", "--demo", "--config", config, "--format", "junit"]);
    assert_eq!(again.stdout, xml.as_bytes(), "deterministic");
}

#[test]
fn junit_escapes_names_and_reports_rule_errors() {
    let scenario = Scenario::new();
    let xml = scenario.audit("junit");
    assert!(!xml.contains(SERVICE_NAME), "raw name in the XML");
    assert!(xml.contains("pay &lt;&amp;&quot;&gt; desk"), "{xml}");
    let junit = parse_junit(&xml);
    assert_counts_match(&junit);
    let suite = |rule: &str| {
        junit
            .suites
            .iter()
            .find(|s| s.attributes["name"] == rule)
            .unwrap_or_else(|| panic!("no suite {rule}"))
    };
    let case_name = format!("{SERVICE_NAME} ({SERVICE_ID})");

    let spof = suite("resource-spof");
    let case = spof.cases.iter().find(|c| c.name == case_name).unwrap();
    assert!(case.failing(), "{case:#?}");
    assert!(case.text.contains(INSTANCE_NAME), "{}", case.text);
    assert!(case.text.contains("path: "), "{}", case.text);
    assert!(case.text.contains("remediation: "), "{}", case.text);

    let cut = suite("zone-cut-set");
    let case = cut.cases.iter().find(|c| c.name == case_name).unwrap();
    assert_eq!(
        (case.failures, case.skipped),
        (0, 1),
        "suppressed: {case:#?}"
    );

    let broken = suite("custom-broken-condition");
    assert_eq!(count(&broken.attributes, "errors"), 1);
    assert!(broken.cases.iter().all(|c| c.name != "no findings"));
    assert!(count(&junit.attributes, "errors") >= 1);
}

#[test]
fn every_rule_error_of_the_report_is_a_notification_and_an_error_case() {
    // 103 instances on which the rule fails: the engine lists some and counts the rest.
    let dir = tempfile::tempdir().unwrap();
    let resources: Vec<Value> = (0..103)
        .map(|n| {
            serde_json::json!({
                "id": format!("arn:aws:ec2:ap-northeast-1:111122223333:instance/i-{n}"),
                "provider": "aws", "account": "111122223333", "region": "ap-northeast-1",
                "kind": "aws:ec2:instance", "name": format!("box-{n}"),
                "placement": {"type": "zonal", "zone": "apne1-az4"}
            })
        })
        .collect();
    let snapshot = serde_json::json!({
        "schema": "linchpin.snapshot/v1",
        "sources": [{"kind": "manifest", "name": "many rule errors"}],
        "zones": [{"id": "apne1-az4", "provider": "aws", "region": "ap-northeast-1",
                   "name": "ap-northeast-1a"}],
        "resources": resources,
    });
    let snapshot_path = dir.path().join("snapshot.json");
    std::fs::write(&snapshot_path, snapshot.to_string()).unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("custom-broken-condition.toml"), FAILING_RULE).unwrap();
    let audit = |format: &str| {
        stdout_of(&[
            "audit",
            "--snapshot",
            snapshot_path.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--format",
            format,
        ])
    };

    let report: Value = serde_json::from_str(&audit("json")).unwrap();
    let reported: Vec<&Value> = report["rule_errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule"] == "custom-broken-condition")
        .collect();
    assert!(reported.len() > 1, "{report:#}");

    let sarif: Value = serde_json::from_str(&audit("sarif")).unwrap();
    let errors = schema_errors(&sarif_validator(), &sarif);
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    let notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let rule_errors: Vec<&Value> = notifications
        .iter()
        .filter(|n| n["associatedRule"]["id"] == "custom-broken-condition")
        .collect();
    assert_eq!(rule_errors.len(), reported.len());
    for (notification, error) in rule_errors.iter().zip(&reported) {
        let text = notification["message"]["text"].as_str().unwrap();
        assert!(text.contains(error["message"].as_str().unwrap()), "{text}");
        if let Some(resource) = error["resource"].as_str() {
            assert_eq!(
                notification["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
                resource
            );
        }
    }

    let junit = parse_junit(&audit("junit"));
    assert_counts_match(&junit);
    let suite = junit
        .suites
        .iter()
        .find(|s| s.attributes["name"] == "custom-broken-condition")
        .unwrap();
    assert_eq!(count(&suite.attributes, "errors"), reported.len());
    assert_eq!(
        suite.cases.len(),
        reported.len(),
        "no passing case beside errors"
    );
}

/// Run `linchpin`, expect exit 0, and return stdout.
fn stdout_of(args: &[&str]) -> String {
    let out = linchpin(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
