//! Loading rule files: parse each with spans, then validate it field by field, collecting
//! every problem in every file (unknown keys, wrong types, bad CEL, unknown variables and
//! fields, bad kind patterns, duplicate ids, ids that differ from the file stem) before
//! giving up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::cel_expr::{Expression, Template};
use super::facts::{GRAPH_FIELDS, RESOURCE_FIELDS, field_refs};
use super::{AnalysisCheck, Check, KindPattern, Rule, ThirdPartyScope};
use crate::analysis::Population;
use crate::diag::{Diagnostic, Diagnostics, Located, SourceFile, TableReader};
use crate::model::{Controls, Docs, DomainKind, Severity, Status};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The variables a resource rule's condition may use.
const CONDITION_VARIABLES: &[&str] = &["resource", "graph"];
/// A resource rule's templates may also name the affected services.
const TEMPLATE_VARIABLES: &[&str] = &["resource", "graph", "services"];

/// A validated set of rules, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct RulePack {
    pub rules: Vec<Rule>,
}

impl RulePack {
    /// The built-in pack embedded from `rules/`.
    pub fn builtin() -> Result<RulePack, Diagnostics> {
        let files: Vec<SourceFile> = BUILTIN_FILES
            .iter()
            .map(|(path, text)| SourceFile::new(*path, *text))
            .collect();
        parse_files(&files)
    }

    /// The built-in pack with the rules of `dirs` added; a rule with a built-in's id
    /// replaces it.
    pub fn load(dirs: &[PathBuf]) -> Result<RulePack, Diagnostics> {
        let mut pack = RulePack::builtin()?;
        if dirs.is_empty() {
            return Ok(pack);
        }
        let extra = RulePack::load_dirs(dirs)?;
        for rule in extra.rules {
            match pack.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(slot) => *slot = rule,
                None => pack.rules.push(rule),
            }
        }
        pack.rules.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(pack)
    }

    /// Only the rules in `dirs` — directories searched recursively, or single files — (what
    /// `rules check` validates).
    pub fn load_dirs(dirs: &[PathBuf]) -> Result<RulePack, Diagnostics> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for dir in dirs {
            let mut paths = Vec::new();
            if dir.is_file() {
                // A single rule file is checked as it is.
                paths.push(dir.clone());
            } else if let Err(error) = collect_toml(dir, &mut paths) {
                problems.push(Diagnostic {
                    file: dir.display().to_string(),
                    line: 1,
                    column: 1,
                    message: format!("cannot read rule directory: {error}"),
                });
                continue;
            }
            if paths.is_empty() {
                problems.push(Diagnostic {
                    file: dir.display().to_string(),
                    line: 1,
                    column: 1,
                    message: "no rule files (*.toml) in this directory".into(),
                });
            }
            paths.sort();
            for path in paths {
                match std::fs::read(&path) {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(text) => files.push(SourceFile::new(path.display().to_string(), text)),
                        Err(_) => problems.push(Diagnostic {
                            file: path.display().to_string(),
                            line: 1,
                            column: 1,
                            message: "not UTF-8 text".into(),
                        }),
                    },
                    Err(error) => problems.push(Diagnostic {
                        file: path.display().to_string(),
                        line: 1,
                        column: 1,
                        message: format!("cannot read: {error}"),
                    }),
                }
            }
        }
        match parse_files(&files) {
            Ok(pack) if problems.is_empty() => Ok(pack),
            Ok(_) => Err(Diagnostics {
                what: "rule files".into(),
                list: problems,
            }),
            Err(mut more) => {
                problems.append(&mut more.list);
                more.list = problems;
                Err(more)
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// SHA-256 over every rule's origin and text, in id order: which pack produced a report.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for rule in &self.rules {
            hasher.update(rule.origin.as_bytes());
            hasher.update([0]);
            hasher.update(rule.text.as_bytes());
            hasher.update([0]);
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Parse and validate files; duplicate ids across them are errors.
fn parse_files(files: &[SourceFile]) -> Result<RulePack, Diagnostics> {
    let mut problems = Vec::new();
    let mut rules: Vec<Rule> = Vec::new();
    let mut first_seen: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        if let Some((rule, id_span)) = parse_rule(file, &mut problems) {
            if let Some(other) = first_seen.get(&rule.id) {
                problems.push(file.diagnostic(
                    id_span.start,
                    format!("duplicate rule id `{}` (also in {other})", rule.id),
                ));
                continue;
            }
            first_seen.insert(rule.id.clone(), file.name.clone());
            rules.push(rule);
        }
    }
    if problems.is_empty() {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(RulePack { rules })
    } else {
        problems.sort();
        problems.dedup();
        Err(Diagnostics {
            what: "rule files".into(),
            list: problems,
        })
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Parse one rule file; `None` when it has problems (all pushed to `problems`).
fn parse_rule(
    file: &SourceFile,
    problems: &mut Vec<Diagnostic>,
) -> Option<(Rule, std::ops::Range<usize>)> {
    let before = problems.len();
    let table = file.parse(problems)?;
    let mut top = TableReader::new(file, &table, 0);

    let id = top.string("id", problems);
    check_id(file, id.as_ref(), problems);
    let title = top.string("title", problems);
    let severity = read_severity(file, &mut top, "severity", problems);
    let status = read_status(file, &mut top, problems);
    let since = top.string("since", problems);
    let kinds = top.opt_string_list("kinds", problems);
    let condition = top.opt_string("condition", problems);
    let analysis = top.opt_table("analysis", problems);
    let message = top.string("message", problems);
    let remediation = top.string("remediation", problems);
    let references = top.string_list("references", problems);
    let controls = top
        .table("controls", problems)
        .map(|t| read_controls(file, t, problems));
    let docs = top
        .table("docs", problems)
        .map(|t| read_docs(file, t, problems));
    top.finish(problems);

    let check = rule_check(file, kinds, condition, analysis, problems);

    // Templates: their variables depend on what the rule checks.
    let allowed: Vec<&str> = match &check {
        Some(Check::Analysis(analysis)) => analysis.variables().to_vec(),
        _ => TEMPLATE_VARIABLES.to_vec(),
    };
    let message = message.and_then(|text| parse_template(file, text, &allowed, problems));
    let remediation = remediation.and_then(|text| parse_template(file, text, &allowed, problems));

    if problems.len() > before {
        return None;
    }
    let id = id?;
    Some((
        Rule {
            id: id.value,
            title: title?.value,
            severity: severity?,
            status: status?,
            since: since?.value,
            check: check?,
            message: message?,
            remediation: remediation?,
            references: references?.into_iter().map(|r| r.value).collect(),
            controls: controls?,
            docs: docs?,
            origin: file.name.clone(),
            text: file.text.clone(),
        },
        id.span,
    ))
}

/// A rule id must be kebab-case and equal to the file stem.
fn check_id(file: &SourceFile, id: Option<&Located<String>>, problems: &mut Vec<Diagnostic>) {
    let stem = Path::new(&file.name)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    if let Some(id) = id {
        if !is_kebab(&id.value) {
            problems.push(file.diagnostic(
                id.span.start,
                format!("rule id `{}` must be kebab-case (a-z, 0-9, -)", id.value),
            ));
        }
        if id.value != stem {
            problems.push(file.diagnostic(
                id.span.start,
                format!(
                    "rule id `{}` differs from the file name `{stem}.toml`; they must match",
                    id.value
                ),
            ));
        }
    }
}

/// A required severity under `key`.
fn read_severity(
    file: &SourceFile,
    table: &mut TableReader,
    key: &'static str,
    problems: &mut Vec<Diagnostic>,
) -> Option<Severity> {
    table.string(key, problems).and_then(|s| {
        s.value
            .parse::<Severity>()
            .map_err(|e| problems.push(file.diagnostic(s.span.start, e)))
            .ok()
    })
}

/// The required `status`: stable or preview.
fn read_status(
    file: &SourceFile,
    top: &mut TableReader,
    problems: &mut Vec<Diagnostic>,
) -> Option<Status> {
    top.string("status", problems)
        .and_then(|s| match s.value.as_str() {
            "stable" => Some(Status::Stable),
            "preview" => Some(Status::Preview),
            other => {
                problems.push(file.diagnostic(
                    s.span.start,
                    format!("unknown status `{other}`; expected stable or preview"),
                ));
                None
            }
        })
}

/// The `[controls]` table: each framework's list, none of them empty when given.
fn read_controls(
    file: &SourceFile,
    mut t: TableReader,
    problems: &mut Vec<Diagnostic>,
) -> Controls {
    let mut list = |key: &'static str, t: &mut TableReader| -> Vec<String> {
        let items = t.string_list(key, problems).unwrap_or_default();
        if items.is_empty() && t.has(key) {
            problems.push(file.diagnostic(
                t.at(),
                format!("`controls.{key}` must name at least one control"),
            ));
        }
        items.into_iter().map(|l| l.value).collect()
    };
    let controls = Controls {
        dora: list("dora", &mut t),
        iso27001: list("iso27001", &mut t),
        soc2: list("soc2", &mut t),
        nist80053: list("nist80053", &mut t),
    };
    t.finish(problems);
    controls
}

/// The `[docs]` table: four non-empty texts, trimmed.
fn read_docs(file: &SourceFile, mut t: TableReader, problems: &mut Vec<Diagnostic>) -> Docs {
    let mut text = |key: &'static str, t: &mut TableReader| -> String {
        match t.string(key, problems) {
            Some(value) if value.value.trim().is_empty() => {
                problems.push(file.diagnostic(value.span.start, format!("`docs.{key}` is empty")));
                String::new()
            }
            Some(value) => value.value.trim().to_string(),
            None => String::new(),
        }
    };
    let docs = Docs {
        what_it_checks: text("what_it_checks", &mut t),
        why_it_is_a_risk: text("why_it_is_a_risk", &mut t),
        how_to_fix: text("how_to_fix", &mut t),
        example: text("example", &mut t),
    };
    t.finish(problems);
    docs
}

/// What the rule checks: a resource condition or an analysis, never both.
fn rule_check(
    file: &SourceFile,
    kinds: Option<Vec<Located<String>>>,
    condition: Option<Located<String>>,
    analysis: Option<TableReader>,
    problems: &mut Vec<Diagnostic>,
) -> Option<Check> {
    match (kinds, condition, analysis) {
        (Some(kinds), Some(condition), None) => resource_check(file, kinds, &condition, problems),
        (None, None, Some(analysis)) => {
            analysis_check(file, analysis, problems).map(Check::Analysis)
        }
        (_, _, Some(analysis)) => {
            problems.push(file.diagnostic(
                analysis.at(),
                "a rule has either `kinds` and `condition` or an `[analysis]` table, not both",
            ));
            None
        }
        (kinds, condition, None) => {
            let missing = if kinds.is_none() {
                "kinds"
            } else {
                "condition"
            };
            let _ = condition;
            problems.push(file.diagnostic(
                0,
                format!(
                    "missing `{missing}`: a resource rule needs `kinds` and `condition` (or give an `[analysis]` table)"
                ),
            ));
            None
        }
    }
}

/// Parse a message or remediation template and check the variables it names.
fn parse_template(
    file: &SourceFile,
    text: Located<String>,
    allowed: &[&str],
    problems: &mut Vec<Diagnostic>,
) -> Option<Template> {
    match Template::parse(&text, file) {
        Ok(template) => {
            let offset = super::cel_expr::content_offset(&file.text, &text.span);
            check_variables(
                file,
                template.expressions(),
                allowed,
                offset,
                &text.value,
                problems,
            );
            Some(template)
        }
        Err(mut more) => {
            problems.append(&mut more);
            None
        }
    }
}

fn resource_check(
    file: &SourceFile,
    kinds: Vec<Located<String>>,
    condition: &Located<String>,
    problems: &mut Vec<Diagnostic>,
) -> Option<Check> {
    let before = problems.len();
    if kinds.is_empty() {
        problems.push(file.diagnostic(
            0,
            "`kinds` is empty; name the kinds the rule applies to (or \"*\" for every kind)",
        ));
    }
    let mut patterns = Vec::new();
    for kind in kinds {
        if valid_kind_pattern(&kind.value) {
            patterns.push(KindPattern(kind.value));
        } else {
            problems.push(file.diagnostic(
                kind.span.start,
                format!(
                    "unknown kind pattern `{}`: expected `provider:service:type` (as in the \
                     snapshot), `function`, `quorum`, a `prefix*` pattern, or `*`",
                    kind.value
                ),
            ));
        }
    }
    let offset = super::cel_expr::content_offset(&file.text, &condition.span);
    let expression = match Expression::compile(&condition.value, file, offset) {
        Ok(expression) => {
            check_variables(
                file,
                std::iter::once(&expression),
                CONDITION_VARIABLES,
                offset,
                &condition.value,
                problems,
            );
            Some(expression)
        }
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    if problems.len() > before {
        return None;
    }
    Some(Check::Resource {
        kinds: patterns,
        condition: expression?,
    })
}

/// Kinds are `a:b:c` words (any number of `:`-separated parts), optionally ending in `*`.
fn valid_kind_pattern(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    !body.is_empty()
        && !body.contains('*')
        && body.split(':').enumerate().all(|(i, part)| {
            (!part.is_empty() || (i > 0 && pattern.ends_with(":*")))
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        })
}

/// Every variable the expressions name must be allowed (comprehension variables bound by
/// macros are allowed), and every `resource.x` / `graph.x` must be a known field.
fn check_variables<'e>(
    file: &SourceFile,
    expressions: impl Iterator<Item = &'e Expression>,
    allowed: &[&str],
    offset: usize,
    text: &str,
    problems: &mut Vec<Diagnostic>,
) {
    for expression in expressions {
        let bound = comprehension_variables(&expression.source);
        let at = text.find(&expression.source).map_or(offset, |i| offset + i);
        for variable in expression.variables() {
            if !allowed.contains(&variable.as_str()) && !bound.contains(&variable) {
                problems.push(file.diagnostic(
                    at,
                    format!(
                        "unknown variable `{variable}`; available here: {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        if allowed.contains(&"graph") || allowed.contains(&"resource") {
            for r in field_refs(&expression.source) {
                let fields = if r.root == "resource" {
                    RESOURCE_FIELDS
                } else {
                    GRAPH_FIELDS
                };
                if allowed.contains(&r.root) && !fields.contains(&r.field.as_str()) {
                    problems.push(file.diagnostic(
                        at + r.offset,
                        format!(
                            "unknown field `{}.{}`; {} has: {}",
                            r.root,
                            r.field,
                            r.root,
                            fields.join(", ")
                        ),
                    ));
                }
            }
        }
    }
}

/// Names bound by comprehension macros: `x` in `list.exists(x, ...)`.
fn comprehension_variables(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for m in ["all(", "exists(", "exists_one(", "map(", "filter("] {
        for (i, _) in source.match_indices(m) {
            let rest = &source[i + m.len()..];
            if let Some(comma) = rest.find(',') {
                let name = rest[..comma].trim();
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

/// The `[analysis]` table of an analysis rule, by its `type`.
fn analysis_check(
    file: &SourceFile,
    mut table: TableReader,
    problems: &mut Vec<Diagnostic>,
) -> Option<AnalysisCheck> {
    let kind = table.string("type", problems)?;
    let check = match kind.value.as_str() {
        "cut-set" => read_domain_kind(file, &mut table, "domain", problems)
            .map(|domain| AnalysisCheck::CutSet { domain }),
        "resource-spof" => read_severity(file, &mut table, "managed_severity", problems)
            .map(|managed_severity| AnalysisCheck::ResourceSpof { managed_severity }),
        "concentration" => concentration_check(file, &mut table, problems),
        "n-minus-one" => Some(n_minus_one_check(file, &mut table, problems)),
        "unknown-placement" => Some(AnalysisCheck::UnknownPlacement),
        "coverage-gap" => Some(AnalysisCheck::CoverageGap),
        "shared-fate" => Some(AnalysisCheck::SharedFate),
        "third-party-concentration" => third_party_check(file, &mut table, problems),
        other => {
            problems.push(file.diagnostic(
                kind.span.start,
                format!(
                    "unknown analysis type `{other}`; expected cut-set, resource-spof, \
                     concentration, n-minus-one, unknown-placement, coverage-gap, shared-fate \
                     or third-party-concentration"
                ),
            ));
            None
        }
    };
    table.finish(problems);
    check
}

/// A required failure-domain kind under `key`: zone, region or provider.
fn read_domain_kind(
    file: &SourceFile,
    t: &mut TableReader,
    key: &'static str,
    problems: &mut Vec<Diagnostic>,
) -> Option<DomainKind> {
    let value = t.string(key, problems)?;
    DomainKind::parse(&value.value).or_else(|| {
        problems.push(file.diagnostic(
            value.span.start,
            format!(
                "unknown {key} `{}`; expected zone, region or provider",
                value.value
            ),
        ));
        None
    })
}

/// A concentration analysis: the domain kind, the population and at least one limit.
fn concentration_check(
    file: &SourceFile,
    table: &mut TableReader,
    problems: &mut Vec<Diagnostic>,
) -> Option<AnalysisCheck> {
    let over = read_domain_kind(file, table, "over", problems);
    let population = table
        .string("population", problems)
        .and_then(|p| match p.value.as_str() {
            "critical" => Some(Population::Critical),
            "all" => Some(Population::All),
            other => {
                problems.push(file.diagnostic(
                    p.span.start,
                    format!("unknown population `{other}`; expected critical or all"),
                ));
                None
            }
        });
    let (max_share, max_hhi) = share_limits(file, table, problems);
    let min_domains = table.opt_number("min_domains", problems);
    if let Some(min) = &min_domains
        && (min.value < 1.0 || min.value.fract() != 0.0)
    {
        problems.push(file.diagnostic(min.span.start, "`min_domains` must be a whole number ≥ 1"));
    }
    if max_share.is_none() && max_hhi.is_none() && min_domains.is_none() {
        problems.push(file.diagnostic(
            table.at(),
            "a concentration rule needs at least one of max_share, max_hhi, min_domains",
        ));
    }
    match (over, population) {
        (Some(over), Some(population)) => Some(AnalysisCheck::Concentration {
            over,
            population,
            max_share: max_share.map(|s| s.value),
            max_hhi: max_hhi.map(|h| h.value),
            min_domains: min_domains.map(|m| m.value as usize),
        }),
        _ => None,
    }
}

/// The optional `max_share` (0–1) and `max_hhi` (0–10000) limits of a concentration rule.
fn share_limits(
    file: &SourceFile,
    table: &mut TableReader,
    problems: &mut Vec<Diagnostic>,
) -> (Option<Located<f64>>, Option<Located<f64>>) {
    let max_share = table.opt_number("max_share", problems);
    let max_hhi = table.opt_number("max_hhi", problems);
    if let Some(share) = &max_share
        && !(0.0..=1.0).contains(&share.value)
    {
        problems.push(file.diagnostic(share.span.start, "`max_share` must be between 0 and 1"));
    }
    if let Some(hhi) = &max_hhi
        && !(0.0..=10_000.0).contains(&hhi.value)
    {
        problems.push(file.diagnostic(hhi.span.start, "`max_hhi` must be between 0 and 10000"));
    }
    (max_share, max_hhi)
}

/// A third-party concentration analysis: by provider or country, and at least one limit.
fn third_party_check(
    file: &SourceFile,
    table: &mut TableReader,
    problems: &mut Vec<Diagnostic>,
) -> Option<AnalysisCheck> {
    let by = table
        .string("by", problems)
        .and_then(|b| match b.value.as_str() {
            "provider" => Some(ThirdPartyScope::Provider),
            "country" => Some(ThirdPartyScope::Country),
            other => {
                problems.push(file.diagnostic(
                    b.span.start,
                    format!("unknown `by` `{other}`; expected provider or country"),
                ));
                None
            }
        });
    let (max_share, max_hhi) = share_limits(file, table, problems);
    if max_share.is_none() && max_hhi.is_none() {
        problems.push(file.diagnostic(
            table.at(),
            "a third-party concentration rule needs max_share or max_hhi",
        ));
    }
    Some(AnalysisCheck::ThirdPartyConcentration {
        by: by?,
        max_share: max_share.map(|s| s.value),
        max_hhi: max_hhi.map(|h| h.value),
    })
}

/// An N-1 capacity analysis: the capacity attribute and the headroom, both defaulted.
fn n_minus_one_check(
    file: &SourceFile,
    table: &mut TableReader,
    problems: &mut Vec<Diagnostic>,
) -> AnalysisCheck {
    let attribute = table
        .opt_string("capacity_attribute", problems)
        .map_or_else(|| "desired_capacity".to_string(), |a| a.value);
    let headroom = table.opt_number("headroom", problems).map_or(1.0, |h| {
        if h.value <= 0.0 {
            problems.push(file.diagnostic(h.span.start, "`headroom` must be above 0"));
        }
        h.value
    });
    AnalysisCheck::NMinusOne {
        capacity_attribute: attribute,
        headroom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_patterns() {
        for ok in [
            "*",
            "aws:rds:db-instance",
            "aws:rds:*",
            "aws:*",
            "function",
            "quorum",
            "aws:autoscaling:autoScalingGroup",
        ] {
            assert!(valid_kind_pattern(ok), "{ok}");
        }
        for bad in ["", "aws rds", "aws:*:x", "**", "aws::x"] {
            assert!(!valid_kind_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn comprehension_variables_are_found() {
        let mut names = comprehension_variables(
            "graph.requirements.exists(g, g.min > 1) && l.all(z , z != '')",
        );
        names.sort();
        assert_eq!(names, ["g", "z"]);
    }
}
