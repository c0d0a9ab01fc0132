//! Reading a snapshot: parse, then validate, reporting every problem at once.
//!
//! Loading has two steps. A well-formed document is deserialized in one pass (the fast path
//! that a million-resource snapshot takes, its resources split across cores by
//! [`super::split`]). When that fails on a data error, the document is
//! re-read element by element so that every malformed resource, zone or coverage record is
//! reported, not just the first. Either way the typed snapshot is then validated as a whole
//! (duplicate ids, dangling references, zones in the wrong region, impossible quorums, ...).
//! Each problem carries its JSON path; the line and column are found only when there is an
//! error to print, so the fast path pays nothing for them.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diag::{JsonPath, Problem, line_column, locate};
use crate::model::{Placement, Resource, SNAPSHOT_SCHEMA, Snapshot, Zone};

/// Why a snapshot could not be loaded: every problem found, with where it is.
#[derive(Debug, thiserror::Error)]
pub struct SnapshotError {
    /// The file (or `<demo>`, `<stdin>`).
    pub origin: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "{}: invalid snapshot ({count} problem{})",
            self.origin,
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  {}", self.origin)?;
            if let Some(line) = problem.line {
                write!(f, ":{line}")?;
                if let Some(column) = problem.column {
                    write!(f, ":{column}")?;
                }
            }
            write!(f, ": {}: {}", problem.path, problem.message)?;
        }
        Ok(())
    }
}

/// Read and validate a snapshot file; `-` reads standard input.
pub fn load_file(path: &Path) -> Result<Snapshot, SnapshotError> {
    let stdin = path.as_os_str() == "-";
    let origin = if stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let read = || {
        if stdin {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map(|_| bytes)
        } else {
            std::fs::read(path)
        }
    };
    let bytes = read().map_err(|err| SnapshotError {
        origin: origin.clone(),
        problems: vec![Problem::new(
            JsonPath::root(),
            format!("cannot read file: {err}"),
        )],
    })?;
    let text = String::from_utf8(bytes).map_err(|err| {
        let (line, column) = line_column(
            &String::from_utf8_lossy(err.as_bytes()),
            err.utf8_error().valid_up_to(),
        );
        SnapshotError {
            origin: origin.clone(),
            problems: vec![Problem {
                path: JsonPath::root(),
                line: Some(line),
                column: Some(column),
                message: "the file is not valid UTF-8".into(),
            }],
        }
    })?;
    load_str(&text, &origin)
}

/// Parse and validate a snapshot held in memory; `origin` names it in errors.
pub fn load_str(text: &str, origin: &str) -> Result<Snapshot, SnapshotError> {
    let fail = |mut problems: Vec<Problem>| {
        locate(text, &mut problems);
        problems.sort_by_key(|p| (p.line, p.column));
        SnapshotError {
            origin: origin.to_string(),
            problems,
        }
    };
    let started = std::time::Instant::now();
    let parsed = match super::split::parse(text) {
        Some(snapshot) => Ok(snapshot),
        None => serde_json::from_str::<Snapshot>(text),
    };
    match parsed {
        Ok(snapshot) => {
            tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "parsed");
            let problems = validate(&snapshot);
            tracing::debug!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "validated"
            );
            if problems.is_empty() {
                Ok(snapshot)
            } else {
                Err(fail(problems))
            }
        }
        Err(err) if err.is_syntax() || err.is_eof() || err.is_io() => Err(SnapshotError {
            origin: origin.to_string(),
            problems: vec![Problem {
                path: JsonPath::root(),
                line: Some(err.line()),
                column: Some(err.column().max(1)),
                message: format!("invalid JSON: {}", strip_position(&err.to_string())),
            }],
        }),
        Err(err) => {
            let problems = collect_data_problems(text);
            if problems.is_empty() {
                // Something only the strict pass sees (a key given twice): report it as is.
                return Err(SnapshotError {
                    origin: origin.to_string(),
                    problems: vec![Problem {
                        path: JsonPath::root(),
                        line: Some(err.line()),
                        column: Some(err.column().max(1)),
                        message: strip_position(&err.to_string()).to_string(),
                    }],
                });
            }
            Err(fail(problems))
        }
    }
}

/// serde_json appends " at line L column C"; the location is printed separately.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
}

/// The top-level keys of a snapshot, in the order messages list them (the fields of
/// [`Snapshot`]; a test holds the two together).
const KEYS: [&str; 7] = [
    "schema",
    "sources",
    "coverage",
    "zones",
    "entity",
    "third_parties",
    "resources",
];

/// The slow path: deserialize element by element so every malformed element is reported,
/// then validate what did deserialize.
fn collect_data_problems(text: &str) -> Vec<Problem> {
    let root = JsonPath::root();
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => {
            return vec![Problem::new(root, format!("invalid JSON: {err}"))];
        }
    };
    let Value::Object(top) = value else {
        return vec![Problem::new(root, "a snapshot must be a JSON object")];
    };
    let mut problems = Vec::new();
    for key in top.keys() {
        if !KEYS.contains(&key.as_str()) {
            problems.push(Problem::new(
                root.key(key),
                format!("unknown key `{key}`; expected one of {}", KEYS.join(", ")),
            ));
        }
    }
    match top.get("schema") {
        Some(Value::String(_)) => {}
        Some(_) => problems.push(Problem::new(
            root.key("schema"),
            "`schema` must be a string",
        )),
        None => problems.push(Problem::new(
            root.key("schema"),
            format!("missing `schema`; expected \"{SNAPSHOT_SCHEMA}\""),
        )),
    }
    if !top.contains_key("resources") {
        problems.push(Problem::new(root.key("resources"), "missing `resources`"));
    }
    let _: Vec<Option<crate::model::Source>> = elements(&top, "sources", &root, &mut problems);
    let _: Vec<Option<crate::model::CoverageRecord>> =
        elements(&top, "coverage", &root, &mut problems);
    let _: Vec<Option<crate::model::ThirdParty>> =
        elements(&top, "third_parties", &root, &mut problems);
    if let Some(entity) = top.get("entity") {
        let _: Option<crate::model::Entity> = element(entity, root.key("entity"), &mut problems);
    }
    let zones: Vec<Option<Zone>> = elements(&top, "zones", &root, &mut problems);
    let resources: Vec<Option<Resource>> = elements(&top, "resources", &root, &mut problems);

    // Resources and zones that failed to deserialize still exist: references to them are not
    // dangling, and reporting them would bury the real problem.
    let extra_ids = unparsed_ids(&top, "resources", &resources);
    let extra_zones = unparsed_ids(&top, "zones", &zones);
    let schema = top.get("schema").and_then(Value::as_str);
    problems.extend(validate_parts(
        schema,
        &zones.iter().map(Option::as_ref).collect::<Vec<_>>(),
        &resources.iter().map(Option::as_ref).collect::<Vec<_>>(),
        &Known {
            ids: extra_ids,
            zones: extra_zones,
        },
    ));
    problems
}

/// The `id`s of the elements of the array at `key` that failed to deserialize.
fn unparsed_ids<T>(
    top: &serde_json::Map<String, Value>,
    key: &str,
    parsed: &[Option<T>],
) -> HashSet<String> {
    let Some(Value::Array(items)) = top.get(key) else {
        return HashSet::default();
    };
    items
        .iter()
        .zip(parsed)
        .filter(|(_, parsed)| parsed.is_none())
        .filter_map(|(item, _)| item.get("id").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// Deserialize each element of the array at `key`, recording a problem for each failure.
fn elements<T: DeserializeOwned>(
    top: &serde_json::Map<String, Value>,
    key: &str,
    root: &JsonPath,
    problems: &mut Vec<Problem>,
) -> Vec<Option<T>> {
    let path = root.key(key);
    match top.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| element(item, path.index(index), problems))
            .collect(),
        Some(_) => {
            problems.push(Problem::new(path, format!("`{key}` must be an array")));
            Vec::new()
        }
    }
}

/// Deserialize `item`, found at `path`; a failure is recorded as a problem at the path of
/// what failed inside it.
fn element<T: DeserializeOwned>(
    item: &Value,
    path: JsonPath,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(item) {
        Ok(parsed) => Some(parsed),
        Err(err) => {
            let mut at = path;
            for segment in err.path().iter() {
                match segment {
                    serde_path_to_error::Segment::Seq { index } => at = at.index(*index),
                    serde_path_to_error::Segment::Map { key }
                    | serde_path_to_error::Segment::Enum { variant: key } => at = at.key(key),
                    serde_path_to_error::Segment::Unknown => {}
                }
            }
            problems.push(Problem::new(at, err.inner().to_string()));
            None
        }
    }
}

/// Validate a typed snapshot as a whole.
pub fn validate(snapshot: &Snapshot) -> Vec<Problem> {
    validate_parts(
        Some(&snapshot.schema),
        &snapshot.zones.iter().map(Some).collect::<Vec<_>>(),
        &snapshot.resources.iter().map(Some).collect::<Vec<_>>(),
        &Known::default(),
    )
}

/// Resource ids and zone ids that exist although their entries failed to deserialize:
/// references to them are not reported again.
#[derive(Default)]
struct Known {
    ids: HashSet<String>,
    zones: HashSet<String>,
}

/// Validate a snapshot's schema, zones and resources, given what failed to deserialize.
fn validate_parts(
    schema: Option<&str>,
    zones: &[Option<&Zone>],
    resources: &[Option<&Resource>],
    known: &Known,
) -> Vec<Problem> {
    let root = JsonPath::root();
    let mut problems = Vec::new();
    if let Some(schema) = schema
        && schema != SNAPSHOT_SCHEMA
    {
        problems.push(Problem::new(
            root.key("schema"),
            format!("unsupported schema \"{schema}\"; this version reads \"{SNAPSHOT_SCHEMA}\""),
        ));
    }

    // Region names must identify one region across providers: failure domains are keyed by
    // name, so `ap-northeast-1` under two providers would merge two domains into one.
    let mut regions = RegionOwners::default();
    let zone_at = check_zones(zones, &mut regions, &mut problems);
    let id_at = index_resources(resources, &mut problems);
    check_resources(
        resources,
        &zone_at,
        &id_at,
        known,
        &mut regions,
        &mut problems,
    );
    problems
}

/// Check each zone (id, provider, region, duplicates); returns the zones by id.
fn check_zones<'z>(
    zones: &[Option<&'z Zone>],
    regions: &mut RegionOwners,
    problems: &mut Vec<Problem>,
) -> HashMap<&'z str, &'z Zone> {
    // Paths are built only when there is a problem to report: the happy path of a
    // million-resource snapshot allocates nothing per resource here.
    let zone_path = |index: usize| JsonPath::root().key("zones").index(index);
    let mut zone_at: HashMap<&str, &Zone> =
        HashMap::with_capacity_and_hasher(zones.len(), Default::default());
    for (index, zone) in zones.iter().enumerate() {
        let Some(zone) = zone else { continue };
        if zone.id.as_str().is_empty() {
            problems.push(Problem::new(zone_path(index).key("id"), "zone id is empty"));
            continue;
        }
        if zone_at.insert(zone.id.as_str(), zone).is_some() {
            let first = zones
                .iter()
                .position(|z| z.is_some_and(|z| z.id == zone.id))
                .unwrap_or(index);
            problems.push(Problem::new(
                zone_path(index).key("id"),
                format!(
                    "zone `{}` is declared twice (first at $.zones[{first}])",
                    zone.id
                ),
            ));
            continue;
        }
        for (key, value) in [("provider", &zone.provider), ("region", &zone.region)] {
            if value.is_empty() {
                problems.push(Problem::new(
                    zone_path(index).key(key),
                    format!("{key} is empty"),
                ));
            }
        }
        regions.check(&zone.region, &zone.provider, Origin::Zone(index), problems);
    }
    zone_at
}

/// The index of each resource by id, reporting empty and duplicate ids.
fn index_resources<'r>(
    resources: &[Option<&'r Resource>],
    problems: &mut Vec<Problem>,
) -> HashMap<&'r str, usize> {
    let mut id_at: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(resources.len(), Default::default());
    for (index, resource) in resources.iter().enumerate() {
        let Some(resource) = resource else { continue };
        if resource.id.is_empty() {
            problems.push(Problem::new(
                resource_path(index).key("id"),
                "resource id is empty",
            ));
        } else if let Some(first) = id_at.get(resource.id.as_str()) {
            problems.push(Problem::new(
                resource_path(index).key("id"),
                format!(
                    "duplicate resource id `{}` (first at $.resources[{first}])",
                    resource.id
                ),
            ));
        } else {
            id_at.insert(&resource.id, index);
        }
    }
    id_at
}

/// Check each resource's fields, region, placement and requirement groups.
fn check_resources(
    resources: &[Option<&Resource>],
    zone_at: &HashMap<&str, &Zone>,
    id_at: &HashMap<&str, usize>,
    known: &Known,
    regions: &mut RegionOwners,
    problems: &mut Vec<Problem>,
) {
    for (index, resource) in resources.iter().enumerate() {
        let Some(resource) = resource else { continue };
        if resource.provider.is_empty() {
            problems.push(Problem::new(
                resource_path(index).key("provider"),
                "provider is empty",
            ));
        }
        if resource.kind.is_empty() {
            problems.push(Problem::new(
                resource_path(index).key("kind"),
                "kind is empty",
            ));
        }
        if let Some(region) = &resource.region {
            if region.is_empty() {
                problems.push(Problem::new(
                    resource_path(index).key("region"),
                    "region is empty",
                ));
            } else {
                regions.check(
                    region,
                    &resource.provider,
                    Origin::Resource(index),
                    problems,
                );
            }
        }
        if resource.external {
            check_external(resource, index, problems);
        }
        check_placement(resource, index, zone_at, &known.zones, problems);
        for (group_index, group) in resource.requirements.iter().enumerate() {
            check_group(group, index, group_index, id_at, &known.ids, problems);
        }
    }
}

/// An external stand-in is known only by its id: placement `unknown`, no requirements.
fn check_external(resource: &Resource, index: usize, problems: &mut Vec<Problem>) {
    if resource.placement != Placement::Unknown {
        problems.push(Problem::new(
            resource_path(index).key("placement"),
            format!(
                "an external resource (held by another snapshot) has placement `unknown`, not `{}`",
                resource.placement.type_name()
            ),
        ));
    }
    if !resource.requirements.is_empty() {
        problems.push(Problem::new(
            resource_path(index).key("requirements"),
            "an external resource (held by another snapshot) has no requirements here",
        ));
    }
}

fn resource_path(index: usize) -> JsonPath {
    JsonPath::root().key("resources").index(index)
}

/// Where a region name was first seen.
#[derive(Clone, Copy)]
enum Origin {
    Zone(usize),
    Resource(usize),
}

impl Origin {
    fn path(self) -> JsonPath {
        match self {
            Origin::Zone(index) => JsonPath::root().key("zones").index(index).key("region"),
            Origin::Resource(index) => resource_path(index).key("region"),
        }
    }
}

/// Which provider first used each region name, and where.
#[derive(Default)]
struct RegionOwners {
    owners: HashMap<String, (String, Origin)>,
}

impl RegionOwners {
    fn check(&mut self, region: &str, provider: &str, at: Origin, problems: &mut Vec<Problem>) {
        match self.owners.get(region) {
            Some((owner, first)) if owner != provider => problems.push(Problem::new(
                at.path(),
                format!(
                    "region `{region}` is used by providers `{owner}` (at {}) and \
                     `{provider}`; region names must be unique across providers",
                    first.path()
                ),
            )),
            Some(_) => {}
            None => {
                self.owners
                    .insert(region.to_string(), (provider.to_string(), at));
            }
        }
    }
}

/// Positions of items equal to an earlier item (lists here are short: zones, group members).
fn repeated<T: AsRef<str> + PartialEq>(items: &[T]) -> Vec<usize> {
    if items.len() <= 32 {
        (1..items.len())
            .filter(|&i| items[..i].contains(&items[i]))
            .collect()
    } else {
        let mut seen = HashSet::with_capacity_and_hasher(items.len(), Default::default());
        (0..items.len())
            .filter(|&i| !seen.insert(items[i].as_ref()))
            .collect()
    }
}

fn check_placement(
    resource: &Resource,
    index: usize,
    zone_at: &HashMap<&str, &Zone>,
    extra_zones: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    let placement_path = || resource_path(index).key("placement");
    let needs_region = matches!(
        resource.placement,
        Placement::Zonal { .. }
            | Placement::MultiZone { .. }
            | Placement::Regional
            | Placement::Unpinned
    );
    if needs_region && resource.region.is_none() {
        problems.push(Problem::new(
            resource_path(index),
            format!(
                "placement `{}` needs the resource's `region`",
                resource.placement.type_name()
            ),
        ));
    }
    let zone_path = |zone_index: usize| match &resource.placement {
        Placement::Zonal { .. } => placement_path().key("zone"),
        _ => placement_path().key("zones").index(zone_index),
    };
    if let Placement::MultiZone { zones, .. } = &resource.placement
        && zones.is_empty()
    {
        problems.push(Problem::new(
            placement_path().key("zones"),
            "placement `multi_zone` needs at least one zone",
        ));
    }
    let zones = resource.placement.zones();
    let repeats = repeated(zones);
    for (zone_index, zone) in zones.iter().enumerate() {
        if repeats.contains(&zone_index) {
            problems.push(Problem::new(
                zone_path(zone_index),
                format!("zone `{zone}` is listed twice"),
            ));
            continue;
        }
        match zone_at.get(zone.as_str()) {
            None if extra_zones.contains(zone.as_str()) => {}
            None => problems.push(Problem::new(
                zone_path(zone_index),
                format!("zone `{zone}` is not declared in `zones`"),
            )),
            Some(declared) => {
                if let Some(region) = &resource.region
                    && *region != declared.region
                {
                    problems.push(Problem::new(
                        zone_path(zone_index),
                        format!(
                            "zone `{zone}` is in region `{}`, but the resource is in region `{region}`",
                            declared.region
                        ),
                    ));
                }
                if declared.provider != resource.provider {
                    problems.push(Problem::new(
                        zone_path(zone_index),
                        format!(
                            "zone `{zone}` belongs to provider `{}`, but the resource's provider is `{}`",
                            declared.provider, resource.provider
                        ),
                    ));
                }
            }
        }
    }
}

fn check_group(
    group: &crate::model::RequirementGroup,
    index: usize,
    group_index: usize,
    id_at: &HashMap<&str, usize>,
    extra_ids: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    let at = || resource_path(index).key("requirements").index(group_index);
    match (&group.requires, &group.any_of) {
        (Some(_), Some(_)) => problems.push(Problem::new(
            at(),
            "a requirement group has either `requires` or `any_of`, not both",
        )),
        (None, None) => problems.push(Problem::new(
            at(),
            "a requirement group needs `requires` or `any_of`",
        )),
        (Some(_), None) if group.min.is_some() => problems.push(Problem::new(
            at().key("min"),
            "`min` applies only to `any_of` groups",
        )),
        (None, Some(members)) => {
            if members.is_empty() {
                problems.push(Problem::new(at().key("any_of"), "`any_of` is empty"));
            }
            match group.min {
                Some(0) => problems.push(Problem::new(at().key("min"), "`min` must be at least 1")),
                Some(min) if min as usize > members.len() && !members.is_empty() => {
                    problems.push(Problem::new(
                        at().key("min"),
                        format!(
                            "`min` is {min} but the group has only {} member{}",
                            members.len(),
                            if members.len() == 1 { "" } else { "s" }
                        ),
                    ))
                }
                _ => {}
            }
        }
        (Some(_), None) => {}
    }
    let members = group.members();
    let member_path = |member_index: usize| match &group.requires {
        Some(_) => at().key("requires"),
        None => at().key("any_of").index(member_index),
    };
    let repeats = repeated(members);
    for (member_index, member) in members.iter().enumerate() {
        if repeats.contains(&member_index) {
            problems.push(Problem::new(
                member_path(member_index),
                format!("`{member}` is listed twice in one group"),
            ));
            continue;
        }
        if !id_at.contains_key(member.as_str()) && !extra_ids.contains(member) {
            problems.push(Problem::new(
                member_path(member_index),
                format!(
                    "requires `{member}`, which is not a resource of this snapshot (a resource \
                     another snapshot holds is declared with `\"external\": true`)"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_the_slow_path_knows_are_the_snapshots_fields() {
        let schema = super::super::json_schema();
        let mut fields: Vec<&str> = schema["properties"]
            .as_object()
            .expect("the snapshot schema lists its properties")
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = KEYS.to_vec();
        fields.sort_unstable();
        keys.sort_unstable();
        assert_eq!(keys, fields);
    }

    #[test]
    fn repeated_finds_later_copies_in_short_and_long_lists() {
        let short: Vec<String> = ["a", "b", "a", "a"].map(String::from).to_vec();
        assert_eq!(repeated(&short), vec![2, 3]);
        let mut long: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        long.push("7".into());
        assert_eq!(repeated(&long), vec![40]);
    }
}
