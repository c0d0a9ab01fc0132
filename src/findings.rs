//! Findings: the analyses' results judged as risks, each with a stable fingerprint, a
//! severity, the path that explains it and how to fix it. Findings are data, never errors.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analysis::{Analysis, Explainer, Lost, PathStep, Population};
use crate::graph::{DomainIx, DomainKind, DomainRef, Estate, ResourceIx};
use crate::snapshot::{CoverageStatus, Placement};

/// How bad a finding is, least to most.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                format!("unknown severity `{text}`; expected critical, high, medium, low or info")
            })
    }
}

/// A built-in check: a stable kebab-case code with a one-line description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub description: &'static str,
}

/// Every rule the analyses raise, by stable id.
pub const RULES: &[Rule] = &[
    Rule {
        id: "zone-cut-set",
        severity: Severity::High,
        description: "losing one availability zone stops a critical service",
    },
    Rule {
        id: "region-cut-set",
        severity: Severity::Medium,
        description: "losing one region stops a critical service",
    },
    Rule {
        id: "provider-cut-set",
        severity: Severity::Medium,
        description: "losing one provider or third party stops a critical service",
    },
    Rule {
        id: "resource-spof",
        severity: Severity::High,
        description: "the failure of one resource stops a critical service (high when the \
                      resource lives in one zone or is unplaced, medium otherwise)",
    },
    Rule {
        id: "zone-concentration",
        severity: Severity::Medium,
        description: "over half of the zone-placed critical dependencies of a region sit in one zone",
    },
    Rule {
        id: "unknown-placement",
        severity: Severity::Low,
        description: "a resource's failure domains are unknown (coverage gap)",
    },
    Rule {
        id: "coverage-gap",
        severity: Severity::Medium,
        description: "a source could not be read in full; resources may be missing",
    },
];

/// Share of a region's critical dependencies in one zone above which `zone-concentration`
/// fires.
pub const ZONE_SHARE_LIMIT: f64 = 0.5;

/// One risk found in the estate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable fingerprint: the same risk has the same id from run to run.
    pub id: String,
    pub rule: String,
    pub severity: Severity,
    /// The resources involved (the SPOF or the service first).
    pub resources: Vec<String>,
    /// The failure domains involved.
    pub domains: Vec<DomainRef>,
    /// The critical services the risk stops.
    pub services: Vec<String>,
    /// The provider and region the finding is scored under.
    pub provider: String,
    pub region: Option<String>,
    pub message: String,
    /// Why: the chain of requirements from a critical service to the failure.
    pub path: Vec<PathStep>,
    pub remediation: String,
}

fn fingerprint(rule: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule.as_bytes());
    for part in parts {
        hasher.update([0]);
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn rule(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .expect("rule is registered")
}

/// Judge the analyses: every finding, sorted by severity (worst first), rule and id.
pub fn findings(estate: &Estate, analysis: &Analysis) -> Vec<Finding> {
    let mut found = Vec::new();
    cut_set_findings(estate, analysis, &mut found);
    spof_findings(estate, analysis, &mut found);
    concentration_findings(estate, analysis, &mut found);
    placement_findings(estate, &mut found);
    coverage_findings(estate, &mut found);
    // Worst first; within a severity, rules in the order of `RULES` (cut sets, the headline,
    // before SPOFs), then by message.
    let rank = |rule: &str| RULES.iter().position(|r| r.id == rule);
    found.sort_by(|a, b| {
        (b.severity, rank(&a.rule), &a.message, &a.id).cmp(&(
            a.severity,
            rank(&b.rule),
            &b.message,
            &b.id,
        ))
    });
    found
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

/// Remediation advice from the end of a path: the thing that actually failed.
fn remediation_for(path: &[PathStep], kind: DomainKind) -> String {
    let generic = match kind {
        DomainKind::Zone => {
            "Give every zonal resource on the path a counterpart in another zone and make \
             what needs it an any_of group over both (Multi-AZ databases, one NAT gateway per \
             zone, instances spread across zones)."
        }
        DomainKind::Region => {
            "Add a standby in a second region for what the path needs (replicas, global \
             tables, cross-region replication) and a failover that does not depend on the \
             failed region."
        }
        DomainKind::Provider => {
            "Add a second provider or vendor for what the path needs, or accept and document \
             the dependency as a concentration risk with an exit plan."
        }
    };
    match path.last() {
        Some(step) => format!("{generic} The path ends at {} ({}).", step.name, step.kind),
        None => generic.to_string(),
    }
}

fn cut_set_findings(estate: &Estate, analysis: &Analysis, found: &mut Vec<Finding>) {
    let mut explainer = Explainer::new(estate, &analysis.domain_sets, Lost::Domain);
    for (service, domains) in &analysis.cut_sets {
        let svc = estate.resource(service.resource);
        for &domain in domains {
            let d = estate.domain(domain);
            let rule_id = match d.kind {
                DomainKind::Zone => "zone-cut-set",
                DomainKind::Region => "region-cut-set",
                DomainKind::Provider => "provider-cut-set",
            };
            let path = explainer.path(service.resource, domain);
            let message = format!(
                "losing {} stops critical service {} (it takes down: {})",
                describe_domain(estate, domain),
                svc.label(),
                broken_requirements(estate, &mut explainer, service.resource, domain).join(", ")
            );
            found.push(Finding {
                id: fingerprint(rule_id, &[&svc.id, d.kind.as_str(), &d.id]),
                rule: rule_id.to_string(),
                severity: rule(rule_id).severity,
                resources: vec![svc.id.clone()],
                domains: vec![d.to_ref()],
                services: vec![svc.id.clone()],
                provider: d.provider.clone(),
                region: d.region.clone(),
                message,
                remediation: remediation_for(&path, d.kind),
                path,
            });
        }
    }
}

/// The requirements of `ix` that losing `target` breaks, by name: a `requires` member, or an
/// `any_of` group as its label (or its members) with how many of them fall.
fn broken_requirements(
    estate: &Estate,
    explainer: &mut Explainer,
    ix: ResourceIx,
    target: u32,
) -> Vec<String> {
    let mut broken = Vec::new();
    if estate.is_lethal(ix, target) {
        broken.push(format!("{} itself", estate.resource(ix).label()));
    }
    for group_ix in estate.group_ranges[ix as usize].clone() {
        let group = &estate.groups[group_ix as usize];
        let down: Vec<&str> = explainer
            .broken(group_ix, target)
            .iter()
            .map(|&m| estate.resource(m).label())
            .collect();
        if (down.len() as u32) < group.losses_to_fail() {
            continue;
        }
        if group.is_requires {
            broken.push(down[0].to_string());
        } else {
            broken.push(format!(
                "{} of {} of [{}]",
                down.len(),
                group.members.len(),
                down.join(", ")
            ));
        }
    }
    broken
}

fn spof_findings(estate: &Estate, analysis: &Analysis, found: &mut Vec<Finding>) {
    let mut explainer = Explainer::new(estate, &analysis.resource_sets, Lost::Resource);
    // Group by SPOF: one finding per resource, listing every service it stops.
    let mut stops: BTreeMap<ResourceIx, Vec<ResourceIx>> = BTreeMap::new();
    for (service, spofs) in &analysis.spofs {
        for &spof in spofs {
            stops.entry(spof).or_default().push(service.resource);
        }
    }
    // A SPOF that only one other SPOF needs, and that fails with the same domains (a root
    // volume, a dedicated subnet), stops exactly what that one stops; it is reported inside
    // that finding rather than as a finding of its own, so one weak point reads as one.
    let absorber = |x: ResourceIx| -> Option<ResourceIx> {
        let mut owners = estate
            .dependents(x)
            .filter(|&(owner, _)| analysis.critical_scope[owner as usize]);
        let (owner, group) = owners.next()?;
        if owners.any(|(other, _)| other != owner) || stops.get(&owner) != stops.get(&x) {
            // Only when the owner stops exactly the same services: an owner that is itself a
            // critical service is not in its own list, and must not hide that x stops it.
            return None;
        }
        let group = &estate.groups[group as usize];
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
    let is_absorbed: std::collections::BTreeSet<ResourceIx> =
        absorbed.values().flatten().copied().collect();

    for (spof, services) in &stops {
        if is_absorbed.contains(spof) {
            continue;
        }
        let spof = *spof;
        let resource = estate.resource(spof);
        let with: &[ResourceIx] = absorbed.get(&spof).map_or(&[], Vec::as_slice);
        let severity = std::iter::once(spof)
            .chain(with.iter().copied())
            .map(|ix| spof_severity(&estate.resource(ix).placement))
            .max()
            .unwrap_or(Severity::Medium);
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
        let zones = resource.placement.zones();
        let place = if zones.is_empty() {
            resource.placement.type_name().to_string()
        } else {
            format!("{} in {}", resource.placement.type_name(), zones.join(", "))
        };
        let mut resources = vec![resource.id.clone()];
        let mut with_names: Vec<&str> = Vec::new();
        for &ix in with {
            resources.push(estate.resource(ix).id.clone());
            with_names.push(estate.resource(ix).label());
        }
        with_names.sort_unstable();
        let also = if with_names.is_empty() {
            String::new()
        } else {
            format!(
                ", together with what only it needs ({})",
                with_names.join(", ")
            )
        };
        found.push(Finding {
            id: fingerprint("resource-spof", &[&resource.id]),
            rule: "resource-spof".into(),
            severity,
            resources,
            domains: Vec::new(),
            services: service_ids,
            provider: resource.provider.clone(),
            region: resource.region.clone(),
            message: format!(
                "{} ({}, {place}){also} is a single point of failure for {}",
                resource.label(),
                resource.kind,
                names.join(", ")
            ),
            path,
            remediation: format!(
                "Run a second {} in another zone (or use the service's multi-AZ option) and \
                 make what requires it an any_of group over both.",
                resource.kind
            ),
        });
    }
}

/// A single point of failure in one zone (or nowhere known) is worse than a managed
/// multi-zone or regional one.
fn spof_severity(placement: &Placement) -> Severity {
    match placement {
        Placement::Zonal { .. } | Placement::Unknown => Severity::High,
        Placement::MultiZone { zones, .. } if zones.len() < 2 => Severity::High,
        _ => Severity::Medium,
    }
}

fn concentration_findings(estate: &Estate, analysis: &Analysis, found: &mut Vec<Finding>) {
    for c in &analysis.concentration {
        let (Some(scope), DomainKind::Zone, Population::Critical) =
            (&c.scope, c.over, c.population)
        else {
            continue;
        };
        if scope.kind != DomainKind::Region {
            continue;
        }
        let Some(largest) = c.largest() else { continue };
        if largest.share <= ZONE_SHARE_LIMIT {
            continue;
        }
        let provider = estate
            .find_domain(DomainKind::Region, &scope.id)
            .map(|d| estate.domain(d).provider.clone())
            .unwrap_or_default();
        found.push(Finding {
            id: fingerprint("zone-concentration", &[&scope.id]),
            rule: "zone-concentration".into(),
            severity: rule("zone-concentration").severity,
            resources: Vec::new(),
            domains: vec![largest.domain.clone(), scope.clone()],
            services: Vec::new(),
            provider,
            region: Some(scope.id.clone()),
            message: format!(
                "{:.0}% of the zone-placed critical dependencies in region {} sit in zone {} \
                 (HHI {:.0}, {:.2} effective zones over {} zone{})",
                largest.share * 100.0,
                scope.id,
                largest.domain.id,
                c.hhi,
                c.effective_count,
                c.shares.len(),
                if c.shares.len() == 1 { "" } else { "s" }
            ),
            path: Vec::new(),
            remediation: format!(
                "Rebalance zonal capacity in {} so no zone holds more than {:.0}% of what \
                 critical services need (Auto Scaling groups over all zones, replicas and \
                 standbys outside {}).",
                scope.id,
                ZONE_SHARE_LIMIT * 100.0,
                largest.domain.id
            ),
        });
    }
}

fn placement_findings(estate: &Estate, found: &mut Vec<Finding>) {
    for resource in &estate.snapshot.resources {
        if resource.placement != Placement::Unknown {
            continue;
        }
        found.push(Finding {
            id: fingerprint("unknown-placement", &[&resource.id]),
            rule: "unknown-placement".into(),
            severity: rule("unknown-placement").severity,
            resources: vec![resource.id.clone()],
            domains: Vec::new(),
            services: Vec::new(),
            provider: resource.provider.clone(),
            region: resource.region.clone(),
            message: format!(
                "{} ({}) has unknown placement: it is assumed to fail only with its {}",
                resource.label(),
                resource.kind,
                if resource.region.is_some() {
                    "region"
                } else {
                    "provider"
                }
            ),
            path: Vec::new(),
            remediation: "Crawl the service that owns it (or declare its placement in the \
                          manifest) so its zones are known."
                .into(),
        });
    }
}

fn coverage_findings(estate: &Estate, found: &mut Vec<Finding>) {
    for record in &estate.snapshot.coverage {
        if record.status != CoverageStatus::Failed {
            continue;
        }
        let account = record.account.as_deref().unwrap_or("");
        let region = record.region.as_deref().unwrap_or("");
        found.push(Finding {
            id: fingerprint(
                "coverage-gap",
                &[
                    &record.source,
                    account,
                    region,
                    &record.service,
                    &record.operation,
                ],
            ),
            rule: "coverage-gap".into(),
            severity: rule("coverage-gap").severity,
            resources: Vec::new(),
            domains: Vec::new(),
            services: Vec::new(),
            provider: record.source.clone(),
            region: record.region.clone(),
            message: format!(
                "{} {} could not be read{}{}: {}",
                record.service,
                record.operation,
                if account.is_empty() {
                    String::new()
                } else {
                    format!(" in account {account}")
                },
                if region.is_empty() {
                    String::new()
                } else {
                    format!(" in {region}")
                },
                record.error.as_deref().unwrap_or("no reason given")
            ),
            path: Vec::new(),
            remediation: "Grant the read-only permissions the crawler needs (or fix the \
                          endpoint) and crawl again; until then the audit may miss resources."
                .into(),
        });
    }
}
