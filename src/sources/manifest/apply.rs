//! Putting a manifest into an estate: its functions, third parties and their services become
//! resources; its edges, egress-free workloads and zone maps change the resources its
//! selectors match. A function or service with the id of a resource the estate already holds
//! (the demo's functions, a third party's resource a crawl saw) is that resource: the
//! manifest's facts are added to it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::selector::Selector;
use crate::model::{
    Placement, RUNS_ON_KIND, RequirementGroup, Resource, Snapshot, Source, Zone, ZoneId,
};

use super::{AnyOf, At, DeclaredThirdParty, Function, Manifest, Pick, Target, invalid};

/// The label of a requirement a manifest's `runs_on` adds.
const RUNS_ON_LABEL: &str = "runs on";

/// Add the manifest to the snapshot. Every selector must match something unless optional;
/// every problem is reported with the file and line of what caused it.
pub fn apply(manifest: &Manifest, snapshot: Snapshot) -> Result<Snapshot, Diagnostics> {
    apply_with(manifest, snapshot, true, Vec::new())
}

/// [`apply`], reporting `problems` (of reading the manifest) with its own; with `strict`
/// false a selector may match nothing (the estate before a Terraform plan, which need not
/// hold what the plan adds).
pub fn apply_with(
    manifest: &Manifest,
    snapshot: Snapshot,
    strict: bool,
    mut problems: Vec<Diagnostic>,
) -> Result<Snapshot, Diagnostics> {
    let mut estate = Editing::new(snapshot);
    estate.strict = strict;
    if let Some(entity) = &manifest.entity {
        estate.snapshot.entity = Some(entity.clone());
    }
    let provider = manifest
        .entity
        .as_ref()
        .map_or("entity", |e| e.id.as_str())
        .to_string();
    let mut made = 0;
    for party in &manifest.third_parties {
        made += estate.third_party(party);
    }
    for function in &manifest.functions {
        estate.upsert(function_resource(function, &provider));
        made += 1;
    }
    let services = services_of(manifest);
    for function in &manifest.functions {
        let owner = function_id(&function.id);
        let mut groups = Vec::new();
        for pick in &function.requires {
            for member in estate.matches(pick, &owner, &services, &mut problems) {
                groups.push(RequirementGroup::requires(member));
            }
        }
        for group in &function.any_of {
            groups.extend(estate.any_of(group, &owner, &services, &mut problems));
        }
        estate.add_groups(&owner, groups);
    }
    for edge in &manifest.edges {
        let mut owners = BTreeSet::new();
        for pick in &edge.from {
            owners.extend(estate.matches(pick, "", &services, &mut problems));
        }
        for owner in owners {
            let mut groups = Vec::new();
            for pick in &edge.requires {
                for member in estate.matches(pick, &owner, &services, &mut problems) {
                    let group = RequirementGroup::requires(member);
                    groups.push(match &edge.label {
                        Some(label) => group.with_label(label),
                        None => group.with_label("declared in the manifest"),
                    });
                }
            }
            if let Some(any_of) = &edge.any_of {
                let label = edge.label.clone();
                groups.extend(
                    estate
                        .any_of(any_of, &owner, &services, &mut problems)
                        .map(|g| {
                            g.with_label(label.as_deref().unwrap_or("declared in the manifest"))
                        }),
                );
            }
            estate.add_groups(&owner, groups);
        }
    }
    for free in &manifest.egress_free {
        for pick in &free.select {
            for id in estate.matches(pick, "", &services, &mut problems) {
                estate.drop_egress(&id);
            }
        }
    }
    for map in &manifest.zones {
        estate.map_zones(map, &mut problems);
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let mut snapshot = estate.snapshot;
    let mut source = Source::new("manifest", manifest.files.join(", "));
    source.resources = Some(made as u64);
    snapshot.sources.push(source);
    Ok(snapshot)
}

/// The resource id of a function.
pub fn function_id(id: &str) -> String {
    format!("function:{id}")
}

/// The resource ids of each declared third party's services.
fn services_of(manifest: &Manifest) -> HashMap<String, Vec<(String, String)>> {
    manifest
        .third_parties
        .iter()
        .map(|party| {
            let ids = party
                .services
                .iter()
                .map(|s| (s.id.clone(), service_id(&party.record.id, &s.id)))
                .collect();
            (party.record.id.clone(), ids)
        })
        .collect()
}

fn service_id(party: &str, service: &str) -> String {
    format!("{party}:{service}")
}

fn function_resource(function: &Function, provider: &str) -> Resource {
    let mut attributes = BTreeMap::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            attributes.insert(key.to_string(), value);
        }
    };
    put(
        "criticality",
        function.criticality.map(|c| json!(c.as_str())),
    );
    put("rto_hours", function.rto_hours.map(|h| json!(h)));
    put("rpo_hours", function.rpo_hours.map(|h| json!(h)));
    put(
        "impact_per_hour",
        function
            .impact_per_hour
            .as_ref()
            .map(|m| json!({"amount": m.amount, "currency": m.currency})),
    );
    put("owner", function.owner.as_ref().map(|o| json!(o)));
    put(
        "licensed_activity",
        function.licensed_activity.as_ref().map(|o| json!(o)),
    );
    put(
        "criticality_reasons",
        function.reasons.as_ref().map(|o| json!(o)),
    );
    put("assessed", function.assessed.as_ref().map(|o| json!(o)));
    put("declared_at", Some(json!(function.at.location())));
    Resource {
        id: function_id(&function.id),
        provider: provider.to_string(),
        account: None,
        region: None,
        kind: "function".into(),
        name: function.name.clone(),
        tags: BTreeMap::new(),
        attributes,
        placement: Placement::Logical,
        requirements: Vec::new(),
        external: false,
        sources: Vec::new(),
    }
}

/// The resource that stands for a domain a third party runs on.
fn runs_on_resource(domain: &str, zones: &mut Vec<Zone>) -> Resource {
    let mut parts = domain.split(':');
    let provider = parts.next().unwrap_or(domain).to_string();
    let region = parts.next().map(str::to_string);
    let zone = parts.next().map(ZoneId::from);
    let placement = match (&region, zone) {
        (Some(region), Some(zone)) => {
            if !zones.iter().any(|z| z.id == zone) {
                zones.push(Zone {
                    id: zone.clone(),
                    provider: provider.clone(),
                    region: region.clone(),
                    name: None,
                });
            }
            Placement::Zonal { zone }
        }
        (Some(_), None) => Placement::Regional,
        (None, _) => Placement::Global {
            control_plane_region: None,
        },
    };
    Resource {
        id: format!("runs-on:{domain}"),
        provider,
        account: None,
        region,
        kind: RUNS_ON_KIND.into(),
        name: domain.replace(':', " "),
        tags: BTreeMap::new(),
        attributes: BTreeMap::new(),
        placement,
        requirements: Vec::new(),
        external: false,
        sources: Vec::new(),
    }
}

/// A snapshot being changed, with its resources indexed by id.
struct Editing {
    snapshot: Snapshot,
    at: HashMap<String, usize>,
    /// Whether a selector that matches nothing is a problem.
    strict: bool,
}

impl Editing {
    fn new(snapshot: Snapshot) -> Self {
        let at = snapshot
            .resources
            .iter()
            .enumerate()
            .map(|(at, r)| (r.id.clone(), at))
            .collect();
        Editing {
            snapshot,
            at,
            strict: true,
        }
    }

    /// Add a resource, or add its facts to the one with its id.
    fn upsert(&mut self, resource: Resource) {
        match self.at.get(&resource.id) {
            Some(&at) => {
                let held = &mut self.snapshot.resources[at];
                if !resource.name.is_empty() {
                    held.name = resource.name;
                }
                held.tags.extend(resource.tags);
                held.attributes.extend(resource.attributes);
                if matches!(held.placement, Placement::Unknown) {
                    held.placement = resource.placement;
                }
                let groups = resource.requirements;
                let id = held.id.clone();
                self.add_groups(&id, groups);
            }
            None => {
                self.at
                    .insert(resource.id.clone(), self.snapshot.resources.len());
                self.snapshot.resources.push(resource);
            }
        }
    }

    /// The third party's record, its services and what it runs on; how many resources the
    /// manifest made for it.
    fn third_party(&mut self, party: &DeclaredThirdParty) -> usize {
        let id = &party.record.id;
        self.snapshot.third_parties.retain(|t| &t.id != id);
        self.snapshot.third_parties.push(party.record.clone());
        let mut made = 0;
        for domain in &party.record.runs_on {
            let anchor = runs_on_resource(domain, &mut self.snapshot.zones);
            if !self.at.contains_key(&anchor.id) {
                made += 1;
            }
            self.upsert(anchor);
        }
        for service in &party.services {
            let mut attributes = BTreeMap::new();
            attributes.insert("third_party".to_string(), json!(id));
            attributes.insert("declared_at".to_string(), json!(service.at.location()));
            self.upsert(Resource {
                id: service_id(id, &service.id),
                provider: id.clone(),
                account: None,
                region: None,
                kind: service
                    .kind
                    .clone()
                    .unwrap_or_else(|| "third-party:service".into()),
                name: service.name.clone(),
                tags: BTreeMap::new(),
                attributes,
                placement: Placement::Global {
                    control_plane_region: None,
                },
                requirements: Vec::new(),
                external: false,
                sources: Vec::new(),
            });
            made += 1;
        }
        // Everything of the third party fails with what it runs on.
        let runs_on: Vec<RequirementGroup> = party
            .record
            .runs_on
            .iter()
            .map(|domain| {
                RequirementGroup::requires(format!("runs-on:{domain}"))
                    .with_label(format!("{RUNS_ON_LABEL} {domain}"))
            })
            .collect();
        if !runs_on.is_empty() {
            let owned: Vec<String> = self
                .snapshot
                .resources
                .iter()
                .filter(|r| &r.provider == id && r.kind != RUNS_ON_KIND)
                .map(|r| r.id.clone())
                .collect();
            for owner in owned {
                self.add_groups(&owner, runs_on.clone());
            }
        }
        made
    }

    /// Add groups to a resource, skipping those it already has.
    fn add_groups(&mut self, owner: &str, groups: Vec<RequirementGroup>) {
        let Some(&at) = self.at.get(owner) else {
            return;
        };
        let held = &mut self.snapshot.resources[at].requirements;
        for group in groups {
            let same = |g: &RequirementGroup| {
                g.members() == group.members() && g.quorum() == group.quorum()
            };
            if !held.iter().any(same) {
                held.push(group);
            }
        }
    }

    /// The ids a selector matches, never `owner` itself; a selector that matches nothing is a
    /// problem unless optional.
    fn matches(
        &self,
        pick: &Pick,
        owner: &str,
        services: &HashMap<String, Vec<(String, String)>>,
        problems: &mut Vec<Diagnostic>,
    ) -> Vec<String> {
        let found: Vec<String> = match &pick.target {
            Target::ThirdParty { id, service } => services
                .get(id)
                .into_iter()
                .flatten()
                .filter(|(name, _)| service.as_ref().is_none_or(|s| s == name))
                .map(|(_, rid)| rid.clone())
                .collect(),
            Target::Resources(Selector::Id(id)) if !id.contains('*') => {
                self.at.get(id).map(|_| id.clone()).into_iter().collect()
            }
            Target::Resources(selector) => self
                .snapshot
                .resources
                .iter()
                .filter(|r| r.kind != RUNS_ON_KIND && selector.matches(r))
                .map(|r| r.id.clone())
                .collect(),
        };
        let found: Vec<String> = found.into_iter().filter(|id| id != owner).collect();
        // Third-party selectors are checked against the declarations (`check_across`).
        if found.is_empty()
            && self.strict
            && !pick.optional
            && matches!(pick.target, Target::Resources(_))
        {
            problems.push(pick.at.problem(format!(
                "`{}` matches no resource of the estate (mark the table `optional = true` if that is expected)",
                pick.text
            )));
        }
        found
    }

    /// One `any_of` group of everything its selectors match.
    fn any_of(
        &self,
        group: &AnyOf,
        owner: &str,
        services: &HashMap<String, Vec<(String, String)>>,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<RequirementGroup> {
        let mut members: Vec<String> = Vec::new();
        for pick in &group.of {
            for id in self.matches(pick, owner, services, problems) {
                if !members.contains(&id) {
                    members.push(id);
                }
            }
        }
        if members.is_empty() {
            return None;
        }
        if let Some(min) = group.min
            && min as usize > members.len()
        {
            let at = group.min_at.as_ref().unwrap_or(&group.at);
            problems.push(at.problem(format!(
                "`min = {min}` but the group's selectors match {} resource{}",
                members.len(),
                if members.len() == 1 { "" } else { "s" }
            )));
            return None;
        }
        let made = RequirementGroup::any_of(members, group.min);
        Some(match &group.label {
            Some(label) => made.with_label(label),
            None => made,
        })
    }

    /// Drop the egress requirements (through NAT gateways, Cloud NAT, appliances) of a
    /// workload that needs no internet egress.
    fn drop_egress(&mut self, id: &str) {
        if let Some(&at) = self.at.get(id) {
            self.snapshot.resources[at]
                .requirements
                .retain(|g| !g.label.as_deref().is_some_and(|l| l.starts_with("egress")));
        }
    }

    /// Rename the zones of one account's resources as the map says, declaring the zone IDs.
    fn map_zones(&mut self, map: &super::ZoneMap, problems: &mut Vec<Diagnostic>) {
        let mut used: BTreeSet<usize> = BTreeSet::new();
        for resource in &mut self.snapshot.resources {
            if resource.account.as_deref() != Some(map.account.as_str()) {
                continue;
            }
            let zones = match &mut resource.placement {
                Placement::Zonal { zone } => std::slice::from_mut(zone),
                Placement::MultiZone { zones, .. } => zones.as_mut_slice(),
                _ => continue,
            };
            for zone in zones {
                let qualified = |name: &str| format!("{name}@{}", map.account);
                if let Some(entry) = map.entries.iter().position(|(name, _, _)| {
                    zone == name.as_str() || zone.as_str() == qualified(name)
                }) {
                    *zone = ZoneId::from(map.entries[entry].1.as_str());
                    used.insert(entry);
                }
            }
        }
        for (entry, (name, id, at)) in map.entries.iter().enumerate() {
            let qualified = format!("{name}@{}", map.account);
            let old = self
                .snapshot
                .zones
                .iter()
                .find(|z| z.id == name.as_str() || z.id == qualified.as_str())
                .cloned();
            match old {
                Some(old) => declare(&mut self.snapshot.zones, id, &old, name, at, problems),
                None if self.strict && !used.contains(&entry) => {
                    problems.push(at.problem(format!(
                        "zone `{name}` of account `{}` is not in the estate",
                        map.account
                    )))
                }
                None => {}
            }
        }
        // Drop the declarations of names no resource uses any more.
        let in_use: BTreeSet<String> = self
            .snapshot
            .resources
            .iter()
            .flat_map(|r| r.placement.zones().iter().map(ToString::to_string))
            .collect();
        let names: BTreeSet<String> = map
            .entries
            .iter()
            .flat_map(|(name, _, _)| [name.clone(), format!("{name}@{}", map.account)])
            .collect();
        self.snapshot
            .zones
            .retain(|z| !names.contains(z.id.as_str()) || in_use.contains(z.id.as_str()));
    }
}

/// Declare zone `id` in the region of the zone it replaces.
fn declare(
    zones: &mut Vec<Zone>,
    id: &str,
    old: &Zone,
    name: &str,
    at: &At,
    problems: &mut Vec<Diagnostic>,
) {
    match zones.iter().find(|z| z.id == id) {
        Some(known) if known.region != old.region || known.provider != old.provider => {
            problems.push(at.problem(format!(
                "zone `{name}` is in {} {}, but `{id}` is a zone of {} {}",
                old.provider, old.region, known.provider, known.region
            )));
        }
        Some(_) => {}
        None => zones.push(Zone {
            id: ZoneId::from(id),
            provider: old.provider.clone(),
            region: old.region.clone(),
            name: Some(name.to_string()),
        }),
    }
}
