//! The producers of the third-party rules: hidden concentration (redundant providers that
//! share a failure domain, through what they run on) and the concentration of the critical
//! functions' third parties by provider and by country.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::visit::Dfs;

use crate::analysis::Analysis;
use crate::graph::{CriticalReason, DomainIx, Estate, ResourceIx};
use crate::model::{DomainKind, DomainRef};
use crate::rules::cel_expr::string_list;
use crate::rules::produce::{Draft, Sink, context, describe_domain};
use crate::rules::{Rule, ThirdPartyScope};

/// Headquarters of the cloud providers, for the country view when a manifest does not say.
const CLOUD_COUNTRIES: &[(&str, &str)] = &[("aws", "US"), ("gcp", "US"), ("azure", "US")];

/// One finding per redundant group (in the critical scope) whose members belong to two or more
/// providers and yet one domain takes enough of them down to fail it: the innermost such
/// domains are named.
pub fn shared_fate_findings(estate: &Estate, analysis: &Analysis, rule: &Rule, sink: &mut Sink) {
    for group in &estate.groups {
        if group.is_requires
            || group.members.len() < 2
            || !analysis.critical_scope[group.owner.index()]
        {
            continue;
        }
        let providers: BTreeSet<&str> = group
            .members
            .iter()
            .map(|&m| estate.resource(m).provider.as_str())
            .collect();
        if providers.len() < 2 {
            continue;
        }
        let mut counts: BTreeMap<DomainIx, u32> = BTreeMap::new();
        for &member in &group.members {
            for &domain in &analysis.domain_sets[member.index()] {
                *counts.entry(domain).or_default() += 1;
            }
        }
        let fatal: Vec<DomainIx> = counts
            .into_iter()
            .filter(|&(_, count)| count >= group.losses_to_fail())
            .map(|(domain, _)| domain)
            .collect();
        let Some(innermost) = fatal.iter().map(|&d| estate.domain(d).kind).min() else {
            continue;
        };
        let fatal: Vec<DomainIx> = fatal
            .into_iter()
            .filter(|&d| estate.domain(d).kind == innermost)
            .collect();
        emit_shared_fate(estate, rule, group, &providers, &fatal, sink);
    }
}

fn emit_shared_fate(
    estate: &Estate,
    rule: &Rule,
    group: &crate::graph::Group,
    providers: &BTreeSet<&str>,
    fatal: &[DomainIx],
    sink: &mut Sink,
) {
    let owner = estate.resource(group.owner);
    let services = services_needing(estate, group.owner);
    let service_names: Vec<String> = services
        .iter()
        .map(|&s| estate.resource(s).label().to_string())
        .collect();
    let runs_on: Vec<String> = estate
        .snapshot
        .third_parties
        .iter()
        .filter(|t| providers.contains(t.id.as_str()) && !t.runs_on.is_empty())
        .map(|t| format!("{} runs on {}", t.id, t.runs_on.join(", ")))
        .collect();
    let domains: Vec<String> = fatal.iter().map(|&d| describe_domain(estate, d)).collect();
    let mut members: Vec<&str> = group
        .members
        .iter()
        .map(|&m| estate.resource(m).id.as_str())
        .collect();
    members.sort_unstable();
    let key = members.join(",");
    let first = estate.domain(fatal[0]);
    let providers: Vec<String> = providers.iter().map(|p| p.to_string()).collect();
    let context = context(vec![
        ("resource", cel::Value::from(owner.label())),
        (
            "group",
            cel::Value::from(group.label.as_deref().unwrap_or("redundant group")),
        ),
        ("providers", string_list(&providers)),
        ("domain", string_list(&domains)),
        ("runs_on", string_list(&runs_on)),
        ("services", string_list(&service_names)),
    ]);
    sink.emit(
        rule,
        Draft {
            key: &[&owner.id, &key],
            severity: rule.severity,
            resources: std::iter::once(owner.id.clone())
                .chain(members.iter().map(|m| m.to_string()))
                .collect(),
            domains: fatal.iter().map(|&d| estate.domain(d).to_ref()).collect(),
            services: services
                .iter()
                .map(|&s| estate.resource(s).id.clone())
                .collect(),
            provider: first.provider.clone(),
            region: first.region.clone(),
            path: Vec::new(),
        },
        &context,
    );
}

/// The critical services that are or transitively require `ix`, in the estate's order.
fn services_needing(estate: &Estate, ix: ResourceIx) -> Vec<ResourceIx> {
    let mut seen = vec![false; estate.len()];
    let mut stack = vec![ix];
    seen[ix.index()] = true;
    while let Some(at) = stack.pop() {
        for (owner, _) in estate.dependents(at) {
            if !std::mem::replace(&mut seen[owner.index()], true) {
                stack.push(owner);
            }
        }
    }
    estate
        .critical
        .iter()
        .map(|s| s.resource)
        .filter(|s| seen[s.index()])
        .collect()
}

/// The distribution of the critical functions' third parties: per function the providers
/// (or their countries) of everything it transitively requires, other than the entity's own;
/// each (function, provider) pair counts once. One finding for the estate when the largest
/// share or the HHI breaks a limit.
pub fn third_party_findings(
    estate: &Estate,
    rule: &Rule,
    by: ThirdPartyScope,
    (max_share, max_hhi): (Option<f64>, Option<f64>),
    sink: &mut Sink,
) {
    let functions: Vec<ResourceIx> = estate
        .critical
        .iter()
        .filter(|s| s.reason == CriticalReason::Function)
        .map(|s| s.resource)
        .collect();
    if functions.is_empty() {
        return;
    }
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for &function in &functions {
        for place in places_of(estate, function, by) {
            *counts.entry(place).or_default() += 1;
        }
    }
    let total: u32 = counts.values().sum();
    if total == 0 {
        return;
    }
    let mut shares: Vec<(String, f64)> = counts
        .into_iter()
        .map(|(place, n)| (place, f64::from(n) / f64::from(total)))
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let hhi: f64 = shares.iter().map(|(_, s)| s * s * 10_000.0).sum();
    let (largest, share) = shares[0].clone();
    let mut breaches = Vec::new();
    if let Some(limit) = max_share
        && share > limit
    {
        breaches.push(format!("the largest share is over {:.0}%", limit * 100.0));
    }
    if let Some(limit) = max_hhi
        && hhi > limit
    {
        breaches.push(format!("the HHI is over {limit:.0}"));
    }
    if breaches.is_empty() {
        return;
    }
    let breakdown: Vec<String> = shares
        .iter()
        .map(|(place, s)| format!("{place} {:.0}%", s * 100.0))
        .collect();
    let effective = if hhi > 0.0 { 10_000.0 / hhi } else { 0.0 };
    let context = context(vec![
        ("by", cel::Value::from(by.as_str())),
        ("largest", cel::Value::from(largest.as_str())),
        ("share_percent", cel::Value::Float((share * 100.0).round())),
        ("hhi", cel::Value::Float(hhi.round())),
        (
            "effective_count",
            cel::Value::Float((effective * 100.0).round() / 100.0),
        ),
        ("count", cel::Value::Int(shares.len() as i64)),
        ("functions", cel::Value::Int(functions.len() as i64)),
        ("breakdown", string_list(&breakdown)),
        ("breaches", string_list(&breaches)),
    ]);
    let domains = match by {
        ThirdPartyScope::Provider => estate
            .find_domain(DomainKind::Provider, &largest)
            .map(|d| estate.domain(d).to_ref())
            .into_iter()
            .collect(),
        ThirdPartyScope::Country => Vec::<DomainRef>::new(),
    };
    sink.emit(
        rule,
        Draft {
            key: &[by.as_str()],
            severity: rule.severity,
            resources: Vec::new(),
            domains,
            services: functions
                .iter()
                .map(|&f| estate.resource(f).id.clone())
                .collect(),
            provider: match by {
                ThirdPartyScope::Provider => largest,
                ThirdPartyScope::Country => String::new(),
            },
            region: None,
            path: Vec::new(),
        },
        &context,
    );
}

/// The providers (or their headquarters' countries) a function depends on, its own excluded.
fn places_of(estate: &Estate, function: ResourceIx, by: ThirdPartyScope) -> BTreeSet<String> {
    let own = &estate.resource(function).provider;
    let mut places = BTreeSet::new();
    let mut dfs = Dfs::new(&estate.graph, function.node());
    while let Some(node) = dfs.next(&estate.graph) {
        let ix = ResourceIx::of_node(node);
        if estate.is_logical(ix) {
            continue;
        }
        let provider = &estate.resource(ix).provider;
        if provider == own {
            continue;
        }
        places.insert(match by {
            ThirdPartyScope::Provider => provider.clone(),
            ThirdPartyScope::Country => country_of(estate, provider),
        });
    }
    places
}

fn country_of(estate: &Estate, provider: &str) -> String {
    estate
        .snapshot
        .third_parties
        .iter()
        .find(|t| t.id == provider)
        .and_then(|t| t.country.clone())
        .or_else(|| {
            CLOUD_COUNTRIES
                .iter()
                .find(|(p, _)| *p == provider)
                .map(|(_, c)| c.to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}
