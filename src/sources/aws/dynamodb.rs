//! DynamoDB: tables are regional; DescribeTable tells whether a table is a global table and
//! where its replicas are.

use serde_json::json;
use tokio::task::JoinSet;

use super::{Found, RegionCtx};
use crate::model::Placement;

const SERVICE: &str = "dynamodb";

pub(super) async fn crawl(ctx: &std::sync::Arc<RegionCtx>) -> Found {
    let client = aws_sdk_dynamodb::Client::new(&ctx.config);
    let pages = ctx
        .calls
        .pages(
            &ctx.scope,
            SERVICE,
            "ListTables",
            client.list_tables().limit(100).into_paginator().send(),
        )
        .await;
    let mut found = Found::default();
    if !ctx.calls.failed(&ctx.scope, SERVICE, "ListTables") {
        found.listed_kinds.push("aws:dynamodb:table");
    }
    let mut jobs = JoinSet::new();
    for name in pages.iter().flat_map(|p| p.table_names()) {
        let (client, ctx, name) = (client.clone(), ctx.clone(), name.clone());
        jobs.spawn(async move {
            let out = ctx
                .calls
                .one(
                    &ctx.scope,
                    SERVICE,
                    "DescribeTable",
                    client.describe_table().table_name(&name).send(),
                )
                .await;
            (name, out.and_then(|o| o.table))
        });
    }
    let mut tables = Vec::new();
    while let Some(done) = jobs.join_next().await {
        tables.push(done.expect("describe task does not panic"));
    }
    tables.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, table) in tables {
        let id = table
            .as_ref()
            .and_then(|t| t.table_arn())
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "arn:aws:dynamodb:{}:{}:table/{name}",
                    ctx.region, ctx.account
                )
            });
        let mut resource = ctx.resource(id, "aws:dynamodb:table", &name, Placement::Regional);
        if let Some(table) = &table {
            let replicas: Vec<&str> = table
                .replicas()
                .iter()
                .filter_map(|r| r.region_name())
                .filter(|r| *r != ctx.region)
                .collect();
            let attrs = &mut resource.attributes;
            attrs.insert("global_table".into(), json!(!replicas.is_empty()));
            attrs.insert("replicas".into(), json!(replicas));
            if let Some(mode) = table.billing_mode_summary().and_then(|b| b.billing_mode()) {
                attrs.insert("billing_mode".into(), json!(mode.as_str()));
            }
        }
        found.resources.push(resource);
    }
    found
}
