//! The "prefer the first" merge of two snapshots of one estate, as `--aws --terraform` uses
//! it: an API crawl and Terraform state of the same resources meet on one id (see
//! [`super::identity_key`]). The first snapshot is the one read from the cloud itself, so
//! where both know something its facts win, without a note: placement (unless it is
//! `unknown` there), attributes, tags, name, account and region; what only one knows is kept,
//! and the requirements of both are united. An external stand-in in either gives way to the
//! resource itself in the other.

use std::collections::{BTreeMap, HashMap};

use super::identity_key;
use crate::model::{Placement, RequirementGroup, Resource, Snapshot};

/// Merge `second` into `first`: sources, coverage and zones of both (a zone both declare
/// keeps `first`'s record), and every resource once. The result validates when both inputs
/// do and no region name is shared by two providers across them.
pub fn prefer_first(first: Snapshot, second: Snapshot) -> Snapshot {
    let mut merged = first;
    merged.sources.extend(second.sources);
    merged.coverage.extend(second.coverage);
    let mut zones: BTreeMap<String, usize> = merged
        .zones
        .iter()
        .enumerate()
        .map(|(at, z)| (z.id.to_string(), at))
        .collect();
    for zone in second.zones {
        if !zones.contains_key(zone.id.as_str()) {
            zones.insert(zone.id.to_string(), merged.zones.len());
            merged.zones.push(zone);
        }
    }

    // Identity key → position in `merged.resources` (the first of ids equal but for case).
    let mut at_key: HashMap<String, usize> = HashMap::with_capacity(merged.resources.len());
    for (at, resource) in merged.resources.iter().enumerate() {
        at_key
            .entry(identity_key(&resource.id).into_owned())
            .or_insert(at);
    }
    // Identity key → the id the merged snapshot spells it with: the first snapshot's when
    // both have it.
    let mut canonical: HashMap<String, String> = at_key
        .iter()
        .map(|(key, &at)| (key.clone(), merged.resources[at].id.clone()))
        .collect();
    let mut joined: Vec<(usize, Resource)> = Vec::new();
    let mut added: Vec<Resource> = Vec::new();
    for resource in second.resources {
        let key = identity_key(&resource.id).into_owned();
        match at_key.get(&key) {
            Some(&at) => joined.push((at, resource)),
            None => {
                canonical.entry(key).or_insert_with(|| resource.id.clone());
                added.push(resource);
            }
        }
    }
    for (at, mut resource) in joined {
        rename_members(&mut resource, &canonical);
        join(&mut merged.resources[at], resource);
    }
    for mut resource in added {
        rename_members(&mut resource, &canonical);
        merged.resources.push(resource);
    }
    merged
}

/// Fold `other` (the same resource, from the second snapshot) into `kept`.
fn join(kept: &mut Resource, mut other: Resource) {
    if other.external {
        return;
    }
    if kept.external {
        // The resource itself replaces the stand-in, spelled as the first snapshot spells it.
        other.id = std::mem::take(&mut kept.id);
        *kept = other;
        return;
    }
    let unnamed = |r: &Resource| r.name.is_empty() || r.name == r.id;
    if unnamed(kept) && !unnamed(&other) {
        kept.name = other.name.clone();
    }
    if kept.placement == Placement::Unknown && other.placement != Placement::Unknown {
        kept.placement = other.placement;
        if other.region.is_some() {
            kept.region = other.region.clone();
        }
    }
    if kept.account.is_none() {
        kept.account = other.account;
    }
    if kept.region.is_none() {
        kept.region = other.region;
    }
    for (key, value) in other.tags {
        kept.tags.entry(key).or_insert(value);
    }
    for (key, value) in other.attributes {
        kept.attributes.entry(key).or_insert(value);
    }
    for group in other.requirements {
        if !kept.requirements.iter().any(|g| same_group(g, &group)) {
            kept.requirements.push(group);
        }
    }
    let own = kept.id.clone();
    kept.requirements.retain(|g| !g.members().contains(&own));
}

/// Two groups that need the same members in the same number.
fn same_group(a: &RequirementGroup, b: &RequirementGroup) -> bool {
    let mut left = a.members().to_vec();
    let mut right = b.members().to_vec();
    left.sort_unstable();
    right.sort_unstable();
    left == right && a.quorum() == b.quorum()
}

/// Rewrite requirement members to the merged snapshot's spelling of their ids (keyed by
/// identity).
fn rename_members(resource: &mut Resource, canonical: &HashMap<String, String>) {
    let spelled = |member: &mut String| {
        if let Some(id) = canonical.get(identity_key(member).as_ref())
            && id != member
        {
            *member = id.clone();
        }
    };
    for group in &mut resource.requirements {
        if let Some(one) = &mut group.requires {
            spelled(one);
        }
        for member in group.any_of.iter_mut().flatten() {
            spelled(member);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{SNAPSHOT_SCHEMA, Source, Zone, ZoneId};

    fn resource(id: &str, placement: Placement) -> Resource {
        Resource {
            provider: "aws".into(),
            region: Some("ap-northeast-1".into()),
            kind: "aws:ec2:instance".into(),
            placement,
            ..Resource::blank(id)
        }
    }

    fn zone(id: &str, name: Option<&str>) -> Zone {
        Zone {
            id: ZoneId::from(id),
            provider: "aws".into(),
            region: "ap-northeast-1".into(),
            name: name.map(str::to_string),
        }
    }

    fn snapshot(source: &str, zones: Vec<Zone>, resources: Vec<Resource>) -> Snapshot {
        Snapshot {
            schema: SNAPSHOT_SCHEMA.into(),
            sources: vec![Source::new(source, source)],
            coverage: Vec::new(),
            zones,
            entity: None,
            third_parties: Vec::new(),
            resources,
        }
    }

    const ARN: &str = "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0a";
    const SUBNET: &str = "arn:aws:ec2:ap-northeast-1:111122223333:subnet/subnet-0a";

    #[test]
    fn the_same_resource_becomes_one_with_the_crawls_facts_first() {
        let zonal = Placement::Zonal {
            zone: ZoneId::from("apne1-az4"),
        };
        let mut crawled = resource(ARN, zonal.clone());
        crawled
            .attributes
            .insert("instance_type".into(), json!("m7g.large"));
        crawled.tags.insert("team".into(), "api".into());
        crawled
            .requirements
            .push(RequirementGroup::requires(SUBNET));
        let subnet = resource(SUBNET, zonal.clone());
        let crawl = snapshot(
            "aws",
            vec![zone("apne1-az4", Some("ap-northeast-1a"))],
            vec![crawled, subnet],
        );

        let mut stated = resource(ARN, Placement::Unknown);
        stated.name = "web".into();
        stated
            .attributes
            .insert("instance_type".into(), json!("t3.micro"));
        stated
            .attributes
            .insert("tf_address".into(), json!("aws_instance.web"));
        stated.tags.insert("team".into(), "other".into());
        stated.tags.insert("owner".into(), "sre".into());
        // The same need as the crawl's, and one the crawl did not see.
        stated.requirements.push(RequirementGroup::requires(SUBNET));
        stated
            .requirements
            .push(RequirementGroup::requires("aws_ebs_volume.data"));
        let volume = resource("aws_ebs_volume.data", zonal);
        let state = snapshot(
            "terraform",
            vec![zone("apne1-az4", None), zone("apne1-az1", None)],
            vec![stated, volume],
        );

        let merged = prefer_first(crawl, state);
        assert_eq!(merged.sources.len(), 2);
        assert_eq!(merged.zones.len(), 2, "zones united");
        assert_eq!(merged.zones[0].name.as_deref(), Some("ap-northeast-1a"));
        assert_eq!(merged.resources.len(), 3);
        let web = &merged.resources[0];
        assert_eq!(web.id, ARN, "the crawl's spelling of the id");
        assert_eq!(web.placement.type_name(), "zonal", "the crawl's placement");
        assert_eq!(web.name, "web", "a name only the state has");
        assert_eq!(web.attributes["instance_type"], "m7g.large");
        assert_eq!(web.attributes["tf_address"], "aws_instance.web");
        assert_eq!(web.tags["team"], "api");
        assert_eq!(web.tags["owner"], "sre");
        let needs: Vec<&[String]> = web.requirements.iter().map(|g| g.members()).collect();
        assert_eq!(
            needs,
            [[SUBNET.to_string()], ["aws_ebs_volume.data".to_string()]],
            "requirements united, the same need once"
        );
        assert!(crate::snapshot::validate(&merged).is_empty());
    }

    #[test]
    fn an_unknown_crawled_placement_gives_way_to_the_states() {
        let crawl = snapshot("aws", Vec::new(), vec![resource(ARN, Placement::Unknown)]);
        let state = snapshot(
            "terraform",
            vec![zone("apne1-az4", None)],
            vec![resource(
                ARN,
                Placement::Zonal {
                    zone: ZoneId::from("apne1-az4"),
                },
            )],
        );
        let merged = prefer_first(crawl, state);
        assert_eq!(merged.resources.len(), 1);
        assert_eq!(merged.resources[0].placement.zones(), ["apne1-az4"]);
        assert!(crate::snapshot::validate(&merged).is_empty());
    }
}
