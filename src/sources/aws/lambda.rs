//! Lambda: functions are regional; a function attached to a VPC also needs any one of its
//! subnets (its network interfaces live there).

use serde_json::json;

use super::{Found, RegionCtx, arn};
use crate::model::{Placement, RequirementGroup};

const SERVICE: &str = "lambda";

pub(super) async fn crawl(ctx: &RegionCtx) -> Found {
    let client = aws_sdk_lambda::Client::new(&ctx.config);
    let pages = ctx
        .calls
        .pages(
            &ctx.scope,
            SERVICE,
            "ListFunctions",
            client
                .list_functions()
                .max_items(50)
                .into_paginator()
                .send(),
        )
        .await;
    let mut found = Found::default();
    if !ctx.calls.failed(&ctx.scope, SERVICE, "ListFunctions") {
        found.listed_kinds.push("aws:lambda:function");
    }
    for function in pages.iter().flat_map(|p| p.functions()) {
        let (Some(name), Some(id)) = (function.function_name(), function.function_arn()) else {
            continue;
        };
        let mut resource = ctx.resource(
            id.to_string(),
            "aws:lambda:function",
            name,
            Placement::Regional,
        );
        let attrs = &mut resource.attributes;
        if let Some(runtime) = function.runtime() {
            attrs.insert("runtime".into(), json!(runtime.as_str()));
        }
        let vpc = function.vpc_config();
        let subnets: Vec<&str> = vpc
            .map(|v| v.subnet_ids().iter().map(String::as_str).collect())
            .unwrap_or_default();
        if let Some(vpc_id) = vpc.and_then(|v| v.vpc_id()).filter(|v| !v.is_empty()) {
            attrs.insert("vpc_id".into(), json!(vpc_id));
        }
        if !subnets.is_empty() {
            attrs.insert("subnet_ids".into(), json!(subnets));
            resource.requirements.push(
                RequirementGroup::any_of(
                    subnets
                        .iter()
                        .map(|s| arn::ec2(&ctx.region, &ctx.account, "subnet", s)),
                    None,
                )
                .with_label("network interfaces in any of its subnets"),
            );
        }
        found.resources.push(resource);
    }
    found
}
