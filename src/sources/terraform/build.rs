//! From Terraform's resource instances to snapshot resources, for every file of an estate at
//! once (a reference from one state to a resource of another resolves).
//!
//! 1. **Index** every instance of every file: managed ones are mapped, data sources are only
//!    looked up (a data source's subnet still tells a zone).
//! 2. **Prepare** each provider's facts that span instances (AWS zone name → ID per account,
//!    route tables and their associations, target group attachments, ...).
//! 3. **Map** each managed instance through its provider's table into a resource, or fold it
//!    into others (an association, a rule), or skip it (utility providers). Types no table
//!    knows are kept with `unknown` placement in their region and counted in coverage.
//! 4. **Resolve** the references the tables wrote as requirement members (cloud ids, ARNs,
//!    self links, Azure ids, any case) into resource ids; references to nothing in the files
//!    are dropped from the requirement and counted in coverage.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::json;

use super::attrs::Attrs;
use super::planned::PLANNED;
use super::read::Instance;
use super::{aws, azure, gcp};
use crate::model::{
    CoverageRecord, CoverageStatus, Placement, RequirementGroup, Resource, SNAPSHOT_SCHEMA,
    Snapshot, Source, Zone,
};

/// Providers that create nothing in a cloud: their instances are skipped and counted.
const UTILITY_PROVIDERS: &[&str] = &[
    "random",
    "null",
    "local",
    "template",
    "time",
    "tls",
    "external",
    "terraform",
    "archive",
    "cloudinit",
    "http",
];

/// One file of instances to import.
#[derive(Debug, Clone, Copy)]
pub struct File<'a> {
    /// The path as the user gave it; becomes the source's name and every resource's
    /// `tf_state` attribute.
    pub origin: &'a str,
    pub instances: &'a [Instance],
}

/// A managed or data instance of the estate, with the file it came from.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub file: usize,
    pub instance: &'a Instance,
}

impl<'a> Entry<'a> {
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs(&self.instance.attributes)
    }

    pub fn type_name(&self) -> &'a str {
        &self.instance.type_name
    }
}

/// Every instance of the estate, and lookups by type and by reference.
pub struct Index<'a> {
    pub files: Vec<File<'a>>,
    /// Managed instances (not data sources), in file order.
    pub managed: Vec<Entry<'a>>,
    /// Data sources, only looked up.
    pub data: Vec<Entry<'a>>,
    by_type: HashMap<&'a str, Vec<usize>>,
    /// Reference key → position in `managed` (or in `data`, offset by `managed.len()`).
    by_key: HashMap<String, usize>,
}

/// The key a reference is looked up by: case folded (Azure ids are case-insensitive, and no
/// cloud distinguishes ids by case alone), Google API URLs reduced to their resource path.
pub fn key(reference: &str) -> String {
    let text = reference.trim();
    // An instance a plan creates has no id yet: whatever a table built around its placeholder
    // (`arn:…:subnet/tf-planned:aws_subnet.a`) refers to the instance the placeholder names.
    if let Some(at) = text.find(PLANNED) {
        return text[at..].to_lowercase();
    }
    let text = text
        .strip_prefix("https://www.googleapis.com/")
        .or_else(|| text.strip_prefix("https://compute.googleapis.com/"))
        .map(|rest| {
            // `compute/v1/projects/...` (or `compute/beta/...`) → `projects/...`
            match rest.find("projects/") {
                Some(at) => &rest[at..],
                None => rest,
            }
        })
        .or_else(|| {
            text.strip_prefix("//")
                .and_then(|rest| rest.find('/').map(|at| &rest[at + 1..]))
        })
        .unwrap_or(text);
    text.to_lowercase()
}

/// The key of a Terraform address within one file (addresses repeat across files).
pub fn address_key(file: usize, address: &str) -> String {
    key(&format!("tf:{file}:{address}"))
}

/// The key of the id placeholder a plan's instance gets before apply (see
/// [`super::planned`]).
fn planned_key(address: &str) -> String {
    key(&format!("{PLANNED}{address}"))
}

impl<'a> Index<'a> {
    pub fn new(files: &[File<'a>]) -> Self {
        let mut index = Index {
            files: files.to_vec(),
            managed: Vec::new(),
            data: Vec::new(),
            by_type: HashMap::new(),
            by_key: HashMap::new(),
        };
        for (file, f) in files.iter().enumerate() {
            for instance in f.instances {
                let entry = Entry { file, instance };
                if instance.data {
                    index.data.push(entry);
                } else {
                    index.managed.push(entry);
                }
            }
        }
        for (at, entry) in index.managed.iter().enumerate() {
            index
                .by_type
                .entry(entry.instance.type_name.as_str())
                .or_default()
                .push(at);
        }
        let offset = index.managed.len();
        let keyed: Vec<(usize, Entry<'a>)> = index
            .managed
            .iter()
            .copied()
            .enumerate()
            .chain(
                index
                    .data
                    .iter()
                    .copied()
                    .enumerate()
                    .map(|(i, e)| (i + offset, e)),
            )
            .collect();
        for (at, entry) in keyed {
            index
                .by_key
                .insert(address_key(entry.file, &entry.instance.address), at);
            index
                .by_key
                .entry(planned_key(&entry.instance.address))
                .or_insert(at);
            let attrs = entry.attrs();
            for name in ["id", "arn", "self_link"] {
                if let Some(value) = attrs.str(name) {
                    // Managed instances win over data sources of the same object.
                    index.by_key.entry(key(value)).or_insert(at);
                }
            }
        }
        index
    }

    /// Managed instances of one type.
    pub fn of_type<'s>(&'s self, type_name: &str) -> impl Iterator<Item = Entry<'a>> + 's {
        self.by_type
            .get(type_name)
            .into_iter()
            .flatten()
            .map(|&at| self.managed[at])
    }

    /// The managed instance (or, failing that, the data source) a reference names: its id,
    /// ARN or self link in any case or URL form.
    pub fn lookup(&self, reference: &str) -> Option<Entry<'a>> {
        let at = *self.by_key.get(&key(reference))?;
        Some(if at < self.managed.len() {
            self.managed[at]
        } else {
            self.data[at - self.managed.len()]
        })
    }
}

/// What a provider's table made of one managed instance.
pub enum Outcome {
    /// A resource. Its requirement members are references (cloud ids, ARNs, self links,
    /// [`address_key`]s) resolved after every instance is mapped.
    Made(Box<Made>),
    /// Merged into other resources as an edge or an attribute.
    Folded,
}

/// A resource made from an instance.
pub struct Made {
    pub resource: Resource,
    /// The zones its placement names, with their regions.
    pub zones: Vec<Zone>,
    /// Other keys that refer to it (the cloud's short id when the resource id is an ARN).
    pub aliases: Vec<String>,
}

impl Made {
    pub fn new(resource: Resource) -> Self {
        Made {
            resource,
            zones: Vec::new(),
            aliases: Vec::new(),
        }
    }

    pub fn zone(mut self, zone: Option<Zone>) -> Self {
        self.zones.extend(zone);
        self
    }

    pub fn alias(mut self, alias: Option<&str>) -> Self {
        self.aliases.extend(alias.map(str::to_string));
        self
    }
}

/// A gap found while importing, reported as a coverage record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gap {
    pub provider: String,
    pub account: Option<String>,
    pub region: Option<String>,
    /// What could not be read in full: a resource type, `zone names`, `references`.
    pub what: String,
    pub detail: String,
}

/// What each provider's table needs besides the index: where it writes gaps.
#[derive(Default)]
pub struct Notes {
    gaps: BTreeMap<GapKey, (u64, BTreeSet<String>)>,
}

/// Provider, account, region and what: the gaps of one key are counted together.
type GapKey = (String, Option<String>, Option<String>, String);

impl Notes {
    /// Count one occurrence of a gap, with an example (at most three are kept).
    pub fn gap(
        &mut self,
        provider: &str,
        account: Option<&str>,
        region: Option<&str>,
        what: &str,
        example: &str,
    ) {
        let entry = self
            .gaps
            .entry((
                provider.to_string(),
                account.map(str::to_string),
                region.map(str::to_string),
                what.to_string(),
            ))
            .or_default();
        entry.0 += 1;
        if entry.1.len() < 3 {
            entry.1.insert(example.to_string());
        }
    }

    fn records(self) -> Vec<CoverageRecord> {
        self.gaps
            .into_iter()
            .map(
                |((provider, account, region, what), (count, examples))| CoverageRecord {
                    source: "terraform".into(),
                    provider: Some(provider),
                    account,
                    region,
                    service: "terraform".into(),
                    operation: what.clone(),
                    status: CoverageStatus::Failed,
                    calls: None,
                    error: Some(describe_gap(&what, count, &examples)),
                    conflict: None,
                },
            )
            .collect()
    }
}

fn describe_gap(what: &str, count: u64, examples: &BTreeSet<String>) -> String {
    let examples = examples.iter().cloned().collect::<Vec<_>>().join(", ");
    match what {
        "references" => format!(
            "{count} reference(s) to resources in none of the state files were left out of the \
             requirements (e.g. {examples}); add the state that holds them"
        ),
        "zone names" => format!(
            "{count} resource(s) name a zone whose zone ID no subnet of the account maps \
             (e.g. {examples}); kept as the zone name, which differs between accounts"
        ),
        _ => format!(
            "{count} instance(s) of {what} kept with unknown placement: linchpin has no \
             placement rule for this type (e.g. {examples})"
        ),
    }
}

/// The linchpin provider of a Terraform provider.
pub fn provider_of(terraform_provider: &str) -> &str {
    match terraform_provider {
        "google" | "google-beta" => "gcp",
        "azurerm" | "azapi" => "azure",
        other => other,
    }
}

/// A resource of `provider` made from `entry`, with the attributes every Terraform resource
/// carries (`tf_address`, `tf_state`) and its tags; the table sets the rest.
pub fn resource(
    index: &Index<'_>,
    entry: Entry<'_>,
    id: String,
    kind: &str,
    placement: Placement,
) -> Resource {
    let instance = entry.instance;
    let attrs = entry.attrs();
    let mut tags = attrs.map("tags");
    for (k, v) in attrs.map("labels") {
        tags.entry(k).or_insert(v);
    }
    let name = attrs
        .str("name")
        .map(str::to_string)
        .or_else(|| tags.get("Name").cloned())
        .unwrap_or_else(|| instance.address.clone());
    let mut attributes = BTreeMap::new();
    attributes.insert("tf_address".into(), json!(instance.address));
    attributes.insert("tf_state".into(), json!(index.files[entry.file].origin));
    if instance.tainted {
        attributes.insert("tf_tainted".into(), json!(true));
    }
    Resource {
        id,
        provider: provider_of(&instance.provider).to_string(),
        account: None,
        region: None,
        kind: kind.to_string(),
        name,
        tags,
        attributes,
        placement,
        requirements: Vec::new(),
        external: false,
        sources: Vec::new(),
    }
}

/// The resource of a type no table knows: kept with unknown placement (in its region when
/// one can be read), never dropped and never taken as safe.
fn unknown(tables: &Tables, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
    let instance = entry.instance;
    let attrs = entry.attrs();
    let provider = provider_of(&instance.provider).to_string();
    let made = match provider.as_str() {
        "aws" => tables.aws.unknown(index, entry),
        "gcp" => tables.gcp.unknown(index, entry),
        "azure" => tables.azure.unknown(index, entry),
        _ => {
            let mut resource = resource(
                index,
                entry,
                fallback_id(entry),
                &format!("{provider}:terraform:{}", instance.type_name),
                Placement::Unknown,
            );
            resource.region = attrs
                .str("region")
                .or_else(|| attrs.str("location"))
                .map(str::to_string);
            Made::new(resource)
        }
    };
    notes.gap(
        &made.resource.provider,
        made.resource.account.as_deref(),
        made.resource.region.as_deref(),
        &instance.type_name,
        &instance.address,
    );
    made
}

/// The id of a resource whose state holds no cloud id: its Terraform address.
pub fn fallback_id(entry: Entry<'_>) -> String {
    entry.instance.address.clone()
}

/// How one file's instances were accounted for.
#[derive(Default)]
struct Tally {
    instances: u64,
    resources: u64,
    folded: BTreeMap<String, u64>,
    skipped: BTreeMap<String, u64>,
}

/// Import every file into one snapshot.
pub fn import(files: &[File<'_>]) -> Snapshot {
    import_beside(files, &[])
}

/// Import every file into one snapshot that will be merged with `beside` (a crawl of the same
/// estate): references to their ids resolve to them instead of dangling.
pub fn import_beside(files: &[File<'_>], beside: &[Resource]) -> Snapshot {
    import_with(files, beside, false).0
}

/// [`import_beside`], for a merge that keeps each file's version of a resource: every
/// resource names its file in `sources`, and a resource another file already holds is not
/// folded into the first file's version but returned beside the snapshot (its references
/// resolved alike), for the merge to join them and note where they disagree.
pub fn import_apart(files: &[File<'_>], beside: &[Resource]) -> (Snapshot, Vec<Resource>) {
    import_with(files, beside, true)
}

fn import_with(files: &[File<'_>], beside: &[Resource], apart: bool) -> (Snapshot, Vec<Resource>) {
    let index = Index::new(files);
    let tables = Tables {
        aws: aws::Facts::prepare(&index),
        gcp: gcp::Facts::prepare(&index),
        azure: azure::Facts::prepare(&index),
    };
    let mut notes = Notes::default();
    let mut tallies: Vec<Tally> = files.iter().map(|_| Tally::default()).collect();
    let mut made: Vec<(Entry<'_>, Made)> = Vec::with_capacity(index.managed.len());
    for &entry in &index.managed {
        let tally = &mut tallies[entry.file];
        tally.instances += 1;
        let provider = entry.instance.provider.as_str();
        if UTILITY_PROVIDERS.contains(&provider) {
            *tally
                .skipped
                .entry(entry.instance.type_name.clone())
                .or_default() += 1;
            continue;
        }
        let outcome = match provider_of(provider) {
            "aws" => tables.aws.map(&index, entry, &mut notes),
            "gcp" => tables.gcp.map(&index, entry, &mut notes),
            "azure" => tables.azure.map(&index, entry, &mut notes),
            _ => None,
        };
        match outcome
            .unwrap_or_else(|| Outcome::Made(Box::new(unknown(&tables, &index, entry, &mut notes))))
        {
            Outcome::Made(m) => made.push((entry, *m)),
            Outcome::Folded => {
                *tally
                    .folded
                    .entry(entry.instance.type_name.clone())
                    .or_default() += 1;
            }
        }
    }
    assemble(&index, made, tallies, notes, beside, apart)
}

struct Tables {
    aws: aws::Facts,
    gcp: gcp::Facts,
    azure: azure::Facts,
}

/// Merge resources of one id, resolve references, and write the snapshot; `apart`: see
/// [`import_apart`].
fn assemble(
    index: &Index<'_>,
    made: Vec<(Entry<'_>, Made)>,
    mut tallies: Vec<Tally>,
    mut notes: Notes,
    beside: &[Resource],
    apart: bool,
) -> (Snapshot, Vec<Resource>) {
    let mut zones: BTreeMap<String, Zone> = BTreeMap::new();
    let mut resources: Vec<Resource> = Vec::with_capacity(made.len());
    let mut at_key: HashMap<String, usize> = HashMap::with_capacity(made.len() * 2);
    // With `apart`: the file of each resource, and the other files' versions (with the
    // position of the first version).
    let mut file_of: Vec<usize> = Vec::new();
    let mut others: Vec<(usize, Resource)> = Vec::new();
    let label = |file: usize| format!("terraform:{}", index.files[file].origin);
    for (entry, m) in made {
        let file = entry.file;
        for zone in m.zones {
            zones.entry(zone.id.to_string()).or_insert(zone);
        }
        let id_key = key(&m.resource.id);
        if let Some(&first) = at_key.get(&id_key)
            && apart
            && file_of[first] != file
        {
            let mut other = m.resource;
            other.sources = vec![label(file)];
            tallies[file].resources += 1;
            others.push((first, other));
            continue;
        }
        if let Some(&first) = at_key.get(&id_key) {
            // The same cloud object written twice (a bucket and its versioning resource):
            // one resource; the second counts as folded into it.
            let second = m.resource;
            let kept: &mut Resource = &mut resources[first];
            for (k, v) in second.attributes {
                kept.attributes.entry(k).or_insert(v);
            }
            kept.requirements.extend(second.requirements);
            *tallies[file]
                .folded
                .entry(entry.instance.type_name.clone())
                .or_default() += 1;
            continue;
        }
        let at = resources.len();
        at_key.insert(id_key, at);
        for alias in m.aliases {
            at_key.entry(key(&alias)).or_insert(at);
        }
        at_key
            .entry(address_key(file, &entry.instance.address))
            .or_insert(at);
        at_key
            .entry(planned_key(&entry.instance.address))
            .or_insert(at);
        tallies[file].resources += 1;
        let mut resource = m.resource;
        if apart {
            resource.sources = vec![label(file)];
            file_of.push(file);
        }
        resources.push(resource);
    }
    let mut ids: Vec<String> = resources.iter().map(|r| r.id.clone()).collect();
    add_beside(beside, &mut at_key, &mut ids);
    let mut outside = Outside::default();
    for (own, resource) in resources.iter_mut().enumerate() {
        resolve(resource, own, &at_key, &ids, &mut notes, &mut outside);
    }
    for (own, resource) in &mut others {
        resolve(resource, *own, &at_key, &ids, &mut notes, &mut outside);
    }
    resources.extend(outside.0.into_values());
    let snapshot = Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        sources: file_sources(index, tallies),
        coverage: notes.records(),
        zones: zones.into_values().collect(),
        entity: None,
        third_parties: Vec::new(),
        resources,
    };
    (snapshot, others.into_iter().map(|(_, r)| r).collect())
}

/// Make the ids of `beside` (resources the estate will be merged with) known to references:
/// by id, and AWS ones also by the short id states name them by (`subnet-0abc`).
fn add_beside(beside: &[Resource], at_key: &mut HashMap<String, usize>, ids: &mut Vec<String>) {
    for other in beside {
        let at = *at_key.entry(key(&other.id)).or_insert_with(|| {
            ids.push(other.id.clone());
            ids.len() - 1
        });
        if let Some(short) = crate::sources::aws::Arn::parse(&other.id)
            .map(|arn| arn.name())
            .filter(|name| is_short_aws_id(name))
        {
            at_key.entry(key(short)).or_insert(at);
        }
    }
}

/// One source per file, with how its instances were accounted for.
fn file_sources(index: &Index<'_>, tallies: Vec<Tally>) -> Vec<Source> {
    tallies
        .into_iter()
        .zip(&index.files)
        .map(|(tally, file)| {
            let mut source = Source::new("terraform", file.origin);
            source.instances = Some(tally.instances);
            source.resources = Some(tally.resources);
            source.folded = tally.folded;
            source.skipped = tally.skipped;
            source
        })
        .collect()
}

/// An id of the `prefix-hex` form EC2, EFS and their kin give (`subnet-0abc12de`, `i-…`,
/// `fs-…`): unique enough to stand for its ARN.
fn is_short_aws_id(name: &str) -> bool {
    name.split_once('-').is_some_and(|(prefix, hex)| {
        !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_lowercase())
            && hex.len() >= 8
            && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// The external stand-ins of an import, by reference key: resources named by full id (an
/// ARN, an Azure resource id) that none of the files holds.
#[derive(Default)]
struct Outside(BTreeMap<String, Resource>);

impl Outside {
    /// The id of the stand-in for `reference`, when the reference is a full id.
    fn stand_in(&mut self, key: String, reference: &str) -> Option<String> {
        if let Some(known) = self.0.get(&key) {
            return Some(known.id.clone());
        }
        if reference.contains(PLANNED) {
            return None;
        }
        let stand_in = crate::sources::external::stand_in(reference.trim())?;
        let id = stand_in.id.clone();
        self.0.insert(key, stand_in);
        Some(id)
    }
}

/// Requirement members from references to resource ids; a reference by full id to nothing in
/// the files names an external stand-in, any other reference to nothing is dropped (and
/// counted), a group left empty is dropped, a resource never requires itself.
fn resolve(
    resource: &mut Resource,
    own: usize,
    at_key: &HashMap<String, usize>,
    ids: &[String],
    notes: &mut Notes,
    outside: &mut Outside,
) {
    let mut groups = std::mem::take(&mut resource.requirements);
    for group in &mut groups {
        let mut members: Vec<String> = Vec::new();
        for reference in group.members() {
            let k = key(reference);
            match at_key.get(&k) {
                Some(&at) if at != own => {
                    if !members.contains(&ids[at]) {
                        members.push(ids[at].clone());
                    }
                }
                Some(_) => {}
                None if let Some(id) = outside.stand_in(k, reference) => {
                    if !members.contains(&id) {
                        members.push(id);
                    }
                }
                None => notes.gap(
                    &resource.provider,
                    resource.account.as_deref(),
                    resource.region.as_deref(),
                    "references",
                    &format!("{reference} from {}", resource.label()),
                ),
            }
        }
        *group = match (group.requires.is_some(), members.len()) {
            (_, 0) => RequirementGroup::default(),
            (true, _) | (false, 1) if group.min.unwrap_or(1) <= 1 => RequirementGroup {
                requires: Some(members.remove(0)),
                label: group.label.take(),
                ..Default::default()
            },
            _ => {
                let min = group.min.map(|m| m.min(members.len() as u32));
                RequirementGroup {
                    any_of: Some(members),
                    min,
                    label: group.label.take(),
                    ..Default::default()
                }
            }
        };
    }
    groups.retain(|g| !g.members().is_empty());
    // Two tables may state the same need (an instance's subnet, from the instance and from
    // its network interface): keep it once.
    let mut seen = BTreeSet::new();
    groups.retain(|g| seen.insert((g.members().to_vec(), g.quorum())));
    resource.requirements = groups;
}
