//! `oscal/assessment-results.json`: the findings as an OSCAL 1.0.6 assessment-results
//! document. Every UUID is a v5 UUID of what it names (a finding's id, a resource's id, a
//! file's path), so the same finding keeps its UUID from run to run. The document cannot
//! carry its own hash; `SHA256SUMS` does.

use std::collections::BTreeMap;
use std::io;

use serde_json::{Value, json};
use uuid::Uuid;

use super::manifest::FileEntry;
use crate::graph::Estate;
use crate::model::Finding;
use crate::report::AuditReport;

/// The OSCAL version the document follows.
pub const OSCAL_VERSION: &str = "1.0.6";

/// Extra property names (rule, severity, ...) live in this namespace.
const NS: &str = "urn:linchpin:oscal";

/// What the document is made from.
pub(super) struct Context<'a> {
    pub estate: &'a Estate,
    pub report: &'a AuditReport,
    pub run_id: Uuid,
    pub started: &'a str,
    pub finished: &'a str,
    /// The other evidence files, each a back-matter resource with its hash.
    pub files: &'a [FileEntry],
}

fn uuid_of(kind: &str, name: &str) -> String {
    Uuid::new_v5(&super::namespace(), format!("{kind}:{name}").as_bytes()).to_string()
}

/// A NIST SP 800-53 id as an OSCAL control id: `CP-2(2)` → `cp-2.2`. None when the result
/// would not be an OSCAL token.
pub(super) fn control_id(nist: &str) -> Option<String> {
    let mut id = String::with_capacity(nist.len());
    for ch in nist.trim().chars() {
        match ch {
            '(' => id.push('.'),
            ')' | ' ' => {}
            c => id.push(c.to_ascii_lowercase()),
        }
    }
    is_token(&id).then_some(id)
}

/// OSCAL's TokenDatatype (an XML NCName), restricted to ASCII.
fn is_token(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// OSCAL's StringDatatype: non-empty, no leading or trailing whitespace, one line.
fn one_line(text: &str) -> Option<String> {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

fn prop(name: &str, value: &str) -> Option<Value> {
    one_line(value).map(|value| json!({"name": name, "ns": NS, "value": value}))
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "json" => "application/json",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "html" => "text/html",
        "sarif" => "application/sarif+json",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

/// The assessment-results document, pretty JSON with a final newline.
pub(super) fn document(cx: &Context, out: &mut dyn io::Write) -> io::Result<()> {
    let report = cx.report;
    let run = cx.run_id.to_string();
    // The resources findings name, once each, as inventory items.
    let mut subjects: BTreeMap<&str, String> = BTreeMap::new();
    for finding in &report.findings {
        for resource in &finding.resources {
            subjects
                .entry(resource.as_str())
                .or_insert_with(|| uuid_of("resource", resource));
        }
    }
    let plan = uuid_of("assessment-plan", &run);
    let results = Node::Seq(vec![result(cx, &run, &subjects)]);
    let document = Node::object([(
        "assessment-results",
        Node::object([
            ("uuid", uuid_of("assessment-results", &run).into()),
            (
                "metadata",
                json!({
                    "title": "linchpin evidence: assessment results",
                    "last-modified": cx.finished,
                    "version": report.tool.version,
                    "oscal-version": OSCAL_VERSION,
                    "props": [{"name": "run-id", "ns": NS, "value": run}],
                })
                .into(),
            ),
            (
                "import-ap",
                json!({
                    "href": format!("#{plan}"),
                    "remarks": "A placeholder: see the back-matter resource it points to.",
                })
                .into(),
            ),
            ("results", results),
            (
                "back-matter",
                json!({"resources": back_matter(cx, &plan)}).into(),
            ),
        ]),
    )]);
    crate::report::write_json(&document, out)
}

/// A part of the document. The long lists (inventory items, observations, findings: one
/// per finding) are made one element at a time as they are written, so the document is never
/// in memory whole; the rest are small values.
enum Node<'a> {
    Value(Value),
    /// Written with its keys in order, as a JSON value's map would be.
    Object(Vec<(&'static str, Node<'a>)>),
    Seq(Vec<Node<'a>>),
    /// A list made as it is written.
    Items(Box<dyn Fn() -> Box<dyn Iterator<Item = Value> + 'a> + 'a>),
}

impl<'a> Node<'a> {
    fn object(entries: impl Into<Vec<(&'static str, Node<'a>)>>) -> Node<'a> {
        let mut entries = entries.into();
        entries.sort_by_key(|(key, _)| *key);
        Node::Object(entries)
    }

    fn items<I: Iterator<Item = Value> + 'a>(make: impl Fn() -> I + 'a) -> Node<'a> {
        Node::Items(Box::new(move || Box::new(make())))
    }
}

impl From<Value> for Node<'_> {
    fn from(value: Value) -> Self {
        Node::Value(value)
    }
}

impl From<String> for Node<'_> {
    fn from(text: String) -> Self {
        Node::Value(Value::String(text))
    }
}

impl serde::Serialize for Node<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Node::Value(value) => value.serialize(serializer),
            Node::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, node) in entries {
                    map.serialize_entry(key, node)?;
                }
                map.end()
            }
            Node::Seq(nodes) => serializer.collect_seq(nodes),
            Node::Items(make) => serializer.collect_seq(make()),
        }
    }
}

/// The controls reviewed: the NIST ids of the enabled rules, as a control selection.
fn control_selection(report: &AuditReport) -> Value {
    let mut reviewed: Vec<String> = report
        .catalog
        .iter()
        .flat_map(|rule| rule.controls.nist80053.iter())
        .filter_map(|id| control_id(id))
        .collect();
    reviewed.sort();
    reviewed.dedup();
    if reviewed.is_empty() {
        json!({"description": "No enabled rule maps to a NIST SP 800-53 rev. 5 control."})
    } else {
        json!({
            "description": "The NIST SP 800-53 rev. 5 controls the enabled rules give evidence for (mappings/controls.csv).",
            "include-controls": reviewed.iter().map(|id| json!({"control-id": id})).collect::<Vec<_>>(),
        })
    }
}

/// The inventory items: each resource a finding names (`subjects`, id → UUID), described.
fn inventory<'a>(cx: &'a Context, subjects: &'a BTreeMap<&str, String>) -> Node<'a> {
    Node::items(move || {
        subjects.iter().map(move |(id, uuid)| {
            let description = match cx.estate.lookup(id) {
                Some(ix) => {
                    let r = cx.estate.resource(ix);
                    format!(
                        "{} ({}, provider {}{})",
                        r.label(),
                        r.kind,
                        r.provider,
                        r.region
                            .as_deref()
                            .map_or_else(String::new, |region| format!(", region {region}"))
                    )
                }
                None => id.to_string(),
            };
            let mut item = json!({"uuid": uuid, "description": description});
            if let Some(p) = one_line(id) {
                item["props"] = json!([{"name": "asset-id", "value": p}]);
            }
            item
        })
    })
}

/// The one result of run `run`: what was audited, the controls reviewed, the inventory, and
/// the observations and findings.
fn result<'a>(cx: &'a Context, run: &str, subjects: &'a BTreeMap<&str, String>) -> Node<'a> {
    let report = cx.report;
    let mut entries = vec![
        ("uuid", uuid_of("result", run).into()),
        ("title", "linchpin resilience audit".to_string().into()),
        (
            "description",
            format!(
                "Automated audit of {} resources ({} providers, {} regions) for single zones, regions, providers and resources whose loss stops a critical service; {} findings, {} suppressed.",
                report.estate.resources,
                report.estate.providers.len(),
                report.estate.regions.len(),
                report.findings.len(),
                report.suppressed,
            )
            .into(),
        ),
        ("start", cx.started.to_string().into()),
        ("end", cx.finished.to_string().into()),
        (
            "reviewed-controls",
            json!({"control-selections": [control_selection(report)]}).into(),
        ),
    ];
    if !subjects.is_empty() {
        entries.push((
            "local-definitions",
            Node::object([("inventory-items", inventory(cx, subjects))]),
        ));
    }
    if !report.findings.is_empty() {
        let collected = cx.finished;
        entries.push((
            "observations",
            Node::items(move || {
                report
                    .findings
                    .iter()
                    .map(move |f| observation(f, subjects, collected))
            }),
        ));
        entries.push((
            "findings",
            Node::items(|| report.findings.iter().map(finding)),
        ));
    }
    Node::object(entries)
}

/// The back-matter resources: the assessment plan placeholder (UUID `plan`), then every other
/// evidence file with its hash.
fn back_matter(cx: &Context, plan: &str) -> Vec<Value> {
    let mut resources = vec![json!({
        "uuid": plan,
        "title": "Assessment plan (none imported)",
        "description": format!(
            "linchpin imports no OSCAL assessment plan: the plan is its enabled rule pack (digest {}), listed in findings.json under rules and in mappings/controls.csv.",
            cx.report.rules.digest
        ),
    })];
    for file in cx.files {
        resources.push(json!({
            "uuid": uuid_of("file", &file.path),
            "title": file.path,
            "rlinks": [{
                "href": file.path,
                "media-type": media_type(&file.path),
                "hashes": [{"algorithm": "SHA-256", "value": file.sha256}],
            }],
        }));
    }
    resources
}

fn observation(f: &Finding, subjects: &BTreeMap<&str, String>, collected: &str) -> Value {
    let mut props: Vec<Value> = [
        prop("finding-id", &f.id),
        prop("rule", &f.rule),
        prop("severity", f.severity.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(s) = &f.suppressed {
        props.extend(prop("suppressed", &format!("{} ({})", s.reason, s.by)));
    }
    let mut obs = json!({
        "uuid": uuid_of("observation", &f.id),
        "title": f.title,
        "description": f.message,
        "props": props,
        "methods": ["TEST"],
        "types": ["finding"],
        "relevant-evidence": [{
            "href": "findings.json",
            "description": format!("Finding {} in the audit report, with the requirement path that explains it.", f.id),
        }],
        "collected": collected,
    });
    let refs: Vec<Value> = f
        .resources
        .iter()
        .filter_map(|r| {
            subjects
                .get(r.as_str())
                .map(|uuid| json!({"subject-uuid": uuid, "type": "inventory-item", "title": r}))
        })
        .collect();
    if !refs.is_empty() {
        obs["subjects"] = Value::Array(refs);
    }
    obs
}

fn finding(f: &Finding) -> Value {
    let nist: Vec<String> = f
        .controls
        .nist80053
        .iter()
        .filter_map(|id| control_id(id))
        .collect();
    // A finding has one target: its first NIST control, or the rule when it maps to none.
    let (target, title) = match nist.first() {
        Some(id) => (id.clone(), format!("NIST SP 800-53 rev. 5 {id}")),
        None => (
            control_id(&f.rule).unwrap_or_else(|| "linchpin-rule".into()),
            format!("linchpin rule {}", f.rule),
        ),
    };
    let mut props: Vec<Value> = [prop("rule", &f.rule), prop("severity", f.severity.as_str())]
        .into_iter()
        .flatten()
        .collect();
    props.extend(nist.iter().filter_map(|id| prop("nist-control", id)));
    let mut status = json!({"state": "not-satisfied", "reason": "fail"});
    if let Some(s) = &f.suppressed {
        status["remarks"] = json!(format!("Suppressed by {}: {}", s.by, s.reason));
    }
    json!({
        "uuid": uuid_of("finding", &f.id),
        "title": f.title,
        "description": format!("{}\n\nRemediation: {}", f.message, f.remediation),
        "props": props,
        "target": {
            "type": "objective-id",
            "target-id": target,
            "title": title,
            "status": status,
        },
        "related-observations": [{"observation-uuid": uuid_of("observation", &f.id)}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nist_ids_become_oscal_control_ids() {
        assert_eq!(control_id("CP-10").as_deref(), Some("cp-10"));
        assert_eq!(control_id("CP-2(2)").as_deref(), Some("cp-2.2"));
        assert_eq!(control_id("SC-5 (2)").as_deref(), Some("sc-5.2"));
        assert_eq!(control_id("2(x)"), None);
        assert_eq!(control_id(""), None);
    }
}
