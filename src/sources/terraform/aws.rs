//! AWS resources of Terraform state, with the kinds, ids (ARNs), attribute names and edges the
//! AWS crawler gives the same resources, so that the rule pack judges both alike and a crawl
//! and a state of one estate meet on one id.
//!
//! Zones: a subnet's `availability_zone_id` is its zone ID; the subnets (and
//! `data.aws_availability_zones`) of an account give the zone name → ID map used for every
//! other zonal resource of that account. A name no subnet maps is kept as the name and
//! counted in coverage.

use std::collections::HashMap;

use serde_json::json;

use super::build::{self, Entry, Index, Made, Notes, Outcome};
use crate::model::{Placement, RequirementGroup, Resource, Zone, ZoneId};
use crate::sources::aws::Arn;
use crate::sources::aws::arn::{ec2, placement_by_arn};

/// The account and region an AWS instance belongs to, as far as the state tells.
#[derive(Debug, Clone, Default)]
pub struct Home {
    pub account: Option<String>,
    pub region: Option<String>,
}

/// What the AWS table learns from every instance before mapping any.
#[derive(Default)]
pub struct Facts {
    /// Per file: the account and region most of its ARNs name (for instances without one).
    file_home: Vec<Home>,
    /// (account, zone name) → zone ID; `None` account when the account is not known.
    zone_ids: HashMap<(Option<String>, String), ZoneId>,
}

impl Facts {
    pub fn prepare(index: &Index<'_>) -> Facts {
        let mut facts = Facts {
            file_home: file_homes(index),
            ..Facts::default()
        };
        for entry in index.managed.iter().chain(&index.data) {
            if entry.instance.provider != "aws" {
                continue;
            }
            facts.learn_zones(index, *entry);
        }
        facts
    }

    /// Zone name → ID pairs of subnets and of `data.aws_availability_zones`.
    fn learn_zones(&mut self, index: &Index<'_>, entry: Entry<'_>) {
        let attrs = entry.attrs();
        let account = self.home(index, entry).account;
        let pairs: Vec<(&str, &str)> = match entry.type_name() {
            "aws_subnet" | "aws_default_subnet" => attrs
                .str("availability_zone")
                .zip(attrs.str("availability_zone_id"))
                .into_iter()
                .collect(),
            "aws_availability_zones" => attrs
                .strs("names")
                .into_iter()
                .zip(attrs.strs("zone_ids"))
                .collect(),
            "aws_availability_zone" => attrs
                .str("name")
                .zip(attrs.str("zone_id"))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        for (name, id) in pairs {
            self.zone_ids
                .insert((account.clone(), name.to_string()), ZoneId::from(id));
            self.zone_ids
                .entry((None, name.to_string()))
                .or_insert_with(|| ZoneId::from(id));
        }
    }

    /// The account and region of an instance: from its ARN, else its own attributes, else
    /// what most of its file's ARNs say.
    pub fn home(&self, index: &Index<'_>, entry: Entry<'_>) -> Home {
        let _ = index;
        let attrs = entry.attrs();
        let arn = attrs.str("arn").and_then(Arn::parse);
        let fallback = self.file_home.get(entry.file).cloned().unwrap_or_default();
        let account = arn
            .as_ref()
            .map(|a| a.account)
            .filter(|a| !a.is_empty())
            .or_else(|| attrs.str("owner_id"))
            .map(str::to_string)
            .or(fallback.account);
        let region = arn
            .as_ref()
            .map(|a| a.region)
            .filter(|r| !r.is_empty())
            .or_else(|| attrs.str("region"))
            .map(str::to_string)
            .or_else(|| attrs.str("availability_zone").map(region_of_zone_name))
            .or(fallback.region);
        Home { account, region }
    }

    /// The zone ID of a zone name (or ID) of an account, and the zone to declare; a name no
    /// subnet maps is kept as the name and counted in coverage.
    pub fn zone(&self, home: &Home, name: &str, notes: &mut Notes, example: &str) -> Zone {
        let region = home
            .region
            .clone()
            .unwrap_or_else(|| region_of_zone_name(name));
        let known = self
            .zone_ids
            .get(&(home.account.clone(), name.to_string()))
            .or_else(|| self.zone_ids.get(&(None, name.to_string())));
        let (id, zone_name) = match known {
            Some(id) => (id.clone(), Some(name.to_string())),
            None if looks_like_zone_id(name) => (ZoneId::from(name), None),
            None => {
                notes.gap(
                    "aws",
                    home.account.as_deref(),
                    Some(&region),
                    "zone names",
                    &format!("{name} ({example})"),
                );
                (ZoneId::from(name), Some(name.to_string()))
            }
        };
        Zone {
            id,
            provider: "aws".into(),
            region,
            name: zone_name,
        }
    }

    /// Map one AWS instance; `None` for a type the table does not know.
    pub fn map(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Option<Outcome> {
        let home = self.home(index, entry);
        Some(match entry.type_name() {
            "aws_vpc" | "aws_default_vpc" => Outcome::Made(Box::new(self.vpc(index, entry, &home))),
            "aws_subnet" | "aws_default_subnet" => {
                Outcome::Made(Box::new(self.subnet(index, entry, &home, notes)))
            }
            "aws_instance" => Outcome::Made(Box::new(self.instance(index, entry, &home, notes))),
            _ => return None,
        })
    }

    /// A new AWS resource of `entry`, with account and region set.
    fn resource(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        home: &Home,
        id: String,
        kind: &str,
        placement: Placement,
    ) -> Resource {
        let mut resource = build::resource(index, entry, id, kind, placement);
        resource.account = home.account.clone();
        resource.region = home.region.clone();
        resource
    }

    /// The ARN of an EC2 object of `id`, or the state's own ARN when it has one.
    fn ec2_id(&self, entry: Entry<'_>, home: &Home, kind: &str, id: Option<&str>) -> String {
        if let Some(arn) = entry.attrs().str("arn") {
            return arn.to_string();
        }
        match (id, &home.account, &home.region) {
            (Some(id), Some(account), Some(region)) => ec2(region, account, kind, id),
            _ => build::fallback_id(entry),
        }
    }

    /// A reference to an EC2 object by its short id (`subnet-0abc`), as the ARN the crawler
    /// would give it when the account and region are known.
    pub fn ec2_ref(&self, home: &Home, kind: &str, id: &str) -> String {
        match (&home.account, &home.region) {
            (Some(account), Some(region)) if !id.starts_with("arn:") => {
                ec2(region, account, kind, id)
            }
            _ => id.to_string(),
        }
    }

    fn vpc(&self, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
        let attrs = entry.attrs();
        let short = attrs.str("id");
        let id = self.ec2_id(entry, home, "vpc", short);
        let mut resource =
            self.resource(index, entry, home, id, "aws:ec2:vpc", Placement::Regional);
        if let Some(cidr) = attrs.str("cidr_block") {
            resource.attributes.insert("cidr".into(), json!(cidr));
        }
        Made::new(resource).alias(short)
    }

    fn subnet(&self, index: &Index<'_>, entry: Entry<'_>, home: &Home, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let short = attrs.str("id");
        let id = self.ec2_id(entry, home, "subnet", short);
        let zone = attrs
            .str("availability_zone_id")
            .or_else(|| attrs.str("availability_zone"))
            .map(|z| self.zone(home, z, notes, &entry.instance.address));
        let placement = zone
            .as_ref()
            .map(|z| Placement::Zonal { zone: z.id.clone() })
            .unwrap_or(Placement::Unknown);
        let mut resource = self.resource(index, entry, home, id, "aws:ec2:subnet", placement);
        if let Some(name) = attrs.str("availability_zone") {
            resource.attributes.insert("zone_name".into(), json!(name));
        }
        if let Some(vpc) = attrs.str("vpc_id") {
            resource.attributes.insert("vpc".into(), json!(vpc));
            resource.requirements.push(
                RequirementGroup::requires(self.ec2_ref(home, "vpc", vpc)).with_label("in VPC"),
            );
        }
        Made::new(resource).zone(zone).alias(short)
    }

    fn instance(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        home: &Home,
        notes: &mut Notes,
    ) -> Made {
        let attrs = entry.attrs();
        let short = attrs.str("id");
        let id = self.ec2_id(entry, home, "instance", short);
        let zone = attrs
            .str("availability_zone")
            .map(|z| self.zone(home, z, notes, &entry.instance.address));
        let placement = zone
            .as_ref()
            .map(|z| Placement::Zonal { zone: z.id.clone() })
            .unwrap_or(Placement::Unknown);
        let mut resource = self.resource(index, entry, home, id, "aws:ec2:instance", placement);
        if let Some(kind) = attrs.str("instance_type") {
            resource
                .attributes
                .insert("instance_type".into(), json!(kind));
        }
        if let Some(name) = attrs.str("availability_zone") {
            resource.attributes.insert("zone_name".into(), json!(name));
        }
        if let Some(subnet) = attrs.str("subnet_id") {
            resource.requirements.push(
                RequirementGroup::requires(self.ec2_ref(home, "subnet", subnet))
                    .with_label("in subnet"),
            );
        }
        Made::new(resource).zone(zone).alias(short)
    }
}

impl Facts {
    /// An AWS type no table knows: its ARN (kind and placement as the tagging API would
    /// give), else its address.
    pub fn unknown(&self, index: &Index<'_>, entry: Entry<'_>) -> Made {
        let attrs = entry.attrs();
        let arn = attrs.str("arn").and_then(Arn::parse);
        let (id, kind, placement) = match &arn {
            Some(parsed) => (
                attrs.str("arn").unwrap_or_default().to_string(),
                parsed.kind(),
                placement_by_arn(parsed),
            ),
            None => (
                build::fallback_id(entry),
                format!("aws:terraform:{}", entry.type_name()),
                Placement::Unknown,
            ),
        };
        let home = self.home(index, entry);
        let mut resource = self.resource(index, entry, &home, id, &kind, placement);
        if resource.region.is_none() && resource.placement == Placement::Regional {
            resource.placement = Placement::Unknown;
        }
        Made::new(resource).alias(attrs.str("id"))
    }
}

/// Per file, the account and region most of its AWS ARNs name.
fn file_homes(index: &Index<'_>) -> Vec<Home> {
    let mut counts: Vec<(HashMap<String, usize>, HashMap<String, usize>)> =
        vec![Default::default(); index.files.len()];
    for entry in index.managed.iter().chain(&index.data) {
        if entry.instance.provider != "aws" {
            continue;
        }
        if let Some(arn) = entry.attrs().str("arn").and_then(Arn::parse) {
            let (accounts, regions) = &mut counts[entry.file];
            if !arn.account.is_empty() {
                *accounts.entry(arn.account.to_string()).or_default() += 1;
            }
            if !arn.region.is_empty() {
                *regions.entry(arn.region.to_string()).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|(accounts, regions)| Home {
            account: most(accounts),
            region: most(regions),
        })
        .collect()
}

fn most(counts: HashMap<String, usize>) -> Option<String> {
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(k, _)| k)
}

/// `ap-northeast-1a` → `ap-northeast-1`; a zone ID (`apne1-az4`) has no region in its text,
/// so it is returned as is only when nothing better is known.
pub fn region_of_zone_name(name: &str) -> String {
    name.trim_end_matches(|c: char| c.is_ascii_lowercase())
        .to_string()
}

/// `use1-az1`, `apne1-az4`, `usw2-lax1-az1`: AWS zone IDs.
fn looks_like_zone_id(name: &str) -> bool {
    name.rsplit_once("-az")
        .is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_and_ids_tell_apart() {
        assert_eq!(region_of_zone_name("ap-northeast-1a"), "ap-northeast-1");
        assert_eq!(region_of_zone_name("us-west-2-lax-1a"), "us-west-2-lax-1");
        assert!(looks_like_zone_id("apne1-az4"));
        assert!(looks_like_zone_id("usw2-lax1-az1"));
        assert!(!looks_like_zone_id("ap-northeast-1a"));
    }
}
