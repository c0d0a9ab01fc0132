//! The fast analyses agree exactly with brute-force failure propagation on random estates
//! with any_of groups, k-of-n quorums, requirement cycles and unpinned resources (in one zone
//! of their region that nobody chose: down with any zone of it), including a region that
//! declares no zones.

use std::collections::{BTreeMap, BTreeSet};

use linchpin::analysis::{
    Explainer, Failure, KillSets, Lost, components, domain_kill_sets, propagate,
    resource_kill_sets, simulated_path,
};
use linchpin::graph::{Estate, ResourceIx};
use linchpin::model::{
    DomainKind, NOT_PINNED, Placement, RequirementGroup, Resource, SNAPSHOT_SCHEMA, Snapshot,
    StepCause, Zone, ZoneId,
};
use linchpin::snapshot::validate;
use proptest::prelude::*;

/// Regions and zones of the random estates: (provider, region, zones). `r3` declares no
/// zones: what would be zonal there is unpinned instead.
const LAYOUT: [(&str, &str, &[&str]); 4] = [
    ("p0", "r0", &["z0", "z1"]),
    ("p0", "r1", &["z2"]),
    ("p1", "r2", &["z3", "z4"]),
    ("p1", "r3", &[]),
];

/// `Spec::placement` values with a meaning of their own (the rest is logical).
const ZONAL: u8 = 0;
const MULTI_ZONE: u8 = 1;
const REGIONAL: u8 = 2;
const GLOBAL: u8 = 3;
const UNKNOWN: u8 = 4;
const UNPINNED: u8 = 5;

#[derive(Debug, Clone)]
struct Spec {
    region: u8,
    placement: u8,
    zones: u8,
    groups: Vec<(Vec<u8>, u8, bool)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..LAYOUT.len() as u8,
        0u8..7,
        any::<u8>(),
        prop::collection::vec(
            (
                prop::collection::vec(any::<u8>(), 1..5),
                any::<u8>(),
                any::<bool>(),
            ),
            0..3,
        ),
    )
        .prop_map(|(region, placement, zones, groups)| Spec {
            region,
            placement,
            zones,
            groups,
        })
}

fn build(specs: &[Spec]) -> Snapshot {
    let n = specs.len();
    let zones = LAYOUT
        .iter()
        .flat_map(|(provider, region, zones)| {
            zones.iter().map(move |zone| Zone {
                id: (*zone).into(),
                provider: provider.to_string(),
                region: region.to_string(),
                name: None,
            })
        })
        .collect();
    let resources = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let (provider, region, region_zones) = LAYOUT[spec.region as usize];
            let pick = |bits: u8| -> Vec<String> {
                let chosen: Vec<String> = region_zones
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| bits & (1 << k) != 0)
                    .map(|(_, z)| z.to_string())
                    .collect();
                if chosen.is_empty() {
                    vec![region_zones[0].to_string()]
                } else {
                    chosen
                }
            };
            let placement = match spec.placement {
                ZONAL | MULTI_ZONE if region_zones.is_empty() => Placement::Unpinned,
                ZONAL => Placement::Zonal {
                    zone: region_zones[spec.zones as usize % region_zones.len()].into(),
                },
                MULTI_ZONE => Placement::MultiZone {
                    zones: pick(spec.zones).into_iter().map(ZoneId::from).collect(),
                    inferred: false,
                },
                REGIONAL => Placement::Regional,
                GLOBAL => Placement::Global {
                    control_plane_region: None,
                },
                UNKNOWN => Placement::Unknown,
                UNPINNED => Placement::Unpinned,
                _ => Placement::Logical,
            };
            let requirements = spec
                .groups
                .iter()
                .map(|(members, quorum, single)| {
                    let ids: BTreeSet<String> = members
                        .iter()
                        .map(|m| format!("r{}", *m as usize % n))
                        .collect();
                    let ids: Vec<String> = ids.into_iter().collect();
                    if ids.len() == 1 && *single {
                        RequirementGroup::requires(ids[0].clone())
                    } else {
                        let min = 1 + (*quorum as u32 % ids.len() as u32);
                        RequirementGroup::any_of(ids, Some(min))
                    }
                })
                .collect();
            Resource {
                id: format!("r{i}"),
                provider: provider.to_string(),
                account: None,
                // Unknown placement sometimes has no region: then it fails with its provider.
                region: (!(spec.placement == UNKNOWN && spec.zones % 2 == 0)
                    && spec.placement != GLOBAL)
                    .then(|| region.to_string()),
                kind: "test".into(),
                name: String::new(),
                tags: BTreeMap::new(),
                attributes: BTreeMap::new(),
                placement,
                requirements,
                external: false,
                sources: Vec::new(),
            }
        })
        .collect();
    Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        sources: Vec::new(),
        coverage: Vec::new(),
        zones,
        entity: None,
        third_parties: Vec::new(),
        resources,
    }
}

/// Brute force, straight from the definition: start with everything up, knock down what
/// failed, and repeat "down if a needed domain is down or a group lacks quorum" until nothing
/// changes.
fn brute_down(
    snapshot: &Snapshot,
    domains: &BTreeSet<(DomainKind, String)>,
    resources: &BTreeSet<String>,
) -> BTreeSet<String> {
    let zone_region: BTreeMap<&str, (&str, &str)> = snapshot
        .zones
        .iter()
        .map(|z| (z.id.as_str(), (z.region.as_str(), z.provider.as_str())))
        .collect();
    let failed = |kind: DomainKind, id: &str| domains.contains(&(kind, id.to_string()));
    let provider_down = |p: &str| failed(DomainKind::Provider, p);
    let region_down = |r: &str, p: &str| provider_down(p) || failed(DomainKind::Region, r);
    let zone_down = |z: &str| {
        let (r, p) = zone_region[z];
        region_down(r, p) || failed(DomainKind::Zone, z)
    };
    let mut down: BTreeSet<String> = resources.clone();
    loop {
        let mut changed = false;
        for r in &snapshot.resources {
            if down.contains(&r.id) {
                continue;
            }
            let region = r.region.as_deref();
            let placement_down = match &r.placement {
                Placement::Zonal { zone } => zone_down(zone.as_str()),
                Placement::MultiZone { zones, .. } => {
                    region_down(region.unwrap(), &r.provider)
                        || zones.iter().all(|z| zone_down(z.as_str()))
                }
                Placement::Regional => region_down(region.unwrap(), &r.provider),
                // In one zone of its region, but which is unknown: any of the region's
                // declared zones may be it (none declared: only the region can down it).
                Placement::Unpinned => {
                    let region = region.unwrap();
                    region_down(region, &r.provider)
                        || snapshot.zones.iter().any(|z| {
                            z.region == region
                                && z.provider == r.provider
                                && zone_down(z.id.as_str())
                        })
                }
                Placement::Global { .. } => provider_down(&r.provider),
                Placement::Unknown => match region {
                    Some(region) => region_down(region, &r.provider),
                    None => provider_down(&r.provider),
                },
                Placement::Logical => false,
            };
            let group_down = r.requirements.iter().any(|g| {
                let up = g.members().iter().filter(|m| !down.contains(*m)).count() as u32;
                up < g.quorum()
            });
            if placement_down || group_down {
                down.insert(r.id.clone());
                changed = true;
            }
        }
        if !changed {
            return down;
        }
    }
}

fn ids(estate: &Estate, set: impl IntoIterator<Item = ResourceIx>) -> BTreeSet<String> {
    set.into_iter()
        .map(|ix| estate.resource(ix).id.clone())
        .collect()
}

/// Every (resource, target) pair of `sets` has an explanation: a chain of requirements from
/// the resource to one the target takes down directly, each step along a group the target
/// really breaks; `ends` checks the last step, the resource it names and the target.
fn check_explained<T: Lost + std::fmt::Display>(
    estate: &Estate,
    sets: &KillSets<T>,
    ends: impl Fn(&StepCause, ResourceIx, T) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let mut explainer = Explainer::new(estate, sets);
    for v in estate.resource_ixs() {
        for &target in &sets[v.index()] {
            let path = explainer.path(v, target);
            prop_assert!(!path.is_empty(), "no path from r{} for {}", v, target);
            prop_assert_eq!(&path[0].resource, &estate.resource(v).id);
            for (step, next) in path.iter().zip(path.iter().skip(1)) {
                let ix = estate
                    .lookup(&next.resource)
                    .expect("a resource of the path");
                prop_assert!(sets[ix.index()].contains(&target));
                match &step.cause {
                    StepCause::Requires { member, .. } => prop_assert_eq!(member, &next.resource),
                    StepCause::AnyOf {
                        member,
                        down,
                        members,
                        min,
                        ..
                    } => {
                        prop_assert_eq!(member, &next.resource);
                        prop_assert!(*down > members - min);
                    }
                    other => prop_assert!(false, "ends early: {:?}", other),
                }
            }
            let last = path.last().unwrap();
            ends(
                &last.cause,
                estate
                    .lookup(&last.resource)
                    .expect("the last resource of the path"),
                target,
            )?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Single-domain cut sets equal brute-force propagation of each domain's failure.
    #[test]
    fn domain_cut_sets_are_exact(specs in prop::collection::vec(spec(), 1..12)) {
        let snapshot = build(&specs);
        prop_assert!(validate(&snapshot).is_empty(), "{:?}", validate(&snapshot));
        let estate = Estate::build(snapshot.clone());
        let sets = domain_kill_sets(&estate, &components(&estate));
        for (d, domain) in estate.domain_ixs().zip(&estate.domains) {
            let expected = brute_down(
                &snapshot,
                &BTreeSet::from([(domain.kind, domain.id.clone())]),
                &BTreeSet::new(),
            );
            let fast = ids(&estate, estate.resource_ixs().filter(|&v| {
                sets[v.index()].contains(&d)
            }));
            prop_assert_eq!(fast, expected, "domain {} {}", domain.kind, domain.id);
        }
    }

    /// Single-resource SPOFs equal brute-force propagation of each resource's failure.
    #[test]
    fn resource_spofs_are_exact(specs in prop::collection::vec(spec(), 1..12)) {
        let snapshot = build(&specs);
        let estate = Estate::build(snapshot.clone());
        let sets = resource_kill_sets(&estate, &components(&estate), &vec![true; estate.len()]);
        for x in estate.resource_ixs() {
            if estate.is_logical(x) {
                continue;
            }
            let expected = brute_down(
                &snapshot,
                &BTreeSet::new(),
                &BTreeSet::from([estate.resource(x).id.clone()]),
            );
            let fast = ids(&estate, estate.resource_ixs().filter(|&v| {
                sets[v.index()].contains(&x)
            }));
            prop_assert_eq!(fast, expected, "resource r{}", x);
        }
    }

    /// Simulation of any mix of failed domains and resources equals brute force, and every
    /// downed resource's path is a true explanation ending at a failure.
    #[test]
    fn simulation_is_exact_and_explained(
        specs in prop::collection::vec(spec(), 1..12),
        domain_bits in any::<u16>(),
        resource_bits in any::<u16>(),
    ) {
        let snapshot = build(&specs);
        let estate = Estate::build(snapshot.clone());
        let failure = Failure {
            domains: estate
                .domain_ixs()
                .filter(|d| domain_bits & (1 << d.index()) != 0)
                .collect(),
            resources: estate
                .resource_ixs()
                .filter(|r| resource_bits & (1 << r.index()) != 0)
                .collect(),
        };
        let outcome = propagate(&estate, &failure);
        let expected = brute_down(
            &snapshot,
            &failure
                .domains
                .iter()
                .map(|&d| (estate.domain(d).kind, estate.domain(d).id.clone()))
                .collect(),
            &ids(&estate, failure.resources.iter().copied()),
        );
        let fast = ids(&estate, outcome.order.iter().copied());
        prop_assert_eq!(&fast, &expected);
        for &ix in &outcome.order {
            let path = simulated_path(&estate, &outcome, ix);
            prop_assert!(!path.is_empty());
            for (step, next) in path.iter().zip(path.iter().skip(1)) {
                prop_assert!(fast.contains(&step.resource));
                match &step.cause {
                    StepCause::Requires { member, .. } | StepCause::AnyOf { member, .. } => {
                        prop_assert_eq!(member, &next.resource);
                    }
                    other => prop_assert!(false, "a path ends only at its last step: {:?}", other),
                }
            }
            let last = path.last().unwrap();
            let ends_at_failure =
                matches!(last.cause, StepCause::Failed | StepCause::Placement { .. });
            prop_assert!(ends_at_failure, "path of {} ends at {:?}", last.resource, last.cause);
            if let StepCause::Placement { placement, domains, reason } = &last.cause {
                // The domains named all failed, and zones that down an unpinned resource say
                // it is not pinned to one.
                let failed: BTreeSet<(DomainKind, &str)> = failure
                    .domains
                    .iter()
                    .map(|&d| (estate.domain(d).kind, estate.domain(d).id.as_str()))
                    .collect();
                prop_assert!(!domains.is_empty());
                for d in domains {
                    prop_assert!(failed.contains(&(d.kind, d.id.as_str())), "{} not failed", d);
                }
                let by_zone = domains.iter().all(|d| d.kind == DomainKind::Zone);
                let unpinned = placement == "unpinned" && by_zone;
                prop_assert_eq!(reason.as_deref(), unpinned.then_some(NOT_PINNED));
            }
        }
    }

    /// Every (resource, domain) and (resource, resource) pair in the kill sets has an
    /// explanation: a chain of requirements from the resource to one the target takes down
    /// directly, each step along a group the target really breaks.
    #[test]
    fn kill_sets_are_explained(specs in prop::collection::vec(spec(), 1..12)) {
        let snapshot = build(&specs);
        let estate = Estate::build(snapshot);
        let comps = components(&estate);
        let domain_sets = domain_kill_sets(&estate, &comps);
        let resource_sets = resource_kill_sets(&estate, &comps, &vec![true; estate.len()]);
        check_explained(&estate, &domain_sets, |cause, ix, target| {
            match cause {
                StepCause::Placement { reason, .. } => {
                    prop_assert!(estate.is_lethal(ix, target));
                    let unpinned = estate.resource(ix).placement == Placement::Unpinned
                        && estate.domain(target).kind == DomainKind::Zone;
                    prop_assert_eq!(reason.as_deref(), unpinned.then_some(NOT_PINNED));
                }
                other => prop_assert!(false, "bad end {:?}", other),
            }
            Ok(())
        })?;
        check_explained(&estate, &resource_sets, |cause, ix, target| {
            match cause {
                StepCause::Failed => prop_assert_eq!(ix, target),
                other => prop_assert!(false, "bad end {:?}", other),
            }
            Ok(())
        })?;
    }
}
