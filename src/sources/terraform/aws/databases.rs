//! Databases and brokers: RDS DB instances, Aurora and Multi-AZ DB clusters and their
//! instances, ElastiCache replication groups and clusters, MSK clusters, Amazon MQ brokers
//! and OpenSearch (and Elasticsearch) domains.
//!
//! A single-AZ DB instance is zonal in its `availability_zone`; a Multi-AZ one is over its
//! primary's zone and the other zones of its DB subnet group (the standby's zone is not in
//! the state: marked inferred), as the crawler infers it. A resource in one zone the state
//! does not name (AWS chose it) is `unpinned` in its region.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::json;

use super::super::build::{Index, Outcome, address_key};
use super::place::{Zoned, inferred, over};
use super::{Ctx, Facts, int, managed};
use crate::model::{Placement, RequirementGroup, Zone, ZoneId};
use crate::sources::aws::arn::rds_instance;

/// What the database instances learn from others before mapping.
#[derive(Default)]
pub struct DatabaseFacts {
    /// DB subnet group name (lower case) → its subnets.
    db_subnet_groups: HashMap<String, Vec<String>>,
    /// Cache subnet group name (lower case) → its subnets.
    cache_subnet_groups: HashMap<String, Vec<String>>,
    /// Redshift subnet group name (lower case) → its subnets.
    redshift_subnet_groups: HashMap<String, Vec<String>>,
    /// DB cluster identifier (lower case) → its instances' identifiers, address keys and
    /// zones.
    cluster_members: HashMap<String, Vec<Member>>,
    /// Replication group id (lower case) → its member clusters' address keys.
    group_members: HashMap<String, Vec<String>>,
}

/// An instance of a DB cluster the state holds.
struct Member {
    identifier: String,
    key: String,
    zone: Option<Zoned>,
}

impl DatabaseFacts {
    pub fn prepare(facts: &Facts, index: &Index<'_>) -> DatabaseFacts {
        let mut db = DatabaseFacts::default();
        for entry in super::aws_entries(index) {
            let attrs = entry.attrs();
            let subnets = || {
                attrs
                    .strs("subnet_ids")
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            };
            match entry.type_name() {
                "aws_db_subnet_group" => {
                    if let Some(name) = attrs.str("name").or_else(|| attrs.str("id")) {
                        db.db_subnet_groups
                            .entry(name.to_lowercase())
                            .or_insert_with(subnets);
                    }
                }
                "aws_elasticache_subnet_group" => {
                    if let Some(name) = attrs.str("name").or_else(|| attrs.str("id")) {
                        db.cache_subnet_groups
                            .entry(name.to_lowercase())
                            .or_insert_with(subnets);
                    }
                }
                "aws_redshift_subnet_group" => {
                    if let Some(name) = attrs.str("name").or_else(|| attrs.str("id")) {
                        db.redshift_subnet_groups
                            .entry(name.to_lowercase())
                            .or_insert_with(subnets);
                    }
                }
                _ => {}
            }
        }
        for entry in managed(index) {
            let attrs = entry.attrs();
            let me = || address_key(entry.file, &entry.instance.address);
            match entry.type_name() {
                "aws_rds_cluster_instance" => {
                    if let Some(cluster) = attrs.str("cluster_identifier") {
                        let zone = attrs
                            .str("availability_zone")
                            .map(|z| facts.zones.lookup(&facts.home(entry), z));
                        let identifier = attrs.str("identifier").or_else(|| attrs.str("id"));
                        db.cluster_members
                            .entry(cluster.to_lowercase())
                            .or_default()
                            .push(Member {
                                identifier: identifier.unwrap_or_default().to_string(),
                                key: me(),
                                zone,
                            });
                    }
                }
                "aws_elasticache_cluster" => {
                    if let Some(group) = attrs.str("replication_group_id") {
                        db.group_members
                            .entry(group.to_lowercase())
                            .or_default()
                            .push(me());
                    }
                }
                _ => {}
            }
        }
        db
    }
}

/// Map a database or broker instance; `None` for a type of another group.
pub fn map(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    match ctx.type_name() {
        "aws_db_instance" => db_instance(ctx),
        "aws_rds_cluster_instance" => cluster_instance(ctx),
        "aws_rds_cluster" => db_cluster(ctx),
        "aws_elasticache_replication_group" => replication_group(ctx),
        "aws_elasticache_cluster" => cache_cluster(ctx),
        "aws_msk_cluster" | "aws_msk_serverless_cluster" => kafka(ctx),
        "aws_mq_broker" => broker(ctx),
        "aws_opensearch_domain" | "aws_elasticsearch_domain" => search_domain(ctx),
        "aws_redshift_cluster" => redshift(ctx),
        "aws_elasticache_serverless_cache" => serverless_cache(ctx),
        "aws_db_subnet_group"
        | "aws_db_parameter_group"
        | "aws_db_option_group"
        | "aws_rds_cluster_parameter_group"
        | "aws_db_instance_role_association"
        | "aws_rds_cluster_role_association"
        | "aws_db_instance_automated_backups_replication"
        | "aws_elasticache_subnet_group"
        | "aws_redshift_subnet_group"
        | "aws_redshift_parameter_group"
        | "aws_elasticache_parameter_group"
        | "aws_elasticache_user"
        | "aws_elasticache_user_group"
        | "aws_elasticache_user_group_association"
        | "aws_msk_configuration"
        | "aws_msk_scram_secret_association"
        | "aws_mq_configuration"
        | "aws_opensearch_domain_policy"
        | "aws_opensearch_domain_saml_options"
        | "aws_elasticsearch_domain_policy"
        | "aws_elasticsearch_domain_saml_options" => Some(Outcome::Folded),
        _ => None,
    }
}

impl Ctx<'_, '_> {
    /// The zones of a subnet group's subnets.
    fn group_zones(
        &mut self,
        groups: &HashMap<String, Vec<String>>,
        name: Option<&str>,
    ) -> Vec<Zone> {
        let Some(subnets) = name.and_then(|n| groups.get(&n.to_lowercase())) else {
            return Vec::new();
        };
        let subnets: Vec<&str> = subnets.iter().map(String::as_str).collect();
        self.subnet_zones(&subnets, true)
    }
}

/// The zone IDs of `zones`, sorted.
fn ids(zones: &[Zone]) -> BTreeSet<&ZoneId> {
    zones.iter().map(|z| &z.id).collect()
}

/// A DB instance: single-AZ zonal in its primary's zone (unpinned when the state does not
/// name it); Multi-AZ over its primary's and its subnet group's zones (inferred), regional
/// when no standby zone can be told.
fn db_instance(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("identifier").or_else(|| attrs.str("id"));
    let id = ctx.arn_or(|region, account| rds_instance(region, account, name.unwrap_or_default()));
    let multi_az = attrs.bool("multi_az").unwrap_or(false);
    let primary = attrs.str("availability_zone").map(|z| ctx.zone(z));
    let facts = ctx.facts;
    let group_zones = ctx.group_zones(
        &facts.databases.db_subnet_groups,
        attrs.str("db_subnet_group_name"),
    );
    let (placement, zones) = match (&primary, multi_az) {
        (Some(primary), false) => over(vec![primary.clone()]),
        (primary, true) => {
            let mut all = group_zones.clone();
            all.extend(primary.clone());
            match inferred(all) {
                (p @ Placement::MultiZone { .. }, zones) => (p, zones),
                _ => (Placement::Regional, Vec::new()),
            }
        }
        (None, false) => (Placement::Unpinned, Vec::new()),
    };
    let mut resource = ctx.resource(id, "aws:rds:db-instance", placement, name);
    let a = &mut resource.attributes;
    a.insert("multi_az".into(), json!(multi_az));
    for (from, to) in [
        ("engine", "engine"),
        ("instance_class", "instance_class"),
        ("availability_zone", "zone_name"),
        ("replicate_source_db", "replica_of"),
        ("db_subnet_group_name", "subnet_group"),
    ] {
        if let Some(value) = attrs.str(from) {
            a.insert(to.into(), json!(value));
        }
    }
    if !group_zones.is_empty() {
        a.insert("subnet_group_zones".into(), json!(ids(&group_zones)));
    }
    let resource_id = attrs.str("resource_id").unwrap_or_default();
    ctx.done(resource, zones, &[resource_id, name.unwrap_or_default()])
}

/// An instance of an Aurora (or Multi-AZ DB) cluster: zonal in its zone.
fn cluster_instance(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("identifier").or_else(|| attrs.str("id"));
    let id = ctx.arn_or(|region, account| rds_instance(region, account, name.unwrap_or_default()));
    let zone = attrs.str("availability_zone").map(|z| ctx.zone(z));
    let placement = zone
        .as_ref()
        .map(|z| Placement::Zonal { zone: z.id.clone() })
        .unwrap_or(Placement::Unpinned);
    let mut resource = ctx.resource(id, "aws:rds:db-instance", placement, name);
    let a = &mut resource.attributes;
    for (from, to) in [
        ("engine", "engine"),
        ("instance_class", "instance_class"),
        ("availability_zone", "zone_name"),
        ("cluster_identifier", "cluster"),
    ] {
        if let Some(value) = attrs.str(from) {
            a.insert(to.into(), json!(value));
        }
    }
    if let Some(writer) = attrs.bool("writer") {
        a.insert(
            "role".into(),
            json!(if writer { "writer" } else { "reader" }),
        );
    }
    ctx.done(
        resource,
        zone.into_iter().collect(),
        &[name.unwrap_or_default()],
    )
}

/// A DB cluster: over its instances' zones (its `availability_zones` while it has none); it
/// needs any one of its instances.
fn db_cluster(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("cluster_identifier").or_else(|| attrs.str("id"));
    let id = ctx.arn_or(|region, account| {
        format!(
            "arn:aws:rds:{region}:{account}:cluster:{}",
            name.unwrap_or_default()
        )
    });
    let facts = ctx.facts;
    let in_state = name
        .and_then(|n| facts.databases.cluster_members.get(&n.to_lowercase()))
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Instance identifier → its reference: the instance in the state, else the ARN the
    // crawler gives the members the cluster lists.
    let mut members: BTreeMap<String, String> = in_state
        .iter()
        .map(|m| (m.identifier.to_lowercase(), m.key.clone()))
        .collect();
    if let (Some(region), Some(account)) = (&ctx.home().region, &ctx.home().account) {
        for member in attrs.strs("cluster_members") {
            members
                .entry(member.to_lowercase())
                .or_insert_with(|| rds_instance(region, account, member));
        }
    }
    let member_zones: Vec<Zone> = in_state
        .iter()
        .filter_map(|m| m.zone.clone().map(|z| z.zone))
        .collect();
    let zones = if member_zones.is_empty() {
        attrs
            .strs("availability_zones")
            .iter()
            .map(|z| ctx.zone(z))
            .collect()
    } else {
        member_zones
    };
    let (placement, zones) = over(zones);
    let mut resource = ctx.resource(id, "aws:rds:cluster", placement, name);
    let a = &mut resource.attributes;
    if let Some(engine) = attrs.str("engine") {
        a.insert("engine".into(), json!(engine));
    }
    if let Some(mode) = attrs.str("engine_mode") {
        a.insert("engine_mode".into(), json!(mode));
    }
    let multi_az = attrs.str("db_cluster_instance_class").is_some() || ids(&zones).len() > 1;
    a.insert("multi_az".into(), json!(multi_az));
    a.insert("members".into(), json!(members.len()));
    if !members.is_empty() {
        resource.requirements.push(
            RequirementGroup::any_of(members.into_values(), None)
                .with_label("failover to any cluster instance"),
        );
    }
    ctx.done(resource, zones, &[name.unwrap_or_default()])
}

/// An ElastiCache replication group. With automatic failover and several nodes: over its
/// nodes' preferred zones (else its subnet group's zones, inferred, when Multi-AZ is on;
/// unpinned when the nodes may all share one zone AWS chose). Without failover: where its
/// primary is (the first preferred zone), else unpinned.
fn replication_group(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs
        .str("replication_group_id")
        .or_else(|| attrs.str("id"));
    let id = ctx.arn_or(|region, account| {
        format!(
            "arn:aws:elasticache:{region}:{account}:replicationgroup:{}",
            name.unwrap_or_default()
        )
    });
    let failover = attrs.bool("automatic_failover_enabled").unwrap_or(false);
    let multi_az = attrs.bool("multi_az_enabled").unwrap_or(false);
    let shards = attrs
        .num("num_node_groups")
        .or_else(|| {
            attrs
                .block("cluster_mode")
                .and_then(|c| c.num("num_node_groups"))
        })
        .unwrap_or(1.0)
        .max(1.0);
    let replicas = attrs.num("replicas_per_node_group").or_else(|| {
        attrs
            .block("cluster_mode")
            .and_then(|c| c.num("replicas_per_node_group"))
    });
    let members = attrs.strs("member_clusters");
    let nodes = attrs
        .num("num_cache_clusters")
        .or_else(|| attrs.num("number_cache_clusters"))
        .or_else(|| replicas.map(|r| shards * (r + 1.0)))
        .unwrap_or(members.len() as f64);
    let preferred: Vec<&str> = {
        let p = attrs.strs("preferred_cache_cluster_azs");
        if p.is_empty() {
            attrs.strs("availability_zones")
        } else {
            p
        }
    };
    let preferred: Vec<Zone> = preferred.iter().map(|z| ctx.zone(z)).collect();
    let facts = ctx.facts;
    let (placement, zones) = if failover && nodes >= 2.0 {
        if !preferred.is_empty() {
            over(preferred)
        } else if multi_az {
            let group = ctx.group_zones(
                &facts.databases.cache_subnet_groups,
                attrs.str("subnet_group_name"),
            );
            match inferred(group) {
                (p @ Placement::MultiZone { .. }, zones) => (p, zones),
                _ => (Placement::Regional, Vec::new()),
            }
        } else {
            (Placement::Unpinned, Vec::new())
        }
    } else {
        match preferred.first() {
            Some(primary) => over(vec![primary.clone()]),
            None => (Placement::Unpinned, Vec::new()),
        }
    };
    let mut resource = ctx.resource(id, "aws:elasticache:replicationgroup", placement, name);
    let a = &mut resource.attributes;
    a.insert("automatic_failover".into(), json!(failover));
    a.insert("multi_az".into(), json!(multi_az));
    a.insert("num_cache_clusters".into(), json!(nodes as i64));
    a.insert("shards".into(), json!(shards as i64));
    if let Some(engine) = attrs.str("engine") {
        a.insert("engine".into(), json!(engine));
    }
    let in_state = name
        .and_then(|n| facts.databases.group_members.get(&n.to_lowercase()))
        .cloned()
        .unwrap_or_default();
    if failover && !in_state.is_empty() {
        resource
            .requirements
            .push(RequirementGroup::any_of(in_state, None).with_label("failover to any member"));
    }
    ctx.done(resource, zones, &[name.unwrap_or_default()])
}

/// An ElastiCache cluster: in its nodes' zones (its preferred zones while it reports none);
/// unpinned when the state names none.
fn cache_cluster(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("cluster_id").or_else(|| attrs.str("id"));
    let id = ctx.arn_or(|region, account| {
        format!(
            "arn:aws:elasticache:{region}:{account}:cluster:{}",
            name.unwrap_or_default()
        )
    });
    let mut names: Vec<&str> = attrs
        .blocks("cache_nodes")
        .iter()
        .filter_map(|n| n.str("availability_zone"))
        .collect();
    if names.is_empty() {
        names = attrs.strs("preferred_availability_zones");
    }
    if names.is_empty() {
        names.extend(attrs.str("availability_zone"));
    }
    let zones: Vec<Zone> = names.iter().map(|z| ctx.zone(z)).collect();
    let (placement, zones) = match over(zones) {
        (Placement::Unknown, _) => (Placement::Unpinned, Vec::new()),
        other => other,
    };
    let mut resource = ctx.resource(id, "aws:elasticache:cluster", placement, name);
    let a = &mut resource.attributes;
    if let Some(engine) = attrs.str("engine") {
        a.insert("engine".into(), json!(engine));
    }
    if let Some(nodes) = int(attrs, "num_cache_nodes") {
        a.insert("nodes".into(), nodes);
    }
    if let Some(group) = attrs.str("replication_group_id") {
        a.insert("replication_group".into(), json!(group));
    }
    ctx.done(resource, zones, &[name.unwrap_or_default()])
}

/// An MSK cluster: its brokers are spread over its client subnets' zones.
fn kafka(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("cluster_name");
    let id = ctx.arn_or(|_, _| super::super::build::fallback_id(ctx.entry));
    let subnets = match attrs.block("broker_node_group_info") {
        Some(info) => info.strs("client_subnets"),
        None => attrs
            .block("vpc_config")
            .map(|v| v.strs("subnet_ids"))
            .unwrap_or_default(),
    };
    let (placement, zones) = over(ctx.subnet_zones(&subnets, true));
    let mut resource = ctx.resource(id, "aws:kafka:cluster", placement, name);
    let a = &mut resource.attributes;
    a.insert("subnet_ids".into(), json!(subnets));
    if let Some(brokers) = int(attrs, "number_of_broker_nodes") {
        a.insert("brokers".into(), brokers);
    }
    if let Some(version) = attrs.str("kafka_version") {
        a.insert("kafka_version".into(), json!(version));
    }
    ctx.done(resource, zones, &[])
}

/// An Amazon MQ broker: a single-instance broker in its one subnet's zone (unpinned without
/// one); an active/standby or cluster deployment over its subnets' zones.
fn broker(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("broker_name");
    let id = ctx.arn_or(|_, _| super::super::build::fallback_id(ctx.entry));
    let mode = attrs.str("deployment_mode").unwrap_or("SINGLE_INSTANCE");
    let subnets = attrs.strs("subnet_ids");
    let single = mode == "SINGLE_INSTANCE";
    let used: Vec<&str> = if single {
        subnets.iter().take(1).copied().collect()
    } else {
        subnets.clone()
    };
    let (placement, zones) = match over(ctx.subnet_zones(&used, true)) {
        (Placement::Unknown, _) if single => (Placement::Unpinned, Vec::new()),
        (Placement::Unknown, _) => (Placement::Regional, Vec::new()),
        other => other,
    };
    let mut resource = ctx.resource(id, "aws:mq:broker", placement, name);
    let a = &mut resource.attributes;
    a.insert("deployment_mode".into(), json!(mode));
    if let Some(engine) = attrs.str("engine_type") {
        a.insert("engine".into(), json!(engine));
    }
    a.insert("subnet_ids".into(), json!(subnets));
    ctx.done(resource, zones, &[])
}

/// An OpenSearch (or Elasticsearch) domain: in a VPC over its subnets' zones, all in one
/// zone without zone awareness; outside a VPC regional with zone awareness, else unpinned.
fn search_domain(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("domain_name");
    let id = ctx.arn_or(|region, account| {
        format!(
            "arn:aws:es:{region}:{account}:domain/{}",
            name.unwrap_or_default()
        )
    });
    let cluster = attrs.block("cluster_config");
    let aware = cluster
        .and_then(|c| c.bool("zone_awareness_enabled"))
        .unwrap_or(false);
    let vpc = attrs.block("vpc_options");
    let subnets = vpc.map(|v| v.strs("subnet_ids")).unwrap_or_default();
    let mut zones = ctx.subnet_zones(&subnets, true);
    if zones.is_empty() {
        let names = vpc
            .map(|v| v.strs("availability_zones"))
            .unwrap_or_default();
        zones = names.iter().map(|z| ctx.zone(z)).collect();
    }
    if !aware {
        zones.truncate(1);
    }
    let (placement, zones) = match (over(zones), aware) {
        ((Placement::Unknown, _), true) => (Placement::Regional, Vec::new()),
        ((Placement::Unknown, _), false) => (Placement::Unpinned, Vec::new()),
        (other, _) => other,
    };
    let mut resource = ctx.resource(id, "aws:es:domain", placement, name);
    let a = &mut resource.attributes;
    a.insert("zone_awareness".into(), json!(aware));
    if let Some(nodes) = cluster.and_then(|c| int(c, "instance_count")) {
        a.insert("data_nodes".into(), nodes);
    }
    if !subnets.is_empty() {
        a.insert("subnet_ids".into(), json!(subnets));
    }
    for key in ["engine_version", "elasticsearch_version"] {
        if let Some(version) = attrs.str(key) {
            a.insert("engine_version".into(), json!(version));
        }
    }
    ctx.done(resource, zones, &[])
}

/// A Redshift cluster: Multi-AZ over its zone and its subnet group's (inferred; regional
/// when they cannot be told); else in its one zone (unpinned when the state names none).
fn redshift(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("cluster_identifier").or_else(|| attrs.str("id"));
    let id = ctx.arn_or(|region, account| {
        format!(
            "arn:aws:redshift:{region}:{account}:cluster:{}",
            name.unwrap_or_default()
        )
    });
    let multi_az = attrs.bool("multi_az").unwrap_or(false);
    let zone = attrs.str("availability_zone").map(|z| ctx.zone(z));
    let facts = ctx.facts;
    let (placement, zones) = if multi_az {
        let mut all = ctx.group_zones(
            &facts.databases.redshift_subnet_groups,
            attrs.str("cluster_subnet_group_name"),
        );
        all.extend(zone);
        match inferred(all) {
            (p @ Placement::MultiZone { .. }, zones) => (p, zones),
            _ => (Placement::Regional, Vec::new()),
        }
    } else {
        match zone {
            Some(zone) => over(vec![zone]),
            None => (Placement::Unpinned, Vec::new()),
        }
    };
    let mut resource = ctx.resource(id, "aws:redshift:cluster", placement, name);
    let a = &mut resource.attributes;
    a.insert("multi_az".into(), json!(multi_az));
    if let Some(nodes) = int(attrs, "number_of_nodes") {
        a.insert("number_of_nodes".into(), nodes);
    }
    if let Some(node_type) = attrs.str("node_type") {
        a.insert("node_type".into(), json!(node_type));
    }
    ctx.done(resource, zones, &[name.unwrap_or_default()])
}

/// An ElastiCache serverless cache: replicated over its subnets' zones.
fn serverless_cache(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs.str("name");
    let id = ctx.arn_or(|region, account| {
        format!(
            "arn:aws:elasticache:{region}:{account}:serverlesscache:{}",
            name.unwrap_or_default()
        )
    });
    let subnets = attrs.strs("subnet_ids");
    let (placement, zones) = match over(ctx.subnet_zones(&subnets, true)) {
        (Placement::Unknown, _) => (Placement::Regional, Vec::new()),
        other => other,
    };
    let mut resource = ctx.resource(id, "aws:elasticache:serverlesscache", placement, name);
    if let Some(engine) = attrs.str("engine") {
        resource.attributes.insert("engine".into(), json!(engine));
    }
    resource
        .attributes
        .insert("subnet_ids".into(), json!(subnets));
    ctx.done(resource, zones, &[])
}
