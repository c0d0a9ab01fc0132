//! The Resource Groups Tagging API: tags for every tagged resource of the region, and the
//! resources of services no describer reads. It omits untagged resources and Auto Scaling
//! groups, and may still list deleted resources.

use super::RegionCtx;

/// A tagged resource: its ARN and tags.
#[derive(Debug)]
pub(super) struct Tagged {
    pub arn: String,
    pub tags: Vec<(String, String)>,
}

/// Every tagged resource as (ARN, tags).
pub(super) async fn crawl(ctx: &RegionCtx) -> Vec<Tagged> {
    let client = aws_sdk_resourcegroupstagging::Client::new(&ctx.config);
    let pages = ctx
        .calls
        .pages(
            &ctx.scope,
            "tag",
            "GetResources",
            client
                .get_resources()
                .into_paginator()
                .page_size(100)
                .send(),
        )
        .await;
    // Pages read before a failure still carry good tags; the failure is on the ledger.
    pages
        .iter()
        .flat_map(|p| p.resource_tag_mapping_list())
        .filter_map(|mapping| {
            let arn = mapping.resource_arn()?.to_string();
            let tags = mapping
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            Some(Tagged { arn, tags })
        })
        .collect()
}
