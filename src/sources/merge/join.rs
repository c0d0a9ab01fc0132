//! Joining the versions of one id into one resource: a ballot per field, the smallest value
//! kept, and a conflict note wherever the ballot holds more than one value.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{MERGE_SOURCE, is_case_insensitive};
use crate::model::{
    Conflict, CoverageRecord, CoverageStatus, Placement, RequirementGroup, Resource,
};

/// One input's resource of an id, with the sources it came from.
pub struct Version {
    pub resource: Resource,
    pub sources: Vec<String>,
}

/// What every join needs of the whole merge.
pub struct Context<'a> {
    /// Lower-cased case-insensitive id → the spelling the merged snapshot uses.
    pub spelling: &'a FxHashMap<String, String>,
}

impl Context<'_> {
    fn spelled(&self, id: &str) -> String {
        if is_case_insensitive(id)
            && let Some(spelled) = self.spelling.get(&id.to_lowercase())
        {
            return spelled.clone();
        }
        id.to_string()
    }
}

/// A conflict record of an earlier merge, with the scope it was filed under.
pub struct Noted {
    pub conflict: Conflict,
    provider: Option<String>,
    account: Option<String>,
    region: Option<String>,
}

impl Noted {
    pub fn from_record(record: CoverageRecord) -> Option<Noted> {
        Some(Noted {
            conflict: record.conflict?,
            provider: record.provider,
            account: record.account,
            region: record.region,
        })
    }

    /// Unite another note of the same id and field: every value and source of both.
    pub fn unite(&mut self, other: Noted) {
        let mut values = Ballot::default();
        for value in self.conflict.values.drain(..).chain(other.conflict.values) {
            values.add(value);
        }
        self.conflict.values = values.values.into_values().collect();
        let sources: BTreeSet<String> = self
            .conflict
            .sources
            .drain(..)
            .chain(other.conflict.sources)
            .collect();
        self.conflict.sources = sources.into_iter().collect();
        let mine = (
            &self.provider,
            &self.account,
            &self.region,
            text(&self.conflict.kept),
        );
        let theirs = (
            &other.provider,
            &other.account,
            &other.region,
            text(&other.conflict.kept),
        );
        if theirs < mine {
            self.provider = other.provider;
            self.account = other.account;
            self.region = other.region;
            self.conflict.kept = other.conflict.kept;
        }
    }

    pub fn into_record(self) -> CoverageRecord {
        record(self.conflict, self.provider, self.account, self.region)
    }
}

/// A conflict note as a coverage record of the merge.
pub fn record(
    conflict: Conflict,
    provider: Option<String>,
    account: Option<String>,
    region: Option<String>,
) -> CoverageRecord {
    CoverageRecord {
        source: MERGE_SOURCE.into(),
        provider,
        account,
        region,
        service: MERGE_SOURCE.into(),
        operation: conflict.field.clone(),
        status: CoverageStatus::Conflict,
        calls: None,
        error: None,
        conflict: Some(conflict),
    }
}

/// The JSON text values are compared and ordered by (object keys sorted: serde_json's maps
/// are ordered).
fn text(value: &Value) -> String {
    value.to_string()
}

/// The values given for one field, each once, ordered by their JSON text.
#[derive(Default)]
pub struct Ballot {
    values: BTreeMap<String, Value>,
}

impl Ballot {
    pub fn add(&mut self, value: Value) {
        self.values.entry(text(&value)).or_insert(value);
    }

    /// Add the values of an earlier merge's note on the field.
    pub fn add_noted(&mut self, note: Option<&Noted>) {
        for value in note.into_iter().flat_map(|n| &n.conflict.values) {
            self.add(value.clone());
        }
    }

    /// The smallest value that reads as a `T`.
    pub fn choose<T: DeserializeOwned>(&self) -> Option<T> {
        self.values
            .values()
            .find_map(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The note for a field given more than one value; `kept` when the value kept is not the
    /// smallest.
    pub fn conflict(
        self,
        id: &str,
        field: &str,
        kept: Option<Value>,
        sources: &[String],
    ) -> Option<Conflict> {
        if self.values.len() < 2 {
            return None;
        }
        let values: Vec<Value> = self.values.into_values().collect();
        Some(Conflict {
            id: id.to_string(),
            field: field.to_string(),
            kept: kept.unwrap_or_else(|| values[0].clone()),
            values,
            sources: sources.to_vec(),
        })
    }
}

/// The resource an id becomes, and what its join noted.
pub struct Outcome {
    pub resource: Resource,
    pub conflicts: Vec<CoverageRecord>,
    /// More than one input held the resource itself.
    pub joined: bool,
    /// An external stand-in was replaced by the resource.
    pub resolved: bool,
}

/// Join the versions of one id, given the notes earlier merges filed on it.
pub fn join(mut versions: Vec<Version>, prior: BTreeMap<String, Noted>, cx: &Context) -> Outcome {
    let real = versions.iter().filter(|v| !v.resource.external).count();
    let resolved = real > 0 && real < versions.len();
    if resolved {
        // The resource itself replaces its stand-ins: their blank fields are no conflict.
        versions.retain(|v| !v.resource.external);
    }
    let joined = real > 1;
    if versions.len() == 1 && prior.is_empty() {
        let Some(version) = versions.pop() else {
            unreachable!("one version")
        };
        return Outcome {
            resource: alone(version, cx),
            conflicts: Vec::new(),
            joined,
            resolved,
        };
    }
    let (resource, conflicts) = together(versions, prior, cx, real > 0);
    Outcome {
        resource,
        conflicts,
        joined,
        resolved,
    }
}

/// A name that says more than the id.
fn named(resource: &Resource) -> bool {
    !resource.name.is_empty() && resource.name != resource.id
}

/// A resource holding nothing (no allocation), left where a resource was taken from.
pub fn placeholder() -> Resource {
    Resource::blank(String::new())
}

/// One version alone, in canonical form: the fast path every resource held once takes.
pub fn alone(version: Version, cx: &Context) -> Resource {
    let Version {
        mut resource,
        sources,
    } = version;
    if !named(&resource) {
        resource.name.clear();
    }
    if is_case_insensitive(&resource.id) {
        resource.id = cx.spelled(&resource.id);
    }
    normalise_placement(&mut resource.placement);
    resource.requirements = canonical_groups(std::mem::take(&mut resource.requirements), cx);
    resource.sources = sources;
    resource
}

/// Multi-zone placements list their zones sorted, each once.
fn normalise_placement(placement: &mut Placement) {
    if let Placement::MultiZone { zones, .. } = placement {
        zones.sort();
        zones.dedup();
    }
}

/// Requirement groups in canonical form: members respelled, each once and sorted; one group
/// per set of members and quorum (with the smallest label given, a label before none); a
/// group of one member needing it is `requires`; groups sorted by members and quorum.
pub fn canonical_groups(groups: Vec<RequirementGroup>, cx: &Context) -> Vec<RequirementGroup> {
    if is_canonical(&groups) {
        return groups;
    }
    let mut keyed: Vec<(Vec<String>, u32, Option<String>)> = groups
        .into_iter()
        .filter_map(|group| {
            let quorum = group.quorum();
            let mut members: Vec<String> = match (group.requires, group.any_of) {
                (Some(one), _) => vec![one],
                (None, Some(many)) => many,
                (None, None) => Vec::new(),
            };
            for member in &mut members {
                if is_case_insensitive(member) {
                    *member = cx.spelled(member);
                }
            }
            members.sort();
            members.dedup();
            if members.is_empty() {
                return None;
            }
            let quorum = quorum.clamp(1, members.len() as u32);
            Some((members, quorum, group.label))
        })
        .collect();
    keyed.sort_by(|a, b| (&a.0, a.1, a.2.is_none(), &a.2).cmp(&(&b.0, b.1, b.2.is_none(), &b.2)));
    keyed.dedup_by(|later, first| later.0 == first.0 && later.1 == first.1);
    keyed
        .into_iter()
        .map(|(mut members, quorum, label)| {
            let group = if members.len() == 1 && quorum == 1 {
                RequirementGroup::requires(members.remove(0))
            } else {
                RequirementGroup::any_of(members, (quorum > 1).then_some(quorum))
            };
            RequirementGroup { label, ..group }
        })
        .collect()
}

/// The value a version gives for its placement and region.
pub fn located(placement: &Placement, region: Option<&str>) -> Value {
    serde_json::json!({
        "placement": serde_json::to_value(placement).expect("a placement is always JSON"),
        "region": region,
    })
}

fn is_unknown(located: &Value) -> bool {
    located["placement"]["type"] == "unknown"
}

/// Drop the placements that say less than another of the ballot: `unknown` in a region some
/// known placement is in, and `unknown` nowhere when anything else was given. What is left
/// disagrees; the smallest known placement (else the smallest unknown) is kept.
fn reduce_located(ballot: &mut Ballot) {
    let known_regions: BTreeSet<String> = ballot
        .values
        .values()
        .filter(|v| !is_unknown(v))
        .map(|v| v["region"].to_string())
        .collect();
    let others = ballot.values.len() > 1;
    ballot.values.retain(|_, v| {
        if !is_unknown(v) {
            return true;
        }
        if v["region"].is_null() {
            return !others;
        }
        !known_regions.contains(&v["region"].to_string())
    });
}

fn kept_located(ballot: &Ballot) -> (Placement, Option<String>) {
    let chosen = ballot
        .values
        .values()
        .find(|v| !is_unknown(v))
        .or_else(|| ballot.values.values().next());
    let placement = chosen
        .and_then(|v| serde_json::from_value(v["placement"].clone()).ok())
        .unwrap_or(Placement::Unknown);
    let region = chosen.and_then(|v| v["region"].as_str().map(str::to_string));
    (placement, region)
}

/// Groups already in the form [`canonical_groups`] gives (most of those an earlier merge
/// wrote, and many a source writes): checked, not rebuilt.
fn is_canonical(groups: &[RequirementGroup]) -> bool {
    fn key(g: &RequirementGroup) -> (&[String], u32, bool, &Option<String>) {
        (g.members(), g.quorum(), g.label.is_none(), &g.label)
    }
    let each = groups.iter().all(|g| {
        let members = g.members();
        let spelled = members.iter().all(|m| !is_case_insensitive(m));
        let form = match (&g.requires, &g.any_of) {
            (Some(_), None) => g.min.is_none(),
            (None, Some(many)) => {
                many.len() >= 2
                    && many.windows(2).all(|w| w[0] < w[1])
                    && g.min.is_none_or(|m| m > 1 && m as usize <= many.len())
            }
            _ => false,
        };
        spelled && form
    });
    each && groups.windows(2).all(|w| {
        let (a, b) = (key(&w[0]), key(&w[1]));
        a < b && (a.0, a.1) != (b.0, b.1)
    })
}

/// The ballots of one id's scalar fields.
#[derive(Default)]
struct Ballots {
    provider: Ballot,
    kind: Ballot,
    name: Ballot,
    account: Ballot,
    /// Placement and region together (`{"placement": …, "region": …}`): a placement's zones
    /// lie in its region, so the two are kept from one version.
    located: Ballot,
    tags: BTreeMap<String, Ballot>,
    attributes: BTreeMap<String, Ballot>,
}

impl Ballots {
    fn field(&mut self, field: &str) -> Option<&mut Ballot> {
        Some(match field {
            "provider" => &mut self.provider,
            "kind" => &mut self.kind,
            "name" => &mut self.name,
            "account" => &mut self.account,
            "placement" => &mut self.located,
            _ => {
                if let Some(key) = field.strip_prefix("tags.") {
                    self.tags.entry(key.to_string()).or_default()
                } else if let Some(key) = field.strip_prefix("attributes.") {
                    self.attributes.entry(key.to_string()).or_default()
                } else {
                    return None;
                }
            }
        })
    }

    fn add(&mut self, resource: Resource) -> Vec<RequirementGroup> {
        self.provider.add(resource.provider.as_str().into());
        self.kind.add(resource.kind.as_str().into());
        if named(&resource) {
            self.name.add(resource.name.as_str().into());
        }
        if let Some(account) = resource.account {
            self.account.add(account.into());
        }
        let mut placement = resource.placement;
        normalise_placement(&mut placement);
        self.located
            .add(located(&placement, resource.region.as_deref()));
        for (key, value) in resource.tags {
            self.tags.entry(key).or_default().add(value.into());
        }
        for (key, value) in resource.attributes {
            self.attributes.entry(key).or_default().add(value);
        }
        resource.requirements
    }
}

/// Several versions (or one with earlier notes): each field by ballot. `notes` is false for
/// external stand-ins only, whose guesses are not worth a conflict note.
fn together(
    versions: Vec<Version>,
    prior: BTreeMap<String, Noted>,
    cx: &Context,
    notes: bool,
) -> (Resource, Vec<CoverageRecord>) {
    let id = versions
        .iter()
        .map(|v| v.resource.id.as_str())
        .min()
        .map(|id| cx.spelled(id))
        .unwrap_or_default();
    let mut sources: BTreeSet<String> = BTreeSet::new();
    let mut ballots = Ballots::default();
    let mut groups = Vec::new();
    let fallback = versions[0].resource.provider.clone();
    for version in versions {
        sources.extend(version.sources);
        groups.extend(ballots.add(version.resource));
    }
    let mut orphans = Vec::new();
    for (field, note) in prior {
        match ballots.field(&field) {
            Some(ballot) => {
                ballot.add_noted(Some(&note));
                sources.extend(note.conflict.sources.iter().cloned());
            }
            None => orphans.push(note.into_record()),
        }
    }
    reduce_located(&mut ballots.located);
    let (placement, region) = kept_located(&ballots.located);
    let resource = Resource {
        id,
        provider: ballots.provider.choose().unwrap_or(fallback),
        account: ballots.account.choose(),
        region,
        kind: ballots.kind.choose().unwrap_or_default(),
        name: ballots.name.choose().unwrap_or_default(),
        tags: BTreeMap::new(),
        attributes: BTreeMap::new(),
        placement,
        requirements: canonical_groups(groups, cx),
        external: !notes,
        sources: sources.into_iter().collect(),
    };
    let (resource, conflicts) = keep(resource, ballots);
    if !notes {
        return (resource, orphans);
    }
    let records = conflicts
        .into_iter()
        .map(|c| {
            record(
                c,
                Some(resource.provider.clone()),
                resource.account.clone(),
                resource.region.clone(),
            )
        })
        .chain(orphans)
        .collect();
    (resource, records)
}

/// Put the kept tags and attributes on the resource; a conflict for every field whose ballot
/// holds more than one value.
fn keep(mut resource: Resource, ballots: Ballots) -> (Resource, Vec<Conflict>) {
    let Ballots {
        provider,
        kind,
        name,
        account,
        located: location,
        tags,
        attributes,
    } = ballots;
    let kept_location = located(&resource.placement, resource.region.as_deref());
    let mut fields: Vec<(String, Ballot, Option<Value>)> = vec![
        ("provider".into(), provider, None),
        ("kind".into(), kind, None),
        ("name".into(), name, None),
        ("account".into(), account, None),
        ("placement".into(), location, Some(kept_location)),
    ];
    for (key, ballot) in tags {
        if let Some(value) = ballot.choose::<String>() {
            resource.tags.insert(key.clone(), value);
        }
        fields.push((format!("tags.{key}"), ballot, None));
    }
    for (key, ballot) in attributes {
        if let Some(value) = ballot.choose::<Value>() {
            resource.attributes.insert(key.clone(), value);
        }
        fields.push((format!("attributes.{key}"), ballot, None));
    }
    let conflicts = fields
        .into_iter()
        .filter_map(|(field, ballot, kept)| {
            ballot.conflict(&resource.id, &field, kept, &resource.sources)
        })
        .collect();
    (resource, conflicts)
}
