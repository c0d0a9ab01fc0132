//! Where requests enter: Route 53 hosted zones, records and health checks, CloudFront
//! distributions, API Gateway REST and HTTP/WebSocket APIs and their custom domain names.
//!
//! As the crawler says: a record set (the records of one name and type, a failover pair, a
//! weighted or latency set) needs its hosted zone and any one of its targets; a distribution
//! needs every origin its cache behaviours route to, any one member of an origin group.
//! Targets are DNS names, resolved to the resources known by them (load balancers,
//! distributions, buckets, API domain names, other records). Terraform writes each record of
//! a set as an instance of its own: the first makes the set's resource, the others fold into
//! it. Records of other types (TXT, MX, NS, ...) and `_`-prefixed service or validation
//! records fold into their hosted zone. An API needs what its integrations call (Lambda
//! functions, load balancers through VPC links); a custom domain needs the APIs mapped to it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::json;

use super::super::attrs::Attrs;
use super::super::build::{Index, Outcome};
use super::{Ctx, dns, managed};
use crate::model::{Placement, RequirementGroup};

/// What the edge instances learn from others before mapping.
#[derive(Default)]
pub struct EdgeFacts {
    /// Record set (hosted zone, name, type) → positions in the index's managed instances of
    /// its records, in state order.
    sets: HashMap<(String, String, String), Vec<usize>>,
    /// Hosted zone id → records the states hold in it.
    zone_records: HashMap<String, usize>,
    private_zones: HashSet<String>,
    /// API id → what its integrations call.
    integrations: HashMap<String, BTreeSet<String>>,
    /// Custom domain name → the APIs mapped to it.
    mappings: HashMap<String, BTreeSet<String>>,
}

/// The key of a record's set, when it is an A, AAAA or CNAME record of a name that serves
/// requests.
fn set_key(attrs: Attrs<'_>) -> Option<(String, String, String)> {
    let zone = zone_id(attrs.str("zone_id")?);
    let name = dns(attrs.str("fqdn").or_else(|| attrs.str("name"))?);
    let kind = attrs.str("type")?.to_ascii_uppercase();
    let serving = matches!(kind.as_str(), "A" | "AAAA" | "CNAME") && !name.starts_with('_');
    serving.then_some((zone, name, kind))
}

/// `/hostedzone/Z1` → `Z1`.
fn zone_id(id: &str) -> String {
    id.trim().trim_start_matches("/hostedzone/").to_string()
}

/// The Lambda function an integration URI calls: a function ARN (its qualifier dropped), or
/// the function ARN inside an API Gateway invocation ARN.
fn lambda_of(uri: &str) -> Option<String> {
    let arn = match uri.find("functions/") {
        Some(at) => uri[at + "functions/".len()..].trim_end_matches("/invocations"),
        None => uri,
    };
    if !arn.starts_with("arn:") || !arn.contains(":lambda:") {
        return None;
    }
    Some(arn.split(':').take(7).collect::<Vec<_>>().join(":"))
}

impl EdgeFacts {
    pub fn prepare(index: &Index<'_>) -> EdgeFacts {
        let mut edge = EdgeFacts::default();
        let mut vpc_links: HashMap<String, Vec<String>> = HashMap::new();
        for (at, entry) in index.managed.iter().enumerate() {
            if entry.instance.provider != "aws" {
                continue;
            }
            let attrs = entry.attrs();
            match entry.type_name() {
                "aws_route53_record" => {
                    if let Some(zone) = attrs.str("zone_id") {
                        *edge.zone_records.entry(zone_id(zone)).or_default() += 1;
                    }
                    if let Some(key) = set_key(attrs) {
                        edge.sets.entry(key).or_default().push(at);
                    }
                }
                "aws_route53_zone" => {
                    let zone = attrs.str("zone_id").or_else(|| attrs.str("id"));
                    if let Some(zone) = zone
                        && !attrs.blocks("vpc").is_empty()
                    {
                        edge.private_zones.insert(zone_id(zone));
                    }
                }
                "aws_api_gateway_vpc_link" => {
                    if let Some(id) = attrs.str("id") {
                        let targets = attrs.strs("target_arns").into_iter().map(str::to_string);
                        vpc_links.insert(id.into(), targets.collect());
                    }
                }
                "aws_api_gateway_base_path_mapping" | "aws_apigatewayv2_api_mapping" => {
                    if let (Some(domain), Some(api)) =
                        (attrs.str("domain_name"), attrs.str("api_id"))
                    {
                        edge.mappings
                            .entry(domain.to_ascii_lowercase())
                            .or_default()
                            .insert(api.into());
                    }
                }
                _ => {}
            }
        }
        for entry in managed(index) {
            let attrs = entry.attrs();
            let (api, uri) = match entry.type_name() {
                "aws_api_gateway_integration" => (attrs.str("rest_api_id"), attrs.str("uri")),
                "aws_apigatewayv2_integration" => {
                    (attrs.str("api_id"), attrs.str("integration_uri"))
                }
                _ => continue,
            };
            let Some(api) = api else { continue };
            let mut targets: Vec<String> = uri.and_then(lambda_of).into_iter().collect();
            if let Some(uri) = uri.filter(|u| u.contains(":elasticloadbalancing:")) {
                targets.push(uri.to_string());
            }
            if attrs.str("connection_type") == Some("VPC_LINK")
                && let Some(link) = attrs.str("connection_id").and_then(|l| vpc_links.get(l))
            {
                targets.extend(link.iter().cloned());
            }
            edge.integrations
                .entry(api.to_string())
                .or_default()
                .extend(targets);
        }
        edge
    }
}

/// Map an edge instance; `None` for a type of another group.
pub fn map(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    match ctx.type_name() {
        "aws_route53_zone" => hosted_zone(ctx),
        "aws_route53_record" => record(ctx),
        "aws_route53_health_check" => health_check(ctx),
        "aws_cloudfront_distribution" => distribution(ctx),
        "aws_api_gateway_rest_api" | "aws_apigatewayv2_api" => api(ctx),
        "aws_api_gateway_domain_name" | "aws_apigatewayv2_domain_name" => api_domain(ctx),
        t if t.starts_with("aws_route53_")
            && !t.starts_with("aws_route53_resolver")
            && !t.starts_with("aws_route53recovery") =>
        {
            Some(Outcome::Folded)
        }
        t if t.starts_with("aws_cloudfront_")
            || t.starts_with("aws_api_gateway_")
            || t.starts_with("aws_apigatewayv2_") =>
        {
            Some(Outcome::Folded)
        }
        _ => None,
    }
}

/// A global resource (control plane in us-east-1).
fn global() -> Placement {
    Placement::Global {
        control_plane_region: Some("us-east-1".into()),
    }
}

fn hosted_zone(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let zone = zone_id(
        attrs
            .str("zone_id")
            .or_else(|| attrs.str("id"))
            .unwrap_or_default(),
    );
    let id = super::own_arn(attrs)
        .map(str::to_string)
        .unwrap_or_else(|| format!("arn:aws:route53:::hostedzone/{zone}"));
    let name = attrs.str("name").map(|n| n.trim_end_matches('.'));
    let mut resource = ctx.resource(id, "aws:route53:hostedzone", global(), name);
    let edge = &ctx.facts.edge;
    let a = &mut resource.attributes;
    a.insert(
        "records".into(),
        json!(edge.zone_records.get(&zone).copied().unwrap_or(0)),
    );
    a.insert("private".into(), json!(edge.private_zones.contains(&zone)));
    ctx.done(resource, Vec::new(), &[&zone])
}

/// What one record of a set says.
struct RecordShape {
    policy: &'static str,
    primary: bool,
    health_check: Option<String>,
    targets: Vec<String>,
}

fn record_shape(attrs: Attrs<'_>, name: &str) -> RecordShape {
    let has = |key: &str| !attrs.blocks(key).is_empty();
    let policy = if has("failover_routing_policy") {
        "failover"
    } else if has("weighted_routing_policy") {
        "weighted"
    } else if has("latency_routing_policy") {
        "latency"
    } else if has("geolocation_routing_policy") {
        "geolocation"
    } else if has("geoproximity_routing_policy") {
        "geoproximity"
    } else if has("cidr_routing_policy") {
        "cidr"
    } else if attrs.bool("multivalue_answer_routing_policy") == Some(true) {
        "multivalue"
    } else {
        "simple"
    };
    let primary = attrs
        .block("failover_routing_policy")
        .and_then(|f| f.str("type"))
        .is_some_and(|t| t.eq_ignore_ascii_case("PRIMARY"));
    let mut targets = Vec::new();
    if let Some(alias) = attrs.block("alias").and_then(|a| a.str("name")) {
        let alias = dns(alias);
        // An alias to an S3 website endpoint names the region's endpoint; the bucket is
        // the one named like the record.
        if alias.starts_with("s3-website") {
            targets.push(format!("arn:aws:s3:::{name}"));
        } else {
            targets.push(alias);
        }
    } else if attrs
        .str("type")
        .is_some_and(|t| t.eq_ignore_ascii_case("CNAME"))
    {
        targets.extend(attrs.strs("records").into_iter().map(dns));
    }
    RecordShape {
        policy,
        primary,
        health_check: attrs.str("health_check_id").map(str::to_string),
        targets,
    }
}

/// A record set: made by its first record, the others fold into it.
fn record(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let Some(set) = set_key(ctx.attrs) else {
        return Some(Outcome::Folded);
    };
    let facts = ctx.facts;
    let index = ctx.index;
    let members = facts
        .edge
        .sets
        .get(&set)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let leader = members.first().map(|&at| index.managed[at].instance);
    if !leader.is_some_and(|l| std::ptr::eq(l, ctx.entry.instance)) {
        return Some(Outcome::Folded);
    }
    let (zone, name, kind) = set;
    let zone_arn = format!("arn:aws:route53:::hostedzone/{zone}");
    let mut policies = Vec::new();
    let mut health_check: Option<String> = None;
    let mut targets: Vec<String> = Vec::new();
    for &at in members {
        let shape = record_shape(index.managed[at].attrs(), &name);
        policies.push(shape.policy);
        if let Some(check) = shape.health_check
            && (health_check.is_none() || shape.primary)
        {
            health_check = Some(check);
        }
        for target in shape.targets {
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    let policy = policies
        .iter()
        .find(|p| **p != "simple")
        .copied()
        .unwrap_or("simple");
    let id = format!("{zone_arn}/record/{name}/{kind}");
    let mut resource = ctx.resource(id, "aws:route53:record", global(), Some(&name));
    resource.name = name.clone();
    let a = &mut resource.attributes;
    a.insert("routing_policy".into(), json!(policy));
    a.insert("record_type".into(), json!(kind));
    if let Some(check) = &health_check {
        a.insert("health_check_id".into(), json!(check));
    }
    a.insert("targets".into(), json!(targets));
    if facts.edge.private_zones.contains(&zone) {
        // Names of a private hosted zone resolve only inside its VPCs.
        a.insert("entry_point".into(), json!(false));
    }
    resource
        .requirements
        .push(RequirementGroup::requires(zone.clone()).with_label("in hosted zone"));
    let label = format!("{policy} routing to its target");
    match targets.as_slice() {
        [] => {}
        [one] => resource
            .requirements
            .push(RequirementGroup::requires(one.clone()).with_label(label)),
        many => resource
            .requirements
            .push(RequirementGroup::any_of(many.iter().cloned(), None).with_label(label)),
    }
    ctx.done(resource, Vec::new(), &[&name])
}

fn health_check(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let short = attrs.str("id").unwrap_or_default();
    let id = super::own_arn(attrs)
        .map(str::to_string)
        .unwrap_or_else(|| format!("arn:aws:route53:::healthcheck/{short}"));
    let mut resource = ctx.resource(id, "aws:route53:healthcheck", global(), attrs.str("fqdn"));
    for key in ["type", "fqdn", "ip_address", "port", "resource_path"] {
        if let Some(value) = attrs.text(key) {
            resource.attributes.insert(key.into(), json!(value));
        }
    }
    ctx.done(resource, Vec::new(), &[])
}

/// A CloudFront distribution: it needs every origin its cache behaviours route to; an origin
/// group needs any one of its members.
fn distribution(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let short = attrs.str("id").unwrap_or_default();
    let id = ctx.arn_or(|_, account| format!("arn:aws:cloudfront::{account}:distribution/{short}"));
    let aliases = attrs.strs("aliases");
    let origins: BTreeMap<&str, &str> = attrs
        .blocks("origin")
        .iter()
        .filter_map(|o| Some((o.str("origin_id")?, o.str("domain_name")?)))
        .collect();
    let groups: BTreeMap<&str, Vec<&str>> = attrs
        .blocks("origin_group")
        .iter()
        .filter_map(|g| {
            let members = g
                .blocks("member")
                .iter()
                .filter_map(|m| m.str("origin_id"))
                .collect();
            Some((g.str("origin_id")?, members))
        })
        .collect();
    let mut routed: BTreeSet<&str> = BTreeSet::new();
    for behavior in attrs
        .blocks("default_cache_behavior")
        .iter()
        .chain(&attrs.blocks("ordered_cache_behavior"))
    {
        routed.extend(behavior.str("target_origin_id"));
    }
    let name = aliases.first().copied().unwrap_or(short);
    let mut resource = ctx.resource(id, "aws:cloudfront:distribution", global(), Some(name));
    for target in routed {
        let (members, label): (Vec<String>, String) = match groups.get(target) {
            Some(members) => (
                members
                    .iter()
                    .filter_map(|m| origins.get(m))
                    .map(|d| dns(d))
                    .collect(),
                format!("origin group {target}: failover to any member"),
            ),
            None => (
                origins
                    .get(target)
                    .map(|d| vec![dns(d)])
                    .unwrap_or_default(),
                format!("origin {target}"),
            ),
        };
        let group = match members.as_slice() {
            [] => continue,
            [one] => RequirementGroup::requires(one.clone()),
            many => RequirementGroup::any_of(many.iter().cloned(), None),
        };
        resource.requirements.push(group.with_label(label));
    }
    let domain = attrs.str("domain_name");
    let a = &mut resource.attributes;
    if let Some(domain) = domain {
        a.insert("domain_name".into(), json!(domain));
    }
    a.insert("origin_groups".into(), json!(groups.len()));
    a.insert("origins".into(), json!(origins.len()));
    let domains: BTreeSet<&&str> = origins.values().collect();
    a.insert("origin_domains".into(), json!(domains));
    a.insert("aliases".into(), json!(aliases));
    if let Some(status) = attrs.str("status") {
        a.insert("status".into(), json!(status));
    }
    let alias = domain.map(dns).unwrap_or_default();
    ctx.done(resource, Vec::new(), &[&alias])
}

/// A REST or HTTP/WebSocket API: regional; it needs what its integrations call. A private
/// REST API is not an entry point from the internet.
fn api(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let short = attrs.str("id").unwrap_or_default();
    let rest = ctx.type_name() == "aws_api_gateway_rest_api";
    let (path, kind) = if rest {
        ("restapis", "aws:apigateway:restapi")
    } else {
        ("apis", "aws:apigateway:api")
    };
    let id = ctx.arn_or(|region, _| format!("arn:aws:apigateway:{region}::/{path}/{short}"));
    let mut resource = ctx.resource(id, kind, Placement::Regional, attrs.str("name"));
    let endpoint = attrs
        .block("endpoint_configuration")
        .and_then(|e| e.strs("types").first().copied());
    let a = &mut resource.attributes;
    if let Some(endpoint) = endpoint {
        a.insert("endpoint_type".into(), json!(endpoint));
        if endpoint.eq_ignore_ascii_case("PRIVATE") {
            a.insert("entry_point".into(), json!(false));
        }
    }
    if let Some(protocol) = attrs.str("protocol_type") {
        a.insert("protocol_type".into(), json!(protocol));
    }
    let facts = ctx.facts;
    for target in facts.edge.integrations.get(short).into_iter().flatten() {
        let target = facts
            .lb
            .listener_balancer(target)
            .unwrap_or(target.as_str())
            .to_string();
        if resource
            .requirements
            .iter()
            .any(|g| g.requires.as_ref() == Some(&target))
        {
            continue;
        }
        let label = format!("integration with {target}");
        resource
            .requirements
            .push(RequirementGroup::requires(target).with_label(label));
    }
    ctx.done(resource, Vec::new(), &[])
}

/// An API custom domain name: regional; it needs the APIs mapped to it, and is known by its
/// target domain names to Route 53 records.
fn api_domain(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let domain = attrs.str("domain_name").unwrap_or_default();
    let id = ctx.arn_or(|region, _| format!("arn:aws:apigateway:{region}::/domainnames/{domain}"));
    let mut resource = ctx.resource(
        id,
        "aws:apigateway:domainname",
        Placement::Regional,
        Some(domain),
    );
    let mappings = ctx.facts.edge.mappings.get(&domain.to_ascii_lowercase());
    for api in mappings.into_iter().flatten() {
        resource.requirements.push(
            RequirementGroup::requires(api.clone()).with_label(format!("mapped to API {api}")),
        );
    }
    let mut names: Vec<String> = ["regional_domain_name", "cloudfront_domain_name"]
        .iter()
        .filter_map(|k| attrs.str(k))
        .map(dns)
        .collect();
    names.extend(
        attrs
            .blocks("domain_name_configuration")
            .iter()
            .filter_map(|c| c.str("target_domain_name"))
            .map(dns),
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    ctx.done(resource, Vec::new(), &names)
}
