//! `linchpin simulate`: fail domains or resources and report what goes down and why.

use anyhow::bail;
use clap::Args;
use linchpin::analysis::impact::OutageDuration;
use linchpin::analysis::{Failure, propagate};
use linchpin::graph::Estate;
use linchpin::model::DomainKind;
use linchpin::report::SimulationReport;

use super::exit::Exit;
use super::{EstateArgs, OutputArgs, RuleArgs};

/// What-if: fail zones, regions, providers or resources and see every resource and critical
/// service that goes down, with the chain of requirements that explains each.
#[derive(Debug, Args)]
#[command(after_help = super::exit::SIMULATE.render())]
pub struct SimulateArgs {
    /// What fails, as KIND=ID with KIND one of zone, region, provider, resource (a resource by
    /// id or by unique name). Repeatable: `--fail zone=apne1-az4 --fail provider=edgeguard`.
    #[arg(long = "fail", value_name = "KIND=ID", required = true, value_parser = parse_target)]
    fail: Vec<FailTarget>,
    /// How long the outage lasts (`40m`, `1h30m`, `2.5h`, `90s`; units d, h, m, s): every
    /// stopped business function with an impact per hour (see --manifest) gets the impact
    /// for that long, and the report says whether it exceeds the function's RTO. Without
    /// it, the impact is shown per hour.
    #[arg(long, value_name = "DURATION", value_parser = OutageDuration::parse)]
    duration: Option<OutageDuration>,
    #[command(flatten)]
    estate: EstateArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    rules: RuleArgs,
}

/// One `--fail` argument, parsed: a failure domain of a kind, or a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FailTarget {
    Domain(DomainKind, String),
    /// A resource by id or unique name.
    Resource(String),
}

fn parse_target(text: &str) -> Result<FailTarget, String> {
    let (kind, id) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not KIND=ID (e.g. zone=apne1-az4)"))?;
    if id.is_empty() && matches!(kind, "zone" | "region" | "provider" | "resource") {
        return Err(format!("`{text}` names no {kind}"));
    }
    match (kind, DomainKind::parse(kind)) {
        ("resource", _) => Ok(FailTarget::Resource(id.to_string())),
        (_, Some(kind)) => Ok(FailTarget::Domain(kind, id.to_string())),
        _ => Err(format!(
            "unknown kind `{kind}`; expected zone, region, provider or resource"
        )),
    }
}

pub fn run(args: &SimulateArgs) -> anyhow::Result<Exit> {
    super::check_distinct(&args.estate, args.output.output.as_deref())?;
    // The config decides which resources are critical services.
    let (_, config) = args.rules.load()?;
    let estate = args.estate.load(&config)?;
    let failure = resolve(&estate, &args.fail)?;
    let outcome = propagate(&estate, &failure);
    let report = SimulationReport::build(&estate, &failure, &outcome, args.duration);
    args.output.write(|format, out| report.write(format, out))?;
    let complete = estate.snapshot.coverage_complete();
    super::leave((report, outcome, estate));
    if complete {
        Ok(Exit::Clean)
    } else {
        eprintln!("linchpin: the inventory is incomplete (see the coverage records); exit code 3");
        Ok(Exit::Partial)
    }
}

/// Turn `--fail` arguments into domain and resource indices, rejecting unknown names.
fn resolve(estate: &Estate, targets: &[FailTarget]) -> anyhow::Result<Failure> {
    let mut failure = Failure::default();
    for target in targets {
        let (domain_kind, id) = match target {
            FailTarget::Resource(id) => {
                let ix = estate
                    .find_resource(id)
                    .map_err(|err| anyhow::anyhow!("--fail resource={id}: {err}"))?;
                failure.resources.push(ix);
                continue;
            }
            FailTarget::Domain(kind, id) => (*kind, id),
        };
        let kind = domain_kind;
        match estate.find_domain(domain_kind, id) {
            Some(ix) => failure.domains.push(ix),
            None => {
                let mut known: Vec<&str> = estate
                    .domains
                    .iter()
                    .filter(|d| d.kind == domain_kind)
                    .map(|d| d.id.as_str())
                    .collect();
                known.sort_unstable();
                bail!(
                    "--fail {kind}={id}: the estate has no such {kind}; known: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                );
            }
        }
    }
    Ok(failure)
}
