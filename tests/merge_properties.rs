//! `merge_all` is idempotent, commutative and associative on random snapshots that overlap
//! in ids (ARNs, Azure ids in any case, Terraform addresses), disagree on attributes, tags,
//! names, accounts, regions, placements and zone declarations, carry requirements, sources,
//! coverage and external stand-ins; a value given by an input is kept or named in a conflict
//! note, never lost silently; and inputs drawn from one consistent estate merge into a
//! snapshot that validates.

use std::collections::{BTreeMap, BTreeSet};

use linchpin::model::{
    CoverageRecord, CoverageStatus, Entity, Placement, RequirementGroup, Resource, SNAPSHOT_SCHEMA,
    Snapshot, Source, ThirdParty, Zone, ZoneId,
};
use linchpin::snapshot::validate;
use linchpin::sources::merge::{identity_key, merge_all};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The ids random snapshots draw from: `AZURE` ids come in random case.
const IDS: [&str; 6] = [
    "arn:aws:ec2:r0:111:instance/i-0",
    "arn:aws:ec2:r0:111:instance/I-0",
    "arn:aws:rds:r1:222:db:orders",
    "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm0",
    "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/natGateways/nat0",
    "aws_instance.web",
];

/// (zone, region, provider) of the consistent estate.
const ZONES: [(&str, &str, &str); 3] = [("z0", "r0", "p0"), ("z1", "r0", "p0"), ("z2", "r1", "p0")];

/// One random resource: an index into `IDS` and a number per field.
#[derive(Debug, Clone)]
struct Spec {
    id: u8,
    case: u8,
    fields: [u8; 8],
    groups: Vec<(Vec<u8>, u8, Option<u8>)>,
    external: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..IDS.len() as u8,
        any::<u8>(),
        any::<[u8; 8]>(),
        prop::collection::vec(
            (
                prop::collection::vec(0u8..IDS.len() as u8, 1..4),
                any::<u8>(),
                prop::option::of(0u8..3),
            ),
            0..3,
        ),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(id, case, fields, groups, external)| Spec {
            id,
            case,
            fields,
            groups,
            external,
        })
}

/// An id of `IDS`, Azure ones in a case picked by the bits of `case`.
fn spelled(index: u8, case: u8) -> String {
    let id = IDS[index as usize];
    if !id.starts_with('/') {
        return id.to_string();
    }
    id.chars()
        .enumerate()
        .map(|(i, c)| {
            if case & (1 << (i % 8)) != 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn pick<T: Clone>(options: &[T], n: u8) -> T {
    options[n as usize % options.len()].clone()
}

fn wild_resource(spec: &Spec) -> Resource {
    let f = spec.fields;
    let placements = [
        Placement::Unknown,
        Placement::Zonal { zone: "z0".into() },
        Placement::Zonal { zone: "z2".into() },
        Placement::MultiZone {
            zones: vec!["z1".into(), "z0".into()],
            inferred: false,
        },
        Placement::MultiZone {
            zones: vec!["z0".into(), "z1".into()],
            inferred: true,
        },
        Placement::Regional,
        Placement::Global {
            control_plane_region: Some("r0".into()),
        },
        Placement::Logical,
    ];
    let values = [
        json!(1),
        json!("one"),
        json!([1, 2]),
        json!({"b": 1, "a": [true]}),
    ];
    let id = spelled(spec.id, spec.case);
    let mut resource = Resource {
        id: id.clone(),
        provider: pick(&["p0", "p1"], f[0] % 5 / 4).to_string(),
        account: pick(&[None, Some("a0"), Some("a1")], f[1]).map(str::to_string),
        region: pick(&[None, Some("r0"), Some("r1")], f[2]).map(str::to_string),
        kind: pick(&["k0", "k1"], f[3] % 7 / 6).to_string(),
        name: pick(&["", "n0", "n1", id.as_str()], f[4]).to_string(),
        tags: BTreeMap::new(),
        attributes: BTreeMap::new(),
        placement: pick(&placements, f[5]),
        requirements: Vec::new(),
        external: false,
        sources: Vec::new(),
    };
    if f[6] & 1 != 0 {
        resource
            .tags
            .insert("t0".into(), pick(&["v0", "v1"], f[6] >> 1).to_string());
    }
    if f[6] & 4 != 0 {
        resource.tags.insert("t1".into(), "v".into());
    }
    if f[7] & 1 != 0 {
        resource
            .attributes
            .insert("x".into(), pick(&values, f[7] >> 1));
    }
    if f[7] & 8 != 0 {
        resource
            .attributes
            .insert("y".into(), json!(f[7] & 16 != 0));
    }
    if spec.external {
        resource.external = true;
        resource.placement = Placement::Unknown;
    } else {
        resource.requirements = groups(spec);
    }
    resource
}

fn groups(spec: &Spec) -> Vec<RequirementGroup> {
    spec.groups
        .iter()
        .map(|(members, case, min)| {
            let ids: Vec<String> = members.iter().map(|&m| spelled(m, *case)).collect();
            let group = if ids.len() == 1 && min.is_none() {
                RequirementGroup::requires(ids[0].clone())
            } else {
                RequirementGroup::any_of(ids, min.map(|m| u32::from(m) + 1))
            };
            match case % 3 {
                0 => group,
                n => group.with_label(format!("l{n}")),
            }
        })
        .collect()
}

/// A snapshot with one or two sources, maybe a coverage record, zone declarations that may
/// disagree on region and name, and the resources of the specs (one per identity).
fn wild_snapshot() -> impl Strategy<Value = Snapshot> {
    (
        prop::collection::vec(spec(), 0..5),
        prop::collection::vec(0u8..4, 1..3),
        prop::option::of(0u8..3),
        prop::collection::vec((0u8..3, any::<u8>()), 0..3),
        prop::option::of(0u8..3),
        prop::collection::vec((0u8..2, 0u8..3), 0..3),
    )
        .prop_map(|(specs, sources, coverage, zones, entity, parties)| {
            let sources: Vec<Source> = sources
                .iter()
                .map(|&s| Source::new(pick(&["aws", "terraform"], s), pick(&["a0", "x"], s / 2)))
                .collect();
            let coverage = coverage
                .map(|c| CoverageRecord {
                    source: "aws".into(),
                    provider: Some("aws".into()),
                    account: Some(pick(&["a0", "a1"], c).into()),
                    region: None,
                    service: "ec2".into(),
                    operation: "DescribeSubnets".into(),
                    status: pick(&[CoverageStatus::Complete, CoverageStatus::Failed], c),
                    calls: Some(1),
                    error: None,
                    conflict: None,
                })
                .into_iter()
                .collect();
            let mut declared = BTreeMap::new();
            for (zone, bits) in zones {
                let (id, region, provider) = ZONES[zone as usize];
                declared.entry(id).or_insert(Zone {
                    id: ZoneId::from(id),
                    provider: provider.into(),
                    region: if bits & 1 != 0 {
                        "r9".into()
                    } else {
                        region.into()
                    },
                    name: pick(&[None, Some("na"), Some("nb")], bits >> 1).map(str::to_string),
                });
            }
            let mut seen = BTreeSet::new();
            let resources = specs
                .iter()
                .filter(|s| seen.insert(identity_key(&spelled(s.id, s.case)).into_owned()))
                .map(wild_resource)
                .collect();
            let mut third_parties: BTreeMap<String, ThirdParty> = BTreeMap::new();
            for (party, variant) in parties {
                let party = third_party(party, variant);
                third_parties.entry(party.id.clone()).or_insert(party);
            }
            Snapshot {
                schema: SNAPSHOT_SCHEMA.into(),
                sources,
                coverage,
                zones: declared.into_values().collect(),
                entity: entity.map(|variant| Entity {
                    id: "e0".into(),
                    name: pick(&["", "Exchange", "Exchange KK"], variant).into(),
                    ..Entity::default()
                }),
                third_parties: third_parties.into_values().collect(),
                resources,
            }
        })
}

/// A third party of two, declared in one of three ways (two agree on everything but the
/// country).
fn third_party(party: u8, variant: u8) -> ThirdParty {
    ThirdParty {
        id: pick(&["vaultco", "edgeguard"], party).into(),
        name: pick(&["VaultCo", "EdgeGuard"], party).into(),
        country: pick(&[Some("JP"), Some("SG"), None], variant).map(str::to_string),
        countries: vec!["JP".into()],
        ..ThirdParty::default()
    }
}

/// A snapshot of one consistent estate (every id has one provider and kind, zones are where
/// they are): placements and regions agree with the zones, requirements name resources of
/// the snapshot or external stand-ins. Inputs still disagree on regions, placements, names,
/// accounts, tags and attributes.
fn world_snapshot() -> impl Strategy<Value = Snapshot> {
    (prop::collection::vec(spec(), 0..5), 0u8..3).prop_map(|(specs, source)| {
        let mut seen = BTreeSet::new();
        let mut resources: Vec<Resource> = specs
            .iter()
            .filter(|s| seen.insert(identity_key(&spelled(s.id, s.case)).into_owned()))
            .map(|spec| {
                let mut r = wild_resource(spec);
                r.provider = "p0".into();
                r.kind = format!("k{}", spec.id);
                if r.external {
                    return r;
                }
                let (placement, region) = match spec.fields[5] % 6 {
                    0 => (Placement::Unknown, r.region.clone()),
                    1 => (Placement::Zonal { zone: "z0".into() }, Some("r0".into())),
                    2 => (Placement::Zonal { zone: "z2".into() }, Some("r1".into())),
                    3 => (
                        Placement::MultiZone {
                            zones: vec!["z1".into(), "z0".into()],
                            inferred: false,
                        },
                        Some("r0".into()),
                    ),
                    4 => (
                        Placement::Regional,
                        Some(pick(&["r0", "r1"], spec.fields[2]).into()),
                    ),
                    _ => (Placement::Logical, None),
                };
                r.placement = placement;
                r.region = region;
                r
            })
            .collect();
        // Requirements name each id as this snapshot spells it; what it lacks is external.
        let spelling: BTreeMap<String, String> = resources
            .iter()
            .map(|r| (identity_key(&r.id).into_owned(), r.id.clone()))
            .collect();
        for r in &mut resources {
            for g in &mut r.requirements {
                let respell = |m: &mut String| {
                    if let Some(s) = spelling.get(identity_key(m).as_ref()) {
                        *m = s.clone();
                    }
                };
                g.requires.iter_mut().for_each(respell);
                if let Some(many) = &mut g.any_of {
                    many.iter_mut().for_each(respell);
                    many.sort();
                    many.dedup();
                    g.min = g.min.map(|m| m.min(many.len() as u32));
                }
            }
        }
        let mut external = Vec::new();
        for r in &resources {
            for m in r.requirements.iter().flat_map(|g| g.members()) {
                if !spelling.contains_key(identity_key(m).as_ref())
                    && !external.iter().any(|e: &Resource| e.id == *m)
                {
                    external.push(stand_in(m));
                }
            }
        }
        resources.extend(external);
        Snapshot {
            schema: SNAPSHOT_SCHEMA.into(),
            sources: vec![Source::new("aws", format!("s{source}"))],
            coverage: Vec::new(),
            zones: ZONES
                .iter()
                .map(|(id, region, provider)| Zone {
                    id: ZoneId::from(*id),
                    provider: provider.to_string(),
                    region: region.to_string(),
                    name: None,
                })
                .collect(),
            entity: None,
            third_parties: Vec::new(),
            resources,
        }
    })
}

fn stand_in(id: &str) -> Resource {
    Resource {
        provider: "p0".into(),
        kind: "external".into(),
        external: true,
        ..Resource::blank(id)
    }
}

fn merge(inputs: &[&Snapshot]) -> Snapshot {
    merge_all(inputs.iter().map(|s| (*s).clone()).collect())
}

/// The values of one field given by a resource, as conflict notes name them.
fn given(resource: &Resource, field: &str) -> Option<Value> {
    let named = !resource.name.is_empty() && resource.name != resource.id;
    match field {
        "provider" => Some(json!(resource.provider)),
        "kind" => Some(json!(resource.kind)),
        "name" => named.then(|| json!(resource.name)),
        "account" => resource.account.as_ref().map(|a| json!(a)),
        "placement" => {
            let mut placement = resource.placement.clone();
            if let Placement::MultiZone { zones, .. } = &mut placement {
                zones.sort();
            }
            Some(json!({"placement": placement, "region": resource.region}))
        }
        _ => match field.split_once('.') {
            Some(("tags", key)) => resource.tags.get(key).map(|v| json!(v)),
            Some(("attributes", key)) => resource.attributes.get(key).cloned(),
            _ => None,
        },
    }
}

/// The value of a field the merged resource holds.
fn held(resource: &Resource, field: &str) -> Option<Value> {
    given(resource, field)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn idempotent(a in wild_snapshot()) {
        let once = merge(&[&a]);
        prop_assert!(once.resources.windows(2).all(|w| w[0].id < w[1].id), "sorted by id");
        prop_assert_eq!(&merge(&[&once]), &once);
        prop_assert_eq!(&merge(&[&a, &a]), &once);
        prop_assert_eq!(&merge(&[&once, &a]), &once);
    }

    #[test]
    fn commutative(a in wild_snapshot(), b in wild_snapshot(), c in wild_snapshot()) {
        let abc = merge(&[&a, &b, &c]);
        prop_assert_eq!(&merge(&[&b, &a, &c]), &abc);
        prop_assert_eq!(&merge(&[&c, &b, &a]), &abc);
        prop_assert_eq!(&merge(&[&b, &c, &a]), &abc);
    }

    #[test]
    fn associative(a in wild_snapshot(), b in wild_snapshot(), c in wild_snapshot()) {
        let ab = merge(&[&a, &b]);
        let bc = merge(&[&b, &c]);
        let ac = merge(&[&a, &c]);
        let all = merge(&[&a, &b, &c]);
        prop_assert_eq!(&merge(&[&ab, &c]), &all);
        prop_assert_eq!(&merge(&[&a, &bc]), &all);
        prop_assert_eq!(&merge(&[&ac, &b]), &all);
        prop_assert_eq!(&merge(&[&ab, &bc]), &all);
    }

    /// Every value an input gives is the one kept, or named in the conflict note of its id
    /// and field; every source of the inputs is kept, and so is every requirement.
    #[test]
    fn nothing_is_overwritten_silently(a in wild_snapshot(), b in wild_snapshot(), c in wild_snapshot()) {
        let merged = merge(&[&a, &b, &c]);
        let by_key: BTreeMap<String, &Resource> = merged
            .resources
            .iter()
            .map(|r| (identity_key(&r.id).into_owned(), r))
            .collect();
        let notes: BTreeMap<(String, String), &linchpin::model::Conflict> = merged
            .coverage
            .iter()
            .filter_map(|c| c.conflict.as_ref())
            .map(|n| ((identity_key(&n.id).into_owned(), n.field.clone()), n))
            .collect();
        for input in [&a, &b, &c] {
            for source in &input.sources {
                prop_assert!(merged.sources.contains(source));
            }
            for record in &input.coverage {
                prop_assert!(merged.coverage.contains(record));
            }
            // A declaration is the one kept or named in the note on it.
            let declared = input
                .entity
                .iter()
                .map(|e| ("entity".to_string(), "entity", json!(e), merged.entity.as_ref().map(|m| json!(m))))
                .chain(input.third_parties.iter().map(|p| {
                    let kept = merged.third_parties.iter().find(|m| m.id == p.id).map(|m| json!(m));
                    (format!("third_party:{}", p.id), "third_party", json!(p), kept)
                }));
            for (id, field, value, kept) in declared {
                prop_assert!(kept.is_some(), "{id} dropped");
                if kept == Some(value.clone()) {
                    continue;
                }
                let note = notes.get(&(id.clone(), field.to_string()));
                prop_assert!(
                    note.is_some_and(|n| n.values.contains(&value)),
                    "{id}: {value} neither kept nor noted"
                );
            }
            for resource in &input.resources {
                let key = identity_key(&resource.id).into_owned();
                let kept = by_key[&key];
                if resource.external {
                    continue;
                }
                prop_assert!(!kept.external, "a resource replaces its stand-ins");
                let mut fields: Vec<String> = ["provider", "kind", "name", "account", "placement"]
                    .map(String::from)
                    .to_vec();
                fields.extend(resource.tags.keys().map(|k| format!("tags.{k}")));
                fields.extend(resource.attributes.keys().map(|k| format!("attributes.{k}")));
                for field in fields {
                    let Some(value) = given(resource, &field) else { continue };
                    if held(kept, &field) == Some(value.clone()) {
                        continue;
                    }
                    let note = notes.get(&(key.clone(), field.clone()));
                    // A placement `unknown` says less than a known one in its region (or
                    // than anything, in none): it may be left out of the note.
                    let says_less = field == "placement"
                        && value["placement"]["type"] == "unknown"
                        && (value["region"].is_null()
                            || note.map_or(vec![held(kept, &field).unwrap()], |n| n.values.clone())
                                .iter()
                                .any(|v| v["placement"]["type"] != "unknown" && v["region"] == value["region"]));
                    prop_assert!(
                        says_less || note.is_some_and(|n| n.values.contains(&value)),
                        "{} {field}: {value} neither kept nor noted", resource.id
                    );
                }
                for group in &resource.requirements {
                    let mut members: Vec<String> = group
                        .members()
                        .iter()
                        .map(|m| by_key.get(identity_key(m).as_ref()).map_or(m.clone(), |r| r.id.clone()))
                        .collect();
                    members.sort();
                    members.dedup();
                    prop_assert!(
                        kept.requirements.iter().any(|g| {
                            let mut theirs = g.members().to_vec();
                            theirs.sort();
                            theirs == members
                        }),
                        "{}: requirement {members:?} lost", resource.id
                    );
                }
            }
        }
    }

    /// Snapshots of one consistent estate merge into a snapshot that validates; stand-ins
    /// another input holds are resolved, the rest stay external.
    #[test]
    fn consistent_inputs_merge_valid(a in world_snapshot(), b in world_snapshot(), c in world_snapshot()) {
        for input in [&a, &b, &c] {
            let problems = validate(input);
            prop_assert!(problems.is_empty(), "input invalid: {problems:?}");
        }
        let merged = merge(&[&a, &b, &c]);
        let problems = validate(&merged);
        prop_assert!(problems.is_empty(), "{problems:?}\n{merged:#?}");
        let real: BTreeSet<String> = [&a, &b, &c]
            .iter()
            .flat_map(|s| &s.resources)
            .filter(|r| !r.external)
            .map(|r| identity_key(&r.id).into_owned())
            .collect();
        for resource in &merged.resources {
            prop_assert_eq!(resource.external, !real.contains(identity_key(&resource.id).as_ref()));
        }
    }
}

/// Three values of one attribute from three inputs: one note naming all three, whichever two
/// were merged first.
#[test]
fn three_conflicting_values_make_one_note_with_all() {
    let input = |n: u8, name: &str| {
        let mut r = stand_in("arn:aws:ec2:r0:111:instance/i-0");
        r.external = false;
        r.kind = "k".into();
        r.attributes.insert("size".into(), json!(n));
        Snapshot {
            schema: SNAPSHOT_SCHEMA.into(),
            sources: vec![Source::new("aws", name)],
            coverage: Vec::new(),
            zones: Vec::new(),
            entity: None,
            third_parties: Vec::new(),
            resources: vec![r],
        }
    };
    let (a, b, c) = (input(3, "a"), input(1, "b"), input(2, "c"));
    let nested = merge(&[&merge(&[&a, &c]), &b]);
    assert_eq!(nested, merge(&[&a, &b, &c]));
    let notes: Vec<_> = nested
        .coverage
        .iter()
        .filter_map(|c| c.conflict.as_ref())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].field, "attributes.size");
    assert_eq!(notes[0].values, [json!(1), json!(2), json!(3)]);
    assert_eq!(notes[0].kept, json!(1));
    assert_eq!(notes[0].sources, ["aws:a", "aws:b", "aws:c"]);
    assert_eq!(nested.resources[0].attributes["size"], 1);
    assert_eq!(nested.resources[0].sources, ["aws:a", "aws:b", "aws:c"]);
}

/// Azure ids meet whatever their case and keep the smallest spelling; ARNs differing in case
/// are two resources (AWS names are case-sensitive).
#[test]
fn azure_ids_meet_in_any_case_and_arns_do_not() {
    let snapshot = |ids: &[&str], requires: &str| {
        let mut resources: Vec<Resource> = ids
            .iter()
            .map(|id| {
                let mut r = stand_in(id);
                r.external = false;
                r
            })
            .collect();
        resources[0]
            .requirements
            .push(RequirementGroup::requires(requires));
        Snapshot::of_resources(resources)
    };
    let vm = "/subscriptions/S1/resourceGroups/G/providers/Microsoft.Compute/virtualMachines/vm";
    let a = snapshot(&["arn:aws:sqs:r0:111:Orders", vm], vm);
    let b = snapshot(
        &["arn:aws:sqs:r0:111:orders", &vm.to_lowercase()],
        &vm.to_lowercase(),
    );
    let merged = merge(&[&a, &b]);
    let ids: Vec<&str> = merged.resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [vm, "arn:aws:sqs:r0:111:Orders", "arn:aws:sqs:r0:111:orders"]
    );
    for r in &merged.resources {
        if r.id.starts_with("arn:") {
            assert_eq!(r.requirements[0].members(), [vm], "members respelled");
        }
    }
}

/// Accounts name one zone ID differently: the merged zone keeps every name.
#[test]
fn a_zone_keeps_every_accounts_name() {
    let zoned = |name: &str| Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        sources: Vec::new(),
        coverage: Vec::new(),
        zones: vec![Zone {
            id: "apne1-az4".into(),
            provider: "aws".into(),
            region: "ap-northeast-1".into(),
            name: Some(name.into()),
        }],
        entity: None,
        third_parties: Vec::new(),
        resources: Vec::new(),
    };
    let merged = merge(&[&zoned("ap-northeast-1c"), &zoned("ap-northeast-1a")]);
    assert_eq!(
        merged.zones[0].name.as_deref(),
        Some("ap-northeast-1a / ap-northeast-1c")
    );
    assert!(
        merged.coverage.is_empty(),
        "names differ per account: no conflict"
    );
}
