//! One estate from many snapshots of it: shards of an organisation-wide crawl, Terraform
//! states per workspace, an API crawl beside the state of the same resources.
//!
//! [`merge_all`] is the merge of `linchpin merge`. It is idempotent, commutative and
//! associative: the result depends only on the set of inputs, never on their order or on how
//! they were grouped into earlier merges. That takes a canonical output and choices that do
//! not depend on order:
//!
//! - **Identity**: resources meet on their id. ARNs, Google ids and Terraform addresses are
//!   compared exactly (AWS names are case-sensitive: two SQS queues may differ only by case);
//!   Azure Resource Manager ids (`/subscriptions/…`, `/providers/…`) are case-insensitive, so
//!   they meet whatever their case and keep the smallest spelling ([`identity_key`]).
//! - **One resource, every source**: the same id from several inputs is one resource; its
//!   `sources` names every source it came from; tags and attributes are united; requirement
//!   groups are united (one per set of members and quorum) and sorted.
//! - **Conflicts are notes, never silent overwrites**: where inputs give different values of
//!   one field (`placement`, `account`, `provider`, `kind`, `name`, `tags.KEY`,
//!   `attributes.KEY`; a zone's `zone.region` or `zone.provider`), the merged snapshot keeps
//!   the smallest value by its JSON text, and a coverage record of status `conflict` (source
//!   `merge`) lists every value, the value kept and the sources. Placement and region are one
//!   field (values `{"placement": …, "region": …}`, kept from one input, so that the zones
//!   kept lie in the region kept); a known placement is preferred to `unknown`, and is no
//!   conflict with `unknown` in the same region or in none; a value is no conflict with an
//!   absent one. Merging again unites the records of one id and field, so a note carries
//!   every value however the inputs were grouped.
//! - **External stand-ins**: a resource marked `external` stands for one another snapshot
//!   holds; when an input holds the real resource, it replaces the stand-in (whose blank
//!   fields are no conflict). Stand-ins no input resolves stay, and reports list them.
//! - **Declarations**: the entity and each third party (by id) a manifest declared are kept
//!   once; different declarations of one keep the smallest and are a conflict record.
//! - **Canonical order**: resources sorted by id; sources, coverage records and zones each
//!   once and sorted; multi-zone placements' zones sorted. A zone named differently by
//!   several accounts keeps every name (`ap-northeast-1a / ap-northeast-1c`).
//!
//! [`prefer_first`] is the older pairwise merge `--aws --terraform` uses: the crawl's facts
//! win without notes, what only the state knows is kept.

mod first;
mod join;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

pub use first::prefer_first;
use join::{Ballot, Noted, Version};

use crate::model::{
    CoverageRecord, CoverageStatus, Entity, Resource, SNAPSHOT_SCHEMA, Snapshot, ThirdParty, Zone,
};

/// The source named by conflict records.
pub const MERGE_SOURCE: &str = "merge";

/// The key resources meet on: the id itself, or lower-cased for ids that are
/// case-insensitive (Azure Resource Manager ids).
pub fn identity_key(id: &str) -> Cow<'_, str> {
    if is_case_insensitive(id) {
        Cow::Owned(id.to_lowercase())
    } else {
        Cow::Borrowed(id)
    }
}

/// Azure Resource Manager ids (`/subscriptions/…`, `/providers/…`): Azure compares them
/// without regard to case, and its APIs and Terraform spell them differently.
pub fn is_case_insensitive(id: &str) -> bool {
    if !id.starts_with('/') {
        return false;
    }
    let starts = |prefix: &str| {
        id.len() >= prefix.len()
            && id.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    starts("/subscriptions/") || starts("/providers/")
}

/// A merge and what it did.
#[derive(Debug, Clone)]
pub struct Merged {
    pub snapshot: Snapshot,
    /// How many inputs were merged.
    pub inputs: usize,
    /// Ids held (as real resources) by more than one input.
    pub joined: usize,
    /// External stand-ins an input's real resource replaced.
    pub resolved: usize,
}

impl Merged {
    /// The conflict records of the merged snapshot.
    pub fn conflicts(&self) -> impl Iterator<Item = &CoverageRecord> {
        self.snapshot
            .coverage
            .iter()
            .filter(|c| c.status == CoverageStatus::Conflict)
    }

    /// The external stand-ins no input resolved.
    pub fn external(&self) -> impl Iterator<Item = &Resource> {
        self.snapshot.resources.iter().filter(|r| r.external)
    }
}

/// One snapshot from many: see the module documentation for the rules.
pub fn merge_all(inputs: Vec<Snapshot>) -> Snapshot {
    merge_counted(inputs).snapshot
}

/// [`merge_all`], with counts of what it joined and resolved.
///
/// Near-linear: one sort of the ids (by identity key) groups the versions of each id and
/// gives the order of the output; every resource is then moved once, into place. No copy of
/// an id is made but for case-insensitive ones.
pub fn merge_counted(mut inputs: Vec<Snapshot>) -> Merged {
    let count = inputs.len();
    let started = std::time::Instant::now();
    let lap = |stage: &str| {
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "merge: {stage}"
        )
    };
    // Everything but the resources, which stay where they are until each is moved once.
    let mut gathered = Gathered::default();
    let origins: Vec<Origin> = inputs.iter_mut().map(|i| gathered.add(i)).collect();
    let Gathered {
        mut sources,
        mut coverage,
        mut noted,
        zones,
        entities,
        third_parties,
    } = gathered;
    let zones = merge_zones(zones, &mut noted, &mut coverage);
    let (entity, third_parties) =
        merge_declared(entities, third_parties, &mut noted, &mut coverage);
    let (runs, spelling) = group(&inputs);
    lap("grouped");

    let context = join::Context {
        spelling: &spelling,
    };
    let mut take = |(input, at): (u32, u32)| {
        let resource = std::mem::replace(
            &mut inputs[input as usize].resources[at as usize],
            join::placeholder(),
        );
        origins[input as usize].attribute(resource)
    };
    let (mut joined, mut resolved) = (0, 0);
    let mut resources: Vec<Resource> = Vec::with_capacity(runs.len());
    for at in 0..runs.len() {
        let run = runs.run(at);
        if run.len() == 1 && noted.is_empty() {
            resources.push(join::alone(take(run[0]), &context));
            continue;
        }
        let versions: Vec<Version> = run.iter().map(|&v| take(v)).collect();
        let key = identity_key(&versions[0].resource.id);
        let prior = noted.remove(key.as_ref()).unwrap_or_default();
        let outcome = join::join(versions, prior, &context);
        joined += usize::from(outcome.joined);
        resolved += usize::from(outcome.resolved);
        coverage.extend(outcome.conflicts);
        resources.push(outcome.resource);
    }
    lap("joined");
    // Notes on ids no input holds any more (hand-edited snapshots) are kept as they are.
    for (_, fields) in noted {
        for (_, note) in fields {
            coverage.push(note.into_record());
        }
    }
    sources.sort();
    sources.dedup();
    sort_coverage(&mut coverage);
    Merged {
        snapshot: Snapshot {
            schema: SNAPSHOT_SCHEMA.into(),
            sources,
            coverage,
            zones,
            entity,
            third_parties,
            resources,
        },
        inputs: count,
        joined,
        resolved,
    }
}

/// A resource's place: its input and its position there.
type Place = (u32, u32);

/// The versions of each id, one run per identity key, the runs in the order of the output
/// (by the id as written): `places` in runs, `starts` where each run begins.
struct Runs {
    places: Vec<Place>,
    starts: Vec<u32>,
}

impl Runs {
    fn len(&self) -> usize {
        self.starts.len()
    }

    fn run(&self, at: usize) -> &[Place] {
        let end = self
            .starts
            .get(at + 1)
            .map_or(self.places.len(), |&e| e as usize);
        &self.places[self.starts[at] as usize..end]
    }
}

/// The runs of the inputs' resources, and the spelling of every case-insensitive id: the
/// smallest given.
fn group(inputs: &[Snapshot]) -> (Runs, FxHashMap<String, String>) {
    let total: usize = inputs.iter().map(|s| s.resources.len()).sum();
    let mut keyed: Vec<(Cow<'_, str>, Place)> = Vec::with_capacity(total);
    for (input, snapshot) in inputs.iter().enumerate() {
        for (at, resource) in snapshot.resources.iter().enumerate() {
            keyed.push((identity_key(&resource.id), (input as u32, at as u32)));
        }
    }
    // Stable: inputs already sorted by id (crawls, earlier merges) are runs it merges.
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let id = |(input, at): Place| inputs[input as usize].resources[at as usize].id.as_str();
    let mut runs = Runs {
        places: keyed.iter().map(|(_, place)| *place).collect(),
        starts: Vec::new(),
    };
    let mut spelling: FxHashMap<String, String> = FxHashMap::default();
    let mut written: Vec<&str> = Vec::new();
    for at in 0..keyed.len() {
        if at > 0 && keyed[at].0 == keyed[at - 1].0 {
            continue;
        }
        runs.starts.push(at as u32);
        let first = id(keyed[at].1);
        if is_case_insensitive(first) {
            let smallest = keyed[at..]
                .iter()
                .take_while(|(key, _)| *key == keyed[at].0)
                .map(|&(_, place)| id(place))
                .min()
                .unwrap_or(first);
            spelling.insert(keyed[at].0.to_string(), smallest.to_string());
            written.push(smallest);
        } else {
            written.push(first);
        }
    }
    // Case-insensitive ids sort by key but are written in their own spelling: put the runs
    // in the order of the written ids when the two differ.
    if !spelling.is_empty() && !written.windows(2).all(|w| w[0] <= w[1]) {
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by(|&a, &b| written[a].cmp(written[b]));
        let mut reordered = Runs {
            places: Vec::with_capacity(runs.places.len()),
            starts: Vec::with_capacity(runs.len()),
        };
        for at in order {
            reordered.starts.push(reordered.places.len() as u32);
            reordered.places.extend_from_slice(runs.run(at));
        }
        runs = reordered;
    }
    (runs, spelling)
}

/// Everything the inputs hold besides their resources, before anything is joined.
#[derive(Default)]
struct Gathered {
    sources: Vec<crate::model::Source>,
    /// Coverage records other than merge conflicts.
    coverage: Vec<CoverageRecord>,
    /// Earlier merges' conflict records, by identity key and field.
    noted: FxHashMap<String, BTreeMap<String, Noted>>,
    /// Every declaration of each zone.
    zones: BTreeMap<String, Vec<Zone>>,
    /// Every declaration of the entity (from manifests).
    entities: Vec<Entity>,
    /// Every declaration of each third party, by id.
    third_parties: BTreeMap<String, Vec<ThirdParty>>,
}

impl Gathered {
    /// Take in an input's sources, coverage and zones (its resources stay); returns what
    /// says where its resources came from.
    fn add(&mut self, input: &mut Snapshot) -> Origin {
        let origin = Origin::of(&input.sources);
        for record in std::mem::take(&mut input.coverage) {
            match record.conflict {
                Some(_) if record.source == MERGE_SOURCE => {
                    let Some(note) = Noted::from_record(record) else {
                        continue;
                    };
                    let key = identity_key(&note.conflict.id).into_owned();
                    let fields = self.noted.entry(key).or_default();
                    match fields.get_mut(&note.conflict.field) {
                        Some(known) => known.unite(note),
                        None => {
                            fields.insert(note.conflict.field.clone(), note);
                        }
                    }
                }
                _ => self.coverage.push(record),
            }
        }
        for zone in std::mem::take(&mut input.zones) {
            self.zones
                .entry(zone.id.to_string())
                .or_default()
                .push(zone);
        }
        self.entities.extend(input.entity.take());
        for party in std::mem::take(&mut input.third_parties) {
            self.third_parties
                .entry(party.id.clone())
                .or_default()
                .push(party);
        }
        self.sources.append(&mut input.sources);
        origin
    }
}

/// The sources of one input, as its resources are attributed to them.
struct Origin {
    /// `kind:name` of each source, sorted, each once.
    labels: Vec<String>,
    /// Source name (a crawl names each account's source by the account id) → labels.
    by_name: FxHashMap<String, Vec<String>>,
}

impl Origin {
    fn of(sources: &[crate::model::Source]) -> Origin {
        let mut labels: Vec<String> = sources.iter().map(|s| s.label()).collect();
        labels.sort();
        labels.dedup();
        let mut by_name: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for source in sources {
            let named = by_name.entry(source.name.clone()).or_default();
            named.push(source.label());
            named.sort();
            named.dedup();
        }
        Origin { labels, by_name }
    }

    /// A resource with the sources it came from: those it names itself (an earlier merge
    /// wrote them), else the input's one source, else the input's sources named after its
    /// account, else all of them.
    fn attribute(&self, mut resource: Resource) -> Version {
        let sources = if !resource.sources.is_empty() {
            let mut named = std::mem::take(&mut resource.sources);
            named.sort();
            named.dedup();
            named
        } else if self.labels.len() <= 1 {
            self.labels.clone()
        } else {
            resource
                .account
                .as_ref()
                .and_then(|account| self.by_name.get(account))
                .unwrap_or(&self.labels)
                .clone()
        };
        Version { resource, sources }
    }
}

/// Each zone once: provider and region by the smallest value (a disagreement is a conflict
/// record), every name the accounts give it. Zones name no sources (a merged snapshot cannot
/// tell which of its sources declared a zone), so neither do their notes.
fn merge_zones(
    zones: BTreeMap<String, Vec<Zone>>,
    noted: &mut FxHashMap<String, BTreeMap<String, Noted>>,
    coverage: &mut Vec<CoverageRecord>,
) -> Vec<Zone> {
    let mut merged = Vec::with_capacity(zones.len());
    for (id, declared) in zones {
        let mut prior = noted.remove(&id).unwrap_or_default();
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut provider = Ballot::default();
        let mut region = Ballot::default();
        for zone in &declared {
            provider.add(serde_json::Value::from(zone.provider.as_str()));
            region.add(serde_json::Value::from(zone.region.as_str()));
            if let Some(name) = &zone.name {
                names.extend(name.split(" / ").map(str::to_string));
            }
        }
        provider.add_noted(prior.remove("zone.provider").as_ref());
        region.add_noted(prior.remove("zone.region").as_ref());
        let kept_provider: String = provider.choose().unwrap_or_default();
        let kept_region: String = region.choose().unwrap_or_default();
        for (field, ballot) in [("zone.provider", provider), ("zone.region", region)] {
            if let Some(conflict) = ballot.conflict(&id, field, None, &[]) {
                coverage.push(join::record(
                    conflict,
                    Some(kept_provider.clone()),
                    None,
                    Some(kept_region.clone()),
                ));
            }
        }
        // Any other note on the zone id stays as it was.
        if !prior.is_empty() {
            noted.insert(id.clone(), prior);
        }
        merged.push(Zone {
            id: id.into(),
            provider: kept_provider,
            region: kept_region,
            name: (!names.is_empty()).then(|| names.into_iter().collect::<Vec<_>>().join(" / ")),
        });
    }
    merged
}

/// The conflict id of the entity's declarations.
pub const ENTITY_NOTE: &str = "entity";

/// The conflict id of a third party's declarations: `third_party:ID`, as selectors name it.
pub fn third_party_note(id: &str) -> String {
    format!("third_party:{id}")
}

/// The entity and each third party once (manifests declare them): equal declarations are
/// one; different ones keep the smallest by its JSON text, and a conflict record (id `entity`
/// or `third_party:ID`, field `entity` or `third_party`, no sources: a merged snapshot cannot
/// tell which source declared them) lists every declaration.
fn merge_declared(
    entities: Vec<Entity>,
    third_parties: BTreeMap<String, Vec<ThirdParty>>,
    noted: &mut FxHashMap<String, BTreeMap<String, Noted>>,
    coverage: &mut Vec<CoverageRecord>,
) -> (Option<Entity>, Vec<ThirdParty>) {
    fn one<T: serde::Serialize + serde::de::DeserializeOwned>(
        declared: Vec<T>,
        id: &str,
        field: &str,
        noted: &mut FxHashMap<String, BTreeMap<String, Noted>>,
        coverage: &mut Vec<CoverageRecord>,
    ) -> Option<T> {
        let mut prior = noted.remove(id).unwrap_or_default();
        let mut ballot = Ballot::default();
        for each in &declared {
            ballot.add(serde_json::to_value(each).expect("declarations serialise"));
        }
        ballot.add_noted(prior.remove(field).as_ref());
        if !prior.is_empty() {
            noted.insert(id.to_string(), prior);
        }
        let kept = ballot.choose::<T>();
        if let Some(conflict) = ballot.conflict(id, field, None, &[]) {
            coverage.push(join::record(conflict, None, None, None));
        }
        kept
    }
    let entity = if entities.is_empty() && !noted.contains_key(ENTITY_NOTE) {
        None
    } else {
        one(entities, ENTITY_NOTE, "entity", noted, coverage)
    };
    let parties = third_parties
        .into_iter()
        .filter_map(|(id, declared)| {
            one(
                declared,
                &third_party_note(&id),
                "third_party",
                noted,
                coverage,
            )
        })
        .collect();
    (entity, parties)
}

/// Coverage records each once, in one order: reads by source, provider, account, region,
/// service and operation; then conflict notes by id and field.
fn sort_coverage(coverage: &mut Vec<CoverageRecord>) {
    coverage.sort_by(|a, b| {
        let conflict =
            |c: &CoverageRecord| c.conflict.as_ref().map(|n| (n.id.clone(), n.field.clone()));
        (conflict(a).is_some(), conflict(a))
            .cmp(&(conflict(b).is_some(), conflict(b)))
            .then_with(|| {
                (
                    &a.source,
                    &a.provider,
                    &a.account,
                    &a.region,
                    &a.service,
                    &a.operation,
                    a.status,
                    a.calls,
                    &a.error,
                )
                    .cmp(&(
                        &b.source,
                        &b.provider,
                        &b.account,
                        &b.region,
                        &b.service,
                        &b.operation,
                        b.status,
                        b.calls,
                        &b.error,
                    ))
            })
    });
    // Equal records are adjacent: every field but a conflict's values is compared, and
    // notes of one id and field were united into one.
    coverage.dedup();
}
