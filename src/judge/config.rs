//! `linchpin.toml`: which rules run and at what severity, which resources are critical
//! services, and suppressions with their reasons and expiry dates. Read in two steps (parse
//! with spans, then validate against the rule pack), every problem reported with its line.
//!
//! ```toml
//! [rules]
//! disable = ["aws-elb-cross-zone-disabled", "provider-"]   # ids, id prefixes, or "*"
//! enable = ["provider-cut-set"]     # the most specific matching selector wins
//! [rules.severity]
//! resource-spof = "critical"
//!
//! [critical]
//! include = ["tag:service=withdrawals", "id:arn:aws:rds:*"]
//! exclude = ["kind:aws:route53:record"]
//! entry_points = true
//!
//! [[suppress]]
//! rule = "aws-vpc-endpoint-single-zone"     # or fingerprint = "3f2a…"
//! resource = "id:arn:aws:ec2:*:vpc-endpoint/vpce-secretsmanager"
//! reason = "accepted until the endpoint moves to three zones (CHG-1234)"
//! expires = 2027-03-31
//! ```

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::diag::{Diagnostic, Diagnostics, Located, SourceFile, TableReader};
use crate::graph::{CriticalPolicy, Estate};
use crate::model::selector::Selector;
use crate::model::{Finding, Severity, Suppressed, SuppressionStatus, SuppressionUse};
use crate::rules::RulePack;

/// The top-level keys of a manifest, which `linchpin.toml` may hold as well (the manifest
/// reader, `sources::manifest`, owns them).
pub const MANIFEST_KEYS: &[&str] = &[
    "entity",
    "function",
    "third_party",
    "edge",
    "egress_free",
    "zones",
];

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "linchpin.toml";

/// One suppression entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    pub rule: Option<String>,
    pub fingerprint: Option<String>,
    pub resource: Option<Selector>,
    pub reason: String,
    pub expires: Option<NaiveDate>,
    /// `linchpin.toml:12`.
    pub at: String,
}

/// A validated config.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it was read from, if anywhere.
    pub path: Option<PathBuf>,
    pub enable: Vec<Located<String>>,
    pub disable: Vec<Located<String>>,
    pub severity: Vec<(String, Severity)>,
    pub critical: CriticalPolicy,
    pub suppressions: Vec<Suppression>,
    /// The config file's text, for digests.
    pub text: String,
    /// Whether the file holds manifest sections (functions, third parties, ...).
    pub has_manifest: bool,
}

impl Config {
    /// Read `path`, or `linchpin.toml` in the working directory when it exists, or nothing.
    pub fn discover(path: Option<&Path>, pack: &RulePack) -> Result<Config, ConfigError> {
        match path {
            Some(path) => Config::load(path, pack),
            None if Path::new(DEFAULT_FILE).is_file() => {
                tracing::info!("using {DEFAULT_FILE} from the working directory");
                Config::load(Path::new(DEFAULT_FILE), pack)
            }
            None => Ok(Config::default()),
        }
    }

    pub fn load(path: &Path, pack: &RulePack) -> Result<Config, ConfigError> {
        let bytes = std::fs::read(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            error: e.to_string(),
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Read {
            path: path.to_path_buf(),
            error: "not UTF-8 text".into(),
        })?;
        let source = SourceFile::new(path.display().to_string(), text);
        let mut config = Config::parse(&source, pack).map_err(ConfigError::Invalid)?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parse and validate a config's text against the rules it selects from.
    pub fn parse(source: &SourceFile, pack: &RulePack) -> Result<Config, Diagnostics> {
        let mut problems = Vec::new();
        let mut config = Config {
            text: source.text.clone(),
            ..Config::default()
        };
        if let Some(table) = source.parse(&mut problems) {
            let mut top = TableReader::new(source, &table, 0);
            if let Some(rules) = top.opt_table("rules", &mut problems) {
                config.read_rules(source, pack, rules, &mut problems);
            }
            if let Some(critical) = top.opt_table("critical", &mut problems) {
                config.read_critical(source, critical, &mut problems);
            }
            for entry in top.opt_tables("suppress", &mut problems) {
                if let Some(suppression) = read_suppression(source, pack, entry, &mut problems) {
                    config.suppressions.push(suppression);
                }
            }
            // A manifest's sections may live here too; the manifest reader checks them.
            for key in MANIFEST_KEYS {
                top.ignore(key);
            }
            config.has_manifest = MANIFEST_KEYS.iter().any(|key| top.has(key));
            top.finish(&mut problems);
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(Diagnostics {
                what: "config".into(),
                list: problems,
            })
        }
    }

    /// The `[rules]` table: enable and disable selectors, and `[rules.severity]` overrides.
    fn read_rules(
        &mut self,
        source: &SourceFile,
        pack: &RulePack,
        mut rules: TableReader,
        problems: &mut Vec<Diagnostic>,
    ) {
        self.enable = rules
            .opt_string_list("enable", problems)
            .unwrap_or_default();
        self.disable = rules
            .opt_string_list("disable", problems)
            .unwrap_or_default();
        for selector in self.enable.iter().chain(&self.disable) {
            if selector.value != "*"
                && !pack.rules.iter().any(|r| r.id.starts_with(&selector.value))
            {
                problems.push(source.diagnostic(
                    selector.span.start,
                    format!(
                        "`{}` selects no rule (not a rule id, an id prefix, or `*`)",
                        selector.value
                    ),
                ));
            }
        }
        if let Some(mut severities) = rules.opt_table("severity", problems) {
            for (rule, severity) in severities.free_strings(problems) {
                if pack.get(&rule.value).is_none() {
                    problems.push(source.diagnostic(
                        rule.span.start,
                        format!("unknown rule `{}` in [rules.severity]", rule.value),
                    ));
                }
                match severity.value.parse::<Severity>() {
                    Ok(level) => self.severity.push((rule.value, level)),
                    Err(e) => problems.push(source.diagnostic(severity.span.start, e)),
                }
            }
            severities.finish(problems);
        }
        rules.finish(problems);
    }

    /// The `[critical]` table: include and exclude selectors, and whether entry points count.
    fn read_critical(
        &mut self,
        source: &SourceFile,
        mut critical: TableReader,
        problems: &mut Vec<Diagnostic>,
    ) {
        let selectors = |key: &'static str, t: &mut TableReader, problems: &mut Vec<Diagnostic>| {
            t.opt_string_list(key, problems)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| {
                    Selector::parse(&s.value)
                        .map_err(|e| problems.push(source.diagnostic(s.span.start, e)))
                        .ok()
                })
                .collect::<Vec<_>>()
        };
        self.critical.include = selectors("include", &mut critical, problems);
        self.critical.exclude = selectors("exclude", &mut critical, problems);
        if let Some(flag) = critical.opt_bool("entry_points", problems) {
            self.critical.entry_points = Some(flag.value);
        }
        critical.finish(problems);
    }

    /// The pack with this config's selection and severity overrides applied.
    pub fn apply(&self, pack: &RulePack) -> RulePack {
        let mut rules = Vec::new();
        for rule in &pack.rules {
            // Every rule is enabled unless disabled; the most specific (longest) matching
            // selector decides, `*` being the least specific; a tie goes to disable.
            let best = |list: &[Located<String>]| {
                list.iter()
                    .filter(|s| s.value == "*" || rule.id.starts_with(&s.value))
                    .map(|s| if s.value == "*" { 0 } else { s.value.len() })
                    .max()
            };
            let enabled = match (best(&self.enable), best(&self.disable)) {
                (Some(e), Some(d)) => e > d,
                (_, None) => true,
                (None, Some(_)) => false,
            };
            if !enabled {
                continue;
            }
            let mut rule = rule.clone();
            if let Some((_, severity)) = self.severity.iter().find(|(id, _)| *id == rule.id) {
                rule.severity = *severity;
            }
            rules.push(rule);
        }
        RulePack { rules }
    }

    /// Mark the findings suppressions cover; report what each suppression did.
    pub fn suppress(
        &self,
        findings: &mut [Finding],
        estate: &Estate,
        today: NaiveDate,
    ) -> Vec<SuppressionUse> {
        let mut uses = Vec::new();
        for suppression in &self.suppressions {
            let expired = suppression.expires.is_some_and(|date| date < today);
            let mut matched = 0;
            for finding in findings.iter_mut() {
                if suppression
                    .rule
                    .as_ref()
                    .is_some_and(|r| *r != finding.rule)
                    || suppression
                        .fingerprint
                        .as_ref()
                        .is_some_and(|f| *f != finding.id)
                {
                    continue;
                }
                if let Some(selector) = &suppression.resource
                    && !finding
                        .resources
                        .iter()
                        .filter_map(|id| estate.lookup(id))
                        .map(|ix| estate.resource(ix))
                        .any(|r| selector.matches(r))
                {
                    continue;
                }
                matched += 1;
                if !expired && finding.suppressed.is_none() {
                    finding.suppressed = Some(Suppressed {
                        reason: suppression.reason.clone(),
                        expires: suppression.expires.map(|d| d.to_string()),
                        by: suppression.at.clone(),
                    });
                }
            }
            if expired {
                tracing::warn!(
                    "suppression at {} expired on {}; its {matched} finding(s) count again",
                    suppression.at,
                    suppression
                        .expires
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                );
            } else if matched == 0 {
                tracing::warn!("suppression at {} matches no finding", suppression.at);
            }
            uses.push(SuppressionUse {
                at: suppression.at.clone(),
                rule: suppression.rule.clone(),
                fingerprint: suppression.fingerprint.clone(),
                reason: suppression.reason.clone(),
                expires: suppression.expires.map(|d| d.to_string()),
                status: if expired {
                    SuppressionStatus::Expired
                } else if matched == 0 {
                    SuppressionStatus::Unused
                } else {
                    SuppressionStatus::Active
                },
                matched,
            });
        }
        uses
    }
}

/// One `[[suppress]]` entry; `None` when it has no reason to keep.
fn read_suppression(
    source: &SourceFile,
    pack: &RulePack,
    mut entry: TableReader,
    problems: &mut Vec<Diagnostic>,
) -> Option<Suppression> {
    let (line, _) = source.position(entry.at());
    let rule = entry.opt_string("rule", problems);
    let fingerprint = entry.opt_string("fingerprint", problems);
    let resource = entry.opt_string("resource", problems).and_then(|s| {
        Selector::parse(&s.value)
            .map_err(|e| problems.push(source.diagnostic(s.span.start, e)))
            .ok()
    });
    let reason = entry.string("reason", problems);
    let expires = entry.opt_date("expires", problems);
    if rule.is_none() && fingerprint.is_none() {
        problems.push(source.diagnostic(
            entry.at(),
            "a suppression needs `rule` (a rule id) or `fingerprint` (a finding id)",
        ));
    }
    if let Some(rule) = &rule
        && pack.get(&rule.value).is_none()
    {
        problems.push(source.diagnostic(
            rule.span.start,
            format!("unknown rule `{}` in suppression", rule.value),
        ));
    }
    if let Some(reason) = &reason
        && reason.value.trim().is_empty()
    {
        problems.push(source.diagnostic(
            reason.span.start,
            "`reason` is empty: say why the finding is accepted",
        ));
    }
    entry.finish(problems);
    let reason = reason?;
    Some(Suppression {
        rule: rule.map(|r| r.value),
        fingerprint: fingerprint.map(|f| f.value),
        resource,
        reason: reason.value,
        expires: expires.map(|e| e.value),
        at: format!("{}:{line}", source.name),
    })
}

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {error}", path.display())]
    Read { path: PathBuf, error: String },
    #[error(transparent)]
    Invalid(Diagnostics),
}

/// Today's date for expiry checks: `SOURCE_DATE_EPOCH` when set (reproducible runs), else
/// the clock, in UTC.
pub fn today() -> NaiveDate {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now)
        .date_naive()
}
