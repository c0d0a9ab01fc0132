//! AWS resources of Terraform state, with the kinds, ids (ARNs), attribute names and edges the
//! AWS crawler gives the same resources, so that the rule pack judges both alike and a crawl
//! and a state of one estate meet on one id.
//!
//! - Zones: a subnet's `availability_zone_id` is its zone ID; the subnets (and
//!   `data.aws_availability_zones`) of an account give the zone name → ID map used for every
//!   other zonal resource of that account (`place`). A name no subnet maps is kept as the
//!   name and counted in coverage.
//! - Ids: the state's `arn` (or an `id` that is an ARN); else the ARN the crawler builds (NAT
//!   gateways, EC2 objects of old states) when the account and region are known; else the
//!   Terraform address.
//! - Edges: written as references (short cloud ids, ARNs, DNS names, addresses of other
//!   instances) that the import resolves after mapping; what only works when the state has
//!   the target (subnet groups by name, route tables, listeners, attachments) is gathered
//!   once in `prepare`, per service group.
//!
//! One file per service group: `network` (VPC, subnets, NAT gateways, gateways, endpoints,
//! VPN, Direct Connect) with `routes` (route tables and NAT egress), `compute` (instances,
//! volumes, Auto Scaling, Lambda, ECS, EKS), `balancing` (ELBv2 and classic), `databases`
//! (RDS, ElastiCache, Redshift, MSK, MQ, OpenSearch), `storage` (EFS, DynamoDB, S3), `edge`
//! (Route 53, CloudFront, API Gateway) and `catalog` (IAM, the regional services placed by
//! their ARN, and the types folded into others).

mod balancing;
mod catalog;
mod compute;
mod databases;
mod edge;
mod network;
mod place;
mod routes;
mod storage;

use std::collections::HashMap;

use serde_json::{Value, json};

use super::attrs::Attrs;
use super::build::{self, Entry, Index, Made, Notes, Outcome};
use crate::model::{Placement, Resource, Zone};
use crate::sources::aws::Arn;
use crate::sources::aws::arn::{ec2, placement_by_arn};
use place::{SubnetFact, ZoneMap, Zoned};

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
    zones: ZoneMap,
    /// Subnets (managed and data sources) by short id.
    subnets: HashMap<String, SubnetFact>,
    net: routes::NetFacts,
    lb: balancing::LbFacts,
    compute: compute::ComputeFacts,
    databases: databases::DatabaseFacts,
    storage: storage::StorageFacts,
    edge: edge::EdgeFacts,
}

/// The AWS instances of the index, managed ones first.
fn aws_entries<'i, 'a>(index: &'i Index<'a>) -> impl Iterator<Item = Entry<'a>> + 'i {
    index
        .managed
        .iter()
        .chain(&index.data)
        .filter(|e| e.instance.provider == "aws")
        .copied()
}

/// The managed AWS instances of the index.
fn managed<'i, 'a>(index: &'i Index<'a>) -> impl Iterator<Item = Entry<'a>> + 'i {
    index
        .managed
        .iter()
        .filter(|e| e.instance.provider == "aws")
        .copied()
}

impl Facts {
    pub fn prepare(index: &Index<'_>) -> Facts {
        let mut facts = Facts {
            file_home: file_homes(index),
            ..Facts::default()
        };
        for entry in aws_entries(index) {
            facts.learn_zones(entry);
        }
        for entry in aws_entries(index) {
            facts.learn_subnet(entry);
        }
        facts.net = routes::NetFacts::prepare(&facts, index);
        facts.lb = balancing::LbFacts::prepare(index);
        facts.compute = compute::ComputeFacts::prepare(index);
        facts.databases = databases::DatabaseFacts::prepare(&facts, index);
        facts.storage = storage::StorageFacts::prepare(&facts, index);
        facts.edge = edge::EdgeFacts::prepare(index);
        facts
    }

    /// Zone name → ID pairs of subnets and of `data.aws_availability_zones`.
    fn learn_zones(&mut self, entry: Entry<'_>) {
        if !matches!(
            entry.type_name(),
            "aws_subnet"
                | "aws_default_subnet"
                | "aws_availability_zones"
                | "aws_availability_zone"
        ) {
            return;
        }
        let attrs = entry.attrs();
        let account = self.home(entry).account;
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
            self.zones.learn(account.as_deref(), name, id);
        }
    }

    /// A subnet's zone and VPC, by its short id (managed subnets win over data sources).
    fn learn_subnet(&mut self, entry: Entry<'_>) {
        if !matches!(entry.type_name(), "aws_subnet" | "aws_default_subnet") {
            return;
        }
        let attrs = entry.attrs();
        let Some(id) = attrs.str("id") else { return };
        let home = self.home(entry);
        let zone = attrs
            .str("availability_zone_id")
            .or_else(|| attrs.str("availability_zone"))
            .map(|z| {
                let mut zoned = self.zones.lookup(&home, z);
                if zoned.zone.name.is_none() {
                    zoned.zone.name = attrs.str("availability_zone").map(str::to_string);
                }
                zoned
            });
        self.subnets.entry(id.to_string()).or_insert(SubnetFact {
            zone,
            vpc: attrs.str("vpc_id").map(str::to_string),
        });
    }

    /// The account and region of an instance: from its ARN, else its own attributes, else
    /// what most of its file's ARNs say.
    pub fn home(&self, entry: Entry<'_>) -> Home {
        let attrs = entry.attrs();
        let arn = own_arn(attrs).and_then(Arn::parse);
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
            .map(str::to_string)
            .or_else(|| attrs.str("region").map(str::to_string))
            .or_else(|| {
                attrs
                    .str("availability_zone")
                    .and_then(place::region_of_zone_name)
            })
            .or(fallback.region);
        Home { account, region }
    }

    /// Map one AWS instance; `None` for a type the table does not know.
    pub fn map(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Option<Outcome> {
        let mut ctx = Ctx {
            facts: self,
            index,
            entry,
            attrs: entry.attrs(),
            home: std::cell::OnceCell::new(),
            notes,
        };
        network::map(&mut ctx)
            .or_else(|| compute::map(&mut ctx))
            .or_else(|| balancing::map(&mut ctx))
            .or_else(|| databases::map(&mut ctx))
            .or_else(|| storage::map(&mut ctx))
            .or_else(|| edge::map(&mut ctx))
            .or_else(|| catalog::map(&mut ctx))
    }

    /// An AWS type no table knows: its ARN (kind and placement as the tagging API would
    /// give), else its address.
    pub fn unknown(&self, index: &Index<'_>, entry: Entry<'_>) -> Made {
        let attrs = entry.attrs();
        let arn_text = own_arn(attrs);
        let arn = arn_text.and_then(Arn::parse);
        let (id, kind, placement) = match (&arn, arn_text) {
            (Some(parsed), Some(text)) => {
                (text.to_string(), parsed.kind(), placement_by_arn(parsed))
            }
            _ => (
                build::fallback_id(entry),
                format!("aws:terraform:{}", entry.type_name()),
                Placement::Unknown,
            ),
        };
        let home = self.home(entry);
        let mut resource = build::resource(index, entry, id, &kind, placement);
        resource.account = home.account;
        resource.region = home.region;
        if matches!(resource.placement, Placement::Global { .. }) {
            resource.region = None;
        }
        if resource.region.is_none() && resource.placement == Placement::Regional {
            resource.placement = Placement::Unknown;
        }
        Made::new(resource).alias(attrs.str("id"))
    }
}

/// The instance's own ARN: its `arn`, or an `id` that is an ARN.
pub(super) fn own_arn(attrs: Attrs<'_>) -> Option<&str> {
    attrs
        .str("arn")
        .filter(|a| a.starts_with("arn:"))
        .or_else(|| attrs.str("id").filter(|id| id.starts_with("arn:")))
}

/// One instance being mapped, with everything its table needs.
pub(super) struct Ctx<'c, 'a> {
    pub facts: &'c Facts,
    pub index: &'c Index<'a>,
    pub entry: Entry<'a>,
    pub attrs: Attrs<'a>,
    /// The account and region, read when first needed (most folded instances never do).
    home: std::cell::OnceCell<Home>,
    pub notes: &'c mut Notes,
}

impl<'a> Ctx<'_, 'a> {
    pub fn home(&self) -> &Home {
        self.home.get_or_init(|| self.facts.home(self.entry))
    }

    pub fn type_name(&self) -> &'a str {
        self.entry.type_name()
    }

    pub fn address(&self) -> &'a str {
        &self.entry.instance.address
    }

    /// A new AWS resource of this instance, with account and region, tags (`tags_all` too:
    /// the provider's default tags are on the cloud object), and the `Name` tag as its name
    /// as the crawler gives it, else `name`.
    pub fn resource(
        &self,
        id: String,
        kind: &str,
        placement: Placement,
        name: Option<&str>,
    ) -> Resource {
        let mut resource = build::resource(self.index, self.entry, id, kind, placement);
        resource.account = self.home().account.clone();
        resource.region = self.home().region.clone();
        for (k, v) in self.attrs.map("tags_all") {
            resource.tags.entry(k).or_insert(v);
        }
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            resource.name = name.to_string();
        } else if resource.name == self.address() {
            // As the crawler names what has no name of its own: by its cloud id.
            if let Some(short) = self.attrs.str("id") {
                resource.name = match Arn::parse(short) {
                    Some(arn) => arn.name().to_string(),
                    None => short.to_string(),
                };
            }
        }
        if let Some(tag) = resource.tags.get("Name").filter(|n| !n.is_empty()) {
            resource.name = tag.clone();
        }
        resource
    }

    /// The state's ARN, else the one `build` makes of the region and account, else the
    /// Terraform address.
    pub fn arn_or(&self, build: impl FnOnce(&str, &str) -> String) -> String {
        if let Some(arn) = own_arn(self.attrs) {
            return arn.to_string();
        }
        match (&self.home().region, &self.home().account) {
            (Some(region), Some(account)) => build(region, account),
            _ => build::fallback_id(self.entry),
        }
    }

    /// The ARN of an EC2 object of this instance's `id` (`natgateway/nat-…`).
    pub fn ec2_id(&self, kind: &str) -> String {
        match self.attrs.str("id") {
            Some(short) if !short.starts_with("arn:") => {
                self.arn_or(|region, account| ec2(region, account, kind, short))
            }
            _ => self.arn_or(|_, _| build::fallback_id(self.entry)),
        }
    }

    /// The zone a zone name (or ID) of this instance names; a name no subnet maps is counted
    /// in coverage.
    pub fn zone(&mut self, name: &str) -> Zone {
        let zoned = self.facts.zones.lookup(self.home(), name);
        self.use_zone(zoned)
    }

    fn use_zone(&mut self, zoned: Zoned) -> Zone {
        if !zoned.known {
            let example = format!("{} ({})", zoned.zone.id, self.address());
            let account = self.home().account.clone();
            self.notes.gap(
                "aws",
                account.as_deref(),
                Some(&zoned.zone.region),
                "zone names",
                &example,
            );
        }
        zoned.zone
    }

    /// The zone of a subnet the state holds (managed or data source).
    pub fn subnet_zone(&mut self, subnet: &str) -> Option<Zone> {
        let zoned = self.facts.subnets.get(subnet)?.zone.clone()?;
        Some(self.use_zone(zoned))
    }

    /// The zones of subnets. Subnets the state does not hold are counted as dangling
    /// references when `note_missing` (callers that also require the subnets leave that to
    /// the import, which counts the requirement members it cannot resolve).
    pub fn subnet_zones(&mut self, subnets: &[&str], note_missing: bool) -> Vec<Zone> {
        let mut zones = Vec::new();
        for subnet in subnets {
            match self.subnet_zone(subnet) {
                Some(zone) => zones.push(zone),
                None if note_missing && !self.facts.subnets.contains_key(*subnet) => {
                    self.dangling(subnet)
                }
                None => {}
            }
        }
        zones
    }

    /// Count a reference to something none of the states hold.
    pub fn dangling(&mut self, reference: &str) {
        let example = format!("{reference} from {}", self.address());
        let home = self.home().clone();
        self.notes.gap(
            "aws",
            home.account.as_deref(),
            home.region.as_deref(),
            "references",
            &example,
        );
    }

    /// The made resource: its zones declared, its region that of its zones (a zonal
    /// placement names the region it is in), a placement that needs a region it lacks made
    /// unknown; the cloud's short id and `aliases` as keys other instances may use.
    pub fn done(
        &self,
        mut resource: Resource,
        zones: Vec<Zone>,
        aliases: &[&str],
    ) -> Option<Outcome> {
        let named: Vec<Zone> = resource
            .placement
            .zones()
            .iter()
            .filter_map(|id| zones.iter().find(|z| &z.id == id).cloned())
            .collect();
        let mut declared = Vec::new();
        if let Some(first) = named.first() {
            let region = first.region.clone();
            declared = named.into_iter().filter(|z| z.region == region).collect();
            resource.placement = match &resource.placement {
                Placement::MultiZone { inferred, .. } if declared.len() > 1 => {
                    Placement::MultiZone {
                        zones: declared.iter().map(|z| z.id.clone()).collect(),
                        inferred: *inferred,
                    }
                }
                _ => Placement::Zonal {
                    zone: declared[0].id.clone(),
                },
            };
            resource.region = Some(region);
        } else if !resource.placement.zones().is_empty()
            || (matches!(
                resource.placement,
                Placement::Regional | Placement::Unpinned
            ) && resource.region.is_none())
        {
            resource.placement = Placement::Unknown;
        }
        if matches!(resource.placement, Placement::Global { .. }) {
            resource.region = None;
        }
        Some(self.made(resource, declared, aliases))
    }

    fn made(&self, resource: Resource, zones: Vec<Zone>, aliases: &[&str]) -> Outcome {
        let mut made = Made::new(resource).alias(self.attrs.str("id"));
        made.zones = zones;
        made.aliases.extend(
            aliases
                .iter()
                .filter(|a| !a.is_empty())
                .map(|a| a.to_string()),
        );
        Outcome::Made(Box::new(made))
    }
}

/// A whole number as JSON (state numbers may be floats or strings).
pub(super) fn int(attrs: Attrs<'_>, key: &str) -> Option<Value> {
    let n = attrs.num(key)?;
    if !n.is_finite() {
        return None;
    }
    Some(if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    })
}

/// A DNS name as compared: lower case, no trailing dot, no `dualstack.` prefix (the crawler's
/// normalisation of Route 53 and CloudFront targets).
pub(super) fn dns(name: &str) -> String {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix("dualstack.")
        .map(str::to_string)
        .unwrap_or(name)
}

/// Per file, the account and region its instances name most: the provider's own
/// (`data.aws_region`, `data.aws_caller_identity`) when the state reads them, else what most
/// ARNs, owner ids, `region` attributes and zone names say.
fn file_homes(index: &Index<'_>) -> Vec<Home> {
    #[derive(Clone, Default)]
    struct Counts<'a> {
        accounts: HashMap<&'a str, usize>,
        regions: HashMap<String, usize>,
    }
    // Ordinary evidence counts one; the provider's own region and account count as many as
    // every other instance of the file together.
    let mut counts: Vec<Counts> = vec![Counts::default(); index.files.len()];
    let mut sizes: Vec<usize> = vec![0; index.files.len()];
    for entry in aws_entries(index) {
        sizes[entry.file] += 1;
    }
    for entry in aws_entries(index) {
        let attrs = entry.attrs();
        let c = &mut counts[entry.file];
        let heavy = sizes[entry.file] + 1;
        match (entry.instance.data, entry.type_name()) {
            (true, "aws_region") => {
                if let Some(region) = attrs.str("name").or_else(|| attrs.str("id")) {
                    *c.regions.entry(region.to_string()).or_default() += heavy;
                }
                continue;
            }
            (true, "aws_caller_identity") => {
                if let Some(account) = attrs.str("account_id") {
                    *c.accounts.entry(account).or_default() += heavy;
                }
                continue;
            }
            _ => {}
        }
        let arn = own_arn(attrs).and_then(Arn::parse);
        let account = arn
            .as_ref()
            .map(|a| a.account)
            .filter(|a| !a.is_empty())
            .or_else(|| attrs.str("owner_id"));
        if let Some(account) = account {
            *c.accounts.entry(account).or_default() += 1;
        }
        let region = arn
            .as_ref()
            .map(|a| a.region)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .or_else(|| attrs.str("region").map(str::to_string))
            .or_else(|| {
                attrs
                    .str("availability_zone")
                    .and_then(place::region_of_zone_name)
            });
        if let Some(region) = region {
            *c.regions.entry(region).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|c| Home {
            account: most(
                c.accounts
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ),
            region: most(c.regions),
        })
        .collect()
}

fn most(counts: HashMap<String, usize>) -> Option<String> {
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_compare_as_the_crawler_compares_them() {
        assert_eq!(
            dns("dualstack.Web-123.ap-northeast-1.elb.amazonaws.com."),
            "web-123.ap-northeast-1.elb.amazonaws.com"
        );
    }

    #[test]
    fn whole_numbers_stay_whole() {
        let v = json!({"a": 3.0, "b": "4", "c": 1.5, "d": "x"});
        let a = Attrs(&v);
        assert_eq!(int(a, "a"), Some(json!(3)));
        assert_eq!(int(a, "b"), Some(json!(4)));
        assert_eq!(int(a, "c"), Some(json!(1.5)));
        assert_eq!(int(a, "d"), None);
    }
}
