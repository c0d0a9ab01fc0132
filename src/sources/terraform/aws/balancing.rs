//! Elastic Load Balancing: load balancers (ELBv2 and classic), listeners and their rules,
//! target groups and what is registered in them. As the crawler says: a load balancer lives
//! in the zones of its subnets and needs the target groups its listeners forward to; a
//! target group needs any one of its targets.
//!
//! Terraform writes the links as separate instances: listeners and listener rules (folded
//! into the load balancer's requirements), target group attachments, Auto Scaling
//! attachments, `target_group_arns` of Auto Scaling groups and `load_balancer` blocks of ECS
//! services (folded into the target group's members).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::json;

use super::super::attrs::Attrs;
use super::super::build::{Entry, Index, Outcome, address_key, key};
use super::place::over;
use super::{Ctx, dns, managed};
use crate::model::{Placement, RequirementGroup};

/// What the listeners and attachments of the estate add up to, by load balancer and target
/// group ARN (compared as keys).
#[derive(Default)]
pub struct LbFacts {
    /// Load balancer → the target group sets its listeners forward to, each labelled by the
    /// first listener (or rule) that does.
    needs: HashMap<String, BTreeMap<Vec<String>, String>>,
    /// Target group → references to its members.
    targets: HashMap<String, BTreeSet<String>>,
    /// Target group → members whose zones are not known (members only when alone).
    unplaced_targets: HashMap<String, BTreeSet<String>>,
    /// Target group → registered IP addresses (they name no resource).
    ip_targets: HashMap<String, Vec<String>>,
    /// Classic load balancer (name) → references to its instances and groups.
    classic_targets: HashMap<String, BTreeSet<String>>,
    /// Listener → its load balancer ARN (API Gateway integrations name listeners).
    listener_lb: HashMap<String, String>,
}

/// A listener: its load balancer and how it is labelled.
struct Listener {
    lb: String,
    label: String,
}

impl LbFacts {
    pub fn prepare(index: &Index<'_>) -> LbFacts {
        let mut facts = LbFacts::default();
        let mut tg_names: HashMap<String, String> = HashMap::new();
        let mut asg_names: HashMap<String, String> = HashMap::new();
        let mut listeners: HashMap<String, Listener> = HashMap::new();
        for entry in managed(index) {
            let attrs = entry.attrs();
            match entry.type_name() {
                "aws_lb_target_group" | "aws_alb_target_group" => {
                    if let (Some(arn), Some(name)) = (attrs.str("arn"), attrs.str("name")) {
                        tg_names.insert(key(arn), name.into());
                    }
                }
                "aws_autoscaling_group" => facts.learn_asg(entry, &mut asg_names),
                "aws_ecs_service" => facts.learn_ecs_service(entry),
                "aws_lb_listener" | "aws_alb_listener" => {
                    if let (Some(arn), Some(lb)) =
                        (attrs.str("arn"), attrs.str("load_balancer_arn"))
                    {
                        let label = format!(
                            "listener {}:{}",
                            attrs.str("protocol").unwrap_or("?"),
                            attrs.text("port").unwrap_or_else(|| "?".into())
                        );
                        facts.listener_lb.insert(key(arn), lb.to_string());
                        listeners.insert(
                            key(arn),
                            Listener {
                                lb: lb.to_string(),
                                label,
                            },
                        );
                    }
                }
                _ => {}
            }
        }
        for entry in managed(index) {
            facts.learn_link(entry, &tg_names, &asg_names, &listeners);
        }
        facts
    }

    fn learn_asg(&mut self, entry: Entry<'_>, asg_names: &mut HashMap<String, String>) {
        let attrs = entry.attrs();
        let me = address_key(entry.file, &entry.instance.address);
        if let Some(name) = attrs.str("name").or_else(|| attrs.str("id")) {
            asg_names.insert(name.to_string(), me.clone());
        }
        for group in attrs.strs("target_group_arns") {
            self.targets
                .entry(key(group))
                .or_default()
                .insert(me.clone());
        }
        for elb in attrs.strs("load_balancers") {
            self.classic_targets
                .entry(elb.to_string())
                .or_default()
                .insert(me.clone());
        }
    }

    /// An ECS service is a member of its target groups. One whose tasks' zones cannot be
    /// told (EC2 launch type without `awsvpc` subnets or capacity providers) would prop up a
    /// group it shares with placed targets, so it counts only where it is the only member.
    fn learn_ecs_service(&mut self, entry: Entry<'_>) {
        let attrs = entry.attrs();
        let me = address_key(entry.file, &entry.instance.address);
        let placed = attrs
            .block("network_configuration")
            .is_some_and(|n| !n.strs("subnets").is_empty())
            || !attrs.blocks("capacity_provider_strategy").is_empty();
        for balancer in attrs.blocks("load_balancer") {
            if let Some(group) = balancer.str("target_group_arn") {
                let members = if placed {
                    &mut self.targets
                } else {
                    &mut self.unplaced_targets
                };
                members.entry(key(group)).or_default().insert(me.clone());
            }
            if let Some(elb) = balancer.str("elb_name") {
                self.classic_targets
                    .entry(elb.to_string())
                    .or_default()
                    .insert(me.clone());
            }
        }
    }

    /// Learn one listener, rule or attachment.
    fn learn_link(
        &mut self,
        entry: Entry<'_>,
        tg_names: &HashMap<String, String>,
        asg_names: &HashMap<String, String>,
        listeners: &HashMap<String, Listener>,
    ) {
        let attrs = entry.attrs();
        match entry.type_name() {
            "aws_lb_listener" | "aws_alb_listener" => {
                let Some(listener) = attrs.str("arn").and_then(|a| listeners.get(&key(a))) else {
                    return;
                };
                for action in attrs.blocks("default_action") {
                    self.forward(&listener.lb, &listener.label, action, tg_names);
                }
            }
            "aws_lb_listener_rule" | "aws_alb_listener_rule" => {
                let Some(listener) = attrs
                    .str("listener_arn")
                    .and_then(|a| listeners.get(&key(a)))
                else {
                    return;
                };
                let label = format!(
                    "{} rule {}",
                    listener.label,
                    attrs.text("priority").unwrap_or_else(|| "?".into())
                );
                for action in attrs.blocks("action") {
                    self.forward(&listener.lb, &label, action, tg_names);
                }
            }
            "aws_lb_target_group_attachment" | "aws_alb_target_group_attachment" => {
                if let (Some(group), Some(target)) =
                    (attrs.str("target_group_arn"), attrs.str("target_id"))
                {
                    if target.starts_with("i-") || target.starts_with("arn:") {
                        self.targets
                            .entry(key(group))
                            .or_default()
                            .insert(target.to_string());
                    } else {
                        self.ip_targets
                            .entry(key(group))
                            .or_default()
                            .push(target.to_string());
                    }
                }
            }
            "aws_autoscaling_attachment" => {
                let Some(asg) = attrs.str("autoscaling_group_name") else {
                    return;
                };
                let member = asg_names
                    .get(asg)
                    .cloned()
                    .unwrap_or_else(|| format!("autoscaling group {asg}"));
                for group in ["lb_target_group_arn", "alb_target_group_arn"]
                    .iter()
                    .filter_map(|k| attrs.str(k))
                {
                    self.targets
                        .entry(key(group))
                        .or_default()
                        .insert(member.clone());
                }
                if let Some(elb) = attrs.str("elb") {
                    self.classic_targets
                        .entry(elb.to_string())
                        .or_default()
                        .insert(member);
                }
            }
            "aws_elb_attachment" => {
                if let (Some(elb), Some(instance)) = (attrs.str("elb"), attrs.str("instance")) {
                    self.classic_targets
                        .entry(elb.to_string())
                        .or_default()
                        .insert(instance.to_string());
                }
            }
            _ => {}
        }
    }

    /// The target groups one action forwards to: its `target_group_arn`, or the weighted
    /// groups of its `forward` block.
    fn forward(
        &mut self,
        lb: &str,
        label: &str,
        action: Attrs<'_>,
        tg_names: &HashMap<String, String>,
    ) {
        let mut groups: BTreeSet<String> = action
            .blocks("forward")
            .iter()
            .flat_map(|f| f.blocks("target_group"))
            .filter_map(|t| t.str("arn"))
            .map(str::to_string)
            .collect();
        if let Some(one) = action.str("target_group_arn") {
            groups.insert(one.to_string());
        }
        if groups.is_empty() {
            return;
        }
        let groups: Vec<String> = groups.into_iter().collect();
        let names: Vec<&str> = groups
            .iter()
            .map(|g| tg_names.get(&key(g)).map_or(g.as_str(), String::as_str))
            .collect();
        let text = format!("{label} forwards to {}", names.join(" or "));
        self.needs
            .entry(key(lb))
            .or_default()
            .entry(groups)
            .or_insert(text);
    }

    /// The load balancer a listener belongs to.
    pub fn listener_balancer(&self, listener: &str) -> Option<&str> {
        self.listener_lb.get(&key(listener)).map(String::as_str)
    }
}

/// Map a load balancing instance; `None` for a type of another group.
pub fn map(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    match ctx.type_name() {
        "aws_lb" | "aws_alb" => load_balancer(ctx),
        "aws_lb_target_group" | "aws_alb_target_group" => target_group(ctx),
        "aws_elb" => classic(ctx),
        "aws_lb_listener"
        | "aws_alb_listener"
        | "aws_lb_listener_rule"
        | "aws_alb_listener_rule"
        | "aws_lb_target_group_attachment"
        | "aws_alb_target_group_attachment"
        | "aws_autoscaling_attachment"
        | "aws_elb_attachment"
        | "aws_lb_listener_certificate"
        | "aws_alb_listener_certificate"
        | "aws_lb_cookie_stickiness_policy"
        | "aws_app_cookie_stickiness_policy"
        | "aws_load_balancer_policy"
        | "aws_load_balancer_listener_policy"
        | "aws_load_balancer_backend_server_policy"
        | "aws_proxy_protocol_policy"
        | "aws_lb_trust_store" => Some(Outcome::Folded),
        _ => None,
    }
}

/// An ELBv2 load balancer: in its subnets' zones; it needs the target groups its listeners
/// forward to.
fn load_balancer(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.arn_or(|_, _| super::super::build::fallback_id(ctx.entry));
    let mut subnets: Vec<&str> = attrs.strs("subnets");
    for mapping in attrs.blocks("subnet_mapping") {
        if let Some(subnet) = mapping.str("subnet_id")
            && !subnets.contains(&subnet)
        {
            subnets.push(subnet);
        }
    }
    let (placement, zones) = over(ctx.subnet_zones(&subnets, true));
    let kind = attrs.str("load_balancer_type").unwrap_or("application");
    let mut resource = ctx.resource(
        id.clone(),
        "aws:elasticloadbalancing:loadbalancer",
        placement,
        None,
    );
    let a = &mut resource.attributes;
    let internal = attrs.bool("internal").unwrap_or(false);
    a.insert(
        "scheme".into(),
        json!(if internal {
            "internal"
        } else {
            "internet-facing"
        }),
    );
    a.insert("type".into(), json!(kind));
    let names: Vec<&str> = zones.iter().filter_map(|z| z.name.as_deref()).collect();
    a.insert("zone_names".into(), json!(names));
    a.insert("subnet_ids".into(), json!(subnets));
    let dns_name = attrs.str("dns_name");
    if let Some(dns_name) = dns_name {
        a.insert("dns_name".into(), json!(dns_name));
    }
    if let Some(vpc) = attrs.str("vpc_id") {
        a.insert("vpc".into(), json!(vpc));
    }
    // Application load balancers always balance across zones; the others say so.
    let cross_zone = if kind == "application" {
        Some(true)
    } else {
        Some(
            attrs
                .bool("enable_cross_zone_load_balancing")
                .unwrap_or(false),
        )
    };
    if let Some(on) = cross_zone {
        a.insert("cross_zone".into(), json!(on));
    }
    for (groups, label) in ctx.facts.lb.needs.get(&key(&id)).into_iter().flatten() {
        let group = match groups.as_slice() {
            [one] => RequirementGroup::requires(one.clone()),
            many => RequirementGroup::any_of(many.iter().cloned(), None),
        };
        resource.requirements.push(group.with_label(label.clone()));
    }
    let alias = dns_name.map(dns).unwrap_or_default();
    ctx.done(resource, zones, &[&alias])
}

/// A target group: regional; it needs any one of its registered targets.
fn target_group(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let id = ctx.arn_or(|_, _| super::super::build::fallback_id(ctx.entry));
    let name = attrs.str("name");
    let mut resource = ctx.resource(
        id.clone(),
        "aws:elasticloadbalancing:targetgroup",
        Placement::Regional,
        name,
    );
    let lb = &ctx.facts.lb;
    let mut members: Vec<String> = lb
        .targets
        .get(&key(&id))
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if members.is_empty() {
        members.extend(
            lb.unplaced_targets
                .get(&key(&id))
                .into_iter()
                .flatten()
                .cloned(),
        );
    }
    let ips = lb.ip_targets.get(&key(&id));
    let a = &mut resource.attributes;
    a.insert(
        "target_type".into(),
        json!(attrs.str("target_type").unwrap_or("instance")),
    );
    if let Some(port) = super::int(attrs, "port") {
        a.insert("port".into(), port);
    }
    if let Some(protocol) = attrs.str("protocol") {
        a.insert("protocol".into(), json!(protocol));
    }
    a.insert(
        "targets".into(),
        json!(members.len() + ips.map_or(0, Vec::len)),
    );
    if let Some(ips) = ips {
        // IP targets name no resource: the zones behind them are unknown.
        a.insert("ip_targets".into(), json!(ips));
    }
    if !members.is_empty() {
        resource
            .requirements
            .push(RequirementGroup::any_of(members, None).with_label("any registered target"));
    }
    ctx.done(resource, Vec::new(), &[])
}

/// A classic load balancer: in its subnets' zones (its `availability_zones` outside a VPC);
/// it needs any one of its instances.
fn classic(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let attrs = ctx.attrs;
    let name = attrs
        .str("name")
        .or_else(|| attrs.str("id"))
        .unwrap_or_default();
    let id = ctx.arn_or(|region, account| {
        format!("arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{name}")
    });
    let subnets = attrs.strs("subnets");
    let zones = if subnets.is_empty() {
        attrs
            .strs("availability_zones")
            .iter()
            .map(|z| ctx.zone(z))
            .collect()
    } else {
        ctx.subnet_zones(&subnets, true)
    };
    let (placement, zones) = over(zones);
    let mut resource = ctx.resource(
        id,
        "aws:elasticloadbalancing:loadbalancer",
        placement,
        Some(name),
    );
    let a = &mut resource.attributes;
    let internal = attrs.bool("internal").unwrap_or(false);
    a.insert(
        "scheme".into(),
        json!(if internal {
            "internal"
        } else {
            "internet-facing"
        }),
    );
    a.insert("type".into(), json!("classic"));
    let names: Vec<&str> = zones.iter().filter_map(|z| z.name.as_deref()).collect();
    a.insert("zone_names".into(), json!(names));
    a.insert(
        "cross_zone".into(),
        json!(attrs.bool("cross_zone_load_balancing").unwrap_or(true)),
    );
    let dns_name = attrs.str("dns_name");
    if let Some(dns_name) = dns_name {
        a.insert("dns_name".into(), json!(dns_name));
    }
    let mut members: BTreeSet<String> = attrs
        .strs("instances")
        .into_iter()
        .map(str::to_string)
        .collect();
    members.extend(
        ctx.facts
            .lb
            .classic_targets
            .get(name)
            .into_iter()
            .flatten()
            .cloned(),
    );
    if !members.is_empty() {
        resource
            .requirements
            .push(RequirementGroup::any_of(members, None).with_label("any registered instance"));
    }
    let alias = dns_name.map(dns).unwrap_or_default();
    ctx.done(resource, zones, &[&alias])
}
