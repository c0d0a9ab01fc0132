//! The types placed by their service alone, and the types folded into others.
//!
//! - IAM (`aws_iam_*`) objects with an ARN are global with their control plane in us-east-1,
//!   as the ARN placement rules say; IAM relations without one (policy attachments, inline
//!   policies, memberships, keys) fold into the identities they attach to.
//! - Resources of regional services (queues, topics, keys, secrets, log groups, alarms, ...)
//!   are regional, with the kind their ARN gives (as the tagging API would give it).
//! - Configuration written as instances of its own (policies, subscriptions, permissions,
//!   launch templates, security group rules, ...) folds into the resource it configures: it
//!   has no failure domain of its own.

use serde_json::json;

use super::super::build::Outcome;
use super::{Ctx, own_arn};
use crate::model::Placement;
use crate::sources::aws::Arn;
use crate::sources::aws::arn::placement_by_arn;

/// Types of regional services, with the kind to use when the state has no ARN.
const REGIONAL: &[(&str, &str)] = &[
    ("aws_sqs_queue", "aws:sqs:queue"),
    ("aws_sns_topic", "aws:sns:topic"),
    ("aws_kms_key", "aws:kms:key"),
    ("aws_kms_replica_key", "aws:kms:key"),
    ("aws_secretsmanager_secret", "aws:secretsmanager:secret"),
    ("aws_ssm_parameter", "aws:ssm:parameter"),
    ("aws_ssm_document", "aws:ssm:document"),
    ("aws_ecr_repository", "aws:ecr:repository"),
    ("aws_kinesis_stream", "aws:kinesis:stream"),
    (
        "aws_kinesis_firehose_delivery_stream",
        "aws:firehose:deliverystream",
    ),
    ("aws_sfn_state_machine", "aws:states:stateMachine"),
    ("aws_acm_certificate", "aws:acm:certificate"),
    ("aws_cloudwatch_log_group", "aws:logs:log-group"),
    ("aws_cloudwatch_metric_alarm", "aws:cloudwatch:alarm"),
    ("aws_cloudwatch_composite_alarm", "aws:cloudwatch:alarm"),
    ("aws_cloudwatch_event_rule", "aws:events:rule"),
    ("aws_cloudwatch_event_bus", "aws:events:event-bus"),
    ("aws_scheduler_schedule", "aws:scheduler:schedule"),
    ("aws_lambda_layer_version", "aws:lambda:layer"),
    ("aws_cognito_user_pool", "aws:cognito-idp:userpool"),
    ("aws_backup_vault", "aws:backup:backup-vault"),
    ("aws_backup_plan", "aws:backup:backup-plan"),
    ("aws_cloudformation_stack", "aws:cloudformation:stack"),
    ("aws_codebuild_project", "aws:codebuild:project"),
    ("aws_athena_workgroup", "aws:athena:workgroup"),
    ("aws_glue_catalog_database", "aws:glue:database"),
    ("aws_glue_job", "aws:glue:job"),
    ("aws_wafv2_web_acl", "aws:wafv2:webacl"),
    (
        "aws_service_discovery_service",
        "aws:servicediscovery:service",
    ),
    (
        "aws_service_discovery_private_dns_namespace",
        "aws:servicediscovery:namespace",
    ),
    ("aws_codedeploy_app", "aws:codedeploy:application"),
];

/// Configuration folded into the resource it configures.
const FOLDED: &[&str] = &[
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_network_acl",
    "aws_default_network_acl",
    "aws_network_acl_rule",
    "aws_network_acl_association",
    "aws_vpc_dhcp_options",
    "aws_default_vpc_dhcp_options",
    "aws_vpc_dhcp_options_association",
    "aws_vpc_ipv4_cidr_block_association",
    "aws_vpc_ipv6_cidr_block_association",
    "aws_flow_log",
    "aws_eip_association",
    "aws_network_interface_attachment",
    "aws_network_interface_sg_attachment",
    "aws_internet_gateway_attachment",
    "aws_vpc_endpoint_route_table_association",
    "aws_vpc_endpoint_subnet_association",
    "aws_vpc_endpoint_security_group_association",
    "aws_vpc_endpoint_policy",
    "aws_vpc_peering_connection_accepter",
    "aws_vpc_peering_connection_options",
    "aws_vpn_gateway_attachment",
    "aws_vpn_connection_route",
    "aws_vpn_gateway_route_propagation",
    "aws_ec2_transit_gateway_route",
    "aws_ec2_transit_gateway_route_table",
    "aws_ec2_transit_gateway_route_table_association",
    "aws_ec2_transit_gateway_route_table_propagation",
    "aws_dx_gateway_association",
    "aws_dx_connection_association",
    "aws_volume_attachment",
    "aws_key_pair",
    "aws_placement_group",
    "aws_ami",
    "aws_ami_copy",
    "aws_ami_launch_permission",
    "aws_launch_template",
    "aws_launch_configuration",
    "aws_autoscaling_policy",
    "aws_autoscaling_schedule",
    "aws_autoscaling_lifecycle_hook",
    "aws_autoscaling_notification",
    "aws_autoscaling_group_tag",
    "aws_lambda_permission",
    "aws_lambda_alias",
    "aws_lambda_event_source_mapping",
    "aws_lambda_function_event_invoke_config",
    "aws_lambda_function_url",
    "aws_lambda_provisioned_concurrency_config",
    "aws_lambda_layer_version_permission",
    "aws_ecs_task_definition",
    "aws_ecs_capacity_provider",
    "aws_ecs_cluster_capacity_providers",
    "aws_ecs_account_setting_default",
    "aws_eks_addon",
    "aws_eks_access_entry",
    "aws_eks_access_policy_association",
    "aws_eks_identity_provider_config",
    "aws_eks_pod_identity_association",
    "aws_ecr_lifecycle_policy",
    "aws_ecr_repository_policy",
    "aws_acm_certificate_validation",
    "aws_sns_topic_subscription",
    "aws_sns_topic_policy",
    "aws_sqs_queue_policy",
    "aws_sqs_queue_redrive_policy",
    "aws_sqs_queue_redrive_allow_policy",
    "aws_kms_alias",
    "aws_kms_grant",
    "aws_kms_key_policy",
    "aws_secretsmanager_secret_version",
    "aws_secretsmanager_secret_rotation",
    "aws_secretsmanager_secret_policy",
    "aws_cloudwatch_log_stream",
    "aws_cloudwatch_log_subscription_filter",
    "aws_cloudwatch_log_metric_filter",
    "aws_cloudwatch_log_resource_policy",
    "aws_cloudwatch_dashboard",
    "aws_cloudwatch_event_target",
    "aws_cloudwatch_event_permission",
    "aws_ssm_association",
    "aws_backup_selection",
    "aws_ec2_tag",
    "aws_appautoscaling_target",
    "aws_appautoscaling_policy",
    "aws_appautoscaling_scheduled_action",
    "aws_wafv2_web_acl_association",
    "aws_cognito_user_pool_client",
    "aws_cognito_user_pool_domain",
    "aws_codedeploy_deployment_group",
    "aws_ecr_replication_configuration",
    "aws_ecr_registry_scanning_configuration",
];

/// Map a catalogued instance; `None` for a type the table does not know.
pub fn map(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let type_name = ctx.type_name();
    if type_name.starts_with("aws_iam_") {
        return iam(ctx);
    }
    if FOLDED.contains(&type_name) {
        return Some(Outcome::Folded);
    }
    let (_, kind) = REGIONAL.iter().find(|(t, _)| *t == type_name)?;
    regional(ctx, kind)
}

/// An IAM object with an ARN: global, control plane in us-east-1; without one, a relation
/// folded into the identities it attaches to.
fn iam(ctx: &mut Ctx<'_, '_>) -> Option<Outcome> {
    let Some(text) = own_arn(ctx.attrs) else {
        return Some(Outcome::Folded);
    };
    let Some(arn) = Arn::parse(text) else {
        return Some(Outcome::Folded);
    };
    let placement = Placement::Global {
        control_plane_region: Some("us-east-1".into()),
    };
    let mut resource = ctx.resource(text.to_string(), &arn.kind(), placement, None);
    if !arn.account.is_empty() {
        resource.account = Some(arn.account.to_string());
    }
    let unique = ctx.attrs.str("unique_id").unwrap_or_default();
    ctx.done(resource, Vec::new(), &[unique])
}

/// A resource of a regional service: its ARN's kind and placement (a WAF web ACL of
/// CloudFront scope is global), else `kind` and regional.
fn regional(ctx: &mut Ctx<'_, '_>, kind: &str) -> Option<Outcome> {
    let text = own_arn(ctx.attrs).map(|a| a.trim_end_matches(":*").to_string());
    let arn = text.as_deref().and_then(Arn::parse);
    let (id, kind, placement) = match (&arn, &text) {
        (Some(parsed), Some(text)) => {
            let placement = match placement_by_arn(parsed) {
                Placement::Unknown => Placement::Regional,
                known => known,
            };
            (text.clone(), parsed.kind(), placement)
        }
        _ => (
            super::super::build::fallback_id(ctx.entry),
            kind.to_string(),
            Placement::Regional,
        ),
    };
    let mut resource = ctx.resource(id, &kind, placement, None);
    if let Some(multi) = ctx.attrs.bool("multi_region") {
        resource
            .attributes
            .insert("multi_region".into(), json!(multi));
    }
    let url = ctx.attrs.str("url").unwrap_or_default();
    ctx.done(resource, Vec::new(), &[url])
}
