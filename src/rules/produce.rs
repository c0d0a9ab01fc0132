//! The analysis rules' producers: turn cut sets, SPOFs, concentration, N-1 capacity,
//! placement gaps and coverage gaps into findings (the documents in [`crate::model`]), each
//! with its stable fingerprint, severity, explaining path and rendered message. Findings and
//! rule errors collect in a [`Sink`]; `rules::engine` drives the producers.

use std::collections::BTreeMap;

use crate::analysis::impact::{self, FunctionFacts, money_text};
use crate::analysis::{Analysis, Concentration, Explainer, Population, Share, UNPINNED_BUCKET};
use crate::graph::{DomainIx, Estate, ResourceIx};
use crate::model::{
    CoverageStatus, DomainKind, DomainRef, Finding, Money, PathStep, Placement, Resource,
    RuleError, Severity, StepCause, fingerprint,
};
use crate::rules::cel_expr::string_list;
use crate::rules::{
    Rule, Template,
    facts::{FactBase, Needs},
};

/// Where findings and rule errors collect while the rules run.
#[derive(Debug, Default)]
pub struct Sink {
    pub findings: Vec<Finding>,
    pub errors: Vec<RuleError>,
}

/// The parts of a finding that depend on what was found (the rest comes from the rule).
pub struct Draft<'a> {
    /// What identifies the finding within its rule (hashed into the fingerprint).
    pub key: &'a [&'a str],
    pub severity: Severity,
    pub resources: Vec<String>,
    pub domains: Vec<DomainRef>,
    pub services: Vec<String>,
    pub provider: String,
    pub region: Option<String>,
    pub path: Vec<PathStep>,
}

impl<'a> Draft<'a> {
    /// A finding about one resource, keyed by its id, at the rule's severity.
    /// `key` is `&[&resource.id]`, passed in because the draft borrows it.
    pub fn of_resource(
        rule: &Rule,
        key: &'a [&'a str],
        resource: &Resource,
        domains: Vec<DomainRef>,
        services: Vec<String>,
    ) -> Self {
        Draft {
            key,
            severity: rule.severity,
            resources: vec![resource.id.clone()],
            domains,
            services,
            provider: resource.provider.clone(),
            region: resource.region.clone(),
            path: Vec::new(),
        }
    }
}

impl Sink {
    /// Render a template; on failure record a rule error and fall back to `fallback`.
    pub fn render(
        &mut self,
        rule: &Rule,
        template: &Template,
        context: &cel::Context,
        resource: Option<&str>,
        fallback: &str,
    ) -> String {
        match template.render(context) {
            Ok(text) => text,
            Err(message) => {
                self.errors.push(RuleError {
                    rule: rule.id.clone(),
                    resource: resource.map(str::to_string),
                    message,
                });
                fallback.to_string()
            }
        }
    }

    /// Record a finding of `rule`, rendering its message and remediation in `context`.
    pub fn emit(&mut self, rule: &Rule, draft: Draft, context: &cel::Context) {
        let resource = draft.resources.first().map(String::as_str);
        let message = self.render(rule, &rule.message, context, resource, &rule.title);
        let remediation = self.render(rule, &rule.remediation, context, resource, "");
        self.findings.push(Finding {
            id: fingerprint(&rule.id, draft.key),
            rule: rule.id.clone(),
            title: rule.title.clone(),
            severity: draft.severity,
            resources: draft.resources,
            domains: draft.domains,
            services: draft.services,
            impact_per_hour: Vec::new(),
            provider: draft.provider,
            region: draft.region,
            message,
            path: draft.path,
            remediation,
            controls: rule.controls.clone(),
            suppressed: None,
            baseline: None,
        });
    }
}

/// A CEL context holding `variables`.
pub fn context(variables: Vec<(&str, cel::Value)>) -> cel::Context<'static, 'static> {
    let mut context = cel::Context::with_env(crate::rules::cel_expr::env());
    for (name, value) in variables {
        context.add_variable_from_value(name, value);
    }
    context
}

fn text(value: &str) -> cel::Value {
    cel::Value::from(value)
}

/// Describe a domain the way people know it: a zone with its name and region.
pub fn describe_domain(estate: &Estate, domain: DomainIx) -> String {
    let d = estate.domain(domain);
    match d.kind {
        DomainKind::Zone => {
            let region = d.region.as_deref().unwrap_or("?");
            match &d.zone_name {
                Some(name) => format!("zone {} ({name}, {region})", d.id),
                None => format!("zone {} ({region})", d.id),
            }
        }
        DomainKind::Region => format!("region {} ({})", d.id, d.provider),
        DomainKind::Provider => format!("provider {}", d.id),
    }
}

/// One finding per critical service and single domain of kind `kind` whose loss stops it.
pub fn cut_set_findings(
    estate: &Estate,
    analysis: &Analysis,
    rule: &Rule,
    kind: DomainKind,
    sink: &mut Sink,
) {
    let mut explainer = Explainer::new(estate, &analysis.domain_sets);
    for (service, domains) in &analysis.cut_sets {
        let svc = estate.resource(service.resource);
        for &domain in domains {
            let d = estate.domain(domain);
            if d.kind != kind {
                continue;
            }
            let path = explainer.path(service.resource, domain);
            let broken = broken_requirements(estate, &mut explainer, service.resource, domain);
            let path_end = path.last().map_or_else(String::new, path_end);
            let impact = impact_per_hour(estate, &[service.resource]);
            let context = context(vec![
                ("service", text(svc.label())),
                ("domain", text(&describe_domain(estate, domain))),
                ("domain_id", text(&d.id)),
                ("broken", string_list(&broken)),
                ("path_end", text(&path_end)),
                ("impact", text(&impact_note(&impact))),
                (
                    "impact_per_hour",
                    string_list(impact.iter().map(|m| format!("{}/h", money_text(m)))),
                ),
            ]);
            sink.emit(
                rule,
                Draft {
                    key: &[&svc.id, d.kind.as_str(), &d.id],
                    severity: rule.severity,
                    resources: vec![svc.id.clone()],
                    domains: vec![d.to_ref()],
                    services: vec![svc.id.clone()],
                    provider: d.provider.clone(),
                    region: d.region.clone(),
                    path,
                },
                &context,
            );
            if let Some(finding) = sink.findings.last_mut() {
                // A message that does not place the impact itself states it at its end.
                if !rule.message.uses("impact") && !rule.message.uses("impact_per_hour") {
                    finding.message.push_str(&impact_note(&impact));
                }
                finding.impact_per_hour = impact;
            }
        }
    }
}

/// The impact per hour of stopping `services`, per currency (empty when none declares one).
fn impact_per_hour(estate: &Estate, services: &[ResourceIx]) -> Vec<Money> {
    let rates: Vec<Money> = services
        .iter()
        .filter_map(|&s| FunctionFacts::of(estate.resource(s)).impact_per_hour)
        .collect();
    impact::totals(&rates)
}

/// ` (impact 180,000 USD/h)` for a message, or nothing when there is no impact.
fn impact_note(impact: &[Money]) -> String {
    if impact.is_empty() {
        return String::new();
    }
    let per_hour: Vec<String> = impact
        .iter()
        .map(|m| format!("{}/h", money_text(m)))
        .collect();
    format!(" (impact {})", per_hour.join(" and "))
}

/// Where a cut set's path ends, for people: `name (kind)`, and for a resource a zone takes
/// down because it is not pinned to one, `name (kind, deployed without availability zones)`.
fn path_end(step: &PathStep) -> String {
    match &step.cause {
        StepCause::Placement {
            reason: Some(_), ..
        } => format!("{} ({}, {NO_ZONES})", step.name, step.kind),
        _ => format!("{} ({})", step.name, step.kind),
    }
}

/// How findings say that a resource is unpinned.
const NO_ZONES: &str = "deployed without availability zones";

/// The requirements of `ix` that losing `target` breaks, by name: a `requires` member, or an
/// `any_of` group as its label (or its members) with how many of them fall.
fn broken_requirements(
    estate: &Estate,
    explainer: &mut Explainer<DomainIx>,
    ix: ResourceIx,
    target: DomainIx,
) -> Vec<String> {
    let mut broken = Vec::new();
    if estate.is_unpinned_loss(ix, target) {
        broken.push(format!(
            "{} itself ({NO_ZONES})",
            estate.resource(ix).label()
        ));
    } else if estate.is_lethal(ix, target) {
        broken.push(format!("{} itself", estate.resource(ix).label()));
    }
    for group_ix in estate.group_ixs(ix) {
        let group = &estate.groups[group_ix.index()];
        let down: Vec<&str> = explainer
            .broken(group_ix, target)
            .iter()
            .map(|&m| estate.resource(m).label())
            .collect();
        if (down.len() as u32) < group.losses_to_fail() {
            continue;
        }
        // Members that all fall only because they are not pinned to a zone: say so (for a
        // group, it is why it gives no redundancy).
        let unpinned = explainer
            .broken(group_ix, target)
            .iter()
            .all(|&m| estate.is_unpinned_loss(m, target));
        if group.is_requires {
            let note = if unpinned {
                format!(" ({NO_ZONES})")
            } else {
                String::new()
            };
            broken.push(format!("{}{note}", down[0]));
        } else {
            let note = if unpinned {
                format!(", all {NO_ZONES}")
            } else {
                String::new()
            };
            broken.push(format!(
                "{} of {} of [{}]{note}",
                down.len(),
                group.members.len(),
                down.join(", "),
            ));
        }
    }
    broken
}

/// One finding per resource whose failure alone stops critical services.
pub fn spof_findings(
    estate: &Estate,
    analysis: &Analysis,
    facts: &FactBase,
    rule: &Rule,
    managed_severity: Severity,
    sink: &mut Sink,
) {
    let needs = template_needs(rule);
    let mut explainer = Explainer::new(estate, &analysis.resource_sets);
    // Group by SPOF: one finding per resource, listing every service it stops.
    let mut stops: BTreeMap<ResourceIx, Vec<ResourceIx>> = BTreeMap::new();
    for (service, spofs) in &analysis.spofs {
        for &spof in spofs {
            stops.entry(spof).or_default().push(service.resource);
        }
    }
    let absorbed = absorbed_spofs(estate, analysis, &stops);
    let is_absorbed: std::collections::BTreeSet<ResourceIx> =
        absorbed.values().flatten().copied().collect();

    for (spof, services) in &stops {
        if is_absorbed.contains(spof) {
            continue;
        }
        let spof = *spof;
        let resource = estate.resource(spof);
        let with: &[ResourceIx] = absorbed.get(&spof).map_or(&[], Vec::as_slice);
        let severity = spof_severity(estate, rule.severity, managed_severity, spof, with);
        let mut names: Vec<&str> = services
            .iter()
            .map(|&s| estate.resource(s).label())
            .collect();
        names.sort_unstable();
        let mut service_ids: Vec<String> = services
            .iter()
            .map(|&s| estate.resource(s).id.clone())
            .collect();
        service_ids.sort_unstable();
        let first = *services
            .iter()
            .min_by_key(|&&s| &estate.resource(s).id)
            .expect("a SPOF stops at least one service");
        let path = explainer.path(first, spof);
        let mut resources = vec![resource.id.clone()];
        let mut with_names: Vec<&str> = Vec::new();
        for &ix in with {
            resources.push(estate.resource(ix).id.clone());
            with_names.push(estate.resource(ix).label());
        }
        with_names.sort_unstable();
        let context = context(vec![
            ("resource", facts.resource(spof, needs)),
            ("services", string_list(&names)),
            ("together_with", string_list(&with_names)),
        ]);
        sink.emit(
            rule,
            Draft {
                key: &[&resource.id],
                severity,
                resources,
                domains: Vec::new(),
                services: service_ids,
                provider: resource.provider.clone(),
                region: resource.region.clone(),
                path,
            },
            &context,
        );
    }
}

/// The SPOFs reported inside another's finding, by the SPOF that reports them.
fn absorbed_spofs(
    estate: &Estate,
    analysis: &Analysis,
    stops: &BTreeMap<ResourceIx, Vec<ResourceIx>>,
) -> BTreeMap<ResourceIx, Vec<ResourceIx>> {
    // A SPOF that only one other SPOF needs, and that fails with the same domains (a root
    // volume, a dedicated subnet), stops exactly what that one stops; it is reported inside
    // that finding rather than as a finding of its own, so one weak point reads as one.
    let absorber = |x: ResourceIx| -> Option<ResourceIx> {
        let mut owners = estate
            .dependents(x)
            .filter(|&(owner, _)| analysis.critical_scope[owner.index()]);
        let (owner, group) = owners.next()?;
        if owners.any(|(other, _)| other != owner) || stops.get(&owner) != stops.get(&x) {
            // Only when the owner stops exactly the same services: an owner that is itself a
            // critical service is not in its own list, and must not hide that x stops it.
            return None;
        }
        let group = &estate.groups[group.index()];
        // Only parts of the same footing (a root volume of an instance in the same zone), so
        // a managed database or a third party behind one instance keeps its own finding.
        (group.members.len() == 1 && estate.lethal_domains(x) == estate.lethal_domains(owner))
            .then_some(owner)
    };
    let mut absorbed: BTreeMap<ResourceIx, Vec<ResourceIx>> = BTreeMap::new();
    for &x in stops.keys() {
        let mut root = x;
        let mut seen = vec![x];
        while let Some(owner) = absorber(root) {
            if seen.contains(&owner) {
                break;
            }
            seen.push(owner);
            root = owner;
        }
        if root != x {
            absorbed.entry(root).or_default().push(x);
        }
    }
    absorbed
}

/// A SPOF finding's severity: the rule's when the SPOF or one it absorbs is in one place,
/// `managed_severity` otherwise.
fn spof_severity(
    estate: &Estate,
    severity: Severity,
    managed_severity: Severity,
    spof: ResourceIx,
    with: &[ResourceIx],
) -> Severity {
    std::iter::once(spof)
        .chain(with.iter().copied())
        .map(|ix| {
            if in_one_place(&estate.resource(ix).placement) {
                severity
            } else {
                managed_severity
            }
        })
        .max()
        .unwrap_or(managed_severity)
}

/// A resource in one zone (chosen, or not: deployed without availability zones) or nowhere
/// known is worse as a single point of failure than a managed multi-zone or regional one.
fn in_one_place(placement: &Placement) -> bool {
    match placement {
        Placement::Zonal { .. } | Placement::Unpinned | Placement::Unknown => true,
        Placement::MultiZone { zones, .. } => zones.len() < 2,
        _ => false,
    }
}

/// One finding per scope whose distribution over `over` domains breaks a threshold.
#[allow(clippy::too_many_arguments)]
pub fn concentration_findings(
    estate: &Estate,
    analysis: &Analysis,
    rule: &Rule,
    over: DomainKind,
    population: Population,
    thresholds: (Option<f64>, Option<f64>, Option<usize>),
    sink: &mut Sink,
) {
    // The scope each distribution is judged in: zones within a region, regions within a
    // provider, providers across the estate.
    let scope_kind = match over {
        DomainKind::Zone => Some(DomainKind::Region),
        DomainKind::Region => Some(DomainKind::Provider),
        DomainKind::Provider => None,
    };
    for c in &analysis.concentration {
        if c.over != over
            || c.population != population
            || c.scope.as_ref().map(|s| s.kind) != scope_kind
        {
            continue;
        }
        let Some(largest) = Largest::of(c) else {
            continue;
        };
        let breaches = breaches(c, &largest, over, thresholds);
        if breaches.is_empty() {
            continue;
        }
        let (provider, region) = scope_provider_region(estate, c, &largest);
        let scope_name = c.scope.as_ref().map_or_else(
            || "the estate".to_string(),
            |s| format!("{} {}", s.kind, s.id),
        );
        let scope_id = c.scope.as_ref().map_or("", |s| s.id.as_str());
        let context = context(vec![
            ("scope", text(&scope_name)),
            ("over", text(over.as_str())),
            ("largest", text(largest.id)),
            (
                "largest_unpinned",
                cel::Value::Bool(largest.domain.is_none()),
            ),
            (
                "share_percent",
                cel::Value::Float((largest.share * 100.0).round()),
            ),
            (
                "unpinned_percent",
                cel::Value::Float((c.unpinned_share() * 100.0).round()),
            ),
            ("hhi", cel::Value::Float(c.hhi.round())),
            ("effective_count", cel::Value::Float(c.effective_count)),
            ("domains", cel::Value::Int(c.shares.len() as i64)),
            ("breaches", string_list(&breaches)),
        ]);
        let mut domains: Vec<DomainRef> = largest.domain.into_iter().cloned().collect();
        domains.extend(c.scope.clone());
        sink.emit(
            rule,
            Draft {
                key: &[scope_id, over.as_str(), population.as_str()],
                severity: rule.severity,
                resources: Vec::new(),
                domains,
                services: Vec::new(),
                provider,
                region,
                path: Vec::new(),
            },
            &context,
        );
    }
}

/// The largest place of a distribution: its largest domain, or the `unpinned` bucket of a
/// zone distribution when that holds more (resources deployed without availability zones all
/// go down with any one zone, so the bucket is judged like a zone).
struct Largest<'a> {
    /// The domain's id, or `unpinned`.
    id: &'a str,
    share: f64,
    /// `None` for the `unpinned` bucket.
    domain: Option<&'a DomainRef>,
}

impl<'a> Largest<'a> {
    fn of(c: &'a Concentration) -> Option<Largest<'a>> {
        let domain = c.largest().map(|s: &'a Share| Largest {
            id: &s.domain.id,
            share: s.share,
            domain: Some(&s.domain),
        });
        match (&c.unpinned, domain) {
            (Some(bucket), domain) if domain.as_ref().is_none_or(|d| bucket.share > d.share) => {
                Some(Largest {
                    id: UNPINNED_BUCKET,
                    share: bucket.share,
                    domain: None,
                })
            }
            (_, domain) => domain,
        }
    }
}

/// How a distribution breaks the thresholds (max share, max HHI, min domains), in words.
fn breaches(
    c: &Concentration,
    largest: &Largest,
    over: DomainKind,
    thresholds: (Option<f64>, Option<f64>, Option<usize>),
) -> Vec<String> {
    let (max_share, max_hhi, min_domains) = thresholds;
    let mut breaches = Vec::new();
    if let Some(limit) = max_share
        && largest.share > limit
    {
        let place = match largest.domain {
            Some(domain) => format!("in {over} {}", domain.id),
            None => NO_ZONES.to_string(),
        };
        breaches.push(format!(
            "{:.0}% {place} (limit {:.0}%)",
            largest.share * 100.0,
            limit * 100.0
        ));
    }
    if let Some(limit) = max_hhi
        && c.hhi > limit
    {
        breaches.push(format!("HHI {:.0} (limit {limit:.0})", c.hhi));
    }
    if let Some(min) = min_domains
        && c.shares.len() < min
    {
        breaches.push(format!(
            "{} {}{} (minimum {min})",
            c.shares.len(),
            over,
            if c.shares.len() == 1 { "" } else { "s" }
        ));
    }
    breaches
}

/// The provider and region a concentration finding belongs to, from its scope.
fn scope_provider_region(
    estate: &Estate,
    c: &Concentration,
    largest: &Largest,
) -> (String, Option<String>) {
    match &c.scope {
        Some(scope) if scope.kind == DomainKind::Region => (
            estate
                .find_domain(DomainKind::Region, &scope.id)
                .map(|d| estate.domain(d).provider.clone())
                .unwrap_or_default(),
            Some(scope.id.clone()),
        ),
        Some(scope) => (scope.id.clone(), None),
        None => (largest.id.to_string(), None),
    }
}

/// N-1 capacity: tiers (a resource with a capacity attribute and an `any_of` group) that keep
/// fewer than `headroom × capacity` members after the zone that takes most of them is lost.
#[allow(clippy::too_many_arguments)]
pub fn n_minus_one_findings(
    estate: &Estate,
    analysis: &Analysis,
    facts: &FactBase,
    rule: &Rule,
    attribute: &str,
    headroom: f64,
    sink: &mut Sink,
) {
    let needs = template_needs(rule);
    for (ix, resource) in estate.snapshot.resources.iter().enumerate() {
        let Some(capacity) = resource.attributes.get(attribute).and_then(|v| v.as_f64()) else {
            continue;
        };
        if capacity <= 0.0 {
            continue;
        }
        let ix = ResourceIx::new(ix);
        // The widest any_of group is the tier's members.
        let Some(group) = estate
            .groups_of(ix)
            .iter()
            .filter(|g| !g.is_requires)
            .max_by_key(|g| g.members.len())
        else {
            continue;
        };
        let mut losses: BTreeMap<DomainIx, usize> = BTreeMap::new();
        for &m in &group.members {
            for &d in &analysis.domain_sets[m.index()] {
                if estate.domain(d).kind == DomainKind::Zone {
                    *losses.entry(d).or_insert(0) += 1;
                }
            }
        }
        let Some((&zone, &lost)) = losses
            .iter()
            .max_by_key(|&(&z, &n)| (n, std::cmp::Reverse(z)))
        else {
            continue;
        };
        let remaining = group.members.len() - lost;
        let needed = capacity * headroom;
        if remaining as f64 >= needed {
            continue;
        }
        let zone_name = describe_domain(estate, zone);
        let services = facts.services(ix);
        let context = context(vec![
            ("resource", facts.resource(ix, needs)),
            ("capacity", cel::Value::Float(capacity)),
            ("members", cel::Value::Int(group.members.len() as i64)),
            ("remaining", cel::Value::Int(remaining as i64)),
            ("zone", text(&zone_name)),
            ("services", string_list(facts.service_names(&services))),
        ]);
        let domains = vec![estate.domain(zone).to_ref()];
        let services = facts.service_ids(&services);
        let key = [resource.id.as_str()];
        let draft = Draft::of_resource(rule, &key, resource, domains, services);
        sink.emit(rule, draft, &context);
    }
}

/// The facts of `resource` a rule's message and remediation read: only those are made for
/// each finding.
pub fn template_needs(rule: &Rule) -> Needs {
    [&rule.message, &rule.remediation]
        .into_iter()
        .flat_map(|template| template.expressions())
        .fold(Needs::default(), |needs, e| {
            needs.union(Needs::of(&e.source))
        })
}

/// Resources whose failure domains are unknown. External stand-ins are not among them: the
/// snapshot that holds them knows their placement, and reports list them as external.
pub fn placement_findings(estate: &Estate, facts: &FactBase, rule: &Rule, sink: &mut Sink) {
    let needs = template_needs(rule);
    for (ix, resource) in estate.snapshot.resources.iter().enumerate() {
        if resource.placement != Placement::Unknown || resource.external {
            continue;
        }
        let falls_with = if resource.region.is_some() {
            "region"
        } else {
            "provider"
        };
        let context = context(vec![
            ("resource", facts.resource(ResourceIx::new(ix), needs)),
            ("falls_with", text(falls_with)),
        ]);
        let key = [resource.id.as_str()];
        let draft = Draft::of_resource(rule, &key, resource, Vec::new(), Vec::new());
        sink.emit(rule, draft, &context);
    }
}

/// Sources that could not be read in full.
pub fn coverage_findings(estate: &Estate, rule: &Rule, sink: &mut Sink) {
    for record in &estate.snapshot.coverage {
        if record.status != CoverageStatus::Failed {
            continue;
        }
        let account = record.account.as_deref().unwrap_or("");
        let region = record.region.as_deref().unwrap_or("");
        let context = context(vec![
            ("source", text(&record.source)),
            ("account", text(account)),
            ("region", text(region)),
            ("service", text(&record.service)),
            ("operation", text(&record.operation)),
            (
                "error",
                text(record.error.as_deref().unwrap_or("no reason given")),
            ),
        ]);
        sink.emit(
            rule,
            Draft {
                key: &[
                    &record.source,
                    account,
                    region,
                    &record.service,
                    &record.operation,
                ],
                severity: rule.severity,
                resources: Vec::new(),
                domains: Vec::new(),
                services: Vec::new(),
                provider: record.provider().to_string(),
                region: record.region.clone(),
                path: Vec::new(),
            },
            &context,
        );
    }
}
