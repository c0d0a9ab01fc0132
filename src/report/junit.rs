//! JUnit XML: the audit report as test results, for CI systems that show test reports. One
//! test suite per enabled rule, in catalog order. An analysis rule has a test case per
//! critical service, failing when a finding of the rule stops that service, plus one per
//! finding that names no service (concentration, coverage). A resource rule has a test case
//! per resource it fired on; the resources it passed are not enumerated (there may be a
//! million), so a resource rule that fired nowhere has one passing case, `no findings`.
//! Suppressed findings are skipped cases; rule errors are error cases, never passes.

use std::borrow::Borrow;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::Hash;
use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{AuditReport, RuleInfo};
use crate::analysis::render_path;
use crate::model::{CheckType, Finding, RuleError, Severity};

/// Name of the passing case of a resource rule that fired nowhere.
const NO_FINDINGS: &str = "no findings";

pub(super) fn audit(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    write(&suites(report), out)
}

/// One rule's test suite.
struct Suite<'a> {
    name: &'a str,
    properties: Vec<(&'static str, &'a str)>,
    cases: Vec<Case<'a>>,
}

/// One test case and how it ended.
struct Case<'a> {
    classname: &'a str,
    name: String,
    outcome: Outcome<'a>,
}

enum Outcome<'a> {
    Passed,
    /// The unsuppressed findings, and how many more were suppressed.
    Failed(Vec<&'a Finding>, usize),
    /// Every finding of the case is suppressed.
    Skipped(Vec<&'a Finding>),
    /// The rule could not be evaluated.
    Error(&'a RuleError),
}

impl Suite<'_> {
    fn count(&self, pick: fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| pick(&c.outcome)).count()
    }
}

fn is_failure(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Failed(..))
}

fn is_skipped(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Skipped(_))
}

fn is_error(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Error(_))
}

/// Items grouped by key, groups in order of first appearance.
struct Groups<K, T> {
    order: Vec<K>,
    members: HashMap<K, Vec<T>>,
}

impl<K: Eq + Hash + Clone, T> Groups<K, T> {
    fn new() -> Self {
        Groups {
            order: Vec::new(),
            members: HashMap::new(),
        }
    }

    fn add(&mut self, key: K, item: T) {
        match self.members.get_mut(&key) {
            Some(items) => items.push(item),
            None => {
                self.order.push(key.clone());
                self.members.insert(key, vec![item]);
            }
        }
    }

    fn take<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Vec<T>
    where
        K: Borrow<Q>,
    {
        self.members.remove(key).unwrap_or_default()
    }

    /// The groups not taken yet, in order of first appearance.
    fn rest(mut self) -> Vec<(K, Vec<T>)> {
        let order = std::mem::take(&mut self.order);
        order
            .into_iter()
            .filter_map(|key| self.members.remove(&key).map(|items| (key, items)))
            .collect()
    }
}

fn suites(report: &AuditReport) -> Vec<Suite<'_>> {
    let mut findings: Groups<&str, &Finding> = Groups::new();
    for finding in &report.findings {
        findings.add(&finding.rule, finding);
    }
    let mut errors: Groups<&str, &RuleError> = Groups::new();
    for error in &report.rule_errors {
        errors.add(&error.rule, error);
    }
    let mut suites: Vec<Suite> = report
        .catalog
        .iter()
        .map(|rule| {
            let found = findings.take(rule.id.as_str());
            let failed = errors.take(rule.id.as_str());
            suite(report, Some(rule), &rule.id, found, failed)
        })
        .collect();
    // Rules outside the catalog that still produced findings or errors get a suite too, so
    // nothing in the report is dropped; they are grouped like resource rules.
    for (rule, found) in findings.rest() {
        let failed = errors.take(rule);
        suites.push(suite(report, None, rule, found, failed));
    }
    for (rule, failed) in errors.rest() {
        suites.push(suite(report, None, rule, Vec::new(), failed));
    }
    suites
}

fn suite<'a>(
    report: &'a AuditReport,
    rule: Option<&'a RuleInfo>,
    name: &'a str,
    found: Vec<&'a Finding>,
    failed: Vec<&'a RuleError>,
) -> Suite<'a> {
    let analysis = rule.is_some_and(|r| r.check_type == CheckType::Analysis);
    let mut cases = if analysis {
        analysis_cases(report, name, found)
    } else {
        resource_cases(name, found, failed.is_empty())
    };
    cases.extend(failed.into_iter().map(|error| Case {
        classname: name,
        name: match &error.resource {
            Some(resource) => format!("rule error on {resource}"),
            None => "rule error".to_string(),
        },
        outcome: Outcome::Error(error),
    }));
    let properties = match rule {
        Some(rule) => vec![
            ("title", rule.title.as_str()),
            ("severity", rule.severity.as_str()),
            ("check_type", rule.check_type.as_str()),
            ("status", rule.status.as_str()),
        ],
        None => Vec::new(),
    };
    Suite {
        name,
        properties,
        cases,
    }
}

/// A case per critical service, then a case per service the findings name that is not in
/// the list, then a case per resource or domain of the findings that name no service.
fn analysis_cases<'a>(
    report: &'a AuditReport,
    rule: &'a str,
    found: Vec<&'a Finding>,
) -> Vec<Case<'a>> {
    let mut by_service: Groups<&str, &Finding> = Groups::new();
    let mut by_subject: Groups<Cow<str>, &Finding> = Groups::new();
    for finding in found {
        if finding.services.is_empty() {
            by_subject.add(subject(finding), finding);
        }
        for service in &finding.services {
            by_service.add(service.as_str(), finding);
        }
    }
    let mut cases: Vec<Case> = report
        .critical_services
        .iter()
        .map(|service| {
            let name = if service.name.is_empty() || service.name == service.id {
                service.id.clone()
            } else {
                format!("{} ({})", service.name, service.id)
            };
            Case {
                classname: rule,
                name,
                outcome: outcome(by_service.take(service.id.as_str())),
            }
        })
        .collect();
    let services = by_service
        .rest()
        .into_iter()
        .map(|(service, found)| (service.to_string(), found));
    let subjects = by_subject
        .rest()
        .into_iter()
        .map(|(subject, found)| (subject.into_owned(), found));
    for (name, found) in services.chain(subjects) {
        cases.push(Case {
            classname: rule,
            name,
            outcome: outcome(found),
        });
    }
    cases
}

/// A case per resource the findings name first; one passing case when there are none.
fn resource_cases<'a>(rule: &'a str, found: Vec<&'a Finding>, clean: bool) -> Vec<Case<'a>> {
    if found.is_empty() {
        return if clean {
            vec![Case {
                classname: rule,
                name: NO_FINDINGS.to_string(),
                outcome: Outcome::Passed,
            }]
        } else {
            Vec::new()
        };
    }
    let mut by_subject: Groups<Cow<str>, &Finding> = Groups::new();
    for finding in found {
        by_subject.add(subject(finding), finding);
    }
    by_subject
        .rest()
        .into_iter()
        .map(|(key, found)| Case {
            classname: rule,
            name: key.into_owned(),
            outcome: outcome(found),
        })
        .collect()
}

/// What a finding is about: its first resource, else its first domain, else the region or
/// provider it is scored under (`region ap-northeast-1`).
fn subject(finding: &Finding) -> Cow<'_, str> {
    if let Some(resource) = finding.resources.first() {
        Cow::Borrowed(resource)
    } else if let Some(domain) = finding.domains.first() {
        Cow::Owned(domain.to_string())
    } else if let Some(region) = &finding.region {
        Cow::Owned(format!("region {region}"))
    } else {
        Cow::Owned(format!("provider {}", finding.provider))
    }
}

fn outcome(found: Vec<&Finding>) -> Outcome<'_> {
    if found.is_empty() {
        return Outcome::Passed;
    }
    let (open, suppressed): (Vec<&Finding>, Vec<&Finding>) =
        found.into_iter().partition(|f| f.suppressed.is_none());
    if open.is_empty() {
        Outcome::Skipped(suppressed)
    } else {
        Outcome::Failed(open, suppressed.len())
    }
}

fn write(suites: &[Suite], out: &mut dyn Write) -> io::Result<()> {
    let mut writer = Writer::new_with_indent(out, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let total = |pick: fn(&Outcome) -> bool| -> String {
        suites
            .iter()
            .map(|s| s.count(pick))
            .sum::<usize>()
            .to_string()
    };
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let root = BytesStart::new("testsuites").with_attributes([
        ("name", "linchpin"),
        ("tests", tests.to_string().as_str()),
        ("failures", total(is_failure).as_str()),
        ("errors", total(is_error).as_str()),
        ("skipped", total(is_skipped).as_str()),
    ]);
    writer.write_event(Event::Start(root))?;
    for suite in suites {
        let start = BytesStart::new("testsuite").with_attributes([
            ("name", xml_safe(suite.name).as_ref()),
            ("tests", suite.cases.len().to_string().as_str()),
            ("failures", suite.count(is_failure).to_string().as_str()),
            ("errors", suite.count(is_error).to_string().as_str()),
            ("skipped", suite.count(is_skipped).to_string().as_str()),
        ]);
        writer.write_event(Event::Start(start))?;
        if !suite.properties.is_empty() {
            writer.write_event(Event::Start(BytesStart::new("properties")))?;
            for (name, value) in &suite.properties {
                writer.write_event(Event::Empty(
                    BytesStart::new("property")
                        .with_attributes([("name", *name), ("value", xml_safe(value).as_ref())]),
                ))?;
            }
            writer.write_event(Event::End(BytesEnd::new("properties")))?;
        }
        for case in &suite.cases {
            write_case(&mut writer, case)?;
        }
        writer.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    writer.write_event(Event::End(BytesEnd::new("testsuites")))?;
    writer.get_mut().write_all(b"\n")
}

fn write_case<W: Write>(writer: &mut Writer<W>, case: &Case) -> io::Result<()> {
    let start = BytesStart::new("testcase").with_attributes([
        ("classname", xml_safe(case.classname).as_ref()),
        ("name", xml_safe(&case.name).as_ref()),
    ]);
    match &case.outcome {
        Outcome::Passed => writer.write_event(Event::Empty(start)),
        Outcome::Failed(found, suppressed) => {
            writer.write_event(Event::Start(start))?;
            let severity = found
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Info);
            let message = match found.as_slice() {
                [one] => one.message.clone(),
                [first, ..] => format!("{} findings; first: {}", found.len(), first.message),
                [] => String::new(),
            };
            let mut text = found
                .iter()
                .map(|f| describe(f))
                .collect::<Vec<_>>()
                .join("\n\n");
            if *suppressed > 0 {
                text.push_str(&format!("\n\n{suppressed} more finding(s) suppressed"));
            }
            let failure = BytesStart::new("failure").with_attributes([
                ("message", xml_safe(&message).as_ref()),
                ("type", xml_safe(case.classname).as_ref()),
                ("severity", severity.as_str()),
            ]);
            writer.write_event(Event::Start(failure))?;
            writer.write_event(Event::Text(BytesText::new(&xml_safe(&text))))?;
            writer.write_event(Event::End(BytesEnd::new("failure")))?;
            writer.write_event(Event::End(BytesEnd::new("testcase")))
        }
        Outcome::Skipped(found) => {
            writer.write_event(Event::Start(start))?;
            let mut reasons: Vec<String> = Vec::new();
            for finding in found {
                if let Some(s) = &finding.suppressed {
                    let reason = format!("{} ({})", s.reason, s.by);
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
            }
            let message = format!("suppressed: {}", reasons.join("; "));
            writer.write_event(Event::Empty(
                BytesStart::new("skipped")
                    .with_attributes([("message", xml_safe(&message).as_ref())]),
            ))?;
            writer.write_event(Event::End(BytesEnd::new("testcase")))
        }
        Outcome::Error(error) => {
            writer.write_event(Event::Start(start))?;
            let element = BytesStart::new("error").with_attributes([
                ("message", xml_safe(&error.message).as_ref()),
                ("type", "rule-error"),
            ]);
            writer.write_event(Event::Empty(element))?;
            writer.write_event(Event::End(BytesEnd::new("testcase")))
        }
    }
}

/// A finding as failure text: severity and message, then its id, path and remediation.
fn describe(finding: &Finding) -> String {
    let mut text = format!(
        "[{}] {}\nfinding: {}",
        finding.severity, finding.message, finding.id
    );
    if !finding.path.is_empty() {
        text.push_str(&format!("\npath: {}", render_path(&finding.path)));
    }
    if !finding.remediation.is_empty() {
        text.push_str(&format!("\nremediation: {}", finding.remediation));
    }
    text
}

/// Text with the characters XML 1.0 cannot hold at all (most control characters, U+FFFE,
/// U+FFFF) replaced by U+FFFD; escaping of the rest is the writer's job.
fn xml_safe(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_xml_cannot_hold_is_replaced() {
        assert_eq!(xml_safe("a<b>&\"c\"\n"), "a<b>&\"c\"\n");
        assert_eq!(xml_safe("bell\u{7}nul\u{0}"), "bell\u{FFFD}nul\u{FFFD}");
        assert_eq!(xml_safe("\u{FFFF}😀"), "\u{FFFD}😀");
    }
}
