//! `linchpin rules`: list the rule pack, explain one rule, check a directory of rule files.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use linchpin::rules::{AnalysisCheck, Check, Rule, RulePack};
use serde::Serialize;

use super::RuleArgs;
use super::exit::Exit;

/// The rule pack: list it, explain one rule, or check a directory of rule files.
#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    List(ListArgs),
    Explain(ExplainArgs),
    Check(CheckArgs),
}

/// List every rule: id, severity, status, what it applies to, title, and whether the config
/// enables it.
#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

/// Print a rule's documentation: what it checks, why it is a risk, how to fix it, its
/// condition or analysis, control mappings, references and an example.
#[derive(Debug, Args)]
struct ExplainArgs {
    /// The rule id, e.g. aws-nat-gateway-cross-zone.
    id: String,
    /// Look in DIR's rule files too (they override built-ins by id). Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
}

/// Validate the rule files of directories (searched recursively for *.toml) and report every
/// problem with file and line. Exit 0 when all are valid, 2 otherwise.
#[derive(Debug, Args)]
#[command(after_help = super::exit::RULES_CHECK.render())]
struct CheckArgs {
    /// Directories of rule files (or single rule files).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
}

pub fn run(args: &RulesArgs) -> anyhow::Result<Exit> {
    match &args.command {
        RulesCommand::List(list) => run_list(list),
        RulesCommand::Explain(explain) => run_explain(explain),
        RulesCommand::Check(check) => {
            let pack = RulePack::load_dirs(&check.dirs)?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{} rule file{} valid",
                pack.rules.len(),
                if pack.rules.len() == 1 { "" } else { "s" }
            )?;
            Ok(Exit::Clean)
        }
    }
}

/// What a rule applies to, in a few words.
fn applies_to(rule: &Rule) -> String {
    match &rule.check {
        Check::Resource { kinds, .. } => kinds
            .iter()
            .map(|k| k.0.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        Check::Analysis(check) => format!("analysis: {}", describe_analysis(check)),
    }
}

fn describe_analysis(check: &AnalysisCheck) -> String {
    match check {
        AnalysisCheck::CutSet { domain } => format!("cut-set ({domain})"),
        AnalysisCheck::ResourceSpof { managed_severity } => {
            format!("resource-spof (managed: {managed_severity})")
        }
        AnalysisCheck::Concentration {
            over,
            population,
            max_share,
            max_hhi,
            min_domains,
        } => {
            let mut limits = share_limits(*max_share, *max_hhi);
            if let Some(m) = min_domains {
                limits.push(format!("min {m} {over}s"));
            }
            format!(
                "concentration over {over}s, {}: {}",
                population.as_str(),
                limits.join(", ")
            )
        }
        AnalysisCheck::NMinusOne {
            capacity_attribute,
            headroom,
        } => format!("n-minus-one ({capacity_attribute} × {headroom})"),
        AnalysisCheck::UnknownPlacement => "unknown-placement".into(),
        AnalysisCheck::CoverageGap => "coverage-gap".into(),
        AnalysisCheck::SharedFate => "shared-fate".into(),
        AnalysisCheck::ThirdPartyConcentration {
            by,
            max_share,
            max_hhi,
        } => {
            let limits = share_limits(*max_share, *max_hhi);
            format!(
                "third-party concentration by {}: {}",
                by.as_str(),
                limits.join(", ")
            )
        }
    }
}

/// `max share 80%`, `max HHI 1800`: the share limits of a concentration rule.
fn share_limits(max_share: Option<f64>, max_hhi: Option<f64>) -> Vec<String> {
    let mut limits = Vec::new();
    if let Some(s) = max_share {
        limits.push(format!("max share {:.0}%", s * 100.0));
    }
    if let Some(h) = max_hhi {
        limits.push(format!("max HHI {h:.0}"));
    }
    limits
}

/// A rule as `rules list --format json` shows it.
#[derive(Serialize)]
struct ListedRule<'a> {
    id: &'a str,
    title: &'a str,
    severity: String,
    status: &'a str,
    since: &'a str,
    check: &'a str,
    applies_to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<&'a str>,
    controls: &'a linchpin::model::Controls,
    references: &'a [String],
    origin: &'a str,
    enabled: bool,
}

fn run_list(args: &ListArgs) -> anyhow::Result<Exit> {
    let (pack, config) = args.rules.load()?;
    let enabled = config.apply(&pack);
    let is_enabled = |id: &str| enabled.get(id).is_some();
    let severity_of = |rule: &Rule| {
        enabled
            .get(&rule.id)
            .map_or(rule.severity, |r| r.severity)
            .to_string()
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            let listed: Vec<ListedRule> = pack
                .rules
                .iter()
                .map(|rule| ListedRule {
                    id: &rule.id,
                    title: &rule.title,
                    severity: severity_of(rule),
                    status: rule.status.as_str(),
                    since: &rule.since,
                    check: rule.check_type().as_str(),
                    applies_to: applies_to(rule),
                    condition: match &rule.check {
                        Check::Resource { condition, .. } => Some(condition.source.trim()),
                        Check::Analysis(_) => None,
                    },
                    controls: &rule.controls,
                    references: &rule.references,
                    origin: &rule.origin,
                    enabled: is_enabled(&rule.id),
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &listed)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            table.set_header(["id", "severity", "status", "applies to", "title", "enabled"]);
            for rule in &pack.rules {
                table.add_row([
                    rule.id.clone(),
                    severity_of(rule),
                    rule.status.as_str().to_string(),
                    applies_to(rule),
                    rule.title.clone(),
                    if is_enabled(&rule.id) { "yes" } else { "no" }.to_string(),
                ]);
            }
            writeln!(out, "{table}")?;
            writeln!(
                out,
                "{} rules, {} enabled; `linchpin rules explain ID` shows one in full",
                pack.rules.len(),
                enabled.rules.len()
            )?;
        }
    }
    Ok(Exit::Clean)
}

fn run_explain(args: &ExplainArgs) -> anyhow::Result<Exit> {
    let pack = RulePack::load(&args.rules)?;
    let Some(rule) = pack.get(&args.id) else {
        let mut close: Vec<&str> = pack
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| {
                args.id
                    .split('-')
                    .any(|part| part.len() > 2 && id.contains(part))
            })
            .collect();
        close.truncate(5);
        if close.is_empty() {
            bail!(
                "unknown rule `{}`; `linchpin rules list` shows them all",
                args.id
            );
        }
        bail!(
            "unknown rule `{}`; did you mean {}?",
            args.id,
            close.join(", ")
        );
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} — {}", rule.id, rule.title)?;
    writeln!(
        out,
        "severity {}, {}, since {}; from {}",
        rule.severity,
        rule.status.as_str(),
        rule.since,
        rule.origin
    )?;
    writeln!(out, "applies to: {}", applies_to(rule))?;
    if let Check::Resource { condition, .. } = &rule.check {
        writeln!(out, "condition:\n{}", indent(condition.source.trim()))?;
    }
    writeln!(out, "message: {}", rule.message.source)?;
    for (heading, text) in [
        ("What it checks", &rule.docs.what_it_checks),
        ("Why it is a risk", &rule.docs.why_it_is_a_risk),
        ("How to fix", &rule.docs.how_to_fix),
    ] {
        writeln!(out, "\n## {heading}\n{}", text.trim())?;
    }
    writeln!(
        out,
        "\nRemediation in findings: {}",
        rule.remediation.source
    )?;
    writeln!(out, "\n## Controls")?;
    for (name, ids) in [
        ("DORA (EU 2022/2554)", &rule.controls.dora),
        ("ISO/IEC 27001:2022", &rule.controls.iso27001),
        ("SOC 2 TSC", &rule.controls.soc2),
        ("NIST SP 800-53 r5", &rule.controls.nist80053),
    ] {
        writeln!(out, "  {name:<21} {}", ids.join(", "))?;
    }
    writeln!(out, "\n## References")?;
    for reference in &rule.references {
        writeln!(out, "  {reference}")?;
    }
    writeln!(out, "\n## Example\n{}", indent(rule.docs.example.trim()))?;
    Ok(Exit::Clean)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
