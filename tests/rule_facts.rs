//! Resource rules' conditions of the common shapes are answered by native checks, which leave
//! what they cannot be sure of to CEL over lazy facts (each field worked out when a condition
//! first reads it), which falls back to the eager maps for errors and whole-map uses. All
//! three ways give the same findings and errors: on every rule fixture with the built-in
//! pack, and on random estates with a pack of conditions chosen to probe the edges (absent
//! keys, nulls, values of every JSON type compared, ordered, measured and searched, index
//! syntax, comprehension variables, maps compared or measured whole, failing expressions).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use linchpin::graph::Estate;
use linchpin::model::{Placement, RequirementGroup, Resource, Snapshot, Zone, ZoneId};
use linchpin::rules::engine::{self, Facts};
use linchpin::rules::{RulePack, engine::Evaluation};
use linchpin::{analysis, snapshot};
use proptest::prelude::*;

/// The evaluation the engine runs (native checks first) and the eager reference, after
/// checking that the lazy facts without native checks agree with the reference too.
fn both(pack: &RulePack, snapshot: Snapshot) -> (Evaluation, Evaluation) {
    let estate = Estate::build(snapshot);
    let analysis = analysis::analyse(&estate);
    let eager = engine::run_with(pack, &estate, &analysis, Facts::Eager);
    let lazy = engine::run_with(pack, &estate, &analysis, Facts::Lazy);
    assert_same(&lazy, &eager, "the lazy facts");
    let native = engine::run_with(pack, &estate, &analysis, Facts::Native);
    assert_eq!(
        native.findings,
        engine::run(pack, &estate, &analysis).findings
    );
    (native, eager)
}

fn assert_same(lazy: &Evaluation, eager: &Evaluation, what: &str) {
    assert_eq!(lazy.findings, eager.findings, "findings differ on {what}");
    assert_eq!(lazy.errors, eager.errors, "errors differ on {what}");
}

fn snapshots_under(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            snapshots_under(&path, found);
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
}

#[test]
fn native_lazy_and_eager_facts_agree_on_every_rule_fixture() {
    let pack = RulePack::builtin().unwrap();
    let mut paths = Vec::new();
    snapshots_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules"),
        &mut paths,
    );
    assert!(paths.len() >= 100, "{} fixtures", paths.len());
    let mut findings = 0;
    for path in &paths {
        let mut snapshot = snapshot::load_file(path).unwrap();
        linchpin::sources::aws::entry::state_entry_points(&mut snapshot);
        let (lazy, eager) = both(&pack, snapshot);
        assert_same(&lazy, &eager, &path.display().to_string());
        findings += lazy.findings.len();
    }
    assert!(findings > 100, "the fixtures fire: {findings} findings");
}

/// Conditions over every kind of fact, with the values they are expected to meet.
const CONDITIONS: &[&str] = &[
    "resource.critical && resource.placement != 'global' && 'us-east-1' in graph.control_planes",
    "has(resource.attributes.multi_az) && resource.attributes.multi_az == false",
    "has(resource.attributes.zones) && resource.attributes.zones != null ? size(resource.attributes.zones) < 2 : size(graph.target_zones) == 1",
    "resource.attributes.count > 1",
    "resource.attributes.name.startsWith('a')",
    "size(resource.zones) > 0 && resource.zones.exists(z, !(z in graph.target_zones))",
    "graph.dependent_zones.exists(z, !(z in resource.zones))",
    "'aws:rds:cluster' in graph.dependent_kinds || graph.dependents > 1",
    "graph.requirements.exists(g, g.min > 1 && g.max_zone_loss > g.size - g.min)",
    "graph.requirements.exists(g, g.label == 'backends' && size(g.kinds) > 0 && g.kinds.all(k, k == 'kind-b'))",
    "graph.requirements.filter(g, g.min > 1).exists(h, h.worst_zone != '' && has(h.zones))",
    "graph.requirements.exists(g, g.members.exists(m, m == resource.id))",
    "graph.requirements.map(g, g.size).exists(n, n > 2)",
    "graph.requirements.exists(g, has(g.nope))",
    "graph.requirements.exists(g, g == graph.requirements[0] && g.min > 1)",
    "graph.requirements.exists(g, size(g) > 3 && g.requires)",
    "graph.requirements.exists(g, 'label' in g && g.min > 0)",
    "size(graph.requirements) > 1",
    "resource == resource && resource.critical",
    "size(resource) > 2",
    "type(graph) == type({'a': 1}) && graph.dependents > 0",
    "has(resource.zones) && resource['zones'] == resource.zones",
    "has(resource.attributes.nope) || resource.serves_critical",
    "resource.attributes.nope == 1 || resource.attributes.count == 3",
    "graph.lethal_zones.exists(z, z in graph.region_zones) && size(graph.lethal_regions) >= 0",
    "'team' in resource.tags && resource.tags.team == 'core' || resource.tags.exists(k, k == 'env')",
    "resource.attributes.exists(k, k.startsWith('z')) || size(resource.attributes) == 0",
    "resource.zone_names.exists(n, n.endsWith('a')) || resource.control_plane_region == 'us-east-1'",
    "resource.kind + resource.provider + resource.account + resource.region + resource.name == resource.id",
    "graph.target_zones",
    "resource.attributes.count == 3u || resource.attributes.count == resource.attributes.zeta",
    "resource.attributes.zeta != null && resource.attributes.zeta == resource.attributes.name",
    "resource.attributes.zeta == 'abc' || resource.attributes.zeta == false || resource.attributes.zeta == resource.attributes.zones",
    "resource.attributes.zeta < 4 && resource.attributes.zeta >= 3",
    "size(resource.attributes.zeta) >= 0 && resource.attributes.zeta.size() < 3",
    "'z1' in resource.attributes.zeta || 3 in resource.attributes.zeta",
    "has(resource.attributes.zeta.nested) ? size(resource.attributes.zeta.nested) == 3 : !has(resource.attributes.zeta)",
    "resource.attributes.zeta.exists(z, z == 'z2') && resource.attributes.zeta.all(z, z != 'z9')",
    "resource.attributes.zeta ? resource.critical : resource.serves_critical",
    "!resource.attributes.zeta || resource.attributes.count + 1 > 3 || resource.attributes.count - 4 == -1",
    "has(resource.tags.team) && resource.tags.team == 'core' && !has(resource.tags.other)",
    "graph.requirements.all(g, g.min == 1 || g.requires) && graph.requirements.exists(g, g.zones.exists(z, z in resource.zones))",
    "graph.requirements.exists(g, g.size > 1 && g.kinds.exists(k, graph.requirements.exists(h, k in h.kinds && h.min >= 1)))",
    "resource.zones.exists(resource, resource == 'z1') || [1, 2].exists(x, x == 2)",
    "graph.lethal_zones.exists(z, graph.region_zones.all(y, y != z)) || size(graph.lethal_providers) > 0",
    "resource.attributes.count > 1.5 || resource.attributes.count == 3.0",
    "resource.attributes.multi_az && resource.attributes.count > 0",
];

fn rule_file(i: usize, condition: &str) -> String {
    format!(
        r#"id = "probe-{i}"
title = "Probe {i}"
severity = "low"
status = "preview"
since = "0.1.0"
kinds = ["*"]
condition = '''
{condition}
'''
message = "{{resource.name}} ({{graph.requirements.map(g, g.min)}}) {{resource.zones}}"
remediation = "None."
references = ["https://example.com/probe"]

[controls]
dora = ["Art. 7"]
iso27001 = ["A.8.14"]
soc2 = ["A1.2"]
nist80053 = ["SC-36"]

[docs]
what_it_checks = "A probe."
why_it_is_a_risk = "It is a test."
how_to_fix = "Nothing."
example = "any"
"#
    )
}

fn probe_pack() -> (tempfile::TempDir, RulePack) {
    let dir = tempfile::tempdir().unwrap();
    for (i, condition) in CONDITIONS.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("probe-{i}.toml")),
            rule_file(i, condition),
        )
        .unwrap();
    }
    let pack = RulePack::load_dirs(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(pack.rules.len(), CONDITIONS.len());
    (dir, pack)
}

const ZONES: [&str; 3] = ["z1", "z2", "z3"];
const KINDS: [&str; 3] = ["kind-a", "kind-b", "aws:rds:cluster"];

#[derive(Debug, Clone)]
struct Spec {
    kind: u8,
    placement: u8,
    zones: u8,
    attributes: Vec<(u8, u8)>,
    tags: u8,
    groups: Vec<(Vec<u8>, u8, bool)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..3,
        0u8..5,
        any::<u8>(),
        prop::collection::vec((0u8..5, 0u8..6), 0..4),
        0u8..4,
        prop::collection::vec(
            (
                prop::collection::vec(any::<u8>(), 1..4),
                any::<u8>(),
                any::<bool>(),
            ),
            0..3,
        ),
    )
        .prop_map(|(kind, placement, zones, attributes, tags, groups)| Spec {
            kind,
            placement,
            zones,
            attributes,
            tags,
            groups,
        })
}

fn attribute_value(value: u8) -> serde_json::Value {
    match value {
        0 => serde_json::Value::Null,
        1 => serde_json::json!(false),
        2 => serde_json::json!(3),
        3 => serde_json::json!("abc"),
        4 => serde_json::json!(["z1", "z2"]),
        _ => serde_json::json!({"nested": [1, "x", null]}),
    }
}

fn build(specs: &[Spec]) -> Snapshot {
    let n = specs.len();
    let resources = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let chosen: Vec<ZoneId> = ZONES
                .iter()
                .enumerate()
                .filter(|(k, _)| spec.zones & (1 << k) != 0)
                .map(|(_, z)| ZoneId::from(*z))
                .collect();
            let mut resource = Resource::blank(format!("r{i}"));
            resource.provider = "aws".into();
            resource.region = Some(
                if spec.zones & 8 == 0 {
                    "r1"
                } else {
                    "us-east-1"
                }
                .into(),
            );
            resource.kind = KINDS[spec.kind as usize].into();
            resource.name = format!("a{i}");
            resource.placement = match spec.placement {
                0 => Placement::Zonal {
                    zone: ZONES[spec.zones as usize % 3].into(),
                },
                1 if !chosen.is_empty() => Placement::MultiZone {
                    zones: chosen,
                    inferred: false,
                },
                2 => Placement::Global {
                    control_plane_region: (spec.zones & 16 != 0).then(|| "us-east-1".into()),
                },
                3 => Placement::Unpinned,
                _ => Placement::Regional,
            };
            for &(key, value) in &spec.attributes {
                let key = ["multi_az", "zones", "count", "name", "zeta"][key as usize];
                resource
                    .attributes
                    .insert(key.into(), attribute_value(value));
            }
            if spec.tags & 1 != 0 {
                resource.tags.insert("team".into(), "core".into());
            }
            if spec.tags & 2 != 0 {
                resource.tags.insert("env".into(), "prod".into());
            }
            resource.requirements = spec
                .groups
                .iter()
                .map(|(members, quorum, single)| {
                    let mut ids: Vec<String> = members
                        .iter()
                        .map(|m| format!("r{}", *m as usize % n))
                        .collect();
                    ids.sort();
                    ids.dedup();
                    if ids.len() == 1 && *single {
                        RequirementGroup::requires(ids[0].clone())
                    } else {
                        let min = 1 + (*quorum as u32 % ids.len() as u32);
                        let mut group = RequirementGroup::any_of(ids, Some(min));
                        if quorum % 2 == 0 {
                            group.label = Some("backends".into());
                        }
                        group
                    }
                })
                .collect();
            resource
        })
        .collect();
    let mut snapshot = Snapshot::of_resources(resources);
    snapshot.zones = ZONES
        .iter()
        .map(|z| Zone {
            id: (*z).into(),
            provider: "aws".into(),
            region: "r1".into(),
            name: Some(format!("{z}a")),
        })
        .collect();
    snapshot
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn native_lazy_and_eager_facts_agree_on_random_estates(specs in prop::collection::vec(spec(), 1..10)) {
        let (_dir, pack) = probe_pack();
        let mut snapshot = build(&specs);
        // Some resources are critical services, so `critical` and `serves_critical` vary.
        for resource in snapshot.resources.iter_mut().step_by(3) {
            resource.tags.insert("linchpin:critical".into(), "true".into());
        }
        let (lazy, eager) = both(&pack, snapshot);
        prop_assert_eq!(&lazy.findings, &eager.findings);
        prop_assert_eq!(&lazy.errors, &eager.errors);
    }
}

#[test]
fn the_probes_reach_both_outcomes_and_errors() {
    let (_dir, pack) = probe_pack();
    let specs: Vec<Spec> = (0..9u8)
        .map(|i| Spec {
            kind: i % 3,
            placement: i % 5,
            zones: i.wrapping_mul(37),
            attributes: vec![(i % 5, i % 6), ((i + 1) % 5, (i + 2) % 6)],
            tags: i % 4,
            groups: vec![(vec![i, i + 1, i + 2], i, i % 2 == 0)],
        })
        .collect();
    let mut snapshot = build(&specs);
    for resource in snapshot.resources.iter_mut().step_by(3) {
        resource
            .tags
            .insert("linchpin:critical".into(), "true".into());
    }
    let (lazy, eager) = both(&pack, snapshot);
    assert_same(&lazy, &eager, "the fixed estate");
    let fired: BTreeMap<&str, usize> = lazy.findings.iter().fold(BTreeMap::new(), |mut m, f| {
        *m.entry(f.rule.as_str()).or_default() += 1;
        m
    });
    assert!(fired.len() >= 10, "probes that fire: {fired:?}");
    assert!(!lazy.errors.is_empty(), "some probes fail to evaluate");
}
