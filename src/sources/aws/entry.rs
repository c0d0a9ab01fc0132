//! Which AWS resources are entry points: where requests from outside reach the estate
//! (CloudFront distributions, Route 53 records, API Gateway APIs, internet-facing load
//! balancers). The AWS source states it as the attribute `entry_point: true`, so the graph
//! needs no knowledge of AWS kinds to select entry points as critical services.

use serde_json::Value;

use crate::model::{Resource, Snapshot};

/// Whether an AWS resource of this kind and these attributes is an entry point.
pub fn is_entry_point(resource: &Resource) -> bool {
    match resource.kind.as_str() {
        "aws:cloudfront:distribution" | "aws:route53:record" => true,
        "aws:apigateway:restapi" | "aws:apigateway:api" => true,
        "aws:elasticloadbalancing:loadbalancer" => {
            resource.attributes.get("scheme").and_then(Value::as_str) == Some("internet-facing")
        }
        _ => false,
    }
}

/// Set `entry_point: true` on every AWS entry point that does not state it yet, leaving an
/// explicit `entry_point` (either way) as it is. The crawl calls it on what it read; loading
/// a snapshot calls it too, for snapshots written before the source stated entry points.
pub fn state_entry_points(snapshot: &mut Snapshot) {
    for resource in &mut snapshot.resources {
        if resource.provider == "aws"
            && !resource.attributes.contains_key("entry_point")
            && is_entry_point(resource)
        {
            resource
                .attributes
                .insert("entry_point".into(), Value::Bool(true));
        }
    }
}
