//! The AWS crawler against a real moto server, through the real binary and the real SDK.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::moto::{Moto, linchpin_aws};
use serde_json::Value;

const TOKYO: &str = "ap-northeast-1";
const VIRGINIA: &str = "us-east-1";

fn resource<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no resource {id} in the snapshot"))
}

fn ec2_arn(region: &str, kind: &str, id: &Value) -> String {
    format!(
        "arn:aws:ec2:{region}:123456789012:{kind}/{}",
        id.as_str().expect("id")
    )
}

fn requirement_members(resource: &Value) -> Vec<(String, Vec<String>)> {
    resource["requirements"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| {
                    let members = match (&g["requires"], &g["any_of"]) {
                        (Value::String(one), _) => vec![one.clone()],
                        (_, Value::Array(many)) => many
                            .iter()
                            .map(|m| m.as_str().unwrap().to_string())
                            .collect(),
                        _ => Vec::new(),
                    };
                    (g["label"].as_str().unwrap_or("").to_string(), members)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn crawl_to(moto: &Moto, out: &Path, extra_env: &[(&str, &str)]) -> (std::process::Output, Value) {
    let output = linchpin_aws(
        &[
            "crawl",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            TOKYO,
            "--region",
            VIRGINIA,
            "--output",
            out.to_str().unwrap(),
        ],
        extra_env,
    );
    let snapshot = serde_json::from_str(&std::fs::read_to_string(out).unwrap_or_else(|e| {
        panic!(
            "no snapshot written ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    }))
    .expect("the snapshot is JSON");
    (output, snapshot)
}

#[test]
fn crawl_reads_zone_ids_placements_and_edges_then_audit_finds_the_risks() {
    let moto = Moto::start();
    let ids = moto.seed();
    let tokyo = &ids[TOKYO];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    let (output, snap) = crawl_to(&moto, &path, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "crawl failed: {stderr}");
    assert!(stderr.contains("requests"), "summary on stderr: {stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "no progress bar or colours when stderr is not a terminal: {stderr:?}"
    );

    // The snapshot is valid input for the other commands.
    let check = common::linchpin(&[
        "audit",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Zones are zone IDs, with their names kept.
    let zones = snap["zones"].as_array().unwrap();
    let az4 = zones
        .iter()
        .find(|z| z["id"] == "apne1-az4")
        .expect("apne1-az4 listed");
    assert_eq!(az4["name"], "ap-northeast-1a");
    assert_eq!(az4["region"], TOKYO);
    assert!(zones.iter().any(|z| z["region"] == VIRGINIA));

    // Subnets and the one NAT gateway, which serves the private subnets of all three zones.
    let private_1c = resource(&snap, &ec2_arn(TOKYO, "subnet", &tokyo["private"]["c"]));
    assert_eq!(
        private_1c["placement"],
        serde_json::json!({"type": "zonal", "zone": "apne1-az1"})
    );
    assert_eq!(private_1c["attributes"]["egress"], "nat");
    assert_eq!(private_1c["name"], "private-1c");
    let nat_arn = ec2_arn(TOKYO, "natgateway", &tokyo["nat"]);
    let nat = resource(&snap, &nat_arn);
    assert_eq!(nat["placement"]["zone"], "apne1-az4");
    assert_eq!(
        nat["attributes"]["serves_zones"],
        serde_json::json!(["apne1-az1", "apne1-az2", "apne1-az4"])
    );
    let vpc = resource(&snap, &ec2_arn(TOKYO, "vpc", &tokyo["vpc"]));
    assert_eq!(vpc["attributes"]["nat_gateways"], 1);
    assert_eq!(vpc["placement"]["type"], "regional");

    // An instance in 1c needs its subnet and, for egress, the NAT gateway in 1a.
    let api_1c_arn = ec2_arn(TOKYO, "instance", &tokyo["api"]["c"]);
    let api_1c = resource(&snap, &api_1c_arn);
    assert_eq!(
        api_1c["placement"]["zone"], "apne1-az1",
        "zone ID derived from the subnet"
    );
    assert_eq!(api_1c["tags"]["service"], "trading-api");
    let needs = requirement_members(api_1c);
    assert!(
        needs
            .iter()
            .any(|(label, m)| label.contains("egress via NAT gateway")
                && m == std::slice::from_ref(&nat_arn)),
        "instance needs the NAT gateway: {needs:?}"
    );

    // The ALB spans three zones; its target group's targets sit in two.
    let alb = resource(&snap, tokyo["alb"].as_str().unwrap());
    assert_eq!(alb["kind"], "aws:elasticloadbalancing:loadbalancer");
    assert_eq!(alb["attributes"]["scheme"], "internet-facing");
    assert_eq!(
        alb["placement"]["zones"],
        serde_json::json!(["apne1-az1", "apne1-az2", "apne1-az4"])
    );
    let tg_arn = tokyo["tg"].as_str().unwrap();
    assert_eq!(
        requirement_members(alb),
        vec![(
            "listener HTTP:80 forwards to tg-api".to_string(),
            vec![tg_arn.to_string()]
        )]
    );
    let tg = resource(&snap, tg_arn);
    let mut targets: Vec<String> = ["a", "c"]
        .iter()
        .map(|z| ec2_arn(TOKYO, "instance", &tokyo["api"][*z]))
        .collect();
    targets.sort();
    assert_eq!(
        requirement_members(tg),
        vec![("any registered target".to_string(), targets)]
    );

    // The Auto Scaling group: one zone, its instances as alternatives, its capacities.
    let asg = resource(&snap, tokyo["asg"].as_str().unwrap());
    assert_eq!(asg["attributes"]["zones"], serde_json::json!(["apne1-az4"]));
    assert_eq!(asg["attributes"]["desired_capacity"], 2);
    assert_eq!(asg["attributes"]["min_size"], 2);
    assert_eq!(asg["tags"]["linchpin:critical"], "true");
    let asg_needs = requirement_members(asg);
    assert_eq!(asg_needs.len(), 1);
    assert_eq!(asg_needs[0].1.len(), 2, "both instances: {asg_needs:?}");

    // RDS: single-AZ zonal; Multi-AZ over the primary and the inferred standby zones.
    let ledger = resource(&snap, tokyo["ledger"].as_str().unwrap());
    assert_eq!(
        ledger["placement"],
        serde_json::json!({"type": "zonal", "zone": "apne1-az4"})
    );
    assert_eq!(ledger["attributes"]["multi_az"], false);
    let trading = resource(&snap, tokyo["trading"].as_str().unwrap());
    assert_eq!(trading["placement"]["type"], "multi_zone");
    assert_eq!(trading["placement"]["inferred"], true);
    assert_eq!(trading["attributes"]["multi_az"], true);

    // The interface endpoint lives in its two subnets' zones.
    let endpoint = resource(&snap, &ec2_arn(TOKYO, "vpc-endpoint", &tokyo["endpoint"]));
    assert_eq!(
        endpoint["placement"]["zones"],
        serde_json::json!(["apne1-az1", "apne1-az4"])
    );

    // ElastiCache: the group needs its primary, which lives in 1a.
    let cache = resource(&snap, tokyo["cache_group"].as_str().unwrap());
    assert_eq!(cache["placement"]["zone"], "apne1-az4");
    assert_eq!(cache["attributes"]["automatic_failover"], false);
    let member = format!(
        "arn:aws:elasticache:{TOKYO}:123456789012:cluster:{}",
        tokyo["cache_member"].as_str().unwrap()
    );
    assert_eq!(requirement_members(cache)[0].1, vec![member.clone()]);
    assert_eq!(resource(&snap, &member)["placement"]["zone"], "apne1-az4");

    // EFS: One Zone is zonal; a regional file system lives where its mount targets are.
    let statements = resource(&snap, tokyo["efs_one_zone"].as_str().unwrap());
    assert_eq!(
        statements["placement"],
        serde_json::json!({"type": "zonal", "zone": "apne1-az1"})
    );
    assert_eq!(
        statements["attributes"]["availability_zone_name"],
        "ap-northeast-1c"
    );
    let shared = resource(&snap, tokyo["efs_shared"].as_str().unwrap());
    assert_eq!(
        shared["placement"]["zones"],
        serde_json::json!(["apne1-az1", "apne1-az4"])
    );

    // Lambda in a VPC needs any of its subnets; DynamoDB tables are regional.
    let function = resource(&snap, tokyo["function"].as_str().unwrap());
    assert_eq!(function["placement"]["type"], "regional");
    assert_eq!(
        requirement_members(function)[0].1,
        vec![ec2_arn(TOKYO, "subnet", &tokyo["private"]["a"])]
    );
    let table = resource(&snap, tokyo["table"].as_str().unwrap());
    assert_eq!(table["placement"]["type"], "regional");
    assert_eq!(table["attributes"]["global_table"], false);

    // Route 53 and CloudFront point at the ALB by DNS name; the crawl resolves the names.
    let alb_arn = tokyo["alb"].as_str().unwrap();
    let zone_arn = format!(
        "arn:aws:route53:::hostedzone/{}",
        tokyo["hosted_zone"].as_str().unwrap()
    );
    let record = resource(&snap, &format!("{zone_arn}/record/api.exchange.example/A"));
    assert_eq!(record["placement"]["type"], "global");
    let record_needs: Vec<Vec<String>> = requirement_members(record)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        record_needs,
        vec![vec![zone_arn.clone()], vec![alb_arn.to_string()]]
    );
    assert!(
        snap["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"] != "mail.exchange.example"),
        "records pointing outside the estate are left out"
    );
    let distribution = resource(&snap, tokyo["distribution"].as_str().unwrap());
    assert_eq!(
        requirement_members(distribution),
        vec![("origin alb".to_string(), vec![alb_arn.to_string()])]
    );

    // The second region, and a resource only the tagging API knows.
    let virginia = &ids[VIRGINIA];
    let reporting = resource(&snap, &ec2_arn(VIRGINIA, "instance", &virginia["instance"]));
    assert!(
        reporting["placement"]["zone"]
            .as_str()
            .unwrap()
            .starts_with("use1-az")
    );
    let bucket = resource(&snap, "arn:aws:s3:::exchange-archive");
    assert_eq!(bucket["kind"], "aws:s3:bucket");
    assert_eq!(bucket["placement"]["type"], "regional");
    // Bucket ARNs carry no region: it is the region whose tagging API listed the bucket (moto
    // lists every bucket in every region; AWS only in the bucket's own).
    assert!(
        bucket["region"] == VIRGINIA || bucket["region"] == TOKYO,
        "{bucket}"
    );
    assert_eq!(bucket["tags"]["team"], "ledger");

    // Unused default VPCs are left out.
    assert!(
        snap["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["attributes"]["is_default"] != true),
        "default VPC resources kept"
    );

    // Coverage: every read complete, each with its request count; every operation is in the
    // read-only policy.
    let coverage = snap["coverage"].as_array().unwrap();
    assert!(
        coverage.iter().all(|c| c["status"] == "complete"),
        "{coverage:?}"
    );
    assert!(coverage.iter().all(|c| c["calls"].as_u64().unwrap() >= 1));
    let policy = policy_actions();
    for record in coverage {
        let action = format!(
            "{}:{}",
            record["service"].as_str().unwrap(),
            record["operation"].as_str().unwrap()
        );
        assert!(
            policy.contains(&action),
            "{action} called but not in policy/linchpin-readonly.json"
        );
    }

    // The acceptance audit: zone-ID cut sets, the NAT gateway and the single-AZ database.
    let out = linchpin_aws(
        &[
            "audit",
            "--aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            TOKYO,
            "--region",
            VIRGINIA,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = report["findings"].as_array().unwrap();
    let fired = |rule: &str, resource: &str| {
        findings.iter().any(|f| {
            f["rule"] == rule
                && f["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r == resource)
        })
    };
    assert!(
        findings.iter().any(|f| f["rule"] == "zone-cut-set"
            && f["domains"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["kind"] == "zone" && d["id"] == "apne1-az4")),
        "zone cut set apne1-az4: {:#?}",
        findings
            .iter()
            .map(|f| (&f["rule"], &f["domains"]))
            .collect::<Vec<_>>()
    );
    assert!(
        fired("aws-nat-gateway-cross-zone", &nat_arn),
        "NAT gateway finding"
    );
    assert!(
        fired(
            "aws-rds-instance-single-az",
            tokyo["ledger"].as_str().unwrap()
        ),
        "single-AZ RDS finding"
    );
    assert!(
        fired(
            "aws-autoscaling-single-zone",
            tokyo["asg"].as_str().unwrap()
        ),
        "one-zone ASG finding"
    );
    assert!(
        fired(
            "aws-elb-targets-fewer-zones",
            tokyo["alb"].as_str().unwrap()
        ),
        "ALB targets in fewer zones"
    );
    assert!(
        !fired(
            "aws-rds-instance-single-az",
            tokyo["trading"].as_str().unwrap()
        ),
        "Multi-AZ RDS is fine"
    );
    for (rule, key) in [
        ("aws-elasticache-no-automatic-failover", "cache_group"),
        ("aws-efs-one-zone", "efs_one_zone"),
        ("aws-lambda-vpc-single-zone", "function"),
        ("aws-dynamodb-critical-no-global-table", "table"),
        ("aws-cloudfront-no-origin-failover", "distribution"),
    ] {
        assert!(fired(rule, tokyo[key].as_str().unwrap()), "{rule} on {key}");
    }

    // Every enabled region of the partition, found with DescribeRegions.
    let all = linchpin_aws(
        &[
            "crawl",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--all-regions",
            "--concurrency",
            "16",
        ],
        &[],
    );
    assert_eq!(
        all.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    let all: Value = serde_json::from_slice(&all.stdout).expect("snapshot on stdout");
    let regions: BTreeSet<&str> = all["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["operation"] == "DescribeAvailabilityZones")
        .map(|c| c["region"].as_str().unwrap())
        .collect();
    assert!(
        regions.len() > 10 && regions.contains(TOKYO) && regions.contains("eu-west-1"),
        "{regions:?}"
    );
    assert!(
        regions
            .iter()
            .all(|r| !r.starts_with("cn-") && !r.starts_with("us-gov-")),
        "other partitions: {regions:?}"
    );
    assert!(
        all["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["operation"] == "DescribeRegions")
    );
    resource(&all, &nat_arn);
    resource(
        &all,
        &ec2_arn(VIRGINIA, "instance", &ids[VIRGINIA]["instance"]),
    );

    // One account per assumed role, each named by STS.
    let roles = linchpin_aws(
        &[
            "crawl",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            TOKYO,
            "--assume-role",
            "arn:aws:iam::111111111111:role/linchpin-audit",
            "--assume-role",
            "arn:aws:iam::123456789012:role/linchpin-audit",
            "--external-id",
            "audit-2026",
        ],
        &[],
    );
    assert_eq!(
        roles.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&roles.stderr)
    );
    let roles: Value = serde_json::from_slice(&roles.stdout).unwrap();
    assert_eq!(
        roles["sources"],
        serde_json::json!([{"kind": "aws", "name": "111111111111"}, {"kind": "aws", "name": "123456789012"}])
    );
    let accounts: BTreeSet<&str> = roles["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, BTreeSet::from(["111111111111", "123456789012"]));
    // The estate was seeded in 123456789012 only.
    assert_eq!(resource(&roles, &nat_arn)["account"], "123456789012");
    assert!(
        roles["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["account"] == "123456789012")
    );

    // After a reset the emulator is empty, and so is the next crawl (nothing cached).
    moto.reset();
    let (output, empty) = crawl_to(&moto, &dir.path().join("empty.json"), &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        empty["resources"],
        serde_json::json!([]),
        "only unused default VPCs exist after a reset"
    );
}

#[test]
fn a_failing_service_is_a_coverage_gap_and_the_crawl_goes_on() {
    let moto = Moto::start();
    let ids = moto.seed();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.json");
    // Every service at moto except RDS, whose endpoint refuses connections.
    let env = [
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_ENDPOINT_URL_RDS", "http://127.0.0.1:9"),
    ];
    let output = linchpin_aws(
        &[
            "crawl",
            "aws",
            "--region",
            TOKYO,
            "--max-attempts",
            "1",
            "--output",
            path.to_str().unwrap(),
        ],
        &env,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "partial exit code: {stderr}");
    assert!(
        stderr.contains("coverage incomplete") && stderr.contains("rds:DescribeDBInstances"),
        "{stderr}"
    );
    let snap: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("snapshot still written"))
            .unwrap();
    let failed: BTreeSet<String> = snap["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| {
            assert_eq!(c["account"], "123456789012");
            assert_eq!(c["region"], TOKYO);
            assert!(
                c["error"]
                    .as_str()
                    .unwrap()
                    .contains("endpoint unreachable"),
                "{c}"
            );
            format!(
                "{}:{}",
                c["service"].as_str().unwrap(),
                c["operation"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        failed,
        BTreeSet::from([
            "rds:DescribeDBClusters".to_string(),
            "rds:DescribeDBInstances".to_string()
        ])
    );
    // The rest was read.
    let tokyo = &ids[TOKYO];
    resource(&snap, tokyo["alb"].as_str().unwrap());
    resource(&snap, &ec2_arn(TOKYO, "natgateway", &tokyo["nat"]));
    // The tagged database is still there, seen by the tagging API, and unplaced: never
    // silently safe.
    let ledger = resource(&snap, tokyo["ledger"].as_str().unwrap());
    assert_eq!(ledger["placement"]["type"], "unknown");
    assert_eq!(ledger["attributes"]["seen_by"], "tagging api");

    // The audit reports the gap and exits with the partial code.
    let out = linchpin_aws(
        &[
            "audit",
            "--aws",
            "--region",
            TOKYO,
            "--max-attempts",
            "1",
            "--format",
            "json",
        ],
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gaps: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "coverage-gap")
        .collect();
    assert_eq!(gaps.len(), 2, "one coverage-gap finding per failed read");
    // A failing finding threshold still wins: exit 1 says there is risk regardless.
    let out = linchpin_aws(
        &[
            "audit",
            "--aws",
            "--region",
            TOKYO,
            "--max-attempts",
            "1",
            "--fail-on",
            "high",
        ],
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn access_denied_is_a_coverage_gap_named_as_such() {
    // IAM is enforced after the six calls that create the users.
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "6")]);
    let seeded = moto.run_seed("seed_denied.py");
    let key = seeded["auditor"][0].as_str().unwrap();
    let secret = seeded["auditor"][1].as_str().unwrap();
    let out = linchpin_aws(
        &[
            "crawl",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            TOKYO,
            "--max-attempts",
            "1",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let snap: Value = serde_json::from_slice(&out.stdout).expect("snapshot on stdout");
    // The denied service's reads are gaps that say why. (moto's IAM emulation also refuses
    // the REST-protocol services — CloudFront, Route 53, EFS, Lambda — whatever the policy,
    // so only the query-protocol services are asserted complete.)
    let coverage = snap["coverage"].as_array().unwrap();
    let status = |service: &str, operation: &str| {
        let record = coverage
            .iter()
            .find(|c| c["service"] == service && c["operation"] == operation)
            .unwrap_or_else(|| panic!("no coverage record for {service}:{operation}"));
        (
            record["status"].as_str().unwrap().to_string(),
            record["error"].as_str().unwrap_or("").to_string(),
        )
    };
    for operation in ["DescribeDBInstances", "DescribeDBClusters"] {
        let (state, error) = status("rds", operation);
        assert_eq!(state, "failed");
        assert!(
            error.contains("access denied") || error.contains("AccessDenied"),
            "{error}"
        );
    }
    for (service, operation) in [
        ("ec2", "DescribeSubnets"),
        ("ec2", "DescribeInstances"),
        ("elasticloadbalancing", "DescribeLoadBalancers"),
        ("autoscaling", "DescribeAutoScalingGroups"),
        ("tag", "GetResources"),
    ] {
        assert_eq!(
            status(service, operation).0,
            "complete",
            "{service}:{operation}"
        );
    }
    assert!(
        stderr.contains("rds:DescribeDBInstances: access denied"),
        "{stderr}"
    );
    resource(&snap, &ec2_arn(TOKYO, "subnet", &seeded["subnet"]));
}

#[test]
fn a_profile_gives_the_credentials_and_the_region() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(&config, "[profile audit]\nregion = eu-west-1\n").unwrap();
    std::fs::write(
        &credentials,
        "[audit]\naws_access_key_id = profilekey\naws_secret_access_key = profilesecret\n",
    )
    .unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
    ];
    let out = linchpin_aws(
        &[
            "crawl",
            "aws",
            "--profile",
            "audit",
            "--endpoint-url",
            &moto.url,
        ],
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: Value = serde_json::from_slice(&out.stdout).unwrap();
    let regions: BTreeSet<&str> = snap["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["region"].as_str())
        .collect();
    assert_eq!(
        regions,
        BTreeSet::from(["eu-west-1"]),
        "the profile's region"
    );
    // An unknown profile is an input error, not a partial crawl.
    let out = linchpin_aws(
        &[
            "crawl",
            "aws",
            "--profile",
            "nobody",
            "--region",
            TOKYO,
            "--endpoint-url",
            &moto.url,
        ],
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_interrupted_crawl_still_writes_what_it_read() {
    let moto = Moto::start();
    // EC2 answers from an endpoint that accepts connections and never replies, so the region
    // hangs until the crawl is interrupted; the global services answer from moto.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interrupted.json");
    let child = common::moto::linchpin_aws_command(
        &[
            "crawl",
            "aws",
            "--region",
            TOKYO,
            "--output",
            path.to_str().unwrap(),
        ],
        &[
            ("AWS_ENDPOINT_URL", moto.url.as_str()),
            ("AWS_ENDPOINT_URL_EC2", silent_url.as_str()),
        ],
    )
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("the binary starts");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let snap: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("snapshot written")).unwrap();
    let coverage = snap["coverage"].as_array().unwrap();
    let gap = coverage
        .iter()
        .find(|c| c["operation"] == "Crawl")
        .expect("the unfinished region is a coverage gap");
    assert_eq!(gap["region"], TOKYO);
    assert_eq!(gap["status"], "failed");
    assert!(gap["error"].as_str().unwrap().contains("interrupted"));
    assert!(
        coverage
            .iter()
            .any(|c| c["service"] == "route53" && c["status"] == "complete"),
        "the finished global services are kept: {coverage:?}"
    );
    drop(silent);
}

#[test]
fn no_credentials_is_an_input_error() {
    let output = linchpin_aws(
        &[
            "crawl",
            "aws",
            "--region",
            TOKYO,
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--max-attempts",
            "1",
        ],
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read any account"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn aws_options_need_aws() {
    let out = common::linchpin(&["audit", "--demo", "--region", TOKYO]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--region needs --aws"));
}

/// The actions of the read-only policy.
fn policy_actions() -> BTreeSet<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("policy/linchpin-readonly.json"),
    )
    .unwrap();
    let policy: Value = serde_json::from_str(&text).unwrap();
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// The operations the crawler's code calls, read from its source: every SDK request is a
/// builder method (`describe_vpcs()`, `get_resources()`, …) called on a client variable —
/// `client` in a service's file (and in `organization.rs`, the Organizations client), `ec2` or
/// `sts` in the crawl driver.
fn called_operations() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sources/aws");
    let mut called = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for prefix in [".describe_", ".get_", ".list_"] {
            for (at, _) in text.match_indices(prefix) {
                let rest = &text[at + 1..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !rest[name.len()..].starts_with("()") {
                    continue;
                }
                // The receiver: the identifier before the dot, across line breaks.
                let before = text[..at].trim_end();
                let receiver: String = before
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let service = match (receiver.as_str(), file.as_str()) {
                    ("client", "ec2") | ("ec2", _) => "ec2",
                    ("client", "elbv2") => "elasticloadbalancing",
                    ("client", "autoscaling") => "autoscaling",
                    ("client", "rds") => "rds",
                    ("client", "tagging") => "tag",
                    ("client", "elasticache") => "elasticache",
                    ("client", "efs") => "elasticfilesystem",
                    ("client", "lambda") => "lambda",
                    ("client", "dynamodb") => "dynamodb",
                    ("client", "route53") => "route53",
                    ("client", "cloudfront") => "cloudfront",
                    ("client", "organization") => "organizations",
                    ("sts", _) => "sts",
                    _ => continue,
                };
                called.insert(format!("{service}:{}", name.replace('_', "")));
            }
        }
    }
    called
}

/// IAM actions compare case-insensitively; the SDK's method names drop the capitals.
fn normalise(actions: &BTreeSet<String>) -> BTreeSet<String> {
    actions.iter().map(|a| a.to_ascii_lowercase()).collect()
}

#[test]
fn the_read_only_policy_lists_exactly_the_operations_the_code_calls() {
    let called = called_operations();
    assert!(called.len() >= 15, "the scan found the calls: {called:?}");
    let policy = normalise(&policy_actions());
    let missing: Vec<_> = called.difference(&policy).collect();
    let unused: Vec<_> = policy.difference(&called).collect();
    assert!(
        missing.is_empty(),
        "called but not in policy/linchpin-readonly.json: {missing:?}"
    );
    assert!(
        unused.is_empty(),
        "in the policy but never called: {unused:?}"
    );
    let policy_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("policy/linchpin-readonly.json"),
    )
    .unwrap();
    for word in ["Put", "Create", "Delete", "Update", "Modify", "*\""] {
        assert!(
            !policy_text.contains(&format!(":{word}")),
            "the policy must be read-only"
        );
    }
}
