//! ARNs: building the ids of described resources and placing resources seen only through the
//! tagging API.

use crate::model::Placement;

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        };
        (!arn.partition.is_empty() && !arn.service.is_empty() && !arn.resource.is_empty())
            .then_some(arn)
    }

    /// The resource type: the part of the resource before the first `/` or `:`
    /// (`instance/i-1` → `instance`, `db:orders` → `db`); S3 buckets and SQS queues have none.
    pub fn resource_type(&self) -> Option<&'a str> {
        let end = self.resource.find(['/', ':'])?;
        Some(&self.resource[..end])
    }

    /// The linchpin kind: `aws:<service>:<type>`, with the RDS and S3 spellings the rule pack
    /// uses.
    pub fn kind(&self) -> String {
        let kind_type = match (self.service, self.resource_type()) {
            ("rds", Some("db")) => "db-instance",
            ("s3", None) => "bucket",
            ("sqs", None) => "queue",
            ("sns", None) => "topic",
            (_, Some(t)) => t,
            (_, None) => "resource",
        };
        format!("aws:{}:{}", self.service, kind_type)
    }

    /// The short name: what follows the last `/` or `:` of the resource part.
    pub fn name(&self) -> &'a str {
        self.resource
            .rsplit(['/', ':'])
            .next()
            .unwrap_or(self.resource)
    }
}

/// The ARN of an EC2 resource (`instance/i-…`, `subnet/subnet-…`, …).
pub fn ec2(region: &str, account: &str, kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{region}:{account}:{kind}/{id}")
}

/// The ARN of an RDS DB instance.
pub fn rds_instance(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:rds:{region}:{account}:db:{id}")
}

/// Services whose resources fail only with their region, whatever their type.
const REGIONAL_SERVICES: &[&str] = &[
    "acm",
    "apigateway",
    "athena",
    "backup",
    "cloudformation",
    "cloudwatch",
    "codebuild",
    "codepipeline",
    "cognito-idp",
    "dynamodb",
    "ecr",
    "events",
    "firehose",
    "glue",
    "kinesis",
    "kms",
    "logs",
    "s3",
    "scheduler",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "states",
];

/// Services with a global data plane whose control plane lives in us-east-1.
const GLOBAL_SERVICES: &[&str] = &[
    "cloudfront",
    "iam",
    "route53",
    "route53-recovery-control-config",
];

/// Where a resource seen only by ARN lives: regional or global when the service alone says so,
/// otherwise unknown (reported as a coverage gap, never treated as safe).
pub fn placement_by_arn(arn: &Arn) -> Placement {
    if GLOBAL_SERVICES.contains(&arn.service)
        || (arn.service == "wafv2" && arn.resource.starts_with("global/"))
    {
        Placement::Global {
            control_plane_region: Some("us-east-1".into()),
        }
    } else if REGIONAL_SERVICES.contains(&arn.service) {
        Placement::Regional
    } else {
        Placement::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_kinds() {
        let arn = Arn::parse("arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0abc").unwrap();
        assert_eq!(arn.kind(), "aws:ec2:instance");
        assert_eq!(arn.name(), "i-0abc");
        let db = Arn::parse("arn:aws:rds:us-east-1:123456789012:db:orders").unwrap();
        assert_eq!(db.kind(), "aws:rds:db-instance");
        let bucket = Arn::parse("arn:aws:s3:::my-bucket").unwrap();
        assert_eq!(bucket.kind(), "aws:s3:bucket");
        assert_eq!(placement_by_arn(&bucket), Placement::Regional);
        let lb = Arn::parse(
            "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/50dc6c495c0c9188",
        )
        .unwrap();
        assert_eq!(lb.kind(), "aws:elasticloadbalancing:loadbalancer");
        assert_eq!(placement_by_arn(&lb), Placement::Unknown);
        let zone = Arn::parse("arn:aws:route53:::hostedzone/Z1").unwrap();
        assert!(matches!(placement_by_arn(&zone), Placement::Global { .. }));
        assert!(Arn::parse("not-an-arn").is_none());
        assert!(Arn::parse("arn:aws:ec2").is_none());
    }
}
