//! Route 53 (global, read once per account): hosted zones and the records that point into
//! the estate. A record needs its hosted zone and its target — any one of them for failover,
//! weighted, latency and other multi-record policies. Targets are DNS names, resolved to
//! resources after the crawl (`dns:` members); records that point at nothing the crawl found
//! are left out.

use std::collections::BTreeMap;

use aws_sdk_route53::types::ResourceRecordSet;
use serde_json::json;

use super::calls::{Calls, Scope};
use super::{DNS_PREFIX, Found, global_resource};
use crate::model::{RequirementGroup, Resource};

const SERVICE: &str = "route53";

#[derive(Default)]
struct RecordSet {
    policies: Vec<&'static str>,
    health_check: Option<String>,
    targets: Vec<String>,
}

pub(super) async fn crawl(calls: &Calls, scope: &Scope, config: &aws_config::SdkConfig) -> Found {
    let client = aws_sdk_route53::Client::new(config);
    let zones = calls
        .pages(
            scope,
            SERVICE,
            "ListHostedZones",
            client
                .list_hosted_zones()
                .max_items(100)
                .into_paginator()
                .send(),
        )
        .await;
    let mut found = Found::default();
    if !calls.failed(scope, SERVICE, "ListHostedZones") {
        found.listed_kinds.push("aws:route53:hostedzone");
    }
    let account = &scope.account;
    for zone in zones.iter().flat_map(|p| p.hosted_zones()) {
        let zone_id = zone.id().trim_start_matches("/hostedzone/").to_string();
        let zone_arn = format!("arn:aws:route53:::hostedzone/{zone_id}");
        let (sets, count) = record_sets(calls, scope, &client, &zone_id).await;
        let mut hosted = global_resource(
            account,
            zone_arn.clone(),
            "aws:route53:hostedzone",
            zone.name().trim_end_matches('.'),
        );
        hosted.attributes.insert("records".into(), json!(count));
        hosted.attributes.insert(
            "private".into(),
            json!(zone.config().is_some_and(|c| c.private_zone())),
        );
        found.resources.push(hosted);
        for ((name, kind), set) in sets {
            if set.targets.is_empty() {
                continue;
            }
            found
                .resources
                .push(record(account, &zone_arn, &name, &kind, &set));
        }
    }
    found
}

/// Where the next page of records starts: name, type and set identifier.
type RecordStart = (String, String, Option<String>);

/// The A, AAAA and CNAME record sets of a hosted zone by (name, type), and how many records
/// it has of any type. Records page by (name, type, set identifier), not by token.
async fn record_sets(
    calls: &Calls,
    scope: &Scope,
    client: &aws_sdk_route53::Client,
    zone_id: &str,
) -> (BTreeMap<(String, String), RecordSet>, usize) {
    let mut sets: BTreeMap<(String, String), RecordSet> = BTreeMap::new();
    let mut count = 0;
    let mut start: Option<RecordStart> = None;
    loop {
        let mut request = client
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .max_items(300);
        if let Some((name, kind, identifier)) = &start {
            request = request
                .start_record_name(name)
                .start_record_type(kind.as_str().into())
                .set_start_record_identifier(identifier.clone());
        }
        let Some(page) = calls
            .one(scope, SERVICE, "ListResourceRecordSets", request.send())
            .await
        else {
            break;
        };
        for record in page.resource_record_sets() {
            count += 1;
            add_record(&mut sets, record);
        }
        if page.is_truncated() {
            start = page.next_record_name().map(|name| {
                (
                    name.to_string(),
                    page.next_record_type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    page.next_record_identifier().map(str::to_string),
                )
            });
            if start.is_none() {
                break;
            }
        } else {
            break;
        }
    }
    (sets, count)
}

/// Add an A, AAAA or CNAME record to its set: its routing policy, health check and targets
/// (alias DNS names, CNAME values). Other types are skipped.
fn add_record(sets: &mut BTreeMap<(String, String), RecordSet>, record: &ResourceRecordSet) {
    let kind = record.r#type().as_str().to_string();
    if !matches!(kind.as_str(), "A" | "AAAA" | "CNAME") {
        return;
    }
    let name = record.name().trim_end_matches('.').to_ascii_lowercase();
    let set = sets.entry((name, kind)).or_default();
    let policy = if record.failover().is_some() {
        "failover"
    } else if record.weight().is_some() {
        "weighted"
    } else if record.region().is_some() {
        "latency"
    } else if record.geo_location().is_some() {
        "geolocation"
    } else if record.multi_value_answer() == Some(true) {
        "multivalue"
    } else {
        "simple"
    };
    set.policies.push(policy);
    if let Some(check) = record.health_check_id()
        && (set.health_check.is_none()
            || record.failover().is_some_and(|f| f.as_str() == "PRIMARY"))
    {
        set.health_check = Some(check.to_string());
    }
    if let Some(alias) = record.alias_target() {
        set.targets.push(alias.dns_name().to_string());
    } else if record.r#type().as_str() == "CNAME" {
        set.targets.extend(
            record
                .resource_records()
                .iter()
                .map(|r| r.value().to_string()),
        );
    }
}

/// The resource of a record set with targets: it needs its hosted zone and its targets (any
/// one of several), as `dns:` members.
fn record(account: &str, zone_arn: &str, name: &str, kind: &str, set: &RecordSet) -> Resource {
    let id = format!("{zone_arn}/record/{name}/{kind}");
    let mut record = global_resource(account, id, "aws:route53:record", name);
    let policy = set
        .policies
        .iter()
        .find(|p| **p != "simple")
        .copied()
        .unwrap_or("simple");
    record
        .attributes
        .insert("routing_policy".into(), json!(policy));
    record.attributes.insert("record_type".into(), json!(kind));
    if let Some(check) = &set.health_check {
        record
            .attributes
            .insert("health_check_id".into(), json!(check));
    }
    record
        .attributes
        .insert("targets".into(), json!(set.targets));
    record
        .requirements
        .push(RequirementGroup::requires(zone_arn.to_string()).with_label("in hosted zone"));
    let targets: Vec<String> = set
        .targets
        .iter()
        .map(|t| format!("{DNS_PREFIX}{t}"))
        .collect();
    let group = if targets.len() == 1 {
        RequirementGroup::requires(targets[0].clone())
    } else {
        RequirementGroup::any_of(targets, None)
    };
    record
        .requirements
        .push(group.with_label(format!("{policy} routing to its target")));
    record
}
